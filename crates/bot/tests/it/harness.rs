//! `spawn_app()`: the Webex simulator, the CSSM simulator (three users with static tokens), the
//! backend's real token API over SQLite in a temporary directory, and the bot itself — built
//! from settings read through the config crate, serving on 127.0.0.1:0, registering its
//! webhooks in the Webex simulator exactly as production does (`SLBOT_BOT_PUBLIC_URL`).
//!
//! The bot's own store (notifications) is a SQLite file in the same temporary directory, and
//! its clock a [`ManualClock`] the test may move ([`TestApp::clock`]): the CSSM and Webex
//! clients' waits (backoff, `Retry-After`) return at once and are recorded there.
//!
//! Helpers act as people: [`TestApp::say`] posts through the simulator's control API, then
//! [`TestApp::settle`] waits (bounded) until every webhook was delivered and the bot has
//! finished every accepted event; [`TestApp::bot_messages`] reads what the bot posted (without
//! the filter card it offers after reports; [`TestApp::all_bot_messages`] keeps it), and
//! [`TestApp::submit`] presses a card's button as Webex would.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_backend::crypto::Keyring;
use slbot_backend::refresh::Refresher;
use slbot_backend::sso::{SsoError, TokenSet};
use slbot_backend::store::{BoxFuture, PendingSignIn, TokenStore, Tokens};
use slbot_backend::token_api::{self, TokenApiDeps};
use slbot_base::{ManualClock, SystemClock};
use slbot_bot::{BotFlags, BotSettings, Injected, Transport};
use slbot_signing::{MemoryNonceStore, Verifier, Version};
use slbot_sim_cssm::{DataSource, FaultSettings, GenParams, StaticToken};
use slbot_webex::ClientSettings;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::naive::Dataset;

pub const WEBHOOK_SECRET: &str = "it-webhook-secret";
/// The skill id of the Alexa tests.
pub const ALEXA_SKILL_ID: &str = "amzn1.ask.skill.slbot-it";

/// The tests' simulated Alexa: its own certificate authority, made once per test binary (an
/// RSA key takes a second to generate in a debug build).
pub fn simulated_alexa() -> &'static slbot_alexa::sim::SimulatedAlexa {
    static ALEXA: std::sync::OnceLock<slbot_alexa::sim::SimulatedAlexa> =
        std::sync::OnceLock::new();
    ALEXA.get_or_init(|| slbot_alexa::sim::SimulatedAlexa::new(ALEXA_SKILL_ID).unwrap())
}
pub const BACKEND_SECRET: &str = "it-backend-secret";
const STORE_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// How long any wait in these tests may take before it fails the test.
const DEADLINE: Duration = Duration::from_secs(20);

/// Static CSSM tokens of the simulator's three users (user index = position).
pub const CSSM_TOKENS: [&str; 3] = ["cssm-token-user0", "cssm-token-user1", "cssm-token-user2"];
/// A token the CSSM simulator does not know (it answers 401).
pub const UNKNOWN_CSSM_TOKEN: &str = "cssm-token-nobody";

/// The day every generated date is relative to, and the bot's pinned "now" (noon that day).
pub fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

pub fn now() -> DateTime<Utc> {
    Utc.from_utc_datetime(&anchor().and_hms_opt(12, 0, 0).unwrap())
}

/// How the token API behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The backend's real token API with the shared secret.
    Real,
    /// Nothing listens at the backend URL.
    Down,
    /// The real API, but with another secret: it answers 401 to the bot.
    OtherSecret,
    /// The real API, with every response signature replaced by zeros.
    BadResponseSignature,
}

