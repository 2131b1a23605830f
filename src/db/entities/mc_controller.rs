//! An EdgeXR MC region: the regional Controller MC routes its calls to.
//! Steward serves every region's objects itself; the addresses are kept
//! and shown as MC keeps them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_controllers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    #[sea_orm(unique)]
    pub address: String,
    pub notify_addr: String,
    pub influx_db: String,
    pub thanos_metrics: String,
    /// The region as a DNS label (MC's `DNSSanitize`), unique.
    #[sea_orm(unique)]
    pub dns_region: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
