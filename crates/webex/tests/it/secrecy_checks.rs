//! The bot token never shows in Debug or Display of the client or of any error.

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use slbot_webex::{ClientSettings, WebexError};

use crate::harness::{client, serve, Reply, Scripted, MAX_BODY_BYTES, TOKEN};

#[tokio::test]
async fn the_client_debug_output_has_no_token() {
    let (c, _) = client("http://127.0.0.1:9");
    let shown = format!("{c:?} {:#?}", c);
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("http://127.0.0.1:9/v1"), "{shown}");
    let shown = format!("{:?}", ClientSettings::default());
    assert!(!shown.contains(TOKEN));
}

#[tokio::test]
async fn a_refused_token_error_names_the_problem_but_not_the_token() {
    let (server, origin) = Scripted::start(vec![Reply::json(
        401,
        serde_json::json!({"message": "The request requires a valid access token set in the Authorization request header.", "trackingId": "ROUTER_401"}),
    )])
    .await;
    let (c, _) = client(&origin);
    let err = c.me().await.unwrap_err();
    // The token really was sent, so its absence below means something.
    assert_eq!(
        server.seen()[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(matches!(err, WebexError::Unauthorized(_)), "{err:?}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("ROUTER_401"), "{shown}");
    }
}

#[tokio::test]
async fn a_connection_failure_error_has_no_token() {
    // Bind and drop a listener so the port is (almost certainly) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (c, waits) = client(&format!("http://127.0.0.1:{port}"));
    let err = c.get_message("M1").await.unwrap_err();
    assert!(
        matches!(err, WebexError::Transport { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(waits.waits().len(), 3, "connection failures are retried");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("GET /v1/messages/M1"), "{shown}");
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_token_stays_with_webex() {
    let elsewhere_hits = Arc::new(Mutex::new(0usize));
    let hits = elsewhere_hits.clone();
    let elsewhere = serve(Router::new().fallback(move || {
        let hits = hits.clone();
        async move {
            *hits.lock().unwrap() += 1;
            "{}"
        }
    }))
    .await;
    let (_server, origin) = Scripted::start(vec![
        Reply::empty(302).header("location", &format!("{elsewhere}/v1/people/me"))
    ])
    .await;
    let (c, _) = client(&origin);
    let err = c.me().await.unwrap_err();
    assert!(matches!(err, WebexError::Unexpected(_)), "{err:?}");
    assert_eq!(err.status(), Some(302));
    assert_eq!(*elsewhere_hits.lock().unwrap(), 0);
}

/// Every log line of this test binary, from the one global subscriber.
///
/// A global subscriber rather than `set_default`: with thread-scoped subscribers, tests running
/// on other threads can leave the client's log callsites cached as uninteresting, and lines
/// go missing at random.
fn global_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::default());
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || LogWriter(logs))
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test sets a global subscriber");
        logs
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failure_is_logged_at_warn_with_its_tracking_id_and_without_the_token() {
    let logs = global_logs();
    let (_server, origin) = Scripted::start(vec![
        Reply::empty(503).header("TrackingID", "LOGTEST_RETRY"),
        Reply::json(
            403,
            serde_json::json!({"message": "not a member", "trackingId": "LOGTEST_403"}),
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let err = c.get_room("R1").await.unwrap_err();
    assert!(matches!(err, WebexError::Forbidden(_)), "{err:?}");
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    // Lines of every test running meanwhile are here too: none may show the token.
    assert!(!text.contains(TOKEN), "{text}");
    let warn_line = text
        .lines()
        .find(|l| l.contains("LOGTEST_403"))
        .unwrap_or_else(|| panic!("the failure was not logged: {text}"));
    assert!(warn_line.contains("WARN"), "{warn_line}");
    let retry_line = text
        .lines()
        .find(|l| l.contains("LOGTEST_RETRY"))
        .unwrap_or_else(|| panic!("the retried 503 was not logged: {text}"));
    assert!(retry_line.contains("INFO"), "{retry_line}");
}

#[tokio::test]
async fn an_oversized_answer_fails_cleanly_without_the_token_and_is_not_retried() {
    let huge = format!("{{\"id\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    let calls = Arc::new(Mutex::new(0usize));
    let counted = Arc::clone(&calls);
    let router = Router::new().route(
        "/v1/people/me",
        axum::routing::get(move || {
            let huge = huge.clone();
            let counted = Arc::clone(&counted);
            async move {
                *counted.lock().unwrap() += 1;
                (
                    [
                        ("content-type", "application/json"),
                        ("trackingid", "ROUTER_BIG"),
                    ],
                    huge,
                )
            }
        }),
    );
    let origin = serve(router).await;
    let (c, waits) = client(&origin);
    let err = c.me().await.unwrap_err();
    assert!(matches!(err, WebexError::BadData { .. }), "{err:?}");
    assert_eq!(*calls.lock().unwrap(), 1);
    assert!(waits.waits().is_empty());
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("larger than 65536 bytes"), "{shown}");
        assert!(shown.contains("GET /v1/people/me"), "{shown}");
    }
}

#[tokio::test]
async fn an_answer_just_under_the_limit_is_read() {
    let name = "y".repeat(MAX_BODY_BYTES - 200);
    let body = serde_json::json!({"id": "P1", "emails": ["a@example.com"], "displayName": name})
        .to_string();
    assert!(body.len() < MAX_BODY_BYTES);
    let router = Router::new().route(
        "/v1/people/me",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let origin = serve(router).await;
    let (c, _) = client(&origin);
    let me = c.me().await.unwrap();
    assert_eq!(me.id, "P1");
}
