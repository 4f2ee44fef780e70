//! The backend's settings, read once from [`slbot_config::Config`] (DESIGN.md "Configuration").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use slbot_config::{Config, ConfigError};
use slbot_signing::Version;
use url::Url;

use crate::signin::throttle::LoginLimits;
use crate::sso::{
    ClientAuth, SsoSettings, DEFAULT_AUTHORIZE_URL, DEFAULT_TOKEN_URL, DEFAULT_USERINFO_URL,
};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8082";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8082";
pub const DEFAULT_STORE_URL: &str = "sqlite://slbot.db";
pub const DEFAULT_WEBEX_API_URL: &str = "https://webexapis.com/v1";

/// Files a secret may be read from instead of the environment (`--<name>-file PATH`).
#[derive(Debug, Clone, Default)]
pub struct SecretFiles {
    pub backend_secret: Option<PathBuf>,
    pub store_key: Option<PathBuf>,
    pub sso_client_secret: Option<PathBuf>,
    pub webex_bot_token: Option<PathBuf>,
    pub alexa_client_secret: Option<PathBuf>,
}

/// Everything `slbot backend` (or the demo) needs to run the backend.
#[derive(Clone)]
pub struct BackendSettings {
    pub listen: SocketAddr,
    /// `SLBOT_BACKEND_PUBLIC_URL`: where browsers and the bot reach this service.
    pub public_url: Url,
    pub backend_secret: SecretString,
    pub signing_version: Version,
    /// `sqlite://FILE` or `postgres://…` (may contain a password: never printed).
    pub store_url: SecretString,
    pub store_key: SecretString,
    pub store_old_keys: Vec<SecretString>,
    /// The SSO client's settings; its `redirect_uri` is `{public_url}/oauth/callback`.
    pub sso: SsoSettings,
    pub webex_api_url: String,
    pub webex_bot_token: SecretString,
    pub allowed_email_domains: Vec<String>,
    pub allowed_org_ids: Vec<String>,
    /// The listener's connection cap and header/request timeouts (`SLBOT_HTTP_*`).
    pub http: slbot_http::Limits,
    /// How many sign-ins `/login` starts (`SLBOT_LOGIN_RATE_PER_MINUTE`,
    /// `SLBOT_LOGIN_RATE_GLOBAL_PER_MINUTE`, `SLBOT_LOGIN_MAX_PENDING`).
    pub login: LoginLimits,
    /// Alexa account linking (`SLBOT_ALEXA_*`); `None` when none of them is set (feature off).
    pub alexa: Option<AlexaSettings>,
    /// The dashboard: CSSM, the inventory cache and the session lifetime.
    pub dashboard: DashboardSettings,
}

/// What the dashboard needs besides the sign-in: where CSSM is, how inventories are cached
/// (the bot's `SLBOT_CSSM_*` and `SLBOT_CACHE_*` names), and how long a session lives.
#[derive(Clone)]
pub struct DashboardSettings {
    /// `SLBOT_CSSM_API_URL` (scheme and host).
    pub cssm_api_url: String,
    /// `SLBOT_CSSM_PAGE_SIZE`, `SLBOT_CSSM_CONCURRENCY`, `SLBOT_CSSM_TIMEOUT_SECS`,
    /// `SLBOT_CSSM_MAX_INFLIGHT`.
    pub cssm_page_size: u32,
    pub cssm_concurrency: usize,
    pub cssm_timeout: Duration,
    pub cssm_max_inflight: usize,
    /// `SLBOT_CATALOG`: overrides of the shipped architecture catalogue.
    pub catalog: Option<PathBuf>,
    /// `SLBOT_CACHE_TTL_SECS`, `SLBOT_CACHE_MAX_MB`.
    pub cache_ttl: Duration,
    pub cache_max_bytes: u64,
    /// `SLBOT_CACHE_URL` (Redis) with `SLBOT_WEBHOOK_SECRET`, the key the bot's shared cache
    /// is keyed with: both set, the dashboard reads and fills the bot's cache.
    pub cache_url: Option<SecretString>,
    pub cache_secret: Option<SecretString>,
    /// `SLBOT_DASHBOARD_SESSION_MINUTES` (default 60): how long a dashboard session lives.
    pub session_ttl: Duration,
    /// How long a page waits for a first CSSM fetch before it shows the progress page
    /// (3 s; not a setting of its own, tests shorten it).
    pub first_fetch_wait: Duration,
}

