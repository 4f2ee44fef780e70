//! The websocket transport as a person meets it, whatever transport the rest of the suite runs
//! on: commands answered once through a dropped connection, activities replayed after a
//! reconnect not answered again, a handshake answered 404 handled by a fresh registration, and
//! the device reused across restarts with stale registrations of the bot's name removed. The
//! faults are the Webex simulator's (`/_sim/websocket/faults`); each test asserts that its
//! fault fired.

use serde_json::{json, Value};
use slbot_bot::Transport;

use crate::harness::{only, sample, spawn_app_with, Options, TestApp};

const HELP_HEADLINE: &str = "**Here is what I can do:**";

async fn websocket_app() -> TestApp {
    spawn_app_with(Options {
        transport: Transport::Websocket,
        ..Options::default()
    })
    .await
}

async fn faults(app: &TestApp, faults: Value) {
    let response = app
        .http()
        .post(format!("{}/_sim/websocket/faults", app.webex_base()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// The bot's devices as the device service lists them to the bot.
async fn devices(app: &TestApp) -> Vec<Value> {
    let listed: Value = app
        .http()
        .get(format!("{}/wdm/api/v1/devices", app.webex_base()))
        .bearer_auth(&app.bot.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["devices"].as_array().cloned().unwrap_or_default()
}

/// A value of the bot's `/metrics` (the sample `name`, labels included).
async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.scrape().await;
    sample(&text, name).unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test]
async fn over_the_websocket_a_command_is_answered_once_and_readyz_and_metrics_show_the_connection()
{
    let app = websocket_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "help").await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);

    let ready = app.readiness().await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["transport"], "websocket", "{ready}");
    assert_eq!(ready["websocket"]["state"], "connected", "{ready}");
    assert_eq!(
        metric(&app, r#"slbot_websocket_state{state="connected"}"#).await,
        1.0
    );
    assert_eq!(
        metric(
            &app,
            r#"slbot_websocket_activities_total{outcome="accepted"}"#
        )
        .await,
        1.0
    );
    // No webhook was registered: nothing comes in twice.
    let hooks = app.registered_webhooks().await;
    assert_eq!(hooks["items"].as_array().map_or(0, Vec::len), 0, "{hooks}");
    let record = app.websocket_record().await;
    let device = &record["devices"][0];
    assert_eq!(device["name"], "slbot", "{record}");
    assert_eq!(
        device["unacked"], 0,
        "every activity acknowledged: {record}"
    );
}

#[tokio::test]
async fn a_websocket_dropped_mid_stream_loses_no_command_and_answers_none_twice() {
    let app = websocket_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    // The connection breaks right after the second of five activities is sent.
    faults(&app, json!({"dropAfterFrames": 2})).await;
    let since = app.last_seq().await;
    for _ in 0..5 {
        app.post(&alice, &room, "help", false, None).await;
    }
    app.settle().await;
    let replies = app.bot_messages(&room, since).await;
    assert_eq!(
        replies.len(),
        5,
        "five commands, five answers: {replies:#?}"
    );
    assert!(replies.iter().all(|r| r.headline() == HELP_HEADLINE));
    let record = app.websocket_record().await;
    assert_eq!(record["drops"], 1, "the drop fired: {record}");
    assert!(
        app.readiness().await["websocket"]["reconnects"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(app.readiness().await["websocket"]["state"], "connected");
}

#[tokio::test]
async fn an_activity_taken_but_not_acknowledged_before_the_connection_broke_is_replayed_and_not_answered_again(
) {
    let app = websocket_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    // The simulator breaks the connection when the first ack arrives, without taking it: the
    // bot had queued the command, and Webex sends it again after the reconnect.
    faults(&app, json!({"dropOnAck": 1})).await;
    let since = app.last_seq().await;
    let replies = app.say(&alice, &room, "help").await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);
    let record = app.websocket_record().await;
    assert!(
        record["devices"][0]["replayed"].as_u64().unwrap() >= 1,
        "the activity was replayed: {record}"
    );
    assert_eq!(
        metric(
            &app,
            r#"slbot_websocket_activities_total{outcome="repeated"}"#
        )
        .await,
        1.0,
        "and recognised as one already taken"
    );
    // Nothing more comes later either.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.settle().await;
    assert_eq!(app.bot_messages(&room, since).await.len(), 1);
}

#[tokio::test]
async fn a_handshake_answered_404_makes_the_bot_register_a_fresh_device_and_go_on() {
    let app = websocket_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let before = devices(&app).await;
    assert_eq!(before.len(), 1);
    // The next handshake answers 404 (the registration is gone); a drop forces one.
    faults(&app, json!({"handshake404": 1, "dropAfterFrames": 1})).await;
    let replies = app.say(&alice, &room, "help").await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);
    let replies = app.say(&alice, &room, "help").await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE, "and after it");
    let record = app.websocket_record().await;
    assert_eq!(record["handshake404s"], 1, "the 404 fired: {record}");
    let ready = app.readiness().await;
    assert_eq!(ready["websocket"]["reregistrations"], 1, "{ready}");
    let after = devices(&app).await;
    assert_eq!(after.len(), 1, "the stale one was removed: {after:#?}");
    assert_ne!(after[0]["url"], before[0]["url"], "a fresh registration");
}

#[tokio::test]
async fn a_restarted_bot_reuses_its_device_and_removes_stale_registrations_of_its_name() {
    let mut app = websocket_app().await;
    let first = devices(&app).await;
    assert_eq!(first.len(), 1);
    app.restart_bot().await;
    let again = devices(&app).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["url"], first[0]["url"], "the same registration");

    // Two registrations of its name left behind (say, by crashed runs), and one of another
    // client of the same account, which is not the bot's to remove.
    for name in ["slbot", "slbot", "someone-elses-client"] {
        let response = app
            .http()
            .post(format!("{}/wdm/api/v1/devices", app.webex_base()))
            .bearer_auth(&app.bot.token)
            .json(&json!({
                "deviceName": name, "deviceType": "DESKTOP", "localizedModel": "rust",
                "model": "rust", "name": name, "systemName": name, "systemVersion": "1",
            }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
    app.restart_bot().await;
    let names: Vec<String> = devices(&app)
        .await
        .iter()
        .map(|d| d["name"].as_str().unwrap_or("").to_string())
        .collect();
    let ours = names.iter().filter(|n| *n == "slbot").count();
    assert_eq!(ours, 1, "one registration of the bot's name: {names:?}");
    assert!(
        names.iter().any(|n| n == "someone-elses-client"),
        "{names:?}"
    );
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "help").await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);
}
