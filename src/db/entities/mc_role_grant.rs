//! A role held by a user (or an API key's own role held by the key) in an
//! organization; admin roles are held in the empty org, i.e. everywhere.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_role_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org: String,
    /// A user name, or an API key id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
