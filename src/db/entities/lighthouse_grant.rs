//! A user's level on one resource: `kind` is `Beacons` or `Applications`
//! (the original's permission fields), `target` the beacon address or
//! application name.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lighthouse_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub email: String,
    pub kind: String,
    pub target: String,
    pub level: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
