//! Property ("fuzz") tests of the webhook endpoint, the bot's one untrusted input: any bytes
//! with any `X-Spark-Signature`, the signature check itself, and signed bodies of any shape;
//! plus the mention removal that the message text goes through next.
//!
//! The endpoint is the real [`app`] router with its real signature check, parser,
//! deduplication and queue, called in process (no socket) over a sink that does nothing.
//! Every property runs a fixed budget ([`CASES`], or `PROPTEST_CASES` when set) of bounded
//! inputs, each request under a timeout so a hang fails the case instead of stalling CI.
//! A failing case is shrunk, saved in `tests/proptest-regressions/fuzz.txt` and replayed
//! first on every later run. The seed corpus (`tests/corpus/webhook/`) runs in full every
//! time. Expected outcomes come from a naive reading of the body written here.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use axum::Router;
use futures::future::BoxFuture;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{TestCaseResult, TestRunner};
use secrecy::SecretString;
use serde_json::Value;
use slbot_bot::events::Job;
use slbot_bot::mention::{strip_own_mention, Identity};
use slbot_bot::queue::{Dispatcher, EventSink, Workers};
use slbot_bot::service::{app, Readiness, ServiceState};
use slbot_webex::{sign_body, verify_signature};
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;
const SECRET: &[u8] = b"fuzz-webhook-secret";
/// How long one delivery may take: generous, it only catches hangs.
const LIMIT: Duration = Duration::from_secs(10);

fn budget() -> ProptestConfig {
    // `default()` reads the PROPTEST_* variables and persists failures next to the source.
    let config = ProptestConfig {
        source_file: Some(file!()),
        // A hang costs LIMIT per shrinking step: stop shrinking after a minute.
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config
    } else {
        ProptestConfig {
            cases: CASES,
            ..config
        }
    }
}

/// Runs `test` on the budget's cases of `strategy`; fails with the shrunk input.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> TestCaseResult) {
    let mut runner = TestRunner::new(budget());
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("{failure}\n{runner}");
    }
}

/// The seed corpus of `target`: (file name, bytes), in name order.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let corpus: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    assert!(corpus.len() >= 10, "the {target} corpus is too small");
    corpus
}

// ----- the endpoint, in process ---------------------------------------------------------------

struct Sink;

impl EventSink for Sink {
    fn handle(self: Arc<Self>, _job: Job) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
    fn busy(self: Arc<Self>, _job: Job) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

struct Ready;

impl Readiness for Ready {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

struct Endpoint {
    rt: Runtime,
    router: Router,
    dispatcher: Dispatcher,
    _workers: Workers,
}

impl Endpoint {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (dispatcher, workers) = {
            let _inside = rt.enter();
            Dispatcher::start(Arc::new(Sink), 1, 1024)
        };
        let state = ServiceState::new(
            SecretString::from(String::from_utf8_lossy(SECRET).into_owned()),
            dispatcher.clone(),
            Arc::new(Ready),
        );
        Endpoint {
            rt,
            router: app(Arc::new(state)),
            dispatcher,
            _workers: workers,
        }
    }

    /// Events queued so far.
    fn queued(&self) -> u64 {
        self.dispatcher.stats.accepted.load(Ordering::Acquire)
    }

    /// POSTs `body` to `/webhooks/webex` with `signature` as `X-Spark-Signature`; the status.
    fn deliver(&self, body: Vec<u8>, signature: Option<HeaderValue>) -> u16 {
        let mut request =
            Request::post("/webhooks/webex").header("content-type", "application/json");
        if let Some(signature) = signature {
            request = request.header("x-spark-signature", signature);
        }
        let request = request.body(Body::from(body)).unwrap();
        let answer = self.rt.block_on(async {
            tokio::time::timeout(LIMIT, self.router.clone().oneshot(request)).await
        });
        match answer {
            Ok(Ok(response)) => response.status().as_u16(),
            Ok(Err(never)) => match never {},
            Err(_) => panic!("the delivery took more than {LIMIT:?}"),
        }
    }
}

fn signed(body: &[u8]) -> HeaderValue {
    HeaderValue::from_str(&sign_body(SECRET, body)).unwrap()
}

// ----- generators -----------------------------------------------------------------------------

const TEXTS: &[&str] = &[
    "",
    " ",
    "messages",
    "attachmentActions",
    "created",
    "CREATED",
    "deleted",
    "memberships",
    "rooms",
    "\u{0}",
    "\u{feff}messages",
    "İ",
    "👍🏽",
    "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(TEXTS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A text field of an envelope: mostly a string, sometimes null, missing or of another type.
fn text_field() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => "[A-Za-z0-9]{1,12}".prop_map(|s| Some(Value::from(s))),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => json_value().prop_map(Some),
    ]
}

