//! `Link: <…>; rel="next"` pagination, including next links that drop the query parameters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use slbot_webex::WebexError;

use crate::harness::{client, serve};

const PAGE: usize = 2;

#[derive(Clone)]
struct Members {
    origin: Arc<Mutex<String>>,
    queries: Arc<Mutex<Vec<HashMap<String, String>>>>,
    /// How the next link is written: with every parameter, or only the cursor.
    keep_params: bool,
}

fn member(n: usize) -> serde_json::Value {
    json!({
        "id": format!("MEM{n}"), "roomId": "R1", "personId": format!("P{n}"),
        "personEmail": format!("p{n}@example.com"), "personDisplayName": format!("Person {n}"),
        "personOrgId": "ORG", "isModerator": false, "created": "2026-01-01T00:00:00.000Z"
    })
}

/// Five members in pages of two; answers 400 to a request without `roomId`, like Webex.
async fn memberships(
    State(s): State<Members>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.queries.lock().unwrap().push(q.clone());
    if q.get("roomId").map(String::as_str) != Some("R1") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "roomId is required"})),
        )
            .into_response();
    }
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let all: Vec<serde_json::Value> = (1..=5).map(member).collect();
    let items: Vec<_> = all.iter().skip(start).take(PAGE).cloned().collect();
    let mut headers = HeaderMap::new();
    if start + PAGE < all.len() {
        let origin = s.origin.lock().unwrap().clone();
        let next = if s.keep_params {
            format!(
                "{origin}/v1/memberships?roomId=R1&max=100&cursor={}",
                start + PAGE
            )
        } else {
            format!("{origin}/v1/memberships?cursor={}", start + PAGE)
        };
        headers.insert("link", format!("<{next}>; rel=\"next\"").parse().unwrap());
    }
    (headers, axum::Json(json!({ "items": items }))).into_response()
}

async fn start(keep_params: bool) -> (Members, String) {
    let s = Members {
        origin: Arc::default(),
        queries: Arc::default(),
        keep_params,
    };
    let router = Router::new()
        .route("/v1/memberships", get(memberships))
        .with_state(s.clone());
    let origin = serve(router).await;
    *s.origin.lock().unwrap() = origin.clone();
    (s, origin)
}

#[tokio::test]
async fn every_page_is_read_even_when_the_next_link_drops_the_room_id() {
    let (server, origin) = start(false).await;
    let (c, _) = client(&origin);
    let members = c.list_memberships("R1").await.unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.person_id.as_str()).collect();
    assert_eq!(ids, vec!["P1", "P2", "P3", "P4", "P5"]);
    assert_eq!(members[2].person_email.as_deref(), Some("p3@example.com"));
    let queries = server.queries.lock().unwrap().clone();
    assert_eq!(queries.len(), 3);
    for q in &queries {
        assert_eq!(q.get("roomId").map(String::as_str), Some("R1"), "{q:?}");
        assert_eq!(q.get("max").map(String::as_str), Some("100"), "{q:?}");
    }
    let cursors: Vec<Option<&str>> = queries
        .iter()
        .map(|q| q.get("cursor").map(String::as_str))
        .collect();
    assert_eq!(cursors, vec![None, Some("2"), Some("4")]);
}

#[tokio::test]
async fn a_next_link_that_keeps_its_parameters_is_followed_as_is() {
    let (server, origin) = start(true).await;
    let (c, _) = client(&origin);
    let members = c.list_memberships("R1").await.unwrap();
    assert_eq!(members.len(), 5);
    assert_eq!(server.queries.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_next_link_to_another_server_is_refused_and_never_sent_the_token() {
    let elsewhere_hits = Arc::new(Mutex::new(0usize));
    let hits = elsewhere_hits.clone();
    let elsewhere = serve(Router::new().fallback(move || {
        let hits = hits.clone();
        async move {
            *hits.lock().unwrap() += 1;
            axum::Json(json!({"items": []}))
        }
    }))
    .await;
    let link = format!("<{elsewhere}/v1/memberships?cursor=2>; rel=\"next\"");
    let origin = serve(Router::new().route(
        "/v1/memberships",
        get(move || {
            let link = link.clone();
            async move { ([("link", link)], axum::Json(json!({"items": [member(1)]}))) }
        }),
    ))
    .await;
    let (c, _) = client(&origin);
    let err = c.list_memberships("R1").await.unwrap_err();
    assert!(matches!(err, WebexError::BadData { .. }), "{err:?}");
    assert!(err.to_string().contains("another server"), "{err}");
    assert_eq!(*elsewhere_hits.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_next_link_that_points_back_to_the_same_page_stops_with_an_error() {
    let origin_cell = Arc::new(Mutex::new(String::new()));
    let cell = origin_cell.clone();
    let origin = serve(Router::new().route(
        "/v1/webhooks",
        get(move || {
            let cell = cell.clone();
            async move {
                let link = format!(
                    "<{}/v1/webhooks?max=100>; rel=\"next\"",
                    cell.lock().unwrap()
                );
                ([("link", link)], axum::Json(json!({"items": []})))
            }
        }),
    ))
    .await;
    *origin_cell.lock().unwrap() = origin.clone();
    let (c, _) = client(&origin);
    let err = c.list_webhooks().await.unwrap_err();
    assert!(err.to_string().contains("repeats"), "{err}");
}

#[tokio::test]
async fn a_list_answer_without_items_is_bad_data_not_an_empty_list() {
    let (_server, origin) = crate::harness::Scripted::start(vec![crate::harness::Reply::json(
        200,
        json!({"message": "ok"}),
    )])
    .await;
    let (c, _) = client(&origin);
    let err = c.list_webhooks().await.unwrap_err();
    assert!(matches!(err, WebexError::BadData { .. }), "{err:?}");
}
