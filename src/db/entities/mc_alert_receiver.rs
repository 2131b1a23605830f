//! An MC alert receiver, identified by (name, username, severity, kind) as
//! MC's Alertmanager sidecar identifies it; `id` keeps creation order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_alert_receivers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub username: String,
    pub severity: String,
    /// `email`, `slack` or `pagerduty` (MC's `Type`).
    pub kind: String,
    pub region: String,
    /// The org the keys name ("" for platform receivers).
    pub org: String,
    pub email: String,
    pub slack_channel: String,
    /// Write-only: answers show `<hidden>`.
    pub slack_webhook: String,
    /// Write-only: answers show `<hidden>`.
    pub pagerduty_key: String,
    pub pagerduty_version: String,
    /// JSON of the keys as given (only the fields set).
    pub app_inst_key: String,
    pub app_key: String,
    pub cluster_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
