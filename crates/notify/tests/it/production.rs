//! The production ports end to end: the backend's real token API (SQLite store, signed v2
//! requests), the CSSM simulator and the Webex simulator, wired exactly as
//! `slbot notify run-once` wires them ([`slbot_notify::adapters`]). A subscriber with a login
//! gets the digest in their 1:1 space; one without gets the sign-in reminder there, once; one
//! whose CSSM token is refused is reminded too.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_backend::crypto::Keyring;
use slbot_backend::refresh::Refresher;
use slbot_backend::sso::{SsoError, TokenSet};
use slbot_backend::store::{BoxFuture, TokenStore, Tokens};
use slbot_backend::token_api::{self, TokenApiDeps};
use slbot_base::SystemClock;
use slbot_cssm::{CssmClient, FetchSettings, Url};
use slbot_inventory::Catalog;
use slbot_notify::adapters::{BackendTokens, CssmInventories, WebexPoster};
use slbot_notify::{NotifyDeps, NotifyRequest, NotifyService, Scheduler, SchedulerSettings};
use slbot_signing::{MemoryNonceStore, TokenClient, TokenClientSettings, Verifier, Version};
use slbot_sim_cssm::{DataSource, StaticToken};
use slbot_webex::{ClientSettings, WebexClient};

use crate::harness::*;

const BACKEND_SECRET: &str = "it-backend-secret";
const STORE_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct NoRefresh;

impl Refresher for NoRefresh {
    fn refresh<'a>(&'a self, _: &'a SecretString) -> BoxFuture<'a, Result<TokenSet, SsoError>> {
        Box::pin(async { Err(SsoError::Transient("no SSO in these tests".into())) })
    }
    fn revoke<'a>(&'a self, _: &'a SecretString) -> BoxFuture<'a, Result<(), SsoError>> {
        Box::pin(async { Ok(()) })
    }
}

struct Person {
    id: String,
}

