//! The bounded worker pool behind the webhook endpoint, and its overflow path.
//!
//! Webex does not document redelivery, so an acknowledged event must never vanish: when the
//! main queue is full the event goes to an overflow path that only answers the person with the
//! "busy" sentence (one cheap Webex call), and the event id stays recorded as seen. The
//! overflow path is bounded too ([`OVERFLOW_FACTOR`] × the queue): when both are full the
//! endpoint refuses the delivery with 503 before recording it ([`Dispatcher::has_room`]), so
//! memory stays bounded under any flood and Webex may deliver it again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinSet;

use crate::events::Job;

/// How handling an event ended, for a queue that can try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Done: answered, or nothing to answer.
    Done,
    /// Nothing reached the person, for a reason that may pass (Webex failing): worth trying
    /// the whole event again later. Carries the reason for the operator.
    Retry(String),
}

/// What consumes accepted events: the real handler, or a no-op sink in benchmarks.
pub trait EventSink: Send + Sync + 'static {
    /// Works on one event to the end (replies included). Must not panic on bad data.
    fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()>;
    /// [`EventSink::handle`], saying whether the event is worth another try (the durable
    /// intake retries it with a backoff). The default never asks for one.
    fn handle_once(self: Arc<Self>, job: Job) -> BoxFuture<'static, Handled> {
        let work = self.handle(job);
        Box::pin(async move {
            work.await;
            Handled::Done
        })
    }
    /// Tells the person the bot is busy (the overflow path).
    fn busy(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()>;
    /// Tells the person their event could not be answered because handling it failed
    /// unexpectedly (a panic). The default says the bot is busy.
    fn failed(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
        self.busy(job)
    }
}

/// Runs `work` as its own task so a panic inside it is caught here instead of ending the
/// worker that runs it; returns whether it panicked.
async fn guarded(work: BoxFuture<'static, ()>) -> bool {
    match tokio::spawn(work).await {
        Ok(()) => false,
        Err(e) if e.is_panic() => true,
        // Cancelled: the runtime is shutting down; nothing more can be said.
        Err(_) => false,
    }
}

/// The overflow path holds this many times the main queue's capacity.
pub const OVERFLOW_FACTOR: usize = 4;

/// Both the queue and the overflow path are full: the event was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the bot is saturated: the event queue and its overflow path are full")]
pub struct Saturated;

/// Counters for `/healthz`, logs and tests.
#[derive(Debug, Default)]
pub struct QueueStats {
    /// Events taken by [`Dispatcher::submit`].
    pub accepted: AtomicU64,
    /// Of those, events that found the queue full.
    pub overflowed: AtomicU64,
    /// Events a worker finished.
    pub handled: AtomicU64,
    /// Overflowed events whose "busy" answer is done.
    pub answered_busy: AtomicU64,
    /// Events refused because the queue and the overflow path were both full.
    pub refused: AtomicU64,
    /// Events buried by the durable intake (the person was told).
    pub dead_letters: AtomicU64,
    /// Events this process recorded and queued in the bot store (the durable intake). The
    /// fields above count the in-memory path only; what the store holds is in its queue.
    pub durable_accepted: AtomicU64,
    /// Events this process's intake workers finished or buried (whoever accepted them).
    pub durable_settled: AtomicU64,
}

impl QueueStats {
    /// Events accepted on the in-memory path and not finished yet (queued, in a worker, or
    /// waiting for "busy"). The durable intake's are in the bot store's queue.
    pub fn pending(&self) -> u64 {
        let done =
            self.handled.load(Ordering::Acquire) + self.answered_busy.load(Ordering::Acquire);
        self.accepted.load(Ordering::Acquire).saturating_sub(done)
    }
}

/// Where the webhook endpoint puts accepted events.
#[derive(Clone)]
pub struct Dispatcher {
    main: mpsc::Sender<Job>,
    overflow: mpsc::Sender<Job>,
    pub stats: Arc<QueueStats>,
}

/// The running workers; [`Workers::drain`] waits for queued events on shutdown.
pub struct Workers {
    tasks: JoinSet<()>,
}

