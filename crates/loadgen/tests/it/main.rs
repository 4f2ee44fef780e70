//! Runs of the generator against small in-test servers on 127.0.0.1:0. Each run lasts a
//! fraction of a second of real time: the generator's schedule is wall-clock by nature.

mod cli;
mod token_api;
mod webhook;

use std::net::SocketAddr;
use std::time::Duration;

use slbot_loadgen::Plan;

/// 0.25 s measured at 200/s after 0.05 s of warm-up: 50 measured and 10 warm-up requests.
pub fn short_plan() -> Plan {
    Plan::new(200.0, Duration::from_millis(250), Duration::from_millis(50)).unwrap()
}

pub const SHORT_PLAN_MEASURED: u64 = 50;
pub const SHORT_PLAN_TOTAL: usize = 60;

/// Serves `router` on 127.0.0.1:0 in the background; returns its address.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

pub fn client() -> reqwest::Client {
    slbot_loadgen::http_client(Duration::from_secs(5)).unwrap()
}
