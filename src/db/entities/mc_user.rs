//! An EdgeXR MC user, with the lockout counters its logins keep.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Lower-cased name: MC's names are citext (unique ignoring case).
    #[sea_orm(unique)]
    pub name_key: String,
    #[sea_orm(unique)]
    pub email: String,
    pub email_verified: bool,
    /// PHC-format argon2id hash.
    pub passhash: String,
    pub family_name: String,
    pub given_name: String,
    pub picture: String,
    pub nickname: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub locked: bool,
    pub pass_crack_time_sec: f64,
    #[sea_orm(column_name = "enable_totp")]
    pub enable_totp: bool,
    /// Base32; kept readable because verifying a code needs it.
    #[sea_orm(column_name = "totp_shared_key")]
    pub totp_shared_key: String,
    pub metadata: String,
    pub last_login: Option<TimeDateTimeWithTimeZone>,
    pub last_failed_login: Option<TimeDateTimeWithTimeZone>,
    pub failed_logins: i64,
    /// Tokens carry the generation they were issued under; bumping it
    /// revokes every earlier token at once, on every replica.
    pub token_generation: i64,
    /// The last accepted one-time code and when, so a code works once.
    pub totp_last_code: String,
    pub totp_last_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
