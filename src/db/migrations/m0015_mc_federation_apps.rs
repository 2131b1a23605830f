//! MC federation, what guests deploy: on the host, the images, artefacts,
//! apps and app instances a partner pushed (`provider_*`, keyed by the
//! host federation's name and the partner's ID); on the guest, the images
//! and apps its developers sent to a host (`consumer_*`). List columns
//! (file, artefact, zone and image IDs) hold JSON arrays.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McProviderImages {
    Table,
    FederationName,
    FileId,
    Path,
    Name,
    Description,
    Version,
    Type,
    AppProviderId,
    Checksum,
    Status,
}

#[derive(DeriveIden)]
enum McProviderArtefacts {
    Table,
    FederationName,
    ArtefactId,
    AppName,
    AppVers,
    AppProviderId,
    ArtefactName,
    ArtefactVersion,
    VirtType,
    DescType,
    FileIds,
}

#[derive(DeriveIden)]
enum McProviderApps {
    Table,
    FederationName,
    AppId,
    AppName,
    AppVers,
    AppProviderId,
    ArtefactIds,
    DeploymentZones,
    AppStatusCallbackLink,
}

#[derive(DeriveIden)]
enum McProviderAppInsts {
    Table,
    FederationName,
    AppInstId,
    AppId,
    AppName,
    AppVers,
    Region,
    Cloudlet,
    CloudletOrg,
    CloudletFedOrg,
    AppInstCallbackLink,
    Error,
}

#[derive(DeriveIden)]
enum McConsumerImages {
    Table,
    Id,
    Organization,
    FederationName,
    Name,
    ImageKey,
    Version,
    SourcePath,
    Type,
    Checksum,
    Status,
}

#[derive(DeriveIden)]
enum McConsumerApps {
    Table,
    Id,
    Region,
    AppName,
    AppOrg,
    AppVers,
    FederationName,
    ImageIds,
}

fn text<C: IntoIden>(column: C) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn key<C: IntoIden>(column: C) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use McProviderImages as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .if_not_exists()
                    .col(key(I::FederationName))
                    .col(key(I::FileId))
                    .col(text(I::Path))
                    .col(text(I::Name))
                    .col(text(I::Description))
                    .col(text(I::Version))
                    .col(text(I::Type))
                    .col(text(I::AppProviderId))
                    .col(text(I::Checksum))
                    .col(text(I::Status))
                    .primary_key(Index::create().col(I::FederationName).col(I::FileId))
                    .to_owned(),
            )
            .await?;
        use McProviderArtefacts as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .if_not_exists()
                    .col(key(A::FederationName))
                    .col(key(A::ArtefactId))
                    .col(text(A::AppName))
                    .col(text(A::AppVers))
                    .col(text(A::AppProviderId))
                    .col(text(A::ArtefactName))
                    .col(text(A::ArtefactVersion))
                    .col(text(A::VirtType))
                    .col(text(A::DescType))
                    .col(text(A::FileIds))
                    .primary_key(Index::create().col(A::FederationName).col(A::ArtefactId))
                    .to_owned(),
            )
            .await?;
        use McProviderApps as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(key(P::FederationName))
                    .col(key(P::AppId))
                    .col(text(P::AppName))
                    .col(text(P::AppVers))
                    .col(text(P::AppProviderId))
                    .col(text(P::ArtefactIds))
                    .col(text(P::DeploymentZones))
                    .col(text(P::AppStatusCallbackLink))
                    .primary_key(Index::create().col(P::FederationName).col(P::AppId))
                    .to_owned(),
            )
            .await?;
        use McProviderAppInsts as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .if_not_exists()
                    .col(key(N::FederationName))
                    .col(key(N::AppInstId))
                    .col(text(N::AppId))
                    .col(text(N::AppName))
                    .col(text(N::AppVers))
                    .col(text(N::Region))
                    .col(text(N::Cloudlet))
                    .col(text(N::CloudletOrg))
                    .col(text(N::CloudletFedOrg))
                    .col(text(N::AppInstCallbackLink))
                    .col(text(N::Error))
                    .primary_key(Index::create().col(N::FederationName).col(N::AppInstId))
                    .to_owned(),
            )
            .await?;
        use McConsumerImages as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(C::Id).string().not_null().primary_key())
                    .col(key(C::Organization))
                    .col(key(C::FederationName))
                    .col(text(C::Name))
                    .col(ColumnDef::new(C::ImageKey).string().not_null().unique_key())
                    .col(text(C::Version))
                    .col(text(C::SourcePath))
                    .col(text(C::Type))
                    .col(text(C::Checksum))
                    .col(text(C::Status))
                    .to_owned(),
            )
            .await?;
        use McConsumerApps as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .if_not_exists()
                    .col(key(D::Id))
                    .col(key(D::Region))
                    .col(key(D::AppName))
                    .col(key(D::AppOrg))
                    .col(key(D::AppVers))
                    .col(key(D::FederationName))
                    .col(text(D::ImageIds))
                    // MC's key: one App may be onboarded to several hosts.
                    .primary_key(Index::create().col(D::Id).col(D::FederationName))
                    .to_owned(),
            )
            .await?;
        super::index(
            manager,
            "mc_consumer_apps_region_app_federation",
            D::Table,
            [D::Region, D::AppName, D::AppOrg, D::AppVers, D::FederationName],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(
            manager,
            [
                McConsumerApps::Table.into_iden(),
                McConsumerImages::Table.into_iden(),
                McProviderAppInsts::Table.into_iden(),
                McProviderApps::Table.into_iden(),
                McProviderArtefacts::Table.into_iden(),
                McProviderImages::Table.into_iden(),
            ],
        )
        .await
    }
}
