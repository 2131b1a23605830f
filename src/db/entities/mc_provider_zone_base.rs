//! A zone an MC operator offers to federations, built on its cloudlets.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_provider_zone_bases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub zone_id: String,
    pub operator_id: String,
    pub country_code: String,
    /// `"<lat>,<long>"`, the cloudlets' average.
    pub geo_location: String,
    pub geography_details: String,
    pub region: String,
    /// A JSON array of cloudlet names.
    pub cloudlets: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
