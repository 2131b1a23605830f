//! `POST /api/v1/login`: a user name or email with its password (and a
//! one-time code when two-factor authentication is on), or an API key id
//! with its key. Failed passwords count on the user row, so every replica
//! over one database sees the same lockout, and each password check is
//! counted as a failure *before* it runs, in the same conditional UPDATE
//! that checks the lockout: parallel guesses cannot all slip past the check
//! before any of them is counted. A correct password (and one-time code)
//! then takes its count back.

use super::api;
use poem::http::StatusCode;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

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

pub(super) async fn api_key_login(mc: &Mc, api_key: mc_api_key::Model, key: &str) -> Result<Claims, McError> {
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
        generation: owner.token_generation,
        ..Claims::default()
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

/// One password check against a user row: counted as a failure when it
/// starts, taken back when the password (and code) prove right. Checks of
/// one user take turns on this instance (so one user's own parallel logins
/// see each other's outcome, never each other's pending count); the count
/// in the row covers checks on other replicas.
pub struct Attempt {
    name: String,
    at: OffsetDateTime,
    previous_failure: Option<OffsetDateTime>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Attempt {
    /// Starts a check unless MC's lockout holds; the lockout's refusal
    /// otherwise. The shortest pause is read from the row as MC reads it;
    /// the thresholds are checked and the attempt counted in one statement.
    pub async fn start(mc: &Mc, user: &mc_user::Model) -> Result<Self, McError> {
        let turn = mc.login_turn(&user.name).await;
        // The row as the previous turn left it.
        let Some(user) = store::user_by_name(&mc.db, &user.name).await? else {
            return Err(McError::bad_request("Invalid username or password"));
        };
        let at = store::now();
        if let Some(remaining) =
            lockout_remaining(user.failed_logins, user.last_failed_login, at, mc.settings.bad_auth_delay)
        {
            return Err(McError::bad_request(lockout_message(user.failed_logins, remaining)));
        }
        let locked = |threshold: i64, seconds: i64| {
            Condition::all()
                .add(mc_user::Column::FailedLogins.gte(threshold))
                .add(mc_user::Column::LastFailedLogin.is_not_null())
                .add(mc_user::Column::LastFailedLogin.gt(at - time::Duration::seconds(seconds)))
        };
        let counted = mc_user::Entity::update_many()
            .col_expr(mc_user::Column::FailedLogins, Expr::col(mc_user::Column::FailedLogins).add(1))
            .col_expr(mc_user::Column::LastFailedLogin, Expr::value(at))
            .filter(mc_user::Column::Name.eq(&user.name))
            .filter(
                Condition::any()
                    .add(locked(THRESHOLD_2, LOCK_2_SECONDS))
                    .add(locked(THRESHOLD_1, LOCK_1_SECONDS))
                    .not(),
            )
            .exec(&mc.db)
            .await?;
        if counted.rows_affected == 1 {
            return Ok(Self { name: user.name.clone(), at, previous_failure: user.last_failed_login, _turn: turn });
        }
        // Locked out meanwhile by parallel attempts (or the user is gone).
        let now = store::now();
        let refusal = match store::user_by_name(&mc.db, &user.name).await? {
            Some(row) => lockout_remaining(row.failed_logins, row.last_failed_login, now, mc.settings.bad_auth_delay)
                .map(|remaining| lockout_message(row.failed_logins, remaining)),
            None => None,
        };
        Err(McError::bad_request(refusal.unwrap_or_else(|| "Invalid username or password".to_owned())))
    }

    /// The credentials were right: the failure count starts over.
    async fn succeeded(self, mc: &Mc, crack_seconds: f64) -> Result<(), McError> {
        let now = store::now();
        mc_user::Entity::update_many()
            .col_expr(mc_user::Column::FailedLogins, Expr::value(0))
            .col_expr(mc_user::Column::LastFailedLogin, self.restored_failure_time())
            .col_expr(mc_user::Column::LastLogin, Expr::value(now))
            .col_expr(mc_user::Column::UpdatedAt, Expr::value(now))
            .col_expr(mc_user::Column::PassCrackTimeSec, Expr::value(crack_seconds))
            .filter(mc_user::Column::Name.eq(&self.name))
            .exec(&mc.db)
            .await?;
        Ok(())
    }

    /// Neither right nor wrong (a one-time code still to come): uncounted.
    async fn withdrawn(self, mc: &Mc) -> Result<(), McError> {
        mc_user::Entity::update_many()
            .col_expr(mc_user::Column::FailedLogins, Expr::col(mc_user::Column::FailedLogins).sub(1))
            .col_expr(mc_user::Column::LastFailedLogin, self.restored_failure_time())
            .filter(mc_user::Column::Name.eq(&self.name))
            .filter(mc_user::Column::FailedLogins.gt(0))
            .exec(&mc.db)
            .await?;
        Ok(())
    }

    /// A correct password verified for a deletion: the count starts over.
    pub async fn password_proven(self, mc: &Mc) -> Result<(), McError> {
        mc_user::Entity::update_many()
            .col_expr(mc_user::Column::FailedLogins, Expr::value(0))
            .col_expr(mc_user::Column::LastFailedLogin, self.restored_failure_time())
            .filter(mc_user::Column::Name.eq(&self.name))
            .exec(&mc.db)
            .await?;
        Ok(())
    }

    /// The password (or code) was wrong: the attempt stays counted, and the
    /// next check of this user may start (before the answer's pause).
    pub fn failed(self) {}

    /// The last failure's time as it was, unless another failure came since.
    fn restored_failure_time(&self) -> Expr {
        Expr::case(mc_user::Column::LastFailedLogin.eq(self.at), Expr::value(self.previous_failure))
            .finally(Expr::col(mc_user::Column::LastFailedLogin))
            .into()
    }
}

async fn password_login(mc: &Mc, username: &str, password: &str, code: &str) -> Result<(Claims, bool), McError> {
    let Some(user) = store::user_by_name_or_email(&mc.db, username).await? else {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid username or password"));
    };
    let attempt = Attempt::start(mc, &user).await?;
    if !crate::auth::password::verify(password.to_owned(), user.passhash.clone()).await? {
        attempt.failed();
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid username or password"));
    }
    let crack_seconds = match user.pass_crack_time_sec {
        0.0 => strength::crack_seconds(password),
        known => known,
    };
    let two_factor = user.enable_totp && !user.totp_shared_key.is_empty();
    if !two_factor {
        attempt.succeeded(mc, crack_seconds).await?;
        let admin = admitted(mc, &user, crack_seconds).await?;
        return Ok((session_claims(&user), admin));
    }
    // Two factors: the attempt stays counted until the code proves right.
    let admin = match admitted(mc, &user, crack_seconds).await {
        Ok(admin) => admin,
        Err(refusal) => {
            attempt.withdrawn(mc).await?;
            return Err(refusal);
        }
    };
    if code.is_empty() {
        attempt.withdrawn(mc).await?;
        return Err(mail_code(mc, &user).await);
    }
    // A wrong or replayed code leaves the attempt counted as a failure.
    if !accept_code(mc, &user, code).await? {
        attempt.failed();
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid or expired OTP. Please login again to receive another OTP"));
    }
    attempt.succeeded(mc, crack_seconds).await?;
    Ok((session_claims(&user), admin))
}

/// MC's refusals once the password is right; whether the user is an
/// AdminManager.
async fn admitted(mc: &Mc, user: &mc_user::Model, crack_seconds: f64) -> Result<bool, McError> {
    check_account(mc, user)?;
    let admin = mc.rights(&user.name).await?.is_admin_manager();
    if admin && crack_seconds < strength::ADMIN_MIN_CRACK_SECONDS {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Existing password for Admin too weak, please update first"));
    }
    Ok(admin)
}

fn session_claims(user: &mc_user::Model) -> Claims {
    let now = now_unix();
    Claims {
        exp: now + super::LOGIN_TOKEN_HOURS * 3600,
        iat: now,
        username: user.name.clone(),
        email: user.email.clone(),
        kid: KEY_VERSION,
        firstiat: now,
        authtype: token::PASSWORD_AUTH.to_owned(),
        generation: user.token_generation,
        ..Claims::default()
    }
}

/// MC mails the current code and answers 511, even if the mail fails.
async fn mail_code(mc: &Mc, user: &mc_user::Model) -> McError {
    let current = totp::current_code(&user.totp_shared_key, now_unix()).unwrap_or_default();
    if let Err(e) = mc.send_mail(&user.email, "One-time password", format!("Your one-time password is {current}")).await
    {
        tracing::warn!(surface = "mc", error = %e, "one-time password mail not sent");
    }
    McError::new(
        StatusCode::NETWORK_AUTHENTICATION_REQUIRED,
        "Missing OTP\nPlease use two factor authenticator app on your phone to get OTP. We have also sent OTP to your registered email address",
    )
}

/// How long a code can stay valid: MC's longest period with a step of
/// skew either side.
const CODE_LIFETIME_SECONDS: i64 = 3 * 120;

/// Accepts a valid code once: it is recorded in the same statement that
/// checks it was not used within its lifetime, so a replay (even a
/// parallel one) is refused.
async fn accept_code(mc: &Mc, user: &mc_user::Model, code: &str) -> Result<bool, McError> {
    let code = code.trim();
    if !totp::verify(&user.totp_shared_key, code, now_unix()) {
        return Ok(false);
    }
    let at = store::now();
    let recently_used = Condition::all()
        .add(mc_user::Column::TotpLastCode.eq(code))
        .add(mc_user::Column::TotpLastAt.is_not_null())
        .add(mc_user::Column::TotpLastAt.gt(at - time::Duration::seconds(CODE_LIFETIME_SECONDS)));
    let accepted = mc_user::Entity::update_many()
        .col_expr(mc_user::Column::TotpLastCode, Expr::value(code))
        .col_expr(mc_user::Column::TotpLastAt, Expr::value(at))
        .filter(mc_user::Column::Name.eq(&user.name))
        .filter(recently_used.not())
        .exec(&mc.db)
        .await?;
    Ok(accepted.rows_affected == 1)
}

#[async_trait::async_trait]
impl api::SecurityApi for Mc {
    async fn login(&self, request: api::LoginRequest) -> Result<api::LoginResponse, McError> {
        super::login::login(self, request.body).await.map(api::LoginResponse::Prerendered)
    }
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