/// What a test needs different from the defaults.
pub struct Options {
    pub data: GenParams,
    pub cssm_faults: FaultSettings,
    pub backend: Backend,
    /// Extra `SLBOT_*` settings, read through the config crate like the environment.
    pub env: Vec<(&'static str, String)>,
    /// Adjusts the loaded settings (workers, queue, progress timing).
    pub tweak: fn(&mut BotSettings),
    /// More static CSSM tokens, all of simulator user 0 (one per person in load tests).
    pub extra_cssm_tokens: Vec<String>,
    /// Turns `POST /alexa` on for [`ALEXA_SKILL_ID`], trusting [`simulated_alexa`] only.
    pub alexa: bool,
    /// How events reach the bot: [`transport_under_test`] unless a test is about one.
    pub transport: Transport,
}

/// The transport the suite runs on: `SLBOT_TEST_TRANSPORT` (`webhook`, the default, or
/// `websocket`). The README's test command runs this suite once per transport.
pub fn transport_under_test() -> Transport {
    match std::env::var("SLBOT_TEST_TRANSPORT") {
        Ok(v) if !v.trim().is_empty() => v.parse().expect("SLBOT_TEST_TRANSPORT"),
        _ => Transport::Webhook,
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            data: GenParams {
                seed: 11,
                accounts: 5,
                virtual_accounts: 3,
                licenses_per_va: 8,
                anchor: anchor(),
                lines_per_record: None,
            },
            cssm_faults: FaultSettings::default(),
            backend: Backend::Real,
            env: Vec::new(),
            tweak: |_| {},
            extra_cssm_tokens: Vec::new(),
            alexa: false,
            transport: transport_under_test(),
        }
    }
}

/// A Webex person of the simulator.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    /// Their Webex token (downloads of files posted in their spaces).
    pub token: String,
}

/// A message as the simulator's control API shows it.
#[derive(Debug, Clone)]
pub struct Posted {
    pub id: String,
    pub seq: u64,
    pub person_id: String,
    pub parent_id: Option<String>,
    pub markdown: String,
    pub edits: u64,
    /// `(url, filename, contentType)` of attached files.
    pub files: Vec<(String, String, String)>,
    /// The `content` of the Adaptive Card attached, if any.
    pub card: Option<Value>,
}

impl Posted {
    fn from_json(v: &Value) -> Self {
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        Self {
            id: s("id"),
            seq: v["seq"].as_u64().unwrap_or(0),
            person_id: s("personId"),
            parent_id: v["parentId"].as_str().map(String::from),
            markdown: v["markdown"]
                .as_str()
                .or_else(|| v["text"].as_str())
                .unwrap_or("")
                .to_string(),
            edits: v["edits"].as_u64().unwrap_or(0),
            files: v["fileLinks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
                    (s("url"), s("filename"), s("contentType"))
                })
                .collect(),
            card: v["attachments"]
                .as_array()
                .and_then(|a| a.first())
                .map(|a| a["content"].clone()),
        }
    }

    /// Whether this is the filter card (posted for `filter`, or offered after a report).
    pub fn is_filter_card(&self) -> bool {
        self.card.as_ref().is_some_and(|c| {
            c["body"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["id"] == "report")
        })
    }

    /// The `data` of the card's first `Action.Submit` (searching actions and action sets).
    pub fn submit_data(&self) -> Value {
        fn find(v: &Value) -> Option<Value> {
            match v {
                Value::Object(map) => {
                    if map.get("type").and_then(Value::as_str) == Some("Action.Submit") {
                        return map.get("data").cloned();
                    }
                    map.values().find_map(find)
                }
                Value::Array(items) => items.iter().find_map(find),
                _ => None,
            }
        }
        self.card
            .as_ref()
            .and_then(find)
            .unwrap_or_else(|| panic!("no submit button on {self:#?}"))
    }

    /// The first line (the headline of a report).
    pub fn headline(&self) -> &str {
        self.markdown.lines().next().unwrap_or("")
    }
}

pub struct TestApp {
    /// The bot being served (for what a test drives directly: a notification pass).
    pub bot_handle: Arc<slbot_bot::Bot>,
    /// The bot's "now" (starts at [`now`]; the notification scheduler reads it too) and the
    /// record of every retry wait.
    pub clock: Arc<ManualClock>,
    pub webex: slbot_sim_webex::SimHandle,
    pub cssm: slbot_sim_cssm::SimHandle,
    pub dataset: Dataset,
    pub store: Arc<dyn TokenStore>,
    pub bot: Person,
    pub bot_addr: SocketAddr,
    /// What the bot was built from (a restart builds it again from the same).
    settings: BotSettings,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<Result<(), slbot_bot::StartError>>>,
    _backend: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
    /// Whether the bot trusts [`simulated_alexa`] (kept for restarts).
    alexa: bool,
}

