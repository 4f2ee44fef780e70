//! The SQLite token store (the default): one file in WAL mode, sqlx runtime-checked queries.
//!
//! `with_refresh_lock` uses `BEGIN IMMEDIATE`, which takes the file's write lock: concurrent
//! refreshes of any person queue behind it (the busy timeout is long enough for one SSO call).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use slbot_store::sqlite::{as_written, begin_immediate, PoolSettings};
use sqlx::sqlite::SqliteRow;
use sqlx::SqlitePool;

use super::StoreError;
use crate::crypto::Keyring;

/// The schema, oldest migration first.
const MIGRATIONS: [&str; 5] = [
    include_str!("../../migrations/sqlite/0001_token_store.sql"),
    include_str!("../../migrations/sqlite/0002_seen_nonces.sql"),
    include_str!("../../migrations/sqlite/0003_seal_format.sql"),
    include_str!("../../migrations/sqlite/0004_alexa_link.sql"),
    include_str!("../../migrations/sqlite/0005_dashboard_sessions.sql"),
];

/// Longer than an SSO refresh call, which runs while the write lock is held.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Calls of the replay window, to purge old nonces every [`super::PURGE_NONCES_EVERY`].
    nonce_calls: Arc<AtomicU64>,
    pool: SqlitePool,
    keys: Keyring,
}

impl SqliteStore {
    /// Opens (creating it when the URL allows) `sqlite://FILE[?mode=rwc]` and migrates.
    pub async fn connect(url: &str, keys: Keyring) -> Result<Self, StoreError> {
        let pool = slbot_store::sqlite::open(
            url,
            PoolSettings {
                max_connections: 8,
                busy_timeout: BUSY_TIMEOUT,
            },
        )
        .await?;
        Self::migrated(pool, keys).await
    }
}

super::engine::token_store_impl! {
    store = SqliteStore,
    pool = SqlitePool,
    migrations = MIGRATIONS,
    row = SqliteRow,
    // SQLite takes the SQL as written (`?` placeholders); `BEGIN IMMEDIATE` takes the file's
    // write lock up front, so a concurrent transaction waits instead of failing at its first
    // write.
    sql = as_written,
    begin_locked = begin_immediate,
    // The file's write lock, taken by `BEGIN IMMEDIATE`, covers every row.
    row_lock = "",
}
