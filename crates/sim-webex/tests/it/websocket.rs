//! Devices and the device websocket: registration, the catalog, authorization, activities for
//! messages and card submits, acks, replays and the websocket faults. The client side is
//! tokio-tungstenite used directly (the simulator must not depend on the Webex client crate).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::{Person, Sim};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A guard against a hang, not a wait for timing: every awaited frame is already due.
const GUARD: Duration = Duration::from_secs(10);

/// The uuid inside a REST id, decoded here independently of the simulator.
fn uuid_in(rest_id: &str) -> String {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(rest_id).unwrap()).unwrap();
    text.rsplit('/').next().unwrap().to_owned()
}

async fn register(sim: &Sim, who: &Person, name: &str) -> Value {
    let r = sim
        .post(
            &who.token,
            "/wdm/api/v1/devices",
            json!({
                "deviceName": name, "deviceType": "DESKTOP", "localizedModel": "rust",
                "model": "rust", "name": name, "systemName": "test", "systemVersion": "1",
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn devices(sim: &Sim, who: &Person) -> Vec<Value> {
    let r = sim.get(&who.token, "/wdm/api/v1/devices").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["devices"].as_array().unwrap().clone()
}

async fn delete(sim: &Sim, who: &Person, device: &Value) -> StatusCode {
    sim.http
        .delete(device["url"].as_str().unwrap())
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Opens the device's websocket and authorizes with `token`.
async fn connect(device: &Value, token: &str) -> Ws {
    let url = device["webSocketUrl"].as_str().unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let auth = json!({"id": "auth-1", "type": "authorization", "data": {"token": format!("Bearer {token}")}});
    ws.send(Message::text(auth.to_string())).await.unwrap();
    ws
}

/// The next text frame, as JSON.
async fn frame(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(GUARD, ws.next())
            .await
            .expect("a frame within the guard")
            .expect("the connection is open")
            .expect("the frame is readable");
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

async fn ack(ws: &mut Ws, frame: &Value) {
    let ack = json!({"type": "ack", "messageId": frame["id"]});
    ws.send(Message::text(ack.to_string())).await.unwrap();
}

async fn status(sim: &Sim) -> Value {
    sim.control_get("websocket").await
}

/// Waits until `GET /_sim/websocket` satisfies `ok` (the server applies an ack or a close as
/// it reads it, after the client's send returned).
async fn status_until(sim: &Sim, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        let s = status(sim).await;
        if ok(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "status never matched: {s}"
        );
        tokio::task::yield_now().await;
    }
}

async fn say_to(sim: &Sim, from: &Person, to: &Person, text: &str) -> Value {
    sim.control_ok(
        "say",
        json!({"personId": from.id, "toPersonId": to.id, "text": text}),
    )
    .await
}

#[tokio::test]
async fn a_device_is_registered_listed_and_deleted_by_its_owner_only() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let device = register(&sim, &bot, "slbot").await;
    let url = device["url"].as_str().unwrap();
    let uuid = url.rsplit('/').next().unwrap();
    assert_eq!(url, sim.url(&format!("/wdm/api/v1/devices/{uuid}")));
    let ws_base = sim.base().replacen("http://", "ws://", 1);
    assert_eq!(
        device["webSocketUrl"],
        format!("{ws_base}/mercury/ws/{uuid}")
    );
    assert_eq!(device["name"], "slbot");
    assert_eq!(device["deviceType"], "DESKTOP");

    assert_eq!(devices(&sim, &bot).await, vec![device.clone()]);
    assert!(devices(&sim, &alice).await.is_empty());
    assert_eq!(delete(&sim, &alice, &device).await, StatusCode::NOT_FOUND);
    assert_eq!(delete(&sim, &bot, &device).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(&sim, &bot, &device).await, StatusCode::NOT_FOUND);
    assert!(devices(&sim, &bot).await.is_empty());
}

#[tokio::test]
async fn the_catalog_points_at_the_device_registry_and_needs_a_token() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let anonymous = sim
        .http
        .get(sim.url("/u2c/api/v1/catalog?format=hostmap"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let r = sim
        .get(&bot.token, "/u2c/api/v1/catalog?format=hostmap")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["serviceLinks"]["wdm"], sim.url("/wdm/api/v1"));
    let devices = sim.http.get(sim.url("/wdm/api/v1/devices")).send().await;
    assert_eq!(devices.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_websocket_authorized_with_someone_elses_token_is_closed_with_4401() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &alice.token).await;
    let closed = tokio::time::timeout(GUARD, ws.next()).await.unwrap();
    match closed {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.code, CloseCode::from(4401)),
        other => panic!("expected a 4401 close, got {other:?}"),
    }
    assert_eq!(status(&sim).await["devices"][0]["connected"], false);
}

#[tokio::test]
async fn a_direct_message_reaches_the_bots_device_as_a_post_activity_but_its_own_do_not() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &bot.token).await;
    status_until(&sim, |s| s["devices"][0]["connected"] == true).await;

    // The bot's own message to Alice queues nothing for the bot.
    say_to(&sim, &bot, &alice, "hello").await;
    assert_eq!(status(&sim).await["devices"][0]["unacked"], 0);

    let msg = say_to(&sim, &alice, &bot, "status").await;
    let f = frame(&mut ws).await;
    assert!(f["id"].is_string());
    assert!(f["timestamp"].is_i64());
    let data = &f["data"];
    assert_eq!(data["eventType"], "conversation.activity");
    let a = &data["activity"];
    assert_eq!(a["verb"], "post");
    assert_eq!(a["objectType"], "activity");
    assert_eq!(a["id"], uuid_in(msg["id"].as_str().unwrap()));
    assert_eq!(a["actor"]["id"], uuid_in(&alice.id));
    assert_eq!(a["actor"]["entryUUID"], uuid_in(&alice.id));
    assert_eq!(a["actor"]["objectType"], "person");
    assert_eq!(a["actor"]["emailAddress"], "alice@example.com");
    assert_eq!(a["target"]["id"], uuid_in(msg["roomId"].as_str().unwrap()));
    assert_eq!(a["target"]["objectType"], "conversation");
    assert_eq!(a["target"]["tags"], json!(["ONE_ON_ONE"]));
    assert_eq!(a["published"], msg["created"]);
}

#[tokio::test]
async fn a_message_with_a_file_is_a_share_activity() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &bot.token).await;
    sim.control_ok(
        "say",
        json!({"personId": alice.id, "toPersonId": bot.id, "text": "import",
               "file": {"filename": "licences.csv", "text": "a,b\n"}}),
    )
    .await;
    let f = frame(&mut ws).await;
    assert_eq!(f["data"]["activity"]["verb"], "share");
}

