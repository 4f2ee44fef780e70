//! Injected latency, 503s and 429s, deterministic and counted.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use slbot_sim_cssm::{FaultSettings, SimConfig};

use crate::{config, params, Sim};

async fn statuses(sim: &Sim, n: usize) -> Vec<(u16, Option<String>)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let r = sim.accounts("t").await;
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        out.push((r.status().as_u16(), retry));
    }
    out
}

#[tokio::test]
async fn every_nth_request_gets_a_503_or_a_429_with_retry_after_and_stats_count_them() {
    let sim = Sim::new(SimConfig {
        faults: FaultSettings {
            fail_every: 3,
            rate_limit_every: 4,
            retry_after_secs: 7,
            ..FaultSettings::default()
        },
        ..config(params(41, 2, 1, 1))
    })
    .await;
    let got = statuses(&sim, 12).await;
    let seven = Some("7".to_string());
    let expected: Vec<(u16, Option<String>)> = (1..=12)
        .map(|n| {
            if n % 3 == 0 {
                (503, None)
            } else if n % 4 == 0 {
                (429, seven.clone())
            } else {
                (200, None)
            }
        })
        .collect();
    assert_eq!(got, expected);
    let stats = sim.stats().await;
    assert_eq!(stats["serverErrorsInjected"], 4);
    assert_eq!(stats["rateLimitedInjected"], 2);
    assert_eq!(stats["requestsTotal"], 12);
}

#[tokio::test]
async fn faults_can_be_changed_at_run_time_and_a_bad_rate_is_refused() {
    let sim = Sim::new(config(params(42, 2, 1, 1))).await;
    assert!(statuses(&sim, 4).await.iter().all(|(s, _)| *s == 200));

    let r = sim
        .http
        .post(sim.url("/_sim/faults"))
        .json(&json!({"rateLimitEvery": 2, "retryAfterSecs": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let settings: Value = r.json().await.unwrap();
    assert_eq!(settings["rateLimitEvery"], 2);
    let got = statuses(&sim, 4).await;
    assert_eq!(
        got.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [200, 429, 200, 429]
    );
    assert_eq!(got[1].1.as_deref(), Some("3"));

    let r = sim
        .http
        .post(sim.url("/_sim/faults"))
        .json(&json!({"failRate": 1.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(sim.handle.state.faults().rate_limit_every, 2);

    let r = sim
        .http
        .post(sim.url("/_sim/stats/reset"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(sim.handle.state.stats().requests_total, 0);
}

#[tokio::test]
async fn a_fail_rate_of_one_fails_everything_with_a_mix_of_503_and_429() {
    let sim = Sim::new(SimConfig {
        faults: FaultSettings {
            fail_rate: 1.0,
            ..FaultSettings::default()
        },
        fault_seed: 9,
        ..config(params(43, 2, 1, 1))
    })
    .await;
    let got = statuses(&sim, 40).await;
    let s503 = got.iter().filter(|(s, _)| *s == 503).count();
    let s429 = got.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!(s503 + s429, 40);
    assert!(s503 > 0 && s429 > 0, "{s503} 503s, {s429} 429s");
    let stats = sim.handle.state.stats();
    assert_eq!(stats.server_errors_injected, s503 as u64);
    assert_eq!(stats.rate_limited_injected, s429 as u64);
}

#[tokio::test]
async fn latency_delays_every_request_by_at_least_the_setting() {
    let sim = Sim::new(SimConfig {
        faults: FaultSettings {
            latency_ms: 60,
            ..FaultSettings::default()
        },
        ..config(params(44, 2, 1, 1))
    })
    .await;
    let started = Instant::now();
    assert_eq!(sim.accounts("t").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(60));
}
