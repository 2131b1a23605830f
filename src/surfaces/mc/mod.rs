//! The EdgeXR Master Controller API's identity half (`/api/v1`): login
//! and tokens, users, roles and their permissions, organizations and user
//! API keys.

mod alert_receivers;
pub mod apikeys;
pub mod body;
pub mod caller;
pub mod controllers;
pub mod errors;
pub mod events;
mod federation;
mod login;
pub mod mail;
mod orgs;
pub mod partner;
pub mod pool_access;
pub mod ratelimit;
pub mod rbac;
pub mod regional;
mod roles;
mod sessions;
mod store;
pub mod strength;
pub mod token;
pub mod totp;
mod users;
pub mod ws;

/// Generated from `openapi/mc.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/mc.rs"));
}

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use errors::McError;
use std::result::Result;
use token::{Claims, SigningKey};
pub use users::ensure_superuser;

use crate::db::audited::{Audited, Change};

pub const SPEC_YAML: &str = include_str!("../../../openapi/mc.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/mc.json"));
pub const PATH_PREFIX: &str = "/api/v1";

/// How long tokens live (MC's defaults).
const LOGIN_TOKEN_HOURS: i64 = 24;
const API_KEY_TOKEN_HOURS: i64 = 4;
const VERIFY_TOKEN_HOURS: i64 = 24;
const RESET_TOKEN_HOURS: i64 = 1;

#[derive(Clone)]
pub struct Settings {
    pub verify_email: bool,
    /// The wait before answering a failed login; also the shortest lockout.
    pub bad_auth_delay: Duration,
    /// The superuser, who cannot be deleted.
    pub superuser: String,
    /// Seals federation partners' client keys (MC kept them in Vault).
    pub secrets: crate::sealing::Sealer,
    /// The URL partners reach this server by (no trailing slash).
    pub public_url: String,
    /// The URL of the partner API (`public_url`, or the federation
    /// listener's when it has an address of its own).
    pub federation_url: String,
}

pub struct Mc {
    db: DatabaseConnection,
    audited: Audited,
    key: SigningKey,
    settings: Settings,
    mailer: Arc<dyn mail::Mailer>,
    /// Password checks of one user take turns (striped by name).
    login_turns: Vec<Arc<tokio::sync::Mutex<()>>>,
}

const LOGIN_TURN_STRIPES: usize = 64;

impl Mc {
    pub fn new(db: DatabaseConnection, key: SigningKey, settings: Settings, mailer: Arc<dyn mail::Mailer>) -> Self {
        let login_turns = (0..LOGIN_TURN_STRIPES).map(|_| Arc::new(tokio::sync::Mutex::new(()))).collect();
        Self { audited: Audited::new(db.clone(), "mc"), db, key, settings, mailer, login_turns }
    }

    /// Waits for this user's turn to check a password.
    async fn login_turn(&self, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        store::name_key(name).hash(&mut hasher);
        let stripe = (hasher.finish() % LOGIN_TURN_STRIPES as u64) as usize;
        self.login_turns[stripe % self.login_turns.len()].clone().lock_owned().await
    }

    /// MC answers a failed authentication only after a pause.
    async fn bad_auth_pause(&self) {
        tokio::time::sleep(self.settings.bad_auth_delay).await;
    }

    fn sign(&self, claims: Claims) -> String {
        self.key.sign(&claims)
    }

    async fn rights(&self, subject: &str) -> Result<rbac::Rights, McError> {
        Ok(rbac::Rights::load(&self.db, subject).await?)
    }

    async fn send_mail(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        self.mailer.send(mail::Mail { to: to.to_owned(), subject: subject.to_owned(), body }).await
    }
}

/// The spec's paths, read once (every MC request asks, for the rate limit).
static SPEC_PATHS: std::sync::LazyLock<std::collections::HashSet<String>> = std::sync::LazyLock::new(|| {
    serde_json::from_str::<serde_json::Value>(SPEC_JSON)
        .ok()
        .and_then(|spec| {
            spec.get("paths").and_then(|paths| paths.as_object()).map(|paths| paths.keys().cloned().collect())
        })
        .unwrap_or_default()
});

fn is_spec_path(path: &str) -> bool {
    SPEC_PATHS.contains(path)
}

/// For a path no route matched: MC's AuthCookie runs first on known
/// `/auth/` paths (so no token answers 401 before a 405).
pub fn unmatched_auth(request: &poem::Request) -> Option<McError> {
    let path = request.uri().path();
    let known = is_spec_path(path);
    (known && path.contains("/auth/")).then(|| caller::authenticate(request).err()).flatten()
}

/// The rate limiter, shared with the routes through request data; absent
/// when STEWARD_MC_RATE_LIMIT is off.
#[derive(Clone)]
pub struct RateLimits(pub Arc<ratelimit::Limiter>);

/// MC's RateLimit middleware, after its AuthCookie: callers with a valid
/// token are limited as users, others by their address; a request with a
/// bad token is left to the 401 it gets anyway. Unknown paths are not
/// limited (echo answers them before any middleware).
pub async fn rate_limited<E: poem::Endpoint>(next: Arc<E>, request: poem::Request) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    if let Some(RateLimits(limiter)) = request.data::<RateLimits>() {
        let route = request.uri().path();
        let known = is_spec_path(route);
        let claims = route.contains("/auth/").then(|| caller::authenticate(&request).ok()).flatten();
        let address = request.remote_addr().as_socket_addr().map(|addr| addr.ip().to_string()).unwrap_or_default();
        let caller = match (&claims, route.contains("/auth/")) {
            (Some(claims), _) => Some(ratelimit::Caller::User(&claims.username)),
            (None, false) => Some(ratelimit::Caller::Address(&address)),
            (None, true) => None,
        };
        if let Some(caller) = caller.filter(|_| known)
            && let Some(refusal) = limiter.check(route, caller)
        {
            return Ok(McError::new(poem::http::StatusCode::TOO_MANY_REQUESTS, refusal).into_response());
        }
    }
    next.call(request).await.map(poem::IntoResponse::into_response)
}

/// echo's answers for an unknown path or method.
pub fn echo_unmatched(method_not_allowed: bool) -> poem::Response {
    let (status, text) = match method_not_allowed {
        true => (poem::http::StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        false => (poem::http::StatusCode::NOT_FOUND, "Not Found"),
    };
    errors::go_json(status, &serde_json::json!({ "message": text }))
}

fn change<'a>(caller: &'a str, action: &'a str, target: &'a str) -> Change<'a> {
    Change { actor: caller, action, target }
}

/// MC's `{"message"}` success body.
fn message(text: &str) -> api::Result {
    api::Result { message: Some(errors::capitalized(text)), code: None }
}
