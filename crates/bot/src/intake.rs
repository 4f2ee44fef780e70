//! The durable intake: workers that take accepted events from the bot store's queue
//! ([`slbot_notify::EventQueue`]), so an acknowledged event outlives the process that
//! acknowledged it.
//!
//! The webhook endpoint records and queues an event in one store transaction
//! ([`IntakeHandle::accept`]) and only then answers 2xx. Any worker of any replica sharing the
//! store takes it under a lease ([`LEASE`] by default), renewed every third of it while it
//! works; when the replica dies the lease runs out and another takes the event (within the
//! lease plus one [`POLL_EVERY`]). A worker whose lease was lost stops its handler, so two
//! never run one event. An event taken more than [`MAX_ATTEMPTS`] times without finishing (it
//! keeps killing its workers) or whose handling panicked is buried as a dead letter and the
//! person is told that their command failed. Shutdown stops taking, lets running events
//! finish within the grace period and hands back (releases) the rest: nothing is dropped.
//!
//! An event whose answer could not be posted at all, for a reason that may pass (Webex
//! failing), is tried again after [`retry_backoff`], up to [`MAX_ATTEMPTS`] in all; then it is
//! buried and the person told. A panic is not retried: the handler may already have posted
//! part of an answer, and answering twice is what this module exists to prevent.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use slbot_base::Clock;
use slbot_notify::{EventQueue, QueuedEvent};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::events::Job;
use crate::queue::{EventSink, Handled, QueueStats};
use crate::service::DEDUPE_RETENTION;

/// How long a taken event stays with its worker without a renewal, by default
/// (`SLBOT_QUEUE_LEASE_SECS`). A working worker renews it every third of it, so two renewals
/// may fail before another replica takes the event over.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often an idle worker looks for events that no wake-up announced (accepted by another
/// replica, or left by a dead one).
pub const POLL_EVERY: Duration = Duration::from_secs(1);
/// Takes of one event before it is buried (each take after the first means a worker died).
pub const MAX_ATTEMPTS: u32 = 3;

/// What the webhook endpoint needs: accept into the queue and wake a worker.
#[derive(Clone)]
pub struct IntakeHandle {
    queue: Arc<dyn EventQueue>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

impl IntakeHandle {
    /// Records the delivery `key` and queues `job` in one transaction; `Ok(false)` for a
    /// repeat. Wakes a worker for a new event.
    pub async fn accept(&self, key: &str, job: &Job) -> Result<bool, String> {
        let payload = serde_json::to_string(job).map_err(|e| e.to_string())?;
        let first = self
            .queue
            .accept(key, &payload, self.clock.now(), DEDUPE_RETENTION)
            .await
            .map_err(|e| e.to_string())?;
        if first {
            self.wake.notify_one();
        }
        Ok(first)
    }

    /// "Now" on the intake's clock (the one queue times are written with).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Events the queue holds now (waiting or leased, every replica's); 0 when the store does
    /// not answer.
    pub async fn in_hand(&self) -> u64 {
        self.depth()
            .await
            .map(|d| d.waiting + d.leased)
            .unwrap_or(0)
    }

    /// The queue as the store says now; `None` (logged) when it does not answer.
    pub async fn depth(&self) -> Option<slbot_notify::QueueDepth> {
        match self.queue.depth(self.clock.now()).await {
            Ok(depth) => Some(depth),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the queue depth from the bot store");
                None
            }
        }
    }
}

/// Where shutdown is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// Take nothing more; finish what runs.
    Draining,
    /// The grace period is over: hand back what still runs.
    HandBack,
}

/// The running intake workers.
pub struct Intake {
    tasks: JoinSet<()>,
    phase: watch::Sender<Phase>,
    pub handle: IntakeHandle,
}

struct Worker {
    queue: Arc<dyn EventQueue>,
    sink: Arc<dyn EventSink>,
    clock: Arc<dyn Clock>,
    owner: String,
    wake: Arc<Notify>,
    stats: Arc<QueueStats>,
    lease: chrono::Duration,
    renew_every: Duration,
}

