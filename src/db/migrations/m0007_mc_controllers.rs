//! MC's regions: one row per regional Controller (MC's `controllers`
//! table), keyed by region name, with its address and DNS label unique as
//! MC's constraints keep them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McControllers {
    Table,
    Region,
    Address,
    NotifyAddr,
    InfluxDb,
    ThanosMetrics,
    DnsRegion,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McControllers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McControllers::Region).string().not_null().primary_key())
                    .col(ColumnDef::new(McControllers::Address).string().not_null())
                    .col(ColumnDef::new(McControllers::NotifyAddr).string().not_null().default(""))
                    .col(ColumnDef::new(McControllers::InfluxDb).string().not_null().default(""))
                    .col(ColumnDef::new(McControllers::ThanosMetrics).string().not_null().default(""))
                    .col(ColumnDef::new(McControllers::DnsRegion).string().not_null())
                    .col(ColumnDef::new(McControllers::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(McControllers::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(manager, "mc_controllers_address", McControllers::Table, [McControllers::Address], true).await?;
        super::index(manager, "mc_controllers_dns_region", McControllers::Table, [McControllers::DnsRegion], true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McControllers::Table.into_iden()]).await
    }
}
