//! Everything `slbot bot` needs, typed, read once at start through [`slbot_config::Config`].
//!
//! Two settings of the cards and notifications feature:
//! - `SLBOT_CARD_SECRET` (optional secret: environment or TOML `card_secret`) keys the MAC
//!   that stamps every card button. When absent it is derived as
//!   HMAC-SHA256(`SLBOT_WEBHOOK_SECRET`, `"slbot card key v1"`), so every replica sharing the
//!   webhook secret accepts the cards any replica posted, and no new required setting
//!   appears. Set it to rotate card keys independently (cards posted before a change are
//!   refused as "not one I made for you" and the person asks for a fresh one).
//! - `SLBOT_BOT_STORE_URL` (default `sqlite://slbot-bot.db`, or `postgres://…`): the bot's
//!   own store of notification subscriptions. It holds no tokens; it is kept out of `Debug`
//!   anyway because a PostgreSQL URL may carry a password.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use slbot_config::{Config, ConfigError};
use slbot_signing::Version;

/// The message keyed by the webhook secret to derive the card secret when none is set.
const CARD_KEY_LABEL: &[u8] = b"slbot card key v1";
/// `SLBOT_BOT_STORE_URL`'s default (DESIGN.md "Configuration").
pub const DEFAULT_BOT_STORE_URL: &str = "sqlite://slbot-bot.db";

/// The bot's settings (DESIGN.md "Configuration").
#[derive(Debug, Clone)]
pub struct BotSettings {
    pub listen: SocketAddr,
    pub webex_api_url: String,
    pub webex_bot_token: SecretString,
    pub webhook_secret: SecretString,
    pub backend_url: String,
    pub backend_secret: SecretString,
    /// `v1` or `v2` (`SLBOT_SIGNING_VERSION`, default v2).
    pub signing_version: Version,
    pub login_url: String,
    pub cssm_api_url: String,
    pub cssm_page_size: u32,
    pub cssm_concurrency: usize,
    pub cssm_timeout: Duration,
    pub cssm_max_inflight: usize,
    pub catalog: Option<PathBuf>,
    pub cache_ttl: Duration,
    pub cache_max_bytes: u64,
    /// `SLBOT_CACHE_URL` (`redis://…`): the inventory cache every replica shares; without it
    /// each process keeps its own. A secret because the URL may carry a password.
    pub cache_url: Option<SecretString>,
    /// `SLBOT_CACHE_MAX_ENTRY_MB` (64): the largest compressed inventory kept in Redis; a
    /// larger one is kept by the replica that fetched it only.
    pub cache_max_entry_bytes: usize,
    /// `SLBOT_HISTORY_RETENTION_DAYS` (396, about 13 months): how long the snapshots of each
    /// person's inventory are kept after they were last seen.
    pub history_retention_days: u32,
    pub allowed_org_ids: Vec<String>,
    pub allowed_email_domains: Vec<String>,
    /// Workers handling events concurrently.
    pub workers: usize,
    /// Events waiting for a worker before the overflow path answers "busy".
    pub queue_capacity: usize,
    /// `SLBOT_QUEUE_LEASE_SECS`: how long a taken event stays with its worker without a
    /// renewal; a dead replica's events are taken over after this (at least 3 s).
    pub queue_lease: Duration,
    /// `/metrics/licenses`, when `SLBOT_LICENSE_METRICS_CSSM_TOKEN` is set.
    pub license_metrics: Option<LicenseMetricsSettings>,
    /// How long a fetch may run before the "Retrieving your licenses…" message is posted.
    pub progress_after: Duration,
    /// The least time between two edits of that message.
    pub progress_every: Duration,
    /// At most this many edits (Webex allows 10 per message).
    pub progress_max_edits: u32,
    /// How often the webhooks are checked and re-enabled.
    pub webhook_check_every: Duration,
    /// How long queued events may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// The webhook listener's connection cap and header/request timeouts (`SLBOT_HTTP_*`).
    pub http: slbot_http::Limits,
    /// Timeout of one call to the backend's token API.
    pub backend_timeout: Duration,
    /// `SLBOT_BOT_PUBLIC_URL`: the bot's base URL as Webex reaches it. When set, the bot
    /// registers its webhooks (`{public_url}/webhooks/webex`) at start, as
    /// `slbot webhooks register` does, and keeps them in place.
    pub public_url: Option<String>,
    /// Keys the MAC of card buttons: `SLBOT_CARD_SECRET`, or derived from the webhook secret
    /// (see the module documentation).
    pub card_secret: SecretString,
    /// `SLBOT_BOT_STORE_URL`: the notification store (a secret only because a PostgreSQL URL
    /// may carry a password).
    pub bot_store_url: SecretString,
    /// How often the notification scheduler runs a pass.
    pub notify_pass_every: Duration,
    /// `SLBOT_ALEXA_SKILL_IDS` (comma-separated): the Alexa skills whose requests `POST /alexa`
    /// answers; empty (the default) turns the endpoint off.
    pub alexa_skill_ids: Vec<String>,
    /// `SLBOT_ALEXA_DEADLINE_MS` (6000, 100–7500): how long an Alexa answer waits for the
    /// inventory before saying that the details will come in Webex (Alexa waits 8 s).
    pub alexa_deadline: Duration,
    /// `SLBOT_TRANSPORT` (`webhook`, the default, or `websocket`): how Webex events reach the
    /// bot.
    pub transport: Transport,
    /// `SLBOT_WEBEX_U2C_URL` (`https://u2c.wbx2.com/u2c/api/v1`): the service catalog that names
    /// the device service (websocket transport only).
    pub webex_u2c_url: String,
    /// `SLBOT_WEBEX_DEVICE_NAME` (`slbot`): the name the bot's device is registered under, so a
    /// restart reuses it and stale registrations of ours can be told apart.
    pub webex_device_name: String,
    /// Shortest and longest wait before reconnecting the websocket (jittered, doubling).
    pub websocket_backoff: (Duration, Duration),
}

