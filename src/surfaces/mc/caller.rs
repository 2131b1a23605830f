//! Authentication of every `/api/v1/auth/` operation, as MC's AuthCookie
//! middleware does it: a `Bearer` token, else the `token` cookie, verified
//! against the signing key; the claims are the caller.

use poem::{FromRequest, Request, RequestBody};

use super::errors::McError;
use super::token::{Claims, SigningKey, TokenError, go_duration, now_unix};

/// The signing key, shared with the routes through request data.
#[derive(Clone)]
pub struct Keys(pub SigningKey);

#[derive(Debug, Clone)]
pub struct McCaller {
    pub claims: Claims,
}

impl McCaller {
    pub fn username(&self) -> &str {
        &self.claims.username
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
    cookie(request, "token")
}

fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Checks the request's token; the claims, or MC's 401.
pub fn authenticate(request: &Request) -> Result<Claims, McError> {
    let Some(token) = presented_token(request) else {
        return Err(McError::unauthorized("No bearer token found"));
    };
    let Some(Keys(key)) = request.data::<Keys>() else {
        return Err(McError::internal("Failed to authenticate", "no MC signing key in request data"));
    };
    match key.verify(&token, now_unix()) {
        Ok(claims) if claims.username.is_empty() => Err(McError::unauthorized("Unauthorized")),
        Ok(claims) => Ok(claims),
        Err(TokenError::Expired(by)) => Err(McError::unauthorized(format!("Token is expired by {}", go_duration(by)))),
        Err(TokenError::Invalid) => Err(McError::unauthorized("Invalid or expired jwt")),
    }
}

impl<'a> FromRequest<'a> for McCaller {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        authenticate(request).map(|claims| Self { claims }).map_err(Into::into)
    }
}
