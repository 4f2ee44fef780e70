//! A dashboard to test over HTTP: the backend built by `state_from_parts` on SQLite with a
//! manual clock, the person's login put in the store, a session issued as the sign-in callback
//! would, and the CSSM simulator served in-process behind a front that can hold the licence
//! calls (a gate the test opens) and refuse one account with 403 — both counted, so a test can
//! assert its fault fired.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::SecretString;
use slbot_backend::dashboard::Dashboard;
use slbot_backend::server;
use slbot_backend::settings::{BackendSettings, DashboardSettings};
use slbot_backend::sso::{ClientAuth, SsoClient, SsoSettings};
use slbot_base::ManualClock;
use slbot_signing::Version;
use url::Url;

use crate::token_harness::{keys, tokens, TestStore, K1};

pub const BACKEND_SECRET: &str = "dashboard-http-test-backend-secret-0123";
pub const CSSM_TOKEN: &str = "dashboard-cssm-token";

/// The simulator's "today" (its generated data is anchored there).
pub fn sim_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap()
}

/// What the front in front of the simulator does and has done.
#[derive(Default)]
pub struct Front {
    /// While `false`, licence calls wait.
    open: Mutex<Option<tokio::sync::watch::Receiver<bool>>>,
    /// The account domain answered with 403 on every per-account call.
    pub refuse: Mutex<Option<String>>,
    /// Licence calls that had to wait at the closed gate.
    pub held: AtomicUsize,
    /// Calls answered 403 by the front.
    pub refused: AtomicUsize,
}

