//! An application a partner onboarded on a host federation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_provider_apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub federation_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_id: String,
    pub app_name: String,
    pub app_vers: String,
    pub app_provider_id: String,
    /// JSON array of artefact IDs.
    pub artefact_ids: String,
    /// JSON array of zone IDs.
    pub deployment_zones: String,
    pub app_status_callback_link: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
