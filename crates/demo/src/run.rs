//! [`start`]: one process, every part. The order matters:
//!
//! 1. the data folder and its secrets;
//! 2. the one public listener (a port in use fails here, naming it);
//! 3. the Webex simulator's saved world, the demo people and the bot person, and a fresh bot
//!    token; the SSO simulator's saved tokens; the CSSM simulator's generated data;
//! 4. the past of each demo person without history, written into the bot store
//!    ([`crate::history`]); the backend over its SQLite store, and one router for everything the browser uses,
//!    served at once (the bot asks Webex who it is while starting, over this listener);
//! 5. the spaces (1:1 with the bot, the group space), through the simulator's control API;
//! 6. the bot on its own loopback port, its webhooks registered through the Webex API (then
//!    kept by the bot itself, from `SLBOT_BOT_PUBLIC_URL`, as in production), or with
//!    `--transport websocket` its websocket open to the simulator (no public URL);
//! 7. a saver that writes the simulators' state every few seconds when it changed.
//!
//! [`DemoHandle::shutdown`] stops the bot first (queued events finish), then the public
//! listener, then saves the simulators' state.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use secrecy::{ExposeSecret, SecretString};
use slbot_alexa::sim::SimulatedAlexa;
use slbot_backend::server as backend;
use slbot_backend::settings::{BackendSettings, SecretFiles};
use slbot_base::{Clock, SystemClock};
use slbot_bot::{BotFlags, BotSettings};
use slbot_config::Config;
use slbot_sim_sso::{SimSsoConfig, SsoState};
use slbot_webex::{ClientSettings, Duplicates, WebexClient};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::alexa::AlexaPanel;
use crate::chat;
use crate::error::DemoError;
use crate::options::DemoOptions;
use crate::people::{ensure_people, ensure_spaces, People, DEMO_PEOPLE};
use crate::secrets::{owner_only, Secrets};

/// Files of the data folder (besides [`crate::secrets::FILE_NAME`]).
const WEBEX_STATE: &str = "webex-sim.json";
const SSO_STATE: &str = "sso-sim.json";
const BACKEND_DB: &str = "backend.db";
const BOT_DB: &str = "bot.db";

/// How often the simulators' state is written while the demo runs.
const SAVE_EVERY: Duration = Duration::from_secs(5);
/// How long open requests (the chat's long polls) may take to finish at shutdown.
const HTTP_GRACE: Duration = Duration::from_secs(3);
/// How long the bot may take to finish queued events at shutdown (its own grace is 10 s).
const BOT_GRACE: Duration = Duration::from_secs(12);

/// A running demo. Call [`DemoHandle::shutdown`] to stop it and keep its state; dropping it
/// stops the servers without saving.
pub struct DemoHandle {
    /// `http://ADDR`: the backend's pages; the chat is at `{url}/chat`.
    pub url: String,
    /// Where the state is kept (a temporary folder when none was given).
    pub data_dir: PathBuf,
    /// Where the Webex simulator delivers the bot's webhooks.
    pub bot_url: String,
    /// The day the CSSM data is generated around.
    pub anchor: NaiveDate,
    /// How many CSSM users the accounts are dealt to (one per demo person).
    pub cssm_users: usize,
    /// A licence whose use grows for the first demo person (for `trend NAME`), if any.
    pub growing_license: Option<String>,
    webex: slbot_sim_webex::SimState,
    sso: SsoState,
    stop_http: Option<oneshot::Sender<()>>,
    stop_bot: Option<oneshot::Sender<()>>,
    http_task: Option<JoinHandle<()>>,
    bot_task: Option<JoinHandle<()>>,
    saver: Option<JoinHandle<()>>,
    temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for DemoHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoHandle")
            .field("url", &self.url)
            .field("data_dir", &self.data_dir)
            .field("bot_url", &self.bot_url)
            .finish_non_exhaustive()
    }
}

impl DemoHandle {
    /// The web chat.
    pub fn chat_url(&self) -> String {
        format!("{}/chat", self.url)
    }

