//! Both sign-in journeys, end to end over HTTP: the backend's pages on 127.0.0.1:0, the Cisco SSO
//! simulator on 127.0.0.1:0, a fake Webex behind the backend's `WebexPort`, and an in-memory
//! sign-in store. A browser is played by reqwest with redirects off, so each hop is inspected,
//! and a cookie store, so the sign-in cookie travels as in a real browser.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use slbot_backend::app::{signin_router, AppState, SignInDeps};
use slbot_backend::crypto::Keyring;
use slbot_backend::server;
use slbot_backend::settings::BackendSettings;
use slbot_backend::signin::port::MemorySignInStore;
use slbot_backend::signin::throttle::LoginLimits;
use slbot_backend::sso::{ClientAuth, SsoClient, SsoSettings};
use slbot_backend::store::postgres::PostgresStore;
use slbot_backend::store::sqlite::SqliteStore;
use slbot_backend::store::TokenStore;
use slbot_backend::webex_port::{BoxFuture, Recipient, WebexFailure, WebexPerson, WebexPort};
use slbot_base::ManualClock;
use slbot_config::AccessPolicy;
use slbot_signing::{
    ConfirmOutcome, MemoryNonceStore, NonceStore, TokenClient, TokenClientSettings, TokenError,
    Version,
};
use slbot_sim_sso::{SimSsoConfig, SimSsoHandle};
use url::Url;

const BACKEND_SECRET: &str = "backend-shared-secret";
const BOT_ID: &str = "BOT-ID";
const BOT_EMAIL: &str = "slbot@webex.bot";
const ANA_ID: &str = "PERSON-ANA";
const ANA_EMAIL: &str = "ana.admin@example.com";
const BOB_ID: &str = "PERSON-BOB";
const BOB_EMAIL: &str = "bob@other.example.org";

/// A Webex with a bot and two people; every call is recorded; it can be told to fail.
struct FakeWebex {
    people: Vec<WebexPerson>,
    sent: Mutex<Vec<(Recipient, String)>>,
    failing: AtomicBool,
}

impl FakeWebex {
    fn new() -> Self {
        let person = |id: &str, email: &str, org: &str| WebexPerson {
            id: id.to_string(),
            emails: vec![email.to_string()],
            org_id: Some(org.to_string()),
        };
        Self {
            people: vec![
                person(BOT_ID, BOT_EMAIL, "ORG-BOT"),
                person(ANA_ID, ANA_EMAIL, "ORG-ANA"),
                person(BOB_ID, BOB_EMAIL, "ORG-BOB"),
            ],
            sent: Mutex::new(Vec::new()),
            failing: AtomicBool::new(false),
        }
    }

    fn check(&self) -> Result<(), WebexFailure> {
        if self.failing.load(Ordering::SeqCst) {
            Err(WebexFailure {
                transient: true,
                message: "Webex is not answering right now".to_string(),
            })
        } else {
            Ok(())
        }
    }

    fn find(&self, pred: impl Fn(&WebexPerson) -> bool) -> Result<WebexPerson, WebexFailure> {
        self.people
            .iter()
            .find(|p| pred(p))
            .cloned()
            .ok_or(WebexFailure {
                transient: false,
                message: "Webex does not know that person or space".to_string(),
            })
    }

    fn sent(&self) -> Vec<(Recipient, String)> {
        self.sent.lock().unwrap().clone()
    }
}

impl WebexPort for FakeWebex {
    fn me(&self) -> BoxFuture<'_, Result<WebexPerson, WebexFailure>> {
        Box::pin(async move { self.find(|p| p.id == BOT_ID) })
    }

    fn person<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<WebexPerson, WebexFailure>> {
        Box::pin(async move {
            self.check()?;
            self.find(|p| p.id == id)
        })
    }

    fn send_markdown<'a>(
        &'a self,
        to: &'a Recipient,
        markdown: &'a str,
    ) -> BoxFuture<'a, Result<String, WebexFailure>> {
        Box::pin(async move {
            self.check()?;
            let person = match to {
                Recipient::Email(e) => {
                    self.find(|p| p.emails.iter().any(|m| m.eq_ignore_ascii_case(e)))?
                }
                Recipient::PersonId(id) => self.find(|p| p.id == *id)?,
                Recipient::Room(room) => {
                    let id = room.strip_prefix("ROOM-").unwrap_or_default();
                    self.find(|p| p.id == id)?
                }
            };
            self.sent
                .lock()
                .unwrap()
                .push((to.clone(), markdown.to_string()));
            Ok(format!("ROOM-{}", person.id))
        })
    }

    fn members<'a>(&'a self, room_id: &'a str) -> BoxFuture<'a, Result<Vec<String>, WebexFailure>> {
        Box::pin(async move {
            self.check()?;
            let person = room_id.strip_prefix("ROOM-").unwrap_or_default();
            Ok(vec![BOT_ID.to_string(), person.to_string()])
        })
    }
}

