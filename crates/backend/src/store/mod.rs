//! The token store: personId → encrypted tokens, pending sign-ins, OAuth attempts.
//!
//! [`TokenStore`] is the one interface (used as `Arc<dyn TokenStore>`); [`sqlite`] is the
//! default engine, [`postgres`] the one for scale-out. Both run the same schema (one SQL file
//! per dialect under `migrations/`) and the same integration test suite.
//! Their `TokenStore` methods are written once, in `engine` (the SQL with `?` placeholders);
//! each engine module keeps only what differs: its migrations, pool size and timeouts, how a
//! locking transaction starts and locks its rows, and the replay-nonce table. Opening a pool,
//! running migrations and the row helpers are `slbot_store`'s, shared with the bot's store.
//!
//! What is stored: personId, roomId, the access and refresh tokens sealed with
//! [`crate::crypto::Keyring`] (context: the personId), expiry, key id and timestamps. No
//! e-mail, name or other personal data. OAuth attempts keep the PKCE verifier sealed the same
//! way (context: the `state`). Pending sign-ins keep a keyed hash of the code
//! ([`Keyring::hash_code`]; its key sealed like the tokens). Each sealed row records its
//! `seal_format` ([`crate::crypto::SealFormat`]); opening a store re-seals the rows still in
//! the legacy format, so after start every value the keys can open uses the current one.

pub mod alexa_grants;
mod engine;
pub mod postgres;
pub mod sessions;
pub mod signin_adapter;
pub mod sqlite;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use slbot_store::migrate::Embedded;
use slbot_store::{Engine, OpenError};
use sqlx::migrate::Migrator;

use crate::crypto::{CryptoError, Keyring};
use slbot_signing::NonceStore;

pub use signin_adapter::SignInAdapter;

/// A boxed, sendable future (the trait is used as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The versions of `migrations/*/000N_*.sql` in `_sqlx_migrations`: dated, so they cannot
/// collide with another store's migrations sharing the database (sqlx 0.8 keeps one
/// migrations table per schema).
pub const SCHEMA_VERSIONS: [i64; 5] = [2026112801, 2026112802, 2026120101, 2026120701, 2026120702];

const MIGRATION_NAMES: [&str; 5] = [
    "backend token store",
    "backend replay window",
    "backend seal format and code keys",
    "backend alexa account linking",
    "backend dashboard sessions",
];

