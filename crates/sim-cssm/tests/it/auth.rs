//! Who sees what: static tokens, users, and RFC 7662 introspection.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use slbot_sim_cssm::{accounts_of_user, generate, SimConfig, StaticToken};

use crate::{config, domains, params, Sim};

/// The rule of the crate doc, written out naively: account 0 for all, i > 0 to user (i-1) mod U.
fn naive_accounts(k: usize, users: usize, accounts: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..accounts {
        if i == 0 || (i - 1) % users == k {
            out.push(i);
        }
    }
    out
}

fn all_domains(accounts: usize) -> Vec<String> {
    generate(&params(31, accounts, 1, 1))
        .accounts
        .iter()
        .map(|a| a["accountDomain"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_user_sees_exactly_their_accounts_and_the_shared_one() {
    let (users, accounts) = (3, 8);
    let sim = Sim::new(SimConfig {
        users,
        tokens: vec![
            StaticToken::new("tok-a", 0),
            StaticToken::new("tok-b", 1),
            StaticToken::new("tok-c", 2),
        ],
        ..config(params(31, accounts, 1, 1))
    })
    .await;
    let all = all_domains(accounts);
    for (k, token) in ["tok-a", "tok-b", "tok-c"].into_iter().enumerate() {
        let expected: Vec<String> = naive_accounts(k, users, accounts)
            .into_iter()
            .map(|i| all[i].clone())
            .collect();
        assert_eq!(
            accounts_of_user(k, users, accounts),
            naive_accounts(k, users, accounts)
        );
        assert_eq!(
            domains(sim.accounts(token).await).await,
            expected,
            "user {k}"
        );
    }
    // User 1 may not read an account of user 0 (account 1).
    let r = sim
        .licenses("tok-b", &all[1], json!({"limit": 10, "offset": 0}))
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn an_unknown_or_missing_token_gets_a_401_in_json() {
    let sim = Sim::new(SimConfig {
        tokens: vec![StaticToken::new("right", 0)],
        ..config(params(32, 2, 1, 1))
    })
    .await;
    assert_eq!(sim.accounts("right").await.status(), 200);
    let r = sim.accounts("wrong").await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");
    let r = sim
        .http
        .get(sim.url(&format!("{}/v2/accounts", crate::API)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(sim.stats().await["unauthorized"], 2);
}

#[tokio::test]
async fn without_token_options_any_bearer_token_is_user_zero() {
    let sim = Sim::new(SimConfig {
        users: 2,
        ..config(params(33, 3, 1, 1))
    })
    .await;
    let all = all_domains(3);
    assert_eq!(
        domains(sim.accounts("anything at all").await).await,
        vec![all[0].clone(), all[1].clone()]
    );
}

#[tokio::test]
async fn statistics_count_tokens_by_fingerprint_and_never_show_them() {
    let sim = Sim::new(config(params(34, 2, 1, 1))).await;
    for _ in 0..3 {
        sim.accounts("secret-token-1").await;
    }
    sim.accounts("secret-token-2").await;
    let text = sim
        .http
        .get(sim.url("/_sim/stats"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("secret-token"), "{text}");
    let stats: Value = serde_json::from_str(&text).unwrap();
    use sha2::Digest;
    let fp = |t: &str| hex::encode(&sha2::Sha256::digest(t.as_bytes())[..4]);
    let expected = BTreeMap::from([(fp("secret-token-1"), 3), (fp("secret-token-2"), 1)]);
    let got: BTreeMap<String, u64> =
        serde_json::from_value(stats["requestsByToken"].clone()).unwrap();
    assert_eq!(got, expected);
    assert_eq!(stats["requestsTotal"], 4);
}

/// A tiny RFC 7662 endpoint: `alice` is active while `alive` holds, anything else inactive.
#[derive(Clone)]
struct Idp {
    alive: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
}

async fn introspect(
    State(idp): State<Idp>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Json<Value> {
    idp.calls.fetch_add(1, Ordering::SeqCst);
    let token = form.get("token").map(String::as_str);
    if token == Some("alice-token") && idp.alive.load(Ordering::SeqCst) {
        Json(json!({"active": true, "sub": "alice", "email": "alice@example.com"}))
    } else if token == Some("alice-refresh") {
        Json(json!({"active": true, "sub": "alice", "token_type": "refresh_token"}))
    } else {
        Json(json!({"active": false}))
    }
}

async fn start_idp() -> (Idp, String) {
    let idp = Idp {
        alive: Arc::new(AtomicBool::new(true)),
        calls: Arc::new(AtomicU64::new(0)),
    };
    let app = Router::new()
        .route("/introspect", post(introspect))
        .with_state(idp.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/introspect", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (idp, url)
}

/// FNV-1a-64, written out from its definition.
fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

#[tokio::test]
async fn an_introspected_token_is_the_user_its_subject_hashes_to_and_inactive_is_401() {
    let (idp, url) = start_idp().await;
    let (users, accounts) = (4, 9);
    let sim = Sim::new(SimConfig {
        users,
        tokens: vec![StaticToken::new("static", 0)],
        introspect_url: Some(url),
        introspect_cache_ttl: Duration::from_secs(60),
        ..config(params(35, accounts, 1, 1))
    })
    .await;
    let k = (fnv("alice") % users as u64) as usize;
    let all = all_domains(accounts);
    let expected: Vec<String> = naive_accounts(k, users, accounts)
        .into_iter()
        .map(|i| all[i].clone())
        .collect();
    assert_eq!(domains(sim.accounts("alice-token").await).await, expected);
    // Cached: a second request does not ask again.
    assert_eq!(domains(sim.accounts("alice-token").await).await, expected);
    assert_eq!(sim.accounts("mallory-token").await.status(), 401);
    // A refresh token is active but does not open the API.
    assert_eq!(sim.accounts("alice-refresh").await.status(), 401);
    // A static token never goes to introspection.
    assert_eq!(sim.accounts("static").await.status(), 200);
    assert_eq!(idp.calls.load(Ordering::SeqCst), 3);
    assert_eq!(sim.stats().await["introspections"], 3);
}

#[tokio::test]
async fn a_token_that_stops_being_active_is_refused_once_the_cache_lapses() {
    let (idp, url) = start_idp().await;
    let sim = Sim::new(SimConfig {
        introspect_url: Some(url),
        introspect_cache_ttl: Duration::ZERO,
        ..config(params(36, 2, 1, 1))
    })
    .await;
    assert_eq!(sim.accounts("alice-token").await.status(), 200);
    idp.alive.store(false, Ordering::SeqCst);
    assert_eq!(sim.accounts("alice-token").await.status(), 401);
}

#[tokio::test]
async fn an_unreachable_introspection_endpoint_is_a_503_not_a_401() {
    // Bind then drop a listener to get a port nobody answers on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sim = Sim::new(SimConfig {
        introspect_url: Some(format!("http://127.0.0.1:{port}/introspect")),
        ..config(params(37, 2, 1, 1))
    })
    .await;
    assert_eq!(sim.accounts("alice-token").await.status(), 503);
}
