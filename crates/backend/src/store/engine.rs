//! What both engines share: the SQL (written once with `?` placeholders), the mapping of a
//! tokens row, and the [`TokenStore`](super::TokenStore) method bodies, which are the
//! `token_store_impl!` macro below.
//!
//! An engine passes only what differs: its store and row types, how its SQL is spelled
//! (`sql`: SQLite takes the `?` as written, PostgreSQL numbers them `$1…`), how it opens a
//! transaction that reads and then writes under a lock (`begin_locked`), and the clause that
//! locks the rows such a transaction reads (`row_lock`: empty for SQLite, whose
//! `BEGIN IMMEDIATE` already holds the file's write lock; ` FOR UPDATE` for PostgreSQL).
//! Connection setup, migrations and the replay-nonce table stay in the engine modules.

use super::{Removed, StoreError};
use crate::crypto::Keyring;
use slbot_signing::nonce::NonceStoreError;

pub(crate) const SELECT_TOKEN: &str = "SELECT person_id, room_id, access_token, refresh_token, \
     expires_at, key_id, created_at, updated_at FROM tokens WHERE person_id = ?";

pub(crate) const UPSERT_TOKEN: &str = "INSERT INTO tokens (person_id, room_id, access_token, \
     refresh_token, expires_at, key_id, seal_format, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (person_id) DO UPDATE SET room_id = COALESCE(excluded.room_id, tokens.room_id), \
     access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
     expires_at = excluded.expires_at, key_id = excluded.key_id, \
     seal_format = excluded.seal_format, updated_at = excluded.updated_at";

/// The `seal_format` of every value sealed now ([`crate::crypto::SealFormat`]).
pub(crate) const SEAL_FORMAT: i64 = crate::crypto::SealFormat::LengthPrefixed.column();

/// What a sealed column is sealed for, given its row's key (the personId or the state).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Context {
    /// The row's key itself: tokens for the personId, verifiers for the state.
    Key,
    /// A confirmation code's key ([`crate::crypto::code_key_context`]).
    CodeKey,
}

impl Context {
    pub(crate) fn of(self, key: &str) -> String {
        match self {
            Context::Key => key.to_string(),
            Context::CodeKey => crate::crypto::code_key_context(key),
        }
    }
}

/// A table with sealed values: its name, its key column, and its sealed columns (nullable
/// ones may be NULL).
pub(crate) type SealedTable = (
    &'static str,
    &'static str,
    &'static [(&'static str, Context)],
);

pub(crate) const SEALED_TABLES: [SealedTable; 3] = [
    (
        "tokens",
        "person_id",
        &[
            ("access_token", Context::Key),
            ("refresh_token", Context::Key),
        ],
    ),
    (
        "pending_signins",
        "person_id",
        &[
            ("access_token", Context::Key),
            ("refresh_token", Context::Key),
            ("code_key", Context::CodeKey),
        ],
    ),
    (
        "oauth_attempts",
        "state",
        &[("pkce_verifier", Context::Key)],
    ),
];

/// A code or refresh token read under its row lock, as both the code exchange and the refresh
/// rotation need it.
pub(crate) struct LockedGrant {
    pub link_id: String,
    pub person_id: String,
    pub room_id: String,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub used_at: Option<i64>,
    pub expires_at: i64,
}

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::from_sqlx(e)
}

pub(crate) fn nonce_error(e: sqlx::Error) -> NonceStoreError {
    NonceStoreError::Unavailable(e.to_string())
}

/// The refresh token of a deleted row, if it still decrypts (a failure is logged by key id
/// and the delete stands: forgetting must not depend on the key).
pub(crate) fn removed(
    keys: &Keyring,
    person_id: &str,
    key_id: &str,
    blob: Option<Vec<u8>>,
) -> Removed {
    let refresh_token = blob.and_then(|b| match keys.open(person_id, key_id, &b) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(error = %e, "cannot revoke a deleted login's refresh token");
            None
        }
    });
    Removed { refresh_token }
}