impl Intake {
    /// Starts `workers` workers taking from `queue` under leases of `lease`, each as its own
    /// owner (unique per process).
    pub fn start(
        queue: Arc<dyn EventQueue>,
        sink: Arc<dyn EventSink>,
        clock: Arc<dyn Clock>,
        workers: usize,
        stats: Arc<QueueStats>,
        lease: Duration,
    ) -> Self {
        let renew_every = (lease / 3).max(Duration::from_millis(100));
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
        let owner = format!("bot-{}", slbot_base::random_hex(8));
        let wake = Arc::new(Notify::new());
        let (phase, _) = watch::channel(Phase::Running);
        let mut tasks = JoinSet::new();
        for i in 0..workers.max(1) {
            let worker = Arc::new(Worker {
                queue: Arc::clone(&queue),
                sink: Arc::clone(&sink),
                clock: Arc::clone(&clock),
                owner: format!("{owner}-{i}"),
                wake: Arc::clone(&wake),
                stats: Arc::clone(&stats),
                lease,
                renew_every,
            });
            tasks.spawn(worker.run(phase.subscribe()));
        }
        Self {
            tasks,
            phase,
            handle: IntakeHandle { queue, clock, wake },
        }
    }

    /// Stops taking events, waits up to `grace` for running ones, then hands back the rest.
    pub async fn drain(mut self, grace: Duration) {
        let _ = self.phase.send(Phase::Draining);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(
                running = self.tasks.len(),
                "shutdown grace period over: handing the running events back to the queue"
            );
            let _ = self.phase.send(Phase::HandBack);
            while self.tasks.join_next().await.is_some() {}
        }
    }
}

/// The wait before attempt `attempts + 1` of an event whose answer could not be posted:
/// 5 s, then 10 s, 20 s, … up to a minute.
pub fn retry_backoff(attempts: u32) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1 << attempts.saturating_sub(1).min(4));
    chrono::Duration::seconds(secs.min(60))
}

/// A task aborted when this handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<Handled>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Completes when shutdown's grace period is over (or the intake is gone).
async fn handed_back(phase: &mut watch::Receiver<Phase>) {
    let _ = phase.wait_for(|p| *p == Phase::HandBack).await;
}