/// How Webex events reach the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Signed webhooks to `{SLBOT_BOT_PUBLIC_URL}/webhooks/webex` (needs a public URL).
    #[default]
    Webhook,
    /// Webex's websocket, opened by the bot (no public URL needed).
    Websocket,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Webhook => "webhook",
            Transport::Websocket => "websocket",
        }
    }
}

impl std::str::FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "webhook" | "webhooks" => Ok(Transport::Webhook),
            "websocket" => Ok(Transport::Websocket),
            other => Err(format!(
                "unknown transport `{}` (expected webhook or websocket)",
                other.chars().take(16).collect::<String>()
            )),
        }
    }
}

/// Flags of `slbot bot` (everything else comes from the environment or the file).
#[derive(Debug, Default, Clone)]
pub struct BotFlags {
    pub listen: Option<SocketAddr>,
    pub webex_bot_token_file: Option<PathBuf>,
    pub webhook_secret_file: Option<PathBuf>,
    pub backend_secret_file: Option<PathBuf>,
    pub card_secret_file: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub transport: Option<Transport>,
}

/// The opt-in licence gauges of one service account (`/metrics/licenses`).
#[derive(Clone)]
pub struct LicenseMetricsSettings {
    /// `SLBOT_LICENSE_METRICS_CSSM_TOKEN`: the monitored account's CSSM access token.
    pub cssm_token: SecretString,
    /// `SLBOT_LICENSE_METRICS_SCRAPE_TOKEN`: what a scrape must present as a bearer token.
    pub scrape_token: SecretString,
    /// `SLBOT_LICENSE_METRICS_EVERY_SECS` (900): how often the inventory is fetched again.
    pub every: Duration,
}

impl std::fmt::Debug for LicenseMetricsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseMetricsSettings")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

fn license_metrics(config: &Config) -> Result<Option<LicenseMetricsSettings>, ConfigError> {
    let Some(cssm_token) = config.secret("LICENSE_METRICS_CSSM_TOKEN", None)? else {
        return Ok(None);
    };
    let scrape_token = config
        .secret("LICENSE_METRICS_SCRAPE_TOKEN", None)?
        .ok_or_else(|| ConfigError::Invalid {
            name: "SLBOT_LICENSE_METRICS_SCRAPE_TOKEN".into(),
            reason: "required with SLBOT_LICENSE_METRICS_CSSM_TOKEN: the page shows licence data"
                .into(),
        })?;
    let secs: u64 = config.value("LICENSE_METRICS_EVERY_SECS", None, 900)?;
    if secs < 60 {
        return Err(ConfigError::Invalid {
            name: "SLBOT_LICENSE_METRICS_EVERY_SECS".into(),
            reason: format!("{secs} s would fetch the whole inventory too often (at least 60)"),
        });
    }
    Ok(Some(LicenseMetricsSettings {
        cssm_token,
        scrape_token,
        every: Duration::from_secs(secs),
    }))
}

