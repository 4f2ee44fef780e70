//! The websocket transport (`SLBOT_TRANSPORT=websocket`): events without a public URL.
//!
//! One replica at a time ([`Singleton::Websocket`], leadership through the bot store as for the
//! other singletons) discovers the device service through the U2C catalog, registers the bot's
//! device under [`BotSettings::webex_device_name`] (reused across restarts; stale registrations
//! of ours are deleted), opens the device's websocket and sends its authorization message. Each
//! `conversation.activity` it receives (post, share, cardAction) becomes the same [`Job`] a
//! webhook delivery would, under the same deduplication key ([`event_key`]), through the same
//! door ([`ServiceState::ingest`]): recorded and queued in the bot store in one transaction, so
//! any replica's workers answer it. Only then is the activity acknowledged; an activity Webex
//! replays after a reconnect (unacknowledged, or acknowledged just as the connection broke) is
//! a repeat and is not answered again.
//!
//! A broken connection is opened again after a jittered, doubling wait (reset by a connection
//! that worked); a handshake answered 404 means the registration is gone, and a fresh one
//! replaces it. The other replicas stand by and try to lead every [`STANDBY_POLL`]: when the
//! holder dies, PostgreSQL frees its lock with its connection (SQLite after the lease).
//!
//! [`BotSettings::webex_device_name`]: crate::settings::BotSettings::webex_device_name

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use slbot_notify::{NotifyStore, Singleton};
use slbot_webex::{Activity, ActivityKind, ConnectError, Device, Mercury, WebexClient, WebexError};
use tokio::sync::watch;

use crate::events::{EventData, Job, Resource};
use crate::service::{event_key, Ingested, ServiceState};

/// How often a standby replica tries to take the websocket over.
pub const STANDBY_POLL: Duration = Duration::from_secs(2);
/// How often the holder tells the store it still holds the websocket (a third of the lease).
const KEEP_ALIVE: Duration = Duration::from_secs(3);
/// How long an activity the bot had no room for waits before it is offered again.
const REFUSED_RETRY: Duration = Duration::from_secs(1);

/// What the websocket transport is doing now (`/readyz`, `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Another replica holds the websocket; this one answers queued events.
    Standby = 0,
    /// Registering the device or opening the websocket.
    Connecting = 1,
    /// Receiving events.
    Connected = 2,
    /// Waiting before the next attempt after a failure.
    Reconnecting = 3,
    /// Shut down.
    Stopped = 4,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Standby => "standby",
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Reconnecting => "reconnecting",
            State::Stopped => "stopped",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => State::Connecting,
            2 => State::Connected,
            3 => State::Reconnecting,
            4 => State::Stopped,
            _ => State::Standby,
        }
    }
}

/// The transport's live counters, shared with the HTTP service.
#[derive(Debug, Default)]
pub struct WebsocketStatus {
    state: AtomicU8,
    /// Connections that broke or could not be opened, and were tried again.
    reconnects: AtomicU64,
    /// Fresh registrations after a handshake answered 404.
    reregistrations: AtomicU64,
    /// Activities taken into the queue (first seen).
    accepted: AtomicU64,
    /// Activities seen before (replays after a reconnect, or another replica's).
    repeated: AtomicU64,
    /// Activities of a kind the bot does not handle (acknowledged, ignored).
    ignored: AtomicU64,
}

/// A copy of [`WebsocketStatus`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebsocketView {
    pub state: State,
    pub reconnects: u64,
    pub reregistrations: u64,
    pub accepted: u64,
    pub repeated: u64,
    pub ignored: u64,
}

impl WebsocketStatus {
    pub fn view(&self) -> WebsocketView {
        let n = |c: &AtomicU64| c.load(Ordering::Acquire);
        WebsocketView {
            state: State::from_u8(self.state.load(Ordering::Acquire)),
            reconnects: n(&self.reconnects),
            reregistrations: n(&self.reregistrations),
            accepted: n(&self.accepted),
            repeated: n(&self.repeated),
            ignored: n(&self.ignored),
        }
    }

    fn set(&self, state: State) {
        let before = self.state.swap(state as u8, Ordering::AcqRel);
        if before != state as u8 {
            tracing::info!(state = state.label(), "websocket transport");
        }
    }
}

impl WebsocketView {
    /// The JSON `/readyz` shows.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "state": self.state.label(),
            "reconnects": self.reconnects,
            "reregistrations": self.reregistrations,
            "activities": {
                "accepted": self.accepted,
                "repeated": self.repeated,
                "ignored": self.ignored,
            },
        })
    }
}

