//! Black-box tests of the SSO simulator over HTTP on 127.0.0.1:0.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use slbot_base::ManualClock;
use slbot_sim_sso::{spawn, SimSsoConfig, SimSsoHandle, SsoState};

const REDIRECT: &str = "http://127.0.0.1:1/oauth/callback";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-rfc-7636-0123456789";

/// The S256 challenge, computed here independently of the simulator.
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

struct Sim {
    base: String,
    http: reqwest::Client,
    clock: Arc<ManualClock>,
    handle: SimSsoHandle,
}

async fn start(tweak: impl FnOnce(&mut SimSsoConfig)) -> Sim {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap(),
    ));
    let mut config = SimSsoConfig {
        client_secret: Some("s3cret".into()),
        clock: clock.clone(),
        ..SimSsoConfig::default()
    };
    tweak(&mut config);
    let (addr, handle) = spawn(config).await.unwrap();
    Sim {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        handle,
    }
}

impl Sim {
    /// Submits the login form as `email` and returns the `code` from the redirect.
    async fn login(&self, email: &str, scope: &str, state: &str) -> String {
        let response = self
            .http
            .post(format!("{}/authorize", self.base))
            .form(&[
                ("response_type", "code"),
                ("client_id", "slbot-demo"),
                ("redirect_uri", REDIRECT),
                ("scope", scope),
                ("state", state),
                ("code_challenge", &challenge(VERIFIER)),
                ("code_challenge_method", "S256"),
                ("email", email),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(REDIRECT), "{location}");
        let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(q.get("state").map(String::as_str), Some(state));
        q["code"].clone()
    }

    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/token", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn exchange(&self, code: &str, verifier: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", "slbot-demo"),
            ("client_secret", "s3cret"),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "slbot-demo"),
            ("client_secret", "s3cret"),
        ])
        .await
    }

    async fn userinfo(&self, access_token: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}/userinfo", self.base))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn introspect(&self, token: &str) -> Value {
        self.http
            .post(format!("{}/introspect", self.base))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn stats(&self) -> Value {
        self.http
            .get(format!("{}/_sim/stats", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn signed_in(&self, email: &str) -> Value {
        let code = self
            .login(email, "openid profile email offline_access", "st-1")
            .await;
        let (status, body) = self.exchange(&code, VERIFIER).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

const SCOPES: &str = "openid profile email offline_access";

#[tokio::test]
async fn the_login_form_offers_the_demo_people_and_posts_to_a_relative_url() {
    let sim = start(|_| {}).await;
    let page = sim
        .http
        .get(format!("{}/authorize", sim.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", "slbot-demo"),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPES),
            ("state", "xyz"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"authorize\""), "{html}");
    assert!(html.contains("ana.admin@example.com"));
    assert!(html.contains("name=\"state\" value=\"xyz\""));
}

#[tokio::test]
async fn an_authorize_request_without_pkce_is_refused() {
    let sim = start(|_| {}).await;
    let page = sim
        .http
        .get(format!("{}/authorize", sim.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", "slbot-demo"),
            ("redirect_uri", REDIRECT),
            ("state", "xyz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("PKCE is required"));
}

#[tokio::test]
async fn a_code_exchanged_with_the_right_verifier_gives_tokens_and_userinfo() {
    let sim = start(|_| {}).await;
    let tokens = sim.signed_in("Ana.Admin@example.com").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert!(tokens["refresh_token"].is_string());
    let (status, info) = sim.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(info["email"], "Ana.Admin@example.com");
    assert_eq!(
        info["sub"],
        slbot_sim_sso::sub_for_email("ana.admin@example.com")
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_invalid_grant_and_burns_the_code() {
    let sim = start(|_| {}).await;
    let code = sim.login("ana@example.com", SCOPES, "s").await;
    let (status, body) = sim
        .exchange(
            &code,
            "another-verifier-that-is-long-enough-for-rfc-7636-xx",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = sim.exchange(&code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_but_basic_auth_works() {
    let sim = start(|_| {}).await;
    let code = sim.login("ana@example.com", SCOPES, "s").await;
    let (status, body) = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "slbot-demo"),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let code = sim.login("ana@example.com", SCOPES, "s").await;
    let response = sim
        .http
        .post(format!("{}/token", sim.base))
        .basic_auth("slbot-demo", Some("s3cret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_the_old_one_is_then_rejected() {
    let sim = start(|_| {}).await;
    let first = sim.signed_in("ana@example.com").await;
    let old = first["refresh_token"].as_str().unwrap();
    let before = sim.handle.state.revision();
    let (status, second) = sim.refresh(old).await;
    assert_ne!(
        sim.handle.state.revision(),
        before,
        "a rotation is worth saving"
    );
    assert_eq!(status, 200);
    let new = second["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    let (status, body) = sim.refresh(old).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = sim.refresh(new).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn tokens_expire_on_the_injected_clock() {
    let sim = start(|c| {
        c.access_ttl = chrono::Duration::seconds(60);
        c.refresh_ttl = chrono::Duration::seconds(600);
    })
    .await;
    let tokens = sim.signed_in("ana@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    sim.clock.advance(chrono::Duration::seconds(59));
    assert_eq!(sim.userinfo(access).await.0, 200);
    sim.clock.advance(chrono::Duration::seconds(1));
    let (status, body) = sim.userinfo(access).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    sim.clock.advance(chrono::Duration::seconds(540));
    let (status, body) = sim.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn introspection_reports_active_tokens_with_their_owner_and_expiry() {
    let sim = start(|_| {}).await;
    let tokens = sim.signed_in("paul@partner.example.net").await;
    let access = tokens["access_token"].as_str().unwrap();
    let info = sim.introspect(access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["email"], "paul@partner.example.net");
    assert_eq!(
        info["sub"],
        slbot_sim_sso::sub_for_email("paul@partner.example.net")
    );
    // 12:00:00 on 2026-11-28 plus the default 300 s lifetime.
    let expected_exp = Utc
        .with_ymd_and_hms(2026, 11, 28, 12, 5, 0)
        .unwrap()
        .timestamp();
    assert_eq!(info["exp"], expected_exp);
    assert_eq!(
        sim.introspect("nonsense").await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn revoking_the_refresh_token_ends_the_sign_in() {
    let sim = start(|_| {}).await;
    let tokens = sim.signed_in("ana@example.com").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = sim
        .http
        .post(format!("{}/revoke", sim.base))
        .form(&[
            ("token", refresh),
            ("token_type_hint", "refresh_token"),
            ("client_id", "slbot-demo"),
            ("client_secret", "s3cret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sim.introspect(refresh).await["active"], false);
    assert_eq!(
        sim.introspect(tokens["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}

#[tokio::test]
async fn without_the_email_scope_userinfo_has_no_email() {
    let sim = start(|_| {}).await;
    let code = sim
        .login("ana@example.com", "openid offline_access", "s")
        .await;
    let (_, tokens) = sim.exchange(&code, VERIFIER).await;
    let (status, info) = sim.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(info.get("email").is_none(), "{info}");
    assert!(info["sub"].is_string());
}

#[tokio::test]
async fn every_third_call_fails_and_every_second_refresh_is_invalid_grant_as_counted() {
    let sim = start(|c| {
        c.fail_every = Some(3);
        c.invalid_grant_every = Some(2);
    })
    .await;
    // Calls 1 (token) and 2 (userinfo) pass; call 3 is the injected 503.
    let tokens = sim.signed_in("ana@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(sim.userinfo(access).await.0, 200);
    let (status, body) = sim.userinfo(access).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("temporarily_unavailable"))
    );
    // Call 4: the first refresh passes. Call 5: the second refresh is the injected invalid_grant.
    let (status, second) = sim.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let (status, body) = sim.refresh(second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let stats = sim.stats().await;
    assert_eq!(stats["injected_server_errors"], 1);
    assert_eq!(stats["injected_invalid_grants"], 1);
    assert_eq!(stats["requests"]["token"], 3);
    assert_eq!(stats["requests"]["userinfo"], 2);
    assert_eq!(stats["requests"]["authorize_submit"], 1);
}

#[tokio::test]
async fn saved_tokens_survive_a_restart() {
    let sim = start(|_| {}).await;
    let tokens = sim.signed_in("ana@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sso-tokens.json");
    sim.handle.state.save(&path).unwrap();
    let clock = sim.clock.clone();
    sim.handle.shutdown().await;

    let restored = SsoState::load(
        SimSsoConfig {
            client_secret: Some("s3cret".into()),
            clock,
            ..SimSsoConfig::default()
        },
        &path,
    )
    .unwrap();
    let (addr, _handle) = slbot_sim_sso::spawn_with_state(restored).await.unwrap();
    let info: Value = reqwest::Client::new()
        .get(format!("http://{addr}/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "ana@example.com");
}
