//! The ARGO web-api tenants admin API (`/api/v2/admin/*`): tenants, their
//! engine status and their users, for ARGO's admin roles.

pub mod auth;
pub mod errors;
mod store;
mod tenants;
mod users;

/// Generated from `openapi/argo.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/argo.rs"));
}

use api::*;
use auth::ArgoCaller;
use errors::ArgoError;

pub const SPEC_YAML: &str = include_str!("../../../openapi/argo.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/argo.json"));
pub const PATH_PREFIX: &str = "/api/v2/admin";

pub struct Argo {
    store: store::Store,
    lists: tenants::ListCache,
}

impl Argo {
    pub fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self { store: store::Store::new(db), lists: tenants::ListCache::default() }
    }
}

/// Makes `key` a super_admin key if it is not one already (the bootstrap
/// from STEWARD_ARGO_ADMIN_KEY).
pub async fn ensure_admin(db: &sea_orm::DatabaseConnection, key: &str) -> Result<(), sea_orm::DbErr> {
    ensure_admin_hash(db, &auth::key_hash(key)).await
}

/// The same, for a key known only by its hash (a generated key, kept as
/// its hash in `settings`).
pub async fn ensure_admin_hash(db: &sea_orm::DatabaseConnection, key_hash: &str) -> Result<(), sea_orm::DbErr> {
    use crate::db::entities::argo_admin;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let row = argo_admin::ActiveModel { key_hash: Set(key_hash.to_owned()), role: Set("super_admin".into()) };
    argo_admin::Entity::insert(row).on_conflict_do_nothing_on([argo_admin::Column::KeyHash]).exec(db).await.map(|_| ())
}

/// Whether ARGO answers this OPTIONS request (its tenant paths do, without
/// authentication, for browsers' preflight requests).
pub fn answers_options(method: &poem::http::Method, path: &str) -> bool {
    *method == poem::http::Method::OPTIONS
        && matches!(
            auth::segments(path).as_slice(),
            ["tenants"]
                | ["tenants", _]
                | ["tenants", _, "users"]
                | ["tenants", _, "users", _]
                | ["tenants", _, "users", _, "renew_api_key"]
        )
}

pub fn options_response() -> poem::Response {
    poem::Response::builder()
        .header("allow", "GET,POST,PUT,DELETE,OPTIONS")
        .header("content-type", "text/plain; charset=utf-8")
        .body("")
}

fn envelope(message: &str, code: u16) -> Status {
    Status { message: message.to_owned(), code: code.to_string(), details: None }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 32 random bytes as 64 lowercase hex characters, as ARGO makes keys.
fn new_api_key() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// "2006-01-02 15:04:05", in UTC.
fn now_text() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_default()
}

#[async_trait::async_trait]
impl ArgoApi for Argo {
    async fn list_tenants(&self, caller: ArgoCaller) -> Result<ListTenantsResponse, ArgoError> {
        tenants::list(self, &caller).await
    }

    async fn create_tenant(
        &self,
        caller: ArgoCaller,
        request: CreateTenantRequest,
    ) -> Result<CreateTenantResponse, ArgoError> {
        tenants::create(self, &caller, request.body).await.map(CreateTenantResponse::Created)
    }

    async fn get_tenant(&self, caller: ArgoCaller, request: GetTenantRequest) -> Result<GetTenantResponse, ArgoError> {
        tenants::get(self, &caller, &request.id).await.map(GetTenantResponse::Ok)
    }

    async fn update_tenant(
        &self,
        caller: ArgoCaller,
        request: UpdateTenantRequest,
    ) -> Result<UpdateTenantResponse, ArgoError> {
        tenants::update(self, &caller, &request.id, request.body).await.map(UpdateTenantResponse::Ok)
    }

    async fn delete_tenant(
        &self,
        caller: ArgoCaller,
        request: DeleteTenantRequest,
    ) -> Result<DeleteTenantResponse, ArgoError> {
        tenants::delete(self, &caller, &request.id).await.map(DeleteTenantResponse::Ok)
    }

    async fn get_tenant_status(
        &self,
        _caller: ArgoCaller,
        request: GetTenantStatusRequest,
    ) -> Result<GetTenantStatusResponse, ArgoError> {
        tenants::get_status(self, &request.id).await.map(GetTenantStatusResponse::Ok)
    }

    async fn update_tenant_status(
        &self,
        caller: ArgoCaller,
        request: UpdateTenantStatusRequest,
    ) -> Result<UpdateTenantStatusResponse, ArgoError> {
        tenants::update_status(self, &caller, &request.id, request.body).await.map(UpdateTenantStatusResponse::Ok)
    }

    async fn list_tenant_users(
        &self,
        _caller: ArgoCaller,
        request: ListTenantUsersRequest,
    ) -> Result<ListTenantUsersResponse, ArgoError> {
        users::list(self, &request.id).await.map(ListTenantUsersResponse::Ok)
    }

    async fn create_tenant_user(
        &self,
        caller: ArgoCaller,
        request: CreateTenantUserRequest,
    ) -> Result<CreateTenantUserResponse, ArgoError> {
        users::create(self, &caller, &request.id, request.body).await.map(CreateTenantUserResponse::Created)
    }

    async fn get_tenant_user(
        &self,
        _caller: ArgoCaller,
        request: GetTenantUserRequest,
    ) -> Result<GetTenantUserResponse, ArgoError> {
        users::get(self, &request.id, &request.user_id).await.map(GetTenantUserResponse::Ok)
    }

    async fn update_tenant_user(
        &self,
        caller: ArgoCaller,
        request: UpdateTenantUserRequest,
    ) -> Result<UpdateTenantUserResponse, ArgoError> {
        users::update(self, &caller, &request.id, &request.user_id, request.body)
            .await
            .map(UpdateTenantUserResponse::Ok)
    }

    async fn delete_tenant_user(
        &self,
        caller: ArgoCaller,
        request: DeleteTenantUserRequest,
    ) -> Result<DeleteTenantUserResponse, ArgoError> {
        users::delete(self, &caller, &request.id, &request.user_id).await.map(DeleteTenantUserResponse::Ok)
    }

    async fn renew_tenant_user_api_key(
        &self,
        caller: ArgoCaller,
        request: RenewTenantUserApiKeyRequest,
    ) -> Result<RenewTenantUserApiKeyResponse, ArgoError> {
        users::renew_key(self, &caller, &request.id, &request.user_id).await.map(RenewTenantUserApiKeyResponse::Ok)
    }

    async fn get_user_by_id(
        &self,
        _caller: ArgoCaller,
        request: GetUserByIdRequest,
    ) -> Result<GetUserByIdResponse, ArgoError> {
        users::by_id(self, &request.id, request.export.as_deref()).await.map(GetUserByIdResponse::Ok)
    }
}
