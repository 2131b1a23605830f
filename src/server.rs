//! The HTTP application: every surface at its native paths, the raw specs,
//! Swagger UI, health probes, and the middleware around them.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use poem::endpoint::make_sync;
use poem::http::StatusCode;
use poem::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use poem::middleware::RequestId;
use poem::web::Path;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use poem_openapi::OpenApiService;
use sea_orm::DatabaseConnection;

use crate::surfaces::{self, argo, lighthouse, mc, scalelite, storj};

/// What the routes need at run time.
pub struct App {
    pub db: DatabaseConnection,
    pub scalelite: scalelite::Scalelite,
    pub scalelite_secrets: scalelite::auth::Secrets,
    pub storj: storj::Storj,
    pub storj_token: storj::auth::AdminToken,
    pub argo: argo::Argo,
    pub mc: mc::Mc,
    pub mc_keys: mc::caller::Keys,
    pub mc_rate_limits: Option<mc::RateLimits>,
    pub lighthouse: lighthouse::Lighthouse,
    pub lighthouse_sessions: lighthouse::session::Sessions,
    /// Mails MC sent (the development sender keeps them readable).
    pub mc_outbox: mc::mail::DevMailer,
    /// `/metrics` is served here (false: on STEWARD_METRICS_LISTEN).
    pub metrics_here: bool,
}

/// Larger request bodies are refused with 413 before any handler reads them.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Shared state reached from probes.
#[derive(Clone)]
struct Probes {
    db: DatabaseConnection,
}

/// One poem-openapi service per surface: each is the runtime twin of one
/// hand-written spec (operationIds are unique per spec, not across them).
pub struct Services {
    pub scalelite: OpenApiService<scalelite::api::ScaleliteApiRoutes, ()>,
    pub storj: OpenApiService<storj::api::StorjApiRoutes, ()>,
    pub argo: OpenApiService<argo::api::ArgoApiRoutes, ()>,
    pub mc: OpenApiService<mc::api::McApiRoutes, ()>,
    pub mc_federation: OpenApiService<mc::partner::api::McFederationApiRoutes, ()>,
    pub lighthouse: OpenApiService<lighthouse::api::LighthouseApiRoutes, ()>,
}

fn service<T: poem_openapi::OpenApi>(routes: T) -> OpenApiService<T, ()> {
    OpenApiService::new(routes, "Steward", env!("CARGO_PKG_VERSION"))
}

impl Services {
    pub fn new(
        scalelite: scalelite::Scalelite,
        storj: storj::Storj,
        argo: argo::Argo,
        mc: mc::Mc,
        lighthouse: lighthouse::Lighthouse,
    ) -> Self {
        let mc = Arc::new(mc);
        Self {
            lighthouse: service(lighthouse::api::LighthouseApiRoutes(Arc::new(lighthouse))),
            mc_federation: service(mc::partner::api::McFederationApiRoutes(mc.clone())),
            mc: service(mc::api::McApiRoutes(mc)),
            scalelite: service(scalelite::api::ScaleliteApiRoutes(Arc::new(scalelite))),
            storj: service(storj::api::StorjApiRoutes(Arc::new(storj))),
            argo: service(argo::api::ArgoApiRoutes(Arc::new(argo))),
        }
    }

    /// The spec poem-openapi derives for a surface from its generated routes.
    pub fn runtime_spec(&self, surface: &str) -> Option<String> {
        match surface {
            "scalelite" => Some(self.scalelite.spec()),
            "storj" => Some(self.storj.spec()),
            "argo" => Some(self.argo.spec()),
            "mc" => Some(self.mc.spec()),
            "mc_federation" => Some(self.mc_federation.spec()),
            "lighthouse" => Some(self.lighthouse.spec()),
            _ => None,
        }
    }

    fn into_endpoint(self) -> BySurface {
        BySurface {
            routes: vec![
                ("scalelite", self.scalelite.boxed()),
                ("storj", self.storj.boxed()),
                ("argo", self.argo.around(argo::errors::xml_when_asked).boxed()),
                ("mc", self.mc.around(mc::rate_limited).around(mc::events::recorded).boxed()),
                ("mc_federation", self.mc_federation.boxed()),
                ("lighthouse", self.lighthouse.around(lighthouse::session_edges).boxed()),
            ],
        }
    }
}

/// Sends a request to the service of the surface owning its path.
struct BySurface {
    routes: Vec<(&'static str, poem::endpoint::BoxEndpoint<'static>)>,
}

impl Endpoint for BySurface {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let owner = surfaces::owner(req.uri().path()).map(|spec| spec.name);
        match self.routes.iter().find(|(name, _)| Some(*name) == owner) {
            Some((_, endpoint)) => endpoint.call(req).await,
            None => Err(poem::error::NotFoundError.into()),
        }
    }
}

pub fn endpoint(app: App) -> impl Endpoint<Output = Response> {
    let services = Services::new(app.scalelite, app.storj, app.argo, app.mc, app.lighthouse).into_endpoint();
    let docs = crate::swagger::config();
    crate::metrics::install();
    let metrics_here = match app.metrics_here {
        true => get(crate::metrics::scrape),
        false => get(make_sync(|_| StatusCode::NOT_FOUND)),
    };
    let mc_keys = app.mc_keys.clone();
    let application = Route::new()
        .at("/healthz", get(make_sync(|_| "ok")))
        .at("/metrics", metrics_here.data(app.db.clone()))
        .at("/readyz", get(readyz))
        .at("/openapi/:file", get(spec_file))
        .at(
            "/docs",
            get(make_sync(|_| Response::builder().status(StatusCode::FOUND).header(LOCATION, "/docs/").finish())),
        )
        .at("/docs/", get(crate::swagger::docs_file).data(docs.clone()))
        .at("/docs/*path", get(crate::swagger::docs_file).data(docs))
        .nest("/", services)
        // Outside `edges`, which reads them to answer unrouted requests.
        .around(edges)
        .data(app.scalelite_secrets)
        .data(app.storj_token)
        .data(argo::auth::AdminKeys(app.db.clone()))
        .data(app.mc_keys)
        .data(app.lighthouse_sessions)
        .data_opt(app.mc_rate_limits)
        .data(Probes { db: app.db })
        .boxed();
    let application = mc::ws::Loopback(Arc::new(application));
    // MC's WebSocket twins replay their requests through the application.
    let twins = get(mc::ws::twin).data(application.clone()).data(mc_keys);
    Route::new().at("/ws/api/v1/auth/*path", twins).nest("/", Shared(application)).with(RequestId::default())
}