#[tokio::test]
async fn a_bot_in_a_group_room_gets_an_activity_only_when_mentioned() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let room = sim.group("Licensing", &[&alice, &bot]).await;
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &bot.token).await;
    sim.control_ok(
        "say",
        json!({"personId": alice.id, "roomId": room, "text": "lunch?"}),
    )
    .await;
    assert_eq!(status(&sim).await["devices"][0]["unacked"], 0);
    let msg = sim
        .control_ok(
            "say",
            json!({"personId": alice.id, "roomId": room, "text": "status", "mentions": [bot.id]}),
        )
        .await;
    let f = frame(&mut ws).await;
    assert_eq!(
        f["data"]["activity"]["id"],
        uuid_in(msg["id"].as_str().unwrap())
    );
    assert_eq!(f["data"]["activity"]["target"]["tags"], json!([]));
}

#[tokio::test]
async fn a_card_submit_reaches_the_card_authors_device_as_a_card_action() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let card = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "text": "pick", "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}}]}),
        )
        .await;
    assert_eq!(card.status(), StatusCode::OK);
    let card: Value = card.json().await.unwrap();
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &bot.token).await;
    let action = sim
        .control_ok(
            "submit",
            json!({"personId": alice.id, "messageId": card["id"], "inputs": {"days": "30"}}),
        )
        .await;
    let f = frame(&mut ws).await;
    let a = &f["data"]["activity"];
    assert_eq!(a["verb"], "cardAction");
    assert_eq!(a["id"], uuid_in(action["id"].as_str().unwrap()));
    assert_eq!(a["actor"]["id"], uuid_in(&alice.id));
    assert_eq!(a["target"]["id"], uuid_in(card["roomId"].as_str().unwrap()));
}

