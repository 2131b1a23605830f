//! The EdgeXR Master Controller's identity tables: users (with their
//! lockout counters, so replicas share them), organizations, role grants,
//! user API keys with their permissions, and single-use mailed tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McUsers {
    Table,
    Name,
    NameKey,
    Email,
    EmailVerified,
    Passhash,
    FamilyName,
    GivenName,
    Picture,
    Nickname,
    CreatedAt,
    UpdatedAt,
    Locked,
    PassCrackTimeSec,
    EnableTotp,
    TotpSharedKey,
    Metadata,
    LastLogin,
    LastFailedLogin,
    FailedLogins,
}

#[derive(DeriveIden)]
enum McOrgs {
    Table,
    Name,
    NameKey,
    OrgType,
    Address,
    Phone,
    CreatedAt,
    UpdatedAt,
    PublicImages,
    DeleteInProgress,
    Parent,
    EdgeboxOnly,
}

#[derive(DeriveIden)]
enum McRoleGrants {
    Table,
    Org,
    Subject,
    Role,
}

#[derive(DeriveIden)]
enum McApiKeys {
    Table,
    Id,
    Description,
    Org,
    Username,
    KeyHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum McApiKeyPerms {
    Table,
    KeyId,
    Resource,
    Action,
}

#[derive(DeriveIden)]
enum McTokens {
    Table,
    TokenHash,
    Purpose,
    Username,
    ExpiresAt,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().default("").to_owned()
}

fn flag(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).boolean().not_null().default(false).to_owned()
}

fn stamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McUsers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McUsers::Name).string().not_null().primary_key())
                    .col(ColumnDef::new(McUsers::NameKey).string().not_null().unique_key())
                    .col(ColumnDef::new(McUsers::Email).string().not_null().unique_key())
                    .col(flag(McUsers::EmailVerified))
                    .col(text(McUsers::Passhash))
                    .col(text(McUsers::FamilyName))
                    .col(text(McUsers::GivenName))
                    .col(text(McUsers::Picture))
                    .col(text(McUsers::Nickname))
                    .col(stamp(McUsers::CreatedAt))
                    .col(stamp(McUsers::UpdatedAt))
                    .col(flag(McUsers::Locked))
                    .col(ColumnDef::new(McUsers::PassCrackTimeSec).double().not_null().default(0.0))
                    .col(flag(McUsers::EnableTotp))
                    .col(text(McUsers::TotpSharedKey))
                    .col(text(McUsers::Metadata))
                    .col(ColumnDef::new(McUsers::LastLogin).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(McUsers::LastFailedLogin).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(McUsers::FailedLogins).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(McOrgs::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McOrgs::Name).string().not_null().primary_key())
                    .col(ColumnDef::new(McOrgs::NameKey).string().not_null().unique_key())
                    .col(ColumnDef::new(McOrgs::OrgType).string().not_null())
                    .col(text(McOrgs::Address))
                    .col(text(McOrgs::Phone))
                    .col(stamp(McOrgs::CreatedAt))
                    .col(stamp(McOrgs::UpdatedAt))
                    .col(flag(McOrgs::PublicImages))
                    .col(flag(McOrgs::DeleteInProgress))
                    .col(text(McOrgs::Parent))
                    .col(flag(McOrgs::EdgeboxOnly))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(McRoleGrants::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McRoleGrants::Org).string().not_null())
                    .col(ColumnDef::new(McRoleGrants::Subject).string().not_null())
                    .col(ColumnDef::new(McRoleGrants::Role).string().not_null())
                    .primary_key(
                        Index::create().col(McRoleGrants::Org).col(McRoleGrants::Subject).col(McRoleGrants::Role),
                    )
                    .to_owned(),
            )
            .await?;
        super::index(manager, "mc_role_grants_subject", McRoleGrants::Table, [McRoleGrants::Subject], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(McApiKeys::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McApiKeys::Id).string().not_null().primary_key())
                    .col(text(McApiKeys::Description))
                    .col(text(McApiKeys::Org))
                    .col(ColumnDef::new(McApiKeys::Username).string().not_null())
                    .col(ColumnDef::new(McApiKeys::KeyHash).string().not_null())
                    .col(stamp(McApiKeys::CreatedAt))
                    .col(stamp(McApiKeys::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        super::index(manager, "mc_api_keys_username", McApiKeys::Table, [McApiKeys::Username], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(McApiKeyPerms::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McApiKeyPerms::KeyId).string().not_null())
                    .col(ColumnDef::new(McApiKeyPerms::Resource).string().not_null())
                    .col(ColumnDef::new(McApiKeyPerms::Action).string().not_null())
                    .primary_key(
                        Index::create()
                            .col(McApiKeyPerms::KeyId)
                            .col(McApiKeyPerms::Resource)
                            .col(McApiKeyPerms::Action),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(McTokens::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(McTokens::TokenHash).string().not_null().primary_key())
                    .col(ColumnDef::new(McTokens::Purpose).string().not_null())
                    .col(ColumnDef::new(McTokens::Username).string().not_null())
                    .col(stamp(McTokens::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_tables(
            manager,
            [
                McTokens::Table.into_iden(),
                McApiKeyPerms::Table.into_iden(),
                McApiKeys::Table.into_iden(),
                McRoleGrants::Table.into_iden(),
                McOrgs::Table.into_iden(),
                McUsers::Table.into_iden(),
            ],
        )
        .await
    }
}