/// The running system of one test.
struct Harness {
    backend: String,
    /// The router behind `backend`, to serve it again as if to another client address.
    app: axum::Router,
    sso: SimSsoHandle,
    sso_base: String,
    browser: reqwest::Client,
    backing: Backing,
    webex: Arc<FakeWebex>,
    clock: Arc<ManualClock>,
}

/// Where the sign-ins end up.
enum Backing {
    /// The sign-in pages alone over an in-memory store (most tests).
    Memory(Arc<MemorySignInStore>),
    /// The whole backend (`server::app`) over a real store, with the bot's signed token client.
    Store {
        bot: TokenClient,
        /// The SQLite files, to look at what is kept (`None` on PostgreSQL).
        sqlite_dir: Option<tempfile::TempDir>,
        /// The PostgreSQL URL and the schema to drop afterwards.
        postgres_schema: Option<(String, String)>,
    },
}

/// Which store a harness runs on.
enum Engine {
    Memory,
    Sqlite,
    /// The URL of `SLBOT_TEST_POSTGRES_URL`; each harness gets a schema of its own.
    Postgres(String),
}

struct Options {
    sim: SimSsoConfig,
    backend_client_secret: &'static str,
    policy: AccessPolicy,
    engine: Engine,
    login: LoginLimits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sim: SimSsoConfig {
                client_secret: Some("sso-client-secret".into()),
                ..SimSsoConfig::default()
            },
            backend_client_secret: "sso-client-secret",
            policy: AccessPolicy::default(),
            engine: Engine::Memory,
            login: LoginLimits::default(),
        }
    }
}

async fn start(options: Options) -> Harness {
    let (sso_addr, sso) = slbot_sim_sso::spawn(options.sim).await.unwrap();
    let sso_base = format!("http://{sso_addr}");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend = format!("http://{}", listener.local_addr().unwrap());
    let sso_client = SsoClient::new(SsoSettings {
        authorize_url: Url::parse(&format!("{sso_base}/authorize")).unwrap(),
        token_url: Url::parse(&format!("{sso_base}/token")).unwrap(),
        userinfo_url: Url::parse(&format!("{sso_base}/userinfo")).unwrap(),
        revoke_url: None,
        client_id: slbot_sim_sso::DEFAULT_CLIENT_ID.to_string(),
        client_secret: SecretString::from(options.backend_client_secret.to_string()),
        redirect_uri: Url::parse(&format!("{backend}/oauth/callback")).unwrap(),
        client_auth: ClientAuth::Post,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let webex = Arc::new(FakeWebex::new());
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let key = SecretString::from("ab".repeat(32));
    let keyring = Keyring::new(&key, &[]).unwrap();
    let real_store = match options.engine {
        Engine::Memory => None,
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display());
            let store = Arc::new(SqliteStore::connect(&url, keyring).await.unwrap());
            let window: Arc<dyn NonceStore> = Arc::new(MemoryNonceStore::default());
            Some((store as Arc<dyn TokenStore>, window, Some(dir), None))
        }
        Engine::Postgres(url) => {
            let schema = format!("slbot_signin_{}", slbot_base::random_hex(6));
            let store = Arc::new(
                PostgresStore::connect_in_schema(&url, Some(&schema), keyring)
                    .await
                    .unwrap(),
            );
            Some((
                store.clone() as Arc<dyn TokenStore>,
                store as Arc<dyn NonceStore>,
                None,
                Some((url, schema)),
            ))
        }
    };
    let (app, backing) = if let Some((store, window, sqlite_dir, postgres_schema)) = real_store {
        let settings = backend_settings(&backend, key, options.policy, options.login);
        let state = server::state_from_parts(
            &settings,
            sso_client,
            webex.clone(),
            store,
            window,
            clock.clone(),
        );
        let bot = TokenClient::new(TokenClientSettings {
            base_url: backend.clone(),
            secret: SecretString::from(BACKEND_SECRET.to_string()),
            version: Version::V2,
            timeout: Duration::from_secs(10),
        })
        .unwrap()
        .with_clock(clock.clone());
        (
            server::app(state),
            Backing::Store {
                bot,
                sqlite_dir,
                postgres_schema,
            },
        )
    } else {
        let store = Arc::new(MemorySignInStore::default());
        let state = AppState::new(SignInDeps {
            sso: sso_client,
            webex: webex.clone(),
            store: store.clone(),
            clock: clock.clone(),
            link_secret: SecretString::from(BACKEND_SECRET.to_string()),
            policy: options.policy,
            public_url: Url::parse(&backend).unwrap(),
            login_limits: options.login,
            alexa: None,
        });
        (signin_router(state), Backing::Memory(store))
    };
    let served = app.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, served).await;
    });
    Harness {
        backend,
        app,
        sso,
        sso_base,
        browser: new_browser(),
        backing,
        webex,
        clock,
    }
}

