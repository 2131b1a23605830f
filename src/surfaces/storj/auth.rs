//! Storj's admin authentication: the Authorization header must be the
//! admin token, byte for byte. Only the token's SHA-256 is held (a
//! generated token is never stored in the clear), and digests are compared
//! in constant time.

use poem::{FromRequest, Request, RequestBody};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::StorjError;

/// The admin token's SHA-256 (every start has one: configured or generated).
#[derive(Clone, Copy)]
pub struct AdminToken(pub [u8; 32]);

/// The digest a token is held and checked as.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A caller who presented the admin token.
#[derive(Debug, Clone)]
pub struct StorjAdmin;

impl StorjAdmin {
    pub fn actor(&self) -> &'static str {
        "admin-token"
    }
}

/// Storj's check, shared with the answer for unrouted paths (Storj
/// authenticates before routing).
pub fn check(req: &Request) -> Result<StorjAdmin, StorjError> {
    Credentials::of(req).check()
}

/// What the check needs, kept cheaply (shared handles) so that the answer
/// for an unrouted path can be decided after routing has consumed the
/// request.
pub struct Credentials {
    token: Option<AdminToken>,
    presented: Option<poem::http::HeaderValue>,
}

impl Credentials {
    pub fn of(req: &Request) -> Self {
        Self {
            token: req.data::<AdminToken>().copied(),
            presented: req.headers().get(poem::http::header::AUTHORIZATION).cloned(),
        }
    }

    pub fn check(&self) -> Result<StorjAdmin, StorjError> {
        // Only a server set up without its token (no request data) has none.
        let Some(AdminToken(token)) = self.token else {
            return Err(StorjError::forbidden("Authorization not enabled."));
        };
        let presented = self.presented.as_ref().map(|v| v.as_bytes()).unwrap_or_default();
        let presented: [u8; 32] = Sha256::digest(presented).into();
        if bool::from(presented.ct_eq(&token)) { Ok(StorjAdmin) } else { Err(StorjError::forbidden("Forbidden")) }
    }
}

impl<'a> FromRequest<'a> for StorjAdmin {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        check(req).map_err(Into::into)
    }
}
