//! Scalelite's servers and tenants.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScaleliteServers {
    Table,
    Id,
    Url,
    Secret,
    Tag,
    BbbVersion,
    State,
    Load,
    LoadMultiplier,
    Online,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScaleliteTenants {
    Table,
    Id,
    Name,
    Secrets,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScaleliteServers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ScaleliteServers::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(ScaleliteServers::Url).text().not_null())
                    .col(ColumnDef::new(ScaleliteServers::Secret).text().not_null())
                    .col(ColumnDef::new(ScaleliteServers::Tag).text().null())
                    .col(ColumnDef::new(ScaleliteServers::BbbVersion).string().null())
                    .col(ColumnDef::new(ScaleliteServers::State).string().not_null())
                    .col(ColumnDef::new(ScaleliteServers::Load).double().null())
                    .col(ColumnDef::new(ScaleliteServers::LoadMultiplier).string().not_null())
                    .col(ColumnDef::new(ScaleliteServers::Online).boolean().not_null())
                    .col(ColumnDef::new(ScaleliteServers::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(
            manager,
            "scalelite_servers_created_at",
            ScaleliteServers::Table,
            [ScaleliteServers::CreatedAt],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScaleliteTenants::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ScaleliteTenants::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(ScaleliteTenants::Name).text().not_null())
                    .col(ColumnDef::new(ScaleliteTenants::Secrets).text().not_null())
                    .col(ColumnDef::new(ScaleliteTenants::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [ScaleliteTenants::Table.into_iden(), ScaleliteServers::Table.into_iden()]).await
    }
}