fn alexa_deadline(config: &Config) -> Result<Duration, ConfigError> {
    let ms: u64 = config.value("ALEXA_DEADLINE_MS", None, 6000)?;
    if !(100..=7500).contains(&ms) {
        return Err(ConfigError::Invalid {
            name: "SLBOT_ALEXA_DEADLINE_MS".into(),
            reason: format!(
                "{ms} ms: between 100 and 7500 (Alexa gives an endpoint 8 s for everything)"
            ),
        });
    }
    Ok(Duration::from_millis(ms))
}

fn queue_lease(config: &Config) -> Result<Duration, ConfigError> {
    let secs: u64 = config.value("QUEUE_LEASE_SECS", None, 30)?;
    if secs < 3 {
        return Err(ConfigError::Invalid {
            name: "SLBOT_QUEUE_LEASE_SECS".into(),
            reason: format!("{secs} s is too short to renew (at least 3)"),
        });
    }
    Ok(Duration::from_secs(secs))
}

/// `SLBOT_WEBEX_DEVICE_NAME`: 1 to 64 printable characters, `slbot` by default.
fn webex_device_name(config: &Config) -> Result<String, ConfigError> {
    let name: String = config.value("WEBEX_DEVICE_NAME", None, "slbot".to_string())?;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ConfigError::Invalid {
            name: "SLBOT_WEBEX_DEVICE_NAME".into(),
            reason: "1 to 64 printable characters".into(),
        });
    }
    Ok(name)
}

/// `SLBOT_HISTORY_RETENTION_DAYS`: 1 to 3650 days, 396 (about 13 months) by default.
fn history_retention_days(config: &Config) -> Result<u32, ConfigError> {
    let days: u32 = config.value("HISTORY_RETENTION_DAYS", None, 396)?;
    if !(1..=3650).contains(&days) {
        return Err(ConfigError::Invalid {
            name: "SLBOT_HISTORY_RETENTION_DAYS".into(),
            reason: format!("{days} is not 1 to 3650 days"),
        });
    }
    Ok(days)
}

