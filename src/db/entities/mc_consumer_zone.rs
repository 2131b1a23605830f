//! A zone a host shares with a guest (guest side).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_consumer_zones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub zone_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub consumer_name: String,
    pub operator_id: String,
    /// The region of its cloudlet, once registered.
    pub region: String,
    pub geo_location: String,
    pub geography_details: String,
    /// `Unregistered` or `Registered`.
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
