//! `/metrics`: the bot's counters in the Prometheus (OpenMetrics) text format.
//!
//! Deliveries by outcome, commands by name and outcome with their duration, HTTP calls to
//! Webex and CSSM by status class with their latency, inventory lookups and full fetches (and
//! those in flight), events handled and dead letters, and, read from the bot store at each
//! scrape, the durable queue: events waiting, leased and dead, and the age of the oldest. Labels are fixed names (outcomes,
//! command names), never ids, e-mails or message text.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use slbot_notify::QueueDepth;

use crate::queue::QueueStats;

type Labels = Vec<(&'static str, &'static str)>;

/// What a webhook delivery came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Recorded and queued (or taken from memory when the store was down).
    Accepted,
    /// A repeat of an event already accepted: acknowledged, not worked on again.
    Repeated,
    /// Missing or wrong signature (401).
    Unsigned,
    /// Signed but not a Webex event (400).
    Malformed,
    /// Another resource, acknowledged and ignored.
    Ignored,
    /// Too many events in hand (503).
    Refused,
}

impl Delivery {
    fn label(self) -> &'static str {
        match self {
            Delivery::Accepted => "accepted",
            Delivery::Repeated => "repeated",
            Delivery::Unsigned => "unsigned",
            Delivery::Malformed => "malformed",
            Delivery::Ignored => "ignored",
            Delivery::Refused => "refused",
        }
    }
}

/// The bot's metrics (cheap to clone: the families are shared).
#[derive(Clone)]
pub struct Metrics {
    deliveries: Family<Labels, Counter>,
    commands: Family<Labels, Counter>,
    durations: Family<Labels, Histogram>,
    calls: Family<Labels, Histogram>,
    lookups: Counter,
    fetches: Counter,
    fetching: Gauge,
    digests: Family<Labels, Counter>,
    cache: Family<Labels, Counter>,
    alexa: Family<Labels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            deliveries: Family::default(),
            commands: Family::default(),
            durations: Family::new_with_constructor(|| {
                // 10 ms … ~82 s: cached answers to full fetches of big accounts.
                Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                    0.01, 2.0, 14,
                ))
            }),
            calls: Family::new_with_constructor(|| {
                // 5 ms … ~20 s: one HTTP call to Webex or CSSM.
                Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                    0.005, 2.0, 13,
                ))
            }),
            lookups: Counter::default(),
            fetches: Counter::default(),
            fetching: Gauge::default(),
            digests: Family::default(),
            cache: Family::default(),
            alexa: Family::default(),
        }
    }
}

impl Metrics {
    pub fn delivery(&self, outcome: Delivery) {
        self.deliveries
            .get_or_create(&vec![("outcome", outcome.label())])
            .inc();
    }

    /// An Alexa request that failed verification (answered 400).
    pub fn alexa_refused(&self) {
        self.alexa
            .get_or_create(&vec![("outcome", "refused")])
            .inc();
    }

    /// An Alexa request that passed verification.
    pub fn alexa_verified(&self) {
        self.alexa
            .get_or_create(&vec![("outcome", "verified")])
            .inc();
    }

    /// One handled command: its name, whether it was answered or failed, and how long it took.
    pub fn command(&self, name: &'static str, answered: bool, took: Duration) {
        let outcome = if answered { "answered" } else { "failed" };
        self.commands
            .get_or_create(&vec![("command", name), ("outcome", outcome)])
            .inc();
        self.durations
            .get_or_create(&vec![("command", name)])
            .observe(took.as_secs_f64());
    }

    /// What a Webex or CSSM client tells of each HTTP call: the service, the status class and
    /// the latency go to `slbot_http_calls_seconds`.
    pub fn observer(self: &Arc<Self>, service: &'static str) -> slbot_webex::CallObserver {
        let metrics = Arc::clone(self);
        Arc::new(move |status, took| {
            let class = match status {
                None => "transport",
                Some(429) => "429",
                Some(200..=299) => "2xx",
                Some(300..=399) => "3xx",
                Some(400..=499) => "4xx",
                Some(_) => "5xx",
            };
            metrics
                .calls
                .get_or_create(&vec![("service", service), ("class", class)])
                .observe(took.as_secs_f64());
        })
    }

    /// What the notification scheduler tells of each pass this replica led.
    pub fn pass_hook(self: &Arc<Self>) -> slbot_notify::PassHook {
        let metrics = Arc::clone(self);
        Arc::new(move |report: &slbot_notify::PassReport| {
            for (outcome, n) in [
                ("digest", report.digests.len()),
                ("nothing_new", report.nothing_new.len()),
                ("reminder", report.reminders.len()),
                ("missed_note", report.missed_notes.len()),
                ("failed", report.failed.len()),
            ] {
                metrics
                    .digests
                    .get_or_create(&vec![("outcome", outcome)])
                    .inc_by(n as u64);
            }
        })
    }

    /// Where each inventory lookup found its value (`slbot_inventory_cache`).
    pub fn cache_hook(self: &Arc<Self>) -> crate::cache::LookupHook {
        let metrics = Arc::clone(self);
        Arc::new(move |lookup: crate::cache::Lookup| {
            metrics
                .cache
                .get_or_create(&vec![("outcome", lookup.label())])
                .inc();
        })
    }

    /// A command needs a person's inventory (from the cache or a fetch).
    pub fn inventory_lookup(&self) {
        self.lookups.inc();
    }

    /// A full CSSM fetch starts; the guard counts it in flight until dropped.
    pub fn fetch_started(self: &Arc<Self>) -> FetchGuard {
        self.fetches.inc();
        self.fetching.inc();
        FetchGuard(Arc::clone(self))
    }