/// Settings as `slbot backend` would read them; only the fields `state_from_parts` uses matter.
fn backend_settings(
    backend: &str,
    store_key: SecretString,
    policy: AccessPolicy,
    login: LoginLimits,
) -> BackendSettings {
    let unused = |s: &str| SecretString::from(s.to_string());
    let (domains, orgs) = (policy.email_domains().to_vec(), policy.org_ids().to_vec());
    BackendSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: Url::parse(backend).unwrap(),
        backend_secret: SecretString::from(BACKEND_SECRET.to_string()),
        signing_version: Version::V2,
        store_url: unused("sqlite://unused"),
        store_key,
        store_old_keys: vec![],
        sso: SsoSettings {
            authorize_url: Url::parse("http://127.0.0.1:1/unused").unwrap(),
            token_url: Url::parse("http://127.0.0.1:1/unused").unwrap(),
            userinfo_url: Url::parse("http://127.0.0.1:1/unused").unwrap(),
            revoke_url: None,
            client_id: "unused".into(),
            client_secret: unused("unused"),
            redirect_uri: Url::parse("http://127.0.0.1:1/unused").unwrap(),
            client_auth: ClientAuth::Post,
            timeout: Duration::from_secs(1),
        },
        webex_api_url: "http://127.0.0.1:1/v1".into(),
        webex_bot_token: unused("unused"),
        allowed_email_domains: domains,
        http: slbot_http::Limits::default(),
        allowed_org_ids: orgs,
        login,
        alexa: None,
        dashboard: Default::default(),
    }
}