impl Dispatcher {
    /// Starts `workers` tasks reading a queue of `capacity` events, plus the overflow task
    /// (holding up to [`OVERFLOW_FACTOR`] × `capacity`).
    pub fn start(sink: Arc<dyn EventSink>, workers: usize, capacity: usize) -> (Self, Workers) {
        let (main_tx, main_rx) = mpsc::channel::<Job>(capacity.max(1));
        let (overflow_tx, mut overflow_rx) =
            mpsc::channel::<Job>(capacity.max(1).saturating_mul(OVERFLOW_FACTOR));
        let stats = Arc::new(QueueStats::default());
        let main_rx = Arc::new(Mutex::new(main_rx));
        let mut tasks = JoinSet::new();
        for _ in 0..workers.max(1) {
            let rx = Arc::clone(&main_rx);
            let sink = Arc::clone(&sink);
            let stats = Arc::clone(&stats);
            tasks.spawn(async move {
                loop {
                    let job = { rx.lock().await.recv().await };
                    let Some(job) = job else { break };
                    if guarded(Arc::clone(&sink).handle(job.clone())).await {
                        tracing::error!(event_id = %job.data.id, "handling an event panicked: telling the person");
                        guarded(Arc::clone(&sink).failed(job)).await;
                    }
                    stats.handled.fetch_add(1, Ordering::Release);
                }
            });
        }
        let overflow_sink = Arc::clone(&sink);
        let overflow_stats = Arc::clone(&stats);
        tasks.spawn(async move {
            while let Some(job) = overflow_rx.recv().await {
                if guarded(Arc::clone(&overflow_sink).busy(job)).await {
                    tracing::error!("answering busy panicked");
                }
                overflow_stats.answered_busy.fetch_add(1, Ordering::Release);
            }
        });
        (
            Self {
                main: main_tx,
                overflow: overflow_tx,
                stats,
            },
            Workers { tasks },
        )
    }

    /// Whether an event submitted now would be taken (the queue or the overflow path has a
    /// free place). The endpoint asks before recording a delivery, so a refused one is not
    /// remembered as answered.
    pub fn has_room(&self) -> bool {
        self.main.capacity() > 0 || self.overflow.capacity() > 0
    }

    /// Queues an event; when the queue is full it takes the overflow path ("busy"). Only when
    /// both are full is it refused ([`Saturated`]); an event taken is never lost.
    pub fn submit(&self, job: Job) -> Result<(), Saturated> {
        let job = match self.main.try_send(job) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Release);
                return Ok(());
            }
            Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) => {
                job
            }
        };
        let id = job.data.id.clone();
        match self.overflow.try_send(job) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Release);
                self.stats.overflowed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(event_id = %id, "queue full: answering busy");
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::error!(event_id = %id, "queue and overflow path full: refusing the event");
                Err(Saturated)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::error!(event_id = %id, "overflow path closed: the bot is shutting down");
                Err(Saturated)
            }
        }
    }
}

impl Workers {
    /// Waits up to `grace` for queued events to finish (after every [`Dispatcher`] is dropped).
    pub async fn drain(mut self, grace: Duration) {
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(
                remaining = self.tasks.len(),
                "shutdown grace period over: abandoning unfinished events"
            );
            self.tasks.abort_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventData, Resource};
    use tokio::sync::Semaphore;

    struct Recorder {
        gate: Semaphore,
        handled: Mutex<Vec<String>>,
        busy: Mutex<Vec<String>>,
    }

