//! Open-loop latency of the token API (not run by default):
//!
//! ```text
//! cargo test -p slbot-backend --release --test it token_bench -- --ignored --nocapture
//! ```
//!
//! Requests are *scheduled* at a fixed rate whether or not earlier ones have finished, and
//! each latency is measured from its scheduled start, so a stall shows up in the tail instead
//! of slowing the generator down (no coordinated omission). Store: SQLite (WAL) with 200
//! signed-in people; client: the bot's own `TokenClient` (v2 signing and verification
//! included); everything on 127.0.0.1.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use slbot_signing::Version;

use crate::token_harness::{keys, t0, tokens, Api, FakeRefresher, SsoMode, TestStore, K1};

const RATE_PER_SEC: u64 = 500;
const WARMUP_SECS: u64 = 1;
const MEASURE_SECS: u64 = 10;
const PEOPLE: usize = 200;

fn percentile(sorted: &[StdDuration], p: f64) -> StdDuration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run it in release with --ignored --nocapture"]
async fn token_api_latency_at_a_fixed_rate() {
    let ts = TestStore::sqlite(keys(K1, &[])).await;
    for i in 0..PEOPLE {
        ts.store
            .put(
                &format!("P{i}"),
                Some("R"),
                tokens(&format!("tok-{i}"), Some("rt"), t0() + Duration::hours(10)),
                t0(),
            )
            .await
            .unwrap();
    }
    let api = Api::start(
        ts.store.clone(),
        Arc::new(FakeRefresher::new(SsoMode::Rotate)),
        Version::V2,
    )
    .await;
    let client = api.client();
    let interval = StdDuration::from_nanos(1_000_000_000 / RATE_PER_SEC);
    let total = RATE_PER_SEC * (WARMUP_SECS + MEASURE_SECS);
    let warmup = RATE_PER_SEC * WARMUP_SECS;
    let start = tokio::time::Instant::now() + StdDuration::from_millis(50);
    let mut handles = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let client = client.clone();
        let person = format!("P{}", i as usize % PEOPLE);
        let scheduled: Instant = scheduled.into_std();
        handles.push(tokio::spawn(async move {
            let ok = client.access_token("R", &person).await.is_ok();
            (ok, scheduled.elapsed())
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for (i, h) in handles.into_iter().enumerate() {
        let (ok, latency) = h.await.unwrap();
        if !ok {
            failures += 1;
        }
        if i as u64 >= warmup {
            latencies.push(latency);
        }
    }
    latencies.sort();
    println!(
        "token API, SQLite, open loop {RATE_PER_SEC} req/s for {MEASURE_SECS} s ({} measured, {failures} failed): \
         p50 {:?}  p90 {:?}  p99 {:?}  p99.9 {:?}  max {:?}",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 99.9),
        latencies[latencies.len() - 1],
    );
    assert_eq!(failures, 0);
}