    /// The simulated Alexa's panel.
    pub fn alexa_url(&self) -> String {
        format!("{}{}", self.url, crate::alexa::PREFIX)
    }

    /// Whether the data folder is temporary (deleted at shutdown).
    pub fn is_temporary(&self) -> bool {
        self.temp.is_some()
    }

    /// Stops the bot (queued events finish), then the public listener, and saves the
    /// simulators' state into the data folder.
    pub async fn shutdown(mut self) -> Result<(), DemoError> {
        if let Some(stop) = self.stop_bot.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.bot_task.take() {
            finish(task, BOT_GRACE, "bot").await;
        }
        if let Some(stop) = self.stop_http.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.http_task.take() {
            finish(task, HTTP_GRACE, "public listener").await;
        }
        if let Some(saver) = self.saver.take() {
            saver.abort();
        }
        save(&self.webex, &self.sso, &self.data_dir)?;
        if let Some(temp) = self.temp.take() {
            if let Err(e) = temp.close() {
                tracing::warn!(error = %e, "cannot delete the demo's temporary folder");
            }
        }
        Ok(())
    }
}

impl Drop for DemoHandle {
    fn drop(&mut self) {
        for stop in [self.stop_bot.take(), self.stop_http.take()]
            .into_iter()
            .flatten()
        {
            let _ = stop.send(());
        }
        if let Some(saver) = self.saver.take() {
            saver.abort();
        }
    }
}

/// Waits for a server task to end, at most `grace`, then stops it.
async fn finish(mut task: JoinHandle<()>, grace: Duration, what: &str) {
    if tokio::time::timeout(grace, &mut task).await.is_err() {
        tracing::warn!(part = what, "did not stop in time: stopping it now");
        task.abort();
    }
}

/// Starts every part of the demo (see the module documentation for the order).
pub async fn start(opts: DemoOptions) -> Result<DemoHandle, DemoError> {
    let (data_dir, temp) = open_data_dir(opts.data_dir.as_deref())?;
    let secrets = Secrets::load_or_create(&data_dir)?;

    let listener = bind(opts.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| DemoError::Unexpected(e.into()))?;
    let base = base_url(addr);
    let webex_base = format!("{base}{}", chat::WEBEX_PREFIX);
    let sims = open_simulators(&opts, &data_dir, &base, &webex_base, &secrets)?;
    write_history(&data_dir, &sims).await?;

    let bot_listener = bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let bot_addr = bot_listener
        .local_addr()
        .map_err(|e| DemoError::Unexpected(e.into()))?;
    let bot_url = format!("http://{bot_addr}");
    // The simulated Alexa's certificate authority (an RSA key: CPU work, off the runtime).
    let alexa = tokio::task::spawn_blocking(|| SimulatedAlexa::new(crate::alexa::DEMO_SKILL_ID))
        .await
        .map_err(|e| DemoError::Unexpected(e.into()))?
        .map_err(|e| DemoError::part("simulated Alexa", e))?;
    let alexa = Arc::new(alexa);
    // Only the simulated Alexa knows it, and only for this run.
    let alexa_client_secret = SecretString::from(slbot_base::random_hex(24));
    let config = settings_config(
        &base,
        &webex_base,
        &bot_url,
        &secrets,
        &sims.bot_token,
        &data_dir,
        &alexa_client_secret,
        opts.transport,
    )?;
    let panel = AlexaPanel::new(Arc::clone(&alexa), &base, &bot_url, alexa_client_secret)
        .map_err(|e| DemoError::part("simulated Alexa", e))?;

    let (stop_http, http_task) = serve_public(&config, listener, &sims, Arc::new(panel)).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| DemoError::Unexpected(e.into()))?;
    ensure_spaces(&http, &webex_base, &sims.people).await?;
    let (stop_bot, bot_task) = start_bot(&config, bot_listener, &sims.bot_token, &alexa).await?;
    if opts.transport == slbot_bot::Transport::Websocket {
        wait_for_websocket(&http, &bot_url).await?;
    }

    let saver = tokio::spawn(keep_saving(
        sims.webex.clone(),
        sims.sso.clone(),
        data_dir.clone(),
    ));
    tracing::info!(url = %base, bot = %bot_url, data_dir = %data_dir.display(), "the demo is running");
    Ok(DemoHandle {
        url: base,
        data_dir,
        bot_url,
        anchor: opts.anchor,
        cssm_users: sims.cssm_users,
        growing_license: crate::history::growing_license(&sims.cssm),
        webex: sims.webex,
        sso: sims.sso,
        stop_http: Some(stop_http),
        stop_bot: Some(stop_bot),
        http_task: Some(http_task),
        bot_task: Some(bot_task),
        saver: Some(saver),
        temp,
    })
}

