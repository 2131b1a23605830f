//! ARGO's admin keys, tenants and the index of their users.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ArgoAdmins {
    Table,
    KeyHash,
    Role,
}

#[derive(DeriveIden)]
enum ArgoTenants {
    Table,
    Id,
    Name,
    Document,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ArgoGeneration {
    Table,
    Id,
    Value,
}

#[derive(DeriveIden)]
enum ArgoUsers {
    Table,
    UserId,
    TenantId,
    KeyHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ArgoAdmins::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ArgoAdmins::KeyHash).string().not_null().primary_key())
                    .col(ColumnDef::new(ArgoAdmins::Role).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArgoTenants::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ArgoTenants::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(ArgoTenants::Name).string().not_null().unique_key())
                    .col(ColumnDef::new(ArgoTenants::Document).text().not_null())
                    .col(ColumnDef::new(ArgoTenants::Status).text().null())
                    .col(ColumnDef::new(ArgoTenants::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(manager, "argo_tenants_created", ArgoTenants::Table, [ArgoTenants::CreatedAt], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(ArgoUsers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ArgoUsers::UserId).string().not_null().primary_key())
                    .col(ColumnDef::new(ArgoUsers::TenantId).string().not_null())
                    .col(ColumnDef::new(ArgoUsers::KeyHash).string().null().unique_key())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArgoGeneration::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ArgoGeneration::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(ArgoGeneration::Value).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let seed = Query::insert()
            .into_table(ArgoGeneration::Table)
            .columns([ArgoGeneration::Id, ArgoGeneration::Value])
            .values_panic([1.into(), 0.into()])
            .to_owned();
        manager.exec_stmt(seed).await?;
        super::index(manager, "argo_users_tenant", ArgoUsers::Table, [ArgoUsers::TenantId], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(
            manager,
            [
                ArgoGeneration::Table.into_iden(),
                ArgoUsers::Table.into_iden(),
                ArgoTenants::Table.into_iden(),
                ArgoAdmins::Table.into_iden(),
            ],
        )
        .await
    }
}
