//! The websocket transport against the Webex simulator: discovering the device service, keeping
//! one device registration, opening the websocket, reading activities as REST ids the REST API
//! accepts, acking, replays after a dropped connection, and a 404 handshake.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_sim_webex::{spawn, SimConfig, SimHandle};
use slbot_webex::{
    ActivityKind, ConnectError, Device, Incoming, Mercury, WebexClient, DEVICE_NAME,
};
use url::Url;

use crate::harness::settings;

/// A guard against a hang, not a wait for timing: every awaited frame is already due.
const GUARD: Duration = Duration::from_secs(10);

struct World {
    sim: SimHandle,
    http: reqwest::Client,
    bot: WebexClient,
    bot_id: String,
    bot_token: String,
    alice_id: String,
}

impl World {
    async fn start() -> World {
        let (_, sim) = spawn(SimConfig::default()).await.unwrap();
        let http = reqwest::Client::new();
        let base = sim.state().public_base().to_owned();
        let create = |email: &str, kind: &str| {
            http.post(format!("{base}/_sim/people"))
                .json(&json!({"email": email, "displayName": email, "type": kind}))
                .send()
        };
        let bot: Value = create("slbot@webex.bot", "bot")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let alice: Value = create("alice@example.com", "person")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let bot_token = bot["token"].as_str().unwrap().to_owned();
        let client = WebexClient::new(
            &sim.api_url(),
            SecretString::from(bot_token.clone()),
            settings(),
        )
        .unwrap();
        World {
            http,
            bot: client,
            bot_id: bot["person"]["id"].as_str().unwrap().to_owned(),
            bot_token,
            alice_id: alice["person"]["id"].as_str().unwrap().to_owned(),
            sim,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.state().public_base())
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(self.url(&format!("/_sim/{path}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}");
        r.json().await.unwrap()
    }

    async fn status(&self) -> Value {
        self.http
            .get(self.url("/_sim/websocket"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the simulator's websocket status satisfies `ok` (it applies an ack as it
    /// reads it, after the client's send returned).
    async fn status_until(&self, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + GUARD;
        loop {
            let s = self.status().await;
            if ok(&s) {
                return s;
            }
            assert!(tokio::time::Instant::now() < deadline, "never: {s}");
            tokio::task::yield_now().await;
        }
    }

    async fn alice_says(&self, text: &str) -> Value {
        self.control(
            "say",
            json!({"personId": self.alice_id, "toPersonId": self.bot_id, "text": text}),
        )
        .await
    }

    async fn wdm(&self) -> Url {
        self.bot
            .discover_wdm(&self.url("/u2c/api/v1"))
            .await
            .unwrap()
    }
}

async fn next(m: &mut Mercury) -> Incoming {
    tokio::time::timeout(GUARD, m.next())
        .await
        .expect("a frame within the guard")
        .expect("the websocket works")
        .expect("the websocket is open")
}

#[tokio::test]
async fn the_device_service_is_found_in_the_catalog() {
    let w = World::start().await;
    assert_eq!(w.wdm().await.as_str(), w.url("/wdm/api/v1"));
}

#[tokio::test]
async fn ensure_device_registers_once_then_reuses_it_and_deletes_stale_duplicates() {
    let w = World::start().await;
    let wdm = w.wdm().await;
    let first = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    assert_eq!(first.name, DEVICE_NAME);
    let again = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(w.bot.list_devices(&wdm).await.unwrap(), vec![first.clone()]);

    // An earlier run left a second registration behind, and another program has its own.
    let newer = w.bot.register_device(&wdm, DEVICE_NAME).await.unwrap();
    let other = w.bot.register_device(&wdm, "other").await.unwrap();
    let kept = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    assert_eq!(kept, newer, "the newest registration is reused");
    let left: Vec<Device> = w.bot.list_devices(&wdm).await.unwrap();
    assert_eq!(left, vec![newer, other]);
}

#[tokio::test]
async fn replace_device_deletes_the_stale_one_even_when_already_gone_and_registers_anew() {
    let w = World::start().await;
    let wdm = w.wdm().await;
    let stale = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    let fresh = w
        .bot
        .replace_device(&wdm, DEVICE_NAME, &stale)
        .await
        .unwrap();
    assert_ne!(fresh.url, stale.url);
    assert_eq!(w.bot.list_devices(&wdm).await.unwrap(), vec![fresh.clone()]);
    // Deleting it twice is not an error (Webex may have expired it already).
    let third = w
        .bot
        .replace_device(&wdm, DEVICE_NAME, &stale)
        .await
        .unwrap();
    assert_eq!(w.bot.list_devices(&wdm).await.unwrap(), vec![fresh, third]);
}

#[tokio::test]
async fn a_message_and_a_card_submit_arrive_as_rest_ids_the_rest_api_accepts() {
    let w = World::start().await;
    let wdm = w.wdm().await;
    let device = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    let mut m = w.bot.open_websocket(&device).await.unwrap();

    let said = w.alice_says("status").await;
    let i = next(&mut m).await;
    let a = i.activity.clone().expect("a message activity");
    assert_eq!(a.kind, ActivityKind::Message);
    assert_eq!(a.rest_id, said["id"].as_str().unwrap());
    assert_eq!(a.room_id.as_deref(), said["roomId"].as_str());
    assert_eq!(a.person_id.as_deref(), Some(w.alice_id.as_str()));
    assert_eq!(a.person_email.as_deref(), Some("alice@example.com"));
    let read = w.bot.get_message(&a.rest_id).await.unwrap();
    assert_eq!(read.text.as_deref(), Some("status"));
    m.ack(&i.ack_id).await.unwrap();
    w.status_until(|s| s["devices"][0]["acked"] == 1).await;

    let card = w
        .http
        .post(format!("{}/messages", w.sim.api_url()))
        .bearer_auth(&w.bot_token)
        .json(
            &json!({"toPersonId": w.alice_id, "text": "pick", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}}]}),
        )
        .send()
        .await
        .unwrap();
    let card: Value = card.json().await.unwrap();
    let submitted = w
        .control(
            "submit",
            json!({"personId": w.alice_id, "messageId": card["id"], "inputs": {"days": "30"}}),
        )
        .await;
    let i = next(&mut m).await;
    let a = i.activity.clone().expect("a card action");
    assert_eq!(a.kind, ActivityKind::CardAction);
    assert_eq!(a.rest_id, submitted["id"].as_str().unwrap());
    let action = w.bot.get_attachment_action(&a.rest_id).await.unwrap();
    assert_eq!(action.message_id.as_deref(), card["id"].as_str());
    m.ack(&i.ack_id).await.unwrap();
    let s = w.status_until(|s| s["devices"][0]["unacked"] == 0).await;
    assert_eq!(s["devices"][0]["acked"], 2);
}

#[tokio::test]
async fn a_dropped_connection_is_an_error_and_the_unacked_frame_is_replayed_after_reconnecting() {
    let w = World::start().await;
    let wdm = w.wdm().await;
    let device = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    let mut m = w.bot.open_websocket(&device).await.unwrap();
    w.control("websocket/faults", json!({"dropAfterFrames": 1}))
        .await;
    w.alice_says("status").await;
    let first = next(&mut m).await;
    let broke = tokio::time::timeout(GUARD, m.next()).await.unwrap();
    assert!(broke.is_err(), "{broke:?}");
    assert_eq!(w.status().await["drops"], 1);

    let mut again = w.bot.open_websocket(&device).await.unwrap();
    let replayed = next(&mut again).await;
    assert_eq!(replayed, first);
    again.ack(&replayed.ack_id).await.unwrap();
    let s = w.status_until(|s| s["devices"][0]["unacked"] == 0).await;
    assert_eq!(s["devices"][0]["replayed"], 1);
}

#[tokio::test]
async fn a_404_handshake_is_not_found_and_a_replaced_device_connects() {
    let w = World::start().await;
    let wdm = w.wdm().await;
    let device = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    w.control("websocket/faults", json!({"handshake404": 1}))
        .await;
    let refused = w.bot.open_websocket(&device).await.unwrap_err();
    assert!(matches!(refused, ConnectError::NotFound), "{refused:?}");
    assert_eq!(w.status().await["handshake404s"], 1);

    let fresh = w
        .bot
        .replace_device(&wdm, DEVICE_NAME, &device)
        .await
        .unwrap();
    // The deleted registration is unknown now: 404 without any fault.
    let gone = w.bot.open_websocket(&device).await.unwrap_err();
    assert!(matches!(gone, ConnectError::NotFound), "{gone:?}");
    let mut m = w.bot.open_websocket(&fresh).await.unwrap();
    w.alice_says("status").await;
    assert!(next(&mut m).await.activity.is_some());
}

#[tokio::test]
async fn a_websocket_authorized_with_a_token_that_does_not_own_the_device_ends_with_4401() {
    let w = World::start().await;
    let wdm = w.wdm().await;
    let device = w.bot.ensure_device(&wdm, DEVICE_NAME).await.unwrap();
    let token: Value = w.control("tokens", json!({"personId": w.alice_id})).await;
    let alice = WebexClient::new(
        &w.sim.api_url(),
        SecretString::from(token["token"].as_str().unwrap().to_owned()),
        settings(),
    )
    .unwrap();
    let mut m = alice.open_websocket(&device).await.unwrap();
    let end = tokio::time::timeout(GUARD, m.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end, None);
    assert_eq!(m.close_code(), Some(4401));
    let shown = format!("{m:?}");
    assert!(!shown.contains(token["token"].as_str().unwrap()), "{shown}");
}

#[tokio::test]
async fn a_wss_handshake_with_a_server_that_does_not_speak_tls_fails_without_panicking() {
    // Exercises the TLS set-up (rustls on ring with the webpki roots) without a network.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        if let Ok((mut s, _)) = listener.accept().await {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let (c, _) = crate::harness::client("http://127.0.0.1:9");
    let device = Device {
        url: "http://127.0.0.1:9/wdm/api/v1/devices/d1".into(),
        web_socket_url: format!("wss://localhost:{port}/mercury/ws/d1"),
        name: DEVICE_NAME.into(),
        device_type: None,
        creation_time: None,
    };
    let err = c.open_websocket(&device).await.unwrap_err();
    assert!(matches!(err, ConnectError::Failed(_)), "{err:?}");
    assert!(!err.to_string().contains(crate::harness::TOKEN));
}
