//! Benchmark (a): webhook acknowledgement latency at a fixed 500 requests/s, open loop.
//!
//! The bot's real HTTP service (signature check on the raw body, parse, dedupe in memory, then
//! the delivery recorded and the event queued in one transaction of a SQLite bot store — the
//! durable intake, as in production) runs in this process with the intake's workers taking
//! the events from the store into a no-op [`EventSink`]. The load comes from a
//! child process (this same binary, started with `--sender URL`): it fires one signed,
//! distinct delivery every 2 ms on a fixed schedule whatever the answers do, and measures each
//! latency from the request's *scheduled* time (so a stall counts against every request it
//! delays: no coordinated omission). Target: p99 ≤ 5 ms.
//!
//! Run: `cargo bench -p slbot-bot --bench webhook_ack`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use secrecy::SecretString;
use slbot_bot::events::Job;
use slbot_bot::intake::Intake;
use slbot_bot::queue::{Dispatcher, EventSink};
use slbot_bot::service::{app, Readiness, ServiceState};
use slbot_notify::EventQueue;

const SECRET: &str = "bench-webhook-secret";
const RATE_PER_SEC: u64 = 500;
const WARM_UP: usize = 500;
const MEASURED: usize = 5_000;
const TARGET_P99: Duration = Duration::from_millis(5);

struct NoopSink;

impl EventSink for NoopSink {
    fn handle(self: Arc<Self>, _job: Job) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
    fn busy(self: Arc<Self>, _job: Job) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

struct AlwaysReady;

impl Readiness for AlwaysReady {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--sender") {
        Some(i) => match args.get(i + 1) {
            Some(url) => sender(url),
            None => eprintln!("--sender needs the webhook URL"),
        },
        None => service(),
    }
}

/// The parent: serve the endpoint, start the sender, report.
fn service() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return eprintln!("cannot start tokio: {e}"),
    };
    runtime.block_on(async {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => return eprintln!("no temporary directory: {e}"),
        };
        let store_url = format!("sqlite://{}/bench-bot.db", dir.path().display());
        let store = match slbot_notify::open(&store_url).await {
            Ok(s) => s,
            Err(e) => return eprintln!("cannot open the bot store: {e}"),
        };
        let (dispatcher, _workers) = Dispatcher::start(Arc::new(NoopSink), 16, 1024);
        let stats = Arc::clone(&dispatcher.stats);
        let queue: Arc<dyn EventQueue> = store.clone();
        let intake = Intake::start(
            queue,
            Arc::new(NoopSink),
            Arc::new(slbot_base::SystemClock),
            16,
            Arc::clone(&stats),
            slbot_bot::intake::LEASE,
        );
        let state = Arc::new(
            ServiceState::new(
                SecretString::from(SECRET.to_string()),
                dispatcher,
                Arc::new(AlwaysReady),
            )
            .with_intake(intake.handle.clone(), 5 * 1024),
        );
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => return eprintln!("cannot listen: {e}"),
        };
        let url = match listener.local_addr() {
            Ok(a) => format!("http://{a}/webhooks/webex"),
            Err(e) => return eprintln!("no local address: {e}"),
        };
        tokio::spawn(async move {
            let _ = axum::serve(listener, app(state)).await;
        });
        let exe = match std::env::current_exe() {
            Ok(p) => p,
            Err(e) => return eprintln!("cannot find this binary: {e}"),
        };
        let child = tokio::task::spawn_blocking(move || {
            std::process::Command::new(exe)
                .arg("--sender")
                .arg(&url)
                .output()
        })
        .await;
        match child {
            Ok(Ok(out)) => {
                print!("{}", String::from_utf8_lossy(&out.stdout));
                eprint!("{}", String::from_utf8_lossy(&out.stderr));
            }
            Ok(Err(e)) => eprintln!("the sender failed to run: {e}"),
            Err(e) => eprintln!("the sender task failed: {e}"),
        }
        let accepted = stats
            .durable_accepted
            .load(std::sync::atomic::Ordering::Relaxed);
        intake.drain(Duration::from_secs(10)).await;
        let handled = stats
            .durable_settled
            .load(std::sync::atomic::Ordering::Relaxed);
        println!("service: {accepted} events accepted into the durable queue, {handled} taken and finished");
    });
}