/// The three simulators, with the demo's people and a fresh bot token.
struct Simulators {
    webex: slbot_sim_webex::SimState,
    sso: SsoState,
    cssm: slbot_sim_cssm::SimState,
    cssm_users: usize,
    people: People,
    bot_token: SecretString,
}

fn open_simulators(
    opts: &DemoOptions,
    data_dir: &Path,
    base: &str,
    webex_base: &str,
    secrets: &Secrets,
) -> Result<Simulators, DemoError> {
    let webex = open_webex(data_dir, webex_base)?;
    let people = ensure_people(&webex)?;
    let bot_token = webex
        .issue_token(&people.bot)
        .map_err(|e| DemoError::part("Webex simulator", e))?;
    let sso = open_sso(data_dir, base, secrets)?;
    // One CSSM user per demo person: each sees the shared account and some of their own.
    let cssm_users = DEMO_PEOPLE.len();
    let cssm = slbot_sim_cssm::SimState::new(slbot_sim_cssm::SimConfig {
        data: slbot_sim_cssm::DataSource::Generate(slbot_sim_cssm::GenParams {
            seed: opts.seed,
            accounts: opts.accounts,
            virtual_accounts: opts.virtual_accounts,
            licenses_per_va: opts.licenses_per_va,
            anchor: opts.anchor,
            lines_per_record: None,
        }),
        users: cssm_users,
        introspect_url: Some(format!("{base}/sso/introspect")),
        now: Utc::now(),
        ..slbot_sim_cssm::SimConfig::default()
    })
    .map_err(|e| DemoError::part("CSSM simulator", e))?;
    Ok(Simulators {
        webex,
        sso,
        cssm,
        cssm_users,
        people,
        bot_token,
    })
}

type Running = (oneshot::Sender<()>, JoinHandle<()>);

/// The bot's store in the data folder.
fn bot_store_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join(BOT_DB).display())
}

/// Gives each demo person without history their past in the bot store (before the bot opens
/// it), then closes the store again.
async fn write_history(data_dir: &Path, sims: &Simulators) -> Result<(), DemoError> {
    let store = slbot_notify::open(&bot_store_url(data_dir))
        .await
        .map_err(|e| DemoError::part("bot store", e))?;
    let written = crate::history::write_past(&*store, &sims.cssm, &sims.people, Utc::now()).await?;
    if written > 0 {
        tracing::info!(people = written, "wrote the demo people's past inventory");
    }
    Ok(())
}

/// The backend with the simulators and the chat on the public listener, served from now on.
async fn serve_public(
    config: &Config,
    listener: TcpListener,
    sims: &Simulators,
    panel: Arc<AlexaPanel>,
) -> Result<Running, DemoError> {
    let addr = listener
        .local_addr()
        .map_err(|e| DemoError::Unexpected(e.into()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let settings = BackendSettings::from_config(config, Some(addr), &SecretFiles::default())
        .map_err(|e| DemoError::part("backend", e))?;
    let started = backend::start(&settings, clock.clone())
        .await
        .map_err(|e| DemoError::part("backend", e))?;
    let limits = settings.http;
    let app = started
        .router
        .nest("/sso", slbot_sim_sso::router(sims.sso.clone()))
        .nest(
            chat::WEBEX_PREFIX,
            slbot_sim_webex::router(sims.webex.clone()),
        )
        .nest("/cssm", slbot_sim_cssm::router(sims.cssm.clone()))
        .merge(chat::router())
        .merge(crate::alexa::router(panel));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Dropping the sender (a failed start) stops the server too.
        let stopped = async {
            let _ = stopped.await;
        };
        backend::serve(app, started.store, clock, listener, limits, stopped).await;
    });
    Ok((stop, task))
}

