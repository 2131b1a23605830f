//! Who calls the federation API: an MC token (`Authorization: Bearer`, or
//! MC's `token` cookie), checked as MC's AuthCookie checks it, with MC's
//! 401 words in the federation wire. The federation is found from the
//! token's API-key user (`provider::<ID>`) by the operations themselves.

use poem::{FromRequest, Request, RequestBody};
use sea_orm::EntityTrait;

use super::super::caller::{Keys, presented_token};
use super::super::token::{Claims, TokenError, go_duration, now_unix};
use super::errors::FedError;
use crate::db::entities::mc_api_key;

#[derive(Debug, Clone)]
pub struct PartnerCaller {
    pub claims: Claims,
}

fn unauthorized(message: impl Into<String>) -> FedError {
    FedError::new(poem::http::StatusCode::UNAUTHORIZED, message)
}

async fn authenticate(request: &Request) -> Result<Claims, FedError> {
    let Some(token) = presented_token(request) else {
        return Err(unauthorized("no bearer token found"));
    };
    let keys = request
        .data::<Keys>()
        .ok_or_else(|| FedError::internal("Failed to authenticate", "no MC signing key in request data"))?;
    let claims = match keys.key.verify(&token, now_unix()) {
        Ok(claims) if claims.is_session() => claims,
        Ok(_) | Err(TokenError::Invalid) => return Err(unauthorized("invalid or expired jwt")),
        Err(TokenError::Expired(by)) => return Err(unauthorized(format!("Token is expired by {}", go_duration(by)))),
    };
    // A deleted key's tokens stop at once (MC honoured them until they
    // expired); a key regenerated keeps its ID, and its tokens.
    if claims.is_api_key() {
        let key = mc_api_key::Entity::find_by_id(claims.username.clone()).one(&keys.db).await?;
        if key.is_none_or(|key| key.username != claims.apikeyusername) {
            return Err(unauthorized("invalid or expired jwt"));
        }
    }
    Ok(claims)
}

impl<'a> FromRequest<'a> for PartnerCaller {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        authenticate(request).await.map(|claims| Self { claims }).map_err(Into::into)
    }
}

impl PartnerCaller {
    /// `ParseFedKeyUser` of the token's API-key user (`<kind>::<ID>`): the
    /// federation's ID, which must be of `kind` (`provider`, `consumer`).
    pub fn federation_id(&self, kind: &str) -> Result<i64, FedError> {
        let user = self.claims.apikeyusername.as_str();
        let Some((owner, id)) = user.split_once("::") else {
            return Err(FedError::bad_request("unable to split into two by ::"));
        };
        let id: i64 = id.parse().map_err(|e| {
            FedError::bad_request(format!("failed to parse ID of fedkey username {user}: strconv.ParseUint: {e}"))
        })?;
        if owner != kind {
            return Err(FedError::bad_request(format!("expected owner {kind} but was {owner}")));
        }
        Ok(id)
    }
}
