//! Deterministic fault injection: every Nth matching request gets a 429 or a 503.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::Sim;

#[tokio::test]
async fn every_third_message_request_is_rate_limited_with_the_configured_retry_after_and_counted() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    // A malformed value on purpose: the simulator passes it through for clients to cope with.
    sim.control_ok(
        "faults",
        json!({"rateLimitEvery": 3, "retryAfter": "soon", "paths": "/v1/messages"}),
    )
    .await;

    let mut statuses = vec![];
    for i in 0..7 {
        // Requests to other paths are not counted.
        assert_eq!(
            sim.get(&bot.token, "/v1/people/me").await.status(),
            StatusCode::OK
        );
        let r = sim
            .post(
                &bot.token,
                "/v1/messages",
                json!({"toPersonId": alice.id, "text": format!("m{i}")}),
            )
            .await;
        statuses.push(r.status().as_u16());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.headers()["retry-after"], "soon");
            let body: Value = r.json().await.unwrap();
            assert!(body["trackingId"].is_string());
        }
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429, 200]);
    let stats = sim.stats().await;
    assert_eq!(stats["injected429"], 2);
    assert_eq!(stats["messagesCreated"], 5);
    assert_eq!(stats["requests"]["POST /v1/messages"], 7);
    assert_eq!(stats["requests"]["GET /v1/people/me"], 7);
}

#[tokio::test]
async fn every_second_request_fails_with_503_until_the_faults_are_cleared() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    sim.control_ok("faults", json!({"fail5xxEvery": 2})).await;
    let mut statuses = vec![];
    for _ in 0..4 {
        statuses.push(sim.get(&bot.token, "/v1/rooms").await.status().as_u16());
    }
    assert_eq!(statuses, [200, 503, 200, 503]);
    assert_eq!(sim.stats().await["injected5xx"], 2);

    let r = sim
        .http
        .delete(sim.url("/_sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for _ in 0..4 {
        assert_eq!(
            sim.get(&bot.token, "/v1/rooms").await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn fault_settings_with_a_zero_period_or_unknown_fields_are_refused() {
    let sim = Sim::start().await;
    let (status, _) = sim.control("faults", json!({"rateLimitEvery": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = sim.control("faults", json!({"rateLimitEvry": 2})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_second_download_is_locked_for_a_malware_scan_with_retry_after() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let form = reqwest::multipart::Form::new()
        .text("toPersonId", alice.id.clone())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"data".to_vec()).file_name("d.txt"),
        );
    let msg: Value = sim
        .http
        .post(sim.url("/v1/messages"))
        .bearer_auth(&bot.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = msg["files"][0].as_str().unwrap().to_owned();
    sim.control_ok(
        "faults",
        json!({"lockedEvery": 2, "retryAfter": "7", "paths": ["/v1/contents"]}),
    )
    .await;

    let mut statuses = vec![];
    for _ in 0..3 {
        let r = sim
            .http
            .get(&url)
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::LOCKED {
            assert_eq!(r.headers()["retry-after"], "7");
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 423, 200]);
    assert_eq!(sim.stats().await["injected423"], 1);
}