/// A webhook envelope as Webex sends it (with its other fields), or a near miss of one.
fn envelope() -> impl Strategy<Value = Value> {
    let resource = prop_oneof![
        4 => select(&["messages", "attachmentActions"][..]).prop_map(|s| Some(Value::from(s))),
        1 => select(TEXTS).prop_map(|s| Some(Value::from(s))),
        1 => text_field(),
    ];
    let event = prop_oneof![
        4 => Just(Some(Value::from("created"))),
        1 => select(TEXTS).prop_map(|s| Some(Value::from(s))),
        1 => text_field(),
    ];
    let data_fields = prop::collection::vec(
        (
            select(
                &[
                    "roomId",
                    "roomType",
                    "personId",
                    "personEmail",
                    "messageId",
                    "created",
                    "mentionedPeople",
                ][..],
            ),
            text_field(),
        ),
        0..5,
    );
    let data = prop_oneof![
        6 => (text_field(), data_fields).prop_map(|(id, fields)| {
            let mut data = serde_json::Map::new();
            if let Some(id) = id {
                data.insert("id".into(), id);
            }
            for (key, value) in fields {
                if let Some(value) = value {
                    data.insert(key.into(), value);
                }
            }
            Some(Value::Object(data))
        }),
        1 => Just(None),
        1 => json_leaf().prop_map(Some),
    ];
    let extra = prop::collection::btree_map(
        prop_oneof![
            select(
                &[
                    "id",
                    "name",
                    "targetUrl",
                    "orgId",
                    "createdBy",
                    "appId",
                    "ownedBy",
                    "status",
                    "actorId",
                    "created"
                ][..]
            )
            .prop_map(String::from),
            "\\PC{0,8}",
        ],
        json_value(),
        0..5,
    );
    (resource, event, data, extra).prop_map(|(resource, event, data, extra)| {
        let mut envelope: serde_json::Map<String, Value> = extra.into_iter().collect();
        for (key, value) in [("resource", resource), ("event", event), ("data", data)] {
            match value {
                Some(value) => {
                    envelope.insert(key.into(), value);
                }
                None => {
                    envelope.remove(key);
                }
            }
        }
        Value::Object(envelope)
    })
}

/// Bodies: arbitrary bytes, an envelope as text (sometimes cut short or with one byte
/// changed), deep nesting.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..1024),
        3 => envelope().prop_map(|e| e.to_string().into_bytes()),
        1 => (envelope(), any::<Index>()).prop_map(|(e, at)| {
            let mut bytes = e.to_string().into_bytes();
            bytes.truncate(at.index(bytes.len() + 1));
            bytes
        }),
        1 => (envelope(), any::<Index>(), 1u8..=255).prop_map(|(e, at, x)| {
            let mut bytes = e.to_string().into_bytes();
            let i = at.index(bytes.len());
            bytes[i] ^= x;
            bytes
        }),
        1 => (1usize..3000, select(&["[", "{\"data\":", "{\"resource\":\"messages\",\"data\":["][..]))
            .prop_map(|(n, open)| open.repeat(n).into_bytes()),
    ]
}

/// A header value that is not the body's signature: any visible text, hex of the right
/// length, the signature of other bytes or with another secret, or bytes that are no text.
fn wrong_signature(body: &[u8]) -> impl Strategy<Value = Option<HeaderValue>> {
    let body = body.to_vec();
    let other_body = body.clone();
    let truncated = sign_body(SECRET, &body);
    prop_oneof![
        Just(None),
        "[ -~]{0,80}".prop_map(|s| HeaderValue::from_str(&s).ok()),
        "[0-9a-f]{40}".prop_map(|s| HeaderValue::from_str(&s).ok()),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(move |mut other| {
            other.push(0x01);
            other.extend_from_slice(&other_body);
            Some(signed(&other))
        }),
        prop::collection::vec(any::<u8>(), 1..32).prop_map(move |secret| {
            let mut secret = secret;
            secret.extend_from_slice(b"!");
            HeaderValue::from_str(&sign_body(&secret, &body)).ok()
        }),
        (0usize..40).prop_map(move |n| HeaderValue::from_str(&truncated[..n]).ok()),
        prop::collection::vec(0x80u8..=0xff, 1..40).prop_map(|b| HeaderValue::from_bytes(&b).ok()),
    ]
}

