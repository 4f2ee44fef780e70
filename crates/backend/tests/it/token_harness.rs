//! Shared pieces of the token-store and token-API tests: a store on each engine (SQLite in a
//! temporary directory; PostgreSQL in a schema of its own when `SLBOT_TEST_POSTGRES_URL` is
//! set), raw access to what the engine keeps, a fake SSO refresher, a spy on the refresh lock,
//! and the token API served on 127.0.0.1:0.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use slbot_backend::crypto::Keyring;
use slbot_backend::refresh::Refresher;
use slbot_backend::sso::{SsoError, TokenSet};
use slbot_backend::store::postgres::PostgresStore;
use slbot_backend::store::sqlite::SqliteStore;
use slbot_backend::store::{
    BoxFuture, LockedFn, LockedOutcome, OAuthAttempt, PendingSignIn, RekeyReport, Removed,
    StoreError, TokenRecord, TokenStore, TokenSummary, Tokens,
};
use slbot_backend::token_api::{self, TokenApiDeps};
use slbot_base::ManualClock;
use slbot_signing::{MemoryNonceStore, TokenClient, TokenClientSettings, Verifier, Version};
use sqlx::Row;

pub const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const K2: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";
pub const SECRET: &str = "token-api-test-secret";

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

pub fn keys(current: &str, old: &[&str]) -> Keyring {
    let old: Vec<SecretString> = old.iter().map(|k| secret(k)).collect();
    Keyring::new(&secret(current), &old).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

pub fn tokens(access: &str, refresh: Option<&str>, expires_at: DateTime<Utc>) -> Tokens {
    Tokens {
        access_token: secret(access),
        refresh_token: refresh.map(secret),
        expires_at,
    }
}

/// A token made of 32 random bytes (as base64url text, like real bearer tokens).
pub fn random_token(prefix: &str) -> (String, Vec<u8>) {
    use base64::Engine as _;
    use rand::RngCore;
    let mut bytes = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes)
    );
    (text, bytes)
}

/// Which engine a store runs on, with what is needed to look under it.
pub enum Engine {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        url: String,
        schema: String,
        raw: sqlx::PgPool,
    },
}

/// A store under test plus raw access to its engine.
pub struct TestStore {
    pub store: Arc<dyn TokenStore>,
    /// The same store as a v2 replay window.
    pub nonces: Arc<dyn slbot_signing::NonceStore>,
    pub engine: Engine,
}

/// `SLBOT_TEST_POSTGRES_URL`, or `None` after printing why the test is skipped (a panic
/// instead when `SLBOT_TEST_REQUIRE_ALL=1`). Read through the config crate, the only place
/// that reads the environment.
pub fn postgres_url() -> Option<String> {
    let config = slbot_config::Config::load(None).ok()?;
    match config.get("TEST_POSTGRES_URL").filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            if config.get("TEST_REQUIRE_ALL").as_deref() == Some("1") {
                panic!("SLBOT_TEST_REQUIRE_ALL=1 but SLBOT_TEST_POSTGRES_URL is not set");
            }
            println!("SKIPPED: SLBOT_TEST_POSTGRES_URL is not set (no PostgreSQL to test against)");
            None
        }
    }
}

