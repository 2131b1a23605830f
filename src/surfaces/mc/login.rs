//! `POST /api/v1/login`: a user name or email with its password (and a
//! one-time code when two-factor authentication is on), or an API key id
//! with its key. Failed passwords count on the user row, so every replica
//! over one database sees the same lockout.

use poem::http::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::api::UserLogin;
use super::errors::{McError, go_json};
use super::token::{self, Claims, KEY_VERSION, now_unix};
use super::{Mc, store, strength, totp};
use crate::db::entities::{mc_api_key, mc_user};

const THRESHOLD_1: i64 = 3;
const LOCK_1_SECONDS: i64 = 60;
const THRESHOLD_2: i64 = 10;
const LOCK_2_SECONDS: i64 = 300;

/// The lockout still running after `failed` failures, the last at
/// `last_failed`; `None` when a login may be tried.
pub fn lockout_remaining(
    failed: i64,
    last_failed: Option<time::OffsetDateTime>,
    now: time::OffsetDateTime,
    shortest: std::time::Duration,
) -> Option<time::Duration> {
    let last_failed = last_failed?;
    let lock = match failed {
        0 => return None,
        n if n >= THRESHOLD_2 => time::Duration::seconds(LOCK_2_SECONDS),
        n if n >= THRESHOLD_1 => time::Duration::seconds(LOCK_1_SECONDS),
        _ => time::Duration::try_from(shortest).unwrap_or(time::Duration::ZERO),
    };
    let elapsed = now - last_failed;
    (elapsed < lock).then(|| lock - elapsed)
}

fn lockout_message(failed: i64, remaining: time::Duration) -> String {
    let seconds = (remaining.as_seconds_f64()).round() as i64;
    format!(
        "Login temporarily disabled due to {failed} failed login attempts, please try again in {}",
        token::go_duration(seconds)
    )
}

pub fn api_key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub async fn login(mc: &Mc, body: UserLogin) -> Result<poem::Response, McError> {
    let text = |value: Option<String>| value.unwrap_or_default();
    let (mut username, mut password) = (text(body.username), text(body.password));
    let (key_id, key) = (text(body.apikeyid), text(body.apikey));
    if !key_id.is_empty() {
        if !username.is_empty() {
            return Err(McError::bad_request(
                "Cannot specify both api key ID and username, please just use the username field",
            ));
        }
        username = key_id;
    }
    if !key.is_empty() {
        if !password.is_empty() {
            return Err(McError::bad_request(
                "Cannot specify both api key and password, please just use the password field",
            ));
        }
        password = key;
    }
    if username.is_empty() {
        return Err(McError::bad_request("Username not specified"));
    }
    if password.is_empty() {
        return Err(McError::bad_request("Password not specified"));
    }
    let api_key =
        mc_api_key::Entity::find().filter(mc_api_key::Column::Id.eq(username.to_lowercase())).one(&mc.db).await?;
    let (claims, admin) = match api_key {
        Some(api_key) => {
            let claims = api_key_login(mc, api_key, &password).await?;
            let admin = mc.rights(&claims.apikeyusername).await?.is_admin_manager();
            (claims, admin)
        }
        None => password_login(mc, &username, &password, &text(body.totp)).await?,
    };
    let token = mc.sign(claims.clone());
    let body = if admin { json!({ "admin": true, "token": token }) } else { json!({ "token": token }) };
    let mut response = go_json(StatusCode::OK, &body);
    response.headers_mut().insert(
        poem::http::header::SET_COOKIE,
        cookie(&token, claims.exp).parse().map_err(|e| McError::internal("Failed to generate cookie", e))?,
    );
    Ok(response)
}

/// MC's cookie: HttpOnly, Secure, SameSite=Strict, expiring with the token.
fn cookie(token: &str, exp: i64) -> String {
    let expires = time::OffsetDateTime::from_unix_timestamp(exp)
        .ok()
        .and_then(|at| at.format(&time::format_description::well_known::Rfc2822).ok())
        .map(|text| text.replace("+0000", "GMT"))
        .unwrap_or_default();
    format!("token={token}; Path=/; Expires={expires}; HttpOnly; Secure; SameSite=Strict")
}

async fn api_key_login(mc: &Mc, api_key: mc_api_key::Model, key: &str) -> Result<Claims, McError> {
    let matches: bool = api_key_hash(key).as_bytes().ct_eq(api_key.key_hash.as_bytes()).into();
    let owner = store::user_by_name(&mc.db, &api_key.username).await?;
    let Some(owner) = owner.filter(|_| matches) else {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid ApiKey or ApiKeyId"));
    };
    check_account(mc, &owner)?;
    let now = now_unix();
    Ok(Claims {
        exp: now + super::API_KEY_TOKEN_HOURS * 3600,
        iat: now,
        username: api_key.id,
        email: owner.email,
        kid: KEY_VERSION,
        firstiat: now,
        authtype: token::API_KEY_AUTH.to_owned(),
        apikeyusername: owner.name,
        objectrestriction: String::new(),
    })
}

