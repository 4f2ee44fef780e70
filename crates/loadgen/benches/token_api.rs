//! Benchmark: the backend token API at a fixed 500 requests/s on SQLite, open loop.
//!
//! Target (issue): p99 ≤ 5 ms. This process serves the real token API
//! (`slbot_backend::token_api::router`) on 127.0.0.1:0 over a SQLite store in a temporary
//! directory, with the production pairing of store and replay window
//! (`store::connect_with_replay_window`: the nonce window in the store's own table) and a v2
//! verifier. It seeds fresh tokens (1 h) for 200 people through the store API, so no request
//! needs a refresh (a refresher that fails loudly counts any call). The load comes from the
//! `slbot-loadgen` binary as a separate process: 2 s of warm-up, then 10 s measured, every
//! request signed with a fresh nonce, latency measured from each request's scheduled send
//! time. A middleware also times each request inside the server (routing, signature check,
//! store read, response signing), so a tail can be told apart from scheduling and transport.
//! Prints the generator's JSON, p50/p99, `nproc` and the load average, then `PASS` or
//! `FAIL` (exit 1): PASS needs p99 ≤ 5 ms, every measured request answered 200, and no
//! refresh.
//!
//! Run: `cargo bench -p slbot-loadgen --bench token_api` (ideally on a quiet machine: the
//! server and the generator share its cores).

use std::net::SocketAddr;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use slbot_backend::crypto::Keyring;
use slbot_backend::refresh::Refresher;
use slbot_backend::sso::{SsoError, TokenSet};
use slbot_backend::store::{connect_with_replay_window, BoxFuture, Tokens};
use slbot_backend::token_api::{self, TokenApiDeps};
use slbot_base::SystemClock;
use slbot_loadgen::scenario::{person_id, TOKEN_API_ROOM_ID};
use slbot_loadgen::stats::{percentile, Quantile};
use slbot_signing::{Verifier, Version};

const SECRET: &str = "bench-token-api-shared-secret";
/// The variable the generator reads the secret from (set on the child only).
const SECRET_ENV: &str = "SLBOT_LOADGEN_BENCH_SECRET";
/// A fixed AES-256 key for the throwaway store.
const STORE_KEY: &str = "6c6f616467656e2d62656e63682d73746f72652d6b65792d3332627974657321";
const PEOPLE: u64 = 200;
const RATE_PER_SEC: u64 = 500;
const WARMUP_SECS: u64 = 2;
const MEASURED_SECS: u64 = 10;
const TARGET_P99: Duration = Duration::from_millis(5);

/// The tokens are fresh, so the token API must never refresh; any call is counted and fails.
#[derive(Default)]
struct NeverRefresher {
    calls: AtomicU64,
}