impl TestStore {
    pub async fn sqlite(keyring: Keyring) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display());
        let store = Arc::new(SqliteStore::connect(&url, keyring).await.unwrap());
        Self {
            store: store.clone(),
            nonces: store,
            engine: Engine::Sqlite { dir, url },
        }
    }

    /// A store in a fresh schema; `None` when PostgreSQL is not configured (skipped).
    pub async fn postgres(keyring: Keyring) -> Option<Self> {
        let url = postgres_url()?;
        let schema = format!("slbot_test_{}", slbot_base::random_hex(6));
        let store = Arc::new(
            PostgresStore::connect_in_schema(&url, Some(&schema), keyring)
                .await
                .unwrap(),
        );
        let options = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        let raw = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .unwrap();
        Some(Self {
            store: store.clone(),
            nonces: store,
            engine: Engine::Postgres { url, schema, raw },
        })
    }

    /// Another store over the same data, with other keys (rotation).
    pub async fn reopen(&self, keyring: Keyring) -> Arc<dyn TokenStore> {
        match &self.engine {
            Engine::Sqlite { url, .. } => {
                Arc::new(SqliteStore::connect(url, keyring).await.unwrap())
            }
            Engine::Postgres { url, schema, .. } => Arc::new(
                PostgresStore::connect_in_schema(url, Some(schema), keyring)
                    .await
                    .unwrap(),
            ),
        }
    }

    /// Runs one statement (with `$1`-free SQL) directly on the engine.
    pub async fn raw_exec(&self, sql: &str) {
        match &self.engine {
            Engine::Sqlite { url, .. } => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Engine::Postgres { raw, .. } => {
                sqlx::query(sql).execute(raw).await.unwrap();
            }
        }
    }

    /// `SELECT COUNT(*) FROM {table}` directly on the engine.
    pub async fn raw_count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        match &self.engine {
            Engine::Sqlite { url, .. } => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                let n: i64 = sqlx::query(&sql).fetch_one(&pool).await.unwrap().get("n");
                pool.close().await;
                n
            }
            Engine::Postgres { raw, .. } => {
                sqlx::query(&sql).fetch_one(raw).await.unwrap().get("n")
            }
        }
    }

    /// The first column of the one row `sql` selects, directly on the engine (`T`: `String`,
    /// `Vec<u8>`, `i64`).
    pub async fn raw_one<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + Send
            + Unpin,
    {
        match &self.engine {
            Engine::Sqlite { url, .. } => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                let value: T = sqlx::query(sql).fetch_one(&pool).await.unwrap().get(0);
                pool.close().await;
                value
            }
            Engine::Postgres { raw, .. } => sqlx::query(sql).fetch_one(raw).await.unwrap().get(0),
        }
    }

    /// `bytes` as a literal of the engine's blob type, for raw SQL.
    pub fn blob_literal(&self, bytes: &[u8]) -> String {
        match self.engine {
            Engine::Sqlite { .. } => format!("X'{}'", hex::encode(bytes)),
            Engine::Postgres { .. } => format!("'\\x{}'::bytea", hex::encode(bytes)),
        }
    }

    /// Every byte the engine keeps that could hold a token: the SQLite database, WAL and
    /// shared-memory files; the PostgreSQL token columns (and each row as text).
    pub async fn raw_bytes(&self) -> Vec<u8> {
        match &self.engine {
            Engine::Sqlite { dir, .. } => {
                let mut all = Vec::new();
                for name in ["tokens.db", "tokens.db-wal", "tokens.db-shm"] {
                    if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
                        all.extend_from_slice(&bytes);
                    }
                }
                all
            }
            Engine::Postgres { raw, .. } => {
                let mut all = Vec::new();
                for table in ["tokens", "pending_signins"] {
                    let rows = sqlx::query(&format!(
                        "SELECT access_token, refresh_token, t::text AS whole FROM {table} t"
                    ))
                    .fetch_all(raw)
                    .await
                    .unwrap();
                    for row in rows {
                        let a: Vec<u8> = row.get("access_token");
                        let r: Option<Vec<u8>> = row.get("refresh_token");
                        let whole: String = row.get("whole");
                        all.extend_from_slice(&a);
                        all.extend_from_slice(&r.unwrap_or_default());
                        all.extend_from_slice(whole.as_bytes());
                    }
                }
                all
            }
        }
    }

    /// Which engine, for messages.
    pub fn name(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite { .. } => "sqlite",
            Engine::Postgres { .. } => "postgres",
        }
    }

    /// Drops the PostgreSQL schema (SQLite's directory goes with the TempDir).
    pub async fn cleanup(self) {
        if let Engine::Postgres { schema, raw, .. } = &self.engine {
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(raw)
                .await
                .unwrap();
        }
    }
}

/// Runs the same test body against SQLite and PostgreSQL:
/// `both_engines!(fn_name, keys_expr, |ts| { ... })` defines `fn_name::sqlite` and
/// `fn_name::postgres` (the latter prints SKIPPED without a database). The schema is dropped
/// when the body finishes.
macro_rules! both_engines {
    ($name:ident, $keys:expr, |$ts:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let owned = $crate::token_harness::TestStore::sqlite($keys).await;
                {
                    let $ts = &owned;
                    $body
                }
                owned.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(owned) = $crate::token_harness::TestStore::postgres($keys).await else {
                    return;
                };
                {
                    let $ts = &owned;
                    $body
                }
                owned.cleanup().await;
            }
        }
    };
}

/// How the fake SSO answers a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoMode {
    /// New access and refresh tokens `fresh-N` / `rt-N`, valid one hour.
    Rotate,
    InvalidGrant,
    /// A 5xx: passing.
    Down,
}

/// A fake SSO that counts and records its calls. With `wait_for_lockers`, a refresh waits
/// until that many callers have entered the refresh lock (so the overlap is certain).
pub struct FakeRefresher {
    pub mode: Mutex<SsoMode>,
    pub refreshes: AtomicUsize,
    pub revoked: Mutex<Vec<String>>,
    pub redeemed: Mutex<Vec<String>>,
    pub wait_for_lockers: Option<(usize, tokio::sync::watch::Receiver<usize>)>,
}

impl FakeRefresher {
    pub fn new(mode: SsoMode) -> Self {
        Self {
            mode: Mutex::new(mode),
            refreshes: AtomicUsize::new(0),
            revoked: Mutex::new(Vec::new()),
            redeemed: Mutex::new(Vec::new()),
            wait_for_lockers: None,
        }
    }

