//! An image a partner uploaded to a host federation (host side).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_provider_images")]
pub struct Model {
    /// The host federation's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub federation_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub file_id: String,
    pub path: String,
    pub name: String,
    pub description: String,
    pub version: String,
    pub r#type: String,
    pub app_provider_id: String,
    pub checksum: String,
    /// `Ready`, `Sending` or `Receiving`.
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
