//! MC's cloudlet-pool access (`org_cloudlet_pools`): operators' invitations
//! of developer orgs to their pools and the developers' responses, one row
//! of each type per (org, region, pool, pool org) as MC's `compindex` keeps
//! them; `seq` keeps the order rows were written in, which MC's grant
//! pairing follows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McOrgCloudletPools {
    Table,
    Seq,
    Org,
    Region,
    CloudletPool,
    CloudletPoolOrg,
    Kind,
    Decision,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McOrgCloudletPools::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(McOrgCloudletPools::Seq).big_integer().not_null().auto_increment().primary_key(),
                    )
                    .col(ColumnDef::new(McOrgCloudletPools::Org).string().not_null())
                    .col(ColumnDef::new(McOrgCloudletPools::Region).string().not_null())
                    .col(ColumnDef::new(McOrgCloudletPools::CloudletPool).string().not_null())
                    .col(ColumnDef::new(McOrgCloudletPools::CloudletPoolOrg).string().not_null())
                    .col(ColumnDef::new(McOrgCloudletPools::Kind).string().not_null())
                    .col(ColumnDef::new(McOrgCloudletPools::Decision).string().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        super::index(
            manager,
            "mc_org_cloudlet_pools_compindex",
            McOrgCloudletPools::Table,
            [
                McOrgCloudletPools::Org,
                McOrgCloudletPools::Region,
                McOrgCloudletPools::CloudletPool,
                McOrgCloudletPools::CloudletPoolOrg,
                McOrgCloudletPools::Kind,
            ],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(manager, [McOrgCloudletPools::Table.into_iden()]).await
    }
}
