//! A scriptable fake CSSM (axum on 127.0.0.1:0), a clock that records waits instead of
//! sleeping, and a jitter source that records the ceilings it is asked for.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_base::{Clock, Wait};
use slbot_cssm::{CssmClient, FetchSettings, Jitter};
use tokio::sync::{Notify, Semaphore};

pub const TOKEN: &str = "tok-SECRET-4f1e9b";
pub const ROOT: &str = "/services/api/smart-accounts-and-licensing";

pub fn token() -> SecretString {
    SecretString::from(TOKEN)
}

/// One request as the fake CSSM saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path below the API root, e.g. `/v1/accounts/acme.com/licenses`.
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub body: Value,
}

impl Seen {
    pub fn offset(&self) -> u64 {
        self.body["offset"].as_u64().unwrap_or(0)
    }
    pub fn limit(&self) -> u64 {
        self.body["limit"].as_u64().unwrap_or(0)
    }
    /// The account domain of a `/v1/accounts/{domain}/…` call.
    pub fn domain(&self) -> Option<&str> {
        self.path.strip_prefix("/v1/accounts/")?.split('/').next()
    }
    pub fn is_licenses(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/licenses")
    }
}

/// What the fake answers.
pub enum Reply {
    Json(u16, Value),
    Raw(u16, Vec<(&'static str, String)>, String),
    /// These bytes (any, not only text) as `application/json`.
    Bytes(u16, Vec<u8>),
    /// Never answers (a hung server).
    Hang,
}

impl Reply {
    pub fn ok(v: Value) -> Self {
        Reply::Json(200, v)
    }
    pub fn status(code: u16) -> Self {
        Reply::Raw(code, vec![], String::new())
    }
    pub fn status_with_retry_after(code: u16, seconds: u64) -> Self {
        Reply::Raw(
            code,
            vec![("retry-after", seconds.to_string())],
            String::new(),
        )
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct FakeCssm {
    pub url: url::Url,
    pub log: Arc<Mutex<Vec<Seen>>>,
    pub max_in_flight: Arc<AtomicUsize>,
}

impl FakeCssm {
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
    pub fn license_calls(&self, domain: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.is_licenses() && s.domain() == Some(domain))
            .collect()
    }
}

/// Starts a fake CSSM whose every answer comes from `handler`. `gate` (optional) is awaited
/// by each licence call whose offset is not 0, so tests can prove requests overlap.
pub async fn serve(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FakeCssm {
    serve_gated(handler, None).await
}

pub async fn serve_gated(
    handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    gate: Option<Arc<tokio::sync::Barrier>>,
) -> FakeCssm {
    let handler: Arc<Handler> = Arc::new(handler);
    let log = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let app = {
        let log = log.clone();
        let in_flight = in_flight.clone();
        let max_in_flight = max_in_flight.clone();
        axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let handler = handler.clone();
                let log = log.clone();
                let in_flight = in_flight.clone();
                let max_in_flight = max_in_flight.clone();
                let gate = gate.clone();
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_in_flight.fetch_max(now, Ordering::SeqCst);
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(String::from)
                    };
                    let seen = Seen {
                        method: method.to_string(),
                        path: uri
                            .path()
                            .strip_prefix(ROOT)
                            .unwrap_or(uri.path())
                            .to_string(),
                        authorization: header("authorization"),
                        content_type: header("content-type"),
                        accept: header("accept"),
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    };
                    log.lock().unwrap().push(seen.clone());
                    if let Some(gate) = gate.filter(|_| seen.is_licenses() && seen.offset() > 0) {
                        gate.wait().await;
                    }
                    let reply = handler(&seen);
                    let response: Response = match reply {
                        Reply::Json(code, v) => {
                            (StatusCode::from_u16(code).unwrap(), axum::Json(v)).into_response()
                        }
                        Reply::Raw(code, extra, body) => {
                            let mut r = (StatusCode::from_u16(code).unwrap(), body).into_response();
                            for (k, v) in extra {
                                r.headers_mut().insert(k, v.parse().unwrap());
                            }
                            r
                        }
                        Reply::Bytes(code, body) => (
                            StatusCode::from_u16(code).unwrap(),
                            [("content-type", "application/json")],
                            body,
                        )
                            .into_response(),
                        Reply::Hang => std::future::pending().await,
                    };
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    response
                }
            },
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    FakeCssm {
        url: url::Url::parse(&format!("http://{addr}")).unwrap(),
        log,
        max_in_flight,
    }
}

/// `n` licence records of one account, identified by `(virtualAccount, license)`.
pub fn records(tag: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "license": format!("{tag} License {i:05}"),
                "virtualAccount": format!("VA-{}", i % 3),
                "quantity": 1 + i % 7,
                "status": "In Compliance",
            })
        })
        .collect()
}

