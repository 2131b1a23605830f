//! An EdgeXR MC organization (developer or operator).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_orgs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Lower-cased name (citext in MC).
    #[sea_orm(unique)]
    pub name_key: String,
    pub org_type: String,
    pub address: String,
    pub phone: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub public_images: bool,
    pub delete_in_progress: bool,
    pub parent: String,
    pub edgebox_only: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
