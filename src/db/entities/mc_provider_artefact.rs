//! An artefact (an app's packaging) a partner created on a host federation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_provider_artefacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub federation_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub artefact_id: String,
    /// The regional App made for it (organization: the federation's name).
    pub app_name: String,
    pub app_vers: String,
    pub app_provider_id: String,
    pub artefact_name: String,
    pub artefact_version: String,
    pub virt_type: String,
    pub desc_type: String,
    /// JSON array of file IDs.
    pub file_ids: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