/// A browser of its own: redirects off, cookies kept.
fn new_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> Url {
    Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

/// What the browser saw at the end of a sign-in.
struct Finished {
    callback_url: Url,
    status: u16,
    page: String,
}

impl Harness {
    /// The in-memory store of a `Backing::Memory` harness.
    fn memory(&self) -> &MemorySignInStore {
        match &self.backing {
            Backing::Memory(store) => store,
            Backing::Store { .. } => panic!("this harness runs on a real store"),
        }
    }

    /// The bot's token client of a `Backing::Store` harness.
    fn bot(&self) -> &TokenClient {
        match &self.backing {
            Backing::Store { bot, .. } => bot,
            Backing::Memory(_) => panic!("this harness runs in memory"),
        }
    }

    /// The SQLite files' folder of a harness on SQLite.
    fn sqlite_dir(&self) -> &std::path::Path {
        match &self.backing {
            Backing::Store {
                sqlite_dir: Some(dir),
                ..
            } => dir.path(),
            _ => panic!("this harness does not run on SQLite"),
        }
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.browser.get(url).send().await.unwrap()
    }

    /// The same backend (same state) served again on 127.0.0.1:0, where every request comes
    /// from `peer` as far as the handlers can tell (as `slbot_http::serve` reports a client).
    async fn as_client(&self, peer: &str) -> String {
        use axum::extract::connect_info::MockConnectInfo;
        let peer: std::net::SocketAddr = peer.parse().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = self.app.clone().layer(MockConnectInfo(peer));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    /// How many rows the real store's `oauth_attempts` table holds.
    async fn stored_attempts(&self) -> i64 {
        use sqlx::Row;
        let sql = "SELECT COUNT(*) AS n FROM oauth_attempts";
        match &self.backing {
            Backing::Store {
                sqlite_dir: Some(dir),
                ..
            } => {
                let url = format!("sqlite://{}/tokens.db", dir.path().display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                let n: i64 = sqlx::query(sql).fetch_one(&pool).await.unwrap().get("n");
                pool.close().await;
                n
            }
            Backing::Store {
                postgres_schema: Some((url, schema)),
                ..
            } => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let n: i64 = sqlx::query(&format!(
                    "SELECT COUNT(*) AS n FROM {schema}.oauth_attempts"
                ))
                .fetch_one(&pool)
                .await
                .unwrap()
                .get("n");
                pool.close().await;
                n
            }
            _ => panic!("this harness has no real store"),
        }
    }

    /// `GET /login{query}` and the redirect to Cisco SSO.
    async fn to_sso(&self, query: &str) -> Url {
        let r = self.get(&format!("{}/login{query}", self.backend)).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let to = location(&r);
        assert!(to.as_str().starts_with(&self.sso_base), "{to}");
        to
    }

    /// At the SSO login form: sign in as `email`, optionally with other scopes; returns the
    /// callback URL the browser is sent back to.
    async fn at_sso(&self, authorize: &Url, email: &str, scope: Option<&str>) -> Url {
        let mut form: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
        if let Some(s) = scope {
            form.insert("scope".into(), s.into());
        }
        form.insert("email".into(), email.into());
        let r = self
            .browser
            .post(format!("{}/authorize", self.sso_base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let back = location(&r);
        assert!(back
            .as_str()
            .starts_with(&format!("{}/oauth/callback", self.backend)));
        back
    }

    async fn callback(&self, url: &Url) -> (u16, String) {
        let r = self.get(url.as_str()).await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    async fn sign_in(&self, query: &str, email: &str) -> Finished {
        self.sign_in_with_scope(query, email, None).await
    }

    async fn sign_in_with_scope(&self, query: &str, email: &str, scope: Option<&str>) -> Finished {
        let authorize = self.to_sso(query).await;
        let callback_url = self.at_sso(&authorize, email, scope).await;
        let (status, page) = self.callback(&callback_url).await;
        Finished {
            callback_url,
            status,
            page,
        }
    }

    fn link_for(&self, person_id: &str) -> String {
        let secret = SecretString::from(BACKEND_SECRET.to_string());
        let t = slbot_signing::sign_login_token(
            &secret,
            person_id,
            slbot_base::Clock::now(&*self.clock),
        );
        format!("?t={t}")
    }

    async fn sso_stats(&self) -> serde_json::Value {
        reqwest::get(format!("{}/_sim/stats", self.sso_base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The 6-digit code shown as "confirm NNNNNN" on the page.
fn code_on(page: &str) -> String {
    let marker = "class=\"code\">confirm ";
    let at = page.find(marker).expect("a confirm code on the page") + marker.len();
    let code: String = page[at..].chars().take(6).collect();
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    code
}

#[tokio::test]
async fn the_callback_page_never_leaks_its_code_through_the_referer_and_is_not_cached() {
    let h = start(Options::default()).await;
    let authorize = h.to_sso("").await;
    let back = h.at_sso(&authorize, ANA_EMAIL, None).await;
    let r = h.get(back.as_str()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn the_dashboard_offers_sign_in_and_a_link_that_opens_the_bot() {
    let h = start(Options::default()).await;
    let r = h.get(&format!("{}/", h.backend)).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Sign in with Cisco"), "{page}");
    assert!(page.contains(&format!("href=\"{}/login\"", h.backend)));
    assert!(page.contains("webexteams://im?email=slbot@webex.bot"));
    assert!(page.contains("https://web.webex.com"));
}

#[tokio::test]
async fn login_sends_the_browser_to_sso_with_state_pkce_and_the_scopes() {
    let h = start(Options::default()).await;
    let to = h.to_sso("").await;
    let q: HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "openid profile email offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 32);
    assert_eq!(q["redirect_uri"], format!("{}/oauth/callback", h.backend));
}

#[tokio::test]
async fn a_user_who_starts_on_the_dashboard_is_found_through_their_new_space() {
    let h = start(Options::default()).await;
    let done = h.sign_in("", ANA_EMAIL).await;
    assert_eq!(done.status, 200, "{}", done.page);
    assert!(done.page.contains("You're signed in"), "{}", done.page);
    assert!(done.page.contains("webexteams://im?email=slbot@webex.bot"));
    assert_eq!(h.memory().signed_in(), vec![ANA_ID.to_string()]);
    assert_eq!(
        h.memory().room_of(ANA_ID),
        Some(Some(format!("ROOM-{ANA_ID}")))
    );
    let sent = h.webex.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, Recipient::Email(ANA_EMAIL.to_string()));
    assert!(sent[0].1.contains("Welcome"));
}

#[tokio::test]
async fn a_link_whose_person_has_the_sso_e_mail_binds_at_once() {
    let h = start(Options::default()).await;
    let link = h.link_for(ANA_ID);
    // Webex e-mails compare without regard to case.
    let done = h.sign_in(&link, "Ana.Admin@Example.com").await;
    assert_eq!(done.status, 200, "{}", done.page);
    assert!(done.page.contains("You're signed in"));
    assert_eq!(h.memory().signed_in(), vec![ANA_ID.to_string()]);
    assert_eq!(h.webex.sent()[0].0, Recipient::PersonId(ANA_ID.to_string()));
}

#[tokio::test]
async fn a_link_with_another_e_mail_waits_for_the_code_from_that_webex_person() {
    let h = start(Options::default()).await;
    let link = h.link_for(ANA_ID);
    let done = h.sign_in(&link, "ana.private@elsewhere.example").await;
    assert_eq!(done.status, 200, "{}", done.page);
    let code = code_on(&done.page);
    assert!(h.memory().signed_in().is_empty());
    assert_eq!(h.memory().pending(), vec![ANA_ID.to_string()]);
    assert!(
        h.webex.sent().is_empty(),
        "nothing is sent before the confirmation"
    );

    let now = slbot_base::Clock::now(&*h.clock);
    assert!(h.memory().confirm(ANA_ID, "ROOM-ANA", &code, now));
    assert_eq!(h.memory().signed_in(), vec![ANA_ID.to_string()]);
}

#[tokio::test]
async fn a_stranger_using_someone_elses_link_binds_nothing_without_their_code() {
    let h = start(Options::default()).await;
    // Bob got hold of Ana's link and signs in with his own Cisco account.
    let link = h.link_for(ANA_ID);
    let done = h.sign_in(&link, BOB_EMAIL).await;
    let code = code_on(&done.page);
    assert!(h.memory().signed_in().is_empty());
    let now = slbot_base::Clock::now(&*h.clock);
    // Bob sends the code himself: the confirmation is for Ana's personId only.
    assert!(!h.memory().confirm(BOB_ID, "ROOM-BOB", &code, now));
    // A wrong code from Ana does not bind either.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert!(!h.memory().confirm(ANA_ID, "ROOM-ANA", wrong, now));
    assert!(h.memory().signed_in().is_empty());
}

#[tokio::test]
async fn a_tampered_or_expired_link_is_refused_with_a_page_that_says_so() {
    let h = start(Options::default()).await;
    let link = h.link_for(ANA_ID);
    let tampered = format!("{}0", &link[..link.len() - 1]);
    let tampered = if tampered == link {
        format!("{}1", &link[..link.len() - 1])
    } else {
        tampered
    };
    let r = h.get(&format!("{}/login{tampered}", h.backend)).await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("This sign-in link does not work"));

    h.clock.advance(chrono::Duration::minutes(16));
    let r = h.get(&format!("{}/login{link}", h.backend)).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn an_unknown_state_is_refused() {
    let h = start(Options::default()).await;
    // This browser started a sign-in, but not one with this state: refused before the store
    // is even asked.
    h.to_sso("").await;
    let (status, page) = h
        .callback(
            &Url::parse(&format!("{}/oauth/callback?code=x&state=forged", h.backend)).unwrap(),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("cannot be finished in this browser"),
        "{page}"
    );
    let (status, page) = h
        .callback(&Url::parse(&format!("{}/oauth/callback?code=x", h.backend)).unwrap())
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("no longer valid"), "{page}");
}

#[tokio::test]
async fn a_callback_replayed_after_success_is_refused_and_changes_nothing() {
    let h = start(Options::default()).await;
    let done = h.sign_in("", ANA_EMAIL).await;
    assert_eq!(done.status, 200);
    // The finished sign-in took its cookie away, so the replay is refused at the door.
    let (status, page) = h.callback(&done.callback_url).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("cannot be finished in this browser"),
        "{page}"
    );
    assert_eq!(h.webex.sent().len(), 1);
    assert_eq!(h.sso_stats().await["requests"]["token"], 1);
}

#[tokio::test]
async fn a_callback_replayed_with_the_cookie_still_finds_the_state_used_up() {
    let h = start(Options::default()).await;
    let authorize = h.to_sso("").await;
    let back = h.at_sso(&authorize, ANA_EMAIL, None).await;
    // The cookie as `/login` set it, replayed by hand after the browser dropped it.
    let state: String = back
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let cookie = format!(
        "slbot_signin={}",
        naive_binding(BACKEND_SECRET.as_bytes(), &state)
    );
    assert_eq!(h.callback(&back).await.0, 200);
    let r = reqwest::Client::new()
        .get(back.as_str())
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("no longer valid"));
    assert_eq!(h.webex.sent().len(), 1);
}

/// The browser-binding cookie's value, computed here by hand:
/// `hex(HMAC-SHA256(HMAC-SHA256(secret, label), state))`.
fn naive_binding(secret: &[u8], state: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut derive = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).unwrap();
    derive.update(b"SLBOT-OAUTH-BROWSER-BINDING-KEY-v1");
    let key = derive.finalize().into_bytes();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(state.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn login_binds_the_state_to_the_browser_with_a_cookie_that_the_callback_clears() {
    let h = start(Options::default()).await;
    let r = h.get(&format!("{}/login", h.backend)).await;
    assert_eq!(r.status(), 303);
    let state: String = location(&r)
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_eq!(
        set,
        format!(
            "slbot_signin={}; Max-Age=600; Path=/oauth; HttpOnly; SameSite=Lax",
            naive_binding(BACKEND_SECRET.as_bytes(), &state)
        )
    );
    let authorize = location(&r);
    let back = h.at_sso(&authorize, ANA_EMAIL, None).await;
    let r = h.get(back.as_str()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["set-cookie"],
        "slbot_signin=; Max-Age=0; Path=/oauth; HttpOnly; SameSite=Lax"
    );
}

#[tokio::test]
async fn a_callback_from_another_browser_is_refused_and_the_person_gets_no_tokens() {
    let h = start(Options::default()).await;
    // Bob starts a sign-in with his own link and passes the Cisco page on to Ana, who signs
    // in there with her Cisco account: the callback lands in Ana's browser.
    let authorize = h.to_sso(&h.link_for(BOB_ID)).await;
    let back = h.at_sso(&authorize, ANA_EMAIL, None).await;
    let ana = new_browser();
    let refused = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("started in another browser"), "{page}");
        assert!(
            page.contains("Start again from the link in Webex"),
            "{page}"
        );
        assert!(
            !page.contains("class=\"code\""),
            "a confirmation code was shown: {page}"
        );
    };
    refused(ana.get(back.as_str()).send().await.unwrap()).await;
    // A browser with a sign-in cookie of its own is no better.
    assert_eq!(
        ana.get(format!("{}/login", h.backend))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    refused(ana.get(back.as_str()).send().await.unwrap()).await;

    assert!(h.memory().signed_in().is_empty());
    assert!(h.memory().pending().is_empty());
    assert!(h.webex.sent().is_empty());
    let stats = h.sso_stats().await;
    assert!(
        stats["requests"]["token"].as_u64().unwrap_or(0) == 0,
        "the code was exchanged: {stats}"
    );
    assert_eq!(h.sso.state.access_token_count(), 0);
    // Nothing was used up: the browser that started the sign-in could still finish it.
    assert_eq!(h.callback(&back).await.0, 200);
}

#[tokio::test]
async fn a_state_older_than_ten_minutes_is_refused() {
    let h = start(Options::default()).await;
    let authorize = h.to_sso("").await;
    let back = h.at_sso(&authorize, ANA_EMAIL, None).await;
    h.clock
        .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    let (status, page) = h.callback(&back).await;
    assert_eq!(status, 400);
    assert!(page.contains("no longer valid"));
    assert!(h.memory().signed_in().is_empty());
}

#[tokio::test]
async fn a_wrong_client_secret_is_reported_as_the_services_problem_not_the_users() {
    let h = start(Options {
        backend_client_secret: "wrong-secret",
        ..Options::default()
    })
    .await;
    let done = h.sign_in("", ANA_EMAIL).await;
    assert_eq!(done.status, 502, "{}", done.page);
    assert!(done.page.contains("not set up correctly"));
    assert!(done.page.contains("not your fault"));
    assert!(h.memory().signed_in().is_empty());
}

#[tokio::test]
async fn an_sso_outage_asks_the_user_to_try_again_later() {
    let h = start(Options {
        sim: SimSsoConfig {
            client_secret: Some("sso-client-secret".into()),
            fail_every: Some(1),
            ..SimSsoConfig::default()
        },
        ..Options::default()
    })
    .await;
    let done = h.sign_in("", ANA_EMAIL).await;
    assert_eq!(done.status, 503, "{}", done.page);
    assert!(done.page.contains("try again in a few minutes"));
    assert_eq!(h.sso_stats().await["injected_server_errors"], 1);
    assert!(h.memory().signed_in().is_empty());
}

#[tokio::test]
async fn a_code_that_expired_at_sso_is_refused_as_a_sign_in_to_start_again() {
    let sso_clock = Arc::new(slbot_base::ManualClock::new(Utc::now()));
    let h = start(Options {
        sim: SimSsoConfig {
            client_secret: Some("sso-client-secret".into()),
            clock: sso_clock.clone(),
            ..SimSsoConfig::default()
        },
        ..Options::default()
    })
    .await;
    let authorize = h.to_sso("").await;
    let back = h.at_sso(&authorize, ANA_EMAIL, None).await;
    // The simulator's codes live 60 s.
    sso_clock.advance(chrono::Duration::seconds(61));
    let (status, page) = h.callback(&back).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Cisco did not accept the sign-in"), "{page}");
    assert!(h.memory().signed_in().is_empty());
}

#[tokio::test]
async fn a_cancelled_sso_login_says_nothing_was_linked() {
    let h = start(Options::default()).await;
    let authorize = h.to_sso("").await;
    let mut form: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    form.insert("cancel".into(), "1".into());
    let r = h
        .browser
        .post(format!("{}/authorize", h.sso_base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, page) = h.callback(&location(&r)).await;
    assert_eq!(status, 400);
    assert!(page.contains("nothing was linked"), "{page}");
}

#[tokio::test]
async fn without_an_e_mail_from_sso_the_page_explains_and_nothing_is_stored() {
    let h = start(Options::default()).await;
    let done = h
        .sign_in_with_scope("", ANA_EMAIL, Some("openid offline_access"))
        .await;
    assert_eq!(done.status, 400, "{}", done.page);
    assert!(done.page.contains("did not share your e-mail address"));
    assert!(h.memory().signed_in().is_empty());
    assert!(h.webex.sent().is_empty());
}

#[tokio::test]
async fn a_webex_failure_leaves_nothing_stored_and_the_sso_tokens_revoked() {
    let h = start(Options::default()).await;
    h.webex.failing.store(true, Ordering::SeqCst);
    let done = h.sign_in("", ANA_EMAIL).await;
    assert_eq!(done.status, 502, "{}", done.page);
    assert!(
        done.page.contains("could not open your 1:1 space"),
        "{}",
        done.page
    );
    assert!(done.page.contains("Nothing was saved"));
    assert!(h.memory().signed_in().is_empty() && h.memory().pending().is_empty());
    assert_eq!(h.sso_stats().await["requests"]["revoke"], 1);
    assert_eq!(h.sso.state.access_token_count(), 0);
}

#[tokio::test]
async fn a_refused_e_mail_domain_stores_nothing_and_sends_nothing() {
    let h = start(Options {
        policy: AccessPolicy::new(vec!["example.com".into()], vec![]),
        ..Options::default()
    })
    .await;
    let done = h.sign_in("", BOB_EMAIL).await;
    assert_eq!(done.status, 403, "{}", done.page);
    assert!(done
        .page
        .contains("not on this bot's list of allowed users"));
    assert!(h.memory().signed_in().is_empty());
    assert!(h.webex.sent().is_empty());
    // The allowed domain still works.
    assert_eq!(h.sign_in("", ANA_EMAIL).await.status, 200);
}

#[tokio::test]
async fn a_refused_organization_stores_nothing() {
    let h = start(Options {
        policy: AccessPolicy::new(vec![], vec!["ORG-ANA".into()]),
        ..Options::default()
    })
    .await;
    let link = h.link_for(BOB_ID);
    let done = h.sign_in(&link, BOB_EMAIL).await;
    assert_eq!(done.status, 403, "{}", done.page);
    let done = h.sign_in("", BOB_EMAIL).await;
    assert_eq!(done.status, 403, "{}", done.page);
    assert!(h.memory().signed_in().is_empty());
    // Bob got the welcome (it is how his space was found), then the note that it did not count.
    let sent = h.webex.sent();
    let last = sent.last().unwrap();
    assert_eq!(last.0, Recipient::Room(format!("ROOM-{BOB_ID}")));
    assert!(last.1.contains("did not complete"), "{}", last.1);
    assert!(last.1.contains(&format!("({}/login)", h.backend)));
    assert_eq!(h.sign_in("", ANA_EMAIL).await.status, 200);
}

#[tokio::test]
async fn health_says_alive_with_the_version_and_ready_when_the_store_answers() {
    let h = start(Options::default()).await;
    let health: serde_json::Value = h
        .get(&format!("{}/healthz", h.backend))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(h.get(&format!("{}/readyz", h.backend)).await.status(), 200);
}

// ---- the whole backend over a real store, with the bot's side of the token API ----

fn on(engine: Engine) -> Options {
    Options {
        engine,
        ..Options::default()
    }
}

/// A harness on PostgreSQL, or `None` (test skipped) when `SLBOT_TEST_POSTGRES_URL` is unset.
async fn on_postgres() -> Option<Harness> {
    let url = crate::token_harness::postgres_url()?;
    Some(start(on(Engine::Postgres(url))).await)
}

impl Harness {
    /// Drops the harness's PostgreSQL schema (SQLite's folder goes with its TempDir).
    async fn cleanup(self) {
        if let Backing::Store {
            postgres_schema: Some((url, schema)),
            ..
        } = &self.backing
        {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

impl Harness {
    /// Whose Cisco login a token is, according to the SSO simulator.
    async fn email_behind(&self, token: &SecretString) -> serde_json::Value {
        use secrecy::ExposeSecret;
        let info: serde_json::Value = self
            .browser
            .post(format!("{}/introspect", self.sso_base))
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        info["email"].clone()
    }
}

#[tokio::test]
async fn after_a_dashboard_sign_in_the_bot_gets_the_persons_cisco_token_and_no_e_mail_is_kept() {
    let h = start(on(Engine::Sqlite)).await;
    assert_eq!(h.sign_in("", ANA_EMAIL).await.status, 200);
    let (bot, dir) = (h.bot(), h.sqlite_dir());
    let token = bot.access_token("ROOM-PERSON-ANA", ANA_ID).await.unwrap();
    assert_eq!(h.email_behind(&token.token).await, ANA_EMAIL);

    let mut kept = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        kept.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!kept.is_empty());
    let needle = ANA_EMAIL.as_bytes();
    assert!(
        !kept.windows(needle.len()).any(|w| w == needle),
        "the e-mail was stored"
    );
}

#[tokio::test]
async fn a_pending_sign_in_becomes_the_persons_login_when_they_confirm_through_the_bot() {
    pending_then_confirmed(&start(on(Engine::Sqlite)).await).await;
}

#[tokio::test]
async fn on_postgresql_a_pending_sign_in_becomes_the_login_when_confirmed() {
    if let Some(h) = on_postgres().await {
        pending_then_confirmed(&h).await;
        h.cleanup().await;
    }
}

async fn pending_then_confirmed(h: &Harness) {
    let other_email = "ana.private@elsewhere.example";
    let done = h.sign_in(&h.link_for(ANA_ID), other_email).await;
    let code = code_on(&done.page);
    let bot = h.bot();
    assert!(matches!(
        bot.access_token("ROOM-PERSON-ANA", ANA_ID).await,
        Err(TokenError::NotSignedIn)
    ));
    assert_eq!(
        bot.confirm("ROOM-PERSON-ANA", ANA_ID, &code).await.unwrap(),
        ConfirmOutcome::Confirmed
    );
    let token = bot.access_token("ROOM-PERSON-ANA", ANA_ID).await.unwrap();
    assert_eq!(h.email_behind(&token.token).await, other_email);
}

#[tokio::test]
async fn a_code_sent_by_another_person_or_a_wrong_code_binds_nothing() {
    stranger_binds_nothing(&start(on(Engine::Sqlite)).await).await;
}

#[tokio::test]
async fn on_postgresql_a_code_sent_by_another_person_binds_nothing() {
    if let Some(h) = on_postgres().await {
        stranger_binds_nothing(&h).await;
        h.cleanup().await;
    }
}

async fn stranger_binds_nothing(h: &Harness) {
    // Bob uses Ana's link with his own Cisco account and tries to finish it himself.
    let done = h.sign_in(&h.link_for(ANA_ID), BOB_EMAIL).await;
    let code = code_on(&done.page);
    let bot = h.bot();
    assert_eq!(
        bot.confirm("ROOM-PERSON-BOB", BOB_ID, &code).await.unwrap(),
        ConfirmOutcome::NoSuchPending
    );
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(
        bot.confirm("ROOM-PERSON-ANA", ANA_ID, wrong).await.unwrap(),
        ConfirmOutcome::NoSuchPending
    );
    for (room, person) in [("ROOM-PERSON-ANA", ANA_ID), ("ROOM-PERSON-BOB", BOB_ID)] {
        assert!(matches!(
            bot.access_token(room, person).await,
            Err(TokenError::NotSignedIn)
        ));
    }
}

#[tokio::test]
async fn the_whole_backend_reports_ready_when_its_store_answers() {
    let h = start(on(Engine::Sqlite)).await;
    assert_eq!(h.get(&format!("{}/readyz", h.backend)).await.status(), 200);
}

// ---- how many sign-ins `/login` starts ----

fn limits(per_address: u32, global: u32, max_pending: u64) -> LoginLimits {
    LoginLimits {
        per_address_per_minute: per_address,
        global_per_minute: global,
        max_pending,
    }
}

#[tokio::test]
async fn a_login_flood_from_one_address_is_answered_429_after_the_limit_while_another_address_gets_through(
) {
    let h = start(Options {
        login: limits(5, 1000, 1000),
        ..Options::default()
    })
    .await;
    let flooder = h.as_client("203.0.113.7:40000").await;
    let neighbour = h.as_client("198.51.100.20:40001").await;
    for i in 0..5 {
        let r = h.get(&format!("{flooder}/login")).await;
        assert_eq!(r.status(), 303, "sign-in {i} of the allowed 5");
    }
    let r = h.get(&format!("{flooder}/login")).await;
    assert_eq!(r.status(), 429);
    // 5 a minute: the next one is allowed 60 / 5 = 12 s after the burst.
    assert_eq!(r.headers()["retry-after"], "12");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("Too many sign-ins"), "{page}");
    assert!(page.contains("wait 12 seconds"), "{page}");

    // A new connection from the same address is the same client; another address is not.
    let again = h.as_client("203.0.113.7:40002").await;
    assert_eq!(h.get(&format!("{again}/login")).await.status(), 429);
    assert_eq!(h.get(&format!("{neighbour}/login")).await.status(), 303);

    // Once the bucket has refilled by one, the flooder may start one more.
    h.clock.advance(chrono::Duration::seconds(12));
    assert_eq!(h.get(&format!("{flooder}/login")).await.status(), 303);
    assert_eq!(h.get(&format!("{flooder}/login")).await.status(), 429);
}

#[tokio::test]
async fn everyone_together_is_held_to_the_global_login_rate() {
    let h = start(Options {
        login: limits(5, 3, 1000),
        ..Options::default()
    })
    .await;
    for i in 0..3 {
        let client = h.as_client(&format!("192.0.2.{i}:5000")).await;
        assert_eq!(h.get(&format!("{client}/login")).await.status(), 303);
    }
    let late = h.as_client("192.0.2.99:5000").await;
    let r = h.get(&format!("{late}/login")).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "20");
}

async fn flood_beyond_the_pending_cap(h: &Harness) {
    for i in 0..4 {
        let r = h.get(&format!("{}/login", h.backend)).await;
        assert_eq!(r.status(), 303, "sign-in {i} within the cap of 4");
    }
    for _ in 0..10 {
        let r = h.get(&format!("{}/login", h.backend)).await;
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "60");
        assert!(r.text().await.unwrap().contains("busy"));
    }
    assert_eq!(h.stored_attempts().await, 4);
}

#[tokio::test]
async fn a_login_flood_beyond_the_pending_cap_leaves_the_attempts_table_bounded() {
    let h = start(Options {
        login: limits(1000, 1000, 4),
        ..on(Engine::Sqlite)
    })
    .await;
    flood_beyond_the_pending_cap(&h).await;
}

#[tokio::test]
async fn on_postgresql_a_login_flood_beyond_the_pending_cap_leaves_the_attempts_table_bounded() {
    let Some(url) = crate::token_harness::postgres_url() else {
        return;
    };
    let h = start(Options {
        login: limits(1000, 1000, 4),
        ..on(Engine::Postgres(url))
    })
    .await;
    flood_beyond_the_pending_cap(&h).await;
    h.cleanup().await;
}
