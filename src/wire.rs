//! What the generated code asks of each surface: how its successes are
//! encoded and how a request poem-openapi rejected (bad auth, bad body,
//! wrong content type) is answered in the surface's own error shape.

use poem::Response;
use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;

pub trait Wire: poem::IntoResponse + Send + Sized {
    /// The surface's answer to a request that failed extraction before its
    /// handler ran. `operation_id` says which operation it was aimed at.
    fn rejected(operation_id: &'static str, error: poem::Error) -> Self;

    /// Encodes a successful body; compact JSON unless a surface says otherwise.
    fn encode(status: StatusCode, body: Option<serde_json::Value>) -> Response {
        match body {
            Some(value) => json_response(status, &value),
            None => Response::builder().status(status).finish(),
        }
    }
}

pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "application/json; charset=utf-8").body(value.to_string())
}

pub fn xml_response(status: StatusCode, xml: String) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "application/xml; charset=utf-8").body(xml)
}

/// Escapes text for an XML element body.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON request body that may be absent (no Content-Type): poem-openapi
/// only has required payloads, and several originals accept a POST with
/// its parameters in the query alone.
pub struct OptionalJson<T>(pub Option<T>);

impl<'a, T: poem_openapi::types::ParseFromJSON> poem_openapi::ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut poem_openapi::registry::Registry) {
        <poem_openapi::payload::Json<T> as poem_openapi::payload::Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        use poem_openapi::payload::{Json, Payload};
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: <Json<T> as Payload>::CONTENT_TYPE,
                schema: <Json<T> as Payload>::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        use poem_openapi::payload::{Json, ParsePayload, Payload};
        match request.content_type() {
            None => Ok(Self(None)),
            Some(content_type) if <Json<T> as Payload>::check_content_type(content_type) => {
                let Json(value) = <Json<T> as ParsePayload>::from_request(request, body).await?;
                Ok(Self(Some(value)))
            }
            Some(content_type) => {
                Err(poem_openapi::error::ContentTypeError::NotSupported { content_type: content_type.to_owned() }
                    .into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_covers_markup() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