impl Worker {
    async fn run(self: Arc<Self>, mut phase: watch::Receiver<Phase>) {
        loop {
            if *phase.borrow() != Phase::Running {
                return;
            }
            let now = self.clock.now();
            match self.queue.take(&self.owner, now, now + self.lease).await {
                Ok(Some(event)) => Arc::clone(&self).work(event, &mut phase).await,
                Ok(None) => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(POLL_EVERY) => {}
                        gone = phase.changed() => if gone.is_err() { return },
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take events from the bot store; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(POLL_EVERY) => {}
                        gone = phase.changed() => if gone.is_err() { return },
                    }
                }
            }
        }
    }

    async fn work(self: Arc<Self>, event: QueuedEvent, phase: &mut watch::Receiver<Phase>) {
        let key = event.key.as_str();
        let job: Job = match serde_json::from_str(&event.payload) {
            Ok(job) => job,
            Err(e) => {
                tracing::error!(event = %key, error = %e, "a queued event cannot be read: burying it");
                self.bury(key, "unreadable payload").await;
                return;
            }
        };
        if event.attempts > MAX_ATTEMPTS {
            tracing::error!(event = %key, attempts = event.attempts, "an event outlived its workers too often: burying it and telling the person");
            self.bury(key, "its workers stopped before finishing it")
                .await;
            self.tell_failed(job).await;
            return;
        }
        if event.attempts > 1 {
            // A retry after a failed post, or a take-over from a worker that stopped.
            tracing::warn!(event = %key, attempt = event.attempts, "working on an event again");
        }
        // Aborted if this worker is (a killed runtime, a dropped intake): no handler outlives
        // the worker that holds its lease.
        let mut running = AbortOnDrop(tokio::spawn(
            Arc::clone(&self.sink).handle_once(job.clone()),
        ));
        let mut renew = tokio::time::interval(self.renew_every);
        renew.tick().await;
        let lease = self.lease.to_std().unwrap_or(LEASE);
        let mut renewed = tokio::time::Instant::now();
        let outcome = loop {
            tokio::select! {
                done = &mut running.0 => break done,
                _ = renew.tick() => {
                    let until = self.clock.now() + self.lease;
                    let lost = match self.queue.renew(key, &self.owner, until).await {
                        Ok(true) => {
                            renewed = tokio::time::Instant::now();
                            false
                        }
                        Ok(false) => true,
                        Err(e) => {
                            tracing::warn!(event = %key, error = %e, "cannot renew the lease");
                            renewed.elapsed() >= lease
                        }
                    };
                    if lost {
                        // Another worker has (or may have) taken the event over: two running
                        // it would answer twice, so this one stops.
                        tracing::warn!(event = %key, "the lease was lost while working: stopping, another worker has the event");
                        running.0.abort();
                        return;
                    }
                }
                _ = handed_back(phase) => {
                    running.0.abort();
                    match self.queue.release(key, &self.owner).await {
                        Ok(_) => tracing::info!(event = %key, "handed an unfinished event back"),
                        Err(e) => tracing::warn!(event = %key, error = %e, "cannot hand the event back; its lease expires by itself"),
                    }
                    return;
                }
            }
        };
        match outcome {
            Ok(Handled::Done) => {
                self.finish(key).await;
            }
            Ok(Handled::Retry(reason)) if event.attempts >= MAX_ATTEMPTS => {
                tracing::error!(event = %key, attempts = event.attempts, reason = %reason, "an event failed its last attempt: burying it and telling the person");
                self.bury(key, &reason).await;
                self.tell_failed(job).await;
            }
            Ok(Handled::Retry(reason)) => {
                let wait = retry_backoff(event.attempts);
                tracing::warn!(event = %key, attempts = event.attempts, reason = %reason, wait_secs = wait.num_seconds(), "trying the event again later");
                let at = self.clock.now() + wait;
                if let Err(e) = self.queue.retry(key, &self.owner, at, &reason).await {
                    tracing::warn!(event = %key, error = %e, "cannot schedule the retry; the lease expires by itself");
                }
            }
            Err(e) if e.is_panic() => {
                tracing::error!(event = %key, "handling an event panicked: burying it and telling the person");
                self.bury(key, "handling it panicked").await;
                self.tell_failed(job).await;
            }
            Err(_) => self.finish(key).await,
        }
    }

    async fn finish(&self, key: &str) {
        // A failed finish would let the lease expire and the event be answered again.
        for attempt in 0..3 {
            match self.queue.finish(key, &self.owner).await {
                Ok(true) => {
                    self.stats.durable_settled.fetch_add(1, Ordering::Release);
                    return;
                }
                Ok(false) => {
                    tracing::warn!(event = %key, "finished an event whose lease was taken over");
                    return;
                }
                Err(e) => {
                    tracing::warn!(event = %key, error = %e, attempt, "cannot mark the event done");
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
            }
        }
    }

    async fn bury(&self, key: &str, why: &str) {
        if let Err(e) = self
            .queue
            .bury(key, &self.owner, self.clock.now(), why)
            .await
        {
            tracing::warn!(event = %key, error = %e, "cannot bury the event");
        }
        self.stats.dead_letters.fetch_add(1, Ordering::Relaxed);
        self.stats.durable_settled.fetch_add(1, Ordering::Release);
    }

    async fn tell_failed(&self, job: Job) {
        if tokio::spawn(Arc::clone(&self.sink).failed(job))
            .await
            .is_err()
        {
            tracing::error!("telling the person their command failed panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventData, Resource};
    use futures::future::BoxFuture;
    use slbot_base::ManualClock;
    use tokio::sync::Mutex;

    /// Panics on the event `boom`; records what it handled and whom it told of a failure.
    #[derive(Default)]
    struct Sink {
        handled: Mutex<Vec<String>>,
        failed: Mutex<Vec<String>>,
    }

    impl EventSink for Sink {
        fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move {
                assert!(job.data.id != "boom", "a bug met bad data");
                self.handled.lock().await.push(job.data.id);
            })
        }
        fn busy(self: Arc<Self>, _job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async {})
        }
        fn failed(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move { self.failed.lock().await.push(job.data.id) })
        }
    }

    fn job(id: &str) -> Job {
        Job {
            resource: Resource::Message,
            data: EventData {
                id: id.into(),
                room_id: Some("R".into()),
                room_type: None,
                person_id: Some("P".into()),
                person_email: None,
                message_id: None,
            },
        }
    }

    async fn store() -> (tempfile::TempDir, Arc<dyn slbot_notify::NotifyStore>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/bot.db?mode=rwc", dir.path().display());
        (dir, slbot_notify::open(&url).await.unwrap())
    }

    async fn until(check: impl Fn() -> BoxFuture<'static, bool>) {
        for _ in 0..200 {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("not reached in 4 s");
    }

    #[test]
    fn a_retry_waits_5_s_then_doubles_up_to_a_minute() {
        let secs: Vec<i64> = (1..=7).map(|a| retry_backoff(a).num_seconds()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 60, 60, 60]);
    }

    #[tokio::test]
    async fn a_panicking_event_is_buried_the_person_told_once_and_the_others_are_answered() {
        let (_dir, store) = store().await;
        let clock = Arc::new(ManualClock::default());
        let sink = Arc::new(Sink::default());
        let stats = Arc::new(QueueStats::default());
        let intake = Intake::start(store.clone(), sink.clone(), clock, 1, stats.clone(), LEASE);
        for id in ["a", "boom", "b"] {
            assert!(intake
                .handle
                .accept(&format!("m:c:{id}"), &job(id))
                .await
                .unwrap());
        }
        let done = Arc::clone(&stats);
        until(move || {
            let done = Arc::clone(&done);
            Box::pin(async move { done.durable_settled.load(Ordering::Acquire) == 3 })
        })
        .await;
        intake.drain(Duration::from_secs(5)).await;
        assert_eq!(*sink.handled.lock().await, ["a", "b"]);
        assert_eq!(*sink.failed.lock().await, ["boom"]);
        assert_eq!(stats.dead_letters.load(Ordering::Relaxed), 1);
        let depth = store.depth(chrono::Utc::now()).await.unwrap();
        assert_eq!((depth.waiting, depth.leased, depth.dead), (0, 0, 1));
    }

    #[tokio::test]
    async fn an_event_whose_workers_kept_dying_is_buried_on_its_fourth_take_and_the_person_told() {
        let (_dir, store) = store().await;
        let clock = Arc::new(ManualClock::default());
        let payload = serde_json::to_string(&job("crashy")).unwrap();
        let t0 = clock.now();
        store
            .accept("m:c:crashy", &payload, t0, DEDUPE_RETENTION)
            .await
            .unwrap();
        // Three workers took it and died with it (their leases ran out).
        let lease = chrono::Duration::from_std(LEASE).unwrap();
        for i in 0..3 {
            let at = t0 + lease * i;
            let taken = store
                .take(&format!("dead-{i}"), at, at + lease)
                .await
                .unwrap();
            assert!(taken.is_some(), "take {i}");
        }
        clock.set(t0 + lease * 3);
        let sink = Arc::new(Sink::default());
        let stats = Arc::new(QueueStats::default());
        let intake = Intake::start(
            store.clone(),
            sink.clone(),
            clock.clone(),
            1,
            stats.clone(),
            LEASE,
        );
        let done = Arc::clone(&stats);
        until(move || {
            let done = Arc::clone(&done);
            Box::pin(async move { done.dead_letters.load(Ordering::Acquire) == 1 })
        })
        .await;
        intake.drain(Duration::from_secs(5)).await;
        assert!(
            sink.handled.lock().await.is_empty(),
            "not run a fourth time"
        );
        assert_eq!(*sink.failed.lock().await, ["crashy"]);
        assert_eq!(store.depth(clock.now()).await.unwrap().dead, 1);
    }

    /// Starts each event, then waits for `go` before finishing it.
    #[derive(Default)]
    struct Held {
        started: Mutex<Vec<String>>,
        finished: Mutex<Vec<String>>,
        go: tokio::sync::Notify,
    }

    impl EventSink for Held {
        fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move {
                self.started.lock().await.push(job.data.id.clone());
                self.go.notified().await;
                self.finished.lock().await.push(job.data.id);
            })
        }
        fn busy(self: Arc<Self>, _job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async {})
        }
    }

    #[tokio::test]
    async fn a_worker_whose_lease_was_taken_over_stops_instead_of_answering_twice() {
        let (_dir, store) = store().await;
        let clock = Arc::new(ManualClock::default());
        let sink = Arc::new(Held::default());
        let stats = Arc::new(QueueStats::default());
        let lease = Duration::from_millis(300);
        let intake = Intake::start(
            store.clone(),
            sink.clone(),
            clock.clone(),
            1,
            stats.clone(),
            lease,
        );
        intake
            .handle
            .accept("m:c:slow", &job("slow"))
            .await
            .unwrap();
        let started = Arc::clone(&sink);
        until(move || {
            let started = Arc::clone(&started);
            Box::pin(async move { !started.started.lock().await.is_empty() })
        })
        .await;
        // The store's clock passes the lease (a stalled renewal) and another replica takes it.
        clock.advance(chrono::Duration::seconds(2));
        let now = clock.now();
        let stolen = store
            .take("other-replica", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap();
        assert!(
            stolen.is_some(),
            "the fault was injected: the lease was taken over"
        );
        // The next renewal finds the lease gone: the worker stops its handler.
        tokio::time::sleep(Duration::from_millis(400)).await;
        sink.go.notify_waiters();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            sink.finished.lock().await.is_empty(),
            "not answered by the old worker"
        );
        assert_eq!(stats.durable_settled.load(Ordering::Acquire), 0);
        assert!(store.finish("m:c:slow", "other-replica").await.unwrap());
        intake.drain(Duration::from_secs(1)).await;
    }
}