/// Where the transport connects and how it waits.
#[derive(Debug, Clone)]
pub struct WebsocketSettings {
    /// The U2C catalog's base (`…/u2c/api/v1`).
    pub u2c_url: String,
    /// The device's registration name.
    pub device_name: String,
    /// Shortest and longest wait between attempts.
    pub backoff: (Duration, Duration),
}

/// The websocket's job for the life of the process: lead or stand by, connect, take events.
pub struct Transport {
    pub webex: WebexClient,
    pub store: Arc<dyn NotifyStore>,
    pub service: Arc<ServiceState>,
    pub status: Arc<WebsocketStatus>,
    pub settings: WebsocketSettings,
}

/// Why one connection ended.
enum Ended {
    /// Shutting down.
    Stop,
    /// The connection broke or could not be opened: wait, then try again.
    Broke,
}

impl Transport {
    /// Runs until `stop` changes (or its sender is dropped).
    pub async fn run(self, mut stop: watch::Receiver<()>) {
        loop {
            let lock = match self
                .store
                .try_lead_for(Singleton::Websocket, lease_now())
                .await
            {
                Ok(Some(lock)) => Some(lock),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "the bot store cannot say which replica holds the websocket: standing by");
                    None
                }
            };
            let Some(lock) = lock else {
                self.status.set(State::Standby);
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tokio::time::sleep(STANDBY_POLL) => continue,
                }
            };
            tracing::info!("this replica holds the Webex websocket");
            let stopped = self.lead(lock.as_ref(), &mut stop).await;
            lock.release().await;
            if stopped {
                break;
            }
        }
        self.status.set(State::Stopped);
    }

    /// Holds the websocket until shutdown; `true` when stopped.
    async fn lead(
        &self,
        lock: &dyn slbot_notify::PassLock,
        stop: &mut watch::Receiver<()>,
    ) -> bool {
        let mut attempt: u32 = 0;
        let mut device: Option<(url::Url, Device)> = None;
        loop {
            self.status.set(State::Connecting);
            let ended = tokio::select! {
                _ = stop.changed() => Ended::Stop,
                ended = self.connect_and_take(&mut device, lock, &mut attempt) => ended,
            };
            match ended {
                Ended::Stop => return true,
                Ended::Broke => {
                    self.status.reconnects.fetch_add(1, Ordering::AcqRel);
                    self.status.set(State::Reconnecting);
                    let wait = backoff(self.settings.backoff, attempt);
                    attempt = attempt.saturating_add(1);
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "reconnecting the websocket"
                    );
                    let keep = async {
                        // Keep the lead while waiting, however long the wait.
                        let mut every = tokio::time::interval(KEEP_ALIVE);
                        loop {
                            every.tick().await;
                            lock.keep_alive(lease_now()).await;
                        }
                    };
                    tokio::select! {
                        _ = stop.changed() => return true,
                        _ = tokio::time::sleep(wait) => {}
                        _ = keep => {}
                    }
                }
            }
        }
    }

    /// One connection: the device (found, registered or replaced), the websocket, and its
    /// activities until it breaks.
    async fn connect_and_take(
        &self,
        device: &mut Option<(url::Url, Device)>,
        lock: &dyn slbot_notify::PassLock,
        attempt: &mut u32,
    ) -> Ended {
        let (wdm, current) = match device.take() {
            Some(known) => known,
            None => match self.register().await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot register the bot's Webex device");
                    return Ended::Broke;
                }
            },
        };
        let mut socket = match self.webex.open_websocket(&current).await {
            Ok(socket) => socket,
            Err(ConnectError::NotFound) => {
                tracing::warn!("the websocket handshake answered 404: registering a fresh device");
                self.status.reregistrations.fetch_add(1, Ordering::AcqRel);
                match self
                    .webex
                    .replace_device(&wdm, &self.settings.device_name, &current)
                    .await
                {
                    Ok(fresh) => *device = Some((wdm, fresh)),
                    Err(e) => tracing::warn!(error = %e, "cannot register a fresh Webex device"),
                }
                return Ended::Broke;
            }
            Err(ConnectError::Failed(why)) => {
                tracing::warn!(reason = %why, "cannot open the Webex websocket");
                *device = Some((wdm, current));
                return Ended::Broke;
            }
        };
        *device = Some((wdm, current));
        self.status.set(State::Connected);
        *attempt = 0;
        let mut every = tokio::time::interval(KEEP_ALIVE);
        loop {
            tokio::select! {
                _ = every.tick() => lock.keep_alive(lease_now()).await,
                next = socket.next() => match next {
                    Ok(Some(incoming)) => {
                        if !self.take(&mut socket, lock, incoming.ack_id, incoming.activity).await {
                            return Ended::Broke;
                        }
                    }
                    Ok(None) => {
                        tracing::info!("Webex closed the websocket");
                        return Ended::Broke;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the Webex websocket broke");
                        return Ended::Broke;
                    }
                },
            }
        }
    }

    /// The catalog's device service and the bot's device in it.
    async fn register(&self) -> Result<(url::Url, Device), WebexError> {
        let wdm = self.webex.discover_wdm(&self.settings.u2c_url).await?;
        let device = self
            .webex
            .ensure_device(&wdm, &self.settings.device_name)
            .await?;
        Ok((wdm, device))
    }

    /// Queues one activity and acknowledges it; `false` when the connection broke on the ack.
    /// While the bot has too many events in hand it waits and offers the activity again,
    /// reading nothing else meanwhile (Webex holds the rest): nothing is dropped.
    async fn take(
        &self,
        socket: &mut Mercury,
        lock: &dyn slbot_notify::PassLock,
        ack_id: String,
        activity: Option<Activity>,
    ) -> bool {
        let Some(activity) = activity else {
            self.status.ignored.fetch_add(1, Ordering::AcqRel);
            return socket.ack(&ack_id).await.is_ok();
        };
        let (key, job) = job_of(activity);
        loop {
            match self.service.ingest(key.clone(), job.clone()).await {
                Ingested::Accepted => {
                    self.status.accepted.fetch_add(1, Ordering::AcqRel);
                    break;
                }
                Ingested::Repeated => {
                    self.status.repeated.fetch_add(1, Ordering::AcqRel);
                    break;
                }
                Ingested::Refused => {
                    tokio::time::sleep(REFUSED_RETRY).await;
                    lock.keep_alive(lease_now()).await;
                }
            }
        }
        match socket.ack(&ack_id).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot acknowledge an activity: Webex will replay it");
                false
            }
        }
    }
}

