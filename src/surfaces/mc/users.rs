//! MC's user operations: sign-up, the caller's own account, listing,
//! deletion (by the user, an admin, or with the password), and the mailed
//! flows (email verification, password reset) whose tokens are JWTs kept
//! only as hashes and usable once.

use super::api;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use super::api::{
    CreateUser, EmailRequest, NewPassword, PasswordReset, ShowUser, Token, User, UserFilter, UserResponse,
};
use super::caller::McCaller;
use super::errors::McError;
use super::store::text;
use super::token::{self, Claims, KEY_VERSION, now_unix};
use super::{Mc, change, rbac, sessions, store, strength, totp};
use crate::db::entities::{mc_api_key, mc_role_grant, mc_token, mc_user};

const VERIFY: &str = token::VERIFY_PURPOSE;
const RESET: &str = token::RESET_PURPOSE;

/// Makes `name` a verified AdminManager with `password` if no such user
/// exists (the bootstrap from STEWARD_MC_ADMIN_USER/PASSWORD). Whether it
/// was created.
pub async fn ensure_superuser(db: &sea_orm::DatabaseConnection, name: &str, password: &str) -> Result<bool, McError> {
    if store::user_by_name(db, name).await?.is_some() {
        return Ok(false);
    }
    let now = store::now();
    let row = mc_user::ActiveModel {
        name: Set(name.to_owned()),
        name_key: Set(store::name_key(name)),
        email: Set(format!("{name}-email-not-specified")),
        email_verified: Set(true),
        passhash: Set(crate::auth::password::hash(password.to_owned()).await?),
        // As MC's InitAdmin names its superuser.
        family_name: Set(name.to_owned()),
        given_name: Set(name.to_owned()),
        picture: Set(String::new()),
        nickname: Set(name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        locked: Set(false),
        pass_crack_time_sec: Set(strength::crack_seconds(password)),
        enable_totp: Set(false),
        totp_shared_key: Set(String::new()),
        metadata: Set(String::new()),
        last_login: Set(None),
        last_failed_login: Set(None),
        failed_logins: Set(0),
        token_generation: Set(0),
        totp_last_code: Set(String::new()),
        totp_last_at: Set(None),
    };
    let grant = mc_role_grant::ActiveModel {
        org: Set(String::new()),
        subject: Set(name.to_owned()),
        role: Set(rbac::ADMIN_MANAGER.to_owned()),
    };
    let txn = crate::db::begin_write(db).await?;
    let inserted = mc_user::Entity::insert(row).exec(&txn).await;
    match inserted {
        Err(e) if crate::db::is_unique_violation(&e) => return Ok(false),
        other => other?,
    };
    mc_role_grant::Entity::insert(grant).exec(&txn).await?;
    crate::db::audit::record(
        &txn,
        crate::db::audit::AuditEntry { surface: "mc", actor: "steward", action: "bootstrap superuser", target: name },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Mc {
    /// A mailed token for `user`, valid `hours`, recorded for one use.
    async fn mailed_token(&self, purpose: &str, user: &mc_user::Model, hours: i64) -> Result<String, McError> {
        let now = now_unix();
        let token = self.sign(Claims {
            exp: now + hours * 3600,
            iat: now,
            username: user.name.clone(),
            email: user.email.clone(),
            kid: KEY_VERSION,
            purpose: purpose.to_owned(),
            ..Claims::default()
        });
        let expires = time::OffsetDateTime::from_unix_timestamp(now + hours * 3600).unwrap_or_else(|_| store::now());
        let row = mc_token::ActiveModel {
            token_hash: Set(token_hash(&token)),
            purpose: Set(purpose.to_owned()),
            username: Set(user.name.clone()),
            expires_at: Set(expires),
        };
        // The same second signs the same token again; it is already kept.
        mc_token::Entity::insert(row).on_conflict_do_nothing_on([mc_token::Column::TokenHash]).exec(&self.db).await?;
        Ok(token)
    }

    /// The claims of a mailed token we issued for `purpose` and that is
    /// unexpired and unused; MC's 401 otherwise.
    async fn mailed_claims(&self, purpose: &str, token: &str) -> Result<Claims, McError> {
        let invalid = || McError::unauthorized("Invalid or expired token");
        let claims = self.key.verify(token, now_unix()).map_err(|_| invalid())?;
        if claims.purpose != purpose || !claims.authtype.is_empty() {
            return Err(invalid());
        }
        let kept = mc_token::Entity::find_by_id(token_hash(token)).one(&self.db).await?;
        match kept {
            Some(row) if row.purpose == purpose => Ok(claims),
            _ => Err(invalid()),
        }
    }

    /// Uses a mailed token up; false if another request already did.
    async fn consume(&self, token: &str) -> Result<bool, McError> {
        let deleted = mc_token::Entity::delete_by_id(token_hash(token)).exec(&self.db).await?;
        Ok(deleted.rows_affected > 0)
    }

    async fn send_verification(&self, user: &mc_user::Model, to: &str) -> Result<(), McError> {
        let token = self.mailed_token(VERIFY, user, super::VERIFY_TOKEN_HOURS).await?;
        self.send_mail(
            to,
            "Welcome to Edge Cloud - Please verify your email",
            format!("Hi {}, please verify your email address: mcctl user verifyemail token={token}", user.name),
        )
        .await
        .map_err(|e| McError::bad_request(format!("Failed to send verification email to {to}, {e}")))
    }

    /// Checks and stores a new password (MC's length and strength rules,
    /// the admin rule for AdminManagers).
    async fn set_password(&self, user: &mc_user::Model, password: &str, actor: &str) -> Result<(), McError> {
        let seconds = self.check_new_password(user, password).await?;
        self.store_password(user, password, seconds, actor).await
    }

    /// MC's rules for a new password; its estimated crack seconds.
    async fn check_new_password(&self, user: &mc_user::Model, password: &str) -> Result<f64, McError> {
        strength::check_length(password).map_err(McError::bad_request)?;
        let admin = self.rights(&user.name).await?.is_admin_manager();
        let minimum = if admin { strength::ADMIN_MIN_CRACK_SECONDS } else { strength::USER_MIN_CRACK_SECONDS };
        strength::check_strength(password, minimum).map_err(McError::bad_request)
    }

    async fn store_password(
        &self,
        user: &mc_user::Model,
        password: &str,
        seconds: f64,
        actor: &str,
    ) -> Result<(), McError> {
        let mut row = user.clone().into_active_model();
        row.passhash = Set(crate::auth::password::hash(password.to_owned()).await?);
        row.pass_crack_time_sec = Set(seconds);
        row.updated_at = Set(store::now());
        let txn = crate::db::begin_write(&self.db).await?;
        row.update(&txn).await?;
        // Every token issued before the change stops working.
        sessions::revoke(&txn, &user.name).await?;
        self.audited.record(&txn, &change(actor, "set password", &user.name)).await?;
        txn.commit().await?;
        Ok(())
    }
}

fn totp_enrolment(user_email: &str) -> Result<(String, Option<String>), McError> {
    let key = totp::new_key().map_err(|e| McError::internal("Failed to generate TOTP key", e))?;
    let image = totp::qr_png_base64(&key, user_email);
    Ok((key, image))
}

pub async fn create(mc: &Mc, body: CreateUser) -> Result<UserResponse, McError> {
    let name = text(&body.name).to_owned();
    if name.is_empty() {
        return Err(McError::bad_request("Name not specified"));
    }
    store::check_name(&name).map_err(McError::bad_request)?;
    // API key ids are UUIDs, and an API key logs in by its id as a name.
    if uuid::Uuid::parse_str(&name).is_ok() {
        return Err(McError::bad_request("Name cannot be formatted like an API key ID"));
    }
    let email = text(&body.email).to_owned();
    if !store::valid_email(&email) {
        return Err(McError::bad_request("Invalid email address"));
    }
    let password = text(&body.passhash).to_owned();
    strength::check_length(&password).map_err(McError::bad_request)?;
    if store::org_by_name(&mc.db, &name).await?.is_some() {
        return Err(McError::bad_request("User name cannot be same as org name"));
    }
    let seconds =
        strength::check_strength(&password, strength::USER_MIN_CRACK_SECONDS).map_err(McError::bad_request)?;
    if store::user_by_name(&mc.db, &name).await?.is_some() {
        return Err(name_taken(&name));
    }
    if store::user_by_email(&mc.db, &email).await?.is_some() {
        return Err(McError::bad_request("Email already in use"));
    }
    let (totp_key, totp_image) = match body.enable_totp {
        Some(true) => {
            let (key, image) = totp_enrolment(&email)?;
            (key, image)
        }
        _ => (String::new(), None),
    };
    let now = store::now();
    let row = mc_user::ActiveModel {
        name: Set(name.clone()),
        name_key: Set(store::name_key(&name)),
        email: Set(email.clone()),
        email_verified: Set(false),
        passhash: Set(crate::auth::password::hash(password).await?),
        family_name: Set(text(&body.family_name).to_owned()),
        given_name: Set(text(&body.given_name).to_owned()),
        picture: Set(text(&body.picture).to_owned()),
        nickname: Set(text(&body.nickname).to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        locked: Set(false),
        pass_crack_time_sec: Set(seconds),
        enable_totp: Set(!totp_key.is_empty()),
        totp_shared_key: Set(totp_key.clone()),
        metadata: Set(text(&body.metadata).to_owned()),
        last_login: Set(None),
        last_failed_login: Set(None),
        failed_logins: Set(0),
        token_generation: Set(0),
        totp_last_code: Set(String::new()),
        totp_last_at: Set(None),
    };
    let user = match mc.audited.insert(row, change(&name, "create user", &name)).await {
        Ok(user) => user,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(match store::user_by_name(&mc.db, &name).await? {
                Some(_) => name_taken(&name),
                None => McError::bad_request("Email already in use"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    if mc.settings.verify_email
        && let Err(error) = mc.send_verification(&user, &email).await
    {
        mc_user::Entity::delete_by_id(user.name.clone()).exec(&mc.db).await?;
        return Err(error);
    }
    Ok(match totp_key.is_empty() {
        true => UserResponse { message: "user created".into(), totp_shared_key: String::new(), totpqr_image: None },
        false => UserResponse {
            message: "User created with two factor authentication enabled. Please use the following text code with the two factor authentication app on your phone to set it up".into(),
            totp_shared_key: totp_key,
            totpqr_image: totp_image,
        },
    })
}

fn name_taken(name: &str) -> McError {
    McError::bad_request(format!("Username with name {name} (case-insensitive) already exists"))
}

pub async fn current(mc: &Mc, caller: &McCaller) -> Result<User, McError> {
    match store::user_by_name(&mc.db, caller.username()).await? {
        Some(user) => Ok(store::user_json(&user)),
        None => Err(McError::bad_request("Database error, record not found")),
    }
}

pub async fn show(mc: &Mc, caller: &McCaller, filter: Option<ShowUser>) -> Result<Vec<User>, McError> {
    let filter = filter.unwrap_or_default();
    let rights = mc.rights(&caller.subject()).await?;
    let orgs = rights.orgs_with(rbac::USERS, rbac::VIEW);
    if orgs.is_empty() {
        return Err(McError::forbidden());
    }
    let admin = orgs.contains("");
    let org = text(&filter.org);
    if !org.is_empty() && !admin && !orgs.contains(org) {
        return Err(McError::forbidden());
    }
    let grants = mc_role_grant::Entity::find().all(&mc.db).await?;
    let role = text(&filter.role);
    let holds = |name: &str, in_org: &dyn Fn(&str) -> bool| {
        grants.iter().any(|g| g.subject == name && in_org(&g.org) && (role.is_empty() || g.role == role))
    };
    let users = mc_user::Entity::find().order_by_asc(mc_user::Column::Name).all(&mc.db).await?;
    let mut shown: Vec<User> = users
        .iter()
        .filter(|user| admin || holds(&user.name, &|g: &str| orgs.contains(g)))
        .filter(|user| (org.is_empty() && role.is_empty()) || holds(&user.name, &|g: &str| org.is_empty() || g == org))
        .filter(|user| matches_filter(user, &filter))
        .map(|user| match admin || user.name == caller.username() {
            true => store::user_json(user),
            false => store::user_json_for_others(user),
        })
        .collect();
    shown.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(shown)
}

/// Equality on each field the filter gives (names ignore case, as citext).
fn matches_filter(user: &mc_user::Model, filter: &ShowUser) -> bool {
    let same = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
    let flag = |wanted: Option<bool>, value: bool| wanted.is_none_or(|w| w == value);
    filter.name.as_deref().is_none_or(|n| n.eq_ignore_ascii_case(&user.name))
        && same(&filter.email, &user.email)
        && flag(filter.email_verified, user.email_verified)
        && same(&filter.family_name, &user.family_name)
        && same(&filter.given_name, &user.given_name)
        && same(&filter.picture, &user.picture)
        && same(&filter.nickname, &user.nickname)
        && flag(filter.locked, user.locked)
        && flag(filter.enable_totp, user.enable_totp)
        && same(&filter.metadata, &user.metadata)
        && filter.failed_logins.is_none_or(|n| n == user.failed_logins)
}

pub async fn update(mc: &Mc, caller: &McCaller, body: CreateUser) -> Result<UserResponse, McError> {
    let Some(user) = store::user_by_name(&mc.db, caller.username()).await? else {
        return Err(McError::bad_request("User not found"));
    };
    refuse_protected_changes(&user, &body)?;
    let mut row = user.clone().into_active_model();
    let set_text = |value: &Option<String>, column: &mut sea_orm::ActiveValue<String>| {
        if let Some(value) = value {
            *column = Set(value.clone());
        }
    };
    set_text(&body.family_name, &mut row.family_name);
    set_text(&body.given_name, &mut row.given_name);
    set_text(&body.picture, &mut row.picture);
    set_text(&body.nickname, &mut row.nickname);
    set_text(&body.metadata, &mut row.metadata);
    if let Some(failed) = body.failed_logins {
        row.failed_logins = Set(failed);
    }
    let new_email = body.email.clone().filter(|email| *email != user.email);
    let verify_to = body.verify.as_ref().and_then(|v| v.email.clone()).unwrap_or_default();
    if let Some(email) = &new_email {
        // MC validates the address the verification goes to, and only when
        // verification is on; the new Email is taken as given.
        if mc.settings.verify_email && !store::valid_email(&verify_to) {
            return Err(McError::bad_request("Invalid email address"));
        }
        if store::user_by_email(&mc.db, email).await?.is_some_and(|other| other.name != user.name) {
            return Err(McError::bad_request(format!("Email {email} already in use")));
        }
        row.email = Set(email.clone());
        row.email_verified = Set(false);
    }
    let mut enrolment = None;
    match body.enable_totp {
        Some(true) if !user.enable_totp => {
            let email = new_email.clone().unwrap_or_else(|| user.email.clone());
            let (key, image) = totp_enrolment(&email)?;
            row.enable_totp = Set(true);
            row.totp_shared_key = Set(key.clone());
            enrolment = Some((key, image));
        }
        Some(false) => {
            row.enable_totp = Set(false);
            row.totp_shared_key = Set(String::new());
        }
        _ => {}
    }
    row.updated_at = Set(store::now());
    let saved = match mc.audited.update(row, change(caller.username(), "update user", &user.name)).await {
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(McError::bad_request(format!("Email {} already in use", text(&new_email))));
        }
        other => other?,
    };
    if new_email.is_some()
        && mc.settings.verify_email
        && let Err(error) = mc.send_verification(&saved, &verify_to).await
    {
        let restore = user.clone().into_active_model().reset_all();
        mc.audited.update(restore, change("steward", "restore user", &user.name)).await?;
        return Err(error);
    }
    Ok(match enrolment {
        None => UserResponse { message: "user updated".into(), totp_shared_key: String::new(), totpqr_image: None },
        Some((key, image)) => UserResponse {
            message: "User updated\nEnabled two factor authentication. Please use the following text code with the two factor authentication app on your phone to set it up".into(),
            totp_shared_key: key,
            totpqr_image: image,
        },
    })
}

/// MC refuses an update that changes a field only the server sets.
fn refuse_protected_changes(user: &mc_user::Model, body: &CreateUser) -> Result<(), McError> {
    let differs = |sent: &Option<String>, stored: &str| sent.as_deref().is_some_and(|s| s != stored);
    let created = store::go_time(Some(user.created_at));
    let updated = store::go_time(Some(user.updated_at));
    let checks = [
        (differs(&body.name, &user.name), "Cannot change username"),
        (body.email_verified.is_some_and(|v| v != user.email_verified), "Cannot change emailverified"),
        (differs(&body.passhash, &user.passhash), "Cannot change passhash"),
        (differs(&body.salt, ""), "Cannot change salt"),
        (body.iter.is_some_and(|i| i != 0), "Cannot change iter"),
        (differs(&body.created_at, &created), "Cannot change createdat"),
        (differs(&body.updated_at, &updated), "Cannot change updatedat"),
        (body.locked.is_some_and(|l| l != user.locked), "Cannot change locked"),
        (body.pass_crack_time_sec.is_some_and(|p| p != user.pass_crack_time_sec), "Cannot change passcracktimesec"),
        (differs(&body.last_login, &store::go_time(user.last_login)), "Cannot change last login time"),
        (
            differs(&body.last_failed_login, &store::go_time(user.last_failed_login)),
            "Cannot change last failed login time",
        ),
    ];
    match checks.iter().find(|(refused, _)| *refused) {
        Some((_, message)) => Err(McError::bad_request(*message)),
        None => Ok(()),
    }
}

pub async fn delete(mc: &Mc, caller: &McCaller, body: UserFilter) -> Result<(), McError> {
    let name = text(&body.name);
    if name.is_empty() {
        return Err(McError::bad_request("User Name not specified"));
    }
    if name != caller.username() && !mc.rights(&caller.subject()).await?.manages_all_users() {
        return Err(McError::forbidden());
    }
    delete_user(mc, caller.username(), name).await
}

pub async fn delete_locked(mc: &Mc, body: UserFilter) -> Result<(), McError> {
    let (name, email, password) = (text(&body.name), text(&body.email), text(&body.passhash));
    if name.is_empty() && email.is_empty() {
        return Err(McError::bad_request("Name or Email must be specified"));
    }
    if password.is_empty() {
        return Err(McError::bad_request("Please specify password in passhash"));
    }
    // MC looks the name up first, then the email.
    let user = match store::user_by_name(&mc.db, name).await?.filter(|_| !name.is_empty()) {
        Some(user) => Some(user),
        None => store::user_by_email(&mc.db, email).await?,
    };
    let Some(user) = user else {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid username or password"));
    };
    // The same lockout as logins: a password check is a login attempt.
    let attempt = super::login::Attempt::start(mc, &user).await?;
    if !crate::auth::password::verify(password.to_owned(), user.passhash.clone()).await? {
        attempt.failed();
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid username or password"));
    }
    attempt.password_proven(mc).await?;
    delete_user(mc, &user.name, &user.name).await
}

/// MC's common deletion: never the superuser, never an org's (or the
/// platform's) last manager; the user's roles and API keys go with it.
async fn delete_user(mc: &Mc, actor: &str, name: &str) -> Result<(), McError> {
    if store::name_key(name) == store::name_key(&mc.settings.superuser) {
        return Err(McError::bad_request("Cannot delete superuser"));
    }
    let Some(user) = store::user_by_name(&mc.db, name).await? else { return Ok(()) };
    let txn = crate::db::begin_write(&mc.db).await?;
    let grants = store::grants_of(&txn, &user.name).await?;
    for grant in grants.iter().filter(|g| rbac::is_manager_role(&g.role)) {
        if managers_in(&txn, &grant.org).await? < 2 {
            return Err(McError::bad_request(match grant.org.is_empty() {
                true => "Error: Cannot delete the last remaining AdminManager".to_owned(),
                false => format!("Error: Cannot delete the last remaining manager for the org {}", grant.org),
            }));
        }
    }
    mc_role_grant::Entity::delete_many().filter(mc_role_grant::Column::Subject.eq(&user.name)).exec(&txn).await?;
    let keys = mc_api_key::Entity::find().filter(mc_api_key::Column::Username.eq(&user.name)).all(&txn).await?;
    for key in keys {
        super::apikeys::delete_key_rows(&txn, &key.id).await?;
    }
    mc_user::Entity::delete_by_id(user.name.clone()).exec(&txn).await?;
    mc.audited.record(&txn, &change(actor, "delete user", &user.name)).await?;
    txn.commit().await?;
    Ok(())
}

/// How many manager grants an org has (AdminManagers for the empty org).
/// The org's grants stay locked until the caller's transaction ends, so
/// parallel removals of managers are counted one after the other.
pub async fn managers_in(db: &impl ConnectionTrait, org: &str) -> Result<usize, sea_orm::DbErr> {
    let grants =
        mc_role_grant::Entity::find().filter(mc_role_grant::Column::Org.eq(org)).lock_exclusive().all(db).await?;
    Ok(grants.iter().filter(|g| rbac::is_manager_role(&g.role)).count())
}

pub async fn new_password(mc: &Mc, caller: &McCaller, body: NewPassword) -> Result<(), McError> {
    let (current, password) = (text(&body.currentpassword), text(&body.password));
    if current.is_empty() {
        return Err(McError::bad_request("Please specify current password"));
    }
    if password.is_empty() {
        return Err(McError::bad_request("Please specify new password"));
    }
    let Some(user) = store::user_by_name(&mc.db, caller.username()).await? else {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid user"));
    };
    if !crate::auth::password::verify(current.to_owned(), user.passhash.clone()).await? {
        mc.bad_auth_pause().await;
        return Err(McError::bad_request("Invalid current password"));
    }
    mc.set_password(&user, password, caller.username()).await
}

fn requested_email(body: &EmailRequest) -> Result<&str, McError> {
    let email = text(&body.email);
    match store::valid_email(email) {
        true => Ok(email),
        false => Err(McError::bad_request("Invalid email address")),
    }
}

pub async fn password_reset_request(mc: &Mc, body: EmailRequest) -> Result<(), McError> {
    let email = requested_email(&body)?;
    let sent = match store::user_by_email(&mc.db, email).await? {
        Some(user) => {
            let token = mc.mailed_token(RESET, &user, super::RESET_TOKEN_HOURS).await?;
            // To the account's own address, whatever case the request used.
            mc.send_mail(
                &user.email,
                "Password reset request",
                format!("Hi {}, to reset your password run: mcctl user passwordreset token={token}", user.name),
            )
            .await
        }
        None => {
            mc.send_mail(
                email,
                "Password reset request",
                "A password reset was requested for this address, but no user account is associated with it.".into(),
            )
            .await
        }
    };
    sent.map_err(|e| McError::bad_request(format!("Failed to send password reset email, {e}")))
}

/// A reset token works once, and only for a password MC accepts (a
/// refused password leaves it usable).
pub async fn password_reset(mc: &Mc, body: PasswordReset) -> Result<(), McError> {
    let token = text(&body.token);
    let claims = mc.mailed_claims(RESET, token).await?;
    let Some(user) = store::user_by_name(&mc.db, &claims.username).await? else {
        return Err(McError::unauthorized("Invalid or expired token"));
    };
    let password = text(&body.password);
    let seconds = mc.check_new_password(&user, password).await?;
    if !mc.consume(token).await? {
        return Err(McError::unauthorized("Invalid or expired token"));
    }
    mc.store_password(&user, password, seconds, &user.name).await
}

/// Verification tokens stay valid until they expire, as MC's do (verifying
/// twice is harmless).
pub async fn verify_email(mc: &Mc, body: Token) -> Result<(), McError> {
    let claims = mc.mailed_claims(VERIFY, text(&body.token)).await?;
    let Some(user) = store::user_by_email(&mc.db, &claims.email).await? else { return Ok(()) };
    let mut row = user.clone().into_active_model();
    row.email_verified = Set(true);
    mc.audited.update(row, change(&user.name, "verify email", &user.name)).await?;
    Ok(())
}

pub async fn resend_verify(mc: &Mc, body: EmailRequest) -> Result<(), McError> {
    let email = requested_email(&body)?;
    // With verification off MC sends no verification mail at all.
    if !mc.settings.verify_email {
        return Ok(());
    }
    if let Some(user) = store::user_by_email(&mc.db, email).await?.filter(|u| !u.email_verified) {
        mc.send_verification(&user, email).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl api::UserApi for Mc {
    async fn create_user(&self, request: api::CreateUserRequest) -> Result<api::CreateUserResponse, McError> {
        super::users::create(self, request.body).await.map(api::CreateUserResponse::Ok)
    }

    async fn delete_locked_user(
        &self,
        request: api::DeleteLockedUserRequest,
    ) -> Result<api::DeleteLockedUserResponse, McError> {
        super::users::delete_locked(self, request.body)
            .await
            .map(|()| api::DeleteLockedUserResponse::Ok(super::message("User deleted")))
    }

    async fn verify_email(&self, request: api::VerifyEmailRequest) -> Result<api::VerifyEmailResponse, McError> {
        super::users::verify_email(self, request.body)
            .await
            .map(|()| api::VerifyEmailResponse::Ok(super::message("Email verified, thank you")))
    }

    async fn resend_verify(&self, request: api::ResendVerifyRequest) -> Result<api::ResendVerifyResponse, McError> {
        super::users::resend_verify(self, request.body).await.map(|()| api::ResendVerifyResponse::Ok)
    }

    async fn password_reset_request(
        &self,
        request: api::PasswordResetRequestRequest,
    ) -> Result<api::PasswordResetRequestResponse, McError> {
        super::users::password_reset_request(self, request.body).await.map(|()| api::PasswordResetRequestResponse::Ok)
    }

    async fn password_reset(&self, request: api::PasswordResetRequest) -> Result<api::PasswordResetResponse, McError> {
        super::users::password_reset(self, request.body)
            .await
            .map(|()| api::PasswordResetResponse::Ok(super::message("Password updated")))
    }

    async fn current_user(&self, caller: McCaller) -> Result<api::CurrentUserResponse, McError> {
        super::users::current(self, &caller).await.map(api::CurrentUserResponse::Ok)
    }

    async fn show_user(
        &self,
        caller: McCaller,
        request: api::ShowUserRequest,
    ) -> Result<api::ShowUserResponse, McError> {
        super::users::show(self, &caller, request.body).await.map(api::ShowUserResponse::Ok)
    }

    async fn update_user(
        &self,
        caller: McCaller,
        request: api::UpdateUserRequest,
    ) -> Result<api::UpdateUserResponse, McError> {
        super::users::update(self, &caller, request.body).await.map(api::UpdateUserResponse::Ok)
    }

    async fn delete_user(
        &self,
        caller: McCaller,
        request: api::DeleteUserRequest,
    ) -> Result<api::DeleteUserResponse, McError> {
        super::users::delete(self, &caller, request.body)
            .await
            .map(|()| api::DeleteUserResponse::Ok(super::message("User deleted")))
    }

    async fn new_password(
        &self,
        caller: McCaller,
        request: api::NewPasswordRequest,
    ) -> Result<api::NewPasswordResponse, McError> {
        super::users::new_password(self, &caller, request.body)
            .await
            .map(|()| api::NewPasswordResponse::Ok(super::message("Password updated")))
    }

    async fn user_authorized(
        &self,
        caller: McCaller,
        request: api::UserAuthorizedRequest,
    ) -> Result<api::UserAuthorizedResponse, McError> {
        let scope = request.body;
        let rights = self.rights(&caller.subject()).await?;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        if !rights.allows(&text(&scope.org), &text(&scope.resource), &text(&scope.action)) {
            return Err(McError::forbidden());
        }
        Ok(api::UserAuthorizedResponse::Ok(super::message("authorized ok")))
    }

    async fn auth_scopes(&self, caller: McCaller) -> Result<api::AuthScopesResponse, McError> {
        let rights = self.rights(&caller.subject()).await?;
        let scopes = rights
            .scopes
            .into_iter()
            .map(|s| api::AuthScope {
                org: Some(s.org),
                resource: Some(s.resource),
                action: Some(s.action),
                object: Some(String::new()),
            })
            .collect();
        Ok(api::AuthScopesResponse::Ok(scopes))
    }

    async fn create_user_api_key(
        &self,
        caller: McCaller,
        request: api::CreateUserApiKeyRequest,
    ) -> Result<api::CreateUserApiKeyResponse, McError> {
        super::apikeys::create(self, &caller, request.body).await.map(api::CreateUserApiKeyResponse::Ok)
    }

    async fn show_user_api_key(
        &self,
        caller: McCaller,
        request: api::ShowUserApiKeyRequest,
    ) -> Result<api::ShowUserApiKeyResponse, McError> {
        super::apikeys::show(self, &caller, request.body).await.map(api::ShowUserApiKeyResponse::Ok)
    }

    async fn delete_user_api_key(
        &self,
        caller: McCaller,
        request: api::DeleteUserApiKeyRequest,
    ) -> Result<api::DeleteUserApiKeyResponse, McError> {
        super::apikeys::delete(self, &caller, request.body)
            .await
            .map(|()| api::DeleteUserApiKeyResponse::Ok(super::message("Deleted API Key successfully")))
    }
}
