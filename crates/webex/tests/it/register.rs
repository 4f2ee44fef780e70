//! `ensure_webhooks` against an in-test webhook store that pages its list two at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_webex::{ensure_webhooks, Duplicates, WebhookAction, WebhookStatus};

use crate::harness::{client, serve};

const PUBLIC_URL: &str = "https://bot.example.com";
const SECRET: &str = "the-webhook-secret";

fn target() -> String {
    // Written out by hand: the public URL plus the bot's delivery path.
    "https://bot.example.com/webhooks/webex".to_string()
}

#[derive(Clone, Debug, PartialEq)]
struct Hook {
    id: String,
    name: String,
    target_url: String,
    resource: String,
    event: String,
    filter: Option<String>,
    secret: Option<String>,
    status: String,
}

impl Hook {
    fn new(id: &str, name: &str, resource: &str, target_url: &str, status: &str) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            target_url: target_url.into(),
            resource: resource.into(),
            event: "created".into(),
            filter: None,
            secret: Some(SECRET.into()),
            status: status.into(),
        }
    }
    fn json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name, "targetUrl": self.target_url,
            "resource": self.resource, "event": self.event, "status": self.status,
            "created": "2026-01-01T00:00:00.000Z", "ownedBy": "creator"
        });
        if let Some(f) = &self.filter {
            v["filter"] = json!(f);
        }
        if let Some(s) = &self.secret {
            v["secret"] = json!(s);
        }
        v
    }
}

#[derive(Clone, Default)]
struct Store {
    origin: Arc<Mutex<String>>,
    hooks: Arc<Mutex<Vec<Hook>>>,
    writes: Arc<Mutex<Vec<String>>>,
    next_id: Arc<Mutex<u32>>,
}

impl Store {
    fn hooks(&self) -> Vec<Hook> {
        self.hooks.lock().unwrap().clone()
    }
    fn writes(&self) -> Vec<String> {
        self.writes.lock().unwrap().clone()
    }
    fn named(&self, name: &str) -> Vec<Hook> {
        self.hooks()
            .into_iter()
            .filter(|h| h.name == name)
            .collect()
    }
}

async fn list(State(s): State<Store>, Query(q): Query<HashMap<String, String>>) -> Response {
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let hooks = s.hooks();
    let items: Vec<Value> = hooks.iter().skip(start).take(2).map(Hook::json).collect();
    let mut headers = HeaderMap::new();
    if start + 2 < hooks.len() {
        let link = format!(
            "<{}/v1/webhooks?cursor={}>; rel=\"next\"",
            s.origin.lock().unwrap(),
            start + 2
        );
        headers.insert("link", link.parse().unwrap());
    }
    (headers, Json(json!({ "items": items }))).into_response()
}

async fn create(State(s): State<Store>, Json(body): Json<Value>) -> Response {
    let id = {
        let mut n = s.next_id.lock().unwrap();
        *n += 1;
        format!("NEW{n}")
    };
    let text = |k: &str| body[k].as_str().map(String::from);
    let hook = Hook {
        id: id.clone(),
        name: text("name").unwrap_or_default(),
        target_url: text("targetUrl").unwrap_or_default(),
        resource: text("resource").unwrap_or_default(),
        event: text("event").unwrap_or_default(),
        filter: text("filter"),
        secret: text("secret"),
        status: "active".into(),
    };
    s.hooks.lock().unwrap().push(hook.clone());
    s.writes.lock().unwrap().push(format!("POST {}", hook.name));
    Json(hook.json()).into_response()
}

