//! Indexes for pruning audit rows by age (`STEWARD_AUDIT_RETENTION_DAYS`):
//! every surface's rows by their time, MC events' org rows by theirs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
}

#[derive(DeriveIden)]
enum AuditEventOrgs {
    Table,
    AtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::index(manager, "audit_events_by_at", AuditEvents::Table, [AuditEvents::At, AuditEvents::Id], false)
            .await?;
        super::index(manager, "audit_event_orgs_by_time", AuditEventOrgs::Table, [AuditEventOrgs::AtUs], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [("audit_events_by_at", "audit_events"), ("audit_event_orgs_by_time", "audit_event_orgs")]
        {
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
