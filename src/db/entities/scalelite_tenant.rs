//! A tenant of a multitenant Scalelite deployment.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scalelite_tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Not unique: Scalelite accepts duplicate names.
    pub name: String,
    /// Colon-separated checksum secrets, kept as given: tenants' checksums
    /// are verified by recomputing them.
    pub secrets: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
