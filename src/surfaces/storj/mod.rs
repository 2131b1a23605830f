//! The Storj satellite admin API (`/api/{user,coupon,project,apikey}`):
//! users, coupons, projects with their limits, and API keys.

mod apikey;
mod apikeys;
pub mod auth;
mod coupons;
pub mod errors;
mod ids;
mod limits;
mod memory;
mod projects;
mod users;

/// Generated from `openapi/storj.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/storj.rs"));
}

use api::*;
use auth::StorjAdmin;
use errors::StorjError;
use poem::IntoResponse;

use crate::db::audited::Audited;

pub const SPEC_YAML: &str = include_str!("../../../openapi/storj.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/storj.json"));
pub const PATH_PREFIXES: [&str; 4] = ["/api/user", "/api/coupon", "/api/project", "/api/apikey"];

pub struct Storj {
    store: Audited,
}

impl Storj {
    pub fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self { store: Audited::new(db, "storj") }
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.store.db
    }
}

/// What Storj answers for a path or method it does not route: its admin
/// check comes first, then gorilla/mux's answer.
pub fn unmatched(refused: Option<StorjError>, method_not_allowed: bool) -> poem::Response {
    match refused {
        Some(refusal) => refusal.into_response(),
        None => crate::wire::gorilla_unmatched(method_not_allowed),
    }
}

/// RFC 3339 in UTC with trailing zeros of the fraction trimmed, as Go
/// encodes a `time.Time`.
fn go_time(at: time::OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

/// A partner id as Go encodes an unset `uuid.UUID`: the nil UUID.
fn partner_text(partner: Option<uuid::Uuid>) -> String {
    partner.unwrap_or_default().to_string()
}

/// Now, at the precision every database keeps, so what is answered at
/// creation equals what is read back later.
fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
}

#[async_trait::async_trait]
impl StorjApi for Storj {
    async fn create_user(
        &self,
        caller: StorjAdmin,
        request: CreateUserRequest,
    ) -> Result<CreateUserResponse, StorjError> {
        users::create(self, &caller, request.body).await.map(CreateUserResponse::Ok)
    }

    async fn get_user(&self, _caller: StorjAdmin, request: GetUserRequest) -> Result<GetUserResponse, StorjError> {
        users::details(self, &request.useremail).await.map(GetUserResponse::Ok)
    }

    async fn update_user(
        &self,
        caller: StorjAdmin,
        request: UpdateUserRequest,
    ) -> Result<UpdateUserResponse, StorjError> {
        users::update(self, &caller, &request.useremail, request.body).await.map(|()| UpdateUserResponse::Ok)
    }

    async fn delete_user(
        &self,
        caller: StorjAdmin,
        request: DeleteUserRequest,
    ) -> Result<DeleteUserResponse, StorjError> {
        users::delete(self, &caller, &request.useremail).await.map(|()| DeleteUserResponse::Ok)
    }

    async fn create_coupon(
        &self,
        caller: StorjAdmin,
        request: CreateCouponRequest,
    ) -> Result<CreateCouponResponse, StorjError> {
        coupons::create(self, &caller, request.body).await.map(CreateCouponResponse::Ok)
    }

    async fn get_coupon(
        &self,
        _caller: StorjAdmin,
        request: GetCouponRequest,
    ) -> Result<GetCouponResponse, StorjError> {
        coupons::get(self, &request.couponid).await.map(GetCouponResponse::Ok)
    }

    async fn delete_coupon(
        &self,
        caller: StorjAdmin,
        request: DeleteCouponRequest,
    ) -> Result<DeleteCouponResponse, StorjError> {
        coupons::delete(self, &caller, &request.couponid).await.map(|()| DeleteCouponResponse::Ok)
    }

    async fn create_project(
        &self,
        caller: StorjAdmin,
        request: CreateProjectRequest,
    ) -> Result<CreateProjectResponse, StorjError> {
        projects::create(self, &caller, request.body).await.map(CreateProjectResponse::Ok)
    }

    async fn get_project(
        &self,
        _caller: StorjAdmin,
        request: GetProjectRequest,
    ) -> Result<GetProjectResponse, StorjError> {
        projects::get(self, &request.project).await.map(GetProjectResponse::Ok)
    }

    async fn update_project(
        &self,
        caller: StorjAdmin,
        request: UpdateProjectRequest,
    ) -> Result<UpdateProjectResponse, StorjError> {
        projects::rename(self, &caller, &request.project, request.body).await.map(|()| UpdateProjectResponse::Ok)
    }

    async fn delete_project(
        &self,
        caller: StorjAdmin,
        request: DeleteProjectRequest,
    ) -> Result<DeleteProjectResponse, StorjError> {
        projects::delete(self, &caller, &request.project).await.map(|()| DeleteProjectResponse::Ok)
    }

    async fn get_project_usage(
        &self,
        _caller: StorjAdmin,
        request: GetProjectUsageRequest,
    ) -> Result<GetProjectUsageResponse, StorjError> {
        projects::usage(self, &request.project).await.map(GetProjectUsageResponse::Ok)
    }

    async fn get_project_limit(
        &self,
        _caller: StorjAdmin,
        request: GetProjectLimitRequest,
    ) -> Result<GetProjectLimitResponse, StorjError> {
        limits::get(self, &request.project).await.map(GetProjectLimitResponse::Ok)
    }

    async fn update_project_limit(
        &self,
        caller: StorjAdmin,
        request: UpdateProjectLimitRequest,
    ) -> Result<UpdateProjectLimitResponse, StorjError> {
        limits::update(self, &caller, &request.project, request.body, &request.raw_query)
            .await
            .map(|()| UpdateProjectLimitResponse::Ok)
    }

    async fn update_project_limit_post(
        &self,
        caller: StorjAdmin,
        request: UpdateProjectLimitPostRequest,
    ) -> Result<UpdateProjectLimitPostResponse, StorjError> {
        limits::update(self, &caller, &request.project, request.body, &request.raw_query)
            .await
            .map(|()| UpdateProjectLimitPostResponse::Ok)
    }

    async fn create_api_key(
        &self,
        caller: StorjAdmin,
        request: CreateApiKeyRequest,
    ) -> Result<CreateApiKeyResponse, StorjError> {
        apikeys::create(self, &caller, &request.project, request.body).await.map(CreateApiKeyResponse::Ok)
    }

    async fn delete_api_key_by_name(
        &self,
        caller: StorjAdmin,
        request: DeleteApiKeyByNameRequest,
    ) -> Result<DeleteApiKeyByNameResponse, StorjError> {
        apikeys::delete_by_name(self, &caller, &request.project, &request.name)
            .await
            .map(|()| DeleteApiKeyByNameResponse::Ok)
    }

    async fn delete_api_key(
        &self,
        caller: StorjAdmin,
        request: DeleteApiKeyRequest,
    ) -> Result<DeleteApiKeyResponse, StorjError> {
        apikeys::delete(self, &caller, &request.apikey).await.map(|()| DeleteApiKeyResponse::Ok)
    }
}
