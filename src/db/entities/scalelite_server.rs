//! A BigBlueButton server behind the Scalelite surface.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scalelite_servers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub url: String,
    /// The BigBlueButton server's own API secret: Steward must send it, so
    /// it is stored as given.
    pub secret: String,
    pub tag: Option<String>,
    pub bbb_version: Option<String>,
    /// enabled, cordoned or disabled.
    pub state: String,
    /// Current load; `None` when disabled or not measured.
    pub load: Option<f64>,
    /// Plain-notation decimal, e.g. "1.0".
    pub load_multiplier: String,
    pub online: bool,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