/// The embedded migrations of one dialect (`sql`: the files in version order).
pub(crate) fn migrator(sql: [&'static str; 5]) -> Migrator {
    let migrations = SCHEMA_VERSIONS
        .iter()
        .zip(MIGRATION_NAMES)
        .zip(sql)
        .map(|((&version, description), sql)| Embedded {
            version,
            description,
            sql,
        })
        .collect::<Vec<_>>();
    slbot_store::migrate::migrator(&migrations)
}

/// Wrong codes after which a pending sign-in is dropped (the code is only 6 digits).
pub const MAX_CONFIRM_ATTEMPTS: i64 = 5;

/// A store failure, by who can act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store URL cannot be used (operator: fix `SLBOT_STORE_URL` / `--store`).
    #[error("the token store URL is not valid: {0}")]
    BadUrl(String),
    /// The store does not answer or refused the operation (try again later).
    #[error("the token store is unavailable: {0}")]
    Unavailable(String),
    /// A stored value does not decrypt with the configured keys.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
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

/// Fresh tokens to store.
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A person's stored login, decrypted.
pub struct TokenRecord {
    pub person_id: String,
    pub room_id: Option<String>,
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: DateTime<Utc>,
    pub key_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("person_id", &self.person_id)
            .field("room_id", &self.room_id)
            .field("expires_at", &self.expires_at)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// What `tokens list` shows: ids and expiry only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSummary {
    pub person_id: String,
    pub room_id: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub key_id: String,
    pub updated_at: DateTime<Utc>,
}

/// What a delete removed: the refresh token, to revoke at the SSO (`None` when there was
/// none or it no longer decrypts).
pub struct Removed {
    pub refresh_token: Option<SecretString>,
}

impl fmt::Debug for Removed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Removed")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A sign-in waiting for `confirm CODE` from its person.
pub struct PendingSignIn {
    pub person_id: String,
    pub room_id: Option<String>,
    pub tokens: Tokens,
    pub code: String,
    pub until: DateTime<Utc>,
}

impl fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("person_id", &self.person_id)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

/// An OAuth attempt in flight, keyed by its `state`, readable by any replica.
pub struct OAuthAttempt {
    pub pkce_verifier: SecretString,
    /// The personId a verified sign-in link vouched for.
    pub link_person_id: Option<String>,
    /// Alexa's authorization request when the sign-in links the Alexa skill.
    pub alexa_request: Option<alexa_grants::AlexaRequest>,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for OAuthAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthAttempt")
            .field("link_person_id", &self.link_person_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the function run under the refresh lock decided.
#[derive(Debug)]
pub enum LockedDecision {
    /// Leave the record as it is.
    Keep,
    /// Store these tokens instead (sealed with the current key).
    Replace(Tokens),
    /// Forget the login (the refresh token is dead).
    Delete,
}

/// The record after [`TokenStore::with_refresh_lock`].
#[derive(Debug)]
pub enum LockedOutcome {
    /// No record for this person (the function was not called).
    Missing,
    Kept(TokenRecord),
    Replaced(TokenRecord),
    Deleted,
}

/// The function run while the person's row is locked.
pub type LockedFn<'a> = Box<dyn FnOnce(TokenRecord) -> BoxFuture<'a, LockedDecision> + Send + 'a>;

/// How many values `rekey` re-encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RekeyReport {
    pub tokens: u64,
    pub pending: u64,
    pub attempts: u64,
}

/// The token store. Every method is safe to call from any replica at once.
pub trait TokenStore: Send + Sync {
    /// The person's login, decrypted.
    fn get<'a>(
        &'a self,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<TokenRecord>, StoreError>>;

    /// Stores (or replaces) the person's login, and drops any pending sign-in of theirs.
    fn put<'a>(
        &'a self,
        person_id: &'a str,
        room_id: Option<&'a str>,
        tokens: Tokens,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Forgets the person's login and everything issued to Alexa for them; `None` when there
    /// was no login.
    fn delete<'a>(
        &'a self,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Removed>, StoreError>>;

    /// Stores (or replaces) the person's pending sign-in.
    fn put_pending(
        &self,
        pending: PendingSignIn,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Turns the pending sign-in into the person's login if `code` matches before it expires;
    /// `false` otherwise. After [`MAX_CONFIRM_ATTEMPTS`] wrong codes the pending sign-in is gone.
    fn confirm_pending<'a>(
        &'a self,
        person_id: &'a str,
        room_id: &'a str,
        code: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Remembers an OAuth attempt under its `state`, unless `max_live` attempts that have not
    /// expired at `now` are stored already: `false` then, and nothing is stored. The count and
    /// the insert are one statement; replicas inserting at the same instant on PostgreSQL may
    /// pass the cap by as many as they are.
    fn put_attempt<'a>(
        &'a self,
        state: &'a str,
        attempt: OAuthAttempt,
        now: DateTime<Utc>,
        max_live: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Removes and returns the attempt if it exists and has not expired (atomic: one winner).
    fn take_attempt<'a>(
        &'a self,
        state: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<OAuthAttempt>, StoreError>>;

    /// Runs `f` on the person's record while holding a write lock on it (SQLite: `BEGIN
    /// IMMEDIATE`, which locks the whole file for writers; PostgreSQL: `SELECT … FOR
    /// UPDATE`), then applies its decision in the same transaction. Two workers never
    /// redeem the same refresh token: the second sees the first one's result.
    fn with_refresh_lock<'a>(
        &'a self,
        person_id: &'a str,
        now: DateTime<Utc>,
        f: LockedFn<'a>,
    ) -> BoxFuture<'a, Result<LockedOutcome, StoreError>>;

    /// Every login: ids and expiry only, ordered by personId.
    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenSummary>, StoreError>>;

    /// Re-encrypts every value not sealed with the current key.
    fn rekey(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<RekeyReport, StoreError>>;

    /// Deletes expired pending sign-ins, OAuth attempts and Alexa grants; returns how many.
    fn purge_expired(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Whether the store answers.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The Alexa grants kept in the same database, if this store keeps them (both engines
    /// do; wrappers and fakes need not).
    fn alexa_grants(&self) -> Option<Arc<dyn alexa_grants::AlexaGrants>> {
        None
    }

    /// The dashboard's sessions kept in the same database, if this store keeps them (both
    /// engines do; wrappers and fakes need not).
    fn dashboard_sessions(&self) -> Option<Arc<dyn sessions::DashboardSessions>> {
        None
    }
}

/// The replay window purges nonces older than the window on every this many calls.
pub(crate) const PURGE_NONCES_EVERY: u64 = 256;

pub(crate) const PURGE_NONCES_SQL: &str = "DELETE FROM seen_nonces WHERE seen_at <= ?";

/// Inserts the nonce, or takes over an entry older than the window; a row comes back only
/// then, so "fresh" and "replayed" are decided atomically by the database.
pub(crate) const RECORD_NONCE_SQL: &str = "INSERT INTO seen_nonces (nonce, seen_at) VALUES (?, ?) \
     ON CONFLICT (nonce) DO UPDATE SET seen_at = excluded.seen_at \
     WHERE seen_nonces.seen_at <= ? RETURNING nonce";

/// Opens the store a URL names: `sqlite://…` or `postgres://…` / `postgresql://…`, and
/// brings its schema up to date.
pub async fn connect(url: &str, keys: Keyring) -> Result<Arc<dyn TokenStore>, StoreError> {
    match Engine::of(url) {
        Some(Engine::Sqlite) => Ok(Arc::new(sqlite::SqliteStore::connect(url, keys).await?)),
        Some(Engine::Postgres) => Ok(Arc::new(postgres::PostgresStore::connect(url, keys).await?)),
        None => Err(unknown_scheme()),
    }
}

/// The refusal of a URL that names neither engine.
fn unknown_scheme() -> StoreError {
    StoreError::BadUrl(
        "expected sqlite://FILE or postgres://… (the scheme is not one of these)".to_string(),
    )
}

/// The store, and the v2 replay window to verify requests with: the store's own
/// `seen_nonces` table on both engines, so every replica sharing the database (a SQLite file
/// or a PostgreSQL server) shares the window, as signing.md requires, and a restart does not
/// forget it.
pub async fn connect_with_replay_window(
    url: &str,
    keys: Keyring,
) -> Result<(Arc<dyn TokenStore>, Arc<dyn NonceStore>), StoreError> {
    match Engine::of(url) {
        Some(Engine::Sqlite) => {
            let store = Arc::new(sqlite::SqliteStore::connect(url, keys).await?);
            Ok((store.clone(), store))
        }
        Some(Engine::Postgres) => {
            let store = Arc::new(postgres::PostgresStore::connect(url, keys).await?);
            Ok((store.clone(), store))
        }
        None => Err(unknown_scheme()),
    }
}

// ---- helpers shared by both engines ----

pub(crate) use slbot_store::rows::{secs, time};

/// A tokens row as read from either engine, still sealed.
pub(crate) struct SealedRow {
    pub person_id: String,
    pub room_id: Option<String>,
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub expires_at: i64,
    pub key_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SealedRow {
    pub fn open(self, keys: &Keyring) -> Result<TokenRecord, CryptoError> {
        let access_token = keys.open(&self.person_id, &self.key_id, &self.access_token)?;
        let refresh_token = match &self.refresh_token {
            Some(blob) => Some(keys.open(&self.person_id, &self.key_id, blob)?),
            None => None,
        };
        Ok(TokenRecord {
            person_id: self.person_id,
            room_id: self.room_id,
            access_token,
            refresh_token,
            expires_at: time(self.expires_at),
            key_id: self.key_id,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

/// Tokens sealed for a person under the current key.
pub(crate) struct SealedTokens {
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub expires_at: i64,
    pub key_id: String,
}

pub(crate) fn seal_tokens(keys: &Keyring, person_id: &str, tokens: &Tokens) -> SealedTokens {
    SealedTokens {
        access_token: keys.seal(person_id, &tokens.access_token),
        refresh_token: tokens
            .refresh_token
            .as_ref()
            .map(|t| keys.seal(person_id, t)),
        expires_at: secs(tokens.expires_at),
        key_id: keys.current_id().to_string(),
    }
}
