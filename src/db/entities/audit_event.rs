//! Who changed what: one row per successful mutation, written in the same
//! transaction as the change it records. MC's rows are also its events
//! (`name` set): the request's record as MC's audit log keeps it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: TimeDateTimeWithTimeZone,
    pub surface: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// The event's name (MC: the operation, e.g. `CreateOrg`).
    pub name: Option<String>,
    /// `audit` or `event`.
    pub kind: Option<String>,
    /// The event's time in microseconds since the epoch.
    pub at_us: Option<i64>,
    pub region: Option<String>,
    pub error: Option<String>,
    /// A JSON array of the orgs the event concerns.
    pub orgs: Option<String>,
    /// A JSON object of the event's tags, keys sorted.
    pub tags: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
