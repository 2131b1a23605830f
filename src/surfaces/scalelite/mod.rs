//! The Scalelite admin API (`/scalelite/api/*`): servers and tenants,
//! checksum-authenticated, answering as Scalelite does.

pub mod auth;
pub mod errors;
mod rails;
mod servers;
pub mod store;
mod tenants;

/// Generated from `openapi/scalelite.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/scalelite.rs"));
}

use api::*;
use auth::ChecksumCaller;
use errors::ScaleliteError;
use store::Store;

pub const SPEC_YAML: &str = include_str!("../../../openapi/scalelite.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/scalelite.json"));
pub const PATH_PREFIX: &str = "/scalelite/api";

pub struct Scalelite {
    store: Store,
    multitenancy: bool,
}

impl Scalelite {
    pub fn new(db: sea_orm::DatabaseConnection, multitenancy: bool) -> Self {
        Self { store: Store::new(db), multitenancy }
    }

    fn require_multitenancy(&self) -> Result<(), ScaleliteError> {
        if self.multitenancy { Ok(()) } else { Err(ScaleliteError::multitenancy_disabled()) }
    }
}

/// Rails reads `id` from the merged parameters, where the query wins.
fn merged_id(query: Option<String>, body: Option<String>) -> String {
    query.or(body).unwrap_or_default()
}

#[async_trait::async_trait]
impl ScaleliteApi for Scalelite {
    async fn get_servers(&self, _caller: ChecksumCaller) -> Result<GetServersResponse, ScaleliteError> {
        servers::list(self).await.map(GetServersResponse::Ok)
    }

    async fn get_server_info(
        &self,
        _caller: ChecksumCaller,
        request: GetServerInfoRequest,
    ) -> Result<GetServerInfoResponse, ScaleliteError> {
        let server = servers::find(self, &merged_id(request.id, None)).await?;
        Ok(GetServerInfoResponse::Ok(servers::to_wire(&server)))
    }

    async fn add_server(
        &self,
        caller: ChecksumCaller,
        request: AddServerRequest,
    ) -> Result<AddServerResponse, ScaleliteError> {
        servers::add(self, &caller, request.body).await.map(AddServerResponse::Created)
    }

    async fn update_server(
        &self,
        caller: ChecksumCaller,
        request: UpdateServerRequest,
    ) -> Result<UpdateServerResponse, ScaleliteError> {
        let body_id = request.body.as_ref().and_then(|b| b.id.clone());
        let server = servers::find(self, &merged_id(request.id, body_id)).await?;
        servers::update(self, &caller, server, request.body).await.map(UpdateServerResponse::Ok)
    }

    async fn delete_server(
        &self,
        caller: ChecksumCaller,
        request: DeleteServerRequest,
    ) -> Result<DeleteServerResponse, ScaleliteError> {
        let id = merged_id(request.id, request.body.and_then(|b| b.id));
        servers::delete(self, &caller, &id).await.map(DeleteServerResponse::Ok)
    }

    async fn panic_server(
        &self,
        caller: ChecksumCaller,
        request: PanicServerRequest,
    ) -> Result<PanicServerResponse, ScaleliteError> {
        let (body_id, body_keep) = request.body.map(|b| (b.id, b.keep_state)).unwrap_or_default();
        let keep_state = match request.keep_state {
            Some(text) => rails::is_present(&serde_json::Value::String(text)),
            None => body_keep.as_ref().is_some_and(rails::is_present),
        };
        let id = merged_id(request.id, body_id);
        servers::panic(self, &caller, &id, keep_state).await.map(PanicServerResponse::Ok)
    }

    async fn get_tenants(&self, _caller: ChecksumCaller) -> Result<GetTenantsResponse, ScaleliteError> {
        self.require_multitenancy()?;
        tenants::list(self).await.map(GetTenantsResponse::Ok)
    }

    async fn get_tenant_info(
        &self,
        _caller: ChecksumCaller,
        request: GetTenantInfoRequest,
    ) -> Result<GetTenantInfoResponse, ScaleliteError> {
        self.require_multitenancy()?;
        let tenant = tenants::find(self, &merged_id(request.id, None)).await?;
        Ok(GetTenantInfoResponse::Ok(tenants::to_wire(&tenant)))
    }

    async fn add_tenant(
        &self,
        caller: ChecksumCaller,
        request: AddTenantRequest,
    ) -> Result<AddTenantResponse, ScaleliteError> {
        self.require_multitenancy()?;
        tenants::add(self, &caller, request.body).await.map(AddTenantResponse::Created)
    }

    async fn update_tenant(
        &self,
        caller: ChecksumCaller,
        request: UpdateTenantRequest,
    ) -> Result<UpdateTenantResponse, ScaleliteError> {
        self.require_multitenancy()?;
        let body_id = request.body.as_ref().and_then(|b| b.id.clone());
        let tenant = tenants::find(self, &merged_id(request.id, body_id)).await?;
        tenants::update(self, &caller, tenant, request.body).await.map(UpdateTenantResponse::Ok)
    }

    async fn delete_tenant(
        &self,
        caller: ChecksumCaller,
        request: DeleteTenantRequest,
    ) -> Result<DeleteTenantResponse, ScaleliteError> {
        self.require_multitenancy()?;
        let id = merged_id(request.id, request.body.and_then(|b| b.id));
        tenants::delete(self, &caller, &id).await.map(DeleteTenantResponse::Ok)
    }
}

/// Reads a request as Rails routes it: `getServers.json` is `getServers`,
/// Rails' JSON synonyms are JSON, and an empty body is no body.
pub fn prepare(req: &mut poem::Request) {
    use poem::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};

    let path = req.uri().path();
    let stripped = [".json", ".xml"].iter().find_map(|ext| path.strip_suffix(ext)).map(str::to_owned);
    if let Some(path) = stripped {
        let uri = match req.uri().query() {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        if let Ok(uri) = uri.parse() {
            *req.uri_mut() = uri;
        }
    }
    let empty = req.headers().get(CONTENT_LENGTH).is_some_and(|len| len.as_bytes() == b"0");
    if empty {
        req.headers_mut().remove(CONTENT_TYPE);
        return;
    }
    let synonym = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        auth::is_json_media_type(ct) && !ct.trim_start().to_ascii_lowercase().starts_with("application/json")
    });
    if synonym {
        req.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
}
