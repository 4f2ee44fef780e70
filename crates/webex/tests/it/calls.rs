//! The shape of each call on the wire and the typed answers.

use axum::extract::Multipart;
use axum::routing::post;
use axum::Router;
use serde_json::json;
use slbot_webex::{
    Destination, FileUpload, Member, MessageEdit, NewFileMessage, NewMessage, RoomType, WebexError,
};
use std::sync::{Arc, Mutex};

use crate::harness::{client, message_json, serve, Reply, Scripted, TOKEN};

#[tokio::test]
async fn get_message_reads_the_fields_the_bot_needs() {
    let (server, origin) = Scripted::start(vec![Reply::json(
        200,
        json!({
            "id": "M1", "roomId": "R1", "roomType": "group", "text": "slbot expire 30",
            "html": "<p><spark-mention data-object-type=\"person\" data-object-id=\"BOT\">slbot</spark-mention> expire 30</p>",
            "personId": "P1", "personEmail": "ana@example.com", "mentionedPeople": ["BOT"],
            "created": "2026-11-28T10:00:00.000Z", "isVoiceClip": false
        }),
    )])
    .await;
    let (c, _) = client(&origin);
    let m = c.get_message("M1").await.unwrap();
    assert_eq!(m.room_type, Some(RoomType::Group));
    assert_eq!(m.mentioned_people, vec!["BOT".to_string()]);
    assert_eq!(m.person_email.as_deref(), Some("ana@example.com"));
    let seen = &server.seen()[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/v1/messages/M1");
    assert_eq!(
        seen.authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn a_json_message_carries_destination_markdown_fallback_thread_and_card() {
    let (server, origin) =
        Scripted::start(vec![Reply::json(200, message_json("M9", "DM1", "hi"))]).await;
    let (c, _) = client(&origin);
    let card = json!({"type": "AdaptiveCard", "version": "1.3", "body": []});
    let m = c
        .create_message(
            &NewMessage::to_person_id("P1")
                .markdown("**hi**")
                .text("hi")
                .in_thread("ROOT")
                .card(card.clone()),
        )
        .await
        .unwrap();
    assert_eq!(m.room_id, "DM1");
    let seen = &server.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({
            "toPersonId": "P1", "markdown": "**hi**", "text": "hi", "parentId": "ROOT",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]
        })
    );
}

#[tokio::test]
async fn a_message_with_nothing_to_say_is_refused_before_sending() {
    let (server, origin) = Scripted::start(vec![Reply::empty(200)]).await;
    let (c, _) = client(&origin);
    let err = c
        .create_message(&NewMessage::to_room("R1"))
        .await
        .unwrap_err();
    assert!(matches!(err, WebexError::InvalidInput(_)), "{err:?}");
    assert!(server.seen().is_empty());
}

#[derive(Debug, Default, Clone)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

#[tokio::test]
async fn a_file_upload_is_multipart_with_the_fields_and_exactly_one_files_part() {
    let parts: Arc<Mutex<Vec<Part>>> = Arc::default();
    let recorded = parts.clone();
    let origin = serve(Router::new().route(
        "/v1/messages",
        post(move |mut form: Multipart| {
            let recorded = recorded.clone();
            async move {
                while let Some(field) = form.next_field().await.unwrap() {
                    let part = Part {
                        name: field.name().unwrap_or_default().to_string(),
                        filename: field.file_name().map(String::from),
                        content_type: field.content_type().map(String::from),
                        bytes: Vec::new(),
                    };
                    let bytes = field.bytes().await.unwrap().to_vec();
                    recorded.lock().unwrap().push(Part { bytes, ..part });
                }
                axum::Json(message_json("MF", "R1", "report"))
            }
        }),
    ))
    .await;
    let (c, _) = client(&origin);
    let csv = b"license,count\nDNA Advantage,10\n".to_vec();
    let m = c
        .create_message_with_file(
            &NewFileMessage::new(
                Destination::Room("R1".into()),
                FileUpload::new("licenses.csv", "text/csv", csv.clone()),
            )
            .markdown("Your **license** report")
            .in_thread("ROOT"),
        )
        .await
        .unwrap();
    assert_eq!(m.id, "MF");
    let parts = parts.lock().unwrap().clone();
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8(p.bytes.clone()).unwrap())
    };
    assert_eq!(text("roomId").as_deref(), Some("R1"));
    assert_eq!(text("markdown").as_deref(), Some("Your **license** report"));
    assert_eq!(text("parentId").as_deref(), Some("ROOT"));
    assert_eq!(text("text"), None);
    let files: Vec<&Part> = parts.iter().filter(|p| p.name == "files").collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename.as_deref(), Some("licenses.csv"));
    assert_eq!(files[0].content_type.as_deref(), Some("text/csv"));
    assert_eq!(files[0].bytes, csv);
    assert_eq!(parts.len(), 4);
}

#[tokio::test]
async fn a_file_upload_retried_after_429_sends_the_whole_file_again() {
    let bodies: Arc<Mutex<Vec<usize>>> = Arc::default();
    let recorded = bodies.clone();
    let calls = Arc::new(Mutex::new(0));
    let origin = serve(Router::new().route(
        "/v1/messages",
        post(move |mut form: Multipart| {
            let recorded = recorded.clone();
            let calls = calls.clone();
            async move {
                let mut file_len = 0;
                while let Some(field) = form.next_field().await.unwrap() {
                    if field.name() == Some("files") {
                        file_len = field.bytes().await.unwrap().len();
                    }
                }
                recorded.lock().unwrap().push(file_len);
                let n = {
                    let mut c = calls.lock().unwrap();
                    *c += 1;
                    *c
                };
                if n == 1 {
                    axum::response::IntoResponse::into_response((
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "",
                    ))
                } else {
                    axum::response::IntoResponse::into_response(axum::Json(message_json(
                        "MF", "R1", "",
                    )))
                }
            }
        }),
    ))
    .await;
    let (c, waits) = client(&origin);
    let png = vec![0x89u8; 4096];
    c.create_message_with_file(&NewFileMessage::new(
        Destination::PersonId("P1".into()),
        FileUpload::new("chart.png", "image/png", png),
    ))
    .await
    .unwrap();
    assert_eq!(*bodies.lock().unwrap(), vec![4096, 4096]);
    assert_eq!(waits.waits(), vec![std::time::Duration::from_secs(1)]);
}

