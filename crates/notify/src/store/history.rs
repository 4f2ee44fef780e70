//! The history of each person's inventory ([`History`]): one row per kept point (the
//! inventory crate's `history::Point`, already encoded), per person.
//!
//! - A point whose digest equals the person's newest row is not stored again: that row's
//!   `seen_until` moves forward instead (nothing changed, so nothing new to keep).
//! - Rows last seen before the retention cutoff are deleted when a point is kept.
//! - `sign out` deletes every row of the person ([`History::forget_history`]).
//!
//! The blob column differs by engine (BLOB / BYTEA), so each engine has its own schema line
//! ([`SQLITE_SCHEMA`], [`POSTGRES_SCHEMA`]), run after the shared script.

use chrono::{DateTime, Utc};

use super::{BoxFuture, StoreError};

/// The history table in SQLite.
pub(crate) const SQLITE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS bot_history (
    person_id  TEXT NOT NULL,
    taken_at   BIGINT NOT NULL,
    seen_until BIGINT NOT NULL,
    digest     TEXT NOT NULL,
    point      BLOB NOT NULL,
    PRIMARY KEY (person_id, taken_at)
);";

/// The history table in PostgreSQL.
pub(crate) const POSTGRES_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS bot_history (
    person_id  TEXT NOT NULL,
    taken_at   BIGINT NOT NULL,
    seen_until BIGINT NOT NULL,
    digest     TEXT NOT NULL,
    point      BYTEA NOT NULL,
    PRIMARY KEY (person_id, taken_at)
);";

/// What keeping a point did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// A new row.
    New,
    /// The newest row had the same content: its `seen_until` moved to this fetch.
    Unchanged,
}

/// The times of one kept row: when first fetched, and when last found unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointTimes {
    pub taken_at: DateTime<Utc>,
    pub seen_until: DateTime<Utc>,
}

/// One kept row with its encoded point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPoint {
    pub times: PointTimes,
    pub bytes: Vec<u8>,
}

/// The kept history of every person.
pub trait History: Send + Sync {
    /// Keeps the point of a complete fetch made at `at` (or moves the newest row's
    /// `seen_until` when `digest` equals it), then deletes the person's rows last seen before
    /// `keep_after`.
    fn keep_point<'a>(
        &'a self,
        person_id: &'a str,
        at: DateTime<Utc>,
        digest: &'a str,
        bytes: &'a [u8],
        keep_after: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Kept, StoreError>>;

    /// The times of every kept row of the person, oldest first.
    fn point_times<'a>(
        &'a self,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<PointTimes>, StoreError>>;

    /// The kept rows taken at `taken_at` (each if still there), or every row when `None`;
    /// oldest first.
    fn points<'a>(
        &'a self,
        person_id: &'a str,
        taken_at: Option<&'a [DateTime<Utc>]>,
    ) -> BoxFuture<'a, Result<Vec<KeptPoint>, StoreError>>;

    /// Deletes the person's whole history; returns how many rows there were.
    fn forget_history<'a>(&'a self, person_id: &'a str) -> BoxFuture<'a, Result<u64, StoreError>>;
}

