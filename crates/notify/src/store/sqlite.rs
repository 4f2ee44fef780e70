//! The SQLite notification store (the default): one file in WAL mode.
//!
//! Passes are serialised across processes sharing the file by a lease row
//! (`notify_lease`): a process takes it when it is free or expired, and deletes it when its
//! pass ends. A crashed process's lease expires after [`LEASE`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use slbot_store::sqlite::{as_written, PoolSettings};
use sqlx::sqlite::SqliteRow;
use sqlx::SqlitePool;

use super::{
    secs, store_methods, subscription_row_fn, BoxFuture, NotifyStore, PassLock, Singleton,
    StoreError, SCHEMA,
};

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the lease lasts after it was taken or last extended (a pass extends it before
/// each subscription); a crashed process's lease is free again after this.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(30);

subscription_row_fn!(SqliteRow);

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteNotifyStore {
    pool: SqlitePool,
    /// This process's name in the lease row.
    holder: String,
}

impl SqliteNotifyStore {
    /// Opens (creating it when the URL allows) `sqlite://FILE[?mode=rwc]` and migrates.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = slbot_store::sqlite::open(
            url,
            PoolSettings {
                max_connections: 8,
                busy_timeout: BUSY_TIMEOUT,
            },
        )
        .await?;
        for script in [SCHEMA, super::history::SQLITE_SCHEMA] {
            slbot_store::migrate::run_script_sqlite(&pool, script)
                .await
                .map_err(|e| StoreError::Unavailable(format!("creating the schema: {e}")))?;
        }
        Ok(Self {
            pool,
            holder: slbot_base::random_hex(8),
        })
    }

    /// Closes the pool (tests reopen the file to check that nothing lives in memory).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

struct Lease {
    pool: SqlitePool,
    holder: String,
    job: Singleton,
}

impl PassLock for Lease {
    fn keep_alive(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let renewed =
                sqlx::query("UPDATE notify_lease SET until = ? WHERE name = ? AND holder = ?")
                    .bind(secs(now + self.job.lease()))
                    .bind(self.job.name())
                    .bind(&self.holder)
                    .execute(&self.pool)
                    .await;
            if let Err(e) = renewed {
                tracing::warn!(error = %e, "cannot extend the scheduler lease");
            }
        })
    }

    fn release(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let gone = sqlx::query("DELETE FROM notify_lease WHERE name = ? AND holder = ?")
                .bind(self.job.name())
                .bind(&self.holder)
                .execute(&self.pool)
                .await;
            if let Err(e) = gone {
                tracing::warn!(error = %e, "cannot release the scheduler lease; it expires by itself");
            }
        })
    }
}

impl super::queue::EventQueue for SqliteNotifyStore {
    super::queue::queue_methods!(as_written, "BEGIN IMMEDIATE", "", true);
}

impl super::sending::SendingMarks for SqliteNotifyStore {
    super::sending::sending_methods!(as_written);
}

impl super::history::History for SqliteNotifyStore {
    super::history::history_methods!(as_written, "BEGIN IMMEDIATE");
}

impl super::prices::PriceFiles for SqliteNotifyStore {
    super::prices::prices_methods!(as_written);
}

impl NotifyStore for SqliteNotifyStore {
    store_methods!(as_written, "BEGIN IMMEDIATE");

    fn try_lead_for(
        &self,
        job: Singleton,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Option<Box<dyn PassLock>>, StoreError>> {
        Box::pin(async move {
            let taken = sqlx::query(
                "INSERT INTO notify_lease (name, holder, until) VALUES (?, ?, ?) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                 WHERE notify_lease.until <= ? OR notify_lease.holder = excluded.holder",
            )
            .bind(job.name())
            .bind(&self.holder)
            .bind(secs(now + job.lease()))
            .bind(secs(now))
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?
            .rows_affected();
            Ok((taken > 0).then(|| {
                Box::new(Lease {
                    pool: self.pool.clone(),
                    holder: self.holder.clone(),
                    job,
                }) as Box<dyn PassLock>
            }))
        })
    }
}
