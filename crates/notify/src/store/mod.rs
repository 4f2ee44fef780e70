//! The bot's notification store: subscriptions and what was announced to whom.
//!
//! [`NotifyStore`] is the one interface (used as `Arc<dyn NotifyStore>`); [`sqlite`] is the
//! default engine (`sqlite://slbot-bot.db`), [`postgres`] the one for scale-out. Both run the
//! same idempotent schema at start (`migrations/0001_notify.sql`, which says why it is not
//! run by sqlx's migrator; queries are runtime-checked `sqlx::query`) and the same SQL
//! text (written with `?`, numbered `$n` for PostgreSQL); the method bodies are written once,
//! in the `store_methods!` macro below, and differ only in the pool type.
//! Opening the pool, running the schema script and the row helpers are `slbot_store`'s,
//! shared with the backend's token store.
//!
//! What is stored: personId, roomId, the schedule, window, timestamps (seconds since the
//! epoch), the last error and whether a sign-in reminder went out; for announcements, a
//! SHA-256 of each item's identity and a number. No tokens, no e-mail, no licence names.
//!
//! It also keeps the webhook events the bot accepted ([`NotifyStore::first_delivery`]), so
//! that each is answered once across restarts and replicas, and queues them until a worker
//! has finished them ([`queue::EventQueue`]).
//!
//! It also keeps the unit-price file each person sent for `renewals` ([`prices::PriceFiles`]).
//!
//! Only one scheduler pass runs at a time across processes: [`NotifyStore::try_lead`] takes
//! a PostgreSQL transaction-level advisory lock (released when the pass ends, or when the
//! connection drops with a crashed process), or on SQLite a lease row with an expiry.

pub mod history;
pub mod postgres;
pub mod prices;
pub mod queue;
pub mod sending;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use slbot_store::{Engine, OpenError};

use crate::digest::{AnnouncedSet, Announcement, ItemKey};
use crate::schedule::{from_stored, Schedule, ScheduleError};

/// A boxed, sendable future (the trait is used as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub(crate) const SCHEMA: &str = include_str!("../../migrations/0001_notify.sql");

/// A store failure, by who can act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store URL cannot be used (operator: fix `SLBOT_BOT_STORE_URL`).
    #[error("the bot store URL is not valid: {0}")]
    BadUrl(String),
    /// The store does not answer or refused the operation (try again later).
    #[error("the bot store is unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        OpenError::from_sqlx(e).into()
    }
}

impl From<OpenError> for StoreError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::BadUrl(reason) => StoreError::BadUrl(reason),
            OpenError::Unavailable(reason) => StoreError::Unavailable(reason),
        }
    }
}

/// One person's subscription as stored. Schedule fields are kept as text so that a damaged
/// row still loads (and shows in `notify status`) instead of stopping the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub person_id: String,
    /// Where digests and reminders are posted.
    pub room_id: String,
    /// `daily` or `weekly`.
    pub cadence: String,
    /// `HH:MM`.
    pub local_time: String,
    /// IANA zone name.
    pub tz: String,
    pub window_days: i64,
    /// When the person subscribed (expirations before it are not announced).
    pub created_at: DateTime<Utc>,
    /// The last pass that finished for this subscription (a digest sent, nothing new, or a
    /// sign-in reminder); the next run is the first scheduled time after it.
    pub last_run_at: Option<DateTime<Utc>>,
    /// The last pass that started, finished or not (failed passes are retried after a delay).
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// What went wrong last time (`None` after a pass that worked).
    pub last_error: Option<String>,
    /// Whether the "please sign in again" reminder was sent since the last pass that worked.
    pub reminder_sent: bool,
}

impl Subscription {
    /// The typed schedule, or why the stored one cannot be used.
    pub fn schedule(&self) -> Result<Schedule, ScheduleError> {
        from_stored(&self.cadence, &self.local_time, &self.tz)
    }

    /// The base of the schedule: the last finished pass, or the subscription's start.
    pub fn schedule_base(&self) -> DateTime<Utc> {
        self.last_run_at.unwrap_or(self.created_at)
    }
}

/// What `notify on` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub person_id: String,
    pub room_id: String,
    pub schedule: Schedule,
    /// Used only when the person has no subscription yet (a later `notify on` keeps the
    /// window set with `notify window N`).
    pub window_days: i64,
}