    impl EventSink for Recorder {
        fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move {
                if let Ok(permit) = self.gate.acquire().await {
                    permit.forget();
                }
                self.handled.lock().await.push(job.data.id);
            })
        }
        fn busy(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move { self.busy.lock().await.push(job.data.id) })
        }
    }

    fn job(id: &str) -> Job {
        Job {
            resource: Resource::Message,
            data: EventData {
                id: id.into(),
                room_id: None,
                room_type: None,
                person_id: None,
                person_email: None,
                message_id: None,
            },
        }
    }

    #[tokio::test]
    async fn when_the_queue_is_full_events_take_the_busy_path_and_none_is_lost() {
        let sink = Arc::new(Recorder {
            gate: Semaphore::new(0),
            handled: Mutex::default(),
            busy: Mutex::default(),
        });
        let (dispatcher, workers) = Dispatcher::start(sink.clone(), 1, 2);
        // The worker is blocked on the gate, so at most 1 + 2 events fit; the rest overflow.
        for i in 0..10 {
            dispatcher.submit(job(&format!("e{i}"))).unwrap();
        }
        let stats = Arc::clone(&dispatcher.stats);
        drop(dispatcher);
        sink.gate.add_permits(100);
        workers.drain(Duration::from_secs(5)).await;
        let handled = sink.handled.lock().await.clone();
        let busy = sink.busy.lock().await.clone();
        assert_eq!(
            handled.len() + busy.len(),
            10,
            "handled {handled:?} busy {busy:?}"
        );
        assert!(!busy.is_empty(), "some events must have overflowed");
        assert!(
            (2..=3).contains(&handled.len()),
            "the queue holds 2, the worker 1: {handled:?}"
        );
        assert_eq!(
            stats.overflowed.load(Ordering::Relaxed) as usize,
            busy.len()
        );
        assert_eq!(stats.accepted.load(Ordering::Relaxed), 10);
        assert_eq!(stats.pending(), 0);
    }

    /// Both the workers and the busy path wait for the gate.
    struct Stuck {
        gate: Semaphore,
        done: Mutex<Vec<String>>,
    }

    impl Stuck {
        async fn pass(&self, id: String) {
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            self.done.lock().await.push(id);
        }
    }

    impl EventSink for Stuck {
        fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move { self.pass(job.data.id).await })
        }
        fn busy(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
            Box::pin(async move { self.pass(job.data.id).await })
        }
    }

    #[tokio::test]
    async fn when_the_queue_and_the_overflow_path_are_full_events_are_refused_and_none_taken_is_lost(
    ) {
        let sink = Arc::new(Stuck {
            gate: Semaphore::new(0),
            done: Mutex::default(),
        });
        let (dispatcher, workers) = Dispatcher::start(sink.clone(), 1, 2);
        // Let the worker and the overflow task each take one event and block on the gate.
        dispatcher.submit(job("w")).unwrap();
        tokio::task::yield_now().await;
        for i in 0..2 {
            dispatcher.submit(job(&format!("q{i}"))).unwrap();
        }
        dispatcher.submit(job("o-first")).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Queue: 2 places, both taken; overflow: 2 × 4 = 8 places.
        let mut taken = 4;
        while dispatcher.has_room() {
            dispatcher.submit(job(&format!("o{taken}"))).unwrap();
            taken += 1;
        }
        assert!(
            (11..=12).contains(&taken),
            "1 in the worker, 2 queued, up to 1 in the busy task, 8 overflowed: {taken}"
        );
        assert_eq!(dispatcher.submit(job("refused")), Err(Saturated));
        let stats = Arc::clone(&dispatcher.stats);
        assert_eq!(stats.refused.load(Ordering::Relaxed), 1);
        assert_eq!(stats.accepted.load(Ordering::Relaxed), taken as u64);
        drop(dispatcher);
        sink.gate.add_permits(100);
        workers.drain(Duration::from_secs(5)).await;
        let done = sink.done.lock().await.clone();
        assert_eq!(done.len(), taken, "{done:?}");
        assert!(!done.contains(&"refused".to_string()));
        assert_eq!(stats.pending(), 0);
    }

    struct Panicky {
        handled: Mutex<Vec<String>>,
        failed: Mutex<Vec<String>>,
    }

    impl EventSink for Panicky {
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

    #[tokio::test]
    async fn a_panic_while_handling_is_answered_and_the_worker_goes_on() {
        let sink = Arc::new(Panicky {
            handled: Mutex::default(),
            failed: Mutex::default(),
        });
        // One worker: if the panic ended it, the events after "boom" would never be handled.
        let (dispatcher, workers) = Dispatcher::start(sink.clone(), 1, 16);
        for id in ["a", "boom", "b", "c"] {
            dispatcher.submit(job(id)).unwrap();
        }
        drop(dispatcher);
        workers.drain(Duration::from_secs(5)).await;
        assert_eq!(*sink.handled.lock().await, ["a", "b", "c"]);
        assert_eq!(*sink.failed.lock().await, ["boom"]);
    }
}
