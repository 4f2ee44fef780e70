//! The SSO client against an identity provider that answers too much: a body over the cap
//! fails the call cleanly (no panic, no secret in the message), one under it is read.

use std::time::Duration;

use axum::routing::post;
use axum::Router;
use secrecy::SecretString;
use slbot_backend::sso::{ClientAuth, SsoClient, SsoError, SsoSettings, MAX_BODY_BYTES};
use url::Url;

/// An identity provider whose token answer is valid JSON padded to `size` bytes.
async fn provider_answering(size: usize) -> String {
    let head = r#"{"access_token":"at-secret","token_type":"Bearer","expires_in":3600,"pad":""#;
    let tail = r#""}"#;
    let body = format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()));
    assert_eq!(body.len(), size);
    let app = Router::new().route(
        "/token",
        post(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn client(base: &str) -> SsoClient {
    let url = |p: &str| Url::parse(&format!("{base}{p}")).unwrap();
    SsoClient::new(SsoSettings {
        authorize_url: url("/authorize"),
        token_url: url("/token"),
        userinfo_url: url("/userinfo"),
        revoke_url: None,
        client_id: "client".into(),
        client_secret: SecretString::from("client-secret".to_string()),
        redirect_uri: url("/oauth/callback"),
        client_auth: ClientAuth::Post,
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

#[tokio::test]
async fn a_token_answer_larger_than_the_cap_fails_cleanly_without_a_secret_in_the_error() {
    let base = provider_answering(MAX_BODY_BYTES + 1).await;
    let verifier = SecretString::from("verifier-secret".to_string());
    let err = client(&base)
        .exchange_code("the-code", &verifier)
        .await
        .unwrap_err();
    assert!(matches!(err, SsoError::Unexpected(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("larger than 262144 bytes"), "{shown}");
    for secret in ["at-secret", "client-secret", "verifier-secret", "the-code"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[tokio::test]
async fn a_token_answer_just_under_the_cap_is_read() {
    let base = provider_answering(MAX_BODY_BYTES).await;
    let verifier = SecretString::from("verifier".to_string());
    let tokens = client(&base)
        .exchange_code("code", &verifier)
        .await
        .unwrap();
    assert_eq!(tokens.expires_in, Some(3600));
}