/// The outcome of one pass, as stored ([`NotifyStore::set_run_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub reminder_sent: bool,
}

/// Held while this process runs a scheduler pass; [`PassLock::release`] lets others run.
pub trait PassLock: Send + Sync {
    /// Tells other processes the pass is still running (SQLite: extends the lease; a no-op
    /// where the lock lives as long as the connection). Called before each subscription.
    fn keep_alive(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()>;

    /// Gives the lock up.
    fn release(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// A job that only one process sharing the store runs at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Singleton {
    /// A notification pass.
    Notify,
    /// Registering, checking and re-enabling the bot's webhooks.
    Webhooks,
    /// Holding the bot's Webex websocket (the websocket transport): one replica at a time.
    Websocket,
}

impl Singleton {
    /// Its lease row's name (SQLite).
    pub fn name(self) -> &'static str {
        match self {
            Singleton::Notify => "notify",
            Singleton::Webhooks => "webhooks",
            Singleton::Websocket => "websocket",
        }
    }

    /// How long its SQLite lease lasts without an extension (a crashed holder's lease is free
    /// again after this; PostgreSQL's lock goes with the holder's connection).
    pub fn lease(self) -> chrono::Duration {
        match self {
            Singleton::Notify => sqlite::LEASE,
            // A check takes seconds: a replica that died in one holds it up only briefly.
            Singleton::Webhooks => chrono::Duration::minutes(1),
            // Kept alive every few seconds while connected: a holder that died leaves the
            // bot deaf for at most this long (SQLite; PostgreSQL frees it with the connection).
            Singleton::Websocket => chrono::Duration::seconds(10),
        }
    }

    /// Mixed into the advisory-lock key (PostgreSQL); 0 keeps the notify key as it was.
    pub(crate) fn key_bits(self) -> i64 {
        match self {
            Singleton::Notify => 0,
            // "webhooks" in ASCII.
            Singleton::Webhooks => 0x7765_6268_6f6f_6b73,
            // "websockt" in ASCII.
            Singleton::Websocket => 0x7765_6273_6f63_6b74,
        }
    }
}

/// The store interface.
pub trait NotifyStore:
    queue::EventQueue + sending::SendingMarks + history::History + prices::PriceFiles + Send + Sync
{
    /// Creates or updates the person's subscription (schedule and room). Returns whether it
    /// existed before. An update keeps the window, the start and the announcements.
    fn subscribe<'a>(
        &'a self,
        sub: &'a NewSubscription,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Deletes the subscription and everything announced to the person. Returns whether
    /// there was a subscription.
    fn unsubscribe<'a>(&'a self, person_id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// The person's subscription.
    fn subscription<'a>(
        &'a self,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Subscription>, StoreError>>;

    /// Every subscription, by personId.
    fn subscriptions(&self) -> BoxFuture<'_, Result<Vec<Subscription>, StoreError>>;

    /// Sets the window; returns whether there was a subscription to change.
    fn set_window<'a>(
        &'a self,
        person_id: &'a str,
        days: i64,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Stores the outcome of a pass (no-op when the subscription was removed meanwhile).
    fn set_run_state<'a>(
        &'a self,
        person_id: &'a str,
        state: &'a RunState,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// What was announced to the person.
    fn announced<'a>(
        &'a self,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<AnnouncedSet, StoreError>>;

    /// Records a posted digest in one transaction: upserts `items`, forgets `forget`
    /// (resolved shortages) and removes the person's sending mark. Nothing else is recorded
    /// for a person no longer subscribed.
    fn record_announcements<'a>(
        &'a self,
        person_id: &'a str,
        items: &'a [Announcement],
        forget: &'a [ItemKey],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Tries to become the one process running `job` now; `None` when another one is.
    fn try_lead_for(
        &self,
        job: Singleton,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Option<Box<dyn PassLock>>, StoreError>>;

    /// Tries to become the one process running a notification pass.
    fn try_lead(
        &self,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Option<Box<dyn PassLock>>, StoreError>> {
        self.try_lead_for(Singleton::Notify, now)
    }

    /// Records that the bot accepted the webhook event `key` (`resource:event:data.id`) at
    /// `now`. `Ok(true)`: its first delivery within `retention`, to be worked on; `Ok(false)`:
    /// a repeat (a Webex retry, a replay, or the same delivery at another replica). Atomic
    /// across processes sharing the store: of two concurrent deliveries exactly one is first.
    fn first_delivery<'a>(
        &'a self,
        key: &'a str,
        now: DateTime<Utc>,
        retention: chrono::Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Inserts a delivery, or takes over a row older than the retention cutoff (the third
/// parameter); one row affected means "first delivery".
pub(crate) const RECORD_DELIVERY: &str = "INSERT INTO bot_deliveries (event_key, seen_at) \
     VALUES (?, ?) ON CONFLICT (event_key) DO UPDATE SET seen_at = excluded.seen_at \
     WHERE bot_deliveries.seen_at < ?";

pub(crate) const PURGE_DELIVERIES: &str = "DELETE FROM bot_deliveries WHERE seen_at < ?";

/// Recorded deliveries between two purges of expired ones (per process).
pub(crate) const PURGE_DELIVERIES_EVERY: u64 = 1000;

/// Deliveries this process recorded, to purge every [`PURGE_DELIVERIES_EVERY`] (the first
/// one included, so a restart cleans up at once).
pub(crate) static DELIVERIES_RECORDED: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Opens the store named by `SLBOT_BOT_STORE_URL`: `sqlite://…` or `postgres://…`.
pub async fn open(url: &str) -> Result<Arc<dyn NotifyStore>, StoreError> {
    let url = url.trim();
    match Engine::of(url) {
        Some(Engine::Sqlite) => Ok(Arc::new(sqlite::SqliteNotifyStore::connect(url).await?)),
        Some(Engine::Postgres) => Ok(Arc::new(
            postgres::PostgresNotifyStore::connect(url, None).await?,
        )),
        None => Err(StoreError::BadUrl(
            "it must start with sqlite:// or postgres://".into(),
        )),
    }
}

pub(crate) use slbot_store::postgres::numbered;
pub(crate) use slbot_store::rows::{secs, time};

pub(crate) const SUBSCRIPTION_COLUMNS: &str = "person_id, room_id, cadence, local_time, tz, \
     window_days, created_at, last_run_at, last_attempt_at, last_error, reminder_sent";

pub(crate) const UPSERT_SUBSCRIPTION: &str = "INSERT INTO notify_subscriptions \
     (person_id, room_id, cadence, local_time, tz, window_days, created_at, reminder_sent) \
     VALUES (?, ?, ?, ?, ?, ?, ?, 0) \
     ON CONFLICT (person_id) DO UPDATE SET room_id = excluded.room_id, \
     cadence = excluded.cadence, local_time = excluded.local_time, tz = excluded.tz";

pub(crate) const UPDATE_RUN_STATE: &str = "UPDATE notify_subscriptions SET last_run_at = ?, \
     last_attempt_at = ?, last_error = ?, reminder_sent = ? WHERE person_id = ?";

pub(crate) const UPSERT_ANNOUNCED: &str = "INSERT INTO notify_announced \
     (person_id, category, item_key, value, announced_at) VALUES (?, ?, ?, ?, ?) \
     ON CONFLICT (person_id, category, item_key) DO UPDATE SET value = excluded.value, \
     announced_at = excluded.announced_at";

/// The trait methods, identical for both engines but for the pool type and the SQL
/// placeholders (`$sql` turns `?` SQL into the engine's). `try_lead` is engine-specific.
macro_rules! store_methods {
    // `$begin` opens a writing transaction: SQLite needs `BEGIN IMMEDIATE`, so that a
    // transaction that reads and then writes takes the write lock up front (waiting up to the
    // busy timeout) instead of failing with "database is locked" when a scheduler pass
    // writes at the same moment; PostgreSQL takes plain `BEGIN`.
    ($sql:expr, $begin:expr) => {
        fn subscribe<'a>(
            &'a self,
            sub: &'a $crate::store::NewSubscription,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::{secs, StoreError, UPSERT_SUBSCRIPTION};
                let mut tx = self.pool.begin_with($begin).await.map_err(StoreError::from_sqlx)?;
                let existed = sqlx::query(&$sql(
                    "SELECT person_id FROM notify_subscriptions WHERE person_id = ?",
                ))
                .bind(&sub.person_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?
                .is_some();
                let (frequency, at, zone) = $crate::schedule::to_stored(&sub.schedule);
                sqlx::query(&$sql(UPSERT_SUBSCRIPTION))
                    .bind(&sub.person_id)
                    .bind(&sub.room_id)
                    .bind(frequency)
                    .bind(at)
                    .bind(zone)
                    .bind(sub.window_days)
                    .bind(secs(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                tx.commit().await.map_err(StoreError::from_sqlx)?;
                Ok(existed)
            })
        }

        fn unsubscribe<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::StoreError;
                let mut tx = self.pool.begin_with($begin).await.map_err(StoreError::from_sqlx)?;
                let removed = sqlx::query(&$sql(
                    "DELETE FROM notify_subscriptions WHERE person_id = ?",
                ))
                .bind(person_id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?
                .rows_affected();
                sqlx::query(&$sql("DELETE FROM notify_announced WHERE person_id = ?"))
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                tx.commit().await.map_err(StoreError::from_sqlx)?;
                Ok(removed > 0)
            })
        }

        fn subscription<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<Option<$crate::store::Subscription>, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use $crate::store::{StoreError, SUBSCRIPTION_COLUMNS};
                let sql = format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM notify_subscriptions WHERE person_id = ?"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(person_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                row.map(|r| subscription_row(&r))
                    .transpose()
                    .map_err(StoreError::from_sqlx)
            })
        }

        fn subscriptions(
            &self,
        ) -> $crate::store::BoxFuture<
            '_,
            Result<Vec<$crate::store::Subscription>, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use $crate::store::{StoreError, SUBSCRIPTION_COLUMNS};
                let sql = format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM notify_subscriptions ORDER BY person_id"
                );
                let rows = sqlx::query(&sql)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                rows.iter()
                    .map(subscription_row)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(StoreError::from_sqlx)
            })
        }

        fn set_window<'a>(
            &'a self,
            person_id: &'a str,
            days: i64,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            Box::pin(async move {
                let changed = sqlx::query(&$sql(
                    "UPDATE notify_subscriptions SET window_days = ? WHERE person_id = ?",
                ))
                .bind(days)
                .bind(person_id)
                .execute(&self.pool)
                .await
                .map_err($crate::store::StoreError::from_sqlx)?
                .rows_affected();
                Ok(changed > 0)
            })
        }

        fn set_run_state<'a>(
            &'a self,
            person_id: &'a str,
            state: &'a $crate::store::RunState,
        ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::{secs, UPDATE_RUN_STATE};
                sqlx::query(&$sql(UPDATE_RUN_STATE))
                    .bind(state.last_run_at.map(secs))
                    .bind(state.last_attempt_at.map(secs))
                    .bind(state.last_error.as_deref())
                    .bind(i64::from(state.reminder_sent))
                    .bind(person_id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::StoreError::from_sqlx)?;
                Ok(())
            })
        }

        fn announced<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<$crate::digest::AnnouncedSet, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use $crate::digest::{AnnouncedSet, Category, ItemKey};
                use $crate::store::StoreError;
                use sqlx::Row;
                let rows = sqlx::query(&$sql(
                    "SELECT category, item_key, value FROM notify_announced WHERE person_id = ?",
                ))
                .bind(person_id)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?;
                let mut set = AnnouncedSet::new();
                for row in rows {
                    let category: String = row.try_get("category").map_err(StoreError::from_sqlx)?;
                    let key: String = row.try_get("item_key").map_err(StoreError::from_sqlx)?;
                    let value: i64 = row.try_get("value").map_err(StoreError::from_sqlx)?;
                    // A category this version does not know was written by a newer one: ignore.
                    if let Some(category) = Category::from_stored(&category) {
                        set.insert(category, ItemKey::from_stored(key), value);
                    }
                }
                Ok(set)
            })
        }

        fn record_announcements<'a>(
            &'a self,
            person_id: &'a str,
            items: &'a [$crate::digest::Announcement],
            forget: &'a [$crate::digest::ItemKey],
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::digest::Category;
                use $crate::store::{secs, StoreError, UPSERT_ANNOUNCED};
                let mut tx = self.pool.begin_with($begin).await.map_err(StoreError::from_sqlx)?;
                // `notify off` during the pass removed the subscription: record nothing, so
                // a later `notify on` starts clean.
                let subscribed = sqlx::query(&$sql(
                    "SELECT person_id FROM notify_subscriptions WHERE person_id = ?",
                ))
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?
                .is_some();
                sqlx::query(&$sql("DELETE FROM notify_sending WHERE person_id = ?"))
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                if !subscribed {
                    return tx.commit().await.map_err(StoreError::from_sqlx);
                }
                let upsert = $sql(UPSERT_ANNOUNCED);
                for item in items {
                    sqlx::query(&upsert)
                        .bind(person_id)
                        .bind(item.category.as_str())
                        .bind(item.key.as_str())
                        .bind(item.value)
                        .bind(secs(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_sqlx)?;
                }
                let delete = $sql(
                    "DELETE FROM notify_announced WHERE person_id = ? AND category = ? \
                     AND item_key = ?",
                );
                for key in forget {
                    sqlx::query(&delete)
                        .bind(person_id)
                        .bind(Category::Shortage.as_str())
                        .bind(key.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_sqlx)?;
                }
                tx.commit().await.map_err(StoreError::from_sqlx)
            })
        }

        fn first_delivery<'a>(
            &'a self,
            key: &'a str,
            now: chrono::DateTime<chrono::Utc>,
            retention: chrono::Duration,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::{purge_deliveries_when_due, record_delivery, secs};
                let cutoff = secs(now - retention);
                purge_deliveries_when_due!(self, $sql, cutoff);
                record_delivery!($sql, &self.pool, key, now, cutoff)
            })
        }
    };
}