async fn create_person(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    kind: &str,
) -> (Person, String) {
    let created: Value = http
        .post(format!("{base}/_sim/people"))
        .json(&json!({"email": email, "displayName": email, "type": kind}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        Person {
            id: created["person"]["id"].as_str().unwrap().to_string(),
        },
        created["token"].as_str().unwrap().to_string(),
    )
}

/// The markdown of every message in `person`'s rooms, oldest first.
async fn messages_of(http: &reqwest::Client, base: &str, person: &Person) -> Vec<String> {
    let rooms: Value = http
        .get(format!("{base}/_sim/people/{}/rooms", person.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out = Vec::new();
    for room in rooms["items"].as_array().unwrap() {
        assert_eq!(room["type"], "direct", "digests go only to 1:1 spaces");
        let messages: Value = http
            .get(format!(
                "{base}/_sim/rooms/{}/messages",
                room["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for m in messages["items"].as_array().unwrap() {
            out.push(m["markdown"].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

#[tokio::test]
async fn a_pass_over_the_real_clients_posts_digests_and_reminders_in_1_1_spaces() {
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();

    // Webex: the bot and three people.
    let (_, webex) = slbot_sim_webex::spawn(slbot_sim_webex::SimConfig::default())
        .await
        .unwrap();
    let base = webex.state().public_base().to_string();
    let (_bot, bot_token) = create_person(&http, &base, "licensing@webex.bot", "bot").await;
    let (alice, _) = create_person(&http, &base, "alice@example.com", "person").await;
    let (bob, _) = create_person(&http, &base, "bob@example.com", "person").await;
    let (carol, _) = create_person(&http, &base, "carol@example.com", "person").await;

    // CSSM: Alice's licences; her token is known, Carol's is not (401).
    let snap: slbot_cssm::Snapshot = serde_json::from_value(snapshot(
        "acme.com",
        vec![
            record(
                "Alpha License",
                "DEFAULT",
                10,
                5,
                vec![line(10, "2026-11-20")],
            ),
            record(
                "Beta License",
                "DEFAULT",
                20,
                25,
                vec![line(20, "2027-06-01")],
            ),
        ],
    ))
    .unwrap();
    let cssm = slbot_sim_cssm::spawn(slbot_sim_cssm::SimConfig {
        data: DataSource::Snapshot(snap),
        users: 1,
        tokens: vec![StaticToken::new("cssm-token-alice", 0)],
        now: at(2026, 11, 3, 0, 0),
        ..slbot_sim_cssm::SimConfig::default()
    })
    .await
    .unwrap();

    // The backend's token API: Alice and Carol are signed in, Bob is not.
    let keys = Keyring::new(&SecretString::from(STORE_KEY.to_string()), &[]).unwrap();
    let store_url = format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display());
    let tokens_store: Arc<dyn TokenStore> = slbot_backend::store::connect(&store_url, keys)
        .await
        .unwrap();
    for (person, token) in [(&alice, "cssm-token-alice"), (&carol, "cssm-token-carol")] {
        tokens_store
            .put(
                &person.id,
                None,
                Tokens {
                    access_token: SecretString::from(token.to_string()),
                    refresh_token: None,
                    expires_at: Utc::now() + chrono::Duration::days(1),
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_url = format!("http://{}", listener.local_addr().unwrap());
    let api = token_api::router(TokenApiDeps {
        store: tokens_store,
        refresher: Arc::new(NoRefresh),
        verifier: Verifier::new(
            Version::V2,
            SecretString::from(BACKEND_SECRET.to_string()),
            backend_url.clone(),
            Arc::new(MemoryNonceStore::new(1000)),
        ),
        clock: Arc::new(SystemClock),
    });
    let backend = tokio::spawn(async move {
        let _ = axum::serve(listener, api).await;
    });

    // The ports, as `slbot notify run-once` builds them.
    let token_client = TokenClient::new(TokenClientSettings {
        base_url: backend_url.clone(),
        secret: SecretString::from(BACKEND_SECRET.to_string()),
        version: Version::V2,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let tokens = Arc::new(BackendTokens {
        client: token_client,
        link_secret: SecretString::from(BACKEND_SECRET.to_string()),
        login_url: format!("{backend_url}/login"),
    });
    let cssm_client = CssmClient::new(
        &Url::parse(&cssm.url()).unwrap(),
        FetchSettings::default(),
        Arc::new(tokio::sync::Semaphore::new(4)),
    )
    .unwrap();
    let inventories = Arc::new(CssmInventories {
        cssm: cssm_client,
        catalog: Arc::new(Catalog::shipped()),
    });
    let poster = Arc::new(WebexPoster {
        webex: WebexClient::new(
            &webex.api_url(),
            SecretString::from(bot_token),
            ClientSettings::default(),
        )
        .unwrap(),
    });

    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let store = db.open().await;
    let deps = NotifyDeps {
        store,
        tokens,
        inventories,
        settings: SchedulerSettings::default(),
    };
    let service = NotifyService::new(deps.clone());
    let on = NotifyRequest::from_command(&slbot_chat::parse("notify on").unwrap()).unwrap();
    let created = at(2026, 11, 2, 10, 0);
    for person in [&alice, &bob, &carol] {
        // Subscribed from a group room: the digest must still go to the 1:1 space.
        service
            .handle(&on, &person.id, "group-room-1", created)
            .await;
    }
    let scheduler = Scheduler::new(deps, poster);
    for day in [3, 4] {
        let report = scheduler.run_once(at(2026, 11, day, 8, 0)).await.unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
    }

    let alice_sees = messages_of(&http, &base, &alice).await;
    assert_eq!(alice_sees.len(), 1, "{alice_sees:?}");
    assert_eq!(
        read(&alice_sees[0]).rows,
        rows(&[(ENTERING, "Alpha License"), (SHORT, "Beta License")])
    );
    for signed_out in [&bob, &carol] {
        let seen = messages_of(&http, &base, signed_out).await;
        assert_eq!(seen.len(), 1, "one reminder, not one per run: {seen:?}");
        assert!(seen[0].contains("[Sign in with Cisco]("), "{}", seen[0]);
        // The link carries a login token for that person, signed with the backend secret.
        let t = seen[0]
            .split("?t=")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        let person = slbot_signing::verify_login_token(
            &SecretString::from(BACKEND_SECRET.to_string()),
            t,
            at(2026, 11, 3, 8, 1),
        )
        .unwrap();
        assert_eq!(person, signed_out.id);
    }
    backend.abort();
}
