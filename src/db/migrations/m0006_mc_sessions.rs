//! What MC's sessions need to be revocable and its one-time codes
//! single-use: a per-user token generation (every token carries the one it
//! was issued under; a password change or reset bumps it), and the last
//! accepted one-time code with when it was accepted. API keys' grants move
//! to a subject no user name can take (`apikey:<id>`); one role per user
//! per org and one account per email address (ignoring case) become unique
//! indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McUsers {
    Table,
    TokenGeneration,
    TotpLastCode,
    TotpLastAt,
}

fn columns() -> [ColumnDef; 3] {
    [
        ColumnDef::new(McUsers::TokenGeneration).big_integer().not_null().default(0).to_owned(),
        ColumnDef::new(McUsers::TotpLastCode).string().not_null().default("").to_owned(),
        ColumnDef::new(McUsers::TotpLastAt).timestamp_with_time_zone().null().to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for mut column in columns() {
            manager.alter_table(Table::alter().table(McUsers::Table).add_column(&mut column).to_owned()).await?;
        }
        // One role per user per org (the admin roles of the empty org may
        // be several), held by the database so parallel grants cannot both
        // land.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS mc_role_grants_one_per_org ON mc_role_grants (org, subject) \
                 WHERE org <> ''",
            )
            .await?;
        // One account per mailbox, whatever the case of the address.
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX IF NOT EXISTS mc_users_email_lower ON mc_users (lower(email))")
            .await?;
        // A key's grant is the one whose role is `<subject>-role`.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE mc_role_grants SET subject = 'apikey:' || subject WHERE role = subject || '-role'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX IF EXISTS mc_role_grants_one_per_org").await?;
        manager.get_connection().execute_unprepared("DROP INDEX IF EXISTS mc_users_email_lower").await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE mc_role_grants SET subject = substr(subject, 8) WHERE subject LIKE 'apikey:%'")
            .await?;
        for column in [McUsers::TokenGeneration, McUsers::TotpLastCode, McUsers::TotpLastAt] {
            manager.alter_table(Table::alter().table(McUsers::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
