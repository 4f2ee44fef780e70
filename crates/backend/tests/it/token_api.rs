//! The token API over HTTP on 127.0.0.1:0, driven by the bot's own `TokenClient` (and by raw
//! signed requests where a test needs to break the protocol on purpose).

use std::sync::Arc;

use chrono::Duration;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use slbot_backend::store::{PendingSignIn, TokenStore};
use slbot_signing::{
    sign_request, verify_response, ConfirmOutcome, NonceSource, OutgoingRequest, Rejection,
    ServiceCause, SignOutOutcome, TokenError, Version, ACCESS_TOKEN_PATH,
};

use crate::token_harness::{
    secret, t0, tokens, Api, FakeRefresher, SsoMode, TestStore, K1, SECRET,
};

const QUERY: &str = "roomId=R1&personId=P1";

async fn api_with(version: Version, mode: SsoMode) -> (TestStore, Arc<FakeRefresher>, Api) {
    let ts = TestStore::sqlite(crate::token_harness::keys(K1, &[])).await;
    let fake = Arc::new(FakeRefresher::new(mode));
    let api = Api::start(ts.store.clone(), fake.clone(), version).await;
    (ts, fake, api)
}

async fn signed_in(store: &Arc<dyn TokenStore>, access: &str, expires_in: Duration) {
    store
        .put(
            "P1",
            Some("R1"),
            tokens(access, Some("rt-0"), t0() + expires_in),
            t0(),
        )
        .await
        .unwrap();
}

/// What a raw request got back: status, body, and whether its signature verified.
struct Raw {
    status: StatusCode,
    body: Vec<u8>,
    verified: Result<(), Rejection>,
}

/// Sends a request signed at `date` with `nonce` (the protocol's own signer) and verifies the
/// answer as the bot would.
async fn raw(
    api: &Api,
    method: reqwest::Method,
    signed_query: &str,
    sent_query: &str,
    date: chrono::DateTime<chrono::Utc>,
    nonce: &str,
) -> Raw {
    let request = OutgoingRequest {
        method: method.as_str(),
        path: ACCESS_TOKEN_PATH,
        query: signed_query,
        body: b"",
    };
    let headers = sign_request(
        Version::V2,
        &secret(SECRET),
        &api.base_url,
        &request,
        date,
        nonce,
    )
    .unwrap();
    let mut builder = reqwest::Client::new().request(
        method,
        format!("{}{ACCESS_TOKEN_PATH}?{sent_query}", api.base_url),
    );
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let response = builder.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap().to_vec();
    let verified = verify_response(
        Version::V2,
        &secret(SECRET),
        status,
        &headers,
        &body,
        Some(nonce),
        slbot_base::Clock::now(api.clock.as_ref()),
    );
    Raw {
        status,
        body,
        verified,
    }
}