/// Both engines; `$sql` numbers the placeholders, `$begin` opens a writing transaction.
macro_rules! history_methods {
    ($sql:expr, $begin:expr) => {
        fn keep_point<'a>(
            &'a self,
            person_id: &'a str,
            at: chrono::DateTime<chrono::Utc>,
            digest: &'a str,
            bytes: &'a [u8],
            keep_after: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<$crate::store::history::Kept, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::history::Kept;
                use $crate::store::{secs, StoreError};
                let mut tx = self
                    .pool
                    .begin_with($begin)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                let newest = sqlx::query(&$sql(
                    "SELECT taken_at, digest FROM bot_history WHERE person_id = ? \
                     ORDER BY taken_at DESC LIMIT 1",
                ))
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
                let same = match &newest {
                    Some(row) => {
                        let d: String = row.try_get("digest").map_err(StoreError::from_sqlx)?;
                        let t: i64 = row.try_get("taken_at").map_err(StoreError::from_sqlx)?;
                        (d == digest).then_some(t)
                    }
                    None => None,
                };
                let kept = match same {
                    Some(taken_at) => {
                        sqlx::query(&$sql(
                            "UPDATE bot_history SET seen_until = ? \
                             WHERE person_id = ? AND taken_at = ? AND seen_until < ?",
                        ))
                        .bind(secs(at))
                        .bind(person_id)
                        .bind(taken_at)
                        .bind(secs(at))
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_sqlx)?;
                        Kept::Unchanged
                    }
                    None => {
                        sqlx::query(&$sql(
                            "INSERT INTO bot_history (person_id, taken_at, seen_until, digest, point) \
                             VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id, taken_at) DO UPDATE \
                             SET seen_until = excluded.seen_until, digest = excluded.digest, \
                             point = excluded.point",
                        ))
                        .bind(person_id)
                        .bind(secs(at))
                        .bind(secs(at))
                        .bind(digest)
                        .bind(bytes)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_sqlx)?;
                        Kept::New
                    }
                };
                sqlx::query(&$sql(
                    "DELETE FROM bot_history WHERE person_id = ? AND seen_until < ?",
                ))
                .bind(person_id)
                .bind(secs(keep_after))
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
                tx.commit().await.map_err(StoreError::from_sqlx)?;
                Ok(kept)
            })
        }

        fn point_times<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<Vec<$crate::store::history::PointTimes>, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::history::PointTimes;
                use $crate::store::{time, StoreError};
                let rows = sqlx::query(&$sql(
                    "SELECT taken_at, seen_until FROM bot_history WHERE person_id = ? \
                     ORDER BY taken_at",
                ))
                .bind(person_id)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?;
                rows.iter()
                    .map(|row| {
                        Ok(PointTimes {
                            taken_at: time(row.try_get("taken_at").map_err(StoreError::from_sqlx)?),
                            seen_until: time(
                                row.try_get("seen_until").map_err(StoreError::from_sqlx)?,
                            ),
                        })
                    })
                    .collect()
            })
        }

        fn points<'a>(
            &'a self,
            person_id: &'a str,
            taken_at: Option<&'a [chrono::DateTime<chrono::Utc>]>,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<Vec<$crate::store::history::KeptPoint>, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::history::{KeptPoint, PointTimes};
                use $crate::store::{secs, time, StoreError};
                let rows = match taken_at {
                    None => sqlx::query(&$sql(
                        "SELECT taken_at, seen_until, point FROM bot_history \
                         WHERE person_id = ? ORDER BY taken_at",
                    ))
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?,
                    Some(times) => {
                        let mut rows = Vec::with_capacity(times.len());
                        for t in times {
                            let row = sqlx::query(&$sql(
                                "SELECT taken_at, seen_until, point FROM bot_history \
                                 WHERE person_id = ? AND taken_at = ?",
                            ))
                            .bind(person_id)
                            .bind(secs(*t))
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(StoreError::from_sqlx)?;
                            rows.extend(row);
                        }
                        rows
                    }
                };
                let mut points = rows
                    .iter()
                    .map(|row| {
                        Ok(KeptPoint {
                            times: PointTimes {
                                taken_at: time(
                                    row.try_get("taken_at").map_err(StoreError::from_sqlx)?,
                                ),
                                seen_until: time(
                                    row.try_get("seen_until").map_err(StoreError::from_sqlx)?,
                                ),
                            },
                            bytes: row.try_get("point").map_err(StoreError::from_sqlx)?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                points.sort_by_key(|p| p.times.taken_at);
                Ok(points)
            })
        }

        fn forget_history<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<u64, $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::StoreError;
                Ok(sqlx::query(&$sql("DELETE FROM bot_history WHERE person_id = ?"))
                    .bind(person_id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?
                    .rows_affected())
            })
        }
    };
}

pub(crate) use history_methods;

/// Which kept points to read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Every point of the person (`trend`, the forecast of `status`).
    All,
    /// The two that `changes` over this window compares at `now` (seconds); every point when
    /// there are fewer than two, so the report can say how many there are.
    Compared(slbot_inventory::history::Window, i64),
}

/// The person's kept points, decoded on the blocking pool, oldest first; a row that cannot
/// be decoded is skipped with a warning. The one reader of the history: the bot's commands
/// and the digests' "since the last digest" section both read through it.
pub async fn read_points(
    store: &dyn super::NotifyStore,
    person_id: &str,
    wanted: Wanted,
) -> Result<Vec<slbot_inventory::history::Point>, StoreError> {
    use slbot_inventory::history::{Point, MAX_POINT_JSON_BYTES};
    let rows = match wanted {
        Wanted::All => store.points(person_id, None).await?,
        Wanted::Compared(window, now) => {
            let times = store.point_times(person_id).await?;
            let taken: Vec<i64> = times.iter().map(|t| t.taken_at.timestamp()).collect();
            match window.pick(&taken, now) {
                Ok((base, latest, _)) => {
                    // The same point twice when nothing was kept since the window start: the
                    // comparison then says nothing changed.
                    let wanted = [times[base].taken_at, times[latest].taken_at];
                    store.points(person_id, Some(&wanted)).await?
                }
                Err(_) => store.points(person_id, None).await?,
            }
        }
    };
    tokio::task::spawn_blocking(move || {
        rows.iter()
            .filter_map(|row| {
                Point::decode(
                    &row.bytes,
                    row.times.taken_at.timestamp(),
                    row.times.seen_until.timestamp(),
                    MAX_POINT_JSON_BYTES,
                )
                .map_err(|e| tracing::warn!(error = %e, "a kept snapshot is skipped"))
                .ok()
            })
            .collect()
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("decoding the history: {e}")))
}
