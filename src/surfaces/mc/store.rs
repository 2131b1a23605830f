//! Lookups shared by MC's handlers, and how rows read on the wire.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use time::OffsetDateTime;

use super::api;
use crate::db::entities::{mc_org, mc_role_grant, mc_user};

/// An optional body field's text ("" when absent, as Go's zero value).
pub fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// MC's names are citext: unique and looked up ignoring case.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

pub async fn user_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<mc_user::Model>, DbErr> {
    mc_user::Entity::find().filter(mc_user::Column::NameKey.eq(name_key(name))).one(db).await
}

/// Addresses are matched ignoring case (and unique so, by an index on
/// `lower(email)`): `Alice@x.io` and `alice@x.io` are one mailbox to every
/// mail system users meet. They are kept and shown as given, as MC keeps
/// them (MC itself compares them exactly, which let one mailbox hold two
/// accounts).
pub async fn user_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<mc_user::Model>, DbErr> {
    mc_user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(mc_user::Column::Email))).eq(email.to_lowercase()))
        .one(db)
        .await
}

/// By name, else by email, as MC's login looks a user up.
pub async fn user_by_name_or_email(db: &impl ConnectionTrait, text: &str) -> Result<Option<mc_user::Model>, DbErr> {
    match user_by_name(db, text).await? {
        Some(user) => Ok(Some(user)),
        None => user_by_email(db, text).await,
    }
}

pub async fn org_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<mc_org::Model>, DbErr> {
    mc_org::Entity::find().filter(mc_org::Column::NameKey.eq(name_key(name))).one(db).await
}

pub async fn grants_of(db: &impl ConnectionTrait, subject: &str) -> Result<Vec<mc_role_grant::Model>, DbErr> {
    mc_role_grant::Entity::find().filter(mc_role_grant::Column::Subject.eq(subject)).all(db).await
}

/// Now, at the microsecond precision both databases keep.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
}

pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// RFC 3339 as Go writes a `time.Time` (fraction without trailing zeros).
pub fn go_time(at: Option<OffsetDateTime>) -> String {
    let Some(at) = at else { return ZERO_TIME.to_owned() };
    let at = at.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let mut text = at.format(&format).unwrap_or_default();
    let micros = at.microsecond();
    if micros != 0 {
        let fraction = format!("{micros:06}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// A user as MC answers one: the password hash, salt, iterations and
/// two-factor key always blanked.
pub fn user_json(user: &mc_user::Model) -> api::User {
    api::User {
        name: user.name.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        passhash: String::new(),
        salt: String::new(),
        iter: 0,
        family_name: user.family_name.clone(),
        given_name: user.given_name.clone(),
        picture: user.picture.clone(),
        nickname: user.nickname.clone(),
        created_at: go_time(Some(user.created_at)),
        updated_at: go_time(Some(user.updated_at)),
        locked: user.locked,
        pass_crack_time_sec: user.pass_crack_time_sec,
        enable_totp: user.enable_totp,
        totp_shared_key: String::new(),
        metadata: user.metadata.clone(),
        last_login: go_time(user.last_login),
        last_failed_login: go_time(user.last_failed_login),
        failed_logins: user.failed_logins,
    }
}

/// What a non-admin sees of another user.
pub fn user_json_for_others(user: &mc_user::Model) -> api::User {
    api::User {
        email: String::new(),
        email_verified: false,
        locked: false,
        pass_crack_time_sec: 0.0,
        enable_totp: false,
        metadata: String::new(),
        created_at: ZERO_TIME.to_owned(),
        updated_at: ZERO_TIME.to_owned(),
        ..user_json(user)
    }
}

pub fn org_json(org: &mc_org::Model) -> api::Organization {
    let text = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    api::Organization {
        name: org.name.clone(),
        r#type: org.org_type.clone(),
        address: text(&org.address),
        phone: text(&org.phone),
        created_at: go_time(Some(org.created_at)),
        updated_at: go_time(Some(org.updated_at)),
        public_images: org.public_images.then_some(true),
        delete_in_progress: org.delete_in_progress.then_some(true),
        parent: text(&org.parent),
        edgebox_only: org.edgebox_only.then_some(true),
    }
}

/// MC's (unanchored) email pattern `(.+)@(.+)\.(.+)`, in one pass per
/// line (Go's `.` stops at a newline): the first '@' after at least one
/// character leaves the longest rest, so if any '@' works, that one does.
pub fn valid_email(email: &str) -> bool {
    email.split('\n').any(|line| {
        let Some(at) = line.char_indices().skip(1).find(|(_, c)| *c == '@').map(|(at, _)| at) else {
            return false;
        };
        let rest = &line[at + 1..];
        rest.char_indices().any(|(dot, d)| d == '.' && dot > 0 && dot + 1 < rest.len())
    })
}

/// MC's rules for user and organization names.
pub fn check_name(name: &str) -> Result<(), String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return Err("Name can only contain letters, digits, _ . -".to_owned());
    }
    let refusals = [
        (name.starts_with('.'), "Name cannot start with '.'"),
        (name.starts_with('-'), "Name cannot start with '-'"),
        (name.ends_with('.'), "Name cannot end with '.'"),
        (name.ends_with(".git"), "Name cannot end with '.git'"),
        (name.ends_with(".atom"), "Name cannot end with '.atom'"),
        (name.ends_with("-cache"), "Name cannot end with '-cache'"),
        (name.len() + "repo-".len() > 64, "Name too long"),
    ];
    match refusals.iter().find(|(refused, _)| *refused) {
        Some((_, message)) => Err((*message).to_owned()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_match_mcs_pattern() {
        assert!(valid_email("a@b.c"));
        assert!(valid_email("first.last@example.co.uk"));
        for bad in ["", "a@b", "@b.c", "a@.c", "a@b.", "ab.c", "a\n@b.c", "a@b\n.c"] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert!(valid_email("@@b.c"), "the second '@' follows one character");
        assert!(valid_email("x\na@b.c"), "unanchored: any line may match");
    }

    #[test]
    fn hostile_emails_are_checked_in_one_pass() {
        // The old check rescanned the rest after every '@' (~10^10 steps
        // here, minutes of CPU per request); this one reads each line once.
        assert!(!valid_email(&"@".repeat(200_000)));
        assert!(!valid_email(&"a@".repeat(100_000)));
    }

    #[test]
    fn names_follow_mcs_rules() {
        assert!(check_name("alice_1.dev-x").is_ok());
        assert_eq!(check_name("a b").unwrap_err(), "Name can only contain letters, digits, _ . -");
        assert_eq!(check_name(".a").unwrap_err(), "Name cannot start with '.'");
        assert_eq!(check_name("a.git").unwrap_err(), "Name cannot end with '.git'");
        assert_eq!(check_name(&"a".repeat(60)).unwrap_err(), "Name too long");
        assert!(check_name(&"a".repeat(59)).is_ok());
    }

    #[test]
    fn times_read_as_go_writes_them() {
        assert_eq!(go_time(None), ZERO_TIME);
        let at = time::macros::datetime!(2026-11-23 10:11:12.123400 UTC);
        assert_eq!(go_time(Some(at)), "2026-11-23T10:11:12.1234Z");
        assert_eq!(go_time(Some(time::macros::datetime!(2026-11-23 10:11:12 UTC))), "2026-11-23T10:11:12Z");
    }
}
