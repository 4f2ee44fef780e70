//! [`SimState`]: the shared, lockable world plus the live counters, fault settings, event log
//! and webhook failure windows; saving and loading the world; waiting for deliveries and events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::error::SimError;
use crate::ids::{self, Kind};
use crate::model::{World, STATE_VERSION};
use slbot_base::{Clock, SystemClock};

/// How many chat events and delivery records are kept in memory.
const EVENT_LOG_LIMIT: usize = 10_000;
const DELIVERY_LOG_LIMIT: usize = 1_000;

/// Settings of one simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The external base URL of this simulator *without* `/v1` (e.g. `http://127.0.0.1:8080/webex`
    /// when the demo nests the router under `/webex`). Every URL the simulator generates (Link
    /// headers, file download URLs) starts with it. `None`: [`crate::spawn`] uses the listening
    /// address; [`SimState::new`] falls back to `http://127.0.0.1`.
    pub public_base: Option<String>,
    /// The time source for timestamps and the webhook failure window (tests inject a
    /// `slbot_base::ManualClock`).
    pub clock: Arc<dyn Clock>,
    /// Failed deliveries within `webhook_failure_window` that make a webhook `inactive` (Webex: 100).
    pub webhook_failure_limit: usize,
    /// Webex: 5 minutes.
    pub webhook_failure_window: chrono::Duration,
    /// Timeout of one webhook delivery and of fetching a file URL given in `POST /messages`.
    pub outbound_timeout: Duration,
    /// Largest accepted file (Webex: 100 MB).
    pub max_file_bytes: usize,
    /// The organisation of people created without an `orgId`.
    pub default_org_id: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            public_base: None,
            clock: Arc::new(SystemClock),
            webhook_failure_limit: 100,
            webhook_failure_window: chrono::Duration::minutes(5),
            outbound_timeout: Duration::from_secs(10),
            max_file_bytes: 100 * 1024 * 1024,
            default_org_id: ids::id_for(Kind::Organization, "5e1f0000-0000-4000-8000-00000000a11c"),
        }
    }
}

/// Counters served by `GET /_sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// `"GET /v1/messages/{id}"` → count, including requests answered by an injected fault.
    pub requests: BTreeMap<String, u64>,
    pub messages_created: u64,
    pub messages_edited: u64,
    pub messages_deleted: u64,
    pub files_stored: u64,
    pub attachment_actions: u64,
    #[serde(rename = "injected429")]
    pub injected_429: u64,
    #[serde(rename = "injected5xx")]
    pub injected_5xx: u64,
    #[serde(rename = "injected423")]
    pub injected_423: u64,
    pub webhook_deliveries_ok: u64,
    pub webhook_deliveries_failed: u64,
    pub webhooks_disabled: u64,
}

/// Fault settings of `POST /_sim/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Every Nth matching `/v1` request is answered `429` with `Retry-After: retry_after`.
    pub rate_limit_every: Option<u64>,
    /// Sent verbatim (a string, so malformed values can be tested). Default `"1"`.
    pub retry_after: Option<String>,
    /// Every Nth matching request is answered `503` (a request due for both gets the 429).
    #[serde(rename = "fail5xxEvery")]
    pub fail_5xx_every: Option<u64>,
    /// The Nth matching request, when it is a file download (`GET /v1/contents/…`), is answered
    /// `423 Locked` with `Retry-After: retry_after`, as Webex does while a file is scanned for
    /// malware. With `paths: "/v1/contents"` this is exactly every Nth download.
    pub locked_every: Option<u64>,
    /// Every matching request is answered this many milliseconds late (slow-service tests).
    pub delay_ms: Option<u64>,
    /// Path prefixes (e.g. `"/v1/messages"`) a request must start with to count; one string or a
    /// list. None: every `/v1` request.
    pub paths: Option<PathFilter>,
}

