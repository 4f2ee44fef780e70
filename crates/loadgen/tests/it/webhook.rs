use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::SecretString;
use slbot_loadgen::{run, WebexWebhook};

use crate::{client, serve, short_plan, SHORT_PLAN_MEASURED, SHORT_PLAN_TOTAL};

const SECRET: &str = "hook-secret";

/// Every `data.id` the receiver accepted; a bad signature is 401, a repeated id 409.
type Seen = Arc<Mutex<HashSet<String>>>;

async fn receive(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get(slbot_webex::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if !slbot_webex::verify_signature(SECRET.as_bytes(), &body, signature) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let id = json["data"]["id"].as_str().unwrap_or_default().to_string();
    if seen.lock().unwrap().insert(id) {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    }
}

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let router = axum::Router::new()
        .route("/webhooks/webex", post(receive))
        .with_state(seen.clone());
    let addr = serve(router).await;
    (format!("http://{addr}/webhooks/webex"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scheduled_delivery_is_signed_unique_and_counted_once() {
    let (url, seen) = receiver().await;
    let hook = WebexWebhook::new(&url, SecretString::from(SECRET));
    let report = run(&short_plan(), client(), Arc::new(hook)).await;

    assert_eq!(report.count, SHORT_PLAN_MEASURED);
    assert_eq!(report.ok, SHORT_PLAN_MEASURED);
    assert_eq!(report.errors, 0);
    assert_eq!(report.statuses.get(&200), Some(&SHORT_PLAN_MEASURED));
    // Warm-up deliveries reach the receiver too, and no id repeats.
    assert_eq!(seen.lock().unwrap().len(), SHORT_PLAN_TOTAL);
    assert!(report.p50 <= report.p99 && report.p99 <= report.max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_signed_with_another_secret_are_all_errors() {
    let (url, seen) = receiver().await;
    let hook = WebexWebhook::new(&url, SecretString::from("not-the-secret"));
    let report = run(&short_plan(), client(), Arc::new(hook)).await;

    assert_eq!(report.count, SHORT_PLAN_MEASURED);
    assert_eq!((report.ok, report.errors), (0, SHORT_PLAN_MEASURED));
    assert_eq!(report.statuses.get(&401), Some(&SHORT_PLAN_MEASURED));
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_gone_gives_transport_errors_not_a_hang() {
    // A port that was just free: nothing listens there any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let hook = WebexWebhook::new(&format!("http://{addr}/"), SecretString::from(SECRET));
    let report = run(&short_plan(), client(), Arc::new(hook)).await;

    assert_eq!(report.count, SHORT_PLAN_MEASURED);
    assert_eq!(report.transport_errors, SHORT_PLAN_MEASURED);
    assert_eq!(report.errors, SHORT_PLAN_MEASURED);
}