#[tokio::test]
async fn an_acked_frame_is_gone_and_an_unacked_one_is_replayed_to_the_next_connection() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let device = register(&sim, &bot, "slbot").await;
    // Queued while no connection is open: sent when one opens.
    say_to(&sim, &alice, &bot, "one").await;
    say_to(&sim, &alice, &bot, "two").await;
    assert_eq!(status(&sim).await["devices"][0]["unacked"], 2);

    let mut ws = connect(&device, &bot.token).await;
    let first = frame(&mut ws).await;
    let second = frame(&mut ws).await;
    assert_ne!(first["id"], second["id"]);
    ack(&mut ws, &first).await;
    status_until(&sim, |s| s["devices"][0]["acked"] == 1).await;
    ws.close(None).await.unwrap();
    status_until(&sim, |s| s["devices"][0]["connected"] == false).await;

    let mut again = connect(&device, &bot.token).await;
    let replayed = frame(&mut again).await;
    assert_eq!(replayed, second);
    ack(&mut again, &replayed).await;
    let s = status_until(&sim, |s| s["devices"][0]["unacked"] == 0).await;
    let d = &s["devices"][0];
    assert_eq!(d["sent"], 3);
    assert_eq!(d["acked"], 2);
    assert_eq!(d["replayed"], 1);
    assert_eq!(s["connections"], 2);
}

#[tokio::test]
async fn a_newer_connection_replaces_the_older_and_pings_are_answered() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let device = register(&sim, &bot, "slbot").await;
    let mut old = connect(&device, &bot.token).await;
    status_until(&sim, |s| s["devices"][0]["connected"] == true).await;
    let mut new = connect(&device, &bot.token).await;
    match tokio::time::timeout(GUARD, old.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.code, CloseCode::from(4000)),
        other => panic!("expected the old connection closed, got {other:?}"),
    }
    new.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    match tokio::time::timeout(GUARD, new.next()).await.unwrap() {
        Some(Ok(Message::Pong(p))) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
}

#[tokio::test]
async fn the_drop_fault_ends_the_connection_without_a_close_frame_and_the_frame_is_replayed() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &bot.token).await;
    sim.control_ok("websocket/faults", json!({"dropAfterFrames": 1}))
        .await;
    say_to(&sim, &alice, &bot, "status").await;
    let dropped = frame(&mut ws).await;
    match tokio::time::timeout(GUARD, ws.next()).await.unwrap() {
        Some(Err(WsError::Protocol(_))) | Some(Err(WsError::Io(_))) | None => {}
        other => panic!("expected an abrupt end, got {other:?}"),
    }
    let s = status_until(&sim, |s| s["devices"][0]["connected"] == false).await;
    assert_eq!(s["drops"], 1);
    assert_eq!(s["devices"][0]["unacked"], 1);
    assert_eq!(sim.control_get("websocket/faults").await, json!({}));

    let mut again = connect(&device, &bot.token).await;
    assert_eq!(frame(&mut again).await, dropped);
}

#[tokio::test]
async fn the_handshake_fault_answers_404_for_a_known_device_then_clears() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let device = register(&sim, &bot, "slbot").await;
    let url = device["webSocketUrl"].as_str().unwrap();
    sim.control_ok("websocket/faults", json!({"handshake404": 1}))
        .await;
    match tokio_tungstenite::connect_async(url).await {
        Err(WsError::Http(r)) => assert_eq!(r.status(), 404),
        other => panic!("expected a 404 handshake, got {:?}", other.map(|_| ())),
    }
    let s = status(&sim).await;
    assert_eq!(s["handshake404s"], 1);
    assert_eq!(s["connections"], 0);
    let _ws = connect(&device, &bot.token).await;
    assert_eq!(status(&sim).await["connections"], 1);

    let unknown = format!("{}/mercury/ws/00000000-0000-4000-8000-000000000000", {
        let (base, _) = url.rsplit_once("/mercury/").unwrap();
        base.to_owned()
    });
    match tokio_tungstenite::connect_async(unknown).await {
        Err(WsError::Http(r)) => assert_eq!(r.status(), 404),
        other => panic!("expected a 404 handshake, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn deleting_a_device_closes_its_live_connection() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let device = register(&sim, &bot, "slbot").await;
    let mut ws = connect(&device, &bot.token).await;
    status_until(&sim, |s| s["devices"][0]["connected"] == true).await;
    assert_eq!(delete(&sim, &bot, &device).await, StatusCode::NO_CONTENT);
    match tokio::time::timeout(GUARD, ws.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(f.code, CloseCode::from(4000)),
        other => panic!("expected the connection closed, got {other:?}"),
    }
}
