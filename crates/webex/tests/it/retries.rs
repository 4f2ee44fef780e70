//! 429/423 honour `Retry-After` (defensively), 5xx back off exponentially, attempts are bounded,
//! and errors carry Webex's trackingId. Every wait goes through the injected sleeper.

use std::time::Duration;

use serde_json::json;
use slbot_webex::WebexError;

use crate::harness::{client, message_json, Reply, Scripted};

fn rate_limited(retry_after: Option<&str>) -> Reply {
    let reply = Reply::json(
        429,
        json!({"message": "Too Many Requests", "trackingId": "ROUTER_429"}),
    );
    match retry_after {
        Some(v) => reply.header("retry-after", v),
        None => reply,
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test]
async fn each_429_waits_as_long_as_retry_after_says_or_the_default_when_it_is_unusable() {
    // Four 429s, then the message: needs 5 attempts, one more than the harness default.
    let cases = [
        (Some("2"), secs(2)),
        (Some("abc"), secs(5)),
        (None, secs(5)),
        (Some("-1"), secs(5)),
    ];
    for (header, expected_wait) in cases {
        let (server, origin) = Scripted::start(vec![
            rate_limited(header),
            Reply::json(200, message_json("M1", "R1", "hello")),
        ])
        .await;
        let (c, waits) = client(&origin);
        let m = c.get_message("M1").await.unwrap();
        assert_eq!(m.text.as_deref(), Some("hello"), "{header:?}");
        assert_eq!(waits.waits(), vec![expected_wait], "{header:?}");
        assert_eq!(server.seen().len(), 2, "{header:?}");
    }
}

#[tokio::test]
async fn a_huge_retry_after_is_capped_at_a_minute() {
    let (_server, origin) = Scripted::start(vec![
        rate_limited(Some("86400")),
        Reply::json(200, message_json("M1", "R1", "hello")),
    ])
    .await;
    let (c, waits) = client(&origin);
    c.get_message("M1").await.unwrap();
    assert_eq!(waits.waits(), vec![secs(60)]);
}

#[tokio::test]
async fn a_post_rate_limited_is_sent_again_after_the_wait() {
    let (server, origin) = Scripted::start(vec![
        rate_limited(Some("1")),
        rate_limited(Some("3")),
        Reply::json(200, message_json("M2", "R1", "hi")),
    ])
    .await;
    let (c, waits) = client(&origin);
    let m = c
        .create_message(&slbot_webex::NewMessage::to_room("R1").text("hi"))
        .await
        .unwrap();
    assert_eq!(m.id, "M2");
    assert_eq!(waits.waits(), vec![secs(1), secs(3)]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|s| s.json() == json!({"roomId": "R1", "text": "hi"})));
}

