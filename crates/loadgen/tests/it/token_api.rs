use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::Utc;
use secrecy::SecretString;
use slbot_base::SystemClock;
use slbot_loadgen::{run, TokenApi};
use slbot_signing::{
    IncomingRequest, MemoryNonceStore, NonceSource, Verifier, Version, ACCESS_TOKEN_PATH,
};

use crate::{client, short_plan, SHORT_PLAN_MEASURED, SHORT_PLAN_TOTAL};

const SECRET: &str = "backend-secret";

struct Backend {
    verifier: Verifier,
    /// How many verified requests named each personId.
    people: Mutex<BTreeMap<String, u64>>,
}

/// The backend's check (slbot_signing's verifier, replay window included), then 200.
async fn access_token(State(backend): State<Arc<Backend>>, request: Request) -> StatusCode {
    let (parts, _) = request.into_parts();
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.clone(), |o| o.0.clone());
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: uri.path(),
        raw_query: uri.query(),
        headers: &parts.headers,
        body: b"",
    };
    if backend
        .verifier
        .verify(&incoming, Utc::now())
        .await
        .is_err()
    {
        return StatusCode::UNAUTHORIZED;
    }
    let person = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("personId="))
        .unwrap_or_default()
        .to_string();
    *backend.people.lock().unwrap().entry(person).or_insert(0) += 1;
    StatusCode::OK
}

/// A token API on 127.0.0.1:0 verifying `version` signatures; its base URL (v1 signs the
/// full URL, so the verifier is built for the bound address).
async fn backend(version: Version) -> (String, Arc<Backend>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Backend {
        verifier: Verifier::new(
            version,
            SecretString::from(SECRET),
            base_url.clone(),
            Arc::new(MemoryNonceStore::default()),
        ),
        people: Mutex::default(),
    });
    let router = axum::Router::new()
        .route(ACCESS_TOKEN_PATH, get(access_token))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base_url, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v2_request_passes_the_verifier_once_and_the_people_take_turns() {
    let (url, backend) = backend(Version::V2).await;
    let api = TokenApi::new(&url, SecretString::from(SECRET), Version::V2, 3);
    let report = run(&short_plan(), client(), Arc::new(api)).await;

    assert_eq!(report.count, SHORT_PLAN_MEASURED);
    assert_eq!(report.ok, SHORT_PLAN_MEASURED);
    assert_eq!(report.errors, 0);
    // 60 requests (warm-up included) over 3 people in turn: 20 each. A repeated nonce would
    // have been a 401, so each nonce was fresh.
    let expected: BTreeMap<String, u64> = (0..3)
        .map(|k| (format!("loadgen-person-{k}"), (SHORT_PLAN_TOTAL / 3) as u64))
        .collect();
    assert_eq!(*backend.people.lock().unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_requests_signed_over_the_full_url_pass_too() {
    let (url, backend) = backend(Version::V1).await;
    let api = TokenApi::new(&url, SecretString::from(SECRET), Version::V1, 1);
    let report = run(&short_plan(), client(), Arc::new(api)).await;

    assert_eq!(
        (report.count, report.ok),
        (SHORT_PLAN_MEASURED, SHORT_PLAN_MEASURED)
    );
    let total: u64 = backend.people.lock().unwrap().values().sum();
    assert_eq!(total, SHORT_PLAN_TOTAL as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_makes_every_request_an_error_with_its_status() {
    let (url, _backend) = backend(Version::V2).await;
    let api = TokenApi::new(&url, SecretString::from("wrong"), Version::V2, 2);
    let report = run(&short_plan(), client(), Arc::new(api)).await;

    assert_eq!((report.ok, report.errors), (0, SHORT_PLAN_MEASURED));
    assert_eq!(report.statuses.get(&401), Some(&SHORT_PLAN_MEASURED));
}

/// A nonce source that has gone wrong: not 32 lowercase hex characters.
struct BrokenNonces;

impl NonceSource for BrokenNonces {
    fn nonce(&self) -> String {
        "not-a-nonce".to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_cannot_be_signed_are_counted_as_errors_and_never_sent() {
    let (url, backend) = backend(Version::V2).await;
    let api = TokenApi::new(&url, SecretString::from(SECRET), Version::V2, 2)
        .with_clock_and_nonces(Arc::new(SystemClock), Arc::new(BrokenNonces));
    let report = run(&short_plan(), client(), Arc::new(api)).await;

    assert_eq!(report.count, SHORT_PLAN_MEASURED);
    assert_eq!(report.unbuildable, SHORT_PLAN_MEASURED);
    assert_eq!(report.errors, SHORT_PLAN_MEASURED);
    assert!(report.statuses.is_empty());
    assert!(backend.people.lock().unwrap().is_empty());
}