impl std::fmt::Debug for DashboardSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardSettings")
            .field("cssm_api_url", &self.cssm_api_url)
            .field("cache_ttl", &self.cache_ttl)
            .field("shared_cache", &self.cache_url.is_some())
            .field("session_ttl", &self.session_ttl)
            .finish_non_exhaustive()
    }
}

impl Default for DashboardSettings {
    /// The defaults of every `SLBOT_*` name above (no shared cache).
    fn default() -> Self {
        Self {
            cssm_api_url: "https://swapi.cisco.com".to_string(),
            cssm_page_size: 500,
            cssm_concurrency: 4,
            cssm_timeout: Duration::from_secs(30),
            cssm_max_inflight: 16,
            catalog: None,
            cache_ttl: Duration::from_secs(300),
            cache_max_bytes: 512 * 1024 * 1024,
            cache_url: None,
            cache_secret: None,
            session_ttl: Duration::from_secs(3600),
            first_fetch_wait: Duration::from_secs(3),
        }
    }
}

fn dashboard_settings(config: &Config) -> Result<DashboardSettings, ConfigError> {
    let minutes: u64 = config.value("DASHBOARD_SESSION_MINUTES", None, 60)?;
    if !(1..=24 * 60).contains(&minutes) {
        return Err(ConfigError::Invalid {
            name: "SLBOT_DASHBOARD_SESSION_MINUTES".to_string(),
            reason: format!("{minutes}: between 1 and 1440 (sessions are short-lived)"),
        });
    }
    Ok(DashboardSettings {
        cssm_api_url: config
            .value("CSSM_API_URL", None, "https://swapi.cisco.com".to_string())?
            .trim_end_matches('/')
            .to_string(),
        cssm_page_size: config.value("CSSM_PAGE_SIZE", None, 500)?,
        cssm_concurrency: config.value("CSSM_CONCURRENCY", None, 4)?,
        cssm_timeout: Duration::from_secs(config.value("CSSM_TIMEOUT_SECS", None, 30)?),
        cssm_max_inflight: config.value("CSSM_MAX_INFLIGHT", None, 16)?,
        catalog: config.parse::<PathBuf>("CATALOG")?,
        cache_ttl: Duration::from_secs(config.value("CACHE_TTL_SECS", None, 300)?),
        cache_max_bytes: config.value::<u64>("CACHE_MAX_MB", None, 512)? * 1024 * 1024,
        cache_url: config
            .secret("CACHE_URL", None)?
            .filter(|u| !secrecy::ExposeSecret::expose_secret(u).trim().is_empty()),
        cache_secret: config.secret("WEBHOOK_SECRET", None)?,
        session_ttl: Duration::from_secs(minutes * 60),
        ..DashboardSettings::default()
    })
}

/// The Alexa skill as an OAuth client of this backend (account linking).
#[derive(Clone)]
pub struct AlexaSettings {
    /// `SLBOT_ALEXA_CLIENT_ID`.
    pub client_id: String,
    /// `SLBOT_ALEXA_CLIENT_SECRET`.
    pub client_secret: SecretString,
    /// `SLBOT_ALEXA_REDIRECT_URLS`: compared byte for byte with Alexa's `redirect_uri`.
    pub redirect_urls: Vec<String>,
    /// `SLBOT_ALEXA_TOKEN_TTL_SECS` (default 3600): lifetime of an access token we issue.
    pub token_ttl: Duration,
}

impl std::fmt::Debug for AlexaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlexaSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_urls", &self.redirect_urls)
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

pub const DEFAULT_ALEXA_TOKEN_TTL_SECS: u64 = 3600;

