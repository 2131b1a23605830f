//! Storj's admin authentication: the Authorization header must be the
//! configured token, byte for byte.

use std::sync::Arc;

use poem::{FromRequest, Request, RequestBody};
use subtle::ConstantTimeEq;

use super::errors::StorjError;

/// The configured token; `None` refuses every request.
#[derive(Clone)]
pub struct AdminToken(pub Arc<Option<String>>);

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
    let configured = req.data::<AdminToken>().and_then(|token| token.0.as_deref());
    let Some(token) = configured else {
        return Err(StorjError::forbidden("Authorization not enabled."));
    };
    let presented = req.headers().get(poem::http::header::AUTHORIZATION).map(|v| v.as_bytes()).unwrap_or_default();
    if bool::from(presented.ct_eq(token.as_bytes())) { Ok(StorjAdmin) } else { Err(StorjError::forbidden("Forbidden")) }
}

impl<'a> FromRequest<'a> for StorjAdmin {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        check(req).map_err(Into::into)
    }
}
