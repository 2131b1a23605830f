//! A Storj satellite user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storj_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    /// Upper-cased email: lookups and uniqueness ignore case, as Storj's do.
    #[sea_orm(unique)]
    pub normalized_email: String,
    pub full_name: String,
    pub short_name: String,
    /// PHC-format argon2id hash (or a hash an admin set verbatim).
    pub password_hash: String,
    /// 1 active, 2 deleted.
    pub status: i32,
    pub partner_id: Option<Uuid>,
    pub project_limit: i32,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
