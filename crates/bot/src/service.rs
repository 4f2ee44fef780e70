//! The HTTP face of the bot: `POST /webhooks/webex`, `GET /healthz`, `GET /readyz`.
//!
//! The webhook endpoint checks `X-Spark-Signature` over the raw body before parsing anything,
//! records and queues the event in the bot store ([`IntakeHandle`], the durable intake) and
//! only then acknowledges, within milliseconds; when the store cannot take it, this process
//! works on it from memory through the [`Dispatcher`]. Each event
//! (`resource:event:data.id`) is worked on once: the bot store (in the same transaction)
//! remembers it for [`DEDUPE_RETENTION`] across restarts and replicas, and a per-process set
//! (10 minutes, up to 100,000 keys) answers repeats to this replica without a store call and
//! still guards it while the store is unreachable.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::events::{Envelope, Job};
use crate::intake::IntakeHandle;
use crate::metrics::{Delivery, SharedMetrics};
use crate::queue::Dispatcher;

/// Largest webhook body accepted (413 above).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long this process remembers a delivered event by itself.
pub const DEDUPE_TTL: Duration = Duration::from_secs(600);
/// How many delivered events this process remembers by itself at most.
pub const DEDUPE_CAPACITY: u64 = 100_000;
/// How long the bot store remembers a delivered event (a Webex retry or a replay within it
/// gets no second answer, at any replica, before or after a restart).
pub const DEDUPE_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// Answers `/readyz`: Webex reachable and the bot's identity known.
pub trait Readiness: Send + Sync + 'static {
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;

    /// `None` without a shared cache; else whether Redis answered its last call (`/metrics`).
    fn shared_cache_up(&self) -> Option<bool> {
        None
    }
}

/// Shared state of the HTTP service.
pub struct ServiceState {
    webhook_secret: SecretString,
    dispatcher: Dispatcher,
    seen: moka::future::Cache<String, ()>,
    readiness: Arc<dyn Readiness>,
    /// What the operator chose that weakens a defence (shown by `/healthz`).
    warnings: Vec<&'static str>,
    /// The durable intake (the bot store's queue); without it, the in-memory dispatcher.
    intake: Option<IntakeHandle>,
    /// Most events the durable queue may hold (waiting or leased, all replicas) before
    /// deliveries are refused with 503: the flood bound.
    max_pending: u64,
    /// The queue's size as last read, and when: the bound is checked against it for a second.
    in_hand: tokio::sync::Mutex<Option<(tokio::time::Instant, u64)>>,
    metrics: SharedMetrics,
    /// `/metrics/licenses`, when configured.
    licenses: Option<Arc<crate::license_metrics::LicenseMetrics>>,
    /// `POST /alexa`, when `SLBOT_ALEXA_SKILL_IDS` is set.
    alexa: Option<Arc<crate::alexa::AlexaEndpoint>>,
    /// The websocket transport's state, when it is the transport.
    websocket: Option<Arc<crate::websocket::WebsocketStatus>>,
}

impl ServiceState {
    pub fn new(
        webhook_secret: SecretString,
        dispatcher: Dispatcher,
        readiness: Arc<dyn Readiness>,
    ) -> Self {
        let seen = moka::future::Cache::builder()
            .max_capacity(DEDUPE_CAPACITY)
            .time_to_live(DEDUPE_TTL)
            .build();
        Self {
            webhook_secret,
            dispatcher,
            seen,
            readiness,
            warnings: Vec::new(),
            intake: None,
            max_pending: u64::MAX,
            in_hand: tokio::sync::Mutex::new(None),
            metrics: SharedMetrics::default(),
            licenses: None,
            alexa: None,
            websocket: None,
        }
    }

    /// Events the durable queue holds (waiting or leased), read at most once a second; 0 when
    /// the store does not answer (deliveries then take the in-memory path, bounded there).
    async fn durable_in_hand(&self) -> u64 {
        let Some(intake) = &self.intake else { return 0 };
        let mut cached = self.in_hand.lock().await;
        if let Some((at, n)) = *cached {
            if at.elapsed() < Duration::from_secs(1) {
                return n;
            }
        }
        let n = intake.in_hand().await;
        *cached = Some((tokio::time::Instant::now(), n));
        n
    }

    /// The same state serving `/metrics/licenses` from `licenses`.
    pub fn with_license_metrics(
        mut self,
        licenses: Arc<crate::license_metrics::LicenseMetrics>,
    ) -> Self {
        self.licenses = Some(licenses);
        self
    }