async fn update(
    State(s): State<Store>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    s.writes.lock().unwrap().push(format!("PUT {id}"));
    let mut hooks = s.hooks.lock().unwrap();
    let Some(hook) = hooks.iter_mut().find(|h| h.id == id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let text = |k: &str| body[k].as_str().map(String::from);
    hook.name = text("name").unwrap_or_default();
    hook.target_url = text("targetUrl").unwrap_or_default();
    hook.secret = text("secret");
    hook.status = text("status").unwrap_or_default();
    Json(hook.json()).into_response()
}

async fn delete(State(s): State<Store>, Path(id): Path<String>) -> StatusCode {
    s.writes.lock().unwrap().push(format!("DELETE {id}"));
    let mut hooks = s.hooks.lock().unwrap();
    let before = hooks.len();
    hooks.retain(|h| h.id != id);
    if hooks.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn start(hooks: Vec<Hook>) -> (Store, String) {
    let store = Store::default();
    *store.hooks.lock().unwrap() = hooks;
    let router = Router::new()
        .route("/v1/webhooks", get(list).post(create))
        .route("/v1/webhooks/{id}", put(update).delete(delete))
        .with_state(store.clone());
    let origin = serve(router).await;
    *store.origin.lock().unwrap() = origin.clone();
    (store, origin)
}

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

fn actions(changes: &[slbot_webex::WebhookChange]) -> Vec<(WebhookAction, String)> {
    changes.iter().map(|c| (c.action, c.name.clone())).collect()
}

#[tokio::test]
async fn with_no_webhooks_both_are_created_active_with_target_and_secret() {
    let (store, origin) = start(vec![]).await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Keep)
        .await
        .unwrap();
    assert_eq!(
        actions(&changes),
        vec![
            (WebhookAction::Created, "slbot-messages".into()),
            (WebhookAction::Created, "slbot-attachment-actions".into()),
        ]
    );
    let hooks = store.hooks();
    assert_eq!(hooks.len(), 2);
    let messages = &store.named("slbot-messages")[0];
    assert_eq!(
        (messages.resource.as_str(), messages.event.as_str()),
        ("messages", "created")
    );
    let cards = &store.named("slbot-attachment-actions")[0];
    assert_eq!(
        (cards.resource.as_str(), cards.event.as_str()),
        ("attachmentActions", "created")
    );
    for h in &hooks {
        assert_eq!(h.target_url, target());
        assert_eq!(h.secret.as_deref(), Some(SECRET));
        assert_eq!(h.status, "active");
        assert_eq!(h.filter, None);
    }
    assert_eq!(changes[0].id, messages.id);
}

#[tokio::test]
async fn a_changed_public_url_updates_the_target_and_leaves_the_right_one_alone() {
    let (store, origin) = start(vec![
        Hook::new(
            "W1",
            "slbot-messages",
            "messages",
            "https://old.example.com/webhooks/webex",
            "active",
        ),
        Hook::new(
            "W2",
            "slbot-attachment-actions",
            "attachmentActions",
            &target(),
            "active",
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, "https://bot.example.com/", &secret(), Duplicates::Keep)
        .await
        .unwrap();
    assert_eq!(
        actions(&changes),
        vec![
            (WebhookAction::Updated, "slbot-messages".into()),
            (WebhookAction::Unchanged, "slbot-attachment-actions".into()),
        ]
    );
    assert_eq!(store.named("slbot-messages")[0].target_url, target());
    assert_eq!(store.writes(), vec!["PUT W1".to_string()]);
}

#[tokio::test]
async fn an_inactive_webhook_is_re_enabled() {
    let (store, origin) = start(vec![
        Hook::new("W1", "slbot-messages", "messages", &target(), "inactive"),
        Hook::new(
            "W2",
            "slbot-attachment-actions",
            "attachmentActions",
            &target(),
            "active",
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Keep)
        .await
        .unwrap();
    assert_eq!(changes[0].action, WebhookAction::ReEnabled);
    assert_eq!(changes[0].status_before, Some(WebhookStatus::Inactive));
    assert_eq!(store.named("slbot-messages")[0].status, "active");
    assert_eq!(store.writes(), vec!["PUT W1".to_string()]);
    assert!(
        changes[0].to_string().contains("was inactive"),
        "{}",
        changes[0]
    );
}

#[tokio::test]
async fn a_rotated_secret_is_pushed_to_webex() {
    let mut stale = Hook::new("W1", "slbot-messages", "messages", &target(), "active");
    stale.secret = Some("old-secret".into());
    let (store, origin) = start(vec![
        stale,
        Hook::new(
            "W2",
            "slbot-attachment-actions",
            "attachmentActions",
            &target(),
            "active",
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Keep)
        .await
        .unwrap();
    assert_eq!(changes[0].action, WebhookAction::Updated);
    assert_eq!(
        store.named("slbot-messages")[0].secret.as_deref(),
        Some(SECRET)
    );
}

#[tokio::test]
async fn webhooks_already_right_are_not_written() {
    let (store, origin) = start(vec![
        Hook::new("W1", "slbot-messages", "messages", &target(), "active"),
        Hook::new(
            "W2",
            "slbot-attachment-actions",
            "attachmentActions",
            &target(),
            "active",
        ),
        Hook::new(
            "X1",
            "someone-else",
            "rooms",
            "https://other.example.com/hook",
            "inactive",
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Prune)
        .await
        .unwrap();
    assert_eq!(
        actions(&changes),
        vec![
            (WebhookAction::Unchanged, "slbot-messages".into()),
            (WebhookAction::Unchanged, "slbot-attachment-actions".into()),
        ]
    );
    assert!(store.writes().is_empty(), "{:?}", store.writes());
}

#[tokio::test]
async fn duplicates_are_pruned_keeping_the_one_that_already_points_at_the_target() {
    // Five webhooks over three pages; the right one is on the second page.
    let (store, origin) = start(vec![
        Hook::new(
            "D1",
            "slbot-messages",
            "messages",
            "https://old.example.com/webhooks/webex",
            "active",
        ),
        Hook::new(
            "X1",
            "someone-else",
            "messages",
            "https://other.example.com/hook",
            "active",
        ),
        Hook::new("D2", "slbot-messages", "messages", &target(), "active"),
        Hook::new(
            "D3",
            "slbot-messages",
            "messages",
            "https://older.example.com/webhooks/webex",
            "inactive",
        ),
        Hook::new(
            "W2",
            "slbot-attachment-actions",
            "attachmentActions",
            &target(),
            "active",
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Prune)
        .await
        .unwrap();
    let summary: Vec<(WebhookAction, String)> =
        changes.iter().map(|c| (c.action, c.id.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (WebhookAction::Unchanged, "D2".into()),
            (WebhookAction::Pruned, "D1".into()),
            (WebhookAction::Pruned, "D3".into()),
            (WebhookAction::Unchanged, "W2".into()),
        ]
    );
    let ids: Vec<String> = store.hooks().into_iter().map(|h| h.id).collect();
    assert_eq!(ids, vec!["X1", "D2", "W2"]);
}

#[tokio::test]
async fn without_prune_duplicates_stay() {
    let (store, origin) = start(vec![
        Hook::new("D1", "slbot-messages", "messages", &target(), "active"),
        Hook::new("D2", "slbot-messages", "messages", &target(), "active"),
        Hook::new(
            "W2",
            "slbot-attachment-actions",
            "attachmentActions",
            &target(),
            "active",
        ),
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Keep)
        .await
        .unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].id, "D1");
    assert_eq!(store.hooks().len(), 3);
    assert!(store.writes().is_empty());
}

#[tokio::test]
async fn a_same_named_webhook_for_another_resource_is_replaced_not_reused() {
    let mut filtered = Hook::new(
        "F1",
        "slbot-attachment-actions",
        "attachmentActions",
        &target(),
        "active",
    );
    filtered.filter = Some("roomId=R1".into());
    let (store, origin) = start(vec![
        Hook::new("WRONG", "slbot-messages", "rooms", &target(), "active"),
        filtered,
    ])
    .await;
    let (c, _) = client(&origin);
    let changes = ensure_webhooks(&c, PUBLIC_URL, &secret(), Duplicates::Prune)
        .await
        .unwrap();
    let summary: Vec<(WebhookAction, String)> =
        changes.iter().map(|c| (c.action, c.id.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (WebhookAction::Created, "NEW1".into()),
            (WebhookAction::Pruned, "WRONG".into()),
            (WebhookAction::Created, "NEW2".into()),
            (WebhookAction::Pruned, "F1".into()),
        ]
    );
    let left: Vec<(String, String)> = store
        .hooks()
        .into_iter()
        .map(|h| (h.name, h.resource))
        .collect();
    assert_eq!(
        left,
        vec![
            ("slbot-messages".to_string(), "messages".to_string()),
            (
                "slbot-attachment-actions".to_string(),
                "attachmentActions".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn a_public_url_that_is_not_a_url_is_refused_before_any_call() {
    let (store, origin) = start(vec![]).await;
    let (c, _) = client(&origin);
    let err = ensure_webhooks(&c, "bot.example.com", &secret(), Duplicates::Keep)
        .await
        .unwrap_err();
    assert!(
        matches!(err, slbot_webex::WebexError::InvalidInput(_)),
        "{err:?}"
    );
    assert!(store.writes().is_empty());
}
