//! MC's events and alert receivers. Audit rows grow the columns of MC's
//! event records (name, type, time in microseconds, region, error, orgs,
//! tags); rows written before this migration, and other surfaces' rows,
//! leave them empty. `audit_event_orgs` indexes each event's orgs for the
//! searches non-admins make. Alert receivers are identified, as MC's
//! Alertmanager sidecar identifies them, by name, user, severity and type.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    Surface,
    Name,
    Kind,
    AtUs,
    Region,
    Error,
    Orgs,
    Tags,
}

#[derive(DeriveIden)]
enum AuditEventOrgs {
    Table,
    EventId,
    Org,
    AtUs,
}

#[derive(DeriveIden)]
enum McAlertReceivers {
    Table,
    Id,
    Name,
    Username,
    Severity,
    Kind,
    Region,
    Org,
    Email,
    SlackChannel,
    SlackWebhook,
    PagerdutyKey,
    PagerdutyVersion,
    AppInstKey,
    AppKey,
    ClusterKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            ColumnDef::new(AuditEvents::Name).string().null().to_owned(),
            ColumnDef::new(AuditEvents::Kind).string().null().to_owned(),
            ColumnDef::new(AuditEvents::AtUs).big_integer().null().to_owned(),
            ColumnDef::new(AuditEvents::Region).string().null().to_owned(),
            ColumnDef::new(AuditEvents::Error).text().null().to_owned(),
            ColumnDef::new(AuditEvents::Orgs).text().null().to_owned(),
            ColumnDef::new(AuditEvents::Tags).text().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(AuditEvents::Table).add_column(&mut column).to_owned()).await?;
        }
        super::index(
            manager,
            "audit_events_by_time",
            AuditEvents::Table,
            // With the id, newest-first pages are read straight off the
            // index on PostgreSQL too (SQLite's rowid is in every index).
            [AuditEvents::Surface, AuditEvents::AtUs, AuditEvents::Id],
            false,
        )
        .await?;
        super::index(
            manager,
            "audit_events_by_name",
            AuditEvents::Table,
            [AuditEvents::Surface, AuditEvents::Name, AuditEvents::AtUs, AuditEvents::Id],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEventOrgs::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(AuditEventOrgs::EventId).big_integer().not_null())
                    .col(ColumnDef::new(AuditEventOrgs::Org).string().not_null())
                    .col(ColumnDef::new(AuditEventOrgs::AtUs).big_integer().not_null())
                    .primary_key(
                        Index::create().col(AuditEventOrgs::Org).col(AuditEventOrgs::AtUs).col(AuditEventOrgs::EventId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(McAlertReceivers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McAlertReceivers::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(McAlertReceivers::Name).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::Username).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::Severity).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::Kind).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::Region).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::Org).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::Email).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::SlackChannel).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::SlackWebhook).text().not_null())
                    .col(ColumnDef::new(McAlertReceivers::PagerdutyKey).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::PagerdutyVersion).string().not_null())
                    .col(ColumnDef::new(McAlertReceivers::AppInstKey).text().not_null())
                    .col(ColumnDef::new(McAlertReceivers::AppKey).text().not_null())
                    .col(ColumnDef::new(McAlertReceivers::ClusterKey).text().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(
            manager,
            "mc_alert_receivers_identity",
            McAlertReceivers::Table,
            [McAlertReceivers::Name, McAlertReceivers::Username, McAlertReceivers::Severity, McAlertReceivers::Kind],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McAlertReceivers::Table.into_iden(), AuditEventOrgs::Table.into_iden()]).await?;
        for name in ["audit_events_by_time", "audit_events_by_name"] {
            manager.drop_index(Index::drop().name(name).table(AuditEvents::Table).to_owned()).await?;
        }
        for column in [
            AuditEvents::Name,
            AuditEvents::Kind,
            AuditEvents::AtUs,
            AuditEvents::Region,
            AuditEvents::Error,
            AuditEvents::Orgs,
            AuditEvents::Tags,
        ] {
            manager.alter_table(Table::alter().table(AuditEvents::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
