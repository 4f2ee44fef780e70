//! `slbot doctor` against the simulators and a real backend, with one fault injected per test:
//! each failure is named, with what to do, and a sound deployment passes every check.

use std::collections::HashMap;
use std::process::{Command, Output};

use serde_json::{json, Value};
use slbot_backend::server;
use slbot_backend::settings::{BackendSettings, SecretFiles};

const BACKEND_SECRET: &str = "doctor-backend-secret-0123456789abcdef";
const WEBHOOK_SECRET: &str = "doctor-webhook-secret-0123456789abcdef";
const SSO_SECRET: &str = "doctor-sso-secret";
const CSSM_TOKEN: &str = "doctor-cssm-token";

/// Webex, SSO, CSSM and a backend, each on port 0, and the settings that point at them.
struct Deployment {
    env: HashMap<String, String>,
    webex: String,
    bot_token: String,
    _dir: tempfile::TempDir,
    _handles: (slbot_sim_webex::SimHandle, slbot_sim_sso::SimSsoHandle),
    _cssm: slbot_sim_cssm::SimHandle,
}

async fn post(url: String, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn deployment(sso: slbot_sim_sso::SimSsoConfig) -> Deployment {
    let (_, webex) = slbot_sim_webex::spawn(slbot_sim_webex::SimConfig::default())
        .await
        .unwrap();
    let control = format!("http://{}", webex.addr());
    let bot = post(
        format!("{control}/_sim/people"),
        json!({"email": "licenses@webex.bot", "displayName": "Licenses", "type": "bot"}),
    )
    .await;
    let bot_token = bot["token"].as_str().unwrap().to_string();
    let (sso_addr, sso_handle) = slbot_sim_sso::spawn(slbot_sim_sso::SimSsoConfig {
        client_secret: Some(SSO_SECRET.into()),
        ..sso
    })
    .await
    .unwrap();
    let cssm = slbot_sim_cssm::spawn(slbot_sim_cssm::SimConfig {
        tokens: vec![slbot_sim_cssm::StaticToken::new(CSSM_TOKEN, 0)],
        ..slbot_sim_cssm::SimConfig::default()
    })
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let backend = format!("http://{}", listener.local_addr().unwrap());
    let sso = format!("http://{sso_addr}");
    let env: HashMap<String, String> = [
        ("SLBOT_WEBEX_API_URL", webex.api_url()),
        ("SLBOT_WEBEX_BOT_TOKEN", bot_token.clone()),
        ("SLBOT_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
        ("SLBOT_BACKEND_URL", backend.clone()),
        ("SLBOT_BACKEND_PUBLIC_URL", backend.clone()),
        // The backend stands in for the bot's public URL: it answers /healthz too.
        ("SLBOT_BOT_PUBLIC_URL", backend.clone()),
        ("SLBOT_BACKEND_SECRET", BACKEND_SECRET.into()),
        ("SLBOT_CSSM_API_URL", cssm.url()),
        (
            "SLBOT_STORE_URL",
            format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display()),
        ),
        ("SLBOT_STORE_KEY", "cd".repeat(32)),
        ("SLBOT_SSO_AUTHORIZE_URL", format!("{sso}/authorize")),
        ("SLBOT_SSO_TOKEN_URL", format!("{sso}/token")),
        ("SLBOT_SSO_USERINFO_URL", format!("{sso}/userinfo")),
        (
            "SLBOT_SSO_CLIENT_ID",
            slbot_sim_sso::DEFAULT_CLIENT_ID.into(),
        ),
        ("SLBOT_SSO_CLIENT_SECRET", SSO_SECRET.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    // The backend, as `slbot backend` starts it from these settings.
    let config = slbot_config::Config::from_parts(env.clone(), "").unwrap();
    let settings = BackendSettings::from_config(
        &config,
        Some(listener.local_addr().unwrap()),
        &SecretFiles::default(),
    )
    .unwrap();
    let clock = std::sync::Arc::new(slbot_base::SystemClock);
    let started = server::start(&settings, clock.clone()).await.unwrap();
    tokio::spawn(server::serve(
        started.router,
        started.store,
        clock,
        listener,
        settings.http,
        std::future::pending(),
    ));

    // The bot's two webhooks, in place as the bot puts them at start.
    let client = webex_client(&webex.api_url(), &bot_token);
    slbot_webex::ensure_webhooks(
        &client,
        &backend,
        &secrecy::SecretString::from(WEBHOOK_SECRET.to_string()),
        slbot_webex::Duplicates::Keep,
    )
    .await
    .unwrap();

    Deployment {
        env,
        webex: webex.api_url(),
        bot_token,
        _dir: dir,
        _handles: (webex, sso_handle),
        _cssm: cssm,
    }
}

fn webex_client(api: &str, token: &str) -> slbot_webex::WebexClient {
    slbot_webex::WebexClient::new(
        api,
        secrecy::SecretString::from(token.to_string()),
        slbot_webex::ClientSettings::default(),
    )
    .unwrap()
}

impl Deployment {
    /// Runs `slbot doctor ARGS` with these settings, `changes` on top (an empty value removes).
    async fn doctor(&self, args: &[&str], changes: &[(&str, &str)]) -> (i32, String) {
        let mut env = self.env.clone();
        for (k, v) in changes {
            if v.is_empty() {
                env.remove(*k);
            } else {
                env.insert(k.to_string(), v.to_string());
            }
        }
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out: Output = tokio::task::spawn_blocking(move || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_slbot"));
            command.arg("doctor").args(&args).env_clear();
            command.env("SLBOT_LOG", "error").envs(env);
            command.output().unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        for secret in [
            BACKEND_SECRET,
            WEBHOOK_SECRET,
            SSO_SECRET,
            CSSM_TOKEN,
            &self.bot_token,
        ] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{stdout}{stderr}"
            );
        }
        (out.status.code().unwrap(), stdout)
    }
}

/// The line of `check` and the line after it (the fix), from doctor's output.
fn finding<'a>(out: &'a str, check: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.get(6..).is_some_and(|rest| rest.starts_with(check)))
        .unwrap_or_else(|| panic!("no `{check}` line in:\n{out}"));
    (lines[i], lines.get(i + 1).copied().unwrap_or(""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sound_deployment_passes_every_check_and_exits_0() {
    let d = deployment(Default::default()).await;
    let (code, out) = d
        .doctor(&[], &[("SLBOT_DOCTOR_CSSM_TOKEN", CSSM_TOKEN)])
        .await;
    assert_eq!(code, 0, "{out}");
    for check in [
        "bot settings",
        "backend settings",
        "secret length",
        "store key",
        "signing",
        "backend API",
        "Webex bot token",
        "Webex webhooks",
        "bot public URL",
        "CSSM",
        "Cisco SSO client",
        "backend public URL",
    ] {
        let (line, _) = finding(&out, check);
        assert!(line.starts_with("ok "), "{line}\n{out}");
    }
    assert!(finding(&out, "Webex bot token")
        .0
        .contains("the bot Licenses (licenses@webex.bot)"));
    assert!(
        out.ends_with("13 checks: 13 ok, 0 warnings, 0 failed, 0 skipped\n"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_with_another_backend_secret_is_told_the_secrets_differ_and_exits_3() {
    let d = deployment(Default::default()).await;
    let (code, out) = d
        .doctor(
            &["--role", "bot"],
            &[(
                "SLBOT_BACKEND_SECRET",
                "not-the-backends-secret-0123456789abcdef",
            )],
        )
        .await;
    assert_eq!(code, 3, "{out}");
    let (line, fix) = finding(&out, "backend API");
    // The backend's 401 is signed with its own secret, so it fails verification here.
    assert!(
        line.starts_with("FAIL") && line.contains("the signature does not match"),
        "{line}"
    );
    assert!(
        fix.contains("SLBOT_BACKEND_SECRET or SLBOT_SIGNING_VERSION differs"),
        "{fix}"
    );
    assert!(
        !out.contains("Cisco SSO client"),
        "--role bot checks no backend settings"
    );
    assert_eq!(
        finding(&out, "CSSM").0.split_whitespace().next(),
        Some("skip")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_on_v1_against_a_v2_backend_is_warned_of_v1_and_told_the_versions_differ() {
    let d = deployment(Default::default()).await;
    let (code, out) = d
        .doctor(&["--role", "bot"], &[("SLBOT_SIGNING_VERSION", "v1")])
        .await;
    assert_eq!(code, 3, "{out}");
    let (line, fix) = finding(&out, "signing");
    assert!(
        line.starts_with("warn") && line.contains("does not protect the CSSM access token"),
        "{line}"
    );
    assert!(fix.contains("SLBOT_SIGNING_VERSION=v2"), "{fix}");
    assert!(finding(&out, "backend API").0.starts_with("FAIL"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_sso_client_secret_is_named_with_the_30_minute_activation_delay() {
    let d = deployment(Default::default()).await;
    let (code, out) = d
        .doctor(
            &["--role", "backend"],
            &[("SLBOT_SSO_CLIENT_SECRET", "wrong")],
        )
        .await;
    assert_eq!(code, 3, "{out}");
    let (line, fix) = finding(&out, "Cisco SSO client");
    assert!(
        line.starts_with("FAIL") && line.contains("HTTP 401"),
        "{line}"
    );
    assert!(fix.contains("~30 minutes answers invalid_client"), "{fix}");
    assert!(
        finding(&out, "backend public URL").0.starts_with("ok"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_client_not_yet_granted_api_access_is_told_to_request_it() {
    let d = deployment(slbot_sim_sso::SimSsoConfig {
        api_access_granted: false,
        ..Default::default()
    })
    .await;
    let (code, out) = d.doctor(&["--role", "backend"], &[]).await;
    assert_eq!(code, 3, "{out}");
    let (line, fix) = finding(&out, "Cisco SSO client");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(
        fix.contains("has not granted this API client access yet (403)"),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_bot_token_and_a_refused_cssm_token_each_say_where_to_get_a_good_one() {
    let d = deployment(Default::default()).await;
    let (code, out) = d
        .doctor(
            &["--role", "bot"],
            &[
                ("SLBOT_WEBEX_BOT_TOKEN", "not-a-bot-token"),
                ("SLBOT_DOCTOR_CSSM_TOKEN", "not-a-cssm-token"),
            ],
        )
        .await;
    assert_eq!(code, 3, "{out}");
    let (line, fix) = finding(&out, "Webex bot token");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(
        fix.contains("copy the bot's current token from developer.webex.com"),
        "{fix}"
    );
    let (line, fix) = finding(&out, "CSSM");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(fix.contains("the token is expired or invalid"), "{fix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_webex_disabled_and_an_unreachable_public_url_are_both_reported() {
    let d = deployment(Default::default()).await;
    let client = webex_client(&d.webex, &d.bot_token);
    let hooks = client.list_webhooks().await.unwrap();
    let messages = hooks.iter().find(|h| h.name == "slbot-messages").unwrap();
    let r = reqwest::Client::new()
        .put(format!("{}/webhooks/{}", d.webex, messages.id))
        .bearer_auth(&d.bot_token)
        .json(
            &json!({"name": messages.name, "targetUrl": messages.target_url, "status": "inactive"}),
        )
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "the fault was injected: {}",
        r.status()
    );

    let (code, out) = d
        .doctor(
            &["--role", "bot"],
            &[("SLBOT_BOT_PUBLIC_URL", "http://127.0.0.1:9")],
        )
        .await;
    assert_eq!(code, 3, "{out}");
    let (line, fix) = finding(&out, "Webex webhooks");
    assert!(line.contains("slbot-messages is disabled"), "{line}");
    assert!(line.contains("delivers to http://127.0.0.1:"), "{line}");
    assert!(fix.contains("slbot webhooks register"), "{fix}");
    let (line, fix) = finding(&out, "bot public URL");
    assert!(
        line.contains("http://127.0.0.1:9/healthz cannot be reached"),
        "{line}"
    );
    assert!(fix.contains("SLBOT_BOT_PUBLIC_URL"), "{fix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_shared_secrets_are_warned_about_and_missing_settings_exit_2() {
    let d = deployment(Default::default()).await;
    let (code, out) = d
        .doctor(&["--role", "bot"], &[("SLBOT_WEBHOOK_SECRET", "short")])
        .await;
    assert_eq!(code, 0, "a warning alone passes: {out}");
    assert!(
        out.contains(
            "warn  secret length    SLBOT_WEBHOOK_SECRET has only 5 characters (fewer than 32)"
        ),
        "{out}"
    );

    let (code, out) = d
        .doctor(&["--role", "backend"], &[("SLBOT_STORE_KEY", "")])
        .await;
    assert_eq!(code, 2, "{out}");
    let (line, _) = finding(&out, "backend settings");
    assert!(
        line.starts_with("FAIL") && line.contains("SLBOT_STORE_KEY"),
        "{line}"
    );
}
