//! The bounded worker pool behind the webhook endpoint, and its overflow path.
//!
//! Webex does not document redelivery, so an acknowledged event must never vanish: when the
//! main queue is full the event goes to a small overflow path that only answers the person with
//! the "busy" sentence (one cheap Webex call), and the event id stays recorded as seen.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinSet;

use crate::events::Job;

/// What consumes accepted events: the real handler, or a no-op sink in benchmarks.
pub trait EventSink: Send + Sync + 'static {
    /// Works on one event to the end (replies included). Must not panic on bad data.
    fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()>;
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
}

impl QueueStats {
    /// Events accepted but not finished yet (queued, in a worker, or waiting for "busy").
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
    overflow: mpsc::UnboundedSender<Job>,
    pub stats: Arc<QueueStats>,
}

/// The running workers; [`Workers::drain`] waits for queued events on shutdown.
pub struct Workers {
    tasks: JoinSet<()>,
}

impl Dispatcher {
    /// Starts `workers` tasks reading a queue of `capacity` events, plus the overflow task.
    pub fn start(sink: Arc<dyn EventSink>, workers: usize, capacity: usize) -> (Self, Workers) {
        let (main_tx, main_rx) = mpsc::channel::<Job>(capacity.max(1));
        let (overflow_tx, mut overflow_rx) = mpsc::unbounded_channel::<Job>();
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

    /// Queues an event; when the queue is full it takes the overflow path. Never loses it.
    pub fn submit(&self, job: Job) {
        self.stats.accepted.fetch_add(1, Ordering::Release);
        match self.main.try_send(job) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) => {
                self.stats.overflowed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(event_id = %job.data.id, "queue full: answering busy");
                if self.overflow.send(job).is_err() {
                    tracing::error!("overflow path closed: the bot is shutting down");
                }
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
            dispatcher.submit(job(&format!("e{i}")));
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
            dispatcher.submit(job(id));
        }
        drop(dispatcher);
        workers.drain(Duration::from_secs(5)).await;
        assert_eq!(*sink.handled.lock().await, ["a", "b", "c"]);
        assert_eq!(*sink.failed.lock().await, ["boom"]);
    }
}
