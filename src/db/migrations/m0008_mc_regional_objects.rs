//! MC's regional objects (flavors, operator codes, cloudlets, ...): one
//! generic table, as the regional Controller keeps them in one key-value
//! store. A row is one object of one kind in one region, keyed by its key
//! as the original writes it; the owning org is a column so that shows
//! and "in use" checks filter in SQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McRegionalObjects {
    Table,
    Region,
    Kind,
    ObjectKey,
    Org,
    Document,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use McRegionalObjects as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(T::Region).string().not_null())
                    .col(ColumnDef::new(T::Kind).string().not_null())
                    .col(ColumnDef::new(T::ObjectKey).string().not_null())
                    .col(ColumnDef::new(T::Org).string().not_null().default(""))
                    .col(ColumnDef::new(T::Document).text().not_null())
                    .col(ColumnDef::new(T::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(T::UpdatedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(T::Region).col(T::Kind).col(T::ObjectKey))
                    .to_owned(),
            )
            .await?;
        super::index(manager, "mc_regional_objects_org", T::Table, [T::Org, T::Region, T::Kind], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McRegionalObjects::Table.into_iden()]).await
    }
}
