//! Logging in and out, and the users API (`auth/users.go`): list, get,
//! update and create, under the AuthLevel rules of `rules.rs`.

use poem::http::StatusCode;
use sea_orm::TransactionTrait;

use super::Lighthouse;
use super::api::*;
use super::errors::{self, LighthouseError};
use super::rules::{self, Party, Refusal};
use super::session::{self, LighthouseCaller};
use super::store::{self, Kind};
use crate::auth::password::{self, HashError};

fn hash_error(error: HashError) -> LighthouseError {
    match error {
        HashError::Busy => LighthouseError::busy(),
        HashError::Failed(reason) => LighthouseError::internal("auth", reason),
    }
}

fn db(error: sea_orm::DbErr) -> LighthouseError {
    LighthouseError::db("users", error)
}

fn party(caller: &LighthouseCaller) -> Party<'_> {
    Party { email: &caller.email, auth_level: caller.auth_level }
}

/// A stand-in hash, so an unknown email costs the time a wrong password
/// does.
static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

pub async fn login(lighthouse: &Lighthouse, form: LoginForm) -> Result<LoginResponse, LighthouseError> {
    let email = form.email.unwrap_or_default();
    let given = form.password.unwrap_or_default();
    let found = store::user(&lighthouse.db, &email).await.map_err(|e| LighthouseError::db("auth", e))?;
    let matches = match &found {
        Some(user) => password::verify(given, user.password_hash.clone()).await.map_err(hash_error)?,
        None => {
            let decoy =
                DECOY.get_or_try_init(|| password::hash("decoy password".to_owned())).await.map_err(hash_error)?;
            password::verify(given, decoy.clone()).await.map_err(hash_error)?;
            false
        }
    };
    let Some(user) = found.filter(|_| matches) else {
        return Err(LighthouseError::bad_login());
    };
    let value = session::start(&lighthouse.sessions, &user.email).await.map_err(|e| LighthouseError::db("auth", e))?;
    let cookie = session::set_cookie(&value, lighthouse.sessions.lifetime);
    Ok(LoginResponse::Prerendered(
        poem::Response::builder().status(StatusCode::OK).header(poem::http::header::SET_COOKIE, cookie).finish(),
    ))
}

/// The session itself is ended by `session::edges`, which sees the cookie.
pub fn logout() -> LogoutResponse {
    LogoutResponse::Prerendered(
        poem::Response::builder()
            .status(StatusCode::OK)
            .header(poem::http::header::SET_COOKIE, session::clear_cookie())
            .finish(),
    )
}

pub async fn list(lighthouse: &Lighthouse, caller: &LighthouseCaller) -> Result<EmailList, LighthouseError> {
    let users = store::users(&lighthouse.db).await.map_err(db)?;
    Ok(users
        .into_iter()
        .filter(|user| rules::sees(party(caller), Party { email: &user.email, auth_level: user.auth_level }))
        .map(|user| user.email)
        .collect())
}

fn not_found() -> LighthouseError {
    LighthouseError::users(StatusCode::NOT_FOUND, errors::USER_ACCESS)
}

pub async fn get(lighthouse: &Lighthouse, caller: &LighthouseCaller, email: &str) -> Result<UserInfo, LighthouseError> {
    let user = store::user(&lighthouse.db, email).await.map_err(db)?.ok_or_else(not_found)?;
    if !rules::sees(party(caller), Party { email: &user.email, auth_level: user.auth_level }) {
        return Err(not_found());
    }
    let permissions = Permissions {
        applications: store::levels(&lighthouse.db, &user.email, Kind::Applications).await.map_err(db)?,
        beacons: store::levels(&lighthouse.db, &user.email, Kind::Beacons).await.map_err(db)?,
    };
    Ok(UserInfo { email: user.email, auth_level: user.auth_level, permissions })
}

type UserRow = crate::db::entities::lighthouse_user::Model;

/// The caller's row and `email`'s, when the caller sees that user (404
/// otherwise), read through `conn`; with `lock`, both rows locked.
async fn visible_pair(
    conn: &impl sea_orm::ConnectionTrait,
    caller: &LighthouseCaller,
    email: &str,
    lock: bool,
) -> Result<(UserRow, UserRow), LighthouseError> {
    let rows = match lock {
        true => store::users_for_update(conn, &[&caller.email, email]).await.map_err(db)?,
        false => {
            let me = store::user(conn, &caller.email).await.map_err(db)?;
            let target = store::user(conn, email).await.map_err(db)?;
            me.into_iter().chain(target).collect()
        }
    };
    let me = rows.iter().find(|u| u.email == caller.email).ok_or_else(LighthouseError::not_logged_in)?;
    let target = rows.iter().find(|u| u.email == email).ok_or_else(not_found)?;
    let seen = Party { email: &target.email, auth_level: target.auth_level };
    if !rules::sees(Party { email: &me.email, auth_level: me.auth_level }, seen) {
        return Err(not_found());
    }
    Ok((me.clone(), target.clone()))
}

