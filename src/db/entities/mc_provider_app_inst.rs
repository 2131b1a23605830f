//! An application instance a partner created on a host federation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_provider_app_insts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub federation_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_inst_id: String,
    pub app_id: String,
    pub app_name: String,
    pub app_vers: String,
    pub region: String,
    pub cloudlet: String,
    pub cloudlet_org: String,
    pub cloudlet_fed_org: String,
    pub app_inst_callback_link: String,
    pub error: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