/// The child: an open-loop load at a fixed rate; prints the figure and the verdict.
fn sender(url: &str) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return eprintln!("cannot start tokio: {e}"),
    };
    // Signed before the clock starts: the sender's cost is not what is measured.
    let bodies: Vec<(Vec<u8>, String)> = (0..WARM_UP + MEASURED)
        .map(|i| {
            let body = serde_json::to_vec(&serde_json::json!({
                "id": "webhook", "name": "slbot-messages", "targetUrl": url,
                "resource": "messages", "event": "created", "orgId": "org",
                "createdBy": "p", "appId": "a", "ownedBy": "creator", "status": "active",
                "actorId": "p",
                "data": {"id": format!("message-{i}"), "roomId": "room", "roomType": "direct",
                         "personId": "person", "personEmail": "p@example.com",
                         "created": "2026-11-28T12:00:00.000Z"}
            }))
            .unwrap_or_default();
            let signature = slbot_webex::sign_body(SECRET.as_bytes(), &body);
            (body, signature)
        })
        .collect();
    runtime.block_on(async {
        let client = match reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
        {
            Ok(c) => c,
            Err(e) => return eprintln!("cannot build the HTTP client: {e}"),
        };
        let period = Duration::from_nanos(1_000_000_000 / RATE_PER_SEC);
        let start = Instant::now() + Duration::from_millis(50);
        // Pacing on an OS thread (sub-millisecond sleeps); tokio's timer wheel has 1 ms ticks,
        // which would add up to 1 ms of lateness to every "scheduled" send.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>, String)>();
        let pacer = std::thread::spawn(move || {
            for (i, (body, signature)) in bodies.into_iter().enumerate() {
                let scheduled = start + period * i as u32;
                let now = Instant::now();
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                if tx.send((scheduled, body, signature)).is_err() {
                    break;
                }
            }
        });
        let mut tasks = Vec::with_capacity(WARM_UP + MEASURED);
        while let Some((scheduled, body, signature)) = rx.recv().await {
            let client = client.clone();
            let url = url.to_string();
            tasks.push(tokio::spawn(async move {
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("X-Spark-Signature", signature)
                    .body(body)
                    .send()
                    .await;
                let ok = matches!(&response, Ok(r) if r.status().is_success());
                (scheduled.elapsed(), ok)
            }));
        }
        if pacer.join().is_err() {
            eprintln!("the pacing thread failed");
        }
        let mut latencies = Vec::with_capacity(MEASURED);
        let mut failed = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            match task.await {
                Ok((latency, ok)) => {
                    if !ok {
                        failed += 1;
                    }
                    if i >= WARM_UP {
                        latencies.push(latency);
                    }
                }
                Err(_) => failed += 1,
            }
        }
        let sent_for = start.elapsed();
        if latencies.is_empty() {
            return println!("no request completed: FAIL");
        }
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        let p99 = pct(0.99);
        println!(
            "webhook acknowledgement, open loop at {RATE_PER_SEC}/s from a separate process (paced by an OS thread), \
             signature checked, {MEASURED} measured after {WARM_UP} warm-up ({:.1} s):",
            sent_for.as_secs_f64()
        );
        println!(
            "  p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  non-2xx/errors {failed}",
            ms(pct(0.50)),
            ms(pct(0.90)),
            ms(p99),
            ms(*latencies.last().unwrap_or(&Duration::ZERO))
        );
        let pass = p99 <= TARGET_P99 && failed == 0;
        println!(
            "  target p99 <= {} ms: {}",
            TARGET_P99.as_millis(),
            if pass { "PASS" } else { "FAIL" }
        );
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