// ----- properties -----------------------------------------------------------------------------

#[test]
fn any_bytes_with_any_signature_header_are_refused_with_401_and_nothing_is_queued() {
    let endpoint = Endpoint::start();
    let strategy = body_bytes().prop_flat_map(|body| (wrong_signature(&body), Just(body)));
    check(strategy, |(signature, body)| {
        let header = signature.as_ref().and_then(|h| h.to_str().ok());
        prop_assert!(!verify_signature(SECRET, &body, header));
        let queued = endpoint.queued();
        prop_assert_eq!(endpoint.deliver(body, signature), 401);
        prop_assert_eq!(endpoint.queued(), queued);
        Ok(())
    });
}

#[test]
fn a_body_signed_with_the_secret_passes_the_check_and_any_one_byte_change_is_refused() {
    let endpoint = Endpoint::start();
    let strategy = (
        body_bytes(),
        select(&["", " ", "\t", "  "][..]),
        any::<bool>(),
        any::<Index>(),
        1u8..=255,
        any::<Index>(),
    );
    check(strategy, |(body, pad, upper, at, xor, digit)| {
        let hex = sign_body(SECRET, &body);
        let hex = if upper { hex.to_uppercase() } else { hex };
        let header = format!("{pad}{hex}{pad}");
        prop_assert!(verify_signature(SECRET, &body, Some(&header)));
        let signature = HeaderValue::from_str(&header).unwrap();
        prop_assert_ne!(endpoint.deliver(body.clone(), Some(signature.clone())), 401);

        if !body.is_empty() {
            let mut changed = body.clone();
            let i = at.index(changed.len());
            changed[i] ^= xor;
            prop_assert!(!verify_signature(SECRET, &changed, Some(&header)));
            prop_assert_eq!(endpoint.deliver(changed, Some(signature)), 401);
        }
        let i = digit.index(hex.len());
        let flipped: String = hex
            .char_indices()
            .map(|(j, c)| {
                if j == i {
                    if c == '0' {
                        '1'
                    } else {
                        '0'
                    }
                } else {
                    c
                }
            })
            .collect();
        prop_assert!(!verify_signature(SECRET, &body, Some(&flipped)));
        prop_assert_eq!(
            endpoint.deliver(body, Some(HeaderValue::from_str(&flipped).unwrap())),
            401
        );
        Ok(())
    });
}

/// The naive reading of a body: the key `resource:event:id` and whether the bot handles that
/// resource, when the body is an object with text `resource`, `event` and `data.id`. Bytes
/// that are not UTF-8 count as U+FFFD here: the bot skips fields it does not know without
/// reading them, so such bytes there do not make it refuse a body.
/// `strict` also asks what a Webex event always has, so the bot must take it: UTF-8, the other
/// known `data` fields text or null, and the body as a JSON writer prints it (a repeated key,
/// which the bot refuses, is lost by `Value` and so is told apart only by reprinting).
fn event_key(body: &[u8], strict: bool) -> Option<(String, bool)> {
    let value: Value = serde_json::from_str(&String::from_utf8_lossy(body)).ok()?;
    let resource = value.get("resource")?.as_str()?;
    let event = value.get("event")?.as_str()?;
    let data = value.get("data")?.as_object()?;
    let id = data.get("id")?.as_str()?;
    let readable = ["roomId", "roomType", "personId", "personEmail", "messageId"]
        .iter()
        .all(|k| data.get(*k).is_none_or(|v| v.is_null() || v.is_string()));
    let printed = serde_json::to_vec(&value).ok()? == body;
    let handled = matches!(
        (resource, event),
        ("messages", "created") | ("attachmentActions", "created")
    );
    (!strict || (readable && printed)).then(|| (format!("{resource}:{event}:{id}"), handled))
}