/// Refusals that apply once the credentials are right.
fn check_account(mc: &Mc, user: &mc_user::Model) -> Result<(), McError> {
    if user.locked {
        return Err(McError::bad_request("Account is locked, please contact Edge Cloud support"));
    }
    if mc.settings.verify_email && !user.email_verified {
        return Err(McError::bad_request("Email not verified yet"));
    }
    Ok(())
}

/// Counts a failed password on the row itself, so concurrent failures on
/// several replicas all count.
pub async fn count_failure(mc: &Mc, user: &mc_user::Model) -> Result<(), McError> {
    mc_user::Entity::update_many()
        .col_expr(mc_user::Column::FailedLogins, Expr::col(mc_user::Column::FailedLogins).add(Expr::value(1)))
        .col_expr(mc_user::Column::LastFailedLogin, Expr::value(store::now()))
        .filter(mc_user::Column::Name.eq(&user.name))
        .exec(&mc.db)
        .await?;
    Ok(())
}

async fn password_login(mc: &Mc, username: &str, password: &str, code: &str) -> Result<(Claims, bool), McError> {
    let Some(user) = store::user_by_name_or_email(&mc.db, username).await? else {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid username or password"));
    };
    if let Some(remaining) =
        lockout_remaining(user.failed_logins, user.last_failed_login, store::now(), mc.settings.bad_auth_delay)
    {
        return Err(McError::bad_request(lockout_message(user.failed_logins, remaining)));
    }
    if !crate::auth::password::verify(password.to_owned(), user.passhash.clone()).await? {
        count_failure(mc, &user).await?;
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid username or password"));
    }
    let mut row = user.clone().into_active_model();
    row.failed_logins = Set(0);
    row.last_login = Set(Some(store::now()));
    row.updated_at = Set(store::now());
    let crack_seconds = match user.pass_crack_time_sec {
        0.0 => strength::crack_seconds(password),
        known => known,
    };
    row.pass_crack_time_sec = Set(crack_seconds);
    row.update(&mc.db).await?;
    check_account(mc, &user)?;
    let admin = mc.rights(&user.name).await?.is_admin_manager();
    if admin && crack_seconds < strength::ADMIN_MIN_CRACK_SECONDS {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Existing password for Admin too weak, please update first"));
    }
    if user.enable_totp && !user.totp_shared_key.is_empty() {
        check_code(mc, &user, code)?;
    }
    let now = now_unix();
    let claims = Claims {
        exp: now + super::LOGIN_TOKEN_HOURS * 3600,
        iat: now,
        username: user.name.clone(),
        email: user.email.clone(),
        kid: KEY_VERSION,
        firstiat: now,
        authtype: token::PASSWORD_AUTH.to_owned(),
        apikeyusername: String::new(),
        objectrestriction: String::new(),
    };
    Ok((claims, admin))
}

fn check_code(mc: &Mc, user: &mc_user::Model, code: &str) -> Result<(), McError> {
    let now = now_unix();
    if code.is_empty() {
        let current = totp::current_code(&user.totp_shared_key, now).unwrap_or_default();
        // MC mails the code and still answers 511 if the mail fails.
        if let Err(e) = mc.send_mail(&user.email, "One-time password", format!("Your one-time password is {current}")) {
            tracing::warn!(surface = "mc", error = %e, "one-time password mail not sent");
        }
        return Err(McError::new(
            StatusCode::NETWORK_AUTHENTICATION_REQUIRED,
            "Missing OTP\nPlease use two factor authenticator app on your phone to get OTP. We have also sent OTP to your registered email address",
        ));
    }
    if !totp::verify(&user.totp_shared_key, code, now) {
        return Err(McError::bad_request("Invalid or expired OTP. Please login again to receive another OTP"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn lockout_follows_mcs_thresholds() {
        let last = datetime!(2026-11-23 10:00:00 UTC);
        let delay = std::time::Duration::from_secs(3);
        let at = |seconds: i64| last + time::Duration::seconds(seconds);
        assert_eq!(lockout_remaining(0, Some(last), at(0), delay), None);
        assert_eq!(lockout_remaining(1, Some(last), at(1), delay), Some(time::Duration::seconds(2)));
        assert_eq!(lockout_remaining(2, Some(last), at(3), delay), None);
        assert_eq!(lockout_remaining(3, Some(last), at(3), delay), Some(time::Duration::seconds(57)));
        assert_eq!(lockout_remaining(3, Some(last), at(60), delay), None);
        assert_eq!(lockout_remaining(10, Some(last), at(7), delay), Some(time::Duration::seconds(293)));
        assert_eq!(
            lockout_message(10, time::Duration::seconds(293)),
            "Login temporarily disabled due to 10 failed login attempts, please try again in 4m53s"
        );
    }

    #[test]
    fn the_cookie_is_mcs() {
        assert_eq!(
            cookie("abc", 0),
            "token=abc; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict"
        );
    }
}
