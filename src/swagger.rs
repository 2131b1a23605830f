//! Swagger UI at `/docs/`: utoipa-swagger-ui's vendored assets, with
//! Steward's own start-up script (`swagger/initializer.js`) listing every
//! served spec and signing Scalelite calls in the browser.

use std::sync::{Arc, LazyLock};

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::web::Path;
use poem::{IntoResponse, Response, handler};

use crate::surfaces;

const INITIALIZER: &str = "swagger-initializer.js";

/// The start-up script: the spec list, then `initializer.js`.
static INITIALIZER_JS: LazyLock<String> = LazyLock::new(|| {
    let urls: Vec<_> = surfaces::SPECS
        .iter()
        .map(|spec| serde_json::json!({"name": spec.title, "url": format!("/openapi/{}.json", spec.name)}))
        .collect();
    let urls = serde_json::Value::Array(urls);
    format!("const STEWARD_SPEC_URLS = {urls};\n{}", include_str!("swagger/initializer.js"))
});

/// utoipa-swagger-ui's configuration, used for everything but the start-up
/// script (which it cannot give a request interceptor).
pub fn config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    Arc::new(utoipa_swagger_ui::Config::new(Vec::<String>::new()))
}

#[handler]
pub fn docs_file(
    path: Option<Path<String>>,
    config: poem::web::Data<&Arc<utoipa_swagger_ui::Config<'static>>>,
) -> Response {
    let path = path.as_ref().map_or("", |p| p.0.as_str());
    if path == INITIALIZER {
        return Response::builder()
            .header(CONTENT_TYPE, "application/javascript; charset=utf-8")
            .body(INITIALIZER_JS.as_str());
    }
    match utoipa_swagger_ui::serve(path, config.0.clone()) {
        Ok(Some(file)) => Response::builder().header(CONTENT_TYPE, file.content_type).body(file.bytes.to_vec()),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "swagger ui");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
