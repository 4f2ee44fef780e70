//! Test harness: stores on both engines (SQLite in a temporary directory; PostgreSQL in a
//! schema of its own when `SLBOT_TEST_POSTGRES_URL` is set), fake ports that record what
//! they were asked, hand-written snapshots, and a reader of posted digests that pulls out
//! what a person sees (section → licence names), written without the code under test.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_inventory::{Catalog, Inventory};
use slbot_notify::ports::BoxFuture;
use slbot_notify::store::postgres::PostgresNotifyStore;
use slbot_notify::store::sqlite::SqliteNotifyStore;
use slbot_notify::{
    InventoryProblem, InventorySource, NotifyDeps, NotifyStore, Poster, Scheduler,
    SchedulerSettings, TokenProblem, TokenSource,
};

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
}

/// `SLBOT_TEST_POSTGRES_URL`, or `None` after printing why the test is skipped (a panic
/// instead when `SLBOT_TEST_REQUIRE_ALL=1`).
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Where a test's store lives; [`TestDb::open`] can be called again to "restart".
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

impl TestDb {
    /// A fresh database; `None` when PostgreSQL is asked for but not configured (skipped).
    pub async fn new(engine: Engine) -> Option<Self> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/bot.db?mode=rwc", dir.path().display());
                Some(TestDb::Sqlite { _dir: dir, url })
            }
            Engine::Postgres => {
                let url = postgres_url()?;
                let schema = format!("slbot_notify_test_{}", slbot_base::random_hex(6));
                Some(TestDb::Postgres { url, schema })
            }
        }
    }

    /// Opens (or reopens) the store: a new pool, nothing carried over in memory.
    pub async fn open(&self) -> Arc<dyn NotifyStore> {
        match self {
            TestDb::Sqlite { url, .. } => Arc::new(SqliteNotifyStore::connect(url).await.unwrap()),
            TestDb::Postgres { url, schema } => Arc::new(
                PostgresNotifyStore::connect(url, Some(schema))
                    .await
                    .unwrap(),
            ),
        }
    }

    /// Runs raw SQL against the store's tables (to damage a row on purpose).
    pub async fn execute(&self, sql: &str) {
        match self {
            TestDb::Sqlite { url, .. } => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            TestDb::Postgres { url, schema } => {
                let pool = self::pg_pool(url, schema).await;
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// Runs another feature's sqlx migrator (version 1, like most first migrations) in the
    /// same database, as card state in the bot store would.
    pub async fn run_other_migrator(&self) {
        use sqlx::migrate::{Migration, MigrationType, Migrator};
        use std::borrow::Cow;
        let migrator = Migrator {
            migrations: Cow::Owned(vec![Migration::new(
                1,
                Cow::Borrowed("card state"),
                MigrationType::Simple,
                Cow::Borrowed("CREATE TABLE card_state (id TEXT PRIMARY KEY)"),
                false,
            )]),
            ..Migrator::DEFAULT
        };
        match self {
            TestDb::Sqlite { url, .. } => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                migrator.run(&pool).await.unwrap();
                pool.close().await;
            }
            TestDb::Postgres { url, schema } => {
                let pool = pg_pool(url, schema).await;
                migrator.run(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// Drops a PostgreSQL test schema (SQLite's directory goes with the value).
    pub async fn cleanup(self) {
        if let TestDb::Postgres { url, schema } = &self {
            let pool = pg_pool(url, schema).await;
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

async fn pg_pool(url: &str, schema: &str) -> sqlx::PgPool {
    let options = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url)
        .unwrap()
        .options([("search_path", schema)]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

/// Runs `$body` (an `async fn(Engine)`) once per engine, as `name::sqlite` and
/// `name::postgres` (the latter prints SKIPPED without a database).
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $body($crate::harness::Engine::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                $body($crate::harness::Engine::Postgres).await;
            }
        }
    };
}

/// Whether the fake backend has a login for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    SignedIn,
    SignedOut,
    BackendDown,
}

/// The backend: per person, signed in or not (default: signed in).
#[derive(Default)]
pub struct FakeTokens {
    logins: Mutex<HashMap<String, Login>>,
    pub calls: Mutex<usize>,
}

impl FakeTokens {
    pub fn set(&self, person: &str, login: Login) {
        self.logins
            .lock()
            .unwrap()
            .insert(person.to_string(), login);
    }
}

impl TokenSource for FakeTokens {
    fn access_token<'a>(
        &'a self,
        _room_id: &'a str,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, TokenProblem>> {
        Box::pin(async move {
            *self.calls.lock().unwrap() += 1;
            let login = self
                .logins
                .lock()
                .unwrap()
                .get(person_id)
                .copied()
                .unwrap_or(Login::SignedIn);
            match login {
                Login::SignedIn => Ok(SecretString::from(format!("token-of-{person_id}"))),
                Login::SignedOut => Err(TokenProblem::NotSignedIn),
                Login::BackendDown => Err(TokenProblem::Service("HTTP 503".into())),
            }
        })
    }

    fn sign_in_link(&self, person_id: &str, _now: DateTime<Utc>) -> String {
        format!("https://backend.test/login?t=link-for-{person_id}")
    }
}

/// CSSM: per person, the inventory the next fetch returns (default: none = CSSM fails).
#[derive(Default)]
pub struct FakeInventories {
    inventories: Mutex<HashMap<String, Arc<Inventory>>>,
    /// The token each fetch was given, to check the right one was used.
    pub tokens_seen: Mutex<Vec<String>>,
}

impl FakeInventories {
    pub fn set(&self, person: &str, snapshot: &Value) {
        let inv = Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::shipped())
            .unwrap();
        self.inventories
            .lock()
            .unwrap()
            .insert(person.to_string(), Arc::new(inv));
    }
}

impl InventorySource for FakeInventories {
    fn inventory<'a>(
        &'a self,
        person_id: &'a str,
        token: &'a SecretString,
    ) -> BoxFuture<'a, Result<Arc<Inventory>, InventoryProblem>> {
        Box::pin(async move {
            use secrecy::ExposeSecret;
            self.tokens_seen
                .lock()
                .unwrap()
                .push(token.expose_secret().to_string());
            self.inventories
                .lock()
                .unwrap()
                .get(person_id)
                .cloned()
                .ok_or_else(|| InventoryProblem::Failed("no snapshot for this person".into()))
        })
    }
}

/// Webex: records every post as (room, markdown) and the person it was addressed to; can be
/// told to fail.
#[derive(Default)]
pub struct FakePoster {
    pub posts: Mutex<Vec<(String, String)>>,
    pub people: Mutex<Vec<String>>,
    /// Notified after each successful post.
    pub posted: tokio::sync::Notify,
    pub failing: Mutex<bool>,
    /// Posts, then never returns (the process "stops" right after Webex took the post).
    pub stop_after_post: Mutex<bool>,
}

impl FakePoster {
    /// Takes the posts made since the last call.
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.posts.lock().unwrap())
    }
}