/// Websocket faults of `POST /_sim/websocket/faults`; `GET /_sim/websocket/faults` shows what is
/// left of them (each fires once its count runs out, then clears).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebsocketFaults {
    /// After sending this many further frames (on any device's connection), the connection that
    /// sent the last one is closed abruptly: the TCP connection ends with no close frame, so that
    /// frame stays unacked and is replayed to the device's next connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_after_frames: Option<u64>,
    /// The next this many handshakes (`GET /mercury/ws/{id}`) are answered 404 even for known
    /// devices, as Webex does for a registration it has expired.
    #[serde(rename = "handshake404", skip_serializing_if = "Option::is_none")]
    pub handshake_404: Option<u64>,
    /// When the client acks its this-many-th further frame, the ack is not taken and the
    /// connection is closed abruptly: the client had the frame (and may have acted on it), and
    /// it is replayed to the device's next connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_on_ack: Option<u64>,
}

/// One prefix or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathFilter {
    One(String),
    Many(Vec<String>),
}

impl Faults {
    pub(crate) fn matches(&self, path: &str) -> bool {
        match &self.paths {
            None => true,
            Some(PathFilter::One(p)) => path.starts_with(p.as_str()),
            Some(PathFilter::Many(ps)) => ps.iter().any(|p| path.starts_with(p.as_str())),
        }
    }
}

/// One webhook delivery attempt, as `GET /_sim/deliveries` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    pub webhook_id: String,
    pub resource: String,
    pub event: String,
    pub data_id: String,
    /// The target's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the target could not be reached.
    pub error: Option<String>,
    pub ok: bool,
    pub at: String,
}

/// One entry of the event log the web chat long-polls.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SimEvent {
    pub seq: u64,
    pub kind: &'static str,
    pub room_id: String,
    /// Members of the room when the event happened (for `?personId=` filtering).
    #[serde(skip)]
    pub audience: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
}

/// State that lives only as long as the process.
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub stats: Stats,
    pub faults: Faults,
    pub fault_count: u64,
    pub events: VecDeque<SimEvent>,
    /// Webhook id → times of recent failed deliveries.
    pub failures: HashMap<String, VecDeque<DateTime<Utc>>>,
    pub deliveries: VecDeque<DeliveryRecord>,
    /// Registered devices, their websocket queues and counters.
    pub devices: crate::ops::DeviceHub,
}

impl Live {
    pub fn push_event(&mut self, event: SimEvent) {
        if self.events.len() == EVENT_LOG_LIMIT {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    pub fn push_delivery(&mut self, record: DeliveryRecord) {
        if self.deliveries.len() == DELIVERY_LOG_LIMIT {
            self.deliveries.pop_front();
        }
        self.deliveries.push_back(record);
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub world: World,
    pub live: Live,
}

pub(crate) struct Inner {
    pub cfg: SimConfig,
    pub public_base: String,
    pub http: reqwest::Client,
    shared: Mutex<Shared>,
    /// Bumped by every change to the world (what `save` would write).
    revision: AtomicU64,
    /// The latest event sequence number (long-poll wake-ups).
    pub seq_tx: watch::Sender<u64>,
    /// Webhook deliveries in flight.
    pub inflight: watch::Sender<usize>,
}

/// The simulator's state; cheap to clone (all clones share it).
#[derive(Clone)]
pub struct SimState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("public_base", &self.inner.public_base)
            .finish_non_exhaustive()
    }
}

impl SimState {
    /// An empty world.
    pub fn new(cfg: SimConfig) -> Result<Self, SimError> {
        let world = World::new(ids::new_id(Kind::Application));
        Self::with_world(cfg, world)
    }

