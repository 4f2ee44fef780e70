//! The PostgreSQL notification store (scale-out: several bot replicas share it).
//!
//! Only one replica runs a scheduler pass at a time: [`NotifyStore::try_lead`] opens a
//! transaction and takes `pg_try_advisory_xact_lock` on a fixed key. The lock lives as long as
//! that transaction: [`PassLock::release`] ends it, and a replica that dies mid-pass loses its
//! connection, which ends the transaction and frees the lock. (A server-side
//! `idle_in_transaction_session_timeout` shorter than a pass would free it early; leave it
//! unset or longer than a pass for the bot's role.)

use std::time::Duration;

use chrono::{DateTime, Utc};
use slbot_store::postgres::PoolSettings;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};

use super::{
    numbered, store_methods, subscription_row_fn, BoxFuture, NotifyStore, PassLock, Singleton,
    StoreError, SCHEMA,
};

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory-lock key of the notification scheduler in the default schema (any fixed
/// number; this one spells "slbotntf" in ASCII, so it will not collide with another
/// application by chance). Advisory locks are database-wide, so a store in its own schema
/// (another deployment, or a test) uses a key derived from the schema name: see [`lock_key`].
pub const SCHEDULER_LOCK_KEY: i64 = 0x736c_626f_746e_7466;

/// The lock key for a store in `schema` (`None`: the default schema).
pub fn lock_key(schema: Option<&str>) -> i64 {
    match schema {
        None => SCHEDULER_LOCK_KEY,
        Some(name) => {
            // FNV-1a over the name, mixed into the base key.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in name.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            SCHEDULER_LOCK_KEY ^ i64::from_ne_bytes(h.to_ne_bytes())
        }
    }
}

subscription_row_fn!(PgRow);

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresNotifyStore {
    pool: PgPool,
    lock_key: i64,
}

impl PostgresNotifyStore {
    /// Connects to `postgres://…` and migrates; with `schema`, every session's `search_path`
    /// is that schema (created if missing), so one database can hold isolated stores (tests).
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let pool = slbot_store::postgres::open(
            url,
            schema,
            PoolSettings {
                max_connections: 8,
                acquire_timeout: ACQUIRE_TIMEOUT,
            },
        )
        .await?;
        let lock_key = lock_key(schema);
        // The schema runs under a session advisory lock (the scheduler's key + 1), so replicas
        // starting together do not race on `CREATE TABLE IF NOT EXISTS`.
        for script in [SCHEMA, super::history::POSTGRES_SCHEMA] {
            slbot_store::migrate::run_script_postgres(&pool, lock_key.wrapping_add(1), script)
                .await
                .map_err(|e| StoreError::Unavailable(format!("creating the schema: {e}")))?;
        }
        Ok(Self { pool, lock_key })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

struct AdvisoryLock {
    tx: Transaction<'static, Postgres>,
}

impl PassLock for AdvisoryLock {
    fn keep_alive(&self, _now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        // The lock lasts as long as the transaction; nothing to extend.
        Box::pin(async {})
    }

    fn release(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            // Ending the transaction releases the transaction-level lock.
            if let Err(e) = self.tx.rollback().await {
                tracing::warn!(error = %e, "cannot end the scheduler lock's transaction; the pool drops it");
            }
        })
    }
}

impl super::queue::EventQueue for PostgresNotifyStore {
    super::queue::queue_methods!(numbered, "BEGIN", " FOR UPDATE SKIP LOCKED", false);
}

impl super::sending::SendingMarks for PostgresNotifyStore {
    super::sending::sending_methods!(numbered);
}

impl super::history::History for PostgresNotifyStore {
    super::history::history_methods!(numbered, "BEGIN");
}

impl super::prices::PriceFiles for PostgresNotifyStore {
    super::prices::prices_methods!(numbered);
}

impl NotifyStore for PostgresNotifyStore {
    store_methods!(numbered, "BEGIN");

    fn try_lead_for(
        &self,
        job: Singleton,
        _now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Option<Box<dyn PassLock>>, StoreError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await.map_err(StoreError::from_sqlx)?;
            let row = sqlx::query("SELECT pg_try_advisory_xact_lock($1) AS locked")
                .bind(self.lock_key ^ job.key_bits())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            let locked: bool = row.try_get("locked").map_err(StoreError::from_sqlx)?;
            if locked {
                Ok(Some(Box::new(AdvisoryLock { tx }) as Box<dyn PassLock>))
            } else {
                tx.rollback().await.map_err(StoreError::from_sqlx)?;
                Ok(None)
            }
        })
    }
}
