//! The control API: people speak, submit cards, and the web chat follows events.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{Sim, Target};

#[tokio::test]
async fn say_with_a_mention_builds_text_html_and_markdown_like_a_webex_client() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice Smith").await;
    let room = sim.group("Team", &[&alice, &bot]).await;
    let said = sim
        .control_ok("say", json!({"personId": alice.id, "roomId": room, "text": "expire 30", "mentions": [bot.id]}))
        .await;
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
    assert_eq!(
        msg["markdown"],
        format!("<@personId:{}|Licensing> expire 30", bot.id)
    );
    assert_eq!(
        msg["html"],
        format!("<p><spark-mention data-object-type=\"person\" data-object-id=\"{}\">Licensing</spark-mention> expire 30</p>", bot.id)
    );
    assert_eq!(msg["mentionedPeople"], json!([bot.id]));
    assert_eq!(msg["personEmail"], "alice@example.com");
    assert_eq!(msg["roomType"], "group");
    assert_eq!(said["personDisplayName"], "Alice Smith");
}

#[tokio::test]
async fn a_card_submit_is_delivered_to_the_cards_author_and_its_inputs_are_read_back() {
    let sim = Sim::start().await;
    let target = Target::start(200).await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    sim.webhook(&bot, &target.url, "attachmentActions", Some("s"))
        .await;
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                      "content": {"type": "AdaptiveCard", "version": "1.3",
                                  "body": [{"type": "Input.Number", "id": "days"}],
                                  "actions": [{"type": "Action.Submit", "data": {"cmd": "expire"}}]}});
    let msg: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "markdown": "Pick days", "attachments": [card]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(msg["attachments"][0]["content"]["version"], "1.3");

    let (status, _) = sim
        .control(
            "submit",
            json!({"personId": alice.id, "messageId": "nope", "inputs": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let action = sim
        .control_ok("submit", json!({"personId": alice.id, "messageId": msg["id"], "inputs": {"days": "30", "cmd": "expire"}}))
        .await;
    sim.state().drain_deliveries().await;
    let got = target.received();
    assert_eq!(got.len(), 1);
    let envelope = got[0].json();
    assert_eq!(envelope["resource"], "attachmentActions");
    assert_eq!(envelope["data"]["id"], action["id"]);
    assert_eq!(envelope["data"]["type"], "submit");
    assert_eq!(envelope["data"]["messageId"], msg["id"]);
    assert_eq!(envelope["data"]["personId"], alice.id.as_str());
    assert!(envelope["data"].get("inputs").is_none());

    let read: Value = sim
        .get(
            &bot.token,
            &format!("/v1/attachment/actions/{}", action["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["inputs"], json!({"days": "30", "cmd": "expire"}));
    assert_eq!(read["roomId"], msg["roomId"]);
    assert_eq!(read["type"], "submit");
}

#[tokio::test]
async fn the_room_history_lists_messages_oldest_first_with_file_links_and_cards() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let first = sim
        .control_ok(
            "say",
            json!({"personId": alice.id, "toPersonId": bot.id, "text": "hello"}),
        )
        .await;
    let room = first["roomId"].as_str().unwrap();
    let form = reqwest::multipart::Form::new()
        .text("roomId", room.to_owned())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"x".to_vec())
                .file_name("r.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    sim.http
        .post(sim.url("/v1/messages"))
        .bearer_auth(&bot.token)
        .multipart(form)
        .send()
        .await
        .unwrap();

    let all = sim.control_get(&format!("rooms/{room}/messages")).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["text"], "hello");
    assert_eq!(items[1]["fileLinks"][0]["filename"], "r.csv");
    assert_eq!(items[1]["fileLinks"][0]["contentType"], "text/csv");
    assert_eq!(items[1]["fileLinks"][0]["size"], 1);
    let since = items[0]["seq"].as_u64().unwrap();
    let newer = sim
        .control_get(&format!("rooms/{room}/messages?since={since}"))
        .await;
    assert_eq!(newer["items"].as_array().unwrap().len(), 1);

    let rooms = sim.control_get(&format!("people/{}/rooms", alice.id)).await;
    assert_eq!(rooms["items"][0]["id"], room);
    assert_eq!(rooms["items"][0]["members"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_waiting_event_poll_is_answered_by_the_next_message() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let first = sim
        .control_ok(
            "say",
            json!({"personId": alice.id, "toPersonId": bot.id, "text": "one"}),
        )
        .await;
    let seq = first["seq"].as_u64().unwrap();

    // Nothing new yet: a zero timeout answers at once, empty.
    let now = sim
        .control_get(&format!("events?since={seq}&timeout=0"))
        .await;
    assert_eq!(now["events"], json!([]));

    let http = sim.http.clone();
    let url = sim.url(&format!(
        "/_sim/events?since={seq}&personId={}&timeout=60",
        alice.id
    ));
    let poll = tokio::spawn(async move {
        http.get(url)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    sim.post(
        &bot.token,
        "/v1/messages",
        json!({"toPersonId": alice.id, "text": "two"}),
    )
    .await;
    let got = poll.await.unwrap();
    let events = got["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "messageCreated");
    assert_eq!(events[0]["message"]["text"], "two");
    assert_eq!(got["lastSeq"], events[0]["seq"]);
}

#[tokio::test]
async fn people_with_a_known_email_are_a_conflict_and_tokens_can_be_added() {
    let sim = Sim::start().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let (status, body) = sim
        .control(
            "people",
            json!({"email": "ALICE@example.com", "displayName": "A"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["message"].is_string());
    let second = sim
        .control_ok("tokens", json!({"personId": alice.id}))
        .await;
    let me: Value = sim
        .get(second["token"].as_str().unwrap(), "/v1/people/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], alice.id.as_str());
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_refused_so_no_other_web_page_can_act_as_a_person() {
    let sim = Sim::start().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let bot = sim.bot().await;
    // What a page on another origin can send without a CORS preflight.
    let forged = sim
        .http
        .post(sim.url("/_sim/say"))
        .header("content-type", "text/plain")
        .body(json!({"personId": alice.id, "toPersonId": bot.id, "text": "sign out"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        sim.handle.state().stats().messages_created,
        0,
        "nothing was said"
    );
}
