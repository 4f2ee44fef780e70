//! The SQLite token store (the default): one file in WAL mode, sqlx runtime-checked queries.
//!
//! `with_refresh_lock` uses `BEGIN IMMEDIATE`, which takes the file's write lock: concurrent
//! refreshes of any person queue behind it (the busy timeout is long enough for one SSO call).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use slbot_store::sqlite::{as_written, begin_immediate, PoolSettings};
use sqlx::sqlite::SqliteRow;
use sqlx::SqlitePool;

use super::engine::nonce_error;
use super::{secs, BoxFuture, StoreError};
use crate::crypto::Keyring;
use slbot_signing::nonce::{NonceStore, NonceStoreError};
use slbot_signing::scheme::REPLAY_WINDOW_SECS;

/// The schema, oldest migration first.
const MIGRATIONS: [&str; 2] = [
    include_str!("../../migrations/sqlite/0001_token_store.sql"),
    include_str!("../../migrations/sqlite/0002_seen_nonces.sql"),
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
        super::migrator(MIGRATIONS)
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the schema: {e}")))?;
        Ok(Self {
            nonce_calls: Arc::new(AtomicU64::new(0)),
            pool,
            keys,
        })
    }

    /// The keyring in use.
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Closes the pool (flushes the WAL on the last connection).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

super::engine::token_store_impl! {
    store = SqliteStore,
    row = SqliteRow,
    // SQLite takes the SQL as written (`?` placeholders); `BEGIN IMMEDIATE` takes the file's
    // write lock up front, so a concurrent transaction waits instead of failing at its first
    // write.
    sql = as_written,
    begin_locked = begin_immediate,
    // The file's write lock, taken by `BEGIN IMMEDIATE`, covers every row.
    row_lock = "",
}

impl NonceStore for SqliteStore {
    fn check_and_record<'a>(
        &'a self,
        nonce: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, NonceStoreError>> {
        Box::pin(async move {
            let cutoff = secs(now) - REPLAY_WINDOW_SECS;
            if self
                .nonce_calls
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(super::PURGE_NONCES_EVERY)
            {
                sqlx::query(super::PURGE_NONCES_SQL)
                    .bind(cutoff)
                    .execute(&self.pool)
                    .await
                    .map_err(nonce_error)?;
            }
            let fresh = sqlx::query(super::RECORD_NONCE_SQL)
                .bind(nonce)
                .bind(secs(now))
                .bind(cutoff)
                .fetch_optional(&self.pool)
                .await
                .map_err(nonce_error)?;
            Ok(fresh.is_some())
        })
    }
}