#[tokio::test]
async fn rate_limiting_on_every_attempt_gives_rate_limited_with_the_tracking_id() {
    let (server, origin) = Scripted::start(vec![rate_limited(Some("7"))]).await;
    let (c, waits) = client(&origin);
    let err = c.get_message("M1").await.unwrap_err();
    let WebexError::RateLimited {
        attempts,
        retry_after,
        ..
    } = &err
    else {
        panic!("expected RateLimited, got {err:?}");
    };
    assert_eq!(*attempts, 4);
    assert_eq!(*retry_after, secs(7));
    assert_eq!(err.tracking_id(), Some("ROUTER_429"));
    assert_eq!(err.status(), Some(429));
    assert_eq!(server.seen().len(), 4);
    assert_eq!(waits.waits(), vec![secs(7); 3]);
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_locked_file_is_retried_after_retry_after() {
    let (server, origin) = Scripted::start(vec![
        Reply::json(423, json!({"message": "File is being scanned"})).header("retry-after", "3"),
        Reply::json(200, message_json("M1", "R1", "report attached")),
    ])
    .await;
    let (c, waits) = client(&origin);
    let m = c.get_message("M1").await.unwrap();
    assert_eq!(m.text.as_deref(), Some("report attached"));
    assert_eq!(waits.waits(), vec![secs(3)]);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn server_errors_back_off_exponentially_then_succeed() {
    let (server, origin) = Scripted::start(vec![
        Reply::empty(503),
        Reply::json(500, json!({"message": "oops"})),
        Reply::empty(502),
        Reply::json(200, json!({"id": "BOT", "emails": ["slbot@webex.bot"], "displayName": "slbot", "orgId": "ORG", "type": "bot"})),
    ])
    .await;
    let (c, waits) = client(&origin);
    let me = c.me().await.unwrap();
    assert_eq!(me.emails, vec!["slbot@webex.bot".to_string()]);
    // Harness backoff: base 100 ms, doubled per failure.
    let expected: Vec<Duration> = [100, 200, 400].map(Duration::from_millis).to_vec();
    assert_eq!(waits.waits(), expected);
    assert_eq!(server.seen().len(), 4);
}

#[tokio::test]
async fn a_503_with_retry_after_waits_that_long_instead_of_backing_off() {
    let (_server, origin) = Scripted::start(vec![
        Reply::empty(503).header("retry-after", "4"),
        Reply::json(200, message_json("M1", "R1", "x")),
    ])
    .await;
    let (c, waits) = client(&origin);
    c.get_message("M1").await.unwrap();
    assert_eq!(waits.waits(), vec![secs(4)]);
}

#[tokio::test]
async fn server_errors_on_every_attempt_give_unavailable_with_the_tracking_id_header() {
    let (server, origin) =
        Scripted::start(vec![Reply::empty(500).header("TrackingID", "ROUTER_500")]).await;
    let (c, waits) = client(&origin);
    let err = c.get_person("P1").await.unwrap_err();
    assert!(
        matches!(err, WebexError::Unavailable { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(err.tracking_id(), Some("ROUTER_500"));
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.seen().len(), 4);
    let expected: Vec<Duration> = [100, 200, 400].map(Duration::from_millis).to_vec();
    assert_eq!(waits.waits(), expected);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_message_and_tracking_id() {
    let (server, origin) = Scripted::start(vec![Reply::json(
        404,
        json!({
            "message": "The requested resource could not be found.",
            "errors": [{"description": "The requested resource could not be found."}],
            "trackingId": "ROUTER_404"
        }),
    )])
    .await;
    let (c, waits) = client(&origin);
    let err = c.get_message("GONE").await.unwrap_err();
    assert!(matches!(err, WebexError::NotFound(_)), "{err:?}");
    assert_eq!(err.tracking_id(), Some("ROUTER_404"));
    assert_eq!(
        err.message(),
        Some("The requested resource could not be found.")
    );
    assert_eq!(server.seen().len(), 1);
    assert!(waits.waits().is_empty());
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_too_long_message_is_reported_as_too_long() {
    let (server, origin) = Scripted::start(vec![Reply::json(
        400,
        json!({
            "message": "Message length limited to 7439 characters before encryption and 10000 characters after encryption.",
            "errors": [{"description": "Message length limited to 7439 characters before encryption and 10000 characters after encryption."}],
            "trackingId": "ROUTER_400"
        }),
    )])
    .await;
    let (c, _) = client(&origin);
    let long = "x".repeat(8000);
    let err = c
        .create_message(&slbot_webex::NewMessage::to_room("R1").markdown(long.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, WebexError::TooLong(_)), "{err:?}");
    assert_eq!(err.tracking_id(), Some("ROUTER_400"));
    assert_eq!(server.seen()[0].json()["markdown"], json!(long));
}

#[tokio::test]
async fn another_400_is_a_bad_request() {
    let (_server, origin) = Scripted::start(vec![Reply::json(
        400,
        json!({"message": "Unable to parse roomId", "trackingId": "ROUTER_B"}),
    )])
    .await;
    let (c, _) = client(&origin);
    let err = c
        .create_message(&slbot_webex::NewMessage::to_room("nope").text("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, WebexError::BadRequest(_)), "{err:?}");
    assert_eq!(err.message(), Some("Unable to parse roomId"));
}

#[tokio::test]
async fn a_2xx_body_that_is_not_the_expected_json_is_bad_data() {
    let (_server, origin) = Scripted::start(vec![
        Reply::json(200, json!({"unexpected": true})).header("TrackingID", "ROUTER_OK")
    ])
    .await;
    let (c, _) = client(&origin);
    let err = c.get_message("M1").await.unwrap_err();
    assert!(matches!(err, WebexError::BadData { .. }), "{err:?}");
    assert_eq!(err.tracking_id(), Some("ROUTER_OK"));
}