/// The bot on its own listener, once its webhooks are in place.
async fn start_bot(
    config: &Config,
    listener: TcpListener,
    bot_token: &SecretString,
    alexa: &SimulatedAlexa,
) -> Result<Running, DemoError> {
    let settings =
        BotSettings::load(config, &BotFlags::default()).map_err(|e| DemoError::part("bot", e))?;
    // The bot trusts the simulated Alexa's authority, and nothing else, for `POST /alexa`.
    let injected = slbot_bot::Injected {
        alexa: Some(slbot_bot::alexa::AlexaTrust {
            anchors: vec![alexa.root()],
            fetcher: Arc::new(alexa.fetcher()),
        }),
        ..slbot_bot::Injected::default()
    };
    let bot = slbot_bot::build_with(&settings, injected)
        .await
        .map_err(|e| DemoError::part("bot", e))?;
    let webex = WebexClient::new(
        &settings.webex_api_url,
        bot_token.clone(),
        ClientSettings::default(),
    )
    .map_err(|e| DemoError::part("bot's webhooks", e))?;
    match settings.public_url.clone() {
        // The bot registers its webhooks itself once it serves; doing it here first makes
        // `start` return only when deliveries can arrive, fails the start if they cannot, and
        // prunes duplicates an interrupted earlier run may have left.
        Some(public_url) => slbot_webex::ensure_webhooks(
            &webex,
            &public_url,
            &settings.webhook_secret,
            Duplicates::Prune,
        )
        .await
        .map(drop)
        .map_err(|e| DemoError::part("bot's webhooks", e))?,
        // On the websocket, webhooks an earlier run left in the saved world would deliver
        // every message a second time (answered once, but pointless): removed.
        None => {
            let hooks = webex
                .list_webhooks()
                .await
                .map_err(|e| DemoError::part("bot's webhooks", e))?;
            for hook in hooks {
                webex
                    .delete_webhook(&hook.id)
                    .await
                    .map_err(|e| DemoError::part("bot's webhooks", e))?;
            }
        }
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let stopped = async {
            let _ = stopped.await;
        };
        if let Err(e) = slbot_bot::serve(&settings, bot, listener, stopped).await {
            tracing::error!(error = %e, "the demo's bot stopped");
        }
    });
    Ok((stop, task))
}

/// Waits (up to 20 s) until the bot says its websocket is open, so `start` returns only when
/// messages can arrive.
async fn wait_for_websocket(http: &reqwest::Client, bot_url: &str) -> Result<(), DemoError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        if let Ok(response) = http.get(format!("{bot_url}/readyz")).send().await {
            if let Ok(ready) = response.json::<serde_json::Value>().await {
                if ready["websocket"]["state"] == "connected" {
                    return Ok(());
                }
                last = ready["websocket"]["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(DemoError::part(
        "bot's websocket",
        format!("not connected after 20 s (state: {last:?})"),
    ))
}