/// The `/v2/accounts` answer for `(name, domain)` pairs.
pub fn accounts(list: &[(&str, &str)]) -> Value {
    json!({
        "accounts": list.iter().map(|(name, domain)| json!({
            "accountName": name, "accountDomain": domain, "accountStatus": "Active",
            "accountType": "CUSTOMER", "roles": [{"role": "Smart Account User"}],
            "extraField": {"kept": true}
        })).collect::<Vec<_>>(),
        "status": "SUCCESS"
    })
}

/// A licence page cut from `data` the way a capping server would: at most `cap` records
/// from `offset`, with or without `totalRecords`.
pub fn page(data: &[Value], seen: &Seen, cap: usize, with_total: bool) -> Reply {
    let offset = (seen.offset() as usize).min(data.len());
    let take = (seen.limit() as usize).min(cap);
    let slice: Vec<Value> = data[offset..].iter().take(take).cloned().collect();
    let mut body = json!({"licenses": slice, "status": "SUCCESS", "statusMessage": "OK"});
    if with_total {
        body["totalRecords"] = json!(data.len());
    }
    Reply::ok(body)
}

pub fn virtual_accounts() -> Reply {
    Reply::ok(json!({"virtualAccounts": [
        {"name": "DEFAULT", "description": "", "isDefault": "true", "commerceAccessLevel": "FULL"}
    ]}))
}

/// A clock whose waits return at once and are recorded; its fetch deadline fires only when
/// [`TestClock::expire`] is called.
#[derive(Debug, Default)]
pub struct TestClock {
    pub sleeps: Mutex<Vec<Duration>>,
    deadline: Arc<Notify>,
    pub deadline_asked: Mutex<Vec<Duration>>,
}

impl TestClock {
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
    pub fn expire(&self) {
        self.deadline.notify_one();
    }
}

impl Clock for TestClock {
    fn sleep(&self, d: Duration) -> Wait {
        self.sleeps.lock().unwrap().push(d);
        Box::pin(async {})
    }
    fn deadline(&self, d: Duration) -> Wait {
        self.deadline_asked.lock().unwrap().push(d);
        let notify = self.deadline.clone();
        Box::pin(async move { notify.notified().await })
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
    }
}

/// Picks `fraction × ceiling` and records every ceiling it was asked for.
pub struct TestJitter {
    pub fraction: f64,
    pub ceilings: Mutex<Vec<Duration>>,
}

impl TestJitter {
    pub fn new(fraction: f64) -> Self {
        Self {
            fraction,
            ceilings: Mutex::new(Vec::new()),
        }
    }
    pub fn ceilings(&self) -> Vec<Duration> {
        self.ceilings.lock().unwrap().clone()
    }
}

impl Jitter for TestJitter {
    fn pick(&self, ceiling: Duration) -> Duration {
        self.ceilings.lock().unwrap().push(ceiling);
        ceiling.mul_f64(self.fraction)
    }
}

/// A client aimed at `fake` with a test clock and jitter; returns them for assertions.
pub struct Harness {
    pub client: CssmClient,
    pub clock: Arc<TestClock>,
    pub jitter: Arc<TestJitter>,
}

pub fn harness(fake: &FakeCssm, settings: FetchSettings) -> Harness {
    harness_with_inflight(fake, settings, Arc::new(Semaphore::new(16)))
}

pub fn harness_with_inflight(
    fake: &FakeCssm,
    settings: FetchSettings,
    inflight: Arc<Semaphore>,
) -> Harness {
    let clock = Arc::new(TestClock::default());
    let jitter = Arc::new(TestJitter::new(0.5));
    let client = CssmClient::new(&fake.url, settings, inflight)
        .unwrap()
        .with_clock(clock.clone())
        .with_jitter(jitter.clone());
    Harness {
        client,
        clock,
        jitter,
    }
}

/// The licence records of a snapshot account as JSON values.
pub fn loaded(snapshot: &slbot_cssm::Snapshot, domain: &str) -> Vec<Value> {
    snapshot.licenses[domain]
        .iter()
        .map(|r| serde_json::from_str(r.get()).unwrap())
        .collect()
}

/// Fails a test that would otherwise hang (a deadlock is a bug, not a slow test).
pub async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .expect("the fetch hung")
}
