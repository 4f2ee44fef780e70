//! Digests being sent ([`SendingMarks`]): the mark that makes a crash between posting a
//! digest and recording it cost a "may have been missed" note, never a second copy.

use chrono::{DateTime, Utc};

use super::{BoxFuture, StoreError};

/// The marks of digests being sent, by person.
pub trait SendingMarks: Send + Sync {
    /// Marks a digest to `person_id` as being sent at `now`. `Ok(Some(when))`: a mark from
    /// `when` was already there (a pass stopped while sending; it is kept).
    fn mark_sending<'a>(
        &'a self,
        person_id: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<DateTime<Utc>>, StoreError>>;

    /// Removes the mark (the post failed, so nothing reached the person).
    fn clear_sending<'a>(&'a self, person_id: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// Both engines; `$sql` numbers the placeholders. Recording announcements removes the mark
/// in the same transaction (`store_methods!`).
macro_rules! sending_methods {
    ($sql:expr) => {
        fn mark_sending<'a>(
            &'a self,
            person_id: &'a str,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<Option<chrono::DateTime<chrono::Utc>>, $crate::store::StoreError>,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::{secs, time, StoreError};
                let inserted = sqlx::query(&$sql(
                    "INSERT INTO notify_sending (person_id, started_at) VALUES (?, ?) \
                     ON CONFLICT (person_id) DO NOTHING",
                ))
                .bind(person_id)
                .bind(secs(now))
                .execute(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?
                .rows_affected();
                if inserted == 1 {
                    return Ok(None);
                }
                let row = sqlx::query(&$sql(
                    "SELECT started_at FROM notify_sending WHERE person_id = ?",
                ))
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?;
                match row {
                    Some(row) => Ok(Some(time(
                        row.try_get("started_at").map_err(StoreError::from_sqlx)?,
                    ))),
                    // Cleared in between by another process: a stale read, not a crash.
                    None => Ok(None),
                }
            })
        }

        fn clear_sending<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::StoreError;
                sqlx::query(&$sql("DELETE FROM notify_sending WHERE person_id = ?"))
                    .bind(person_id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                Ok(())
            })
        }
    };
}

pub(crate) use sending_methods;
