//! The webhook endpoint: only signed Webex events are worked on, each once; the rest is
//! refused or ignored without a word posted anywhere.

use serde_json::{json, Value};

use crate::harness::{sample, sign, spawn_app, TestApp};

const WEBEX_FAILED: &str =
    "I couldn't read your message from Webex. Please send it again in a minute.";

fn envelope(resource: &str, event: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": "webhook-id", "name": "slbot-messages", "targetUrl": "http://bot",
        "resource": resource, "event": event, "orgId": "org", "createdBy": "x",
        "appId": "app", "ownedBy": "creator", "status": "active", "actorId": "actor",
        "data": data,
    }))
    .unwrap()
}

async fn deliver(app: &TestApp, body: Vec<u8>, signature: Option<String>) -> u16 {
    let mut request = app
        .http()
        .post(app.bot_url("/webhooks/webex"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("X-Spark-Signature", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn unsigned_tampered_oversized_and_non_json_deliveries_are_refused_and_nothing_is_posted() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    // An event for a message that does not exist: accepted, it makes the bot say so in the room.
    let forged = |id: &str| {
        envelope(
            "messages",
            "created",
            json!({"id": id, "roomId": room, "roomType": "direct", "personId": alice.id}),
        )
    };

    let body = forged("no-such-message-1");
    assert_eq!(deliver(&app, body.clone(), None).await, 401, "unsigned");
    let signature = sign(&body);
    let mut tampered = body.clone();
    let at = tampered.len() - 5;
    tampered[at] ^= 0x01;
    assert_eq!(
        deliver(&app, tampered, Some(signature)).await,
        401,
        "tampered"
    );
    let mut huge = forged("no-such-message-2");
    huge.extend(std::iter::repeat_n(b' ', 1024 * 1024 + 1));
    let huge_signature = sign(&huge);
    assert_eq!(
        deliver(&app, huge, Some(huge_signature)).await,
        413,
        "oversized"
    );
    let text = b"hello, bot".to_vec();
    let text_signature = sign(&text);
    assert_eq!(
        deliver(&app, text, Some(text_signature)).await,
        400,
        "not JSON"
    );
    app.settle().await;
    assert!(app.bot_messages(&room, 0).await.is_empty());
    assert_eq!(app.health().await["events"]["accepted"], 0);

    // The same forged event, correctly signed, is worked on: the refusals above were not luck.
    let body = forged("no-such-message-3");
    assert_eq!(deliver(&app, body.clone(), Some(sign(&body))).await, 200);
    app.settle().await;
    let posted = app.bot_messages(&room, 0).await;
    assert_eq!(posted.len(), 1, "{posted:#?}");
    assert_eq!(posted[0].markdown, WEBEX_FAILED);
}

#[tokio::test]
async fn a_repeated_delivery_is_answered_once() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "help", false, None).await;
    app.settle().await;
    assert_eq!(app.bot_messages(&room, said.seq).await.len(), 1);

    // Webex delivers the same event twice more.
    let body = envelope(
        "messages",
        "created",
        json!({"id": said.id, "roomId": room, "roomType": "direct", "personId": alice.id}),
    );
    for _ in 0..2 {
        assert_eq!(deliver(&app, body.clone(), Some(sign(&body))).await, 200);
    }
    app.settle().await;
    assert_eq!(app.bot_messages(&room, said.seq).await.len(), 1);
}

#[tokio::test]
async fn a_delivery_replayed_after_a_restart_is_not_answered_again() {
    let mut app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "help", false, None).await;
    app.settle().await;
    assert_eq!(app.bot_messages(&room, said.seq).await.len(), 1);

    // Someone captured the signed delivery and replays it to the redeployed bot.
    app.restart_bot().await;
    let body = envelope(
        "messages",
        "created",
        json!({"id": said.id, "roomId": room, "roomType": "direct", "personId": alice.id}),
    );
    assert_eq!(deliver(&app, body.clone(), Some(sign(&body))).await, 200);
    app.settle().await;
    assert_eq!(app.bot_messages(&room, said.seq).await.len(), 1);

    // The restarted bot still answers what is new.
    let again = app.say(&alice, &room, "help").await;
    assert_eq!(again.len(), 1);
}