impl BotSettings {
    /// Reads every setting: flags > `SLBOT_*` > TOML > defaults. Missing secrets are errors
    /// that name the variable.
    pub fn load(config: &Config, flags: &BotFlags) -> Result<Self, ConfigError> {
        let backend_url: String =
            config.value("BACKEND_URL", None, "http://127.0.0.1:8082".to_string())?;
        let backend_url = checked_backend_url(backend_url.trim_end_matches('/'))?;
        // An unknown value is refused by name: "SLBOT_SIGNING_VERSION has an invalid value:
        // unknown signing version `v3` (expected v1 or v2)".
        let signing_version = config.value("SIGNING_VERSION", None, Version::V2)?;
        let login_url = config.value("LOGIN_URL", None, format!("{backend_url}/login"))?;
        let webhook_secret =
            config.require_secret("WEBHOOK_SECRET", flags.webhook_secret_file.as_deref())?;
        let card_secret = match config.secret("CARD_SECRET", flags.card_secret_file.as_deref())? {
            Some(secret) => secret,
            None => derive_card_secret(&webhook_secret),
        };
        let bot_store_url: String =
            config.value("BOT_STORE_URL", None, DEFAULT_BOT_STORE_URL.to_string())?;
        Ok(Self {
            listen: config.value(
                "LISTEN",
                flags.listen,
                "127.0.0.1:8081".parse().map_err(|_| invalid("LISTEN"))?,
            )?,
            webex_api_url: config
                .value(
                    "WEBEX_API_URL",
                    None,
                    "https://webexapis.com/v1".to_string(),
                )?
                .trim_end_matches('/')
                .to_string(),
            webex_bot_token: config
                .require_secret("WEBEX_BOT_TOKEN", flags.webex_bot_token_file.as_deref())?,
            webhook_secret,
            backend_secret: config
                .require_secret("BACKEND_SECRET", flags.backend_secret_file.as_deref())?,
            backend_url,
            signing_version,
            login_url,
            cssm_api_url: config
                .value("CSSM_API_URL", None, "https://swapi.cisco.com".to_string())?
                .trim_end_matches('/')
                .to_string(),
            cssm_page_size: config.value("CSSM_PAGE_SIZE", None, 500)?,
            cssm_concurrency: config.value("CSSM_CONCURRENCY", None, 4)?,
            cssm_timeout: Duration::from_secs(config.value("CSSM_TIMEOUT_SECS", None, 30)?),
            cssm_max_inflight: config.value("CSSM_MAX_INFLIGHT", None, 16)?,
            catalog: flags
                .catalog
                .clone()
                .or(config.parse::<PathBuf>("CATALOG")?),
            cache_ttl: Duration::from_secs(config.value("CACHE_TTL_SECS", None, 300)?),
            cache_max_bytes: config.value::<u64>("CACHE_MAX_MB", None, 512)? * 1024 * 1024,
            cache_url: config
                .secret("CACHE_URL", None)?
                .filter(|u| !u.expose_secret().trim().is_empty()),
            cache_max_entry_bytes: config.value::<usize>("CACHE_MAX_ENTRY_MB", None, 64)?
                * 1024
                * 1024,
            history_retention_days: history_retention_days(config)?,
            allowed_org_ids: config.list("ALLOWED_ORG_IDS", &[]),
            allowed_email_domains: config
                .list("ALLOWED_EMAIL_DOMAINS", &[])
                .into_iter()
                .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
                .collect(),
            workers: config.value("BOT_WORKERS", None, 16)?,
            queue_capacity: config.value("BOT_QUEUE_CAPACITY", None, 1024)?,
            queue_lease: queue_lease(config)?,
            license_metrics: license_metrics(config)?,
            progress_after: Duration::from_millis(config.value(
                "BOT_PROGRESS_AFTER_MS",
                None,
                2000,
            )?),
            progress_every: Duration::from_millis(config.value(
                "BOT_PROGRESS_EVERY_MS",
                None,
                2000,
            )?),
            progress_max_edits: 8,
            webhook_check_every: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(10),
            http: slbot_http::Limits::load(config, Duration::from_secs(10))?,
            backend_timeout: Duration::from_secs(config.value("BACKEND_TIMEOUT_SECS", None, 5)?),
            public_url: public_url(config)?,
            card_secret,
            bot_store_url: SecretString::from(bot_store_url.trim().to_string()),
            notify_pass_every: slbot_notify::DEFAULT_PASS_EVERY,
            alexa_skill_ids: config
                .list("ALEXA_SKILL_IDS", &[])
                .into_iter()
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty())
                .collect(),
            alexa_deadline: alexa_deadline(config)?,
            transport: config.value("TRANSPORT", flags.transport, Transport::Webhook)?,
            webex_u2c_url: config
                .value(
                    "WEBEX_U2C_URL",
                    None,
                    "https://u2c.wbx2.com/u2c/api/v1".to_string(),
                )?
                .trim_end_matches('/')
                .to_string(),
            webex_device_name: webex_device_name(config)?,
            websocket_backoff: (Duration::from_secs(1), Duration::from_secs(60)),
        })
    }
}

/// HMAC-SHA256(webhook secret, `"slbot card key v1"`) in hex: the card secret every replica
/// sharing the webhook secret derives alike.
fn derive_card_secret(webhook_secret: &SecretString) -> SecretString {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(webhook_secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(CARD_KEY_LABEL);
    SecretString::from(hex::encode(mac.finalize().into_bytes()))
}

/// `SLBOT_BOT_PUBLIC_URL`, checked the way the webhook registration will use it.
fn public_url(config: &Config) -> Result<Option<String>, ConfigError> {
    let Some(url) = config
        .get("BOT_PUBLIC_URL")
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(None);
    };
    slbot_webex::webhook_target_url(&url).map_err(|e| ConfigError::Invalid {
        name: "SLBOT_BOT_PUBLIC_URL".into(),
        reason: e.to_string(),
    })?;
    Ok(Some(url.trim().trim_end_matches('/').to_string()))
}