/// Every [`PURGE_DELIVERIES_EVERY`] recorded deliveries (per process), deletes those older
/// than `$cutoff` (seconds), and then runs each further `(sql, before)` purge, on the pool.
macro_rules! purge_deliveries_when_due {
    ($store:expr, $sql:expr, $cutoff:expr $(, ($purge:expr, $before:expr))*) => {
        if $crate::store::DELIVERIES_RECORDED
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of($crate::store::PURGE_DELIVERIES_EVERY)
        {
            for (purge, before) in [($crate::store::PURGE_DELIVERIES, $cutoff) $(, ($purge, $before))*] {
                sqlx::query(&$sql(purge))
                    .bind(before)
                    .execute(&$store.pool)
                    .await
                    .map_err($crate::store::StoreError::from_sqlx)?;
            }
        }
    };
}

/// Records the delivery `$key` at `$now` on `$exec` (the pool or a transaction); evaluates
/// to `Ok(true)` for its first delivery since `$cutoff` (see [`RECORD_DELIVERY`]).
macro_rules! record_delivery {
    ($sql:expr, $exec:expr, $key:expr, $now:expr, $cutoff:expr) => {
        sqlx::query(&$sql($crate::store::RECORD_DELIVERY))
            .bind($key)
            .bind($crate::store::secs($now))
            .bind($cutoff)
            .execute($exec)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err($crate::store::StoreError::from_sqlx)
    };
}

/// Reads one subscription row (the engine's row type).
macro_rules! subscription_row_fn {
    ($row:ty) => {
        fn subscription_row(row: &$row) -> Result<$crate::store::Subscription, sqlx::Error> {
            use sqlx::Row;
            use $crate::store::time;
            Ok($crate::store::Subscription {
                person_id: row.try_get("person_id")?,
                room_id: row.try_get("room_id")?,
                cadence: row.try_get("cadence")?,
                local_time: row.try_get("local_time")?,
                tz: row.try_get("tz")?,
                window_days: row.try_get("window_days")?,
                created_at: time(row.try_get("created_at")?),
                last_run_at: row.try_get::<Option<i64>, _>("last_run_at")?.map(time),
                last_attempt_at: row.try_get::<Option<i64>, _>("last_attempt_at")?.map(time),
                last_error: row.try_get("last_error")?,
                reminder_sent: row.try_get::<i64, _>("reminder_sent")? != 0,
            })
        }
    };
}

pub(crate) use subscription_row_fn;
pub(crate) use {purge_deliveries_when_due, record_delivery, store_methods};
