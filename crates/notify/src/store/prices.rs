//! Unit prices a person uploaded for `renewals` ([`PriceFiles`]): the CSV text as sent, one per
//! person, replaced by the next upload and deleted by `sign out`. The bot parses it when it
//! answers (`slbot_inventory::PriceList::parse`), so the store holds no parsed form to migrate.

use chrono::{DateTime, Utc};

use super::{BoxFuture, StoreError};

/// The price files of people, by personId.
pub trait PriceFiles: Send + Sync {
    /// Stores (or replaces) the person's price file at `now`.
    fn save_prices<'a>(
        &'a self,
        person_id: &'a str,
        csv: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The person's price file, if they sent one.
    fn prices<'a>(
        &'a self,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// Deletes the person's price file; returns whether there was one.
    fn forget_prices<'a>(&'a self, person_id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Both engines; `$sql` numbers the placeholders.
macro_rules! prices_methods {
    ($sql:expr) => {
        fn save_prices<'a>(
            &'a self,
            person_id: &'a str,
            csv: &'a str,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::{secs, StoreError};
                sqlx::query(&$sql(
                    "INSERT INTO bot_prices (person_id, csv, updated_at) VALUES (?, ?, ?) \
                     ON CONFLICT (person_id) DO UPDATE SET csv = excluded.csv, \
                     updated_at = excluded.updated_at",
                ))
                .bind(person_id)
                .bind(csv)
                .bind(secs(now))
                .execute(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)?;
                Ok(())
            })
        }

        fn prices<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<Option<String>, $crate::store::StoreError>> {
            Box::pin(async move {
                use sqlx::Row;
                use $crate::store::StoreError;
                let row = sqlx::query(&$sql("SELECT csv FROM bot_prices WHERE person_id = ?"))
                    .bind(person_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                row.map(|r| r.try_get::<String, _>("csv"))
                    .transpose()
                    .map_err(StoreError::from_sqlx)
            })
        }

        fn forget_prices<'a>(
            &'a self,
            person_id: &'a str,
        ) -> $crate::store::BoxFuture<'a, Result<bool, $crate::store::StoreError>> {
            Box::pin(async move {
                use $crate::store::StoreError;
                let deleted = sqlx::query(&$sql("DELETE FROM bot_prices WHERE person_id = ?"))
                    .bind(person_id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::from_sqlx)?
                    .rows_affected();
                Ok(deleted > 0)
            })
        }
    };
}

pub(crate) use prices_methods;