    /// The same state answering Alexa at `POST /alexa`.
    pub fn with_alexa(mut self, alexa: Arc<crate::alexa::AlexaEndpoint>) -> Self {
        self.alexa = Some(alexa);
        self
    }

    /// The same state counting into `metrics` (the bot's, shared with its handler).
    pub fn with_metrics(mut self, metrics: SharedMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The same state taking events into the durable queue behind `intake`; at most
    /// `max_pending` accepted and unfinished at a time (more are refused with 503).
    pub fn with_intake(mut self, intake: IntakeHandle, max_pending: u64) -> Self {
        self.intake = Some(intake);
        self.max_pending = max_pending;
        self
    }

    /// Shows the websocket transport's state in `/readyz` and `/metrics`.
    pub fn with_websocket(mut self, status: Arc<crate::websocket::WebsocketStatus>) -> Self {
        self.websocket = Some(status);
        self
    }

    /// The same state with `warnings` shown by `/healthz` (e.g. v1 signing's risk).
    pub fn with_warnings(mut self, warnings: Vec<&'static str>) -> Self {
        self.warnings = warnings;
        self
    }
}

/// The bot's router.
pub fn app(state: Arc<ServiceState>) -> Router {
    Router::new()
        .route("/webhooks/webex", post(webhook))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/metrics/licenses", get(license_metrics))
        .route("/readyz", get(readyz))
        .route("/alexa", post(alexa))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// `POST /alexa`: 404 unless the skill is configured; 400 for anything not verified.
async fn alexa(
    State(state): State<Arc<ServiceState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match &state.alexa {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(endpoint) => crate::alexa::answer(endpoint, &headers, &body).await,
    }
}

async fn webhook(
    State(state): State<Arc<ServiceState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("x-spark-signature")
        .and_then(|v| v.to_str().ok());
    if !slbot_webex::verify_signature(
        state.webhook_secret.expose_secret().as_bytes(),
        &body,
        signature,
    ) {
        tracing::warn!(
            signature_present = signature.is_some(),
            bytes = body.len(),
            "refused a webhook with a missing or wrong signature"
        );
        state.metrics.delivery(Delivery::Unsigned);
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "refused a signed webhook that is not a Webex event");
            state.metrics.delivery(Delivery::Malformed);
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let Some(resource) = envelope.resource() else {
        tracing::debug!(resource = %envelope.resource, event = %envelope.event, "ignored an event of another resource");
        state.metrics.delivery(Delivery::Ignored);
        return StatusCode::OK.into_response();
    };
    let key = event_key(&envelope.resource, &envelope.event, &envelope.data.id);
    let job = Job {
        resource,
        data: envelope.data,
    };
    match state.ingest(key, job).await {
        Ingested::Accepted => {
            state.metrics.delivery(Delivery::Accepted);
            StatusCode::OK.into_response()
        }
        Ingested::Repeated => {
            state.metrics.delivery(Delivery::Repeated);
            StatusCode::OK.into_response()
        }
        Ingested::Refused => {
            state.metrics.delivery(Delivery::Refused);
            saturated()
        }
    }
}

/// The deduplication key of an event, whichever transport brought it:
/// `resource:event:data.id` (`messages:created:…`, `attachmentActions:created:…`).
pub fn event_key(resource: &str, event: &str, id: &str) -> String {
    format!("{resource}:{event}:{id}")
}

/// What became of an event offered to [`ServiceState::ingest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Queued (durably, or in this process's memory when the store is down): it will be
    /// answered.
    Accepted,
    /// Seen before (a retry, a replay, another replica's): not worked on again.
    Repeated,
    /// The bot has too many events in hand and took nothing: offer it again later.
    Refused,
}

impl ServiceState {
    /// Takes one event of either transport: deduplicated by `key` (this process's set, then
    /// the bot store in the same transaction as the queueing), bounded by the flood limit.
    pub async fn ingest(&self, key: String, job: Job) -> Ingested {
        let entry = self.seen.entry(key.clone()).or_insert(()).await;
        if !entry.is_fresh() {
            tracing::debug!(event = %key, "ignored a repeated delivery");
            return Ingested::Repeated;
        }
        let stats = &self.dispatcher.stats;
        let full = match &self.intake {
            Some(_) => self.durable_in_hand().await >= self.max_pending,
            None => !self.dispatcher.has_room(),
        };
        if full {
            // Not recorded anywhere, so a redelivery is worked on once there is room again.
            self.seen.invalidate(&key).await;
            stats.refused.fetch_add(1, Ordering::Relaxed);
            tracing::error!(event = %key, "the bot has too many events in hand: refusing the event");
            return Ingested::Refused;
        }
        if let Some(intake) = &self.intake {
            match intake.accept(&key, &job).await {
                Ok(true) => {
                    stats.durable_accepted.fetch_add(1, Ordering::Release);
                    return Ingested::Accepted;
                }
                Ok(false) => {
                    tracing::info!(event = %key, "ignored an event already accepted (by this or another replica, or before a restart)");
                    return Ingested::Repeated;
                }
                // The store is down: this process works on it from memory rather than not at
                // all (its own set still keeps it from being answered twice here).
                Err(why) => {
                    tracing::warn!(event = %key, error = %why, "the bot store cannot queue the event: working on it from memory");
                }
            }
        }
        match self.dispatcher.submit(job) {
            Ok(()) => Ingested::Accepted,
            // The in-memory path is full (logged and counted): not taken, so not remembered
            // either, or a redelivery would be ignored as a repeat.
            Err(_) => {
                self.seen.invalidate(&key).await;
                Ingested::Refused
            }
        }
    }
}

/// The opt-in licence gauges: 404 when off, 401 without the scrape token, 503 before the
/// first fetch.
async fn license_metrics(State(state): State<Arc<ServiceState>>, headers: HeaderMap) -> Response {
    let Some(licenses) = &state.licenses else {
        return (
            StatusCode::NOT_FOUND,
            "licence metrics are off (set SLBOT_LICENSE_METRICS_CSSM_TOKEN)\n",
        )
            .into_response();
    };
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !licenses.allows(authorization) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match licenses.render(chrono::Utc::now()) {
        Some(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                crate::metrics::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "30")],
            "the monitored inventory has not been fetched yet\n",
        )
            .into_response(),
    }
}