#[tokio::test]
async fn events_of_other_resources_and_the_bots_own_messages_are_acknowledged_and_ignored() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "help", false, None).await;
    app.settle().await;
    let replies = app.bot_messages(&room, said.seq).await;
    assert_eq!(replies.len(), 1);
    let own = &replies[0];

    let membership = envelope(
        "memberships",
        "created",
        json!({"id": "membership-1", "roomId": room, "personId": alice.id}),
    );
    assert_eq!(
        deliver(&app, membership.clone(), Some(sign(&membership))).await,
        200
    );
    // The bot's own message, once with its id in the event and once only as the author.
    let own_with_id = envelope(
        "messages",
        "created",
        json!({"id": own.id, "roomId": room, "personId": app.bot.id}),
    );
    assert_eq!(
        deliver(&app, own_with_id.clone(), Some(sign(&own_with_id))).await,
        200
    );
    let edited = envelope(
        "messages",
        "updated",
        json!({"id": said.id, "roomId": room}),
    );
    assert_eq!(
        deliver(&app, edited.clone(), Some(sign(&edited))).await,
        200
    );
    let own_as_author = envelope("messages", "created", json!({"id": own.id, "roomId": room}));
    assert_eq!(
        deliver(&app, own_as_author.clone(), Some(sign(&own_as_author))).await,
        200
    );
    app.settle().await;
    assert_eq!(app.bot_messages(&room, said.seq).await.len(), 1);
}

#[tokio::test]
async fn health_and_readiness_answer_and_readiness_follows_webex() {
    let app = crate::harness::spawn_webhook_app().await;
    let health = app.health().await;
    assert_eq!(health["status"], "ok");
    let ready = app.http().get(app.bot_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready");

    // Webex failing: not ready, and the reason says so.
    app.webex_faults(json!({"fail5xxEvery": 1, "paths": "/v1/people/me"}))
        .await;
    let ready = app.http().get(app.bot_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "not ready");
    assert!(
        ready["reason"]
            .as_str()
            .unwrap()
            .starts_with("Webex is not reachable"),
        "{ready}"
    );
    app.webex_faults(json!({})).await;
    let ready = app.http().get(app.bot_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);

    // The registration at start put both webhooks in place, pointed at this bot.
    let hooks = app.registered_webhooks().await;
    let hooks = hooks["items"].as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    for hook in hooks {
        assert_eq!(hook["targetUrl"], app.bot_url("/webhooks/webex"));
        assert_eq!(hook["status"], "active");
    }
}

#[tokio::test]
async fn a_bot_on_v1_signing_says_in_its_health_that_the_token_is_unprotected_and_v2_says_nothing()
{
    let v2 = spawn_app().await;
    assert_eq!(v2.health().await["warnings"], json!([]));

    let v1 = crate::harness::spawn_app_with(crate::harness::Options {
        tweak: |s| s.signing_version = slbot_signing::Version::V1,
        ..Default::default()
    })
    .await;
    let health = v1.health().await;
    let warnings = health["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{health}");
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.starts_with("SLBOT_SIGNING_VERSION=v1"), "{warning}");
    assert!(
        warning.contains("does not protect the CSSM access token"),
        "{warning}"
    );
}

