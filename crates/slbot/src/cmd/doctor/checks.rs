//! The checks of `slbot doctor`, each turning what it saw into a [`Finding`] with the fix.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use slbot_backend::settings::{BackendSettings, SecretFiles};
use slbot_bot::BotSettings;
use slbot_config::Config;
use slbot_signing::{ServiceCause, TokenClient, TokenClientSettings, TokenError, Version};
use slbot_webex::{
    webhook_target_url, ClientSettings, WebexClient, WebexError, WebhookStatus, BOT_WEBHOOKS,
};

use super::{Finding, Role, Status};

/// Shared secrets shorter than this are guessable offline from one signed request.
const MIN_SECRET_CHARS: usize = 32;

/// How long any one check may wait for a service.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A person and room id that exist nowhere: the backend answers a signed 404 for them.
const PROBE_PERSON: &str = "c2xib3QtZG9jdG9yLXByb2JlLXBlcnNvbg";
const PROBE_ROOM: &str = "c2xib3QtZG9jdG9yLXByb2JlLXJvb20";

/// Every check that applies to `role`, in the order an operator fixes them.
pub async fn run_all(
    config: &Config,
    role: Role,
    cssm_token: Option<&SecretString>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let bot = if role.bot() {
        settings_finding(
            "bot settings",
            BotSettings::load(config, &Default::default()),
            &mut findings,
        )
    } else {
        None
    };
    let backend = if role.backend() {
        settings_finding(
            "backend settings",
            BackendSettings::from_config(config, None, &SecretFiles::default()),
            &mut findings,
        )
    } else {
        None
    };
    if let Some(bot) = &bot {
        findings.extend(secret_lengths(bot));
    }
    if let Some(backend) = &backend {
        findings.push(store_key(backend));
    }
    let version = bot
        .as_ref()
        .map(|b| b.signing_version)
        .or(backend.as_ref().map(|b| b.signing_version));
    if let Some(version) = version {
        findings.push(signing(version));
    }
    if let Some(bot) = &bot {
        findings.push(backend_api(bot).await);
        let webex = webex_client(bot);
        findings.push(bot_token(&webex).await);
        findings.push(webhooks(&webex, bot.public_url.as_deref()).await);
        findings.push(match &bot.public_url {
            Some(url) => reachable("bot public URL", url, "SLBOT_BOT_PUBLIC_URL").await,
            None => Finding::with(
                "bot public URL",
                Status::Warn,
                "SLBOT_BOT_PUBLIC_URL is not set: the bot does not register or repair its webhooks",
                "set SLBOT_BOT_PUBLIC_URL to the URL Webex reaches the bot at, or run `slbot webhooks register --public-url URL` yourself",
            ),
        });
        findings.push(match cssm_token {
            Some(token) => cssm(bot, token).await,
            None => Finding::skipped(
                "CSSM",
                "no user token given (--cssm-token-file or SLBOT_DOCTOR_CSSM_TOKEN)",
            ),
        });
    }
    if let Some(backend) = &backend {
        findings.push(sso_client(backend).await);
        findings.push(
            reachable(
                "backend public URL",
                backend.public_url.as_str(),
                "SLBOT_BACKEND_PUBLIC_URL",
            )
            .await,
        );
    }
    findings
}

/// The settings when they load; a finding naming what is wrong when they do not.
fn settings_finding<T, E: std::fmt::Display>(
    check: &'static str,
    loaded: Result<T, E>,
    findings: &mut Vec<Finding>,
) -> Option<T> {
    match loaded {
        Ok(settings) => {
            findings.push(Finding::ok(
                check,
                "every required setting is present and valid",
            ));
            Some(settings)
        }
        Err(e) => {
            findings.push(Finding::with(
                check,
                Status::BadSetting,
                e.to_string(),
                "set it in the environment or the --config TOML file; the checks that need these settings are skipped",
            ));
            None
        }
    }
}