/// The Prometheus scrape: the counters, and the durable queue as the bot store says now.
async fn metrics(State(state): State<Arc<ServiceState>>) -> Response {
    let (queue, now) = match &state.intake {
        Some(intake) => (intake.depth().await, intake.now()),
        None => (None, chrono::Utc::now()),
    };
    let text = state.metrics.render(
        &state.dispatcher.stats,
        queue,
        state.readiness.shared_cache_up(),
        state.websocket.as_ref().map(|w| w.view()),
        now,
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        text,
    )
        .into_response()
}

/// 503 with a `Retry-After`: the bot is saturated and took nothing.
fn saturated() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, "5")],
    )
        .into_response()
}

/// Liveness, with the event counters (operators watch `pending`; tests wait for it to be 0)
/// and the settings that weaken a defence.
async fn healthz(State(state): State<Arc<ServiceState>>) -> Json<serde_json::Value> {
    let stats = &state.dispatcher.stats;
    let queued = match &state.intake {
        Some(intake) => intake.in_hand().await,
        None => 0,
    };
    let count = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Acquire);
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "events": {
            "accepted": count(&stats.accepted) + count(&stats.durable_accepted),
            "handled": count(&stats.handled) + count(&stats.durable_settled),
            "busy": stats.overflowed.load(Ordering::Acquire),
            "refused": stats.refused.load(Ordering::Acquire),
            "deadLetters": stats.dead_letters.load(Ordering::Acquire),
            // This process's in-memory events and the durable queue's (every replica's).
            "pending": stats.pending() + queued,
        },
        "warnings": state.warnings,
    }))
}

/// Ready when Webex answers and the bot knows who it is; with the websocket transport the
/// body also says what the websocket is doing on this replica (`connected`, `standby` while
/// another replica holds it, `connecting`, `reconnecting`) and how often it reconnected.
async fn readyz(State(state): State<Arc<ServiceState>>) -> Response {
    let (status, mut body) = match state.readiness.check().await {
        Ok(()) => (StatusCode::OK, serde_json::json!({"status": "ready"})),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "not ready", "reason": why}),
        ),
    };
    if let Some(websocket) = &state.websocket {
        body["transport"] = "websocket".into();
        body["websocket"] = websocket.view().to_json();
    } else {
        body["transport"] = "webhook".into();
    }
    (status, Json(body)).into_response()
}