/// The data folder, created if needed; a temporary one (returned so it lives as long as the
/// demo) when none was given.
fn open_data_dir(dir: Option<&Path>) -> Result<(PathBuf, Option<tempfile::TempDir>), DemoError> {
    match dir {
        Some(dir) => {
            let created = !dir.exists();
            std::fs::create_dir_all(dir).map_err(|e| DemoError::DataDir {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
            // It will hold sign-in tokens: a folder the demo creates is its owner's only (an
            // existing one keeps its permissions; the files with secrets are made owner-only).
            if created {
                owner_only(dir)?;
            }
            Ok((dir.to_path_buf(), None))
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("slbot-demo-")
                .tempdir()
                .map_err(|e| DemoError::DataDir {
                    path: std::env::temp_dir(),
                    reason: e.to_string(),
                })?;
            Ok((temp.path().to_path_buf(), Some(temp)))
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, DemoError> {
    TcpListener::bind(addr).await.map_err(|e| DemoError::Bind {
        addr,
        reason: if e.kind() == std::io::ErrorKind::AddrInUse {
            "the address is already in use".to_string()
        } else {
            e.to_string()
        },
    })
}

/// The URL a browser on this machine uses: an unspecified address (`0.0.0.0`, `::`) is
/// reached through loopback.
fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn open_webex(data_dir: &Path, webex_base: &str) -> Result<slbot_sim_webex::SimState, DemoError> {
    let path = data_dir.join(WEBEX_STATE);
    let config = slbot_sim_webex::SimConfig {
        public_base: Some(webex_base.to_string()),
        ..slbot_sim_webex::SimConfig::default()
    };
    slbot_sim_webex::SimState::open(&path, config).map_err(|e| match e {
        slbot_sim_webex::SimError::StateRead { path, reason } => {
            DemoError::BadFile { path, reason }
        }
        other => DemoError::part("Webex simulator", other),
    })
}

fn open_sso(data_dir: &Path, base: &str, secrets: &Secrets) -> Result<SsoState, DemoError> {
    let path = data_dir.join(SSO_STATE);
    let config = SimSsoConfig {
        client_secret: Some(secrets.sso_client_secret.expose_secret().to_string()),
        external_base_url: Some(format!("{base}/sso")),
        people: DEMO_PEOPLE
            .iter()
            .map(|p| slbot_sim_sso::DemoPerson::new(p.email, p.sso_label))
            .collect(),
        ..SimSsoConfig::default()
    };
    SsoState::load(config, &path).map_err(|e| match e {
        slbot_sim_sso::PersistError::Format { reason, .. } => DemoError::BadFile { path, reason },
        slbot_sim_sso::PersistError::Io { source, .. } => DemoError::DataDir {
            path,
            reason: source.to_string(),
        },
    })
}

/// The settings of the backend and the bot, as the `SLBOT_*` names the production commands read
/// (so both parts are configured through their one documented path, and new settings get their
/// defaults). Built in memory: nothing is read from or written to the environment.
#[allow(clippy::too_many_arguments)] // one per part of the demo the settings point at
fn settings_config(
    base: &str,
    webex_base: &str,
    bot_url: &str,
    secrets: &Secrets,
    bot_token: &SecretString,
    data_dir: &Path,
    alexa_client_secret: &SecretString,
    transport: slbot_bot::Transport,
) -> Result<Config, DemoError> {
    let store = data_dir.join(BACKEND_DB);
    let store = store.to_str().ok_or_else(|| DemoError::DataDir {
        path: data_dir.to_path_buf(),
        reason: "the path is not valid UTF-8".to_string(),
    })?;
    let sso = format!("{base}/sso");
    let mut pairs: Vec<(&str, String)> = vec![
        ("BACKEND_PUBLIC_URL", base.to_string()),
        ("BACKEND_URL", base.to_string()),
        ("LOGIN_URL", format!("{base}/login")),
        ("STORE_URL", format!("sqlite://{store}")),
        ("STORE_KEY", secrets.store_key.expose_secret().to_string()),
        (
            "BACKEND_SECRET",
            secrets.backend_secret.expose_secret().to_string(),
        ),
        (
            "WEBHOOK_SECRET",
            secrets.webhook_secret.expose_secret().to_string(),
        ),
        ("WEBEX_BOT_TOKEN", bot_token.expose_secret().to_string()),
        ("WEBEX_API_URL", format!("{webex_base}/v1")),
        ("SSO_AUTHORIZE_URL", format!("{sso}/authorize")),
        ("SSO_TOKEN_URL", format!("{sso}/token")),
        ("SSO_USERINFO_URL", format!("{sso}/userinfo")),
        ("SSO_REVOKE_URL", format!("{sso}/revoke")),
        (
            "SSO_CLIENT_ID",
            slbot_sim_sso::DEFAULT_CLIENT_ID.to_string(),
        ),
        (
            "SSO_CLIENT_SECRET",
            secrets.sso_client_secret.expose_secret().to_string(),
        ),
        ("CSSM_API_URL", format!("{base}/cssm")),
        ("SIGNING_VERSION", "v2".to_string()),
        // Where the Webex simulator reaches the bot: `slbot_bot::serve` registers (and keeps)
        // its webhooks there, as `slbot bot` does in production.
        ("BOT_PUBLIC_URL", bot_url.to_string()),
        // A demo serves a handful of people.
        ("BOT_WORKERS", "4".to_string()),
        ("BOT_QUEUE_CAPACITY", "64".to_string()),
        ("CACHE_MAX_MB", "64".to_string()),
        ("BOT_STORE_URL", bot_store_url(data_dir)),
        // The Alexa skill: the bot answers the demo's skill; the backend links the simulated
        // Alexa, whose redirect URL is the panel's.
        ("ALEXA_SKILL_IDS", crate::alexa::DEMO_SKILL_ID.to_string()),
        ("ALEXA_CLIENT_ID", crate::alexa::DEMO_CLIENT_ID.to_string()),
        (
            "ALEXA_CLIENT_SECRET",
            alexa_client_secret.expose_secret().to_string(),
        ),
        ("ALEXA_REDIRECT_URLS", AlexaPanel::redirect_url(base)),
    ];
    if transport == slbot_bot::Transport::Websocket {
        // No public URL: the bot finds the simulator's device service and opens its websocket.
        pairs.retain(|(k, _)| *k != "BOT_PUBLIC_URL");
        pairs.push(("TRANSPORT", transport.as_str().to_string()));
        pairs.push(("WEBEX_U2C_URL", format!("{webex_base}/u2c/api/v1")));
    }
    let env: HashMap<String, String> = pairs
        .into_iter()
        .map(|(k, v)| (format!("SLBOT_{k}"), v))
        .collect();
    Config::from_parts(env, "").map_err(|e| DemoError::part("settings", e))
}

/// Writes both simulators' state into the data folder.
fn save(
    webex: &slbot_sim_webex::SimState,
    sso: &SsoState,
    data_dir: &Path,
) -> Result<(), DemoError> {
    webex
        .save(&data_dir.join(WEBEX_STATE))
        .map_err(|e| DemoError::DataDir {
            path: data_dir.join(WEBEX_STATE),
            reason: e.to_string(),
        })?;
    // The SSO simulator keeps its tokens in clear (the Webex simulator only digests).
    let sso_path = data_dir.join(SSO_STATE);
    sso.save(&sso_path).map_err(|e| DemoError::DataDir {
        path: sso_path.clone(),
        reason: e.to_string(),
    })?;
    owner_only(&sso_path)?;
    Ok(())
}

/// Saves every [`SAVE_EVERY`] when the Webex world or the SSO tokens changed (sign-ins and
/// refreshes, which rotate refresh tokens), so a crash loses seconds, not the session.
async fn keep_saving(webex: slbot_sim_webex::SimState, sso: SsoState, data_dir: PathBuf) {
    let mut saved_revision = None;
    let mut tick = tokio::time::interval(SAVE_EVERY);
    loop {
        tick.tick().await;
        let stats = sso.stats();
        let revision = (webex.revision(), stats.codes_exchanged, stats.refreshes);
        if saved_revision == Some(revision) {
            continue;
        }
        match save(&webex, &sso, &data_dir) {
            Ok(()) => saved_revision = Some(revision),
            Err(e) => tracing::warn!(error = %e, "cannot save the demo's state"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_is_shown_as_loopback() {
        assert_eq!(
            base_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(base_url("[::]:80".parse().unwrap()), "http://[::1]:80");
        assert_eq!(
            base_url("127.0.0.1:9".parse().unwrap()),
            "http://127.0.0.1:9"
        );
    }
}