/// A refresher that is never needed: stored tokens are valid for a day.
struct NoRefresh;

impl Refresher for NoRefresh {
    fn refresh<'a>(&'a self, _: &'a SecretString) -> BoxFuture<'a, Result<TokenSet, SsoError>> {
        Box::pin(async { Err(SsoError::Transient("no SSO in these tests".into())) })
    }
    fn revoke<'a>(&'a self, _: &'a SecretString) -> BoxFuture<'a, Result<(), SsoError>> {
        Box::pin(async { Ok(()) })
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// The bot on webhooks whatever the suite's transport (for what is about webhooks).
pub async fn spawn_webhook_app() -> TestApp {
    spawn_app_with(Options {
        transport: Transport::Webhook,
        ..Options::default()
    })
    .await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();

    // Webex, and the bot's identity in it.
    let (_, webex) = slbot_sim_webex::spawn(slbot_sim_webex::SimConfig::default())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = webex.state().public_base().to_string();
    let created: Value = http
        .post(format!("{base}/_sim/people"))
        .json(
            &json!({"email": "licensing@webex.bot", "displayName": "Licensing Bot", "type": "bot"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bot = Person {
        id: created["person"]["id"].as_str().unwrap().to_string(),
        token: created["token"].as_str().unwrap().to_string(),
    };

    // CSSM: three users, each with a static token.
    let snapshot = slbot_sim_cssm::generate(&options.data);
    let text = slbot_sim_cssm::snapshot_text(&snapshot).unwrap();
    let dataset = Dataset {
        json: serde_json::from_str(&text).unwrap(),
        users: CSSM_TOKENS.len(),
    };
    let cssm = slbot_sim_cssm::spawn(slbot_sim_cssm::SimConfig {
        data: DataSource::Snapshot(snapshot),
        users: CSSM_TOKENS.len(),
        tokens: CSSM_TOKENS
            .iter()
            .enumerate()
            .map(|(user, t)| StaticToken::new(*t, user))
            .chain(
                options
                    .extra_cssm_tokens
                    .iter()
                    .map(|t| StaticToken::new(t, 0)),
            )
            .collect(),
        faults: options.cssm_faults,
        now: now(),
        ..slbot_sim_cssm::SimConfig::default()
    })
    .await
    .unwrap();

    // The backend's token API over a SQLite store.
    let keys = Keyring::new(&SecretString::from(STORE_KEY.to_string()), &[]).unwrap();
    let store_url = format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display());
    let store: Arc<dyn TokenStore> = slbot_backend::store::connect(&store_url, keys)
        .await
        .unwrap();
    let backend_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_url = format!("http://{}", backend_listener.local_addr().unwrap());
    let backend_secret = match options.backend {
        Backend::OtherSecret => "not-the-shared-secret",
        _ => BACKEND_SECRET,
    };
    let mut api = token_api::router(TokenApiDeps {
        store: Arc::clone(&store),
        refresher: Arc::new(NoRefresh),
        verifier: Verifier::new(
            Version::V2,
            SecretString::from(backend_secret.to_string()),
            backend_url.clone(),
            Arc::new(MemoryNonceStore::new(100_000)),
        ),
        clock: Arc::new(SystemClock),
    });
    if options.backend == Backend::BadResponseSignature {
        api = api.layer(axum::middleware::map_response(
            |mut response: axum::response::Response| async move {
                response.headers_mut().insert(
                    "x-sld-be-signature",
                    HeaderValue::from_str(&"0".repeat(64)).unwrap(),
                );
                response
            },
        ));
    }
    let backend = if options.backend == Backend::Down {
        drop(backend_listener);
        None
    } else {
        Some(tokio::spawn(async move {
            let _ = axum::serve(backend_listener, api).await;
        }))
    };

    // The bot, configured the way an operator would (its public URL is set once it listens).
    let mut env: HashMap<String, String> = [
        ("SLBOT_WEBEX_API_URL", webex.api_url()),
        ("SLBOT_WEBEX_BOT_TOKEN", bot.token.clone()),
        ("SLBOT_WEBHOOK_SECRET", WEBHOOK_SECRET.to_string()),
        ("SLBOT_BACKEND_URL", backend_url),
        ("SLBOT_BACKEND_SECRET", BACKEND_SECRET.to_string()),
        ("SLBOT_CSSM_API_URL", cssm.url()),
        ("SLBOT_CSSM_PAGE_SIZE", "20".to_string()),
        ("SLBOT_BOT_PUBLIC_URL", "http://127.0.0.1:1".to_string()),
        ("SLBOT_LOGIN_URL", "https://signin.example.com/login".into()),
        ("SLBOT_BOT_WORKERS", "4".into()),
        (
            "SLBOT_BOT_STORE_URL",
            format!("sqlite://{}/bot.db", dir.path().display()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if options.alexa {
        env.insert("SLBOT_ALEXA_SKILL_IDS".into(), ALEXA_SKILL_ID.into());
    }
    if options.transport == Transport::Websocket {
        env.insert("SLBOT_TRANSPORT".into(), "websocket".into());
        env.insert("SLBOT_WEBEX_U2C_URL".into(), format!("{base}/u2c/api/v1"));
        env.remove("SLBOT_BOT_PUBLIC_URL");
    }
    for (k, v) in options.env {
        env.insert(k.to_string(), v);
    }
    let config = slbot_config::Config::from_parts(env, "").unwrap();
    let mut settings = BotSettings::load(&config, &BotFlags::default()).unwrap();
    // A fetch never shows "please wait" unless a test asks for it.
    settings.progress_after = Duration::from_secs(60);
    settings.shutdown_grace = Duration::from_secs(10);
    (options.tweak)(&mut settings);
    let clock = Arc::new(ManualClock::new(now()));
    let alexa = options.alexa;
    let (bot_handle, bot_addr, stop, served) = start_bot(&mut settings, &clock, alexa).await;

    let app = TestApp {
        bot_handle,
        settings,
        clock,
        webex,
        cssm,
        dataset,
        store,
        bot,
        bot_addr,
        http,
        shutdown: Some(stop),
        served: Some(served),
        _backend: backend,
        _dir: dir,
        alexa,
    };
    app.wait_until_listening().await;
    app
}

/// Builds the bot from `settings` with `clock` and serves it on a new port, its webhooks
/// pointed there (as an operator's public URL would).
async fn start_bot(
    settings: &mut BotSettings,
    clock: &Arc<ManualClock>,
    alexa: bool,
) -> (
    Arc<slbot_bot::Bot>,
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<Result<(), slbot_bot::StartError>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bot_addr = listener.local_addr().unwrap();
    if settings.transport == Transport::Webhook {
        settings.public_url = Some(format!("http://{bot_addr}"));
    }
    let injected = Injected {
        clock: clock.clone(),
        webex: ClientSettings {
            timeout: Duration::from_secs(10),
            ..ClientSettings::default()
        },
        alexa: alexa.then(|| slbot_bot::alexa::AlexaTrust {
            anchors: vec![simulated_alexa().root()],
            fetcher: Arc::new(simulated_alexa().fetcher()),
        }),
    };
    let built = slbot_bot::build_with(settings, injected).await.unwrap();
    let bot_handle = Arc::clone(&built);
    let (stop, stopped) = oneshot::channel::<()>();
    let serve_settings = settings.clone();
    let served = tokio::spawn(async move {
        slbot_bot::serve(&serve_settings, built, listener, async {
            let _ = stopped.await;
        })
        .await
    });
    (bot_handle, bot_addr, stop, served)
}

impl TestApp {
    /// The bot store's URL (another "replica" may open the same store).
    pub fn bot_store_url(&self) -> String {
        secrecy::ExposeSecret::expose_secret(&self.settings.bot_store_url).to_string()
    }

    pub fn webex_base(&self) -> String {
        self.webex.state().public_base().to_string()
    }

    pub fn bot_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.bot_addr)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `body` to `POST /alexa` with `headers` (as given: tests tamper with them).
    pub async fn post_alexa(&self, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.bot_url("/alexa"))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.body(body).send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// What Alexa sends for `request` (see `slbot_alexa::sim`), linked with `token`, signed
    /// by the tests' simulated Alexa and timestamped at the bot's clock.
    pub async fn ask_alexa(&self, request: Value, token: Option<&str>) -> (u16, Value) {
        let alexa = simulated_alexa();
        let body = alexa.envelope(request, token, slbot_base::Clock::now(self.clock.as_ref()));
        let headers: Vec<(&str, String)> = alexa.headers(&body).into_iter().collect();
        self.post_alexa(body, &headers).await
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.webex_base()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path} {body}: {status} {value}");
        value
    }

    /// A GET of `url` answered with JSON.
    pub async fn get_json(&self, url: String) -> Value {
        let response = self.http.get(url).send().await.unwrap();
        response.json().await.unwrap()
    }

    /// The webhooks registered in the simulator (`/_sim/webhooks`).
    pub async fn registered_webhooks(&self) -> Value {
        self.get_json(format!("{}/_sim/webhooks", self.webex_base()))
            .await
    }

    /// The simulator's websocket record: devices, connections, faults fired.
    pub async fn websocket_record(&self) -> Value {
        self.get_json(format!("{}/_sim/websocket", self.webex_base()))
            .await
    }

    /// The bot's `/metrics` scrape.
    pub async fn scrape(&self) -> String {
        let response = self
            .http
            .get(self.bot_url("/metrics"))
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    }

    /// Where the registered webhooks point.
    async fn webhook_targets(&self) -> Vec<String> {
        let hooks = self.registered_webhooks().await;
        hooks["items"].as_array().map_or(Vec::new(), |a| {
            a.iter()
                .filter_map(|h| h["targetUrl"].as_str().map(str::to_string))
                .collect()
        })
    }

    /// A Webex person (e-mail `{name}@example.com` unless the name has an `@`).
    pub async fn person(&self, name: &str) -> Person {
        self.person_in(name, None).await
    }

    pub async fn person_in(&self, name: &str, org_id: Option<&str>) -> Person {
        let email = if name.contains('@') {
            name.to_string()
        } else {
            format!("{name}@example.com")
        };
        let display = name.split('@').next().unwrap_or(name);
        let mut body = json!({"email": email, "displayName": format!("{display} Tester")});
        if let Some(org) = org_id {
            body["orgId"] = json!(org);
        }
        let created = self.control("/_sim/people", body).await;
        Person {
            id: created["person"]["id"].as_str().unwrap().to_string(),
            token: created["token"].as_str().unwrap().to_string(),
        }
    }

    /// A person signed in with the CSSM token of simulator user `cssm_user`.
    pub async fn signed_in(&self, name: &str, cssm_user: usize) -> Person {
        let person = self.person(name).await;
        self.sign_in(&person, CSSM_TOKENS[cssm_user]).await;
        person
    }

    /// Stores `cssm_token` as the person's login, as the backend does after Cisco SSO.
    pub async fn sign_in(&self, person: &Person, cssm_token: &str) {
        self.store
            .put(
                &person.id,
                None,
                Tokens {
                    access_token: SecretString::from(cssm_token.to_string()),
                    refresh_token: None,
                    expires_at: Utc::now() + chrono::Duration::days(1),
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }

    /// Links the person's Alexa as the backend's `/alexa/token` does after their sign-in (a
    /// code issued for their 1:1 space `room` and redeemed): returns the Alexa access token.
    pub async fn link_alexa(&self, person: &Person, room: &str) -> String {
        use slbot_backend::store::alexa_grants::{grant_hash, IssuedTokens, NewCode, Redeemed};
        let grants = self
            .store
            .alexa_grants()
            .expect("the SQLite store keeps Alexa grants");
        let (code, access, refresh) = (
            slbot_base::random_hex(32),
            slbot_base::random_hex(32),
            slbot_base::random_hex(32),
        );
        let now = Utc::now();
        grants
            .issue_code(
                NewCode {
                    hash: grant_hash(&code),
                    link_id: slbot_base::random_hex(16),
                    person_id: person.id.clone(),
                    room_id: room.to_string(),
                    redirect_uri: "https://alexa.example.com/link".into(),
                    code_challenge: None,
                    expires_at: now + chrono::Duration::minutes(5),
                },
                now,
            )
            .await
            .unwrap();
        let redeemed = grants
            .redeem_code(
                &grant_hash(&code),
                now,
                Box::new(|_| true),
                IssuedTokens {
                    access_hash: grant_hash(&access),
                    access_expires_at: now + chrono::Duration::hours(1),
                    refresh_hash: grant_hash(&refresh),
                    refresh_expires_at: now + chrono::Duration::days(30),
                },
            )
            .await
            .unwrap();
        assert!(matches!(redeemed, Redeemed::Issued { .. }), "{redeemed:?}");
        access
    }

    /// A sign-in waiting for `confirm CODE` from this person.
    pub async fn pending_sign_in(&self, person: &Person, cssm_token: &str, code: &str) {
        self.store
            .put_pending(
                PendingSignIn {
                    person_id: person.id.clone(),
                    room_id: None,
                    tokens: Tokens {
                        access_token: SecretString::from(cssm_token.to_string()),
                        refresh_token: None,
                        expires_at: Utc::now() + chrono::Duration::days(1),
                    },
                    code: code.to_string(),
                    until: Utc::now() + chrono::Duration::minutes(10),
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }

    /// The person's 1:1 space with the bot.
    pub async fn direct(&self, person: &Person) -> String {
        let room = self
            .control(
                "/_sim/direct",
                json!({"personA": person.id, "personB": self.bot.id}),
            )
            .await;
        room["id"].as_str().unwrap().to_string()
    }

    /// A group space with the bot and these people.
    pub async fn group(&self, title: &str, people: &[&Person]) -> String {
        let mut members = vec![people[0].id.clone(), self.bot.id.clone()];
        members.extend(people[1..].iter().map(|p| p.id.clone()));
        let room = self
            .control("/_sim/rooms", json!({"title": title, "memberIds": members}))
            .await;
        room["id"].as_str().unwrap().to_string()
    }

    /// Submits the card of message `card` as `person` with these input values (merged over
    /// the button's `data`, as Webex does), and waits until the bot is done.
    pub async fn submit(&self, person: &Person, card: &Posted, values: Value) -> Value {
        let mut inputs = card.submit_data();
        if let (Some(inputs), Some(values)) = (inputs.as_object_mut(), values.as_object()) {
            for (k, v) in values {
                inputs.insert(k.clone(), v.clone());
            }
        }
        self.control_submit(person, card, inputs).await
    }

    /// Submits the card of message `card` as `person` with exactly these `inputs` (a button's
    /// `data` and the input values), and waits until the bot is done; returns the action.
    pub async fn control_submit(&self, person: &Person, card: &Posted, inputs: Value) -> Value {
        let action = self
            .control(
                "/_sim/submit",
                json!({"personId": person.id, "messageId": card.id, "inputs": inputs}),
            )
            .await;
        self.settle().await;
        action
    }

    /// The sequence number of the last event in the simulator (to read what comes after).
    pub async fn last_seq(&self) -> u64 {
        let feed: Value = self
            .http
            .get(format!(
                "{}/_sim/events?since=0&timeout=0",
                self.webex_base()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        feed["lastSeq"].as_u64().unwrap_or(0)
    }

    /// Posts `text` as `person` (mentioning the bot when `mention`), without waiting.
    pub async fn post(
        &self,
        person: &Person,
        room: &str,
        text: &str,
        mention: bool,
        parent: Option<&str>,
    ) -> Posted {
        let mut body = json!({"personId": person.id, "roomId": room, "text": text});
        if mention {
            body["mentions"] = json!([self.bot.id]);
        }
        if let Some(parent) = parent {
            body["parentId"] = json!(parent);
        }
        Posted::from_json(&self.control("/_sim/say", body).await)
    }

    /// Says `text` in a 1:1 space and waits until the bot is done; returns the bot's replies.
    pub async fn say(&self, person: &Person, room: &str, text: &str) -> Vec<Posted> {
        let said = self.post(person, room, text, false, None).await;
        self.settle().await;
        self.bot_messages(room, said.seq).await
    }

    /// Sends a text file (as a Webex client attaches one) with `text` in a 1:1 space and waits
    /// until the bot is done; returns the bot's replies.
    pub async fn say_with_file(
        &self,
        person: &Person,
        room: &str,
        text: &str,
        filename: &str,
        contents: &str,
    ) -> Vec<Posted> {
        let body = json!({"personId": person.id, "roomId": room, "text": text,
            "file": {"filename": filename, "contentType": "text/csv", "text": contents}});
        let said = Posted::from_json(&self.control("/_sim/say", body).await);
        self.settle().await;
        self.bot_messages(room, said.seq).await
    }

    /// Says `text` in a group space, mentioning the bot, and waits until the bot is done.
    pub async fn say_in_group(&self, person: &Person, room: &str, text: &str) -> Posted {
        let said = self.post(person, room, text, true, None).await;
        self.settle().await;
        said
    }

    /// Waits until every webhook was delivered and the bot finished every accepted event.
    pub async fn settle(&self) {
        self.wait_until(|| async {
            self.webex.state().drain_deliveries().await;
            self.websocket_drained().await && self.pending_events().await == 0
        })
        .await;
    }

    /// Waits until every event so far reached the bot and was acknowledged: the webhook
    /// deliveries answered, or the websocket activities acked.
    pub async fn delivered(&self) {
        self.webex.state().drain_deliveries().await;
        self.wait_until(|| self.websocket_drained()).await;
    }

    /// With the websocket transport, whether the simulator holds no activity the bot's device
    /// has not acknowledged (queued, or sent and unacknowledged; other devices of the same
    /// account are not the bot's); always with webhooks.
    async fn websocket_drained(&self) -> bool {
        if self.settings.transport != Transport::Websocket {
            return true;
        }
        let record = self.websocket_record().await;
        record["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["name"] == self.settings.webex_device_name.as_str())
            .all(|d| d["unacked"].as_u64() == Some(0))
    }

    /// Events the bot accepted and has not finished (from `/healthz`).
    pub async fn pending_events(&self) -> u64 {
        self.health().await["events"]["pending"]
            .as_u64()
            .unwrap_or(u64::MAX)
    }

    pub async fn health(&self) -> Value {
        self.http
            .get(self.bot_url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls `check` every few milliseconds until it holds; fails the test after [`DEADLINE`].
    pub async fn wait_until<F, Fut>(&self, check: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let started = Instant::now();
        while !check().await {
            assert!(
                started.elapsed() < DEADLINE,
                "gave up waiting after {DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Every message in `room` (oldest first).
    pub async fn messages(&self, room: &str) -> Vec<Posted> {
        let listed: Value = self
            .http
            .get(format!("{}/_sim/rooms/{room}/messages", self.webex_base()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Posted::from_json)
            .collect()
    }

    /// The bot's messages in `room` after sequence number `since`, without filter cards: the
    /// bot offers one after unfiltered reports of people with several accounts (at most once
    /// an hour), and tests about reports are not about that. [`TestApp::all_bot_messages`]
    /// keeps them.
    pub async fn bot_messages(&self, room: &str, since: u64) -> Vec<Posted> {
        self.all_bot_messages(room, since)
            .await
            .into_iter()
            .filter(|m| !m.is_filter_card())
            .collect()
    }

    /// Every message of the bot in `room` after sequence number `since`, cards included.
    pub async fn all_bot_messages(&self, room: &str, since: u64) -> Vec<Posted> {
        self.messages(room)
            .await
            .into_iter()
            .filter(|m| m.seq > since && m.person_id == self.bot.id)
            .collect()
    }

    /// Downloads an attached file as a member of its space.
    pub async fn download(&self, url: &str, as_person: &Person) -> Vec<u8> {
        let response = self
            .http
            .get(url)
            .bearer_auth(&as_person.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.unwrap().to_vec()
    }

    /// The CSSM simulator's request count.
    pub async fn cssm_requests(&self) -> u64 {
        self.cssm_stats().await["requestsTotal"].as_u64().unwrap()
    }

    /// The CSSM simulator's statistics (`requestsTotal`, `requestsByToken`, …).
    pub async fn cssm_stats(&self) -> Value {
        self.http
            .get(format!("{}/_sim/stats", self.cssm.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits (long-polling the simulator's event feed, no fixed sleeps) for the next message
    /// the bot posts in `room` after sequence number `since`.
    pub async fn next_bot_message(&self, room: &str, since: u64) -> Posted {
        let started = Instant::now();
        let mut since = since;
        loop {
            assert!(started.elapsed() < DEADLINE, "no reply within {DEADLINE:?}");
            let feed: Value = self
                .http
                .get(format!(
                    "{}/_sim/events?since={since}&timeout=5",
                    self.webex_base()
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for event in feed["events"].as_array().into_iter().flatten() {
                let message = &event["message"];
                if event["kind"] == "messageCreated"
                    && event["roomId"] == room
                    && message["personId"] == self.bot.id.as_str()
                {
                    return Posted::from_json(message);
                }
            }
            since = feed["lastSeq"].as_u64().unwrap_or(since);
        }
    }

    /// Sets Webex simulator faults (`/_sim/faults`).
    pub async fn webex_faults(&self, faults: Value) {
        self.control("/_sim/faults", faults).await;
    }

    /// Sets CSSM simulator faults (a partial update).
    pub async fn cssm_faults(&self, faults: Value) {
        let response = self
            .http
            .post(format!("{}/_sim/faults", self.cssm.url()))
            .json(&faults)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// Stops the bot as SIGTERM does and starts it again, on the same bot store and a new port
    /// (the webhooks follow it there), as a redeploy would.
    pub async fn restart_bot(&mut self) {
        self.shut_down().await;
        self.start_bot_again().await;
    }

    /// Kills the bot mid-work, as SIGKILL does (its tasks, and the work they were doing, end
    /// where they are; nothing is handed back), and starts it again on the same bot store.
    pub async fn crash_and_restart_bot(&mut self) {
        self.shutdown = None;
        if let Some(served) = self.served.take() {
            served.abort();
            assert!(served.await.unwrap_err().is_cancelled());
        }
        self.start_bot_again().await;
    }

    async fn start_bot_again(&mut self) {
        let (bot_handle, bot_addr, stop, served) =
            start_bot(&mut self.settings, &self.clock, self.alexa).await;
        self.bot_handle = bot_handle;
        self.bot_addr = bot_addr;
        self.shutdown = Some(stop);
        self.served = Some(served);
        self.wait_until_listening().await;
    }

    /// Waits until events reach the bot: both webhooks point at it, or its websocket is open.
    async fn wait_until_listening(&self) {
        match self.settings.transport {
            Transport::Webhook => {
                let target = format!("http://{}", self.bot_addr);
                self.wait_until(|| async {
                    let targets = self.webhook_targets().await;
                    targets.len() == 2 && targets.iter().all(|t| t.starts_with(&target))
                })
                .await
            }
            Transport::Websocket => {
                self.wait_until(|| async {
                    let ready = self.readiness().await;
                    ready["websocket"]["state"] == "connected"
                })
                .await
            }
        }
    }

    /// `/readyz` of the bot.
    pub async fn readiness(&self) -> Value {
        let response = self.http.get(self.bot_url("/readyz")).send().await.unwrap();
        response.json().await.unwrap_or(Value::Null)
    }

    /// Asks the bot to stop (as SIGTERM does) and waits until it has.
    pub async fn shut_down(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.unwrap().unwrap();
        }
    }
}

/// The value of the sample `name` in a `/metrics` scrape (with its labels, as the scrape
/// writes them).
pub fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// The one reply a command got (fails the test on none or several).
pub fn only(replies: &[Posted]) -> &Posted {
    assert_eq!(replies.len(), 1, "expected one reply, got {replies:#?}");
    &replies[0]
}

/// Signs a webhook body as Webex does.
pub fn sign(body: &[u8]) -> String {
    slbot_webex::sign_body(WEBHOOK_SECRET.as_bytes(), body)
}

/// `SLBOT_TEST_POSTGRES_URL`, or `None` after printing SKIPPED (a panic instead under
/// `SLBOT_TEST_REQUIRE_ALL=1`).
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