fn secret_lengths(bot: &BotSettings) -> Vec<Finding> {
    [
        ("SLBOT_WEBHOOK_SECRET", &bot.webhook_secret),
        ("SLBOT_BACKEND_SECRET", &bot.backend_secret),
    ]
    .into_iter()
    .map(|(name, secret)| {
        let chars = secret.expose_secret().chars().count();
        if chars >= MIN_SECRET_CHARS {
            Finding::ok("secret length", format!("{name} has {chars} characters"))
        } else {
            Finding::with(
                "secret length",
                Status::Warn,
                format!("{name} has only {chars} characters (fewer than {MIN_SECRET_CHARS})"),
                "replace it with `slbot keygen` output (64 hex characters) on both sides that share it",
            )
        }
    })
    .collect()
}

fn store_key(backend: &BackendSettings) -> Finding {
    match slbot_backend::crypto::Keyring::new(&backend.store_key, &backend.store_old_keys) {
        Ok(_) => Finding::ok("store key", "SLBOT_STORE_KEY is a 256-bit key"),
        Err(e) => Finding::with(
            "store key",
            Status::BadSetting,
            e.to_string(),
            "generate one with `slbot keygen`; keep the old one in SLBOT_STORE_OLD_KEYS until `slbot tokens rekey` has run",
        ),
    }
}

fn signing(version: Version) -> Finding {
    match version.risk() {
        None => Finding::ok(
            "signing",
            format!(
                "SLBOT_SIGNING_VERSION={version}: requests and answers (with the token) are signed"
            ),
        ),
        Some(risk) => Finding::with(
            "signing",
            Status::Warn,
            risk,
            "set SLBOT_SIGNING_VERSION=v2 on the bot and the backend together",
        ),
    }
}

/// A signed request for a person nobody signed in: a verified 404 proves the URL, the secret
/// and the signing version all match the backend's.
async fn backend_api(bot: &BotSettings) -> Finding {
    const CHECK: &str = "backend API";
    let client = match TokenClient::new(TokenClientSettings {
        base_url: bot.backend_url.clone(),
        secret: bot.backend_secret.clone(),
        version: bot.signing_version,
        timeout: TIMEOUT,
    }) {
        Ok(client) => client,
        Err(e) => {
            return Finding::with(
                CHECK,
                Status::BadSetting,
                e.to_string(),
                "fix SLBOT_BACKEND_URL",
            )
        }
    };
    let at = &bot.backend_url;
    match client.access_token(PROBE_ROOM, PROBE_PERSON).await {
        Err(TokenError::NotSignedIn) | Ok(_) => Finding::ok(
            CHECK,
            format!("{at} answered a signed probe; SLBOT_BACKEND_SECRET and SLBOT_SIGNING_VERSION match"),
        ),
        Err(TokenError::Service { cause }) => {
            let fix = match cause {
                ServiceCause::RequestRejected | ServiceCause::BadResponseSignature(_) => {
                    "SLBOT_BACKEND_SECRET or SLBOT_SIGNING_VERSION differs between the bot and the backend, or a clock is more than 300 s off: make them equal"
                }
                ServiceCause::Transport(_) | ServiceCause::Timeout => {
                    "start the backend (`slbot backend`) or fix SLBOT_BACKEND_URL"
                }
                ServiceCause::Unavailable => "the backend's store or Cisco SSO is failing: see the backend's log",
                _ => "SLBOT_BACKEND_URL may point at something that is not the slbot backend",
            };
            Finding::with(CHECK, Status::Failed, format!("{at}: {cause}"), fix)
        }
    }
}

fn webex_client(bot: &BotSettings) -> Result<WebexClient, WebexError> {
    WebexClient::new(
        &bot.webex_api_url,
        bot.webex_bot_token.clone(),
        ClientSettings {
            timeout: TIMEOUT,
            max_attempts: 1,
            ..ClientSettings::default()
        },
    )
}