/// `SLBOT_ALEXA_*`: all absent → `None`; some set → every required one must be, else the
/// error names the missing ones.
fn alexa_settings(
    config: &Config,
    files: &SecretFiles,
) -> Result<Option<AlexaSettings>, ConfigError> {
    let set = |name: &str| config.get(name).filter(|v| !v.trim().is_empty());
    let id = set("ALEXA_CLIENT_ID").map(|v| v.trim().to_string());
    let secret = config.secret("ALEXA_CLIENT_SECRET", files.alexa_client_secret.as_deref())?;
    let urls = config.list("ALEXA_REDIRECT_URLS", &[]);
    let ttl_set = set("ALEXA_TOKEN_TTL_SECS").is_some();
    if id.is_none() && secret.is_none() && urls.is_empty() && !ttl_set {
        return Ok(None);
    }
    let mut missing = Vec::new();
    if id.is_none() {
        missing.push("SLBOT_ALEXA_CLIENT_ID");
    }
    if secret.is_none() {
        missing.push("SLBOT_ALEXA_CLIENT_SECRET");
    }
    if urls.is_empty() {
        missing.push("SLBOT_ALEXA_REDIRECT_URLS");
    }
    let (Some(client_id), Some(client_secret), false) = (id, secret, urls.is_empty()) else {
        return Err(ConfigError::Missing {
            name: missing.join(", "),
            key: "alexa_client_id, alexa_client_secret, alexa_redirect_urls".to_string(),
            file_hint: " (Alexa account linking is on as soon as one SLBOT_ALEXA_* is set)"
                .to_string(),
        });
    };
    for raw in &urls {
        check_alexa_redirect(raw)?;
    }
    let secs: u64 = config.value("ALEXA_TOKEN_TTL_SECS", None, DEFAULT_ALEXA_TOKEN_TTL_SECS)?;
    if !(60..=86_400).contains(&secs) {
        return Err(ConfigError::Invalid {
            name: "SLBOT_ALEXA_TOKEN_TTL_SECS".to_string(),
            reason: format!("{secs} s: between 60 and 86400 (Alexa refreshes by itself)"),
        });
    }
    Ok(Some(AlexaSettings {
        client_id,
        client_secret,
        redirect_urls: urls,
        token_ttl: Duration::from_secs(secs),
    }))
}

/// An Alexa redirect URL: https, or http on 127.0.0.1/localhost (tests, demo); no fragment.
fn check_alexa_redirect(raw: &str) -> Result<(), ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "SLBOT_ALEXA_REDIRECT_URLS".to_string(),
        reason,
    };
    let url = Url::parse(raw).map_err(|e| invalid(format!("`{raw}`: {e}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1") | Some("localhost"));
    let ok_scheme = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !ok_scheme {
        return Err(invalid(format!(
            "`{raw}` must be https:// (http:// only on 127.0.0.1 or localhost)"
        )));
    }
    if url.fragment().is_some() {
        return Err(invalid(format!("`{raw}` must not have a #fragment")));
    }
    Ok(())
}

impl std::fmt::Debug for BackendSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendSettings")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url.as_str())
            .field("signing_version", &self.signing_version)
            .field("sso_authorize_url", &self.sso.authorize_url.as_str())
            .field("sso_client_id", &self.sso.client_id)
            .field("webex_api_url", &self.webex_api_url)
            .field("allowed_email_domains", &self.allowed_email_domains)
            .field("allowed_org_ids", &self.allowed_org_ids)
            .field("login", &self.login)
            .field("alexa", &self.alexa)
            .finish_non_exhaustive()
    }
}

fn url_setting(config: &Config, name: &str, default: &str) -> Result<Url, ConfigError> {
    let raw = config.get(name).unwrap_or_else(|| default.to_string());
    let url = Url::parse(raw.trim()).map_err(|e| ConfigError::Invalid {
        name: format!("SLBOT_{name}"),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid {
            name: format!("SLBOT_{name}"),
            reason: "must be an http:// or https:// URL".to_string(),
        });
    }
    Ok(url)
}

