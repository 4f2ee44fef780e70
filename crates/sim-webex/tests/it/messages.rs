//! Messages: direct rooms, the length limit, threads, edits, deletes, errors.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slbot_sim_webex::TOO_LONG_MESSAGE;

use crate::harness::Sim;

#[tokio::test]
async fn a_message_to_a_person_email_opens_a_direct_room_and_the_next_one_reuses_it() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice Smith").await;

    let first: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonEmail": "Alice@Example.com", "text": "hi"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let second: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "text": "again"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["roomType"], "direct");
    assert_eq!(first["roomId"], second["roomId"]);

    let room_id = first["roomId"].as_str().unwrap();
    let room: Value = sim
        .get(&alice.token, &format!("/v1/rooms/{room_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(room["type"], "direct");
    // A direct room is titled with the other person's name.
    assert_eq!(room["title"], "Licensing Bot");

    let members: Value = sim
        .get(&bot.token, &format!("/v1/memberships?roomId={room_id}"))
        .await
        .json()
        .await
        .unwrap();
    let mut ids: Vec<&str> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["personId"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec![bot.id.as_str(), alice.id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);

    let listed: Value = sim
        .get(&alice.token, &format!("/v1/messages?roomId={room_id}"))
        .await
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["again", "hi"], "newest first");
}

#[tokio::test]
async fn a_text_of_exactly_7439_bytes_is_accepted_and_7440_bytes_are_refused_with_the_webex_sentence(
) {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    sim.person("alice@example.com", "Alice").await;
    // "€" is 3 bytes in UTF-8: 2,479 of them plus "ab" are 7,439 bytes but only 2,481 characters.
    let at_limit = format!("{}ab", "€".repeat(2479));
    assert_eq!(at_limit.len(), 7439);
    let over_by_one = format!("{at_limit}c");
    // Fewer characters than the limit, more bytes.
    let multibyte_over = "€".repeat(2480);
    assert_eq!(multibyte_over.chars().count(), 2480);

    let ok = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonEmail": "alice@example.com", "text": at_limit}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["text"].as_str().unwrap().len(), 7439);

    for field in ["text", "markdown"] {
        for value in [&over_by_one, &multibyte_over] {
            let r = sim
                .post(
                    &bot.token,
                    "/v1/messages",
                    json!({"toPersonEmail": "alice@example.com", field: value}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
            let tracking = r.headers()["trackingid"].to_str().unwrap().to_owned();
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["message"], TOO_LONG_MESSAGE);
            assert_eq!(
                body["message"],
                "Message length limited to 7439 characters before encryption and 10000 characters after encryption."
            );
            assert_eq!(body["errors"][0]["description"], TOO_LONG_MESSAGE);
            assert_eq!(body["trackingId"], tracking.as_str());
        }
    }
}

#[tokio::test]
async fn a_message_can_be_edited_ten_times_and_the_eleventh_edit_is_refused() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    sim.person("alice@example.com", "Alice").await;
    let msg: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonEmail": "alice@example.com", "text": "v0"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let (id, room) = (msg["id"].as_str().unwrap(), msg["roomId"].as_str().unwrap());
    for i in 1..=10 {
        let r = sim
            .put(
                &bot.token,
                &format!("/v1/messages/{id}"),
                json!({"roomId": room, "text": format!("v{i}")}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "edit {i}");
    }
    let r = sim
        .put(
            &bot.token,
            &format!("/v1/messages/{id}"),
            json!({"roomId": room, "text": "v11"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let now: Value = sim
        .get(&bot.token, &format!("/v1/messages/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["text"], "v10");
    assert!(now["updated"].is_string());
    assert_eq!(sim.stats().await["messagesEdited"], 10);
}

#[tokio::test]
async fn messages_with_a_card_or_a_file_cannot_be_edited_and_only_the_author_may_edit() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                      "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}});
    let with_card: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "markdown": "card", "attachments": [card]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let room = with_card["roomId"].as_str().unwrap();
    let form = reqwest::multipart::Form::new()
        .text("roomId", room.to_owned())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"a,b\n".to_vec())
                .file_name("x.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let with_file: Value = sim
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
    for msg in [&with_card, &with_file] {
        let r = sim
            .put(
                &bot.token,
                &format!("/v1/messages/{}", msg["id"].as_str().unwrap()),
                json!({"roomId": room, "text": "changed"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["message"],
            "Messages with files or cards cannot be edited."
        );
    }
    let plain: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"roomId": room, "text": "plain"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = sim
        .put(
            &alice.token,
            &format!("/v1/messages/{}", plain["id"].as_str().unwrap()),
            json!({"roomId": room, "text": "mine now"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reply_must_point_at_a_thread_root_not_at_another_reply() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let root: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "text": "root"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let room = root["roomId"].as_str().unwrap();
    let reply = sim
        .post(
            &alice.token,
            "/v1/messages",
            json!({"roomId": room, "text": "reply", "parentId": root["id"]}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::OK);
    let reply: Value = reply.json().await.unwrap();
    assert_eq!(reply["parentId"], root["id"]);
    let nested = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"roomId": room, "text": "nested", "parentId": reply["id"]}),
        )
        .await;
    assert_eq!(nested.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_deleted_message_is_gone_and_only_its_author_may_delete_it() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let msg: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "text": "oops"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/v1/messages/{}", msg["id"].as_str().unwrap());
    let r = sim
        .http
        .delete(sim.url(&path))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
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
    assert_eq!(sim.stats().await["messagesDeleted"], 1);
}

#[tokio::test]
async fn an_unknown_token_gets_a_webex_shaped_401_with_a_tracking_id() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let r = sim.get("not-a-token", "/v1/people/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let tracking = r.headers()["trackingid"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["trackingId"], tracking.as_str());
    assert!(body["errors"][0]["description"]
        .as_str()
        .unwrap()
        .contains("access token"));

    let me = sim.get(&bot.token, "/v1/people/me").await;
    assert!(me.headers().contains_key("trackingid"));
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], bot.id.as_str());
    assert_eq!(me["type"], "bot");
    assert_eq!(me["emails"], json!(["licensing@webex.bot"]));
    assert!(me["orgId"].is_string());
}

#[tokio::test]
async fn adding_someone_twice_to_a_group_room_is_a_conflict() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    sim.person("alice@example.com", "Alice").await;
    let room: Value = sim
        .post(&bot.token, "/v1/rooms", json!({"title": "Licensing"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(room["type"], "group");
    let add = json!({"roomId": room["id"], "personEmail": "alice@example.com"});
    assert_eq!(
        sim.post(&bot.token, "/v1/memberships", add.clone())
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        sim.post(&bot.token, "/v1/memberships", add).await.status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_card_needs_the_adaptive_card_content_type_and_a_message_carries_at_most_one() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard"}});
    let wrong = json!({"contentType": "application/json", "content": {}});
    for attachments in [json!([wrong]), json!([card.clone(), card.clone()])] {
        let r = sim
            .post(
                &bot.token,
                "/v1/messages",
                json!({"toPersonId": alice.id, "markdown": "x", "attachments": attachments}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{attachments}");
    }
    let r = sim
        .post(&bot.token, "/v1/messages", json!({"toPersonId": alice.id}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a message needs some content"
    );
    let r = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "roomId": "x", "text": "two destinations"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn messages_list_newest_first_by_max_and_can_keep_only_those_mentioning_me() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let room = sim.group("Team", &[&alice, &bot]).await;
    for i in 0..5 {
        let mut body = json!({"personId": alice.id, "roomId": room, "text": format!("m{i}")});
        if i % 2 == 0 {
            body["mentions"] = json!([bot.id]);
        }
        sim.control_ok("say", body).await;
    }
    let r = sim
        .get(&bot.token, &format!("/v1/messages?roomId={room}&max=2"))
        .await;
    assert!(r.headers().contains_key("link"));
    let page: Value = r.json().await.unwrap();
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Licensing m4", "m3"]);

    let mine: Value = sim
        .get(
            &bot.token,
            &format!("/v1/messages?roomId={room}&mentionedPeople=me"),
        )
        .await
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Licensing m4", "Licensing m2", "Licensing m0"]);

    let people: Value = sim
        .get(&bot.token, "/v1/people?email=alice@example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(people["items"][0]["id"], alice.id.as_str());
}
