//! Benchmark (b): a command answered from the per-user cache, end to end: the person posts
//! in the Webex simulator → signed webhook → the bot fetches the message, asks the real token
//! API (SQLite) for the token, answers from the cache → the reply is posted to the simulator.
//! The reply is detected by long-polling the simulator's event feed (no sleeps).
//! Target: p50 ≤ 20 ms.
//!
//! Run: `cargo bench -p slbot-bot --bench cached_command`.

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/it/naive.rs"]
mod naive;

use std::time::{Duration, Instant};

const WARM_UP: usize = 20;
const MEASURED: usize = 300;
const TARGET_P50: Duration = Duration::from_millis(20);

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return eprintln!("cannot start tokio: {e}"),
    };
    runtime.block_on(run());
}

async fn run() {
    let app = harness::spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    // The first command fetches from CSSM and fills the cache.
    app.say(&alice, &room, "accounts").await;
    let fetched = app.cssm_requests().await;

    let mut latencies = Vec::with_capacity(MEASURED);
    for i in 0..WARM_UP + MEASURED {
        let started = Instant::now();
        let said = app.post(&alice, &room, "accounts", false, None).await;
        let reply = app.next_bot_message(&room, said.seq).await;
        let took = started.elapsed();
        if !reply.markdown.starts_with("**Here are your") {
            println!("unexpected reply: {}", reply.markdown);
            return println!("FAIL");
        }
        if i >= WARM_UP {
            latencies.push(took);
        }
    }
    app.settle().await;
    let from_cache = app.cssm_requests().await == fetched;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let p50 = pct(0.50);
    println!(
        "cached command, message posted → reply posted (Webex sim, real token API, cache hit), \
         {MEASURED} sequential after {WARM_UP} warm-up:"
    );
    println!(
        "  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  CSSM asked again: {}",
        ms(p50),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        if from_cache { "no" } else { "yes" }
    );
    let pass = p50 <= TARGET_P50 && from_cache;
    println!(
        "  target p50 <= {} ms: {}",
        TARGET_P50.as_millis(),
        if pass { "PASS" } else { "FAIL" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
