//! The durable intake queue in the bot store: accepted webhook events until a worker of any
//! replica has finished them ([`EventQueue`]).
//!
//! Accepting records the delivery for deduplication and queues the event in one transaction,
//! so an acknowledged event is never lost and never queued twice. Workers take events under a
//! lease ([`EventQueue::take`]: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas never take
//! the same one; SQLite has one writer), renew it while they work, and then finish, retry
//! later, bury (dead letter) or hand back the event. Every change is conditional on the lease
//! owner, so a worker whose lease was taken over cannot finish another's attempt.

use chrono::{DateTime, Utc};

use super::{BoxFuture, StoreError};

/// An event taken by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    /// `resource:event:data.id`.
    pub key: String,
    /// The job as the bot wrote it (JSON).
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub accepted_at: DateTime<Utc>,
}

/// What is waiting, for `/healthz` and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    /// Not dead and not leased (ready now or after a backoff).
    pub waiting: u64,
    /// Taken by a worker whose lease has not expired.
    pub leased: u64,
    /// Dead letters kept for the operator.
    pub dead: u64,
    /// When the oldest live (not dead) event was accepted.
    pub oldest: Option<DateTime<Utc>>,
}

/// How long dead letters are kept.
pub const DEAD_LETTER_RETENTION: chrono::Duration = chrono::Duration::days(7);

/// The queue of accepted events, shared by every replica on the same store.
pub trait EventQueue: Send + Sync {
    /// Records the delivery `key` (see [`super::NotifyStore::first_delivery`]) and, when it
    /// is the first within `retention`, queues `payload`, in one transaction. `Ok(false)`: a
    /// repeat, nothing queued.
    fn accept<'a>(
        &'a self,
        key: &'a str,
        payload: &'a str,
        now: DateTime<Utc>,
        retention: chrono::Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Takes the oldest ready event for `owner` until `lease_until`, counting an attempt.
    fn take<'a>(
        &'a self,
        owner: &'a str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<QueuedEvent>, StoreError>>;

