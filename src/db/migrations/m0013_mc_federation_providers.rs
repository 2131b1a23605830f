//! MC federation, host side: the federations an operator hosts
//! (`federation_providers`). The name is also the developer org created
//! with it, so it is unique ignoring case (MC's citext); the context ID
//! the partner addresses it by is unique too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McFederationProviders {
    Table,
    Id,
    Name,
    NameKey,
    OperatorId,
    Regions,
    FederationContextId,
    MyInfo,
    PartnerInfo,
    PartnerNotifyDest,
    PartnerNotifyTokenUrl,
    PartnerNotifyClientId,
    PartnerNotifyKeySealed,
    DefaultContainerDeployment,
    Status,
    ProviderClientId,
    CreatedAt,
    UpdatedAt,
}

fn text(column: McFederationProviders) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use McFederationProviders as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(F::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(text(F::Name))
                    .col(ColumnDef::new(F::NameKey).string().not_null().unique_key())
                    .col(ColumnDef::new(F::OperatorId).string().not_null())
                    .col(ColumnDef::new(F::Regions).text().null())
                    .col(ColumnDef::new(F::FederationContextId).string().not_null().unique_key())
                    .col(text(F::MyInfo))
                    .col(text(F::PartnerInfo))
                    .col(text(F::PartnerNotifyDest))
                    .col(text(F::PartnerNotifyTokenUrl))
                    .col(text(F::PartnerNotifyClientId))
                    .col(ColumnDef::new(F::PartnerNotifyKeySealed).text().null())
                    .col(text(F::DefaultContainerDeployment))
                    .col(text(F::Status))
                    .col(text(F::ProviderClientId))
                    .col(ColumnDef::new(F::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(F::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(manager, "mc_federation_providers_operator", F::Table, [F::OperatorId], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McFederationProviders::Table.into_iden()]).await
    }
}