    /// The world saved by [`SimState::save`] at `path`.
    pub fn load(path: &Path, cfg: SimConfig) -> Result<Self, SimError> {
        let read_err = |reason: String| SimError::StateRead {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
        let world: World = serde_json::from_slice(&text).map_err(|e| read_err(e.to_string()))?;
        if world.version != STATE_VERSION {
            return Err(read_err(format!(
                "version {} is not the supported version {STATE_VERSION}",
                world.version
            )));
        }
        Self::with_world(cfg, world)
    }

    /// [`SimState::load`] when `path` exists, else an empty world.
    pub fn open(path: &Path, cfg: SimConfig) -> Result<Self, SimError> {
        if path.exists() {
            Self::load(path, cfg)
        } else {
            Self::new(cfg)
        }
    }

    fn with_world(cfg: SimConfig, world: World) -> Result<Self, SimError> {
        let public_base = cfg
            .public_base
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1".to_owned())
            .trim_end_matches('/')
            .to_owned();
        if !(public_base.starts_with("http://") || public_base.starts_with("https://")) {
            return Err(SimError::Config(format!(
                "public_base must be an http(s) URL, got {public_base:?}"
            )));
        }
        if cfg.webhook_failure_limit == 0 {
            return Err(SimError::Config(
                "webhook_failure_limit must be at least 1".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.outbound_timeout)
            .build()
            .map_err(|e| SimError::Unexpected(anyhow::Error::new(e)))?;
        let seq = world.seq;
        Ok(Self {
            inner: Arc::new(Inner {
                cfg,
                public_base,
                http,
                shared: Mutex::new(Shared {
                    world,
                    live: Live::default(),
                }),
                revision: AtomicU64::new(0),
                seq_tx: watch::Sender::new(seq),
                inflight: watch::Sender::new(0),
            }),
        })
    }

    /// Writes people, token digests, rooms, memberships, messages, files (base64), webhooks and
    /// card submits as JSON, atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), SimError> {
        let write_err = |reason: String| SimError::StateWrite {
            path: path.to_path_buf(),
            reason,
        };
        // Clone under the lock (file bodies are shared, not copied), serialise outside it.
        let world = self.lock().world.clone();
        let json = serde_json::to_vec(&world).map_err(|e| write_err(e.to_string()))?;
        // A temporary file in the same folder is created owner-only (0600) and renamed over
        // the old state: the file holds webhook secrets and everyone's messages.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| write_err(e.to_string()))?;
        std::io::Write::write_all(&mut tmp, &json).map_err(|e| write_err(e.to_string()))?;
        tmp.persist(path)
            .map_err(|e| write_err(e.error.to_string()))?;
        Ok(())
    }

    /// Changes since start-up; a caller saving periodically saves when this moved.
    pub fn revision(&self) -> u64 {
        self.inner.revision.load(Ordering::Relaxed)
    }

    /// The external base URL (no trailing slash, no `/v1`).
    pub fn public_base(&self) -> &str {
        &self.inner.public_base
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.cfg
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.cfg.clock.now()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.lock().live.stats.clone()
    }

    /// The last delivery attempts (oldest first).
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.lock().live.deliveries.iter().cloned().collect()
    }

    /// Waits until no webhook delivery is in flight, so a test can assert on what was delivered
    /// without sleeping.
    pub async fn drain_deliveries(&self) {
        let mut rx = self.inner.inflight.subscribe();
        // The sender lives in `inner`, which `self` keeps alive: the wait cannot fail.
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        self.inner
            .shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the shared state and marks the world as changed.
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Shared) -> R) -> R {
        let mut shared = self.lock();
        let seq_before = shared.world.seq;
        let out = f(&mut shared);
        let seq_after = shared.world.seq;
        drop(shared);
        self.inner.revision.fetch_add(1, Ordering::Relaxed);
        if seq_after != seq_before {
            self.inner.seq_tx.send_replace(seq_after);
        }
        out
    }

    /// Events after `since` visible to `person` (all when `None`), waiting up to `timeout` for
    /// the first one. Returns the events and the sequence number to pass next time.
    pub(crate) async fn events_since(
        &self,
        since: u64,
        person: Option<&str>,
        timeout: Duration,
    ) -> (Vec<SimEvent>, u64) {
        let mut rx = self.inner.seq_tx.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.borrow_and_update();
            let (events, last) = {
                let shared = self.lock();
                let events: Vec<SimEvent> = shared
                    .live
                    .events
                    .iter()
                    .filter(|e| e.seq > since)
                    .filter(|e| person.is_none_or(|p| e.audience.iter().any(|a| a == p)))
                    .cloned()
                    .collect();
                (events, shared.world.seq)
            };
            if !events.is_empty() {
                return (events, last);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return (events, last.max(since)),
            }
        }
    }
}