/// `impl TokenStore for $store` and `impl NonceStore for $store` (the v2 replay window), for a
/// store with fields `nonce_calls`, `pool` (the engine's pool) and `keys` ([`Keyring`]), and
/// the store's `migrated` constructor, `keys` and `close`.
///
/// - `pool`: the engine's pool type; `migrations`: its embedded SQL files in version order;
/// - `row`: the engine's row type;
/// - `sql`: `fn(&str) -> String`, the engine's spelling of `?`-placeholder SQL;
/// - `begin_locked`: `async fn(&Pool) -> Result<Transaction, sqlx::Error>`, opening the
///   transaction of `confirm_pending`, `with_refresh_lock` and `rekey` (`put` opens a plain
///   one on both engines);
/// - `row_lock`: appended to the reads those transactions make, to lock the rows read.
macro_rules! token_store_impl {
    (
        store = $store:ty,
        pool = $pool:ty,
        migrations = $migrations:expr,
        row = $row:ty,
        sql = $sql:path,
        begin_locked = $begin_locked:path,
        row_lock = $row_lock:expr $(,)?
    ) => {
        // An anonymous const, so these imports do not clash with the engine module's.
        const _: () = {
            use chrono::{DateTime, Utc};
            use sqlx::Row;

            use $crate::store::engine::{
                db, removed, SEALED_TABLES, SEAL_FORMAT, SELECT_TOKEN, UPSERT_TOKEN,
            };
            use $crate::store::alexa_grants::{
                AlexaGrants, AlexaOwner, CodeCheck, CodeGrant, IssuedTokens, NewCode, Redeemed,
                REFRESH_RETRY_GRACE_SECS, ROTATED_KEEP_SECS,
            };
            use $crate::store::{
                seal_tokens, secs, time, BoxFuture,
                LockedDecision, LockedFn, LockedOutcome, OAuthAttempt, PendingSignIn,
                RekeyReport, Removed, SealedRow, StoreError, TokenRecord, TokenStore,
                TokenSummary, Tokens, MAX_CONFIRM_ATTEMPTS,
            };

            impl $store {
                /// Runs the migrations on `pool` (a no-op when they already ran), wraps it, and
                /// re-seals the values still in the legacy format (a no-op when none are left).
                async fn migrated(
                    pool: $pool,
                    keys: $crate::store::Keyring,
                ) -> Result<Self, StoreError> {
                    $crate::store::migrator($migrations)
                        .run(&pool)
                        .await
                        .map_err(|e| StoreError::Unavailable(format!("migrating the schema: {e}")))?;
                    let store = Self {
                        nonce_calls: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
                        pool,
                        keys,
                    };
                    let (resealed, unreadable) = store.reseal_stale(false, None).await?;
                    let total = resealed.tokens + resealed.pending + resealed.attempts;
                    if total > 0 {
                        tracing::info!(values = total, "re-sealed stored values in the current format");
                    }
                    if unreadable > 0 {
                        // Left as they are: reading them fails with the key id, as before.
                        tracing::warn!(
                            rows = unreadable,
                            "stored values in the legacy format do not open with the configured \
                             keys and were not re-sealed"
                        );
                    }
                    Ok(store)
                }

                /// Re-seals, under the current key and in the current format, every row in the
                /// legacy format and, with `rekey`, every row sealed under another key, in one
                /// locked transaction. With `rekey` a row that does not open fails the call;
                /// otherwise (at start) it is left as it is and counted in the second value.
                /// `touch`: the `updated_at` to stamp on re-sealed logins.
                async fn reseal_stale(
                    &self,
                    rekey: bool,
                    touch: Option<i64>,
                ) -> Result<(RekeyReport, u64), StoreError> {
                    let current = self.keys.current_id().to_string();
                    let mut report = RekeyReport::default();
                    let mut unreadable = 0u64;
                    let mut tx = $begin_locked(&self.pool).await.map_err(db)?;
                    for (table, id_col, columns) in SEALED_TABLES {
                        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                        let select = $sql(&format!(
                            "SELECT {id_col} AS id, {cols}, key_id FROM {table} \
                             WHERE seal_format <> ?{or_key}{lock}",
                            cols = names.join(", "),
                            or_key = if rekey { " OR key_id <> ?" } else { "" },
                            lock = $row_lock,
                        ));
                        let mut query = sqlx::query(&select).bind(SEAL_FORMAT);
                        if rekey {
                            query = query.bind(&current);
                        }
                        let rows = query.fetch_all(&mut *tx).await.map_err(db)?;
                        let set: Vec<String> = names.iter().map(|n| format!("{n} = ?")).collect();
                        let touch_sql = match (table, touch) {
                            ("tokens", Some(_)) => ", updated_at = ?",
                            _ => "",
                        };
                        let update = $sql(&format!(
                            "UPDATE {table} SET {set}, key_id = ?, seal_format = ?{touch_sql} \
                             WHERE {id_col} = ?",
                            set = set.join(", "),
                        ));
                        'rows: for row in rows {
                            let id: String = row.try_get("id").map_err(db)?;
                            let old: String = row.try_get("key_id").map_err(db)?;
                            let mut resealed: Vec<Option<Vec<u8>>> = Vec::with_capacity(columns.len());
                            for (name, context) in columns {
                                let blob: Option<Vec<u8>> = row.try_get(*name).map_err(db)?;
                                let Some(blob) = blob else {
                                    resealed.push(None);
                                    continue;
                                };
                                let context = context.of(&id);
                                match self.keys.open(&context, &old, &blob) {
                                    Ok(plain) => resealed.push(Some(self.keys.seal(&context, &plain))),
                                    Err(e) if rekey => return Err(e.into()),
                                    Err(_) => {
                                        unreadable += 1;
                                        continue 'rows;
                                    }
                                }
                            }
                            let mut q = sqlx::query(&update);
                            for blob in resealed {
                                q = q.bind(blob);
                            }
                            q = q.bind(&current).bind(SEAL_FORMAT);
                            if let ("tokens", Some(at)) = (table, touch) {
                                q = q.bind(at);
                            }
                            q.bind(&id).execute(&mut *tx).await.map_err(db)?;
                            match table {
                                "tokens" => report.tokens += 1,
                                "pending_signins" => report.pending += 1,
                                _ => report.attempts += 1,
                            }
                        }
                    }
                    tx.commit().await.map_err(db)?;
                    Ok((report, unreadable))
                }

                /// The keyring in use.
                pub fn keys(&self) -> &$crate::store::Keyring {
                    &self.keys
                }

                /// Closes the pool (on SQLite, the last connection flushes the WAL).
                pub async fn close(&self) {
                    self.pool.close().await;
                }
            }

            impl slbot_signing::nonce::NonceStore for $store {
                fn check_and_record<'a>(
                    &'a self,
                    nonce: &'a str,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<bool, slbot_signing::nonce::NonceStoreError>> {
                    use $crate::store::engine::nonce_error;
                    use $crate::store::{PURGE_NONCES_EVERY, PURGE_NONCES_SQL, RECORD_NONCE_SQL};
                    Box::pin(async move {
                        let cutoff = secs(now) - slbot_signing::scheme::REPLAY_WINDOW_SECS;
                        if self
                            .nonce_calls
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                            .is_multiple_of(PURGE_NONCES_EVERY)
                        {
                            sqlx::query(&$sql(PURGE_NONCES_SQL))
                                .bind(cutoff)
                                .execute(&self.pool)
                                .await
                                .map_err(nonce_error)?;
                        }
                        let fresh = sqlx::query(&$sql(RECORD_NONCE_SQL))
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

            fn sealed_row(row: &$row) -> Result<SealedRow, sqlx::Error> {
                Ok(SealedRow {
                    person_id: row.try_get("person_id")?,
                    room_id: row.try_get("room_id")?,
                    access_token: row.try_get("access_token")?,
                    refresh_token: row.try_get("refresh_token")?,
                    expires_at: row.try_get("expires_at")?,
                    key_id: row.try_get("key_id")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            }

            impl TokenStore for $store {
                fn get<'a>(
                    &'a self,
                    person_id: &'a str,
                ) -> BoxFuture<'a, Result<Option<TokenRecord>, StoreError>> {
                    Box::pin(async move {
                        let row = sqlx::query(&$sql(SELECT_TOKEN))
                            .bind(person_id)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(db)?;
                        match row {
                            None => Ok(None),
                            Some(row) => Ok(Some(sealed_row(&row).map_err(db)?.open(&self.keys)?)),
                        }
                    })
                }

                fn put<'a>(
                    &'a self,
                    person_id: &'a str,
                    room_id: Option<&'a str>,
                    tokens: Tokens,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<(), StoreError>> {
                    Box::pin(async move {
                        let sealed = seal_tokens(&self.keys, person_id, &tokens);
                        let mut tx = self.pool.begin().await.map_err(db)?;
                        sqlx::query(&$sql(UPSERT_TOKEN))
                            .bind(person_id)
                            .bind(room_id)
                            .bind(&sealed.access_token)
                            .bind(&sealed.refresh_token)
                            .bind(sealed.expires_at)
                            .bind(&sealed.key_id)
                            .bind(SEAL_FORMAT)
                            .bind(secs(now))
                            .bind(secs(now))
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        sqlx::query(&$sql("DELETE FROM pending_signins WHERE person_id = ?"))
                            .bind(person_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        tx.commit().await.map_err(db)
                    })
                }

                fn delete<'a>(
                    &'a self,
                    person_id: &'a str,
                ) -> BoxFuture<'a, Result<Option<Removed>, StoreError>> {
                    Box::pin(async move {
                        let mut tx = self.pool.begin().await.map_err(db)?;
                        let row = sqlx::query(&$sql(
                            "DELETE FROM tokens WHERE person_id = ? RETURNING refresh_token, key_id",
                        ))
                        .bind(person_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                        // Signing out also unlinks Alexa: its tokens stop working with the login.
                        sqlx::query(&$sql("DELETE FROM alexa_grants WHERE person_id = ?"))
                            .bind(person_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        // ... and ends the person's dashboard sessions.
                        sqlx::query(&$sql("DELETE FROM dashboard_sessions WHERE person_id = ?"))
                            .bind(person_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        tx.commit().await.map_err(db)?;
                        let Some(row) = row else { return Ok(None) };
                        let blob: Option<Vec<u8>> = row.try_get("refresh_token").map_err(db)?;
                        let key_id: String = row.try_get("key_id").map_err(db)?;
                        Ok(Some(removed(&self.keys, person_id, &key_id, blob)))
                    })
                }

                fn put_pending(
                    &self,
                    pending: PendingSignIn,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'_, Result<(), StoreError>> {
                    Box::pin(async move {
                        let sealed = seal_tokens(&self.keys, &pending.person_id, &pending.tokens);
                        let code = self.keys.hash_code(&pending.person_id, &pending.code);
                        sqlx::query(&$sql(
                            "INSERT INTO pending_signins (person_id, room_id, code_hash, code_key, \
                             attempts, access_token, refresh_token, expires_at, key_id, seal_format, \
                             created_at, pending_until) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?) \
                             ON CONFLICT (person_id) DO UPDATE SET \
                             room_id = excluded.room_id, code_hash = excluded.code_hash, \
                             code_key = excluded.code_key, attempts = 0, \
                             access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
                             expires_at = excluded.expires_at, key_id = excluded.key_id, \
                             seal_format = excluded.seal_format, created_at = excluded.created_at, \
                             pending_until = excluded.pending_until",
                        ))
                        .bind(&pending.person_id)
                        .bind(&pending.room_id)
                        .bind(&code.hash)
                        .bind(&code.sealed_key)
                        .bind(&sealed.access_token)
                        .bind(&sealed.refresh_token)
                        .bind(sealed.expires_at)
                        .bind(&sealed.key_id)
                        .bind(SEAL_FORMAT)
                        .bind(secs(now))
                        .bind(secs(pending.until))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                        Ok(())
                    })
                }

                fn confirm_pending<'a>(
                    &'a self,
                    person_id: &'a str,
                    room_id: &'a str,
                    code: &'a str,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<bool, StoreError>> {
                    Box::pin(async move {
                        let mut tx = $begin_locked(&self.pool).await.map_err(db)?;
                        let row = sqlx::query(&$sql(&format!(
                            "SELECT code_hash, code_key, attempts, access_token, refresh_token, expires_at, \
                             key_id, seal_format, pending_until FROM pending_signins \
                             WHERE person_id = ?{lock}",
                            lock = $row_lock,
                        )))
                        .bind(person_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                        let Some(row) = row else { return Ok(false) };
                        let hash: String = row.try_get("code_hash").map_err(db)?;
                        let attempts: i64 = row.try_get("attempts").map_err(db)?;
                        let until: i64 = row.try_get("pending_until").map_err(db)?;
                        if until <= secs(now) {
                            sqlx::query(&$sql("DELETE FROM pending_signins WHERE person_id = ?"))
                                .bind(person_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                            tx.commit().await.map_err(db)?;
                            return Ok(false);
                        }
                        let code_key: Option<Vec<u8>> = row.try_get("code_key").map_err(db)?;
                        let key_id: String = row.try_get("key_id").map_err(db)?;
                        if !self
                            .keys
                            .code_matches(person_id, code, &key_id, code_key.as_deref(), &hash)?
                        {
                            let sql = if attempts + 1 >= MAX_CONFIRM_ATTEMPTS {
                                "DELETE FROM pending_signins WHERE person_id = ?"
                            } else {
                                "UPDATE pending_signins SET attempts = attempts + 1 WHERE person_id = ?"
                            };
                            sqlx::query(&$sql(sql))
                                .bind(person_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                            tx.commit().await.map_err(db)?;
                            return Ok(false);
                        }
                        // The blobs are sealed for this personId already: they move as they are.
                        let access: Vec<u8> = row.try_get("access_token").map_err(db)?;
                        let refresh: Option<Vec<u8>> = row.try_get("refresh_token").map_err(db)?;
                        let expires_at: i64 = row.try_get("expires_at").map_err(db)?;
                        let seal_format: i64 = row.try_get("seal_format").map_err(db)?;
                        sqlx::query(&$sql(UPSERT_TOKEN))
                            .bind(person_id)
                            .bind(room_id)
                            .bind(&access)
                            .bind(&refresh)
                            .bind(expires_at)
                            .bind(&key_id)
                            .bind(seal_format)
                            .bind(secs(now))
                            .bind(secs(now))
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        sqlx::query(&$sql("DELETE FROM pending_signins WHERE person_id = ?"))
                            .bind(person_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        tx.commit().await.map_err(db)?;
                        Ok(true)
                    })
                }

                fn put_attempt<'a>(
                    &'a self,
                    state: &'a str,
                    attempt: OAuthAttempt,
                    now: DateTime<Utc>,
                    max_live: u64,
                ) -> BoxFuture<'a, Result<bool, StoreError>> {
                    Box::pin(async move {
                        let verifier = self.keys.seal(state, &attempt.pkce_verifier);
                        let alexa = match &attempt.alexa_request {
                            Some(r) => Some(serde_json::to_string(r).map_err(|e| {
                                StoreError::Unavailable(format!("encoding the Alexa request: {e}"))
                            })?),
                            None => None,
                        };
                        let inserted = sqlx::query(&$sql(
                            "INSERT INTO oauth_attempts (state, pkce_verifier, link_person_id, key_id, \
                             seal_format, created_at, expires_at, alexa_request) \
                             SELECT ?, ?, ?, ?, ?, ?, ?, ? \
                             WHERE (SELECT COUNT(*) FROM oauth_attempts WHERE expires_at > ?) < ?",
                        ))
                        .bind(state)
                        .bind(&verifier)
                        .bind(&attempt.link_person_id)
                        .bind(self.keys.current_id())
                        .bind(SEAL_FORMAT)
                        .bind(secs(now))
                        .bind(secs(attempt.expires_at))
                        .bind(alexa)
                        .bind(secs(now))
                        .bind(i64::try_from(max_live).unwrap_or(i64::MAX))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?
                        .rows_affected();
                        Ok(inserted == 1)
                    })
                }

                fn take_attempt<'a>(
                    &'a self,
                    state: &'a str,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<Option<OAuthAttempt>, StoreError>> {
                    Box::pin(async move {
                        let row = sqlx::query(&$sql(
                            "DELETE FROM oauth_attempts WHERE state = ? \
                             RETURNING pkce_verifier, link_person_id, key_id, expires_at, alexa_request",
                        ))
                        .bind(state)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                        let Some(row) = row else { return Ok(None) };
                        let expires_at: i64 = row.try_get("expires_at").map_err(db)?;
                        if expires_at <= secs(now) {
                            return Ok(None);
                        }
                        let blob: Vec<u8> = row.try_get("pkce_verifier").map_err(db)?;
                        let key_id: String = row.try_get("key_id").map_err(db)?;
                        let alexa: Option<String> = row.try_get("alexa_request").map_err(db)?;
                        let alexa_request = match alexa {
                            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                                StoreError::Unavailable(format!("reading the Alexa request: {e}"))
                            })?),
                            None => None,
                        };
                        Ok(Some(OAuthAttempt {
                            pkce_verifier: self.keys.open(state, &key_id, &blob)?,
                            link_person_id: row.try_get("link_person_id").map_err(db)?,
                            alexa_request,
                            expires_at: time(expires_at),
                        }))
                    })
                }

                fn with_refresh_lock<'a>(
                    &'a self,
                    person_id: &'a str,
                    now: DateTime<Utc>,
                    f: LockedFn<'a>,
                ) -> BoxFuture<'a, Result<LockedOutcome, StoreError>> {
                    Box::pin(async move {
                        // Dropping `tx` before commit (an error, a cancelled request) rolls back.
                        let mut tx = $begin_locked(&self.pool).await.map_err(db)?;
                        let row = sqlx::query(&$sql(&format!("{SELECT_TOKEN}{lock}", lock = $row_lock)))
                            .bind(person_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db)?;
                        let Some(row) = row else {
                            return Ok(LockedOutcome::Missing);
                        };
                        let record = sealed_row(&row).map_err(db)?.open(&self.keys)?;
                        let room_id = record.room_id.clone();
                        let created_at = record.created_at;
                        let outcome = match f(record).await {
                            LockedDecision::Keep => {
                                let again = sqlx::query(&$sql(SELECT_TOKEN))
                                    .bind(person_id)
                                    .fetch_one(&mut *tx)
                                    .await
                                    .map_err(db)?;
                                LockedOutcome::Kept(sealed_row(&again).map_err(db)?.open(&self.keys)?)
                            }
                            LockedDecision::Delete => {
                                sqlx::query(&$sql("DELETE FROM tokens WHERE person_id = ?"))
                                    .bind(person_id)
                                    .execute(&mut *tx)
                                    .await
                                    .map_err(db)?;
                                // A dead login unlinks Alexa too, so a later sign-in does not
                                // revive old grants.
                                sqlx::query(&$sql("DELETE FROM alexa_grants WHERE person_id = ?"))
                                    .bind(person_id)
                                    .execute(&mut *tx)
                                    .await
                                    .map_err(db)?;
                                sqlx::query(&$sql("DELETE FROM dashboard_sessions WHERE person_id = ?"))
                                    .bind(person_id)
                                    .execute(&mut *tx)
                                    .await
                                    .map_err(db)?;
                                LockedOutcome::Deleted
                            }
                            LockedDecision::Replace(tokens) => {
                                let sealed = seal_tokens(&self.keys, person_id, &tokens);
                                sqlx::query(&$sql(
                                    "UPDATE tokens SET access_token = ?, refresh_token = ?, expires_at = ?, \
                                     key_id = ?, seal_format = ?, updated_at = ? WHERE person_id = ?",
                                ))
                                .bind(&sealed.access_token)
                                .bind(&sealed.refresh_token)
                                .bind(sealed.expires_at)
                                .bind(&sealed.key_id)
                                .bind(SEAL_FORMAT)
                                .bind(secs(now))
                                .bind(person_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
                                LockedOutcome::Replaced(TokenRecord {
                                    person_id: person_id.to_string(),
                                    room_id,
                                    access_token: tokens.access_token,
                                    refresh_token: tokens.refresh_token,
                                    expires_at: time(sealed.expires_at),
                                    key_id: sealed.key_id,
                                    created_at,
                                    updated_at: time(secs(now)),
                                })
                            }
                        };
                        tx.commit().await.map_err(db)?;
                        Ok(outcome)
                    })
                }

                fn list(&self) -> BoxFuture<'_, Result<Vec<TokenSummary>, StoreError>> {
                    Box::pin(async move {
                        let rows = sqlx::query(&$sql(
                            "SELECT person_id, room_id, expires_at, key_id, updated_at FROM tokens \
                             ORDER BY person_id",
                        ))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                        rows.iter()
                            .map(|r| {
                                Ok(TokenSummary {
                                    person_id: r.try_get("person_id")?,
                                    room_id: r.try_get("room_id")?,
                                    expires_at: time(r.try_get("expires_at")?),
                                    key_id: r.try_get("key_id")?,
                                    updated_at: time(r.try_get("updated_at")?),
                                })
                            })
                            .collect::<Result<Vec<_>, sqlx::Error>>()
                            .map_err(db)
                    })
                }

                fn rekey(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<RekeyReport, StoreError>> {
                    Box::pin(async move {
                        let (report, _) = self.reseal_stale(true, Some(secs(now))).await?;
                        Ok(report)
                    })
                }

                fn purge_expired(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, StoreError>> {
                    Box::pin(async move {
                        let a = sqlx::query(&$sql(
                            "DELETE FROM pending_signins WHERE pending_until <= ?",
                        ))
                        .bind(secs(now))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?
                        .rows_affected();
                        let b = sqlx::query(&$sql(
                            "DELETE FROM oauth_attempts WHERE expires_at <= ?",
                        ))
                        .bind(secs(now))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?
                        .rows_affected();
                        let c = sqlx::query(&$sql("DELETE FROM alexa_grants WHERE expires_at <= ?"))
                            .bind(secs(now))
                            .execute(&self.pool)
                            .await
                            .map_err(db)?
                            .rows_affected();
                        let d = sqlx::query(&$sql(
                            "DELETE FROM dashboard_sessions WHERE expires_at <= ?",
                        ))
                        .bind(secs(now))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?
                        .rows_affected();
                        Ok(a + b + c + d)
                    })
                }

                fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
                    Box::pin(async move {
                        sqlx::query(&$sql("SELECT 1"))
                            .execute(&self.pool)
                            .await
                            .map_err(db)?;
                        Ok(())
                    })
                }

                fn alexa_grants(
                    &self,
                ) -> Option<std::sync::Arc<dyn $crate::store::alexa_grants::AlexaGrants>> {
                    Some(std::sync::Arc::new(self.clone()))
                }

                fn dashboard_sessions(
                    &self,
                ) -> Option<std::sync::Arc<dyn $crate::store::sessions::DashboardSessions>> {
                    Some(std::sync::Arc::new(self.clone()))
                }
            }

            impl $crate::store::sessions::DashboardSessions for $store {
                fn create<'a>(
                    &'a self,
                    hash: &'a str,
                    person_id: &'a str,
                    expires_at: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<(), StoreError>> {
                    Box::pin(async move {
                        sqlx::query(&$sql(
                            "INSERT INTO dashboard_sessions (hash, person_id, expires_at, created_at) \
                             VALUES (?, ?, ?, ?)",
                        ))
                        .bind(hash)
                        .bind(person_id)
                        .bind(secs(expires_at))
                        .bind(secs(now))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                        Ok(())
                    })
                }

                fn person_of<'a>(
                    &'a self,
                    hash: &'a str,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
                    Box::pin(async move {
                        let row = sqlx::query(&$sql(
                            "SELECT person_id FROM dashboard_sessions WHERE hash = ? AND expires_at > ?",
                        ))
                        .bind(hash)
                        .bind(secs(now))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                        match row {
                            None => Ok(None),
                            Some(row) => Ok(Some(row.try_get("person_id").map_err(db)?)),
                        }
                    })
                }

                fn revoke<'a>(&'a self, hash: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
                    Box::pin(async move {
                        let done = sqlx::query(&$sql("DELETE FROM dashboard_sessions WHERE hash = ?"))
                            .bind(hash)
                            .execute(&self.pool)
                            .await
                            .map_err(db)?;
                        Ok(done.rows_affected() > 0)
                    })
                }
            }

            /// Stores an access + refresh pair under `link_id` (inside the caller's transaction).
            async fn insert_pair(
                tx: &mut sqlx::Transaction<'_, <$pool as $crate::store::engine::PoolDb>::Db>,
                link_id: &str,
                person_id: &str,
                room_id: &str,
                issue: &IssuedTokens,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                for (hash, kind, expires_at) in [
                    (&issue.access_hash, "access", issue.access_expires_at),
                    (&issue.refresh_hash, "refresh", issue.refresh_expires_at),
                ] {
                    sqlx::query(&$sql(
                        "INSERT INTO alexa_grants (hash, kind, link_id, person_id, room_id, \
                         expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ))
                    .bind(hash)
                    .bind(kind)
                    .bind(link_id)
                    .bind(person_id)
                    .bind(room_id)
                    .bind(secs(expires_at))
                    .bind(secs(now))
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                }
                Ok(())
            }

            /// The grant `hash` of `kind`, locked for the rest of `tx`.
            async fn locked_grant(
                tx: &mut sqlx::Transaction<'_, <$pool as $crate::store::engine::PoolDb>::Db>,
                hash: &str,
                kind: &str,
            ) -> Result<Option<$crate::store::engine::LockedGrant>, StoreError> {
                let row = sqlx::query(&$sql(&format!(
                    "SELECT link_id, person_id, room_id, redirect_uri, code_challenge, used_at, \
                     expires_at FROM alexa_grants WHERE hash = ? AND kind = ?{lock}",
                    lock = $row_lock,
                )))
                .bind(hash)
                .bind(kind)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some($crate::store::engine::LockedGrant {
                    link_id: row.try_get("link_id").map_err(db)?,
                    person_id: row.try_get("person_id").map_err(db)?,
                    room_id: row.try_get("room_id").map_err(db)?,
                    redirect_uri: row.try_get("redirect_uri").map_err(db)?,
                    code_challenge: row.try_get("code_challenge").map_err(db)?,
                    used_at: row.try_get("used_at").map_err(db)?,
                    expires_at: row.try_get("expires_at").map_err(db)?,
                }))
            }

            /// Deletes every token of a link (a reused code or refresh token).
            async fn revoke_link(
                tx: &mut sqlx::Transaction<'_, <$pool as $crate::store::engine::PoolDb>::Db>,
                link_id: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(&$sql(
                    "DELETE FROM alexa_grants WHERE link_id = ? AND kind <> 'code'",
                ))
                .bind(link_id)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
                Ok(())
            }

            impl AlexaGrants for $store {
                fn issue_code(
                    &self,
                    code: NewCode,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'_, Result<(), StoreError>> {
                    Box::pin(async move {
                        sqlx::query(&$sql(
                            "INSERT INTO alexa_grants (hash, kind, link_id, person_id, room_id, \
                             redirect_uri, code_challenge, expires_at, created_at) \
                             VALUES (?, 'code', ?, ?, ?, ?, ?, ?, ?)",
                        ))
                        .bind(&code.hash)
                        .bind(&code.link_id)
                        .bind(&code.person_id)
                        .bind(&code.room_id)
                        .bind(&code.redirect_uri)
                        .bind(&code.code_challenge)
                        .bind(secs(code.expires_at))
                        .bind(secs(now))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                        Ok(())
                    })
                }

                fn redeem_code<'a>(
                    &'a self,
                    hash: &'a str,
                    now: DateTime<Utc>,
                    check: CodeCheck<'a>,
                    issue: IssuedTokens,
                ) -> BoxFuture<'a, Result<Redeemed, StoreError>> {
                    Box::pin(async move {
                        // Locked, so two redemptions of one code are serialised: the second
                        // sees it used and revokes what the first one stored.
                        let mut tx = $begin_locked(&self.pool).await.map_err(db)?;
                        let Some(g) = locked_grant(&mut tx, hash, "code").await? else {
                            return Ok(Redeemed::Unknown);
                        };
                        if g.used_at.is_some() {
                            revoke_link(&mut tx, &g.link_id).await?;
                            tx.commit().await.map_err(db)?;
                            return Ok(Redeemed::Reused);
                        }
                        if g.expires_at <= secs(now) {
                            return Ok(Redeemed::Expired);
                        }
                        sqlx::query(&$sql("UPDATE alexa_grants SET used_at = ? WHERE hash = ?"))
                            .bind(secs(now))
                            .bind(hash)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        let grant = CodeGrant {
                            redirect_uri: g.redirect_uri,
                            code_challenge: g.code_challenge,
                        };
                        if !check(&grant) {
                            tx.commit().await.map_err(db)?;
                            return Ok(Redeemed::Refused);
                        }
                        insert_pair(&mut tx, &g.link_id, &g.person_id, &g.room_id, &issue, now)
                            .await?;
                        tx.commit().await.map_err(db)?;
                        Ok(Redeemed::Issued {
                            person_id: g.person_id,
                            room_id: g.room_id,
                        })
                    })
                }

                fn rotate_refresh<'a>(
                    &'a self,
                    hash: &'a str,
                    now: DateTime<Utc>,
                    issue: IssuedTokens,
                ) -> BoxFuture<'a, Result<Redeemed, StoreError>> {
                    Box::pin(async move {
                        let mut tx = $begin_locked(&self.pool).await.map_err(db)?;
                        let Some(g) = locked_grant(&mut tx, hash, "refresh").await? else {
                            return Ok(Redeemed::Unknown);
                        };
                        let used_at = g.used_at;
                        // Alexa retries a refresh whose answer it did not get (a timeout, a
                        // dropped connection): within the grace the same token gets a new
                        // pair instead of revoking a link nobody stole.
                        let retried = used_at.is_some_and(|at| secs(now) - at <= REFRESH_RETRY_GRACE_SECS);
                        if used_at.is_some() && !retried {
                            // A rotated refresh token comes back only if two parties hold it:
                            // Alexa and whoever copied it. We cannot tell which one is asking,
                            // so the whole link goes (OAuth 2.0 Security BCP §4.14.2); the
                            // person links Alexa again.
                            revoke_link(&mut tx, &g.link_id).await?;
                            tx.commit().await.map_err(db)?;
                            return Ok(Redeemed::Reused);
                        }
                        if g.expires_at <= secs(now) {
                            return Ok(Redeemed::Expired);
                        }
                        sqlx::query(&$sql(
                            "UPDATE alexa_grants SET used_at = ?, expires_at = ? WHERE hash = ?",
                        ))
                        .bind(used_at.unwrap_or(secs(now)))
                        .bind(g.expires_at.min(secs(now) + ROTATED_KEEP_SECS))
                        .bind(hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                        insert_pair(&mut tx, &g.link_id, &g.person_id, &g.room_id, &issue, now)
                            .await?;
                        tx.commit().await.map_err(db)?;
                        Ok(Redeemed::Issued {
                            person_id: g.person_id,
                            room_id: g.room_id,
                        })
                    })
                }

                fn owner_of_access<'a>(
                    &'a self,
                    hash: &'a str,
                    now: DateTime<Utc>,
                ) -> BoxFuture<'a, Result<Option<AlexaOwner>, StoreError>> {
                    Box::pin(async move {
                        let row = sqlx::query(&$sql(
                            "SELECT g.person_id AS person_id, g.room_id AS room_id FROM alexa_grants g \
                             JOIN tokens t ON t.person_id = g.person_id \
                             WHERE g.hash = ? AND g.kind = 'access' AND g.expires_at > ?",
                        ))
                        .bind(hash)
                        .bind(secs(now))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                        match row {
                            None => Ok(None),
                            Some(row) => Ok(Some(AlexaOwner {
                                person_id: row.try_get("person_id").map_err(db)?,
                                room_id: row.try_get("room_id").map_err(db)?,
                            })),
                        }
                    })
                }
            }
        };
    };
}

/// The database type behind a pool, so the macro can name its transactions.
pub(crate) trait PoolDb {
    type Db: sqlx::Database;
}

impl<DB: sqlx::Database> PoolDb for sqlx::Pool<DB> {
    type Db = DB;
}

pub(crate) use token_store_impl;