#[test]
fn signed_bodies_of_any_shape_get_200_or_400_and_each_new_webex_event_is_queued_once() {
    let endpoint = Endpoint::start();
    // The events the bot has taken, by key, as this test counts them.
    let seen = Mutex::new(HashSet::new());
    check(body_bytes(), |body| {
        let queued = endpoint.queued();
        let status = endpoint.deliver(body.clone(), Some(signed(&body)));
        let taken = endpoint.queued() - queued;
        prop_assert!(status == 200 || status == 400, "status {}", status);
        if event_key(&body, true).is_some() {
            prop_assert_eq!(status, 200);
        }
        let fresh = match event_key(&body, false) {
            Some((key, true)) if status == 200 => seen.lock().unwrap().insert(key),
            _ => false,
        };
        prop_assert_eq!(taken, u64::from(fresh), "status {}", status);
        // The same delivery again gets the same status and is not queued again.
        prop_assert_eq!(endpoint.deliver(body.clone(), Some(signed(&body))), status);
        prop_assert_eq!(endpoint.queued() - queued, u64::from(fresh));
        Ok(())
    });
}

#[test]
fn every_body_of_the_webhook_corpus_is_answered_and_refused_unsigned() {
    let endpoint = Endpoint::start();
    for (name, body) in corpus("webhook") {
        let status = endpoint.deliver(body.clone(), Some(signed(&body)));
        assert!(
            status == 200 || status == 400 || status == 413,
            "{name}: {status}"
        );
        assert_eq!(
            endpoint.deliver(body.clone(), None),
            401,
            "{name}, unsigned"
        );
        let other = HeaderValue::from_str(&sign_body(b"another secret", &body)).unwrap();
        assert_eq!(
            endpoint.deliver(body, Some(other)),
            401,
            "{name}, another secret"
        );
    }
}

// ----- the mention ----------------------------------------------------------------------------

fn me() -> Identity {
    Identity {
        person_id: "BOT1".into(),
        emails: vec!["licensing@webex.bot".into()],
        display_name: "Licensing Bot".into(),
    }
}

/// `html` as Webex renders mentions: spark-mention tags of the bot or of others, with names
/// and entities, mixed with text and broken tags.
fn mention_html() -> impl Strategy<Value = Option<String>> {
    let piece = prop_oneof![
        (select(&["BOT1", "P2", "", "BOT1\" x=\""][..]), prop_oneof![Just("Licensing".to_string()), Just("Licensing Bot".to_string()), "\\PC{0,10}"])
            .prop_map(|(id, name)| format!("<spark-mention data-object-type=\"person\" data-object-id=\"{id}\">{name}</spark-mention>")),
        select(&["<spark-mention", "</spark-mention>", ">", "<p>", "&amp;", "&lt;", "&#39;", "<spark-mention data-object-id=\"BOT1\">"][..]).prop_map(String::from),
        "\\PC{0,12}",
    ];
    prop::option::weighted(
        0.8,
        prop::collection::vec(piece, 0..6).prop_map(|p| p.concat()),
    )
}

#[test]
fn mention_removal_keeps_a_piece_of_the_message_and_drops_exactly_a_leading_mention() {
    let me = me();
    let strategy = (
        prop_oneof![
            "\\PC{0,60}",
            prop::collection::vec(any::<char>(), 0..60).prop_map(String::from_iter)
        ],
        mention_html(),
        select(
            &[
                "Licensing Bot",
                "Licensing",
                "licensing bot",
                "@Licensing",
                "LICENSING",
            ][..],
        ),
        select(&[" ", ", ", ": ", "  ", "\t"][..]),
        "[a-z0-9][a-z0-9 ]{0,20}",
    );
    check(strategy, |(text, html, name, gap, command)| {
        // `Licensing bot usage` is addressed to `Licensing Bot`: not the case tested here.
        prop_assume!(!command.starts_with("bot"));
        let kept = strip_own_mention(&text, html.as_deref(), &me);
        prop_assert!(
            text.contains(kept.as_str()),
            "{:?} is not a piece of {:?}",
            kept,
            text
        );
        let addressed = format!("{name}{gap}{command}");
        prop_assert_eq!(
            strip_own_mention(&addressed, html.as_deref(), &me),
            command.trim()
        );
        Ok(())
    });
}