#[tokio::test]
async fn an_edit_is_a_put_with_room_and_new_markdown_and_a_delete_is_a_delete() {
    let (server, origin) = Scripted::start(vec![
        Reply::json(200, message_json("M1", "R1", "new")),
        Reply::empty(204),
    ])
    .await;
    let (c, _) = client(&origin);
    let m = c
        .edit_message("M1", &MessageEdit::markdown("R1", "*new*"))
        .await
        .unwrap();
    assert_eq!(m.text.as_deref(), Some("new"));
    c.delete_message("M1").await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].path, "/v1/messages/M1");
    assert_eq!(seen[0].json(), json!({"roomId": "R1", "markdown": "*new*"}));
    assert_eq!(seen[1].method, "DELETE");
    assert_eq!(seen[1].path, "/v1/messages/M1");
}

#[tokio::test]
async fn people_me_and_people_by_id_read_org_and_emails() {
    let (server, origin) = Scripted::start(vec![
        Reply::json(200, json!({"id": "BOT", "emails": ["slbot@webex.bot"], "displayName": "slbot", "orgId": "ORG0", "type": "bot"})),
        Reply::json(200, json!({"id": "P1", "emails": ["ana@example.com"], "displayName": "Ana", "orgId": "ORG1", "type": "person", "status": "active"})),
    ])
    .await;
    let (c, _) = client(&origin);
    let me = c.me().await.unwrap();
    assert_eq!(me.kind.as_deref(), Some("bot"));
    let p = c.get_person("P1").await.unwrap();
    assert_eq!(p.org_id.as_deref(), Some("ORG1"));
    assert_eq!(p.display_name.as_deref(), Some("Ana"));
    let paths: Vec<String> = server.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(paths, vec!["/v1/people/me", "/v1/people/P1"]);
}

#[tokio::test]
async fn an_id_with_slashes_stays_one_path_segment() {
    let (server, origin) =
        Scripted::start(vec![Reply::json(200, json!({"id": "a/b", "emails": []}))]).await;
    let (c, _) = client(&origin);
    c.get_person("a/b").await.unwrap();
    assert_eq!(server.seen()[0].path, "/v1/people/a%2Fb");
}

#[tokio::test]
async fn rooms_can_be_read_created_and_listed_by_type() {
    let (server, origin) = Scripted::start(vec![
        Reply::json(
            200,
            json!({"id": "R1", "title": "Licensing", "type": "group", "isLocked": false}),
        ),
        Reply::json(
            200,
            json!({"id": "R2", "title": "New space", "type": "group"}),
        ),
        Reply::json(200, json!({"items": [{"id": "R3", "type": "direct"}]})),
    ])
    .await;
    let (c, _) = client(&origin);
    assert_eq!(
        c.get_room("R1").await.unwrap().title.as_deref(),
        Some("Licensing")
    );
    assert_eq!(c.create_room("New space").await.unwrap().id, "R2");
    let rooms = c.list_rooms(Some(RoomType::Direct)).await.unwrap();
    assert_eq!(rooms[0].room_type, Some(RoomType::Direct));
    let seen = server.seen();
    assert_eq!(seen[1].json(), json!({"title": "New space"}));
    assert_eq!(seen[2].query.as_deref(), Some("max=100&type=direct"));
}

#[tokio::test]
async fn adding_a_member_twice_is_a_conflict() {
    let (server, origin) = Scripted::start(vec![
        Reply::json(200, json!({"id": "MEM1", "roomId": "R1", "personId": "P1", "personEmail": "ana@example.com"})),
        Reply::json(409, json!({"message": "User is already a participant", "trackingId": "ROUTER_409"})),
    ])
    .await;
    let (c, _) = client(&origin);
    let m = c
        .create_membership("R1", &Member::PersonEmail("ana@example.com".into()))
        .await
        .unwrap();
    assert_eq!(m.person_id, "P1");
    let err = c
        .create_membership("R1", &Member::PersonId("P1".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, WebexError::Conflict(_)), "{err:?}");
    let seen = server.seen();
    assert_eq!(
        seen[0].json(),
        json!({"roomId": "R1", "personEmail": "ana@example.com"})
    );
    assert_eq!(seen[1].json(), json!({"roomId": "R1", "personId": "P1"}));
}

#[tokio::test]
async fn an_attachment_action_brings_the_card_inputs() {
    let (server, origin) = Scripted::start(vec![Reply::json(
        200,
        json!({"id": "A1", "type": "submit", "messageId": "M1", "personId": "P1", "roomId": "R1",
               "inputs": {"days": "30", "action": "expire"}, "created": "2026-11-28T10:00:00.000Z"}),
    )])
    .await;
    let (c, _) = client(&origin);
    let a = c.get_attachment_action("A1").await.unwrap();
    assert_eq!(a.inputs.get("days"), Some(&json!("30")));
    assert_eq!(a.message_id.as_deref(), Some("M1"));
    assert_eq!(server.seen()[0].path, "/v1/attachment/actions/A1");
}
