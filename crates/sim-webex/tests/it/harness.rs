//! A running simulator with typed helpers, and a webhook target that records what it receives.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::TimeZone;
use serde_json::{json, Value};
use slbot_base::ManualClock;
use slbot_sim_webex::{spawn, SimConfig, SimHandle, SimState};

pub struct Sim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
}

pub struct Person {
    pub id: String,
    pub token: String,
}

pub fn start_time() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

impl Sim {
    pub async fn start() -> Sim {
        Self::start_with(SimConfig::default()).await
    }

    /// Starts with `cfg` and a manual clock at [`start_time`].
    pub async fn start_with(mut cfg: SimConfig) -> Sim {
        let clock = Arc::new(ManualClock::new(start_time()));
        cfg.clock = clock.clone();
        let (_, handle) = spawn(cfg).await.unwrap();
        Sim {
            handle,
            http: reqwest::Client::new(),
            clock,
        }
    }

    pub fn state(&self) -> &SimState {
        self.handle.state()
    }

    pub fn base(&self) -> String {
        self.state().public_base().to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// `POST /_sim/{path}` with a JSON body; returns status and body.
    pub async fn control(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(&format!("/_sim/{path}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn control_ok(&self, path: &str, body: Value) -> Value {
        let (status, body) = self.control(path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    pub async fn control_get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(self.url(&format!("/_sim/{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    async fn create(&self, email: &str, name: &str, kind: &str) -> Person {
        let body = self
            .control_ok(
                "people",
                json!({"email": email, "displayName": name, "type": kind}),
            )
            .await;
        Person {
            id: body["person"]["id"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn person(&self, email: &str, name: &str) -> Person {
        self.create(email, name, "person").await
    }

    pub async fn bot(&self) -> Person {
        self.create("licensing@webex.bot", "Licensing Bot", "bot")
            .await
    }

    pub async fn group(&self, title: &str, members: &[&Person]) -> String {
        let ids: Vec<&str> = members.iter().map(|p| p.id.as_str()).collect();
        let room = self
            .control_ok("rooms", json!({"title": title, "memberIds": ids}))
            .await;
        room["id"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.http
            .put(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Registers a `messages`/`created` (or other) webhook of `owner` pointing at `target`.
    pub async fn webhook(
        &self,
        owner: &Person,
        target: &str,
        resource: &str,
        secret: Option<&str>,
    ) -> Value {
        let mut body = json!({
            "name": "bot", "targetUrl": target, "resource": resource, "event": "created",
        });
        if let Some(s) = secret {
            body["secret"] = json!(s);
        }
        let r = self.post(&owner.token, "/v1/webhooks", body).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub async fn stats(&self) -> Value {
        self.control_get("stats").await
    }
}

/// One recorded webhook POST.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct TargetState {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

/// An HTTP server that records every POST and answers with a settable status.
pub struct Target {
    pub url: String,
    state: TargetState,
}

impl Target {
    pub async fn start(status: u16) -> Target {
        let state = TargetState::default();
        state.status.store(status, Ordering::SeqCst);
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Target {
            url: format!("http://{addr}/hook"),
            state,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

async fn record(State(s): State<TargetState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.received.lock().unwrap().push(Received { headers, body });
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).unwrap()
}

/// Lowercase hex HMAC-SHA1, written here independently of the simulator.
pub fn hmac_sha1_hex(key: &[u8], message: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    const BLOCK: usize = 64;
    let mut k = if key.len() > BLOCK {
        Sha1::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    k.resize(BLOCK, 0);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha1::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    let outer = Sha1::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}
