//! MC federation, host side: the zone bases an operator offers from its
//! cloudlets (`provider_zone_bases`, one per zone ID, as MC refuses a zone
//! ID any operator already uses) and the zones shared with a federation
//! (`provider_zones`, keyed by zone and federation).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McProviderZoneBases {
    Table,
    ZoneId,
    OperatorId,
    CountryCode,
    GeoLocation,
    GeographyDetails,
    Region,
    Cloudlets,
}

#[derive(DeriveIden)]
enum McProviderZones {
    Table,
    ZoneId,
    ProviderName,
    OperatorId,
    Status,
    PartnerNotifyZoneUri,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McProviderZoneBases::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McProviderZoneBases::ZoneId).string().not_null().primary_key())
                    .col(ColumnDef::new(McProviderZoneBases::OperatorId).string().not_null())
                    .col(ColumnDef::new(McProviderZoneBases::CountryCode).string().not_null())
                    .col(ColumnDef::new(McProviderZoneBases::GeoLocation).string().not_null())
                    .col(ColumnDef::new(McProviderZoneBases::GeographyDetails).string().not_null())
                    .col(ColumnDef::new(McProviderZoneBases::Region).string().not_null())
                    .col(ColumnDef::new(McProviderZoneBases::Cloudlets).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(McProviderZones::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McProviderZones::ZoneId).string().not_null())
                    .col(ColumnDef::new(McProviderZones::ProviderName).string().not_null())
                    .col(ColumnDef::new(McProviderZones::OperatorId).string().not_null())
                    .col(ColumnDef::new(McProviderZones::Status).string().not_null())
                    .col(ColumnDef::new(McProviderZones::PartnerNotifyZoneUri).string().not_null())
                    .primary_key(Index::create().col(McProviderZones::ZoneId).col(McProviderZones::ProviderName))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McProviderZones::Table.into_iden(), McProviderZoneBases::Table.into_iden()]).await
    }
}