/// The AuthLevel and beacon-level rules on `me` changing `target`, with
/// their beacon levels read through `conn`.
async fn check_rules(
    conn: &impl sea_orm::ConnectionTrait,
    me: &UserRow,
    target: &UserRow,
    change: &UserUpdate,
) -> Result<(), LighthouseError> {
    let caller_beacons = store::levels(conn, &me.email, Kind::Beacons).await.map_err(db)?;
    let target_beacons = store::levels(conn, &target.email, Kind::Beacons).await.map_err(db)?;
    let beacons = change.beacons.clone().unwrap_or_default();
    let checked = rules::check_update(
        Party { email: &me.email, auth_level: me.auth_level },
        &caller_beacons,
        Party { email: &target.email, auth_level: target.auth_level },
        &target_beacons,
        change.auth_level,
        &beacons,
    );
    match checked {
        Err(Refusal::BadRequest) => Err(LighthouseError::users(StatusCode::BAD_REQUEST, errors::USER_NOT_UPDATED)),
        Err(Refusal::Forbidden) => Err(LighthouseError::users(StatusCode::FORBIDDEN, errors::USER_NOT_UPDATED)),
        Ok(()) => Ok(()),
    }
}

pub async fn update(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    email: &str,
    change: crate::wire::Deferred<UserUpdate>,
) -> Result<(), LighthouseError> {
    // As the original: the user must be found and seen before the body is
    // read, so a 404 comes before a malformed body's 400. Refusals come
    // before the hash, so a refused request costs none; the hash is made
    // outside the transaction (it holds no lock), and the checks run again
    // on the locked rows before anything is written. An empty password
    // means "unchanged" (a form left blank), never an empty one.
    let (me, target) = visible_pair(&lighthouse.db, caller, email, false).await?;
    let change = change.map_err(|_| LighthouseError::users(StatusCode::BAD_REQUEST, errors::USER_NOT_UPDATED))?;
    check_rules(&lighthouse.db, &me, &target, &change).await?;
    let hash = match change.password.as_deref().filter(|p| !p.is_empty()) {
        Some(password) => Some(password::hash(password.to_owned()).await.map_err(hash_error)?),
        None => None,
    };
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(db)?;
    let (me, target) = visible_pair(&txn, caller, email, true).await?;
    check_rules(&txn, &me, &target, &change).await?;
    let level = change.auth_level.unwrap_or(target.auth_level);
    let target_email = target.email.clone();
    store::set_user(&txn, target, level, hash).await.map_err(db)?;
    for (beacon, level) in change.beacons.iter().flatten() {
        store::set_level(&txn, &target_email, Kind::Beacons, beacon, *level).await.map_err(db)?;
    }
    store::audit(&txn, &caller.email, "updateUser", &target_email).await.map_err(db)?;
    txn.commit().await.map_err(db)
}

pub async fn create(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    new: crate::wire::Deferred<NewUser>,
) -> Result<(), LighthouseError> {
    if caller.auth_level < rules::CREATE_USER {
        return Err(LighthouseError::users(StatusCode::FORBIDDEN, errors::USER_ACCESS));
    }
    let new = new.map_err(|reason| LighthouseError::users(StatusCode::BAD_REQUEST, &reason.message))?;
    let email = new.email.unwrap_or_default();
    let password = new.password.unwrap_or_default();
    if email.is_empty() || password.is_empty() {
        return Err(LighthouseError::users(StatusCode::BAD_REQUEST, "users: email and password are required"));
    }
    let hash = password::hash(password).await.map_err(hash_error)?;
    let txn = lighthouse.db.begin().await.map_err(db)?;
    let inserted = store::insert_user(&txn, &email, hash, rules::ACCESS).await;
    match inserted {
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(LighthouseError::users(StatusCode::BAD_REQUEST, errors::KEY_EXISTS));
        }
        other => other.map_err(db)?,
    }
    store::audit(&txn, &caller.email, "createUser", &email).await.map_err(db)?;
    txn.commit().await.map_err(db)
}

/// Creates the bootstrap user with AuthLevel 10 unless it exists; whether
/// this call created it.
pub async fn ensure_admin(db: &sea_orm::DatabaseConnection, email: &str, password: &str) -> Result<bool, String> {
    if store::user(db, email).await.map_err(|e| e.to_string())?.is_some() {
        return Ok(false);
    }
    let hash = password::hash(password.to_owned()).await.map_err(|e| e.to_string())?;
    match store::insert_user(db, email, hash, ADMIN_AUTH_LEVEL).await {
        Ok(()) => Ok(true),
        // Another replica created it first.
        Err(error) if crate::db::is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error.to_string()),
    }
}

pub const ADMIN_AUTH_LEVEL: i64 = 10;