    /// The text a scrape gets: these families, the event counters, and the queue as read
    /// now (`None` when the store did not answer: the `slbot_queue_up` gauge says 0).
    pub fn render(
        &self,
        stats: &QueueStats,
        queue: Option<QueueDepth>,
        shared_cache_up: Option<bool>,
        websocket: Option<crate::websocket::WebsocketView>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let mut registry = Registry::with_prefix("slbot");
        registry.register(
            "webhook_deliveries",
            "Webhook deliveries by outcome",
            self.deliveries.clone(),
        );
        registry.register(
            "alexa_requests",
            "Alexa requests by verification outcome (refused ones are answered 400)",
            self.alexa.clone(),
        );
        registry.register(
            "commands",
            "Commands handled, by command and outcome",
            self.commands.clone(),
        );
        registry.register(
            "command_duration_seconds",
            "Time from taking a command to having its answer posted",
            self.durations.clone(),
        );
        registry.register(
            "http_calls_seconds",
            "HTTP calls to Webex and CSSM by service and status class, with their latency",
            self.calls.clone(),
        );
        registry.register(
            "notify_subscriptions",
            "Due notification subscriptions by outcome: digest sent, nothing new, sign-in \
             reminder, missed-digest note, failed",
            self.digests.clone(),
        );
        registry.register(
            "inventory_lookups",
            "Inventories commands asked for (cache hits are lookups minus fetches)",
            self.lookups.clone(),
        );
        registry.register(
            "inventory_fetches",
            "Full CSSM fetches of a person's inventory",
            self.fetches.clone(),
        );
        registry.register(
            "inventory_fetches_in_flight",
            "Full CSSM fetches running now",
            self.fetching.clone(),
        );
        registry.register(
            "inventory_cache",
            "Inventory lookups by where the value came from: this replica's entry (local), \
             another replica's fetch in Redis (shared), a CSSM fetch (fetched), or this \
             replica alone while Redis did not answer (degraded)",
            self.cache.clone(),
        );
        let counter = |value: u64| {
            let c = Counter::<u64>::default();
            c.inc_by(value);
            c
        };
        registry.register(
            "events_handled",
            "Accepted events this process finished (answered, buried or dropped as unreadable)",
            counter(
                stats.handled.load(Ordering::Acquire)
                    + stats.durable_settled.load(Ordering::Acquire),
            ),
        );
        registry.register(
            "dead_letters",
            "Events buried after a panic or too many takes (the person was told)",
            counter(stats.dead_letters.load(Ordering::Acquire)),
        );
        let gauge = |value: i64| {
            let g = Gauge::<i64>::default();
            g.set(value);
            g
        };
        registry.register(
            "queue_up",
            "1 when the bot store answered the queue query of this scrape",
            gauge(i64::from(queue.is_some())),
        );
        if let Some(up) = shared_cache_up {
            registry.register(
                "shared_cache_up",
                "1 when the shared inventory cache (SLBOT_CACHE_URL) answered its last call",
                gauge(i64::from(up)),
            );
        }
        if let Some(ws) = websocket {
            use crate::websocket::State;
            let states = Family::<Labels, Gauge>::default();
            for state in [
                State::Standby,
                State::Connecting,
                State::Connected,
                State::Reconnecting,
                State::Stopped,
            ] {
                states
                    .get_or_create(&vec![("state", state.label())])
                    .set(i64::from(ws.state == state));
            }
            registry.register(
                "websocket_state",
                "1 for what the Webex websocket is doing on this replica (connected; standby \
                 while another replica holds it; connecting; reconnecting; stopped)",
                states,
            );
            registry.register(
                "websocket_reconnects",
                "Webex websocket connections that broke or could not be opened and were tried again",
                counter(ws.reconnects),
            );
            registry.register(
                "websocket_reregistrations",
                "Fresh device registrations after a websocket handshake answered 404",
                counter(ws.reregistrations),
            );
            let activities = Family::<Labels, Counter>::default();
            for (outcome, n) in [
                ("accepted", ws.accepted),
                ("repeated", ws.repeated),
                ("ignored", ws.ignored),
            ] {
                activities
                    .get_or_create(&vec![("outcome", outcome)])
                    .inc_by(n);
            }
            registry.register(
                "websocket_activities",
                "Activities received over the Webex websocket by outcome (repeated: replayed \
                 after a reconnect, already taken)",
                activities,
            );
        }
        if let Some(depth) = queue {
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            registry.register(
                "queue_waiting",
                "Accepted events waiting for a worker (all replicas)",
                gauge(n(depth.waiting)),
            );
            registry.register(
                "queue_leased",
                "Accepted events a worker is on (all replicas)",
                gauge(n(depth.leased)),
            );
            registry.register(
                "queue_dead",
                "Dead letters kept in the bot store",
                gauge(n(depth.dead)),
            );
            let age = depth
                .oldest
                .map(|t| (now - t).num_seconds().max(0))
                .unwrap_or(0);
            registry.register(
                "queue_oldest_age_seconds",
                "Age of the oldest event not finished yet (0 when none)",
                gauge(age),
            );
        }
        let mut text = String::new();
        if encode(&mut text, &registry).is_err() {
            tracing::error!("cannot encode the metrics");
        }
        text
    }
}

/// Counts a fetch in flight until dropped.
pub struct FetchGuard(Arc<Metrics>);

impl Drop for FetchGuard {
    fn drop(&mut self) {
        self.0.fetching.dec();
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Shared by the service and the handler.
pub type SharedMetrics = Arc<Metrics>;
