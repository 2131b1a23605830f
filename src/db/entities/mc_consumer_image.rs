//! An image a developer sent to a host federation (guest side).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_consumer_images")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization: String,
    pub federation_name: String,
    pub name: String,
    /// Unique: the org and federation lower-cased (citext in MC) and the
    /// name, as MC's `consumerimageindex`.
    #[sea_orm(unique)]
    pub image_key: String,
    pub version: String,
    pub source_path: String,
    pub r#type: String,
    pub checksum: String,
    /// `Sending` while the host is told, then `Ready`.
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
