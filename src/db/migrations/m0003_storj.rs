//! Storj's users, projects, coupons and API keys.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StorjUsers {
    Table,
    Id,
    Email,
    NormalizedEmail,
    FullName,
    ShortName,
    PasswordHash,
    Status,
    PartnerId,
    ProjectLimit,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StorjProjects {
    Table,
    Id,
    Name,
    Description,
    PartnerId,
    OwnerId,
    RateLimit,
    MaxBuckets,
    UsageLimit,
    BandwidthLimit,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StorjCoupons {
    Table,
    Id,
    UserId,
    Amount,
    Duration,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StorjApiKeys {
    Table,
    Id,
    ProjectId,
    Name,
    HeadHash,
    PartnerId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StorjUsers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StorjUsers::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(StorjUsers::Email).text().not_null())
                    .col(ColumnDef::new(StorjUsers::NormalizedEmail).string().not_null().unique_key())
                    .col(ColumnDef::new(StorjUsers::FullName).text().not_null())
                    .col(ColumnDef::new(StorjUsers::ShortName).text().not_null())
                    .col(ColumnDef::new(StorjUsers::PasswordHash).text().not_null())
                    .col(ColumnDef::new(StorjUsers::Status).integer().not_null())
                    .col(ColumnDef::new(StorjUsers::PartnerId).uuid().null())
                    .col(ColumnDef::new(StorjUsers::ProjectLimit).integer().not_null())
                    .col(ColumnDef::new(StorjUsers::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StorjProjects::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StorjProjects::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(StorjProjects::Name).text().not_null())
                    .col(ColumnDef::new(StorjProjects::Description).text().not_null())
                    .col(ColumnDef::new(StorjProjects::PartnerId).uuid().null())
                    .col(ColumnDef::new(StorjProjects::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(StorjProjects::RateLimit).big_integer().null())
                    .col(ColumnDef::new(StorjProjects::MaxBuckets).big_integer().null())
                    .col(ColumnDef::new(StorjProjects::UsageLimit).big_integer().null())
                    .col(ColumnDef::new(StorjProjects::BandwidthLimit).big_integer().null())
                    .col(ColumnDef::new(StorjProjects::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("storj_projects_owner")
                            .from(StorjProjects::Table, StorjProjects::OwnerId)
                            .to(StorjUsers::Table, StorjUsers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        super::index(
            manager,
            "storj_projects_owner_created",
            StorjProjects::Table,
            [StorjProjects::OwnerId, StorjProjects::CreatedAt],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(StorjCoupons::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StorjCoupons::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(StorjCoupons::UserId).uuid().not_null())
                    .col(ColumnDef::new(StorjCoupons::Amount).big_integer().not_null())
                    .col(ColumnDef::new(StorjCoupons::Duration).big_integer().null())
                    .col(ColumnDef::new(StorjCoupons::Description).text().not_null())
                    .col(ColumnDef::new(StorjCoupons::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StorjApiKeys::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StorjApiKeys::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(StorjApiKeys::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(StorjApiKeys::Name).text().not_null())
                    .col(ColumnDef::new(StorjApiKeys::HeadHash).string().not_null().unique_key())
                    .col(ColumnDef::new(StorjApiKeys::PartnerId).uuid().null())
                    .col(ColumnDef::new(StorjApiKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("storj_api_keys_project")
                            .from(StorjApiKeys::Table, StorjApiKeys::ProjectId)
                            .to(StorjProjects::Table, StorjProjects::Id),
                    )
                    .to_owned(),
            )
            .await?;
        super::index(
            manager,
            "storj_api_keys_project_name",
            StorjApiKeys::Table,
            [StorjApiKeys::ProjectId, StorjApiKeys::Name],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(
            manager,
            [
                StorjApiKeys::Table.into_iden(),
                StorjCoupons::Table.into_iden(),
                StorjProjects::Table.into_iden(),
                StorjUsers::Table.into_iden(),
            ],
        )
        .await
    }
}