    /// Extends `owner`'s lease; `Ok(false)` when the lease is no longer `owner`'s.
    fn renew<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease_until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// The event is done: removed.
    fn finish<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// The attempt failed: free again at `at`, with `error` kept for the operator.
    fn retry<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        at: DateTime<Utc>,
        error: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// The last attempt failed: kept as a dead letter, never taken again.
    fn bury<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        now: DateTime<Utc>,
        error: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Hands the event back unfinished (shutdown): free at once, the attempt not counted.
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// What is waiting, leased and dead.
    fn depth(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<QueueDepth, StoreError>>;

    /// How many messages of the answer to event `key` were posted (0 when none or unknown).
    fn posted<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u32, StoreError>>;

    /// Records that `posted` messages of the answer to event `key` are posted.
    fn note_posted<'a>(
        &'a self,
        key: &'a str,
        posted: u32,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

pub(crate) const QUEUE_EVENT: &str = "INSERT INTO bot_events \
     (event_key, payload, accepted_at, attempts, available_at) VALUES (?, ?, ?, 0, ?) \
     ON CONFLICT (event_key) DO NOTHING";

/// `{lock}` is ` FOR UPDATE SKIP LOCKED` on PostgreSQL.
pub(crate) const TAKE_EVENT: &str = "UPDATE bot_events SET lease_owner = ?, lease_until = ?, \
     attempts = attempts + 1 WHERE event_key = (SELECT event_key FROM bot_events \
     WHERE dead_at IS NULL AND available_at <= ? AND (lease_until IS NULL OR lease_until <= ?) \
     ORDER BY accepted_at, event_key LIMIT 1{lock}) \
     RETURNING event_key, payload, attempts, accepted_at";

/// Whether an event is ready: a read, so an idle or just-finished worker asks without taking
/// SQLite's one write lock (used there before [`TAKE_EVENT`]).
pub(crate) const ANY_READY: &str = "SELECT 1 AS ready FROM bot_events WHERE dead_at IS NULL \
     AND available_at <= ? AND (lease_until IS NULL OR lease_until <= ?) LIMIT 1";

pub(crate) const RENEW_EVENT: &str =
    "UPDATE bot_events SET lease_until = ? WHERE event_key = ? AND lease_owner = ?";
pub(crate) const FINISH_EVENT: &str =
    "DELETE FROM bot_events WHERE event_key = ? AND lease_owner = ?";
pub(crate) const RETRY_EVENT: &str = "UPDATE bot_events SET lease_owner = NULL, \
     lease_until = NULL, available_at = ?, last_error = ? WHERE event_key = ? AND lease_owner = ?";
pub(crate) const BURY_EVENT: &str = "UPDATE bot_events SET lease_owner = NULL, \
     lease_until = NULL, dead_at = ?, last_error = ? WHERE event_key = ? AND lease_owner = ?";
pub(crate) const RELEASE_EVENT: &str = "UPDATE bot_events SET lease_owner = NULL, \
     lease_until = NULL, attempts = attempts - 1 WHERE event_key = ? AND lease_owner = ?";
pub(crate) const PURGE_DEAD: &str = "DELETE FROM bot_events WHERE dead_at < ?";
pub(crate) const PURGE_POSTS: &str = "DELETE FROM bot_event_posts WHERE noted_at < ?";
pub(crate) const POSTED: &str = "SELECT posted FROM bot_event_posts WHERE event_key = ?";
pub(crate) const NOTE_POSTED: &str = "INSERT INTO bot_event_posts (event_key, posted, noted_at) \
     VALUES (?, ?, ?) ON CONFLICT (event_key) DO UPDATE SET posted = excluded.posted, \
     noted_at = excluded.noted_at";
pub(crate) const QUEUE_DEPTH: &str = "SELECT \
     COUNT(CASE WHEN dead_at IS NULL AND (lease_until IS NULL OR lease_until <= ?) THEN 1 END) AS waiting, \
     COUNT(CASE WHEN dead_at IS NULL AND lease_until > ? THEN 1 END) AS leased, \
     COUNT(dead_at) AS dead, \
     MIN(CASE WHEN dead_at IS NULL THEN accepted_at END) AS oldest FROM bot_events";

/// A future running `sql` with `binds` on the store's pool: `Ok(true)` when it changed
/// exactly one row (the event, still held by its owner).
macro_rules! one_row {
    ($store:expr, $sql:expr, $($bind:expr),+) => {
        async move {
            let changed = sqlx::query(&$sql)
                $(.bind($bind))+
                .execute(&$store.pool)
                .await
                .map_err($crate::store::StoreError::from_sqlx)?
                .rows_affected();
            Ok(changed == 1)
        }
    };
}

/// The [`EventQueue`] methods for both engines: `$sql` numbers the placeholders, `$begin`
/// opens a writing transaction, `$lock` is what [`TAKE_EVENT`]'s subquery locks with, and
/// `$ask_first` whether a take first reads [`ANY_READY`] (SQLite: one writer for everything).
macro_rules! queue_methods {
    ($sql:expr, $begin:expr, $lock:expr, $ask_first:expr) => {
        fn accept<'a>(
            &'a self,
            key: &'a str,
            payload: &'a str,
            now: chrono::DateTime<chrono::Utc>,
            retention: chrono::Duration,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::queue::{
                    DEAD_LETTER_RETENTION, PURGE_DEAD, PURGE_POSTS, QUEUE_EVENT,
                };
                use $crate::store::{purge_deliveries_when_due, record_delivery, secs, StoreError};
                let cutoff = secs(now - retention);
                purge_deliveries_when_due!(
                    self,
                    $sql,
                    cutoff,
                    (PURGE_DEAD, secs(now - DEAD_LETTER_RETENTION)),
                    (PURGE_POSTS, cutoff)
                );
                let mut tx = self
                    .pool
                    .begin_with($begin)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                let first = record_delivery!($sql, &mut *tx, key, now, cutoff)?;
                // A delivery seen again after the retention may still have its dead letter
                // (kept longer): then nothing is queued, and it counts as a repeat.
                let queued = first
                    && sqlx::query(&$sql(QUEUE_EVENT))
                        .bind(key)
                        .bind(payload)
                        .bind(secs(now))
                        .bind(secs(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_sqlx)?
                        .rows_affected()
                        == 1;
                tx.commit().await.map_err(StoreError::from_sqlx)?;
                Ok(queued)
            })
        }

        fn take<'a>(
            &'a self,
            owner: &'a str,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<Option<$crate::store::queue::QueuedEvent>, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::queue::{QueuedEvent, ANY_READY, TAKE_EVENT};
                use $crate::store::{secs, time, StoreError};
                if $ask_first {
                    let ready = sqlx::query(&$sql(ANY_READY))
                        .bind(secs(now))
                        .bind(secs(now))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(StoreError::from_sqlx)?;
                    if ready.is_none() {
                        return Ok(None);
                    }
                }
                let sql = $sql(&TAKE_EVENT.replace("{lock}", $lock));
                let row = sqlx::query(&sql)
                    .bind(owner)
                    .bind(secs(lease_until))
                    .bind(secs(now))
                    .bind(secs(now))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                let Some(row) = row else { return Ok(None) };
                let read = || -> Result<QueuedEvent, sqlx::Error> {
                    Ok(QueuedEvent {
                        key: row.try_get("event_key")?,
                        payload: row.try_get("payload")?,
                        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                        accepted_at: time(row.try_get("accepted_at")?),
                    })
                };
                read().map(Some).map_err(StoreError::from_sqlx)
            })
        }

        fn renew<'a>(
            &'a self,
            key: &'a str,
            owner: &'a str,
            lease_until: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            use $crate::store::{queue::RENEW_EVENT, secs};
            Box::pin($crate::store::queue::one_row!(
                self,
                $sql(RENEW_EVENT),
                secs(lease_until),
                key,
                owner
            ))
        }

        fn finish<'a>(
            &'a self,
            key: &'a str,
            owner: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            use $crate::store::queue::FINISH_EVENT;
            Box::pin($crate::store::queue::one_row!(
                self,
                $sql(FINISH_EVENT),
                key,
                owner
            ))
        }

        fn retry<'a>(
            &'a self,
            key: &'a str,
            owner: &'a str,
            at: chrono::DateTime<chrono::Utc>,
            error: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            use $crate::store::{queue::RETRY_EVENT, secs};
            Box::pin($crate::store::queue::one_row!(
                self,
                $sql(RETRY_EVENT),
                secs(at),
                error,
                key,
                owner
            ))
        }

        fn bury<'a>(
            &'a self,
            key: &'a str,
            owner: &'a str,
            now: chrono::DateTime<chrono::Utc>,
            error: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            use $crate::store::{queue::BURY_EVENT, secs};
            Box::pin($crate::store::queue::one_row!(
                self,
                $sql(BURY_EVENT),
                secs(now),
                error,
                key,
                owner
            ))
        }

        fn release<'a>(
            &'a self,
            key: &'a str,
            owner: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            use $crate::store::queue::RELEASE_EVENT;
            Box::pin($crate::store::queue::one_row!(
                self,
                $sql(RELEASE_EVENT),
                key,
                owner
            ))
        }

        fn posted<'a>(
            &'a self,
            key: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<u32, $crate::store::StoreError>> {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::{queue::POSTED, StoreError};
                let row = sqlx::query(&$sql(POSTED))
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                Ok(match row {
                    None => 0,
                    Some(row) => u32::try_from(
                        row.try_get::<i64, _>("posted")
                            .map_err(StoreError::from_sqlx)?,
                    )
                    .unwrap_or(0),
                })
            })
        }

        fn note_posted<'a>(
            &'a self,
            key: &'a str,
            posted: u32,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::{queue::NOTE_POSTED, secs, StoreError};
                sqlx::query(&$sql(NOTE_POSTED))
                    .bind(key)
                    .bind(i64::from(posted))
                    .bind(secs(now))
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                Ok(())
            })
        }

        fn depth(
            &self,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<
            '_,
            Result<$crate::store::queue::QueueDepth, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::queue::{QueueDepth, QUEUE_DEPTH};
                use $crate::store::{secs, time, StoreError};
                let row = sqlx::query(&$sql(QUEUE_DEPTH))
                    .bind(secs(now))
                    .bind(secs(now))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                let count = |name: &str| -> Result<u64, sqlx::Error> {
                    Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
                };
                let read = || -> Result<QueueDepth, sqlx::Error> {
                    Ok(QueueDepth {
                        waiting: count("waiting")?,
                        leased: count("leased")?,
                        dead: count("dead")?,
                        oldest: row.try_get::<Option<i64>, _>("oldest")?.map(time),
                    })
                };
                read().map_err(StoreError::from_sqlx)
            })
        }
    };
}

pub(crate) use {one_row, queue_methods};
