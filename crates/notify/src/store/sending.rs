//! Digests being sent ([`SendingMarks`]): the mark that makes a crash between posting a
//! digest and recording it cost a "may have been missed" note, never a second copy.

use chrono::{DateTime, Utc};

use super::{BoxFuture, StoreError};
use crate::digest::{Announcement, Category, ItemKey};

/// What a digest being sent records once it is posted: its announcements and the shortages
/// it resolves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingRecord {
    pub items: Vec<Announcement>,
    pub forget: Vec<ItemKey>,
}

impl PendingRecord {
    /// One line per item (`category key value`) and per resolved shortage (`forget key`).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        for a in &self.items {
            text.push_str(&format!(
                "{} {} {}\n",
                a.category.as_str(),
                a.key.as_str(),
                a.value
            ));
        }
        for key in &self.forget {
            text.push_str(&format!("forget {}\n", key.as_str()));
        }
        text
    }

    /// The record of [`PendingRecord::encode`]; a line this version cannot read is skipped.
    pub fn decode(text: &str) -> Self {
        let mut record = PendingRecord::default();
        for line in text.lines() {
            let mut words = line.split(' ');
            match (words.next(), words.next(), words.next()) {
                (Some("forget"), Some(key), None) => record.forget.push(ItemKey::from_stored(key)),
                (Some(category), Some(key), Some(value)) => {
                    if let (Some(category), Ok(value)) =
                        (Category::from_stored(category), value.parse())
                    {
                        record.items.push(Announcement {
                            category,
                            key: ItemKey::from_stored(key),
                            value,
                        });
                    }
                }
                _ => {}
            }
        }
        record
    }
}

/// A mark already there: when the stopped pass began sending, and what it would have recorded.
pub type StoppedSend = (DateTime<Utc>, PendingRecord);

/// The marks of digests being sent, by person.
pub trait SendingMarks: Send + Sync {
    /// Marks a digest to `person_id` as being sent at `now`, with what it will record.
    /// `Ok(Some((when, record)))`: a mark from `when` was already there (a pass stopped while
    /// sending that digest; the mark is kept).
    fn mark_sending<'a>(
        &'a self,
        person_id: &'a str,
        now: DateTime<Utc>,
        record: &'a PendingRecord,
    ) -> BoxFuture<'a, Result<Option<StoppedSend>, StoreError>>;

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
            record: &'a $crate::store::sending::PendingRecord,
        ) -> $crate::store::BoxFuture<
            'a,
            Result<
                Option<(
                    chrono::DateTime<chrono::Utc>,
                    $crate::store::sending::PendingRecord,
                )>,
                $crate::store::StoreError,
            >,
        > {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::sending::PendingRecord;
                use $crate::store::{secs, time, StoreError};
                let inserted = sqlx::query(&$sql(
                    "INSERT INTO notify_sending (person_id, started_at, record) VALUES (?, ?, ?) \
                     ON CONFLICT (person_id) DO NOTHING",
                ))
                .bind(person_id)
                .bind(secs(now))
                .bind(record.encode())
                .execute(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?
                .rows_affected();
                if inserted == 1 {
                    return Ok(None);
                }
                let row = sqlx::query(&$sql(
                    "SELECT started_at, record FROM notify_sending WHERE person_id = ?",
                ))
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?;
                match row {
                    Some(row) => {
                        let since = time(row.try_get("started_at").map_err(StoreError::from_sqlx)?);
                        let stopped: String =
                            row.try_get("record").map_err(StoreError::from_sqlx)?;
                        Ok(Some((since, PendingRecord::decode(&stopped))))
                    }
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