impl BackendSettings {
    /// Reads every setting; a missing secret or a malformed value names its variable.
    /// `listen` overrides `SLBOT_BACKEND_LISTEN` (the `--listen` flag).
    pub fn from_config(
        config: &Config,
        listen: Option<SocketAddr>,
        files: &SecretFiles,
    ) -> Result<Self, ConfigError> {
        let default_listen: SocketAddr =
            DEFAULT_LISTEN.parse().map_err(|_| ConfigError::Invalid {
                name: "SLBOT_BACKEND_LISTEN".to_string(),
                reason: "bad built-in default".to_string(),
            })?;
        let signing_version = match config.get("SIGNING_VERSION").as_deref().map(str::trim) {
            None | Some("") | Some("v2") | Some("2") => Version::V2,
            Some("v1") | Some("1") => Version::V1,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "SLBOT_SIGNING_VERSION".to_string(),
                    reason: format!("`{other}` is neither v1 nor v2"),
                })
            }
        };
        let revoke_url = match config
            .get("SSO_REVOKE_URL")
            .filter(|v| !v.trim().is_empty())
        {
            Some(_) => Some(url_setting(config, "SSO_REVOKE_URL", "")?),
            None => None,
        };
        let client_id = config
            .get("SSO_CLIENT_ID")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ConfigError::Missing {
                name: "SLBOT_SSO_CLIENT_ID".to_string(),
                key: "sso_client_id".to_string(),
                file_hint: String::new(),
            })?;
        let store_url = config
            .get("STORE_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_STORE_URL.to_string());
        let public_url = url_setting(config, "BACKEND_PUBLIC_URL", DEFAULT_PUBLIC_URL)?;
        let callback = redirect_uri(&public_url)?;
        Ok(Self {
            listen: config.value("BACKEND_LISTEN", listen, default_listen)?,
            public_url,
            backend_secret: config
                .require_secret("BACKEND_SECRET", files.backend_secret.as_deref())?,
            signing_version,
            store_url: SecretString::from(store_url.trim().to_string()),
            store_key: config.require_secret("STORE_KEY", files.store_key.as_deref())?,
            store_old_keys: config
                .list("STORE_OLD_KEYS", &[])
                .into_iter()
                .map(SecretString::from)
                .collect(),
            sso: SsoSettings {
                authorize_url: url_setting(config, "SSO_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL)?,
                token_url: url_setting(config, "SSO_TOKEN_URL", DEFAULT_TOKEN_URL)?,
                userinfo_url: url_setting(config, "SSO_USERINFO_URL", DEFAULT_USERINFO_URL)?,
                revoke_url,
                client_id,
                client_secret: config
                    .require_secret("SSO_CLIENT_SECRET", files.sso_client_secret.as_deref())?,
                redirect_uri: callback,
                client_auth: ClientAuth::Post,
                timeout: Duration::from_secs(config.value("SSO_TIMEOUT_SECS", None, 15u64)?),
            },
            webex_api_url: config
                .get("WEBEX_API_URL")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_WEBEX_API_URL.to_string()),
            webex_bot_token: config
                .require_secret("WEBEX_BOT_TOKEN", files.webex_bot_token.as_deref())?,
            allowed_email_domains: config.list("ALLOWED_EMAIL_DOMAINS", &[]),
            allowed_org_ids: config.list("ALLOWED_ORG_IDS", &[]),
            http: slbot_http::Limits::load(config, Duration::from_secs(10))?,
            login: login_limits(config)?,
            alexa: alexa_settings(config, files)?,
            dashboard: dashboard_settings(config)?,
        })
    }
}

/// `SLBOT_LOGIN_RATE_PER_MINUTE` (per client address, default 20),
/// `SLBOT_LOGIN_RATE_GLOBAL_PER_MINUTE` (600) and `SLBOT_LOGIN_MAX_PENDING` (10000); each at
/// least 1 (a zero would refuse every sign-in).
fn login_limits(config: &Config) -> Result<LoginLimits, ConfigError> {
    let defaults = LoginLimits::default();
    fn at_least_one<T: PartialEq + From<u8>>(name: &str, value: T) -> Result<T, ConfigError> {
        if value == T::from(0) {
            Err(ConfigError::Invalid {
                name: format!("SLBOT_{name}"),
                reason: "must be at least 1 (0 would refuse every sign-in)".to_string(),
            })
        } else {
            Ok(value)
        }
    }
    let rate = |name: &str, default: u32| -> Result<u32, ConfigError> {
        at_least_one(name, config.value(name, None, default)?)
    };
    Ok(LoginLimits {
        per_address_per_minute: rate("LOGIN_RATE_PER_MINUTE", defaults.per_address_per_minute)?,
        global_per_minute: rate("LOGIN_RATE_GLOBAL_PER_MINUTE", defaults.global_per_minute)?,
        max_pending: at_least_one(
            "LOGIN_MAX_PENDING",
            config.value("LOGIN_MAX_PENDING", None, defaults.max_pending)?,
        )?,
    })
}

