//! Records mutations in `audit_events`, inside the caller's transaction so
//! a change and its record commit or roll back together.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use super::entities::audit_event;

pub struct AuditEntry<'a> {
    pub surface: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
}

pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        at: Set(time::OffsetDateTime::now_utc()),
        surface: Set(entry.surface.to_owned()),
        actor: Set(entry.actor.to_owned()),
        action: Set(entry.action.to_owned()),
        target: Set(entry.target.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}
