//! A regional App a developer onboarded to a host federation (guest side).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_consumer_apps")]
pub struct Model {
    /// The App's global ID, also its artefact's and federation app's ID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The guest federation it is onboarded to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub federation_name: String,
    pub region: String,
    pub app_name: String,
    pub app_org: String,
    pub app_vers: String,
    /// JSON array of the images made for it.
    pub image_ids: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
