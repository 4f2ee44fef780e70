//! The PostgreSQL token store (for scale-out): the same schema and behaviour as
//! [`super::sqlite`], with row locks (`SELECT … FOR UPDATE`) instead of a file lock, so
//! refreshes of different people run in parallel and any replica can finish any flow.
//!
//! The SQL and the [`TokenStore`](super::TokenStore) methods are shared with SQLite
//! (`store::engine`); SQL is written with `?` placeholders and numbered `$1…` by
//! [`slbot_store::postgres::numbered`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use slbot_store::postgres::{numbered, PoolSettings};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Transaction};

use super::engine::nonce_error;
use super::{secs, BoxFuture, StoreError};
use crate::crypto::Keyring;
use slbot_signing::nonce::{NonceStore, NonceStoreError};
use slbot_signing::scheme::REPLAY_WINDOW_SECS;

/// The schema, oldest migration first.
const MIGRATIONS: [&str; 2] = [
    include_str!("../../migrations/postgres/0001_token_store.sql"),
    include_str!("../../migrations/postgres/0002_seen_nonces.sql"),
];

/// How long to wait for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    /// Calls of the replay window, to purge old nonces every [`super::PURGE_NONCES_EVERY`].
    nonce_calls: Arc<AtomicU64>,
    pool: PgPool,
    keys: Keyring,
}

impl PostgresStore {
    /// Connects to `postgres://…` and migrates.
    pub async fn connect(url: &str, keys: Keyring) -> Result<Self, StoreError> {
        Self::connect_in_schema(url, None, keys).await
    }

    /// Connects with every session's `search_path` set to `schema` (created if missing), so
    /// the tables live there: one database can hold isolated stores (tests, tenants).
    pub async fn connect_in_schema(
        url: &str,
        schema: Option<&str>,
        keys: Keyring,
    ) -> Result<Self, StoreError> {
        let pool = slbot_store::postgres::open(
            url,
            schema,
            PoolSettings {
                max_connections: 16,
                acquire_timeout: ACQUIRE_TIMEOUT,
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

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// PostgreSQL locks rows, not the database: a plain `BEGIN`, and the reads that must not
/// race say `FOR UPDATE` (`row_lock` below), so different people's rows do not wait on each
/// other.
async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin().await
}

super::engine::token_store_impl! {
    store = PostgresStore,
    row = PgRow,
    sql = numbered,
    begin_locked = begin,
    row_lock = " FOR UPDATE",
}

impl NonceStore for PostgresStore {
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
                sqlx::query(&numbered(super::PURGE_NONCES_SQL))
                    .bind(cutoff)
                    .execute(&self.pool)
                    .await
                    .map_err(nonce_error)?;
            }
            let fresh = sqlx::query(&numbered(super::RECORD_NONCE_SQL))
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
