//! The production start path (`server::start` + `server::serve`) with the real Webex client,
//! against the Webex and Cisco SSO simulators and SQLite: what `slbot backend` runs, with only
//! the base URLs changed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_backend::server;
use slbot_backend::settings::BackendSettings;
use slbot_backend::sso::{ClientAuth, SsoSettings};
use slbot_base::SystemClock;
use slbot_signing::{TokenClient, TokenClientSettings, Version};
use url::Url;

const SECRET: &str = "backend-secret-for-the-webex-journey";
const ANA_EMAIL: &str = "ana.admin@example.com";

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

#[tokio::test]
async fn a_dashboard_sign_in_opens_the_real_1_1_space_and_the_bot_can_then_fetch_the_token() {
    // Webex: a bot and Ana.
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
        json!({"email": ANA_EMAIL, "displayName": "Ana Admin"}),
    )
    .await;
    let ana_id = ana["person"]["id"].as_str().unwrap().to_string();

    // Cisco SSO.
    let (sso_addr, _sso) = slbot_sim_sso::spawn(slbot_sim_sso::SimSsoConfig {
        client_secret: Some("sso-secret".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let sso = format!("http://{sso_addr}");

    // The backend, started exactly as `slbot backend` starts it.
    let dir = tempfile::tempdir().unwrap();
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let backend = format!("http://{}", listener.local_addr().unwrap());
    let settings = BackendSettings {
        listen: listener.local_addr().unwrap(),
        public_url: Url::parse(&backend).unwrap(),
        backend_secret: SecretString::from(SECRET.to_string()),
        signing_version: Version::V2,
        store_url: SecretString::from(format!(
            "sqlite://{}/slbot.db?mode=rwc",
            dir.path().display()
        )),
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
        alexa: None,
        dashboard: Default::default(),
    };
    let clock = Arc::new(SystemClock);
    let started = server::start(&settings, clock.clone()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(
        started.router,
        started.store,
        clock,
        listener,
        settings.http,
        async {
            let _ = stopped.await;
        },
    ));

    // The browser: dashboard → login → SSO form → callback.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let home = browser
        .get(&backend)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("webexteams://im?email=licenses@webex.bot"),
        "{home}"
    );
    let r = browser
        .get(format!("{backend}/login"))
        .send()
        .await
        .unwrap();
    let authorize = Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let mut form: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    form.insert("email".into(), ANA_EMAIL.into());
    let r = browser
        .post(format!("{sso}/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let callback = r.headers()["location"].to_str().unwrap().to_string();
    let r = browser.get(callback).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("You're signed in"));

    // Webex: the direct space exists and holds the welcome from the bot.
    let rooms: Value = reqwest::get(format!("{control}/_sim/people/{ana_id}/rooms"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let room_id = rooms["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(rooms["items"][0]["type"], "direct");
    let messages: Value = reqwest::get(format!("{control}/_sim/rooms/{room_id}/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &messages["items"][0];
    assert_eq!(first["personId"], bot["person"]["id"]);
    assert!(first["markdown"].as_str().unwrap().contains("Welcome"));

    // The bot asks for Ana's token with a signed request.
    let client = TokenClient::new(TokenClientSettings {
        base_url: backend.clone(),
        secret: SecretString::from(SECRET.to_string()),
        version: Version::V2,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    assert!(client.access_token(&room_id, &ana_id).await.is_ok());

    let _ = stop.send(());
    serving.await.unwrap();
}
