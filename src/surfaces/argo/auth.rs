//! ARGO's admin check, in its order: the `x-api-key` must be an admin key
//! (401), its role must be allowed the route (403), and `Accept` must be
//! exactly JSON or XML (406).

use poem::http::Method;
use poem::{FromRequest, Request, RequestBody};
use sea_orm::{DatabaseConnection, EntityTrait};
use sha2::{Digest, Sha256};

use super::errors::ArgoError;
use crate::db::entities::argo_admin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    SuperAdmin,
    Restricted,
    Ui,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "super_admin" => Some(Self::SuperAdmin),
            "super_admin_restricted" => Some(Self::Restricted),
            "super_admin_ui" => Some(Self::Ui),
            _ => None,
        }
    }
}

/// ARGO's routes, named as its role table names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    List,
    Get,
    Create,
    Update,
    Delete,
    GetStatus,
    UpdateStatus,
    ListUsers,
    GetUser,
    CreateUser,
    UpdateUser,
    DeleteUser,
    RenewKey,
    UserById,
    Unknown,
}

/// ARGO's default role table (the tenant list, user lookup and status for
/// every admin role; a tenant's own page for super_admin_ui too;
/// everything else for super_admin only).
pub fn allowed(route: Route, role: Role) -> bool {
    match route {
        Route::List | Route::UserById | Route::GetStatus => true,
        Route::Get => matches!(role, Role::SuperAdmin | Role::Ui),
        _ => role == Role::SuperAdmin,
    }
}

/// The path's segments below `/api/v2/admin/`.
pub fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix("/api/v2/admin/").unwrap_or("").split('/').collect()
}

pub fn route_of(method: &Method, path: &str) -> Route {
    match (method.as_str(), segments(path).as_slice()) {
        ("GET", ["tenants"]) => Route::List,
        ("POST", ["tenants"]) => Route::Create,
        ("GET", ["tenants", _]) => Route::Get,
        ("PUT", ["tenants", _]) => Route::Update,
        ("DELETE", ["tenants", _]) => Route::Delete,
        ("GET", ["tenants", _, "status"]) => Route::GetStatus,
        ("PUT", ["tenants", _, "status"]) => Route::UpdateStatus,
        ("GET", ["tenants", _, "users"]) => Route::ListUsers,
        ("POST", ["tenants", _, "users"]) => Route::CreateUser,
        ("GET", ["tenants", _, "users", _]) => Route::GetUser,
        ("PUT", ["tenants", _, "users", _]) => Route::UpdateUser,
        ("DELETE", ["tenants", _, "users", _]) => Route::DeleteUser,
        ("POST", ["tenants", _, "users", _, "renew_api_key"]) => Route::RenewKey,
        ("GET", ["users:byID", _]) => Route::UserById,
        _ => Route::Unknown,
    }
}

/// The database admin keys are looked up in.
#[derive(Clone)]
pub struct AdminKeys(pub DatabaseConnection);

pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[derive(Debug, Clone)]
pub struct ArgoCaller {
    pub role: Role,
    /// The request's Host, for the `links.self` ARGO builds.
    pub host: String,
}

impl ArgoCaller {
    pub fn actor(&self) -> &'static str {
        match self.role {
            Role::SuperAdmin => "super_admin",
            Role::Restricted => "super_admin_restricted",
            Role::Ui => "super_admin_ui",
        }
    }
}

impl<'a> FromRequest<'a> for ArgoCaller {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let accept = req.headers().get(poem::http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        let xml = accept == "application/xml";
        let route = route_of(req.method(), req.uri().path());
        if route == Route::Unknown {
            return Err(ArgoError::unrouted().into());
        }
        let keys = req.data::<AdminKeys>().ok_or_else(|| ArgoError::internal("admin keys not configured"))?;
        let presented = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or("");
        let admin = argo_admin::Entity::find_by_id(key_hash(presented)).one(&keys.0).await.map_err(ArgoError::from)?;
        let role = admin.and_then(|a| Role::parse(&a.role)).ok_or_else(|| ArgoError::unauthorized(xml))?;
        if !allowed(route, role) {
            return Err(ArgoError::forbidden(xml).into());
        }
        if accept != "application/json" && !xml {
            return Err(ArgoError::not_acceptable().into());
        }
        let host = req.headers().get(poem::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        Ok(Self { role, host })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_roles_follow_argo() {
        assert_eq!(route_of(&Method::GET, "/api/v2/admin/users:byID/x"), Route::UserById);
        assert_eq!(route_of(&Method::POST, "/api/v2/admin/tenants/t/users/u/renew_api_key"), Route::RenewKey);
        assert!(allowed(Route::List, Role::Restricted));
        assert!(!allowed(Route::Get, Role::Restricted));
        assert!(allowed(Route::Get, Role::Ui));
        assert!(!allowed(Route::Create, Role::Ui));
        assert!(allowed(Route::DeleteUser, Role::SuperAdmin));
    }
}