impl Refresher for NeverRefresher {
    fn refresh<'a>(&'a self, _: &'a SecretString) -> BoxFuture<'a, Result<TokenSet, SsoError>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Err(SsoError::Transient("the benchmark never refreshes".into())) })
    }

    fn revoke<'a>(&'a self, _: &'a SecretString) -> BoxFuture<'a, Result<(), SsoError>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Err(SsoError::Transient("the benchmark never revokes".into())) })
    }
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("token_api: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("token_api: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `/proc/loadavg`'s three averages, or a note when it cannot be read.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

async fn bench() -> anyhow::Result<bool> {
    let dir = tempfile::tempdir().context("creating the store directory")?;
    let store_url = format!("sqlite://{}", dir.path().join("tokens.db").display());
    let keys = Keyring::new(&SecretString::from(STORE_KEY.to_string()), &[])
        .context("building the store keyring")?;
    let (store, replay_window) = connect_with_replay_window(&store_url, keys)
        .await
        .context("opening the SQLite store")?;

    let now = Utc::now();
    for k in 0..PEOPLE {
        let tokens = Tokens {
            access_token: SecretString::from(format!("bench-access-token-{k}")),
            refresh_token: Some(SecretString::from(format!("bench-refresh-token-{k}"))),
            expires_at: now + chrono::Duration::hours(1),
        };
        store
            .put(&person_id(k), Some(TOKEN_API_ROOM_ID), tokens, now)
            .await
            .context("seeding the store")?;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding 127.0.0.1:0")?;
    let addr: SocketAddr = listener.local_addr().context("reading the bound address")?;
    let base_url = format!("http://{addr}");
    let refresher = Arc::new(NeverRefresher::default());
    let secret = SecretString::from(SECRET.to_string());
    let router = token_api::router(TokenApiDeps {
        store,
        refresher: refresher.clone(),
        verifier: Verifier::new(Version::V2, secret.clone(), base_url.clone(), replay_window),
        clock: Arc::new(SystemClock),
    });
    let handling: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let timings = handling.clone();
    let router = router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let timings = timings.clone();
            async move {
                let started = Instant::now();
                let response = next.run(request).await;
                let took = started.elapsed();
                timings.lock().unwrap_or_else(|p| p.into_inner()).push(took);
                response
            }
        },
    ));
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let nproc = std::thread::available_parallelism().map_or(0, usize::from);
    let load_before = load_average();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_slbot-loadgen"));
    command
        .args([
            "--url",
            &base_url,
            "--scenario",
            "token-api",
            "--version",
            "v2",
        ])
        .args(["--rate", &RATE_PER_SEC.to_string()])
        .args(["--duration-secs", &MEASURED_SECS.to_string()])
        .args(["--warmup-secs", &WARMUP_SECS.to_string()])
        .args(["--people", &PEOPLE.to_string()])
        .args(["--secret-env", SECRET_ENV])
        .env(SECRET_ENV, secret.expose_secret())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .context("waiting for the generator")?
        .context("starting slbot-loadgen")?;
    let load_after = load_average();
    server.abort();
    if !output.status.success() {
        bail!("slbot-loadgen failed ({})", output.status);
    }
    let report: Value =
        serde_json::from_slice(&output.stdout).context("reading the generator's JSON report")?;

    let number = |key: &str| report[key].as_f64();
    let (Some(count), Some(errors), Some(p50), Some(p99)) = (
        number("count"),
        number("errors"),
        number("p50_ms"),
        number("p99_ms"),
    ) else {
        bail!("the generator's report lacks count, errors, p50_ms or p99_ms: {report}");
    };
    let expected = (RATE_PER_SEC * MEASURED_SECS) as f64;
    let refreshes = refresher.calls.load(Ordering::Relaxed);
    let target_ms = TARGET_P99.as_secs_f64() * 1000.0;

    println!(
        "token_api: nproc {nproc}, load average {load_before} (before) / {load_after} (after)"
    );
    println!("token_api: {report}");
    {
        // Arrival order: the warm-up requests come first.
        let all = handling.lock().unwrap_or_else(|p| p.into_inner());
        let skip = usize::try_from(RATE_PER_SEC * WARMUP_SECS).unwrap_or(0);
        let mut measured: Vec<Duration> = all.iter().skip(skip).copied().collect();
        measured.sort_unstable();
        let at = |q| percentile(&measured, q).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
        println!(
            "token_api: inside the server ({} requests): p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
            measured.len(),
            at(Quantile::P50),
            at(Quantile::P99),
            at(Quantile::P99_9),
            at(Quantile::MAX),
        );
    }
    let mut problems = Vec::new();
    if p99 > target_ms {
        problems.push(format!("p99 {p99:.3} ms > {target_ms} ms"));
    }
    if count != expected {
        problems.push(format!("{count} measured requests, expected {expected}"));
    }
    if errors > 0.0 {
        problems.push(format!("{errors} requests not answered 200"));
    }
    if refreshes > 0 {
        problems.push(format!("{refreshes} unexpected refresh/revoke calls"));
    }
    println!(
        "token_api: {RATE_PER_SEC} req/s for {MEASURED_SECS} s (SQLite, v2, {PEOPLE} people): \
         p50 {p50:.3} ms, p99 {p99:.3} ms (target p99 <= {target_ms} ms): {}",
        if problems.is_empty() {
            "PASS".to_string()
        } else {
            format!("FAIL ({})", problems.join("; "))
        }
    );
    Ok(problems.is_empty())
}