async fn bot_token(webex: &Result<WebexClient, WebexError>) -> Finding {
    const CHECK: &str = "Webex bot token";
    let webex = match webex {
        Ok(webex) => webex,
        Err(e) => {
            return Finding::with(
                CHECK,
                Status::BadSetting,
                e.to_string(),
                "fix SLBOT_WEBEX_API_URL",
            )
        }
    };
    match webex.me().await {
        Ok(me) if me.kind.as_deref() == Some("bot") => Finding::ok(
            CHECK,
            format!(
                "the token is the bot {} ({})",
                me.display_name.unwrap_or_default(),
                me.emails.join(", ")
            ),
        ),
        Ok(me) => Finding::with(
            CHECK,
            Status::Warn,
            format!(
                "the token belongs to a {} ({}), not a bot",
                me.kind.as_deref().unwrap_or("person"),
                me.emails.join(", ")
            ),
            "use the bot's access token from developer.webex.com → My Webex Apps → the bot",
        ),
        Err(e) => Finding::with(CHECK, Status::Failed, e.to_string(), webex_fix(&e)),
    }
}

fn webex_fix(e: &WebexError) -> &'static str {
    match e {
        WebexError::Unauthorized(_) => {
            "SLBOT_WEBEX_BOT_TOKEN is wrong or was regenerated: copy the bot's current token from developer.webex.com"
        }
        WebexError::Transport { .. } => "check SLBOT_WEBEX_API_URL and this machine's route to it",
        _ => "see the message; Webex's status page says whether Webex is failing",
    }
}

async fn webhooks(webex: &Result<WebexClient, WebexError>, public_url: Option<&str>) -> Finding {
    const CHECK: &str = "Webex webhooks";
    let Ok(webex) = webex else {
        return Finding::skipped(CHECK, "no Webex client (see above)");
    };
    let hooks = match webex.list_webhooks().await {
        Ok(hooks) => hooks,
        Err(e) => return Finding::with(CHECK, Status::Failed, e.to_string(), webex_fix(&e)),
    };
    let target = public_url.and_then(|url| webhook_target_url(url).ok());
    let register = "run `slbot webhooks register --public-url URL` (the bot also does it at start when SLBOT_BOT_PUBLIC_URL is set)";
    let mut problems = Vec::new();
    for spec in BOT_WEBHOOKS {
        let named: Vec<_> = hooks.iter().filter(|h| h.name == spec.name).collect();
        match named.as_slice() {
            [] => problems.push(format!("{} is missing", spec.name)),
            [hook] => {
                if hook.status == Some(WebhookStatus::Inactive) {
                    problems.push(format!(
                        "{} is disabled (Webex stops a webhook after failed deliveries)",
                        spec.name
                    ));
                }
                if let Some(target) = &target {
                    if &hook.target_url != target {
                        problems.push(format!(
                            "{} delivers to {}, not {target}",
                            spec.name, hook.target_url
                        ));
                    }
                }
            }
            more => problems.push(format!(
                "{} exists {} times, so every event arrives {} times",
                spec.name,
                more.len(),
                more.len()
            )),
        }
    }
    if problems.is_empty() {
        Finding::ok(
            CHECK,
            format!(
                "{} active{}",
                BOT_WEBHOOKS.map(|s| s.name).join(" and "),
                target
                    .map(|t| format!(", delivering to {t}"))
                    .unwrap_or_default()
            ),
        )
    } else {
        let fix = if problems.iter().any(|p| p.contains("times")) {
            format!("{register} with --prune")
        } else {
            format!("make the public URL reachable from Webex, then {register}")
        };
        Finding::with(CHECK, Status::Failed, problems.join("; "), fix)
    }
}

