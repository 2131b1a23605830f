//! One MC cloudlet-pool access row: an operator's invitation of a developer
//! org to a pool, or the developer's response (`accept` or `reject`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_org_cloudlet_pools")]
pub struct Model {
    /// The order rows were written in.
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub org: String,
    pub region: String,
    pub cloudlet_pool: String,
    pub cloudlet_pool_org: String,
    /// `invitation` or `response` (MC's `Type`).
    pub kind: String,
    pub decision: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
