//! The open-loop executor.
//!
//! A dedicated OS thread walks the schedule: it sleeps (`std::thread::sleep`, tens of µs
//! late at most, where tokio's timer rounds up to the next millisecond) until request `i` is
//! due at `t0 + i / rate`, then spawns it on the runtime and moves on without waiting for
//! any answer. Each request task builds (signs) its request, sends it, reads the whole body
//! and records its latency from the *scheduled* instant, so any delay, the generator's own
//! included, counts against the requests it delays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::plan::Plan;
use crate::scenario::Scenario;
use crate::stats::{Outcome, Report, Sample};

/// Time between starting a run and its first scheduled request, so the dispatcher thread is
/// up before `t0`.
const START_LEAD: Duration = Duration::from_millis(20);

/// Runs `plan` with `scenario` through `client` and summarises the measured requests
/// (warm-up answers are awaited but not counted). Returns once every request has ended (the
/// client's timeout bounds that).
pub async fn run(plan: &Plan, client: reqwest::Client, scenario: Arc<dyn Scenario>) -> Report {
    let warmup = plan.warmup_requests();
    let total = warmup + plan.measured_requests();
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let runtime = tokio::runtime::Handle::current();
    let plan = *plan;
    let dispatcher = tokio::task::spawn_blocking(move || {
        let t0 = Instant::now() + START_LEAD;
        let mut max_lag = Duration::ZERO;
        for seq in 0..total {
            let due = t0 + plan.offset(seq);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let measured = seq >= warmup;
            if measured {
                max_lag = max_lag.max(due.elapsed());
            }
            let client = client.clone();
            let scenario = scenario.clone();
            let tx = tx.clone();
            runtime.spawn(async move {
                let (outcome, ok) = send(scenario.as_ref(), &client, seq).await;
                if measured {
                    // The receiver lives until every sender is gone; a failed send cannot
                    // happen and would only lose one sample.
                    let _ = tx.send(Sample {
                        latency: due.elapsed(),
                        outcome,
                        ok,
                    });
                }
            });
        }
        max_lag
    });
    let capacity = usize::try_from(plan.measured_requests()).unwrap_or(0);
    let mut samples = Vec::with_capacity(capacity);
    while let Some(sample) = rx.recv().await {
        samples.push(sample);
    }
    // The dispatcher dropped its sender when it finished, so it has returned by now; a panic
    // in it (none is possible) would show as missing samples.
    let max_lag = dispatcher.await.unwrap_or_default();
    Report::from_samples(&samples, max_lag)
}

/// Builds, sends and reads one request to its end.
async fn send(scenario: &dyn Scenario, client: &reqwest::Client, seq: u64) -> (Outcome, bool) {
    let request = match scenario.request(client, seq) {
        Ok(request) => request,
        Err(_) => return (Outcome::Unbuildable, false),
    };
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => return (failure(&e), false),
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(_) => (Outcome::Status(status), scenario.is_ok(status)),
        Err(e) => (failure(&e), false),
    }
}

fn failure(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        Outcome::Timeout
    } else {
        Outcome::Transport
    }
}