/// `SLBOT_BACKEND_URL` must be https, or plain http to this machine only: the token API's
/// answers carry people's CSSM access tokens, and v2 signs them but does not encrypt them.
fn checked_backend_url(raw: &str) -> Result<String, ConfigError> {
    let refuse = |reason: &str| ConfigError::Invalid {
        name: "SLBOT_BACKEND_URL".into(),
        reason: reason.to_string(),
    };
    let url = slbot_cssm::Url::parse(raw).map_err(|e| refuse(&format!("not a URL ({e})")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(raw.to_string()),
        "http" if loopback => Ok(raw.to_string()),
        "http" => Err(refuse(
            "plain http is only allowed to this machine (127.0.0.1, ::1, localhost); tokens \
             travel in the answers, so use https for another host",
        )),
        other => Err(refuse(&format!("`{other}` is neither https nor http"))),
    }
}

fn invalid(name: &str) -> ConfigError {
    ConfigError::Invalid {
        name: format!("SLBOT_{name}"),
        reason: "not an address".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(env, "").unwrap()
    }

    const SECRETS: [(&str, &str); 3] = [
        ("SLBOT_WEBEX_BOT_TOKEN", "bot-token"),
        ("SLBOT_WEBHOOK_SECRET", "hook-secret"),
        ("SLBOT_BACKEND_SECRET", "backend-secret"),
    ];

    #[test]
    fn defaults_follow_the_design_table() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8081");
        assert_eq!(s.webex_api_url, "https://webexapis.com/v1");
        assert_eq!(s.backend_url, "http://127.0.0.1:8082");
        assert_eq!(s.login_url, "http://127.0.0.1:8082/login");
        assert_eq!(s.signing_version, Version::V2);
        assert_eq!(s.cssm_page_size, 500);
        assert_eq!(s.cache_ttl, Duration::from_secs(300));
        assert_eq!(s.cache_max_bytes, 512 * 1024 * 1024);
        assert!(s.cache_url.is_none(), "no shared cache unless asked for");
        assert_eq!(s.cache_max_entry_bytes, 64 * 1024 * 1024);
        assert!(s.allowed_org_ids.is_empty());
    }

    #[test]
    fn a_missing_webhook_secret_stops_start_up_naming_the_variable() {
        let err = BotSettings::load(&config(&SECRETS[..1]), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("SLBOT_WEBHOOK_SECRET"), "{err}");
    }

    #[test]
    fn the_queue_lease_defaults_to_30_s_is_read_and_a_lease_too_short_to_renew_is_refused() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert_eq!(s.queue_lease, Duration::from_secs(30));
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_QUEUE_LEASE_SECS", "5"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.queue_lease, Duration::from_secs(5));
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_QUEUE_LEASE_SECS", "2"));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("SLBOT_QUEUE_LEASE_SECS"), "{err}");
        assert!(err.to_string().contains("at least 3"), "{err}");
    }

    #[test]
    fn the_history_is_kept_396_days_unless_set_and_a_retention_of_0_days_is_refused() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert_eq!(s.history_retention_days, 396);
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_HISTORY_RETENTION_DAYS", "30"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.history_retention_days, 30);
        for bad in ["0", "3651", "soon"] {
            let mut pairs = SECRETS.to_vec();
            pairs.push(("SLBOT_HISTORY_RETENTION_DAYS", bad));
            let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
            assert!(
                err.to_string().contains("SLBOT_HISTORY_RETENTION_DAYS"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn licence_metrics_are_off_by_default_need_a_scrape_token_and_a_sane_interval() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert!(s.license_metrics.is_none());
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_LICENSE_METRICS_CSSM_TOKEN", "service-account-token"));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("SLBOT_LICENSE_METRICS_SCRAPE_TOKEN"),
            "{err}"
        );
        pairs.push(("SLBOT_LICENSE_METRICS_SCRAPE_TOKEN", "scrape"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.license_metrics.unwrap().every, Duration::from_secs(900));
        pairs.push(("SLBOT_LICENSE_METRICS_EVERY_SECS", "10"));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("at least 60"), "{err}");
    }

    #[test]
    fn an_unknown_signing_version_is_refused() {
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_SIGNING_VERSION", "v3"));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("SLBOT_SIGNING_VERSION"), "{err}");
        assert!(err.to_string().contains("expected v1 or v2"), "{err}");
    }

    #[test]
    fn the_signing_version_is_read_as_the_signing_scheme() {
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_SIGNING_VERSION", "v1"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.signing_version, Version::V1);
    }

    #[test]
    fn the_transport_is_webhook_unless_the_flag_or_slbot_transport_says_websocket() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert_eq!(s.transport, Transport::Webhook);
        assert_eq!(s.webex_u2c_url, "https://u2c.wbx2.com/u2c/api/v1");
        assert_eq!(s.webex_device_name, "slbot");
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_TRANSPORT", "WebSocket"));
        pairs.push(("SLBOT_WEBEX_U2C_URL", "http://127.0.0.1:9/u2c/api/v1/"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.transport, Transport::Websocket);
        assert_eq!(s.webex_u2c_url, "http://127.0.0.1:9/u2c/api/v1");
        let flags = BotFlags {
            transport: Some(Transport::Webhook),
            ..BotFlags::default()
        };
        let s = BotSettings::load(&config(&pairs), &flags).unwrap();
        assert_eq!(
            s.transport,
            Transport::Webhook,
            "a flag beats the environment"
        );
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_TRANSPORT", "carrier-pigeon"));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("SLBOT_TRANSPORT"), "{err}");
        assert!(err.to_string().contains("webhook or websocket"), "{err}");
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_WEBEX_DEVICE_NAME", "   "));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("SLBOT_WEBEX_DEVICE_NAME"), "{err}");
    }

    #[test]
    fn the_public_url_is_optional_and_must_be_an_http_url() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert_eq!(s.public_url, None);
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_BOT_PUBLIC_URL", "https://bot.example.com/"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://bot.example.com"));
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_BOT_PUBLIC_URL", "bot.example.com"));
        let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
        assert!(err.to_string().contains("SLBOT_BOT_PUBLIC_URL"), "{err}");
    }

    #[test]
    fn without_a_card_secret_it_is_derived_from_the_webhook_secret_and_differs_from_it() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        // HMAC-SHA256(key "hook-secret", "slbot card key v1"), computed with Python's hmac.
        assert_eq!(
            s.card_secret.expose_secret(),
            "afe65479fe62a4e9280041f969f6c96f9503492aa0db5904a710d0bb624afa2e"
        );
        let mut pairs = SECRETS.to_vec();
        pairs.push(("SLBOT_CARD_SECRET", "card-secret"));
        let s = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap();
        assert_eq!(s.card_secret.expose_secret(), "card-secret");
    }

    #[test]
    fn the_bot_store_defaults_to_a_sqlite_file_next_to_the_process() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        assert_eq!(s.bot_store_url.expose_secret(), "sqlite://slbot-bot.db");
    }

    #[test]
    fn the_backend_is_reached_over_https_or_over_plain_http_on_this_machine_only() {
        for ok in [
            "https://login.example.com",
            "http://127.0.0.1:8082",
            "http://localhost:1",
            "http://[::1]:8082",
        ] {
            let mut pairs = SECRETS.to_vec();
            pairs.push(("SLBOT_BACKEND_URL", ok));
            let s = BotSettings::load(&config(&pairs), &BotFlags::default());
            assert!(s.is_ok(), "{ok}: {:?}", s.err());
        }
        for bad in [
            "http://login.example.com",
            "http://10.0.0.5:8082",
            "ftp://x",
        ] {
            let mut pairs = SECRETS.to_vec();
            pairs.push(("SLBOT_BACKEND_URL", bad));
            let err = BotSettings::load(&config(&pairs), &BotFlags::default()).unwrap_err();
            assert!(
                err.to_string().contains("SLBOT_BACKEND_URL"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn settings_debug_shows_no_secret() {
        let s = BotSettings::load(&config(&SECRETS), &BotFlags::default()).unwrap();
        let shown = format!("{s:?}");
        for (_, secret) in SECRETS {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn the_shared_cache_url_and_its_password_stay_out_of_debug() {
        let mut vars = SECRETS.to_vec();
        vars.push((
            "SLBOT_CACHE_URL",
            "redis://:hunter2-password@cache.internal:6379/0",
        ));
        let s = BotSettings::load(&config(&vars), &BotFlags::default()).unwrap();
        assert!(s.cache_url.is_some());
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2-password") && !shown.contains("cache.internal"),
            "{shown}"
        );
    }
}
