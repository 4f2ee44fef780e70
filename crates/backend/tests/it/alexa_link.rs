//! Alexa account linking end to end on the production start path (`server::start` +
//! `server::serve`, SQLite, the real Webex client) against the Webex and Cisco SSO
//! simulators: a simulated Alexa opens `/alexa/authorize`, a browser signs in at the SSO
//! simulator, Alexa redeems the code at `/alexa/token`, the bot asks whose the token is.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use slbot_backend::server;
use slbot_backend::settings::{AlexaSettings, BackendSettings};
use slbot_backend::sso::{ClientAuth, SsoSettings};
use slbot_base::{Clock, ManualClock};
use slbot_signing::{TokenClient, TokenClientSettings, TokenError, Version};
use url::Url;

const SECRET: &str = "backend-secret-for-the-alexa-journey";
const ANA_EMAIL: &str = "ana.alexa@example.com";
const ALEXA_ID: &str = "alexa-skill";
const ALEXA_SECRET: &str = "alexa-client-secret-value";
const REDIRECT: &str = "https://pitangui.amazon.com/api/skill/link/M2TEST";
const VERIFIER: &str = "a-pkce-verifier-of-alexa-that-is-long-enough-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn post_json(url: String, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

struct Linking {
    backend: String,
    sso: String,
    ana_id: String,
    clock: Arc<ManualClock>,
    bot: TokenClient,
    db: String,
    _sims: (slbot_sim_sso::SimSsoHandle, Box<dyn std::any::Any + Send>),
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(version: Version) -> Linking {
    let (_, webex) = slbot_sim_webex::spawn(slbot_sim_webex::SimConfig::default())
        .await
        .unwrap();
    let control = format!("http://{}", webex.addr());
    let bot = post_json(
        format!("{control}/_sim/people"),
        json!({"email": "licenses@webex.bot", "displayName": "Licenses", "type": "bot"}),
    )
    .await;
    let ana = post_json(
        format!("{control}/_sim/people"),
        json!({"email": ANA_EMAIL, "displayName": "Ana Alexa"}),
    )
    .await;
    let ana_id = ana["person"]["id"].as_str().unwrap().to_string();
    let (sso_addr, sso_handle) = slbot_sim_sso::spawn(slbot_sim_sso::SimSsoConfig {
        client_secret: Some("sso-secret".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let sso = format!("http://{sso_addr}");
    let dir = tempfile::tempdir().unwrap();
    let db = format!("{}/slbot.db", dir.path().display());
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let backend = format!("http://{}", listener.local_addr().unwrap());
    let settings = BackendSettings {
        listen: listener.local_addr().unwrap(),
        public_url: Url::parse(&backend).unwrap(),
        backend_secret: SecretString::from(SECRET.to_string()),
        signing_version: version,
        store_url: SecretString::from(format!("sqlite://{db}?mode=rwc")),
        store_key: SecretString::from("cd".repeat(32)),
        store_old_keys: vec![],
        sso: SsoSettings {
            authorize_url: Url::parse(&format!("{sso}/authorize")).unwrap(),
            token_url: Url::parse(&format!("{sso}/token")).unwrap(),
            userinfo_url: Url::parse(&format!("{sso}/userinfo")).unwrap(),
            revoke_url: None,
            client_id: slbot_sim_sso::DEFAULT_CLIENT_ID.to_string(),
            client_secret: SecretString::from("sso-secret".to_string()),
            redirect_uri: Url::parse(&format!("{backend}/oauth/callback")).unwrap(),
            client_auth: ClientAuth::Post,
            timeout: Duration::from_secs(10),
        },
        webex_api_url: webex.api_url(),
        webex_bot_token: SecretString::from(bot["token"].as_str().unwrap().to_string()),
        allowed_email_domains: vec![],
        http: slbot_http::Limits::default(),
        allowed_org_ids: vec![],
        login: slbot_backend::signin::throttle::LoginLimits::default(),
        alexa: Some(AlexaSettings {
            client_id: ALEXA_ID.to_string(),
            client_secret: SecretString::from(ALEXA_SECRET.to_string()),
            redirect_urls: vec![REDIRECT.to_string()],
            token_ttl: Duration::from_secs(3600),
        }),
        dashboard: Default::default(),
    };
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let started = server::start(&settings, clock.clone()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(
        started.router,
        started.store,
        clock.clone(),
        listener,
        settings.http,
        async {
            let _ = stopped.await;
        },
    ));
    let bot = TokenClient::new(TokenClientSettings {
        base_url: backend.clone(),
        secret: SecretString::from(SECRET.to_string()),
        version,
        timeout: Duration::from_secs(10),
    })
    .unwrap()
    .with_clock(clock.clone());
    Linking {
        backend,
        sso,
        ana_id,
        clock,
        bot,
        db,
        _sims: (sso_handle, Box::new(webex)),
        _dir: dir,
        _stop: stop,
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

impl Linking {
    fn authorize_url(&self, pairs: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&format!("{}/alexa/authorize", self.backend)).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        url.to_string()
    }

    /// Alexa opens the authorization URL with PKCE; Ana signs in at Cisco; the callback's
    /// redirect to Alexa comes back.
    async fn link(&self) -> Url {
        let challenge = challenge(VERIFIER);
        let browser = browser();
        let r = browser
            .get(self.authorize_url(&[
                ("response_type", "code"),
                ("client_id", ALEXA_ID),
                ("redirect_uri", REDIRECT),
                ("state", "alexa state/with&odd=chars"),
                ("scope", "licences"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{:?}", r.text().await);
        let authorize = Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        assert!(authorize.as_str().starts_with(&self.sso));
        let mut form: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
        form.insert("email".into(), ANA_EMAIL.into());
        let r = browser
            .post(format!("{}/authorize", self.sso))
            .form(&form)
            .send()
            .await
            .unwrap();
        let callback = r.headers()["location"].to_str().unwrap().to_string();
        let r = browser.get(callback).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["cache-control"], "no-store");
        Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
    }

    async fn token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}/alexa/token", self.backend))
            .form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        if status == 200 {
            assert_eq!(r.headers()["cache-control"], "no-store");
            assert_eq!(r.headers()["pragma"], "no-cache");
        }
        if status == 401 {
            assert!(r.headers().contains_key("www-authenticate"));
        }
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn redeem(&self, code: &str, verifier: &str) -> (u16, Value) {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
            Some((ALEXA_ID, ALEXA_SECRET)),
        )
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", ALEXA_ID),
                ("client_secret", ALEXA_SECRET),
            ],
            None,
        )
        .await
    }

    /// Every byte the SQLite files hold.
    fn stored_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(bytes) = std::fs::read(format!("{}{suffix}", self.db)) {
                all.extend(bytes);
            }
        }
        all
    }
}

fn code_of(redirect: &Url) -> String {
    let pairs: HashMap<String, String> = redirect.query_pairs().into_owned().collect();
    pairs["code"].clone()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn alexa_links_through_cisco_sso_refreshes_and_loses_the_link_when_the_person_signs_out() {
    let h = start(Version::V2).await;
    let redirect = h.link().await;
    assert!(redirect.as_str().starts_with(REDIRECT), "{redirect}");
    let pairs: HashMap<String, String> = redirect.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "alexa state/with&odd=chars");
    let code = code_of(&redirect);

    let (status, tokens) = h.redeem(&code, VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let person = h.bot.alexa_person(&access).await.unwrap();
    assert_eq!(person.person_id, h.ana_id);
    assert!(!person.room_id.is_empty());

    // The store holds none of what was issued in the clear.
    let stored = h.stored_bytes();
    for value in [&code, &access, &refresh] {
        assert!(
            !contains(&stored, value),
            "a code or token is stored in the clear"
        );
    }

    // Refresh rotates: new tokens work, the old refresh token is refused afterwards.
    let (status, fresh) = h.refresh(&refresh).await;
    assert_eq!(status, 200, "{fresh}");
    let new_access = fresh["access_token"].as_str().unwrap().to_string();
    let new_refresh = fresh["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, refresh);
    assert_eq!(
        h.bot.alexa_person(&new_access).await.unwrap().person_id,
        h.ana_id
    );
    // Alexa retrying a refresh whose answer it lost, within the grace, gets a new pair.
    h.clock.advance(chrono::Duration::seconds(10));
    let (status, retried) = h.refresh(&refresh).await;
    assert_eq!(status, 200, "{retried}");
    // Past the grace, the old refresh token is a copy: refused.
    h.clock.advance(chrono::Duration::seconds(21));
    let (status, body) = h.refresh(&refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // That reuse revoked the link: the new refresh token is gone too.
    let (status, _) = h.refresh(&new_refresh).await;
    assert_eq!(status, 400);
    assert_eq!(
        h.bot.alexa_person(&new_access).await,
        Err(TokenError::NotSignedIn)
    );
}

#[tokio::test]
async fn signing_out_makes_the_alexa_lookup_404_and_the_refresh_token_refused() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    let (_, tokens) = h.redeem(&code, VERIFIER).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let person = h.bot.alexa_person(&access).await.unwrap();
    h.bot
        .sign_out(&person.room_id, &person.person_id)
        .await
        .unwrap();
    assert_eq!(
        h.bot.alexa_person(&access).await,
        Err(TokenError::NotSignedIn)
    );
    let (status, body) = h.refresh(&refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn an_unknown_client_or_an_unregistered_redirect_uri_gets_a_page_and_no_redirect() {
    let h = start(Version::V2).await;
    for (client, redirect) in [
        ("someone-else", REDIRECT),
        (ALEXA_ID, "https://evil.example.com/cb"),
        (
            ALEXA_ID,
            "https://pitangui.amazon.com/api/skill/link/M2TEST/",
        ),
    ] {
        let r = browser()
            .get(h.authorize_url(&[
                ("response_type", "code"),
                ("client_id", client),
                ("redirect_uri", redirect),
                ("state", "s"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{client} {redirect}");
        assert!(r.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn a_bad_response_type_or_a_missing_or_bad_challenge_goes_back_to_alexa_with_the_error() {
    let h = start(Version::V2).await;
    for (pairs, error) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        // PKCE is required: a request without a challenge may have had it stripped.
        (vec![("response_type", "code")], "invalid_request"),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", "x".repeat(43).leak() as &str),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
    ] {
        let mut all = vec![
            ("client_id", ALEXA_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st"),
        ];
        all.extend(pairs);
        let r = browser().get(h.authorize_url(&all)).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let to = Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        let got: HashMap<String, String> = to.query_pairs().into_owned().collect();
        assert_eq!(got["error"], error);
        assert_eq!(got["state"], "st");
    }
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = h.token(&form, Some((ALEXA_ID, "wrong"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _) = h.token(&form, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    let (status, body) = h
        .redeem(&code, "another-verifier-that-is-long-enough-0123456789abc")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_redirect_uri_other_than_the_codes_is_invalid_grant() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    let (status, body) = h
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "https://pitangui.amazon.com/other"),
                ("code_verifier", VERIFIER),
            ],
            Some((ALEXA_ID, ALEXA_SECRET)),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_code_used_twice_is_refused_and_revokes_the_tokens_of_its_first_use() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    let (status, tokens) = h.redeem(&code, VERIFIER).await;
    assert_eq!(status, 200);
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert!(h.bot.alexa_person(&access).await.is_ok());
    let (status, body) = h.redeem(&code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        h.bot.alexa_person(&access).await,
        Err(TokenError::NotSignedIn)
    );
}

#[tokio::test]
async fn a_code_older_than_five_minutes_is_refused() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    h.clock.advance(chrono::Duration::seconds(5 * 60 + 1));
    let (status, body) = h.redeem(&code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn an_expired_or_never_issued_access_token_is_404_for_the_bot() {
    let h = start(Version::V2).await;
    let code = code_of(&h.link().await);
    let (_, tokens) = h.redeem(&code, VERIFIER).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        h.bot.alexa_person("never-issued-token").await,
        Err(TokenError::NotSignedIn)
    );
    h.clock.advance(chrono::Duration::seconds(3601));
    assert_eq!(
        h.bot.alexa_person(&access).await,
        Err(TokenError::NotSignedIn)
    );
    let _ = h.clock.now();
}

#[tokio::test]
async fn a_v1_signed_alexa_lookup_is_refused() {
    let h = start(Version::V1).await;
    // The client refuses to ask over v1 at all...
    assert!(matches!(
        h.bot.alexa_person("any").await,
        Err(TokenError::Service { .. })
    ));
    // ...and the backend refuses a correctly v1-signed request.
    let body = br#"{"access_token":"any"}"#;
    let headers = slbot_signing::sign_request(
        Version::V1,
        &SecretString::from(SECRET.to_string()),
        &h.backend,
        &slbot_signing::OutgoingRequest {
            method: "POST",
            path: slbot_signing::ALEXA_PERSON_PATH,
            query: "",
            body,
        },
        h.clock.now(),
        "0123456789abcdef0123456789abcdef",
    )
    .unwrap();
    let mut request = reqwest::Client::new()
        .post(format!(
            "{}{}?",
            h.backend,
            slbot_signing::ALEXA_PERSON_PATH
        ))
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
}

/// The grant store itself, on both engines (SQLite always, PostgreSQL when configured).
mod grants {
    use crate::token_harness::{keys, t0, tokens, K1};
    use chrono::Duration;
    use slbot_backend::store::alexa_grants::{
        grant_hash, AlexaGrants, IssuedTokens, NewCode, Redeemed,
    };

    fn pair(tag: &str, at: chrono::DateTime<chrono::Utc>) -> IssuedTokens {
        IssuedTokens {
            access_hash: grant_hash(&format!("access-{tag}")),
            access_expires_at: at + Duration::hours(1),
            refresh_hash: grant_hash(&format!("refresh-{tag}")),
            refresh_expires_at: at + Duration::days(30),
        }
    }

    both_engines!(
        codes_redeem_once_refresh_tokens_rotate_and_sign_out_forgets_every_grant,
        keys(K1, &[]),
        |ts| {
            let store = &ts.store;
            let grants: std::sync::Arc<dyn AlexaGrants> = store.alexa_grants().unwrap();
            store
                .put(
                    "P1",
                    Some("R1"),
                    tokens("at", Some("rt"), t0() + Duration::hours(1)),
                    t0(),
                )
                .await
                .unwrap();
            grants
                .issue_code(
                    NewCode {
                        hash: grant_hash("code-1"),
                        link_id: "L1".into(),
                        person_id: "P1".into(),
                        room_id: "R1".into(),
                        redirect_uri: "https://a.example/cb".into(),
                        code_challenge: None,
                        expires_at: t0() + Duration::minutes(5),
                    },
                    t0(),
                )
                .await
                .unwrap();
            let got = grants
                .redeem_code(
                    &grant_hash("code-1"),
                    t0(),
                    Box::new(|_| true),
                    pair("1", t0()),
                )
                .await
                .unwrap();
            assert_eq!(
                got,
                Redeemed::Issued {
                    person_id: "P1".into(),
                    room_id: "R1".into()
                }
            );
            let owner = grants
                .owner_of_access(&grant_hash("access-1"), t0())
                .await
                .unwrap();
            assert_eq!(owner.unwrap().person_id, "P1");
            // Rotation: the new pair works, the old refresh token is refused and revokes all.
            assert!(matches!(
                grants
                    .rotate_refresh(&grant_hash("refresh-1"), t0(), pair("2", t0()))
                    .await
                    .unwrap(),
                Redeemed::Issued { .. }
            ));
            assert!(grants
                .owner_of_access(&grant_hash("access-2"), t0())
                .await
                .unwrap()
                .is_some());
            // Within 30 s of its rotation the same token is a retry: a new pair.
            let retry_at = t0() + chrono::Duration::seconds(30);
            assert!(matches!(
                grants
                    .rotate_refresh(&grant_hash("refresh-1"), retry_at, pair("3", t0()))
                    .await
                    .unwrap(),
                Redeemed::Issued { .. }
            ));
            let copied_at = t0() + chrono::Duration::seconds(31);
            assert_eq!(
                grants
                    .rotate_refresh(&grant_hash("refresh-1"), copied_at, pair("4", t0()))
                    .await
                    .unwrap(),
                Redeemed::Reused
            );
            assert!(grants
                .owner_of_access(&grant_hash("access-2"), t0())
                .await
                .unwrap()
                .is_none());
            assert_eq!(
                grants
                    .rotate_refresh(&grant_hash("refresh-2"), t0(), pair("4", t0()))
                    .await
                    .unwrap(),
                Redeemed::Unknown
            );
            // A second link, then sign out: nothing of it is left.
            grants
                .issue_code(
                    NewCode {
                        hash: grant_hash("code-2"),
                        link_id: "L2".into(),
                        person_id: "P1".into(),
                        room_id: "R1".into(),
                        redirect_uri: "https://a.example/cb".into(),
                        code_challenge: None,
                        expires_at: t0() + Duration::minutes(5),
                    },
                    t0(),
                )
                .await
                .unwrap();
            grants
                .redeem_code(
                    &grant_hash("code-2"),
                    t0(),
                    Box::new(|_| true),
                    pair("5", t0()),
                )
                .await
                .unwrap();
            assert!(store.delete("P1").await.unwrap().is_some());
            assert!(grants
                .owner_of_access(&grant_hash("access-5"), t0())
                .await
                .unwrap()
                .is_none());
            assert_eq!(ts.raw_count("alexa_grants").await, 0);
        }
    );
}

#[tokio::test]
async fn a_linking_cancelled_at_cisco_goes_back_to_alexa_with_access_denied_and_its_state() {
    let h = start(Version::V2).await;
    let browser = browser();
    let r = browser
        .get(h.authorize_url(&[
            ("response_type", "code"),
            ("client_id", ALEXA_ID),
            ("redirect_uri", REDIRECT),
            ("state", "alexa-state"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let authorize = Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let sso: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    // Cisco answers the callback as it does when the person presses Cancel.
    let mut callback = Url::parse(&sso["redirect_uri"]).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("state", &sso["state"])
        .append_pair("error", "access_denied");
    let r = browser.get(callback).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(to.as_str().starts_with(REDIRECT), "{to}");
    let got: HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(got["error"], "access_denied");
    assert_eq!(got["state"], "alexa-state");
    assert!(!got.contains_key("code"));
}
