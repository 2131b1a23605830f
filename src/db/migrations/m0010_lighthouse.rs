//! Lighthouse API v0.2: users with their AuthLevels and resource grants,
//! server-side sessions, beacons (tokens sealed), their instances,
//! aliases, applications and their deployment history. Every table keeps
//! a `seq` (or `id`) so lists come out in the order rows were written, as
//! the original's tables did.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LighthouseUsers {
    Table,
    Seq,
    Email,
    PasswordHash,
    AuthLevel,
}

#[derive(DeriveIden)]
enum LighthouseGrants {
    Table,
    Seq,
    Email,
    Kind,
    Target,
    Level,
}

#[derive(DeriveIden)]
enum LighthouseSessions {
    Table,
    TokenHash,
    Email,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LighthouseBeacons {
    Table,
    Seq,
    Address,
    TokenSealed,
}

#[derive(DeriveIden)]
enum LighthouseInstances {
    Table,
    Seq,
    InstanceAddress,
    Name,
    CanAccessDocker,
    BeaconAddress,
}

#[derive(DeriveIden)]
enum LighthouseAliases {
    Table,
    Seq,
    Address,
    Alias,
}

#[derive(DeriveIden)]
enum LighthouseApplications {
    Table,
    Id,
    Name,
    CurrentDeployment,
    Instances,
}

#[derive(DeriveIden)]
enum LighthouseDeployments {
    Table,
    Id,
    AppId,
    Command,
    Creator,
    Date,
}

fn seq<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().auto_increment().primary_key().to_owned()
}

fn text<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use LighthouseUsers as U;
        manager
            .create_table(
                Table::create()
                    .table(U::Table)
                    .if_not_exists()
                    .col(seq(U::Seq))
                    .col(text(U::Email).unique_key().to_owned())
                    .col(text(U::PasswordHash))
                    .col(ColumnDef::new(U::AuthLevel).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        use LighthouseGrants as G;
        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .if_not_exists()
                    .col(seq(G::Seq))
                    .col(text(G::Email))
                    .col(text(G::Kind))
                    .col(text(G::Target))
                    .col(ColumnDef::new(G::Level).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(manager, "lighthouse_grants_owner", G::Table, [G::Email, G::Kind, G::Target], true).await?;
        use LighthouseSessions as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .if_not_exists()
                    .col(text(S::TokenHash).primary_key().to_owned())
                    .col(text(S::Email))
                    .col(ColumnDef::new(S::ExpiresAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(manager, "lighthouse_sessions_email", S::Table, [S::Email], false).await?;
        use LighthouseBeacons as B;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .if_not_exists()
                    .col(seq(B::Seq))
                    .col(text(B::Address).unique_key().to_owned())
                    .col(text(B::TokenSealed))
                    .to_owned(),
            )
            .await?;
        use LighthouseInstances as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .if_not_exists()
                    .col(seq(I::Seq))
                    .col(text(I::InstanceAddress).unique_key().to_owned())
                    .col(text(I::Name))
                    .col(ColumnDef::new(I::CanAccessDocker).boolean().not_null())
                    .col(text(I::BeaconAddress))
                    .to_owned(),
            )
            .await?;
        super::index(manager, "lighthouse_instances_beacon", I::Table, [I::BeaconAddress], false).await?;
        use LighthouseAliases as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .if_not_exists()
                    .col(seq(A::Seq))
                    .col(text(A::Address).unique_key().to_owned())
                    .col(text(A::Alias))
                    .to_owned(),
            )
            .await?;
        super::index(manager, "lighthouse_aliases_alias", A::Table, [A::Alias], false).await?;
        use LighthouseApplications as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(seq(P::Id))
                    .col(text(P::Name).unique_key().to_owned())
                    .col(ColumnDef::new(P::CurrentDeployment).big_integer().not_null())
                    .col(text(P::Instances))
                    .to_owned(),
            )
            .await?;
        use LighthouseDeployments as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .if_not_exists()
                    .col(seq(D::Id))
                    .col(ColumnDef::new(D::AppId).big_integer().not_null())
                    .col(text(D::Command))
                    .col(text(D::Creator))
                    .col(ColumnDef::new(D::Date).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        super::index(manager, "lighthouse_deployments_app", D::Table, [D::AppId, D::Id], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(
            manager,
            [
                LighthouseDeployments::Table.into_iden(),
                LighthouseApplications::Table.into_iden(),
                LighthouseAliases::Table.into_iden(),
                LighthouseInstances::Table.into_iden(),
                LighthouseBeacons::Table.into_iden(),
                LighthouseSessions::Table.into_iden(),
                LighthouseGrants::Table.into_iden(),
                LighthouseUsers::Table.into_iden(),
            ],
        )
        .await
    }
}
