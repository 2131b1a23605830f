//! MC federation, guest side: the federations this MC is the guest of
//! (`federation_consumers`, the name also the operator org owning the
//! host's zones' cloudlets, unique ignoring case) and the zones each host
//! shares with it (`consumer_zones`, keyed by zone and guest).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McFederationConsumers {
    Table,
    Id,
    Name,
    NameKey,
    OperatorId,
    Public,
    PartnerAddr,
    PartnerTokenUrl,
    FederationContextId,
    MyInfo,
    PartnerInfo,
    AutoRegisterZones,
    AutoRegisterRegion,
    Status,
    ProviderClientId,
    ProviderKeySealed,
    NotifyClientId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum McConsumerZones {
    Table,
    ZoneId,
    ConsumerName,
    OperatorId,
    Region,
    GeoLocation,
    GeographyDetails,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use McFederationConsumers as F;
        let text = |column: F| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(F::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(text(F::Name))
                    .col(ColumnDef::new(F::NameKey).string().not_null().unique_key())
                    .col(ColumnDef::new(F::OperatorId).string().not_null())
                    .col(ColumnDef::new(F::Public).boolean().not_null())
                    .col(text(F::PartnerAddr))
                    .col(text(F::PartnerTokenUrl))
                    .col(text(F::FederationContextId))
                    .col(text(F::MyInfo))
                    .col(text(F::PartnerInfo))
                    .col(ColumnDef::new(F::AutoRegisterZones).boolean().not_null())
                    .col(text(F::AutoRegisterRegion))
                    .col(text(F::Status))
                    .col(text(F::ProviderClientId))
                    .col(text(F::ProviderKeySealed))
                    .col(text(F::NotifyClientId))
                    .col(ColumnDef::new(F::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(F::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        use McConsumerZones as Z;
        let text = |column: Z| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Z::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Z::ZoneId).string().not_null())
                    .col(ColumnDef::new(Z::ConsumerName).string().not_null())
                    .col(ColumnDef::new(Z::OperatorId).string().not_null())
                    .col(text(Z::Region))
                    .col(text(Z::GeoLocation))
                    .col(text(Z::GeographyDetails))
                    .col(text(Z::Status))
                    .primary_key(Index::create().col(Z::ZoneId).col(Z::ConsumerName))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McConsumerZones::Table.into_iden(), McFederationConsumers::Table.into_iden()])
            .await
    }
}
