//! A Storj project and its limits (`None`: not set).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storj_projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub partner_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub rate_limit: Option<i64>,
    pub max_buckets: Option<i64>,
    pub usage_limit: Option<i64>,
    pub bandwidth_limit: Option<i64>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
