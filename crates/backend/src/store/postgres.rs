//! The PostgreSQL token store (for scale-out): the same schema and behaviour as
//! [`super::sqlite`], with row locks (`SELECT … FOR UPDATE`) instead of a file lock, so
//! refreshes of different people run in parallel and any replica can finish any flow.
//!
//! The SQL and the [`TokenStore`](super::TokenStore) methods are shared with SQLite
//! (`store::engine`); SQL is written with `?` placeholders and numbered `$1…` by
//! [`slbot_store::postgres::numbered`].

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use slbot_store::postgres::{numbered, PoolSettings};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Transaction};

use super::StoreError;
use crate::crypto::Keyring;

/// The schema, oldest migration first.
const MIGRATIONS: [&str; 5] = [
    include_str!("../../migrations/postgres/0001_token_store.sql"),
    include_str!("../../migrations/postgres/0002_seen_nonces.sql"),
    include_str!("../../migrations/postgres/0003_seal_format.sql"),
    include_str!("../../migrations/postgres/0004_alexa_link.sql"),
    include_str!("../../migrations/postgres/0005_dashboard_sessions.sql"),
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
        Self::migrated(pool, keys).await
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
    pool = PgPool,
    migrations = MIGRATIONS,
    row = PgRow,
    sql = numbered,
    begin_locked = begin,
    row_lock = " FOR UPDATE",
}