impl Poster for FakePoster {
    fn post<'a>(
        &'a self,
        room_id: &'a str,
        person_id: &'a str,
        markdown: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if *self.failing.lock().unwrap() {
                return Err("Webex answered 503".into());
            }
            self.people.lock().unwrap().push(person_id.to_string());
            self.posts
                .lock()
                .unwrap()
                .push((room_id.to_string(), markdown.to_string()));
            self.posted.notify_one();
            if *self.stop_after_post.lock().unwrap() {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }
}

/// The fakes and a scheduler over them.
pub struct World {
    pub tokens: Arc<FakeTokens>,
    pub inventories: Arc<FakeInventories>,
    pub poster: Arc<FakePoster>,
}

impl World {
    pub fn new() -> Self {
        Self {
            tokens: Arc::new(FakeTokens::default()),
            inventories: Arc::new(FakeInventories::default()),
            poster: Arc::new(FakePoster::default()),
        }
    }

    pub fn scheduler(&self, store: Arc<dyn NotifyStore>) -> Scheduler {
        Scheduler::new(self.deps(store), self.poster.clone())
    }

    pub fn service(&self, store: Arc<dyn NotifyStore>) -> slbot_notify::NotifyService {
        slbot_notify::NotifyService::new(self.deps(store))
    }

    /// The scheduler's and the service's dependencies over `store`.
    fn deps(&self, store: Arc<dyn NotifyStore>) -> NotifyDeps {
        NotifyDeps {
            store,
            tokens: self.tokens.clone(),
            inventories: self.inventories.clone(),
            settings: SchedulerSettings::default(),
        }
    }
}

// ---- hand-written snapshots ----

pub fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER"})
}

pub fn line(qty: i64, end: &str) -> Value {
    json!({"licenseType": "TERM", "quantity": qty, "startDate": "2024-01-01", "endDate": end,
           "subscriptionId": "Sub-1", "status": "ACTIVE"})
}

pub fn record(license: &str, va: &str, qty: i64, in_use: i64, lines: Vec<Value>) -> Value {
    json!({"license": license, "virtualAccount": va, "quantity": qty, "inUse": in_use,
           "available": qty - in_use, "status": "In Compliance", "billingType": "PREPAID",
           "licenseDetails": lines})
}

pub fn snapshot(domain: &str, records: Vec<Value>) -> Value {
    json!({"accounts": [account("Acme", domain)], "licenses": {domain: records}})
}

// ---- reading what a person sees ----

/// A posted digest as the person reads it: (section heading start, licence name) per row,
/// in order, plus the footer count when rows were left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seen {
    pub rows: Vec<(&'static str, String)>,
    pub more: Option<usize>,
}

pub const EXPIRED: &str = "Newly expired";
pub const ENTERING: &str = "Expiring in the next";
pub const SHORT: &str = "New or grown shortages";

/// Reads a digest's markdown: bold headings name the section, `* **Name** (…` rows name
/// the licence; `…and K more.` the footer.
pub fn read(markdown: &str) -> Seen {
    let mut seen = Seen::default();
    let mut section: Option<&'static str> = None;
    for line in markdown.lines() {
        for s in [EXPIRED, ENTERING, SHORT] {
            if line.starts_with(&format!("**{s}")) {
                section = Some(s);
            }
        }
        if let Some(rest) = line.strip_prefix("* **") {
            let name = rest.split("**").next().unwrap_or_default().to_string();
            seen.rows
                .push((section.expect("a row before any section"), name));
        }
        if let Some(rest) = line.strip_prefix("…and ") {
            seen.more = rest.split(' ').next().and_then(|n| n.parse().ok());
        }
    }
    seen
}

/// What a person saw in one digest: (section, licence name) per row.
pub type Rows = Vec<(&'static str, String)>;

/// Digests received over time.
pub type Timeline = Vec<(chrono::DateTime<chrono::Utc>, Rows)>;

/// Shorthand for expected rows.
pub fn rows(items: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    items.iter().map(|(s, n)| (*s, n.to_string())).collect()
}
