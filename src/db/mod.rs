//! The database: connection, migrations, entities, and the few helpers
//! every store shares (error classification, settings, audit).

pub mod audit;
pub mod audited;
pub mod entities;
pub mod migrations;
pub mod settings;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use sea_orm_migration::MigratorTrait;

pub use migrations::Migrator;

/// Connects with settings suited to each backend: SQLite in WAL mode with a
/// busy timeout (several writers queue instead of failing), PostgreSQL with
/// a pool sized for a small machine.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // An in-memory database lives in one connection; a file is shared.
        options.max_connections(if in_memory { 1 } else { 8 }).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(16).min_connections(1);
    }
    Database::connect(options).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
/// writes fails with SQLITE_BUSY when another writer got in first, which
/// no busy timeout retries. PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}

/// Whether an error is a unique-constraint violation: a conflict with an
/// existing row, never a server error.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// PostgreSQL refused text it cannot store (a NUL character, SQLSTATE
/// 22021): the client's input, not a server fault, so surfaces answer it
/// with their own 4xx. (SQLite stores such text as given.)
pub fn is_unstorable_text(error: &DbErr) -> bool {
    let text = error.to_string();
    text.contains("invalid byte sequence for encoding") || text.contains("22021")
}

/// No database connection came free in time: the server is saturated, not
/// broken, so surfaces answer their "try again later" (503), not a 500.
pub fn is_saturated(error: &DbErr) -> bool {
    matches!(error, DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))
}

/// An update found no row: it was deleted after the handler read it.
/// Handlers answer their not-found (never a 500, never a re-created row).
pub fn is_gone(error: &DbErr) -> bool {
    matches!(error, DbErr::RecordNotUpdated | DbErr::RecordNotFound(_))
}

/// What surfaces say when a text cannot be stored.
pub const UNSTORABLE_TEXT: &str = "text must not contain NUL characters";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_timeout_is_saturation_not_failure() {
        assert!(is_saturated(&DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)));
        assert!(!is_saturated(&DbErr::RecordNotUpdated));
        let answer =
            crate::surfaces::mc::errors::McError::from(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
        assert_eq!(answer.status.as_u16(), 503);
    }
}