/// Which of the application's paths a listener answers, when the partner
/// API has an address of its own (`STEWARD_MC_FEDERATION_LISTEN`): that
/// listener only its paths, the main one all others; each answers the
/// rest 404 (the federation listener in its own wire, as MC's did).
pub struct Listener<E> {
    pub application: Arc<E>,
    pub federation: bool,
}

fn is_federation_path(path: &str) -> bool {
    path == "/operatorplatform" || path.starts_with("/operatorplatform/")
}

impl<E: Endpoint<Output = Response>> Endpoint for Listener<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        match (self.federation, is_federation_path(req.uri().path())) {
            (true, true) | (false, false) => self.application.call(req).await,
            (true, false) => Ok(mc::partner::errors::FedError::new(StatusCode::NOT_FOUND, "Not Found").into_response()),
            (false, true) => Err(poem::error::NotFoundError.into()),
        }
    }
}

/// The application, shared with the WebSocket twins.
struct Shared(mc::ws::Loopback);

impl Endpoint for Shared {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        self.0.0.call(req).await
    }
}

/// Lets each surface read the request its way before routing and answer
/// what no route matched in its own shape; logs each request.
async fn edges<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let Some(overflowed) = bound_body(&mut req) else {
        return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    surfaces::prepare(&mut req);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let owner = surfaces::owner(&path);
    let unmatched = surfaces::Unmatched::for_request(&req, owner);
    let surface = owner.map_or("steward", |spec| spec.name);
    let response = match (next.call(req).await, unmatched) {
        (Ok(output), _) => output.into_response(),
        (Err(error), Some(unmatched)) if error.status() == StatusCode::NOT_FOUND => unmatched.respond(false),
        (Err(error), Some(unmatched)) if error.status() == StatusCode::METHOD_NOT_ALLOWED => unmatched.respond(true),
        (Err(error), _) => error.into_response(),
    };
    // However the surface answered a body it could not finish reading, the
    // answer is that the body was too large.
    let response = match overflowed.load(std::sync::atomic::Ordering::Acquire) {
        true => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        false => response,
    };
    let elapsed = started.elapsed();
    let operation = response.data::<poem_openapi::OperationId>().map_or("none", |id| id.0);
    crate::metrics::record_request(surface, operation, response.status(), elapsed);
    let status = response.status().as_u16();
    let micros = elapsed.as_micros() as u64;
    if status >= 500 {
        tracing::warn!(%method, %path, status, micros, "request");
    } else {
        tracing::debug!(%method, %path, status, micros, "request");
    }
    Ok(response)
}

/// Bodies are buffered (extractors read them whole), so bound them on every
/// transport: a declared length over the limit is refused with 413; a body
/// of undeclared length (HTTP/1.1 chunked, HTTP/2 streams, which carry no
/// Transfer-Encoding) fails to read once past the limit, so no reader ever
/// holds more than the limit (the flag returned says it happened). None: a
/// declared length over the limit.
fn bound_body(req: &mut Request) -> Option<Arc<AtomicBool>> {
    let overflowed = Arc::new(AtomicBool::new(false));
    let declared = req.headers().get(CONTENT_LENGTH).map(|v| v.to_str().ok().and_then(|v| v.parse::<usize>().ok()));
    match declared {
        Some(Some(length)) if length <= MAX_BODY_BYTES => {}
        Some(_) => return None,
        // An HTTP/1.1 request with neither length nor chunked encoding has
        // no body at all; leave it (and its fast path) alone.
        None if req.version() < poem::http::Version::HTTP_2
            && !req.headers().contains_key(poem::http::header::TRANSFER_ENCODING) => {}
        None => {
            let inner = req.take_body().into_async_read();
            let body = Bounded { inner, left: MAX_BODY_BYTES, overflowed: overflowed.clone() };
            req.set_body(poem::Body::from_async_read(body));
        }
    }
    Some(overflowed)
}

/// A body reader that fails once more than its limit has been read.
struct Bounded<R> {
    inner: R,
    left: usize,
    overflowed: Arc<AtomicBool>,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Bounded<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = polled {
            let read = buf.filled().len() - before;
            if read > self.left {
                self.overflowed.store(true, std::sync::atomic::Ordering::Release);
                return std::task::Poll::Ready(Err(std::io::Error::other("request body over the limit")));
            }
            self.left -= read;
        }
        polled
    }
}

#[handler]
async fn readyz(probes: poem::web::Data<&Probes>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), probes.db.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

#[handler]
fn spec_file(Path(file): Path<String>) -> Response {
    let found =
        file.strip_suffix(".yaml").and_then(surfaces::spec).map(|spec| ("application/yaml", spec.yaml)).or_else(|| {
            file.strip_suffix(".json").and_then(surfaces::spec).map(|spec| ("application/json", spec.json))
        });
    match found {
        Some((content_type, text)) => Response::builder().header(CONTENT_TYPE, content_type).body(text),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