#[derive(Clone)]
struct FixedNonce(&'static str);

impl NonceSource for FixedNonce {
    fn nonce(&self) -> String {
        self.0.to_string()
    }
}

#[tokio::test]
async fn a_signed_in_person_gets_their_token_and_its_expiry() {
    let (ts, fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok-123", Duration::hours(1)).await;
    let token = api.client().access_token("R1", "P1").await.unwrap();
    assert_eq!(token.token.expose_secret(), "tok-123");
    assert_eq!(token.expires_at, Some(t0() + Duration::hours(1)));
    assert_eq!(fake.refreshes(), 0);
}

#[tokio::test]
async fn the_v1_wire_format_works_end_to_end_too() {
    let (ts, _fake, api) = api_with(Version::V1, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok-v1", Duration::hours(1)).await;
    let token = api.client().access_token("R1", "P1").await.unwrap();
    assert_eq!(token.token.expose_secret(), "tok-v1");
    let missing = api.client().access_token("R1", "NOBODY").await.unwrap_err();
    assert_eq!(missing, TokenError::NotSignedIn);
}

#[tokio::test]
async fn a_person_without_a_login_is_told_to_sign_in() {
    let (_ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    let err = api.client().access_token("R1", "P1").await.unwrap_err();
    assert_eq!(err, TokenError::NotSignedIn);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_before_it_is_handed_out() {
    let (ts, fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "old", Duration::seconds(100)).await;
    let token = api.client().access_token("R1", "P1").await.unwrap();
    assert_eq!(token.token.expose_secret(), "fresh-1");
    assert_eq!(fake.redeemed.lock().unwrap().as_slice(), ["rt-0"]);
    let stored = ts.store.get("P1").await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "rt-1");
}

#[tokio::test]
async fn a_dead_refresh_token_means_sign_in_again_and_the_login_is_gone() {
    let (ts, fake, api) = api_with(Version::V2, SsoMode::InvalidGrant).await;
    signed_in(&ts.store, "old", Duration::seconds(10)).await;
    let err = api.client().access_token("R1", "P1").await.unwrap_err();
    assert_eq!(err, TokenError::NotSignedIn);
    assert_eq!(fake.refreshes(), 1);
    assert!(ts.store.get("P1").await.unwrap().is_none());
}

#[tokio::test]
async fn an_sso_outage_is_a_service_problem_and_the_login_survives() {
    let (ts, fake, api) = api_with(Version::V2, SsoMode::Down).await;
    signed_in(&ts.store, "old", Duration::seconds(10)).await;
    let err = api.client().access_token("R1", "P1").await.unwrap_err();
    assert_eq!(
        err,
        TokenError::Service {
            cause: ServiceCause::Unavailable
        }
    );
    assert_eq!(fake.refreshes(), 1);
    assert!(ts.store.get("P1").await.unwrap().is_some());
}

#[tokio::test]
async fn sign_out_forgets_the_login_and_revokes_its_refresh_token() {
    let (ts, fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok", Duration::hours(1)).await;
    let client = api.client();
    assert_eq!(
        client.sign_out("R1", "P1").await.unwrap(),
        SignOutOutcome::Forgotten
    );
    assert_eq!(fake.revoked.lock().unwrap().as_slice(), ["rt-0"]);
    assert_eq!(
        client.sign_out("R1", "P1").await.unwrap(),
        SignOutOutcome::NothingToForget
    );
    assert_eq!(
        client.access_token("R1", "P1").await.unwrap_err(),
        TokenError::NotSignedIn
    );
}

#[tokio::test]
async fn confirm_binds_a_pending_sign_in_with_the_right_code_only() {
    let (ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    ts.store
        .put_pending(
            PendingSignIn {
                person_id: "P1".into(),
                room_id: None,
                tokens: tokens("pending-tok", None, t0() + Duration::hours(1)),
                code: "482913".into(),
                until: t0() + Duration::minutes(10),
            },
            t0(),
        )
        .await
        .unwrap();
    let client = api.client();
    assert_eq!(
        client.confirm("R1", "P1", "000000").await.unwrap(),
        ConfirmOutcome::NoSuchPending
    );
    assert_eq!(
        client.confirm("R1", "P1", "482913").await.unwrap(),
        ConfirmOutcome::Confirmed
    );
    assert_eq!(
        client
            .access_token("R1", "P1")
            .await
            .unwrap()
            .token
            .expose_secret(),
        "pending-tok"
    );
    assert_eq!(
        client.confirm("R1", "P1", "482913").await.unwrap(),
        ConfirmOutcome::NoSuchPending
    );
}

#[tokio::test]
async fn a_tampered_response_body_is_rejected_by_the_client() {
    let (ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok-real", Duration::hours(1)).await;
    // A proxy between bot and backend that rewrites the token in the body.
    let backend = api.base_url.clone();
    let proxy = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let backend = backend.clone();
        async move {
            let (parts, _) = req.into_parts();
            let mut forward = reqwest::Client::new().get(format!("{backend}{}", parts.uri));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let response = forward.send().await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = String::from_utf8(response.bytes().await.unwrap().to_vec()).unwrap();
            assert!(body.contains("tok-real"), "the proxy saw the real answer");
            let mut out = axum::response::Response::new(axum::body::Body::from(
                body.replace("tok-real", "tok-evil"),
            ));
            *out.status_mut() = status;
            for (name, value) in &headers {
                if name != "content-length" {
                    out.headers_mut().insert(name, value.clone());
                }
            }
            out
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, proxy).await.unwrap() });
    let client = slbot_signing::TokenClient::new(slbot_signing::TokenClientSettings {
        base_url: proxy_url,
        secret: secret(SECRET),
        version: Version::V2,
        timeout: std::time::Duration::from_secs(10),
    })
    .unwrap()
    .with_clock(api.clock.clone());
    let err = client.access_token("R1", "P1").await.unwrap_err();
    assert_eq!(
        err,
        TokenError::Service {
            cause: ServiceCause::BadResponseSignature(Rejection::BadSignature)
        }
    );
    assert!(!format!("{err:?} {err}").contains("tok-"), "{err}");
    server.abort();
}

#[tokio::test]
async fn two_concurrent_requests_for_an_expiring_token_refresh_it_once() {
    let ts = TestStore::sqlite(crate::token_harness::keys(K1, &[])).await;
    signed_in(&ts.store, "old", Duration::seconds(60)).await;
    let (tx, rx) = tokio::sync::watch::channel(0usize);
    let spy = Arc::new(crate::token_harness::LockSpy {
        inner: ts.store.clone(),
        entered: tx,
    });
    let mut fake = FakeRefresher::new(SsoMode::Rotate);
    fake.wait_for_lockers = Some((2, rx));
    let fake = Arc::new(fake);
    let api = Api::start(spy, fake.clone(), Version::V2).await;
    let (c1, c2) = (api.client(), api.client());
    let (a, b) = tokio::join!(c1.access_token("R1", "P1"), c2.access_token("R1", "P1"));
    assert_eq!(a.unwrap().token.expose_secret(), "fresh-1");
    assert_eq!(b.unwrap().token.expose_secret(), "fresh-1");
    assert_eq!(fake.refreshes(), 1);
}

#[tokio::test]
async fn a_replayed_request_is_refused_with_401_and_the_bot_reports_a_service_problem() {
    let (ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok", Duration::hours(1)).await;
    let client = api
        .client()
        .with_nonce_source(Arc::new(FixedNonce("0123456789abcdef0123456789abcdef")));
    assert!(client.access_token("R1", "P1").await.is_ok());
    let err = client.access_token("R1", "P1").await.unwrap_err();
    assert_eq!(
        err,
        TokenError::Service {
            cause: ServiceCause::RequestRejected
        }
    );
}

#[tokio::test]
async fn a_nonce_used_before_a_backend_restart_is_still_refused_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display());
    let open = || async {
        slbot_backend::store::connect_with_replay_window(&url, crate::token_harness::keys(K1, &[]))
            .await
            .unwrap()
    };
    let nonce = FixedNonce("00112233445566778899aabbccddeeff");
    let fake = Arc::new(FakeRefresher::new(SsoMode::Rotate));

    let (store, nonces) = open().await;
    signed_in(&store, "tok", Duration::hours(1)).await;
    let before = Api::start_with_replay_window(store, nonces, fake.clone(), Version::V2).await;
    let client = before.client().with_nonce_source(Arc::new(nonce.clone()));
    assert!(client.access_token("R1", "P1").await.is_ok());
    drop(before);

    // The backend restarts on the same SQLite file; the request comes again within 300 s.
    let (store, nonces) = open().await;
    let after = Api::start_with_replay_window(store, nonces, fake, Version::V2).await;
    let err = after
        .client()
        .with_nonce_source(Arc::new(nonce))
        .access_token("R1", "P1")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TokenError::Service {
            cause: ServiceCause::RequestRejected
        }
    );
    // A fresh nonce still gets through: the store answers, only the replay is refused.
    assert!(after.client().access_token("R1", "P1").await.is_ok());
}

#[tokio::test]
async fn a_stale_date_is_refused_with_a_signed_empty_401() {
    let (ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok", Duration::hours(1)).await;
    for date in [t0() - Duration::seconds(301), t0() + Duration::seconds(301)] {
        let got = raw(
            &api,
            reqwest::Method::GET,
            QUERY,
            QUERY,
            date,
            &slbot_base::random_hex(16),
        )
        .await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        assert!(got.body.is_empty());
        assert_eq!(got.verified, Ok(()), "the 401 itself is signed");
    }
    let fresh = raw(
        &api,
        reqwest::Method::GET,
        QUERY,
        QUERY,
        t0() - Duration::seconds(299),
        &slbot_base::random_hex(16),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_secret_is_a_service_problem_never_not_signed_in() {
    let (_ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    let err = api
        .client_with_secret("not-the-secret")
        .access_token("R1", "P1")
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Service { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_parameters_with_a_good_signature_get_a_signed_empty_400() {
    let (_ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    for query in [
        "roomId=R1",
        "personId=P1",
        "roomId=R1&personId=P1&personId=P2",
        "roomId=R1&personId=a%2Fb",
        "roomId=R1&personId=",
    ] {
        let got = raw(
            &api,
            reqwest::Method::GET,
            query,
            query,
            t0(),
            &slbot_base::random_hex(16),
        )
        .await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(got.body.is_empty());
        assert_eq!(got.verified, Ok(()));
    }
}

#[tokio::test]
async fn a_bad_signature_is_reported_before_bad_parameters() {
    let (_ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    // Signed for one query, sent with another that is also malformed.
    let got = raw(
        &api,
        reqwest::Method::GET,
        QUERY,
        "roomId=R1",
        t0(),
        &slbot_base::random_hex(16),
    )
    .await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert_eq!(got.verified, Ok(()));
}

#[tokio::test]
async fn a_tampered_query_cannot_fetch_someone_elses_token() {
    let (ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok", Duration::hours(1)).await;
    let got = raw(
        &api,
        reqwest::Method::GET,
        "roomId=R1&personId=P2",
        QUERY,
        t0(),
        &slbot_base::random_hex(16),
    )
    .await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert!(got.body.is_empty());
}

#[tokio::test]
async fn a_backend_that_never_answers_is_a_timeout_not_a_missing_login() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts connections and holds them open without a word.
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = slbot_signing::TokenClient::new(slbot_signing::TokenClientSettings {
        base_url: url,
        secret: secret(SECRET),
        version: Version::V2,
        timeout: std::time::Duration::from_millis(300),
    })
    .unwrap();
    let err = client.access_token("R1", "P1").await.unwrap_err();
    assert_eq!(
        err,
        TokenError::Service {
            cause: ServiceCause::Timeout
        }
    );
    hold.abort();
}

#[tokio::test]
async fn an_unreachable_backend_is_a_transport_problem() {
    // Bind then drop: nothing listens on that port any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = slbot_signing::TokenClient::new(slbot_signing::TokenClientSettings {
        base_url: url,
        secret: secret(SECRET),
        version: Version::V2,
        timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let err = client.access_token("R1", "P1").await.unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::Service {
                cause: ServiceCause::Transport(_)
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn even_a_wrong_method_or_an_oversized_body_gets_a_signed_answer() {
    let (_ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    let nonce = slbot_base::random_hex(16);
    let got = raw(&api, reqwest::Method::PUT, QUERY, QUERY, t0(), &nonce).await;
    assert_eq!(got.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(got.verified, Ok(()));

    let response = reqwest::Client::new()
        .post(format!(
            "{}{}?{QUERY}",
            api.base_url,
            slbot_signing::CONFIRM_PATH
        ))
        .header("x-sld-nonce", &nonce)
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let verified = verify_response(
        Version::V2,
        &secret(SECRET),
        status,
        &headers,
        &body,
        Some(&nonce),
        slbot_base::Clock::now(api.clock.as_ref()),
    );
    assert_eq!(verified, Ok(()));
}

#[tokio::test]
async fn metrics_count_token_api_answers_by_operation_and_status_and_show_the_store_up() {
    let (ts, _fake, api) = api_with(Version::V2, SsoMode::Rotate).await;
    signed_in(&ts.store, "tok-metrics", Duration::hours(1)).await;
    let client = api.client();
    assert!(client.access_token("R1", "P1").await.is_ok());
    assert!(client.access_token("R1", "P1").await.is_ok());
    assert_eq!(
        client.access_token("R2", "P-nobody").await.unwrap_err(),
        TokenError::NotSignedIn
    );
    let text = reqwest::get(format!("{}/metrics", api.base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        has(r#"slbot_backend_token_api_answers_total{operation="get",status="200"} 2"#),
        "{text}"
    );
    assert!(
        has(r#"slbot_backend_token_api_answers_total{operation="get",status="404"} 1"#),
        "{text}"
    );
    assert!(has("slbot_backend_store_up 1"), "{text}");
    assert!(
        !text.contains("tok-metrics") && !text.contains("P1"),
        "no ids or tokens"
    );
}