    pub fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
}

impl Refresher for FakeRefresher {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<TokenSet, SsoError>> {
        Box::pin(async move {
            if let Some((n, rx)) = &self.wait_for_lockers {
                let mut rx = rx.clone();
                rx.wait_for(|entered| *entered >= *n).await.unwrap();
            }
            let count = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            self.redeemed
                .lock()
                .unwrap()
                .push(refresh_token.expose_secret().to_string());
            let mode = *self.mode.lock().unwrap();
            match mode {
                SsoMode::Rotate => Ok(TokenSet {
                    access_token: secret(&format!("fresh-{count}")),
                    refresh_token: Some(secret(&format!("rt-{count}"))),
                    expires_in: Some(3600),
                }),
                SsoMode::InvalidGrant => Err(SsoError::InvalidGrant),
                SsoMode::Down => Err(SsoError::Transient("HTTP 503".to_string())),
            }
        })
    }

    fn revoke<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), SsoError>> {
        Box::pin(async move {
            self.revoked
                .lock()
                .unwrap()
                .push(refresh_token.expose_secret().to_string());
            Ok(())
        })
    }
}

/// A store that counts callers entering `with_refresh_lock` (before they get the lock).
pub struct LockSpy {
    pub inner: Arc<dyn TokenStore>,
    pub entered: tokio::sync::watch::Sender<usize>,
}

impl TokenStore for LockSpy {
    fn get<'a>(&'a self, p: &'a str) -> BoxFuture<'a, Result<Option<TokenRecord>, StoreError>> {
        self.inner.get(p)
    }
    fn put<'a>(
        &'a self,
        p: &'a str,
        r: Option<&'a str>,
        t: Tokens,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.put(p, r, t, now)
    }
    fn delete<'a>(&'a self, p: &'a str) -> BoxFuture<'a, Result<Option<Removed>, StoreError>> {
        self.inner.delete(p)
    }
    fn put_pending(
        &self,
        pending: PendingSignIn,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner.put_pending(pending, now)
    }
    fn confirm_pending<'a>(
        &'a self,
        p: &'a str,
        r: &'a str,
        c: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.inner.confirm_pending(p, r, c, now)
    }
    fn put_attempt<'a>(
        &'a self,
        s: &'a str,
        a: OAuthAttempt,
        now: DateTime<Utc>,
        max_live: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.inner.put_attempt(s, a, now, max_live)
    }
    fn take_attempt<'a>(
        &'a self,
        s: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<OAuthAttempt>, StoreError>> {
        self.inner.take_attempt(s, now)
    }
    fn with_refresh_lock<'a>(
        &'a self,
        p: &'a str,
        now: DateTime<Utc>,
        f: LockedFn<'a>,
    ) -> BoxFuture<'a, Result<LockedOutcome, StoreError>> {
        self.entered.send_modify(|n| *n += 1);
        self.inner.with_refresh_lock(p, now, f)
    }
    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenSummary>, StoreError>> {
        self.inner.list()
    }
    fn rekey(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<RekeyReport, StoreError>> {
        self.inner.rekey(now)
    }
    fn purge_expired(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.purge_expired(now)
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner.ping()
    }
}

/// The token API on 127.0.0.1:0 with a shared manual clock.
pub struct Api {
    pub base_url: String,
    pub clock: Arc<ManualClock>,
    pub version: Version,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Api {
    pub async fn start(
        store: Arc<dyn TokenStore>,
        refresher: Arc<dyn Refresher>,
        version: Version,
    ) -> Self {
        let nonces = Arc::new(MemoryNonceStore::new(10_000));
        Self::start_with_replay_window(store, nonces, refresher, version).await
    }

    /// The token API keeping its v2 replay window in `nonces` (the store's own, in production).
    pub async fn start_with_replay_window(
        store: Arc<dyn TokenStore>,
        nonces: Arc<dyn slbot_signing::NonceStore>,
        refresher: Arc<dyn Refresher>,
        version: Version,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let clock = Arc::new(ManualClock::new(t0()));
        let deps = TokenApiDeps {
            store,
            refresher,
            verifier: Verifier::new(version, secret(SECRET), base_url.clone(), nonces),
            clock: clock.clone(),
        };
        let app = token_api::router(deps);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base_url,
            clock,
            version,
            server,
        }
    }

    /// The bot's client, on the same clock.
    pub fn client(&self) -> TokenClient {
        self.client_with_secret(SECRET)
    }

    pub fn client_with_secret(&self, s: &str) -> TokenClient {
        TokenClient::new(TokenClientSettings {
            base_url: self.base_url.clone(),
            secret: secret(s),
            version: self.version,
            timeout: std::time::Duration::from_secs(10),
        })
        .unwrap()
        .with_clock(self.clock.clone())
    }
}
