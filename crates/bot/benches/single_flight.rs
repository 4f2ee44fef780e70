//! Benchmark (c): single flight and fan-out against the CSSM simulator (50 ms per request).
//!
//! 1. One person's 200 simultaneous commands cause exactly one CSSM fetch (the simulator's
//!    per-token request count equals that of one fetch).
//! 2. 200 people's simultaneous commands (each with a token of their own) cause exactly 200
//!    fetches, and all 200 answers are posted in less than 3× the time one command takes.
//!
//! Everything goes end to end (Webex simulator → webhook → bot → token API → CSSM simulator →
//! reply). The bot runs with 256 workers and `SLBOT_CSSM_MAX_INFLIGHT=1024`, so 200 commands
//! are truly simultaneous (with the default 16 workers they would queue).
//!
//! Run: `cargo bench -p slbot-bot --bench single_flight`.

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/it/naive.rs"]
mod naive;

use std::time::{Duration, Instant};

use futures::future::join_all;
use harness::{Options, Person, TestApp};
use slbot_sim_cssm::{token_fingerprint, FaultSettings};

const PEOPLE: usize = 200;

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

fn token(i: usize) -> String {
    format!("bench-cssm-token-{i:03}")
}

async fn requests_of(app: &TestApp, token: &str) -> u64 {
    app.cssm_stats().await["requestsByToken"][token_fingerprint(token)]
        .as_u64()
        .unwrap_or(0)
}

async fn run() {
    let app = harness::spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 50,
            ..FaultSettings::default()
        },
        env: vec![
            ("SLBOT_BOT_WORKERS", "256".into()),
            ("SLBOT_BOT_QUEUE_CAPACITY", "4096".into()),
            ("SLBOT_CSSM_MAX_INFLIGHT", "1024".into()),
        ],
        extra_cssm_tokens: (0..=PEOPLE + 1).map(token).collect(),
        ..Options::default()
    })
    .await;

    // Set up (not timed): people, their 1:1 spaces, their logins.
    let mut people: Vec<(Person, String)> = Vec::new();
    for i in 0..=PEOPLE + 1 {
        let person = app.person(&format!("person{i:03}")).await;
        app.sign_in(&person, &token(i)).await;
        let room = app.direct(&person).await;
        people.push((person, room));
    }

    // One command with an empty cache: the reference time, and the requests of one fetch.
    let (probe, probe_room) = &people[0];
    let started = Instant::now();
    let said = app.post(probe, probe_room, "accounts", false, None).await;
    app.next_bot_message(probe_room, said.seq).await;
    let one = started.elapsed();
    let per_fetch = requests_of(&app, &token(0)).await;

    // 1. One person, 200 simultaneous commands.
    let (alice, alice_room) = &people[1];
    let started = Instant::now();
    join_all((0..PEOPLE).map(|_| app.post(alice, alice_room, "accounts", false, None))).await;
    app.settle().await;
    let same_person = started.elapsed();
    let answered = app.bot_messages(alice_room, 0).await.len();
    let alice_requests = requests_of(&app, &token(1)).await;
    let one_fetch = alice_requests == per_fetch && answered == PEOPLE;

    // 2. 200 people, one command each, all at once.
    let crowd = &people[2..];
    let started = Instant::now();
    join_all(
        crowd
            .iter()
            .map(|(p, room)| app.post(p, room, "accounts", false, None)),
    )
    .await;
    app.settle().await;
    let fan_out = started.elapsed();
    let mut fetches = 0;
    let mut replies = 0;
    for (i, (_, room)) in crowd.iter().enumerate() {
        if requests_of(&app, &token(i + 2)).await == per_fetch {
            fetches += 1;
        }
        replies += app.bot_messages(room, 0).await.len();
    }

    println!(
        "single flight and fan-out (CSSM simulator latency 50 ms per request, {per_fetch} requests per fetch):"
    );
    println!("  one command, empty cache: {:.1} ms", ms(one));
    println!(
        "  1 person x {PEOPLE} simultaneous commands: {answered} answers in {:.1} ms, CSSM requests {alice_requests} (one fetch = {per_fetch}): {}",
        ms(same_person),
        if one_fetch { "PASS (exactly 1 fetch)" } else { "FAIL" }
    );
    let fan_out_ok = fetches == PEOPLE && replies == PEOPLE && fan_out < one * 3;
    println!(
        "  {PEOPLE} people x 1 command: {replies} answers, {fetches} complete fetches, {:.1} ms = {:.2}x one command (target: exactly {PEOPLE} fetches, < 3x): {}",
        ms(fan_out),
        fan_out.as_secs_f64() / one.as_secs_f64(),
        if fan_out_ok { "PASS" } else { "FAIL" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
