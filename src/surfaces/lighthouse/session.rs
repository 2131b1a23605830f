//! Lighthouse sessions: the `auth` cookie the original's gorilla session
//! store set, here an opaque random value whose SHA-256 is kept in the
//! database with an expiry, so sessions survive restarts, work across
//! replicas, and logout really ends them.

use poem::{FromRequest, Request, RequestBody};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use super::errors::LighthouseError;
use super::store;
use crate::db::entities::lighthouse_session as session;

pub const COOKIE: &str = "auth";

/// What the caller extractor needs, attached to the application.
#[derive(Clone)]
pub struct Sessions {
    pub db: DatabaseConnection,
    pub lifetime: std::time::Duration,
}

/// The logged-in user making a request.
#[derive(Debug, Clone)]
pub struct LighthouseCaller {
    pub email: String,
    pub auth_level: i64,
}

fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// The `auth` cookie's value among the request's cookies, if any.
pub fn presented(req: &Request) -> Option<String> {
    crate::wire::cookie(req, COOKIE)
}

impl<'a> FromRequest<'a> for LighthouseCaller {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let sessions = req.data::<Sessions>().ok_or_else(|| LighthouseError::internal("auth", "no sessions"))?;
        let value = presented(req).ok_or_else(LighthouseError::not_logged_in)?;
        let found = live(&sessions.db, &value)
            .await
            .map_err(|e| LighthouseError::db("auth", e))?
            .ok_or_else(LighthouseError::not_logged_in)?;
        // A user is never deleted, but a session must not outlive one.
        let user = store::user(&sessions.db, &found.email)
            .await
            .map_err(|e| LighthouseError::db("auth", e))?
            .ok_or_else(LighthouseError::not_logged_in)?;
        Ok(Self { email: user.email, auth_level: user.auth_level })
    }
}

/// Starts a session for `email`: the cookie value to send, kept only as
/// its digest. Expired sessions are swept on the way.
pub async fn start(sessions: &Sessions, email: &str) -> Result<String, sea_orm::DbErr> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| sea_orm::DbErr::Custom(format!("no randomness: {e}")))?;
    let value = hex::encode(bytes);
    let now = time::OffsetDateTime::now_utc();
    session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(now)).exec(&sessions.db).await?;
    session::ActiveModel {
        token_hash: Set(digest(&value)),
        email: Set(email.to_owned()),
        expires_at: Set(now + sessions.lifetime),
    }
    .insert(&sessions.db)
    .await?;
    Ok(value)
}

/// The session this cookie value opens, if it has not expired.
pub async fn live(db: &DatabaseConnection, value: &str) -> Result<Option<session::Model>, sea_orm::DbErr> {
    let now = time::OffsetDateTime::now_utc();
    session::Entity::find_by_id(digest(value)).filter(session::Column::ExpiresAt.gt(now)).one(db).await
}

/// Ends the session with this cookie value, if it is one.
pub async fn end(db: &DatabaseConnection, value: &str) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_by_id(digest(value)).exec(db).await.map(|_| ())
}

pub fn set_cookie(value: &str, lifetime: std::time::Duration) -> String {
    format!("{COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax", lifetime.as_secs())
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_cookie_is_found_among_others() {
        let req = Request::builder().header("cookie", "a=1; auth=abc; b=2").finish();
        assert_eq!(presented(&req).as_deref(), Some("abc"));
        let req = Request::builder().header("cookie", "author=x").finish();
        assert_eq!(presented(&req), None);
    }
}