#[tokio::test]
async fn metrics_count_deliveries_by_outcome_and_commands_by_name_and_read_the_queue_from_the_store(
) {
    let app = crate::harness::spawn_webhook_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "expired", false, None).await;
    app.settle().await;
    // A second command is answered from the cache.
    app.say(&alice, &room, "usage").await;
    let body = envelope(
        "messages",
        "created",
        json!({"id": said.id, "roomId": room, "roomType": "direct", "personId": alice.id}),
    );
    assert_eq!(deliver(&app, body.clone(), Some(sign(&body))).await, 200);
    assert_eq!(deliver(&app, body.clone(), None).await, 401);
    assert_eq!(deliver(&app, b"{}".to_vec(), Some(sign(b"{}"))).await, 400);
    app.settle().await;

    let response = app
        .http()
        .get(app.bot_url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    let value = |name: &str| sample(&text, name).unwrap_or_else(|| panic!("no {name} in\n{text}"));
    assert_eq!(
        value(r#"slbot_webhook_deliveries_total{outcome="repeated"}"#),
        1.0
    );
    assert_eq!(
        value(r#"slbot_webhook_deliveries_total{outcome="unsigned"}"#),
        1.0
    );
    assert_eq!(
        value(r#"slbot_webhook_deliveries_total{outcome="malformed"}"#),
        1.0
    );
    // Alice's message, and the bot's own answers (delivered too, and ignored by the handler).
    assert!(value(r#"slbot_webhook_deliveries_total{outcome="accepted"}"#) >= 1.0);
    assert_eq!(
        value(r#"slbot_commands_total{command="expired",outcome="answered"}"#),
        1.0
    );
    assert_eq!(
        value(r#"slbot_command_duration_seconds_count{command="expired"}"#),
        1.0
    );
    assert_eq!(value("slbot_inventory_lookups_total"), 2.0);
    assert_eq!(
        value("slbot_inventory_fetches_total"),
        1.0,
        "the second was a cache hit"
    );
    assert_eq!(value("slbot_inventory_fetches_in_flight"), 0.0);
    assert!(value(r#"slbot_http_calls_seconds_count{service="cssm",class="2xx"}"#) >= 2.0);
    assert!(value(r#"slbot_http_calls_seconds_count{service="webex",class="2xx"}"#) >= 2.0);
    assert_eq!(value("slbot_queue_up"), 1.0);
    assert_eq!(value("slbot_queue_waiting"), 0.0);
    assert_eq!(value("slbot_queue_dead"), 0.0);
    assert_eq!(value("slbot_dead_letters_total"), 0.0);
    assert!(
        !text.contains(&alice.id) && !text.contains(&room),
        "no ids in metrics"
    );
}

async fn webhook_statuses(app: &TestApp) -> Vec<String> {
    let hooks = app.registered_webhooks().await;
    hooks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_string())
        .collect()
}

/// The bot's webhooks as Webex lists them to the bot.
async fn bot_webhooks(app: &TestApp) -> Vec<Value> {
    let hooks: Value = app
        .http()
        .get(format!("{}/v1/webhooks", app.webex_base()))
        .bearer_auth(&app.bot.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    hooks["items"].as_array().unwrap().clone()
}

/// Webex disables `hook` (as it does after failed deliveries); whether it took.
async fn disable_webhook(app: &TestApp, hook: &Value) -> bool {
    app.http()
        .put(format!(
            "{}/v1/webhooks/{}",
            app.webex_base(),
            hook["id"].as_str().unwrap()
        ))
        .bearer_auth(&app.bot.token)
        .json(&json!({"name": hook["name"], "targetUrl": hook["targetUrl"], "status": "inactive"}))
        .send()
        .await
        .unwrap()
        .status()
        .is_success()
}

#[tokio::test]
async fn only_the_replica_leading_the_webhook_job_repairs_a_webhook_webex_disabled() {
    let app = crate::harness::spawn_app_with(crate::harness::Options {
        tweak: |s| s.webhook_check_every = std::time::Duration::from_millis(100),
        transport: slbot_bot::Transport::Webhook,
        ..Default::default()
    })
    .await;
    // Another replica on the same bot store leads the webhook job.
    let other = slbot_notify::open(&app.bot_store_url()).await.unwrap();
    let lead = other
        .try_lead_for(
            slbot_notify::Singleton::Webhooks,
            slbot_base::Clock::now(app.clock.as_ref()),
        )
        .await
        .unwrap()
        .expect("the other replica leads");
    // Webex disables the messages webhook.
    let hook = bot_webhooks(&app)
        .await
        .into_iter()
        .find(|h| h["name"] == "slbot-messages")
        .unwrap();
    assert!(disable_webhook(&app, &hook).await, "the fault was injected");

    // This replica's keeper checks every 100 ms, but it does not lead: nothing changes.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(webhook_statuses(&app)
        .await
        .contains(&"inactive".to_string()));

    // The other replica gives the job up: this one takes it and re-enables the webhook.
    lead.release().await;
    app.wait_until(|| async { webhook_statuses(&app).await.iter().all(|s| s == "active") })
        .await;
}

#[tokio::test]
async fn licence_metrics_show_the_monitored_accounts_totals_only_to_a_scrape_with_the_token() {
    let off = spawn_app().await;
    let page = off
        .http()
        .get(off.bot_url("/metrics/licenses"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404, "off unless configured");

    let app = crate::harness::spawn_app_with(crate::harness::Options {
        env: vec![
            (
                "SLBOT_LICENSE_METRICS_CSSM_TOKEN",
                crate::harness::CSSM_TOKENS[0].to_string(),
            ),
            (
                "SLBOT_LICENSE_METRICS_SCRAPE_TOKEN",
                "scrape-secret".to_string(),
            ),
        ],
        ..Default::default()
    })
    .await;
    let scrape = |token: Option<&'static str>| {
        let mut request = app.http().get(app.bot_url("/metrics/licenses"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap() }
    };
    assert_eq!(scrape(None).await.status().as_u16(), 401);
    assert_eq!(scrape(Some("not-it")).await.status().as_u16(), 401);
    app.wait_until(|| async { scrape(Some("scrape-secret")).await.status().as_u16() == 200 })
        .await;
    let text = scrape(Some("scrape-secret")).await.text().await.unwrap();
    let sum = |name: &str| -> i64 {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as i64)
            .sum()
    };
    // Worked out from the simulator's data, not from the bot's reports.
    let records = app.dataset.records(0);
    let owned: i64 = records.iter().map(|r| r.quantity).sum();
    let used: i64 = records.iter().map(|r| r.in_use).sum();
    assert_eq!(sum("slbot_license_quantity"), owned, "{text}");
    assert_eq!(sum("slbot_license_in_use"), used);
    assert!(
        text.contains("slbot_license_days_to_next_expiry{"),
        "{text}"
    );
    assert!(!text.contains(crate::harness::CSSM_TOKENS[0]) && !text.contains("scrape-secret"));
}

#[tokio::test]
async fn a_worker_taking_over_an_event_posts_only_the_messages_the_dead_worker_had_not_posted() {
    // Enough licences in use for the list to come as a file after the headline.
    let mut options = crate::harness::Options::default();
    options.data.licenses_per_va = 40;
    let app = crate::harness::spawn_app_with(options).await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    // The whole answer to "usage": a headline, then the long list as a file.
    let texts = |posted: &[crate::harness::Posted]| -> Vec<String> {
        posted
            .iter()
            .filter(|p| !p.is_filter_card())
            .map(|p| p.markdown.clone())
            .collect()
    };
    let whole = texts(&app.say(&alice, &room, "usage").await);
    assert!(whole.len() >= 2, "{whole:#?}");

    // Webex stops delivering, so the next message reaches the bot only as the test delivers it.
    for hook in bot_webhooks(&app).await {
        assert!(disable_webhook(&app, &hook).await);
    }
    let said = app.post(&alice, &room, "usage", false, None).await;
    // A worker that died had posted the first message of its answer and recorded it.
    let store = slbot_notify::store::open(&app.bot_store_url())
        .await
        .unwrap();
    store
        .note_posted(&format!("posts:m:{}", said.id), 1, chrono::Utc::now())
        .await
        .unwrap();
    assert!(app.bot_messages(&room, said.seq).await.is_empty());

    // The event is worked on (again): only the rest of the answer is posted.
    let body = envelope(
        "messages",
        "created",
        json!({"id": said.id, "roomId": room, "roomType": "direct", "personId": alice.id}),
    );
    assert_eq!(deliver(&app, body.clone(), Some(sign(&body))).await, 200);
    app.settle().await;
    let rest = texts(&app.bot_messages(&room, said.seq).await);
    assert_eq!(rest, whole[1..].to_vec());
}
