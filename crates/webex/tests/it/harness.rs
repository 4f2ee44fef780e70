//! Small servers and helpers the tests share.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use secrecy::SecretString;
use slbot_base::ManualClock;
use slbot_webex::{ClientSettings, WebexClient};

pub const TOKEN: &str = "bot-token-Zm9vYmFyYmF6cXV4";

/// Serves `router` on 127.0.0.1:0 and returns its origin (`http://127.0.0.1:PORT`).
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// The clock of every test client: waits return at once and are recorded.
pub type Waits = Arc<ManualClock>;

/// The largest answer the test clients read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Settings used by every test: 4 attempts, 5 s default Retry-After, 60 s cap, 100 ms backoff
/// base, answers up to [`MAX_BODY_BYTES`].
pub fn settings() -> ClientSettings {
    ClientSettings {
        timeout: Duration::from_secs(10),
        max_attempts: 4,
        default_retry_after: Duration::from_secs(5),
        max_retry_after: Duration::from_secs(60),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(2),
        max_body_bytes: MAX_BODY_BYTES,
    }
}

/// A client for the API under `origin` + `/v1`, and the waits it asks for.
pub fn client(origin: &str) -> (WebexClient, Waits) {
    let waits = Arc::new(ManualClock::default());
    let c = WebexClient::new(
        &format!("{origin}/v1"),
        SecretString::from(TOKEN),
        settings(),
    )
    .expect("client builds")
    .with_clock(waits.clone());
    (c, waits)
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the client sent JSON")
    }
}

/// One canned answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// A server that answers every request with the next scripted reply (the last one repeats)
/// and records what it received.
#[derive(Clone)]
pub struct Scripted {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub async fn start(replies: Vec<Reply>) -> (Self, String) {
        let s = Self {
            replies: Arc::new(Mutex::new(replies.into())),
            seen: Arc::default(),
        };
        let router = Router::new().fallback(scripted_reply).with_state(s.clone());
        let origin = serve(router).await;
        (s, origin)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn scripted_reply(
    State(s): State<Scripted>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    s.seen
        .lock()
        .unwrap()
        .push(seen(method, &uri, &headers, body));
    let reply = {
        let mut q = s.replies.lock().unwrap();
        if q.len() > 1 {
            q.pop_front()
        } else {
            q.front().cloned()
        }
    };
    let Some(reply) = reply else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        reply.body.clone(),
    )
        .into_response();
    for (name, value) in &reply.headers {
        response
            .headers_mut()
            .append(*name, value.parse().expect("a valid header value"));
    }
    response
}

pub fn seen(method: Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Seen {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    Seen {
        method,
        path: uri.path().to_string(),
        query: uri.query().map(String::from),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body,
    }
}

/// A message as Webex returns it.
pub fn message_json(id: &str, room_id: &str, text: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "roomId": room_id,
        "roomType": "direct",
        "text": text,
        "personId": "BOT",
        "personEmail": "slbot@webex.bot",
        "created": "2026-11-28T10:00:00.000Z"
    })
}