/// `GET {url}/healthz` from this machine.
async fn reachable(check: &'static str, url: &str, setting: &str) -> Finding {
    let health = format!("{}/healthz", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let answer = match client {
        Ok(client) => client.get(&health).send().await,
        Err(e) => return Finding::with(check, Status::Failed, e.to_string(), "see the message"),
    };
    match answer {
        Ok(r) if r.status().is_success() => {
            Finding::ok(check, format!("{health} answers from this machine"))
        }
        Ok(r) => Finding::with(
            check,
            Status::Failed,
            format!("{health} answered HTTP {}", r.status().as_u16()),
            format!("{setting} must be the service's own base URL (a proxy in front must pass /healthz)"),
        ),
        Err(e) => Finding::with(
            check,
            Status::Failed,
            format!("{health} cannot be reached: {}", e.without_url()),
            format!("start the service, or fix {setting} and the route (DNS, TLS, proxy) to it"),
        ),
    }
}

async fn cssm(bot: &BotSettings, token: &SecretString) -> Finding {
    const CHECK: &str = "CSSM";
    let settings = slbot_cssm::FetchSettings {
        attempts: 1,
        request_timeout: TIMEOUT,
        ..slbot_cssm::FetchSettings::default()
    };
    let client = slbot_cssm::Url::parse(&bot.cssm_api_url)
        .map_err(|e| e.to_string())
        .and_then(|url| {
            slbot_cssm::CssmClient::new(
                &url,
                settings,
                std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            )
            .map_err(|e| e.to_string())
        });
    let client = match client {
        Ok(client) => client,
        Err(e) => return Finding::with(CHECK, Status::BadSetting, e, "fix SLBOT_CSSM_API_URL"),
    };
    match client.accounts(token).await {
        Ok(accounts) => Finding::ok(
            CHECK,
            format!("the token sees {} smart accounts", accounts.len()),
        ),
        Err(e) => {
            let fix = match &e {
                slbot_cssm::CssmError::Unauthorized { .. } => {
                    "the token is expired or invalid: sign in again and take a fresh one"
                }
                slbot_cssm::CssmError::Forbidden { .. } => {
                    "ask Cisco to grant the API client the Smart Licensing APIs, and check that the user can see an account"
                }
                _ => "check SLBOT_CSSM_API_URL and this machine's route to it; retry later if CSSM is failing",
            };
            Finding::with(CHECK, Status::Failed, e.to_string(), fix)
        }
    }
}

/// A refresh with a token that cannot exist: `invalid_grant` proves Cisco SSO accepted the
/// client id and secret, without touching any user's login.
async fn sso_client(backend: &BackendSettings) -> Finding {
    const CHECK: &str = "Cisco SSO client";
    use slbot_backend::sso::{SsoClient, SsoError};
    let client = match SsoClient::new(backend.sso.clone()) {
        Ok(client) => client,
        Err(e) => {
            return Finding::with(
                CHECK,
                Status::BadSetting,
                e.to_string(),
                "fix the SLBOT_SSO_* URLs",
            )
        }
    };
    let token_url = backend.sso.token_url.as_str();
    let probe = SecretString::from("slbot-doctor-probe-not-a-refresh-token".to_string());
    match client.refresh(&probe).await {
        Err(SsoError::InvalidGrant) => Finding::ok(
            CHECK,
            format!("{token_url} accepts SLBOT_SSO_CLIENT_ID and its secret"),
        ),
        Ok(_) => Finding::with(
            CHECK,
            Status::Warn,
            format!("{token_url} accepted a made-up refresh token"),
            "SLBOT_SSO_TOKEN_URL may not be Cisco SSO",
        ),
        Err(e @ SsoError::InvalidClient { .. }) => Finding::with(
            CHECK,
            Status::Failed,
            e.to_string(),
            "check SLBOT_SSO_CLIENT_ID and SLBOT_SSO_CLIENT_SECRET; a client created in the last ~30 minutes answers invalid_client until Cisco activates it: wait and run doctor again",
        ),
        Err(e @ SsoError::ClientNotGranted) => Finding::with(
            CHECK,
            Status::Failed,
            e.to_string(),
            "Cisco has not granted this API client access yet (403): request access to the Smart Licensing APIs for it",
        ),
        Err(e) => Finding::with(
            CHECK,
            Status::Failed,
            e.to_string(),
            "check the SLBOT_SSO_* URLs and this machine's route to them; retry later if Cisco SSO is failing",
        ),
    }
}
