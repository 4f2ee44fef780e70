//! Webhooks: who is notified, the signed envelope, and disabling after repeated failures.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slbot_sim_webex::SimConfig;

use crate::harness::{hmac_sha1_hex, Sim, Target};

#[test]
fn the_tests_own_hmac_matches_rfc_2202() {
    assert_eq!(
        hmac_sha1_hex(b"Jefe", b"what do ya want for nothing?"),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
}

#[tokio::test]
async fn a_group_message_reaches_the_bot_only_when_it_mentions_the_bot_signed_and_without_text() {
    let sim = Sim::start().await;
    let target = Target::start(200).await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice Smith").await;
    let bob = sim.person("bob@example.com", "Bob").await;
    let room = sim.group("Licensing team", &[&alice, &bot, &bob]).await;
    let hook = sim
        .webhook(&bot, &target.url, "messages", Some("s3cret"))
        .await;

    sim.control_ok(
        "say",
        json!({"personId": alice.id, "roomId": room, "text": "morning all"}),
    )
    .await;
    sim.control_ok(
        "say",
        json!({"personId": alice.id, "roomId": room, "text": "hey bob", "mentions": [bob.id]}),
    )
    .await;
    sim.state().drain_deliveries().await;
    assert!(
        target.received().is_empty(),
        "no mention of the bot, no delivery"
    );

    let said = sim
        .control_ok("say", json!({"personId": alice.id, "roomId": room, "text": "expire 30", "mentions": [bot.id]}))
        .await;
    sim.state().drain_deliveries().await;
    let got = target.received();
    assert_eq!(got.len(), 1);
    let signature = got[0].headers["x-spark-signature"].to_str().unwrap();
    assert_eq!(signature, hmac_sha1_hex(b"s3cret", &got[0].body));

    let envelope = got[0].json();
    assert_eq!(envelope["id"], hook["id"]);
    assert_eq!(envelope["resource"], "messages");
    assert_eq!(envelope["event"], "created");
    assert_eq!(envelope["createdBy"], bot.id.as_str());
    assert_eq!(envelope["actorId"], alice.id.as_str());
    assert_eq!(envelope["status"], "active");
    for key in ["name", "orgId", "appId", "ownedBy"] {
        assert!(envelope[key].is_string(), "{key}");
    }
    let data = &envelope["data"];
    assert_eq!(data["id"], said["id"]);
    assert_eq!(data["roomId"], room.as_str());
    assert_eq!(data["roomType"], "group");
    assert_eq!(data["personId"], alice.id.as_str());
    assert_eq!(data["personEmail"], "alice@example.com");
    assert_eq!(data["mentionedPeople"], json!([bot.id]));
    assert!(data["created"].is_string());
    assert!(
        data.get("text").is_none() && data.get("markdown").is_none() && data.get("html").is_none()
    );
    let raw = String::from_utf8(got[0].body.to_vec()).unwrap();
    assert!(
        !raw.contains("expire 30"),
        "the body carries no text: {raw}"
    );

    // The bot reads the text itself.
    let msg: Value = sim
        .get(
            &bot.token,
            &format!("/v1/messages/{}", said["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(msg["text"], "Licensing expire 30");
    assert_eq!(sim.stats().await["webhookDeliveriesOk"], 1);
}

#[tokio::test]
async fn every_direct_message_reaches_the_bot_but_not_the_bots_own_and_no_secret_means_no_signature(
) {
    let sim = Sim::start().await;
    let target = Target::start(204).await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    sim.webhook(&bot, &target.url, "messages", None).await;

    sim.control_ok(
        "say",
        json!({"personId": alice.id, "toPersonId": bot.id, "text": "help"}),
    )
    .await;
    sim.post(
        &bot.token,
        "/v1/messages",
        json!({"toPersonId": alice.id, "text": "Here is help"}),
    )
    .await;
    sim.state().drain_deliveries().await;
    let got = target.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"]["personId"], alice.id.as_str());
    assert_eq!(got[0].json()["data"]["roomType"], "direct");
    assert!(!got[0].headers.contains_key("x-spark-signature"));
}

#[tokio::test]
async fn a_webhook_whose_target_fails_100_times_within_five_minutes_turns_inactive_until_reenabled()
{
    let sim = Sim::start().await;
    let target = Target::start(500).await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let hook = sim.webhook(&bot, &target.url, "messages", Some("k")).await;
    let hook_path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
    let say = json!({"personId": alice.id, "toPersonId": bot.id, "text": "hi"});

    for _ in 0..99 {
        sim.control_ok("say", say.clone()).await;
        sim.clock.advance(chrono::Duration::seconds(1));
    }
    sim.state().drain_deliveries().await;
    let status: Value = sim.get(&bot.token, &hook_path).await.json().await.unwrap();
    assert_eq!(status["status"], "active", "99 failures are not enough");

    sim.control_ok("say", say.clone()).await;
    sim.state().drain_deliveries().await;
    let status: Value = sim.get(&bot.token, &hook_path).await.json().await.unwrap();
    assert_eq!(status["status"], "inactive");
    let stats = sim.stats().await;
    assert_eq!(stats["webhookDeliveriesFailed"], 100);
    assert_eq!(stats["webhooksDisabled"], 1);

    sim.control_ok("say", say.clone()).await;
    sim.state().drain_deliveries().await;
    assert_eq!(
        target.received().len(),
        100,
        "an inactive webhook gets nothing"
    );

    let r = sim
        .put(
            &bot.token,
            &hook_path,
            json!({"name": "bot", "targetUrl": target.url, "status": "active"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    sim.control_ok("say", say).await;
    sim.state().drain_deliveries().await;
    assert_eq!(target.received().len(), 101);
}

#[tokio::test]
async fn failures_spread_wider_than_the_window_do_not_disable_a_webhook() {
    let sim = Sim::start_with(SimConfig {
        webhook_failure_limit: 3,
        ..SimConfig::default()
    })
    .await;
    let target = Target::start(503).await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let hook = sim.webhook(&bot, &target.url, "messages", None).await;
    let hook_path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
    let say = json!({"personId": alice.id, "toPersonId": bot.id, "text": "hi"});
    let status = |v: Value| v["status"].as_str().unwrap().to_owned();

    for _ in 0..2 {
        sim.control_ok("say", say.clone()).await;
    }
    sim.state().drain_deliveries().await;
    sim.clock.advance(chrono::Duration::minutes(5));
    for _ in 0..2 {
        sim.control_ok("say", say.clone()).await;
    }
    sim.state().drain_deliveries().await;
    assert_eq!(
        status(sim.get(&bot.token, &hook_path).await.json().await.unwrap()),
        "active"
    );

    sim.control_ok("say", say).await;
    sim.state().drain_deliveries().await;
    assert_eq!(
        status(sim.get(&bot.token, &hook_path).await.json().await.unwrap()),
        "inactive"
    );
}

#[tokio::test]
async fn a_webhook_put_may_change_only_name_target_secret_and_status() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let hook = sim
        .webhook(&bot, "http://127.0.0.1:9/hook", "messages", Some("old"))
        .await;
    let path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
    let r = sim
        .put(&bot.token, &path, json!({"name": "n", "targetUrl": "http://127.0.0.1:9/x", "resource": "attachmentActions"}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = sim
        .put(&bot.token, &path, json!({"name": "renamed", "targetUrl": "http://127.0.0.1:9/x", "secret": "new", "resource": "messages"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = sim.get(&bot.token, &path).await.json().await.unwrap();
    assert_eq!(got["name"], "renamed");
    assert_eq!(got["targetUrl"], "http://127.0.0.1:9/x");
    assert_eq!(got["secret"], "new");
    assert_eq!(got["resource"], "messages");
    let list: Value = sim
        .get(&bot.token, "/v1/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let r = sim
        .http
        .delete(sim.url(&path))
        .bearer_auth(&bot.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        sim.get(&bot.token, &path).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_webhook_with_an_unsupported_resource_filter_or_target_is_refused() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let cases = [
        json!({"name": "n", "targetUrl": "http://127.0.0.1:9/h", "resource": "rooms", "event": "created"}),
        json!({"name": "n", "targetUrl": "http://127.0.0.1:9/h", "resource": "messages", "event": "created", "filter": "colour=red"}),
        json!({"name": "n", "targetUrl": "not a url", "resource": "messages", "event": "created"}),
        json!({"name": "n", "targetUrl": "ftp://127.0.0.1/h", "resource": "messages", "event": "created"}),
    ];
    for body in cases {
        let r = sim.post(&bot.token, "/v1/webhooks", body.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn a_webhook_filtered_to_one_room_ignores_messages_elsewhere() {
    let sim = Sim::start().await;
    let target = Target::start(200).await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let watched = sim.group("Watched", &[&alice, &bot]).await;
    let other = sim.group("Other", &[&alice, &bot]).await;
    let r = sim
        .post(&bot.token, "/v1/webhooks", json!({"name": "n", "targetUrl": target.url, "resource": "messages",
                                                  "event": "all", "filter": format!("roomId={watched}")}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for room in [&other, &watched] {
        sim.control_ok(
            "say",
            json!({"personId": alice.id, "roomId": room, "text": "hi", "mentions": [bot.id]}),
        )
        .await;
    }
    sim.state().drain_deliveries().await;
    let got = target.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"]["roomId"], watched.as_str());
}