async fn front(State(f): State<Arc<Front>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let domain = path
        .split("/v1/accounts/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .map(str::to_string);
    if let (Some(domain), Some(refused)) = (&domain, f.refuse.lock().unwrap().clone()) {
        if *domain == refused {
            f.refused.fetch_add(1, Ordering::SeqCst);
            return (
                StatusCode::FORBIDDEN,
                axum::Json(serde_json::json!({"status": "ERROR", "statusMessage": "refused"})),
            )
                .into_response();
        }
    }
    if path.ends_with("/licenses") {
        let gate = f.open.lock().unwrap().clone();
        if let Some(mut gate) = gate {
            if !*gate.borrow() {
                f.held.fetch_add(1, Ordering::SeqCst);
                let _ = gate.wait_for(|open| *open).await;
            }
        }
    }
    next.run(req).await
}

pub struct Cssm {
    pub url: String,
    pub sim: slbot_sim_cssm::SimState,
    pub front: Arc<Front>,
    gate: tokio::sync::watch::Sender<bool>,
}

impl Cssm {
    /// The simulator's default dataset (4 accounts), every token its one user.
    pub async fn start() -> Self {
        let sim = slbot_sim_cssm::SimState::new(slbot_sim_cssm::SimConfig {
            now: sim_now(),
            ..Default::default()
        })
        .unwrap();
        let (gate, open) = tokio::sync::watch::channel(true);
        let front = Arc::new(Front {
            open: Mutex::new(Some(open)),
            ..Default::default()
        });
        let app = slbot_sim_cssm::router(sim.clone()).layer(axum::middleware::from_fn_with_state(
            front.clone(),
            self::front,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            sim,
            front,
            gate,
        }
    }

    /// Licence calls wait from now on until [`Cssm::open_gate`].
    pub fn close_gate(&self) {
        self.gate.send_replace(false);
    }

    pub fn open_gate(&self) {
        self.gate.send_replace(true);
    }

    /// API requests the simulator has answered (the front's refusals not included).
    pub fn requests(&self) -> u64 {
        self.sim.stats().requests_total
    }

    /// `(domain, name)` of every account, in CSSM order.
    pub fn accounts(&self) -> Vec<(String, String)> {
        self.sim
            .base_snapshot()
            .accounts
            .iter()
            .map(|a| {
                (
                    a["accountDomain"].as_str().unwrap().to_string(),
                    a["accountName"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

/// How a test wants its dashboard.
pub struct Options {
    pub cache_url: Option<String>,
    pub cache_secret: Option<String>,
    pub first_fetch_wait: StdDuration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cache_url: None,
            cache_secret: None,
            first_fetch_wait: StdDuration::from_secs(10),
        }
    }
}

pub struct Served {
    pub url: String,
    pub dashboard: Arc<Dashboard>,
    pub clock: Arc<ManualClock>,
    pub cssm: Cssm,
    pub http: reqwest::Client,
    _store: TestStore,
}

fn settings(public: &str, cssm: &str, o: &Options) -> BackendSettings {
    let unused = |s: &str| SecretString::from(s.to_string());
    let nowhere = Url::parse("http://127.0.0.1:1/unused").unwrap();
    BackendSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: Url::parse(public).unwrap(),
        backend_secret: SecretString::from(BACKEND_SECRET.to_string()),
        signing_version: Version::V2,
        store_url: unused("sqlite://unused"),
        store_key: unused(K1),
        store_old_keys: vec![],
        sso: SsoSettings {
            authorize_url: nowhere.clone(),
            token_url: nowhere.clone(),
            userinfo_url: nowhere.clone(),
            revoke_url: None,
            client_id: "unused".into(),
            client_secret: unused("unused"),
            redirect_uri: nowhere,
            client_auth: ClientAuth::Post,
            timeout: StdDuration::from_secs(1),
        },
        webex_api_url: "http://127.0.0.1:1/v1".into(),
        webex_bot_token: unused("unused"),
        allowed_email_domains: vec![],
        http: slbot_http::Limits::default(),
        allowed_org_ids: vec![],
        login: Default::default(),
        alexa: None,
        dashboard: DashboardSettings {
            cssm_api_url: cssm.to_string(),
            cache_url: o.cache_url.clone().map(SecretString::from),
            cache_secret: o.cache_secret.clone().map(SecretString::from),
            first_fetch_wait: o.first_fetch_wait,
            ..DashboardSettings::default()
        },
    }
}

/// The backend with its dashboard on 127.0.0.1:0, over a fresh CSSM simulator.
pub async fn serve(o: Options) -> Served {
    let cssm = Cssm::start().await;
    let ts = TestStore::sqlite(keys(K1, &[])).await;
    let clock = Arc::new(ManualClock::new(sim_now()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings = settings(&url, &cssm.url, &o);
    let webex = slbot_webex::WebexClient::new(
        &settings.webex_api_url,
        settings.webex_bot_token.clone(),
        slbot_webex::ClientSettings::default(),
    )
    .unwrap();
    let state = server::state_from_parts(
        &settings,
        SsoClient::new(settings.sso.clone()).unwrap(),
        Arc::new(webex),
        ts.store.clone(),
        ts.nonces.clone(),
        clock.clone(),
    );
    let dashboard = state.dashboard.clone().expect("the dashboard is on");
    let app = server::app(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Served {
        url,
        dashboard,
        clock,
        cssm,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _store: ts,
    }
}

/// A signed-in person as the browser holds them: their cookie and dashboard URL.
pub struct Person {
    pub cookie: String,
    pub base: String,
}

impl Served {
    /// `person_id` signed in (a CSSM token valid 8 hours) with a dashboard session.
    pub async fn sign_in(&self, person_id: &str) -> Person {
        use slbot_base::Clock;
        self.dashboard
            .loader
            .tokens
            .put(
                person_id,
                None,
                tokens(
                    CSSM_TOKEN,
                    Some("rt"),
                    self.clock.now() + Duration::hours(8),
                ),
                self.clock.now(),
            )
            .await
            .unwrap();
        let set = self.dashboard.sessions.issue(person_id).await.unwrap();
        let cookie = set.to_str().unwrap().split(';').next().unwrap().to_string();
        let view = self.dashboard.sessions.keys.view_id(person_id);
        Person {
            cookie,
            base: format!("{}/dashboard/{view}", self.url),
        }
    }

    pub async fn get(&self, who: &Person, url: &str) -> reqwest::Response {
        self.http
            .get(url)
            .header("cookie", &who.cookie)
            .send()
            .await
            .unwrap()
    }

    pub async fn text(&self, who: &Person, url: &str) -> (u16, String) {
        let r = self.get(who, url).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// `GET {base}/api/progress` until it says `ready` (at most 30 s).
    pub async fn until_ready(&self, who: &Person) {
        for _ in 0..300 {
            let p: serde_json::Value = self
                .get(who, &format!("{}/api/progress", who.base))
                .await
                .json()
                .await
                .unwrap();
            if p["state"] == "ready" {
                return;
            }
            assert_eq!(p["state"], "loading", "{p}");
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        panic!("the inventory never became ready");
    }
}

/// The text of `<span class="value" data-count>` in the tile `id`.
pub fn tile(page: &str, id: &str) -> String {
    let at = page.find(&format!("id=\"tile-{id}\"")).expect(id);
    let rest = &page[at..];
    let v = rest.find("data-count>").unwrap() + "data-count>".len();
    rest[v..v + rest[v..].find('<').unwrap()].to_string()
}
