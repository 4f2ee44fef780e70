//! Opening a SQLite store: one file in WAL mode (`synchronous = NORMAL`), created when the URL
//! does not say otherwise, with a busy timeout so that writers queue instead of failing.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::OpenError;

/// How a store's pool is sized and how long it waits.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a statement waits for the file's write lock, and a caller for a connection.
    pub busy_timeout: Duration,
}

/// Opens (creating it unless the URL says `mode=`) `sqlite://FILE[?mode=…]`.
pub async fn open(url: &str, settings: PoolSettings) -> Result<SqlitePool, OpenError> {
    let mut options = SqliteConnectOptions::from_str(url)
        .map_err(|e| OpenError::BadUrl(e.to_string()))?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(settings.busy_timeout);
    if !url.contains("mode=") {
        options = options.create_if_missing(true);
    }
    SqlitePoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.busy_timeout)
        .connect_with(options)
        .await
        .map_err(OpenError::from_sqlx)
}

/// SQLite takes `?`-placeholder SQL as written (the counterpart of
/// [`crate::postgres::numbered`]).
pub fn as_written(sql: &str) -> String {
    sql.to_string()
}

/// Opens a transaction that reads and then writes: `BEGIN IMMEDIATE` takes the file's write
/// lock up front, so a concurrent one waits (up to the busy timeout) instead of failing with
/// "database is locked" at its first write.
pub async fn begin_immediate(
    pool: &SqlitePool,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}
