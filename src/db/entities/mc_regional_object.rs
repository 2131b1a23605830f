//! One MC regional object: its kind, key and owning org as columns, the
//! object itself as JSON (the original's protobuf JSON names, zero fields
//! left out).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_regional_objects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The key as the original prints it in messages (`{"name":"x"}`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub object_key: String,
    pub org: String,
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