/// The OAuth redirect URI under the public URL: `{public_url}/oauth/callback`.
pub fn redirect_uri(public_url: &Url) -> Result<Url, ConfigError> {
    let base = public_url.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/oauth/callback")).map_err(|e| ConfigError::Invalid {
        name: "SLBOT_BACKEND_PUBLIC_URL".to_string(),
        reason: e.to_string(),
    })
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

    const ALL: &[(&str, &str)] = &[
        ("SLBOT_BACKEND_SECRET", "s"),
        ("SLBOT_STORE_KEY", "k"),
        ("SLBOT_SSO_CLIENT_ID", "id"),
        ("SLBOT_SSO_CLIENT_SECRET", "cs"),
        ("SLBOT_WEBEX_BOT_TOKEN", "t"),
    ];

    #[test]
    fn defaults_follow_the_design_table() {
        let s = BackendSettings::from_config(&config(ALL), None, &SecretFiles::default()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8082");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:8082/");
        assert_eq!(
            s.sso.redirect_uri.as_str(),
            "http://127.0.0.1:8082/oauth/callback"
        );
        assert_eq!(s.signing_version, Version::V2);
        assert_eq!(s.sso.token_url.as_str(), DEFAULT_TOKEN_URL);
        assert_eq!(s.webex_api_url, DEFAULT_WEBEX_API_URL);
        assert!(s.allowed_email_domains.is_empty());
        assert_eq!(s.login.per_address_per_minute, 20);
        assert_eq!(s.login.global_per_minute, 600);
        assert_eq!(s.login.max_pending, 10_000);
    }

    #[test]
    fn the_login_limits_are_read_and_a_zero_is_refused_by_name() {
        let mut pairs = ALL.to_vec();
        pairs.extend([
            ("SLBOT_LOGIN_RATE_PER_MINUTE", "5"),
            ("SLBOT_LOGIN_RATE_GLOBAL_PER_MINUTE", "50"),
            ("SLBOT_LOGIN_MAX_PENDING", "500"),
        ]);
        let s =
            BackendSettings::from_config(&config(&pairs), None, &SecretFiles::default()).unwrap();
        assert_eq!(
            (
                s.login.per_address_per_minute,
                s.login.global_per_minute,
                s.login.max_pending
            ),
            (5, 50, 500)
        );
        for name in [
            "SLBOT_LOGIN_RATE_PER_MINUTE",
            "SLBOT_LOGIN_RATE_GLOBAL_PER_MINUTE",
            "SLBOT_LOGIN_MAX_PENDING",
        ] {
            let mut pairs = ALL.to_vec();
            pairs.push((name, "0"));
            let err = BackendSettings::from_config(&config(&pairs), None, &SecretFiles::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(name) && err.contains("at least 1"), "{err}");
        }
    }

    #[test]
    fn each_missing_secret_is_named() {
        for (missing, _) in ALL {
            let rest: Vec<(&str, &str)> =
                ALL.iter().copied().filter(|(k, _)| k != missing).collect();
            let err = BackendSettings::from_config(&config(&rest), None, &SecretFiles::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(missing), "{missing}: {err}");
        }
    }

    #[test]
    fn alexa_linking_is_off_when_unset_and_on_with_every_setting() {
        let s = BackendSettings::from_config(&config(ALL), None, &SecretFiles::default()).unwrap();
        assert!(s.alexa.is_none());
        let mut pairs = ALL.to_vec();
        pairs.extend([
            ("SLBOT_ALEXA_CLIENT_ID", "alexa"),
            ("SLBOT_ALEXA_CLIENT_SECRET", "alexa-secret-value"),
            (
                "SLBOT_ALEXA_REDIRECT_URLS",
                "https://pitangui.amazon.com/api/skill/link/M1, http://127.0.0.1:9/cb",
            ),
        ]);
        let s =
            BackendSettings::from_config(&config(&pairs), None, &SecretFiles::default()).unwrap();
        let alexa = s.alexa.unwrap();
        assert_eq!(alexa.client_id, "alexa");
        assert_eq!(alexa.redirect_urls.len(), 2);
        assert_eq!(alexa.token_ttl, Duration::from_secs(3600));
        assert!(!format!("{alexa:?}").contains("alexa-secret-value"));
    }

    #[test]
    fn partial_alexa_settings_name_what_is_missing_and_plain_http_is_refused() {
        let mut pairs = ALL.to_vec();
        pairs.push(("SLBOT_ALEXA_CLIENT_ID", "alexa"));
        let err = BackendSettings::from_config(&config(&pairs), None, &SecretFiles::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SLBOT_ALEXA_CLIENT_SECRET") && err.contains("SLBOT_ALEXA_REDIRECT_URLS"),
            "{err}"
        );
        pairs.extend([
            ("SLBOT_ALEXA_CLIENT_SECRET", "s"),
            ("SLBOT_ALEXA_REDIRECT_URLS", "http://alexa.example.com/cb"),
        ]);
        let err = BackendSettings::from_config(&config(&pairs), None, &SecretFiles::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLBOT_ALEXA_REDIRECT_URLS"), "{err}");
    }

    #[test]
    fn an_unknown_signing_version_is_refused_by_name() {
        let mut pairs = ALL.to_vec();
        pairs.push(("SLBOT_SIGNING_VERSION", "v3"));
        let err = BackendSettings::from_config(&config(&pairs), None, &SecretFiles::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLBOT_SIGNING_VERSION"), "{err}");
    }
}