/// "Now" for the lead's lease: the wall clock, not the bot's injected one (which reports and
/// tests move at will), since the lease is how replicas on different machines agree in time.
fn lease_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The job and deduplication key a webhook delivery of the same event would have had.
pub fn job_of(activity: Activity) -> (String, Job) {
    let (resource, name) = match activity.kind {
        ActivityKind::Message => (Resource::Message, "messages"),
        ActivityKind::CardAction => (Resource::AttachmentAction, "attachmentActions"),
    };
    let key = event_key(name, "created", &activity.rest_id);
    let job = Job {
        resource,
        data: EventData {
            id: activity.rest_id,
            room_id: activity.room_id,
            room_type: None,
            person_id: activity.person_id,
            person_email: activity.person_email,
            message_id: None,
        },
    };
    (key, job)
}

/// The wait before attempt `attempt + 1`: `min × 2^attempt`, at most `max`, with ±25% jitter
/// so replicas and bots that broke together do not come back together.
pub fn backoff((min, max): (Duration, Duration), attempt: u32) -> Duration {
    let base = min
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(max);
    let jitter = 0.75 + rand::random::<f64>() * 0.5;
    base.mul_f64(jitter).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reconnect_wait_doubles_from_the_shortest_to_the_longest_with_a_quarter_of_jitter() {
        let range = (Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..200 {
            let first = backoff(range, 0);
            assert!(
                first >= Duration::from_millis(750) && first <= Duration::from_millis(1250),
                "{first:?}"
            );
            let third = backoff(range, 2);
            assert!(
                third >= Duration::from_secs(3) && third <= Duration::from_secs(5),
                "{third:?}"
            );
            let late = backoff(range, 30);
            assert!(
                late >= Duration::from_secs(45) && late <= Duration::from_secs(60),
                "{late:?}"
            );
        }
    }

    #[test]
    fn an_activity_gets_the_key_and_job_of_the_webhook_delivery_of_the_same_event() {
        let (key, job) = job_of(Activity {
            kind: ActivityKind::CardAction,
            rest_id: "ACTION-ID".into(),
            room_id: Some("ROOM-ID".into()),
            person_id: Some("PERSON-ID".into()),
            person_email: Some("ada@example.com".into()),
        });
        assert_eq!(key, "attachmentActions:created:ACTION-ID");
        assert_eq!(job.resource, Resource::AttachmentAction);
        assert_eq!(job.data.id, "ACTION-ID");
        assert_eq!(job.data.room_id.as_deref(), Some("ROOM-ID"));
        let (key, job) = job_of(Activity {
            kind: ActivityKind::Message,
            rest_id: "MESSAGE-ID".into(),
            room_id: None,
            person_id: None,
            person_email: None,
        });
        assert_eq!(key, "messages:created:MESSAGE-ID");
        assert_eq!(job.resource, Resource::Message);
    }
}
