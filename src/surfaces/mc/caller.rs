//! Authentication of every `/api/v1/auth/` operation, as MC's AuthCookie
//! middleware does it: a `Bearer` token, else the `token` cookie, verified
//! against the signing key; the claims are the caller. Only login and
//! API-key tokens authenticate, and only while the account's token
//! generation is the token's (see `sessions`).

use poem::{FromRequest, Request, RequestBody};
use sea_orm::DatabaseConnection;

use super::errors::McError;
use super::sessions;
use super::token::{Claims, SigningKey, TokenError, go_duration, now_unix};

/// The signing key and the database the sessions are checked against,
/// shared with the routes through request data.
#[derive(Clone)]
pub struct Keys {
    pub key: SigningKey,
    pub db: DatabaseConnection,
}

#[derive(Debug, Clone)]
pub struct McCaller {
    pub claims: Claims,
}

impl McCaller {
    pub fn username(&self) -> &str {
        &self.claims.username
    }

    /// Whose grants the caller acts with: the user, or the API key.
    pub fn subject(&self) -> String {
        match self.claims.is_api_key() {
            true => super::rbac::key_subject(&self.claims.username),
            false => self.claims.username.clone(),
        }
    }
}

/// The presented token: `Authorization: Bearer <jwt>` (MC only reads the
/// header when it is longer than `Bearer` and starts with it), else the
/// `token` cookie.
pub fn presented_token(request: &Request) -> Option<String> {
    if let Some(header) = request.header("authorization")
        && header.len() > 6
        && header.starts_with("Bearer")
    {
        return Some(header.get(7..).unwrap_or("").to_owned());
    }
    crate::wire::cookie(request, "token")
}

fn keys(request: &Request) -> Result<&Keys, McError> {
    request
        .data::<Keys>()
        .ok_or_else(|| McError::internal("Failed to authenticate", "no MC signing key in request data"))
}

fn invalid() -> McError {
    McError::unauthorized("Invalid or expired jwt")
}

/// Checks the request's token without the database: signed by us,
/// unexpired, and a login or API-key token. The claims, or MC's 401.
pub fn authenticate(request: &Request) -> Result<Claims, McError> {
    let Some(token) = presented_token(request) else {
        return Err(McError::unauthorized("No bearer token found"));
    };
    match keys(request)?.key.verify(&token, now_unix()) {
        Ok(claims) if !claims.is_session() => Err(invalid()),
        Ok(claims) if claims.username.is_empty() => Err(McError::unauthorized("Unauthorized")),
        Ok(claims) => Ok(claims),
        Err(TokenError::Expired(by)) => Err(McError::unauthorized(format!("Token is expired by {}", go_duration(by)))),
        Err(TokenError::Invalid) => Err(invalid()),
    }
}

/// [`authenticate`], then the database's word that the session still
/// stands (account there and unlocked, API key not deleted, no password
/// change since).
pub async fn authenticate_session(request: &Request) -> Result<Claims, McError> {
    let claims = authenticate(request)?;
    match sessions::still_valid(&keys(request)?.db, &claims).await? {
        true => Ok(claims),
        false => Err(invalid()),
    }
}

impl<'a> FromRequest<'a> for McCaller {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        authenticate_session(request).await.map(|claims| Self { claims }).map_err(Into::into)
    }
}
