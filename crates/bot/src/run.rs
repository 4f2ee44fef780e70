//! Starting and stopping the bot: build the clients from [`BotSettings`], learn the bot's own
//! identity, open the bot store (notifications, the durable intake), start the workers, the
//! HTTP service and the notification scheduler, register the webhooks when the public URL is
//! known and keep them enabled (one replica at a time: [`slbot_notify::Singleton::Webhooks`]),
//! and on shutdown stop taking events, let a running notification pass finish, and finish or
//! hand back the accepted events within the grace period.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use slbot_base::{Clock, SystemClock};
use slbot_config::AccessPolicy;
use slbot_cssm::{CssmClient, FetchSettings, Url};
use slbot_inventory::Catalog;
use slbot_signing::{TokenClient, TokenClientSettings};
use slbot_webex::{
    ensure_webhooks, ClientSettings, Duplicates, WebexClient, WebexError, WebhookAction,
    WebhookStatus, WebhookUpdate, BOT_WEBHOOKS,
};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cache::shared::{SharedSettings, SharedTier};
use crate::cache::InventoryCache;
use crate::handler::MAX_REMEMBERED_OFFERS;
use crate::handler::{Bot, ProgressSettings};
use crate::history::HistoryKeeper;
use crate::intake::Intake;
use crate::mention::Identity;
use crate::notifications::{BackendTokens, CachedInventories, WebexPoster};
use crate::policy::Policy;
use crate::queue::{Dispatcher, OVERFLOW_FACTOR};
use crate::service::{app, ServiceState};
use crate::settings::{BotSettings, Transport};
use crate::websocket::{Transport as WebsocketTransport, WebsocketSettings, WebsocketStatus};
use slbot_notify::{
    EventQueue, NotifyDeps, NotifyService, Scheduler, SchedulerSettings, Singleton,
};

/// Why the bot could not start (the binary maps these to exit codes 2 and 3).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong (exit 2).
    #[error("{0}")]
    Config(String),
    /// Webex did not tell the bot who it is (exit 3).
    #[error("cannot learn the bot's identity from Webex (GET /people/me): {0}")]
    Identity(WebexError),
    /// `SLBOT_BOT_PUBLIC_URL` is set but the webhooks could not be put in place (exit 3).
    #[error("cannot register the bot's webhooks with Webex: {0}")]
    Webhooks(WebexError),
    /// `SLBOT_BOT_STORE_URL` names no store the bot can open (exit 2 for a malformed URL,
    /// 3 when the database does not answer).
    #[error("cannot open the bot store (SLBOT_BOT_STORE_URL): {0}")]
    Store(slbot_notify::StoreError),
}

/// What production takes from the system and tests replace: the clock and the Webex client's
/// timeouts.
#[derive(Clone)]
pub struct Injected {
    /// "Now" for reports, sign-in links and the notification scheduler; the waits (backoff,
    /// `Retry-After`) of the CSSM and Webex clients; the CSSM fetch deadline.
    pub clock: Arc<dyn Clock>,
    /// Timeouts and retry budget of the Webex client.
    pub webex: ClientSettings,
    /// The Alexa endpoint's certificates and roots (Amazon's when `None`).
    pub alexa: Option<crate::alexa::AlexaTrust>,
}

impl Default for Injected {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            webex: ClientSettings::default(),
            alexa: None,
        }
    }
}

/// Builds every client and learns the bot's identity (the system clock, real waits).
pub async fn build(settings: &BotSettings) -> Result<Arc<Bot>, StartError> {
    build_with(settings, Injected::default()).await
}

/// [`build`] with an injected clock and Webex settings.
pub async fn build_with(
    settings: &BotSettings,
    injected: Injected,
) -> Result<Arc<Bot>, StartError> {
    let metrics: crate::metrics::SharedMetrics = Default::default();
    let webex = WebexClient::new(
        &settings.webex_api_url,
        settings.webex_bot_token.clone(),
        injected.webex,
    )
    .map_err(|e| StartError::Config(format!("SLBOT_WEBEX_API_URL: {e}")))?
    .with_clock(Arc::clone(&injected.clock))
    .with_observer(metrics.observer("webex"));
    // The store first: a wrong URL is a setting to fix, found before any remote call.
    let store = slbot_notify::open(settings.bot_store_url.expose_secret())
        .await
        .map_err(StartError::Store)?;
    let person = webex.me().await.map_err(StartError::Identity)?;
    let me = Identity {
        person_id: person.id,
        emails: person.emails,
        display_name: person.display_name.unwrap_or_default(),
    };
    tracing::info!(person_id = %me.person_id, "the bot knows who it is");

    let tokens = TokenClient::new(TokenClientSettings {
        base_url: settings.backend_url.clone(),
        secret: settings.backend_secret.clone(),
        version: settings.signing_version,
        timeout: settings.backend_timeout,
    })
    .map_err(|e| StartError::Config(format!("SLBOT_BACKEND_URL: {e}")))?;

    let cssm_url = Url::parse(&settings.cssm_api_url)
        .map_err(|e| StartError::Config(format!("SLBOT_CSSM_API_URL: {e}")))?;
    let fetch = FetchSettings {
        page_size: settings.cssm_page_size,
        concurrency: settings.cssm_concurrency,
        request_timeout: settings.cssm_timeout,
        ..FetchSettings::default()
    };
    let cssm = CssmClient::new(
        &cssm_url,
        fetch,
        Arc::new(Semaphore::new(settings.cssm_max_inflight)),
    )
    .map_err(|e| StartError::Config(format!("SLBOT_CSSM_API_URL: {e}")))?
    .with_clock(Arc::clone(&injected.clock))
    .with_observer(metrics.observer("cssm"));

    let catalog = match &settings.catalog {
        None => Catalog::shipped(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                StartError::Config(format!("SLBOT_CATALOG {}: {e}", path.display()))
            })?;
            Catalog::with_overrides(&text)
                .map_err(|e| StartError::Config(format!("SLBOT_CATALOG {}: {e}", path.display())))?
        }
    };

    let catalog = Arc::new(catalog);
    let cache = Arc::new(inventory_cache(settings, &catalog)?.with_hook(metrics.cache_hook()));
    let token_source = Arc::new(BackendTokens {
        client: tokens.clone(),
        link_secret: settings.backend_secret.clone(),
        login_url: settings.login_url.clone(),
    });
    let history = HistoryKeeper::new(Arc::clone(&store), settings.history_retention_days);
    let inventories = Arc::new(CachedInventories {
        cache: Arc::clone(&cache),
        cssm: cssm.clone(),
        catalog: Arc::clone(&catalog),
        history: history.clone(),
        clock: Arc::clone(&injected.clock),
    });
    let deps = NotifyDeps {
        store: Arc::clone(&store),
        tokens: token_source,
        inventories,
        settings: SchedulerSettings::default(),
    };
    let notify = NotifyService::new(deps.clone());
    let scheduler = Arc::new(
        Scheduler::new(
            deps,
            Arc::new(WebexPoster {
                webex: webex.clone(),
            }),
        )
        .with_pass_hook(metrics.pass_hook()),
    );

    let alexa = alexa_verifier(settings, injected.alexa, Arc::clone(&injected.clock))?;

    Ok(Arc::new(Bot {
        alexa,
        alexa_deadline: settings.alexa_deadline,
        webex,
        me,
        tokens,
        cssm,
        catalog,
        cache,
        policy: Policy::new(AccessPolicy::new(
            settings.allowed_email_domains.clone(),
            settings.allowed_org_ids.clone(),
        )),
        link_secret: settings.backend_secret.clone(),
        login_url: settings.login_url.clone(),
        progress: ProgressSettings {
            after: settings.progress_after,
            every: settings.progress_every,
            max_edits: settings.progress_max_edits,
        },
        clock: injected.clock,
        watches: Mutex::default(),
        card_secret: settings.card_secret.clone(),
        filter_offers: moka::sync::Cache::builder()
            .time_to_live(FILTER_OFFER_MEMORY)
            .max_capacity(MAX_REMEMBERED_OFFERS)
            .build(),
        notify,
        scheduler,
        store,
        history,
        metrics,
    }))
}

/// The Alexa request verifier when `SLBOT_ALEXA_SKILL_IDS` names a skill.
fn alexa_verifier(
    settings: &BotSettings,
    trust: Option<crate::alexa::AlexaTrust>,
    clock: Arc<dyn Clock>,
) -> Result<Option<Arc<slbot_alexa::verify::Verifier>>, StartError> {
    use slbot_alexa::verify::{HttpCertFetcher, Verifier, VerifierConfig, MAX_TIMESTAMP_SKEW_SECS};
    if settings.alexa_skill_ids.is_empty() {
        return Ok(None);
    }
    if settings.signing_version == slbot_signing::Version::V1 {
        // The Alexa lookup sends the Alexa token in the body, which v1 does not sign.
        return Err(StartError::Config(
            "SLBOT_ALEXA_SKILL_IDS needs SLBOT_SIGNING_VERSION=v2: v1 signs no request body, \
             and the backend refuses the Alexa lookup over it"
                .to_string(),
        ));
    }
    let trust = match trust {
        Some(trust) => trust,
        None => crate::alexa::AlexaTrust {
            anchors: Vec::new(),
            fetcher: Arc::new(
                HttpCertFetcher::new()
                    .map_err(|e| StartError::Config(format!("SLBOT_ALEXA_SKILL_IDS: {e}")))?,
            ),
        },
    };
    let config = VerifierConfig {
        skill_ids: settings.alexa_skill_ids.clone(),
        trust_anchors: trust.anchors,
        max_skew_secs: MAX_TIMESTAMP_SKEW_SECS,
    };
    tracing::info!(
        skills = settings.alexa_skill_ids.len(),
        "the Alexa endpoint is on (POST /alexa)"
    );
    Ok(Some(Arc::new(Verifier::new(config, trust.fetcher, clock))))
}

/// The inventory cache: this process's own, or shared by every replica through Redis when
/// `SLBOT_CACHE_URL` is set (keyed by the webhook secret, which every replica has).
fn inventory_cache(
    settings: &BotSettings,
    catalog: &Arc<Catalog>,
) -> Result<InventoryCache<slbot_inventory::Inventory>, StartError> {
    let Some(url) = &settings.cache_url else {
        return Ok(InventoryCache::new(
            settings.cache_ttl,
            settings.cache_max_bytes,
        ));
    };
    let shared = SharedSettings {
        max_entry_bytes: settings.cache_max_entry_bytes,
        ..SharedSettings::new(url.clone(), settings.cache_ttl)
    };
    let tier = SharedTier::new(
        shared,
        crate::cache::derive(&settings.webhook_secret, b"slbot cache person key v1"),
    )
    .map_err(StartError::Config)?;
    tracing::info!("inventories are cached in Redis for every replica (SLBOT_CACHE_URL)");
    // A snapshot's JSON is rarely more than 20 times its gzip.
    let max_json = (settings.cache_max_entry_bytes as u64).saturating_mul(40);
    Ok(InventoryCache::shared(
        settings.cache_ttl,
        settings.cache_max_bytes,
        tier,
        &settings.webhook_secret,
        slbot_cache::snapshot::snapshot_decoder(Arc::clone(catalog), max_json),
    ))
}

/// How long the last filter-card offer to a person is remembered (the offer interval).
const FILTER_OFFER_MEMORY: Duration = Duration::from_secs(3600);

/// Serves webhooks on `listener` until `shutdown` completes, then finishes queued events for
/// up to the grace period. With a public URL the webhooks are registered first (an error
/// stops the start: the operator asked for it and nothing would arrive otherwise).
pub async fn serve(
    settings: &BotSettings,
    bot: Arc<Bot>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let websocket = settings.transport == Transport::Websocket;
    if websocket && settings.public_url.is_some() {
        tracing::warn!("SLBOT_BOT_PUBLIC_URL is set but events come over the websocket (SLBOT_TRANSPORT=websocket): the webhooks are neither registered nor kept");
    }
    if let Some(public_url) = settings.public_url.as_ref().filter(|_| !websocket) {
        let registered = as_webhook_leader(
            bot.store.as_ref(),
            bot.clock.now(),
            register_webhooks(&bot.webex, public_url, &settings.webhook_secret),
        )
        .await;
        match registered {
            Some(changes) => {
                let changes = changes.map_err(StartError::Webhooks)?;
                tracing::info!(
                    webhooks = changes,
                    public_url = %public_url,
                    "webhooks registered"
                );
            }
            None => tracing::info!("another replica is registering the webhooks"),
        }
    }
    let (dispatcher, workers) =
        Dispatcher::start(bot.clone(), settings.workers, settings.queue_capacity);
    let queue: Arc<dyn EventQueue> = bot.store.clone();
    let intake = Intake::start(
        queue,
        bot.clone(),
        Arc::clone(&bot.clock),
        settings.workers,
        Arc::clone(&dispatcher.stats),
        settings.queue_lease,
    );
    let max_pending = settings.queue_capacity.saturating_mul(1 + OVERFLOW_FACTOR) as u64;
    let mut state = ServiceState::new(settings.webhook_secret.clone(), dispatcher, bot.clone())
        .with_warnings(settings.signing_version.risk().into_iter().collect())
        .with_intake(intake.handle.clone(), max_pending)
        .with_metrics(Arc::clone(&bot.metrics));
    // `/metrics/licenses`: the monitored account's inventory, fetched now and then.
    let licenses = settings.license_metrics.as_ref().map(|m| {
        let licenses = Arc::new(crate::license_metrics::LicenseMetrics::new(
            m.scrape_token.clone(),
        ));
        (licenses, m)
    });
    if let Some((licenses, _)) = &licenses {
        state = state.with_license_metrics(Arc::clone(licenses));
    }
    let license_fetcher = licenses.map(|(licenses, m)| {
        tokio::spawn(crate::license_metrics::keep_fresh(
            licenses,
            bot.cssm.clone(),
            Arc::clone(&bot.catalog),
            m.cssm_token.clone(),
            Arc::clone(&bot.clock),
            m.every,
        ))
    });
    if let Some(verifier) = bot.alexa.clone() {
        state = state.with_alexa(Arc::new(crate::alexa::AlexaEndpoint {
            verifier,
            bot: Arc::clone(&bot),
        }));
    }
    let status = Arc::new(WebsocketStatus::default());
    if websocket {
        state = state.with_websocket(Arc::clone(&status));
    }
    let state = Arc::new(state);
    let keeper = (!websocket).then(|| {
        tokio::spawn(keep_webhooks_enabled(
            Arc::clone(&bot),
            settings.webhook_secret.clone(),
            settings.public_url.clone(),
            settings.webhook_check_every,
        ))
    });
    // One shutdown signal for both the HTTP service and the notification scheduler: the
    // sender fires (or is dropped with the server's shutdown future) and the loop stops
    // after the pass in progress.
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(());
    let transport = websocket.then(|| {
        let transport = WebsocketTransport {
            webex: bot.webex.clone(),
            store: Arc::clone(&bot.store),
            service: Arc::clone(&state),
            status,
            settings: WebsocketSettings {
                u2c_url: settings.webex_u2c_url.clone(),
                device_name: settings.webex_device_name.clone(),
                backoff: settings.websocket_backoff,
            },
        };
        transport.run(stopped.clone())
    });
    let scheduler = {
        let scheduler = Arc::clone(&bot.scheduler);
        let clock = Arc::clone(&bot.clock);
        let every = settings.notify_pass_every;
        let mut stopped = stopped;
        tokio::spawn(async move {
            scheduler
                .run(clock, every, async move {
                    let _ = stopped.changed().await;
                })
                .await;
        })
    };
    let serving = slbot_http::serve(listener, app(state), settings.http, async move {
        shutdown.await;
        let _ = stop_scheduler.send(());
    });
    // The websocket runs inside this future, not as a task of its own: it stops taking events
    // (and frees its lead) on the same signal, and nothing of it outlives a `serve` that is
    // dropped.
    match transport {
        Some(transport) => {
            tokio::join!(serving, transport);
        }
        None => serving.await,
    }
    if let Some(keeper) = keeper {
        keeper.abort();
    }
    if let Some(fetcher) = license_fetcher {
        fetcher.abort();
    }
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "the notification scheduler stopped abnormally");
    }
    // The router (and with it the dispatcher) is gone: the in-memory queue closes and its
    // workers drain; the durable intake finishes or hands back what it holds.
    tokio::join!(
        workers.drain(settings.shutdown_grace),
        intake.drain(settings.shutdown_grace)
    );
    Ok(())
}

/// Puts both webhooks in place for `public_url`, logging each change; returns how many
/// webhooks were checked or changed.
pub async fn register_webhooks(
    webex: &WebexClient,
    public_url: &str,
    secret: &SecretString,
) -> Result<usize, WebexError> {
    let changes = ensure_webhooks(webex, public_url, secret, Duplicates::Keep).await?;
    for change in &changes {
        if change.action == WebhookAction::Unchanged {
            tracing::debug!(change = %change, "webhook");
        } else {
            tracing::info!(change = %change, "webhook");
        }
    }
    Ok(changes.len())
}

/// Checks the bot's webhooks every `every` (at once without a public URL; one period after
/// start with one, since [`serve`] has just registered them): with a public URL they are
/// re-created, re-pointed or re-enabled as needed; without one, disabled ones are re-enabled.
async fn keep_webhooks_enabled(
    bot: Arc<Bot>,
    secret: SecretString,
    public_url: Option<String>,
    every: Duration,
) {
    let first = if public_url.is_some() {
        tokio::time::Instant::now() + every
    } else {
        tokio::time::Instant::now()
    };
    let mut tick = tokio::time::interval_at(first, every);
    loop {
        tick.tick().await;
        let check = async {
            match &public_url {
                Some(url) => register_webhooks(&bot.webex, url, &secret)
                    .await
                    .map(|_| ()),
                None => reenable_disabled_webhooks(&bot.webex, &secret)
                    .await
                    .map(|_| ()),
            }
        };
        match as_webhook_leader(bot.store.as_ref(), bot.clock.now(), check).await {
            Some(Err(e)) => tracing::warn!(error = %e, "cannot check the bot's webhooks"),
            Some(Ok(())) => {}
            None => tracing::debug!("another replica is checking the webhooks"),
        }
    }
}

/// Runs `work` when this replica leads the webhook job now, so replicas starting together do
/// not each create the webhooks (every event would then arrive twice). `None`: another
/// replica leads. When the store cannot say, `work` runs anyway: the registration is
/// idempotent, and webhooks nobody keeps are worse than a rare duplicate check.
async fn as_webhook_leader<T>(
    store: &dyn slbot_notify::NotifyStore,
    now: chrono::DateTime<chrono::Utc>,
    work: impl Future<Output = T>,
) -> Option<T> {
    match store.try_lead_for(Singleton::Webhooks, now).await {
        Ok(Some(lock)) => {
            let done = work.await;
            lock.release().await;
            Some(done)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "the bot store cannot say which replica keeps the webhooks: checking them here");
            Some(work.await)
        }
    }
}

/// Re-enables the bot's webhooks that Webex disabled; returns how many.
pub async fn reenable_disabled_webhooks(
    webex: &WebexClient,
    secret: &SecretString,
) -> Result<usize, WebexError> {
    let mut reenabled = 0;
    for hook in webex.list_webhooks().await? {
        let ours = BOT_WEBHOOKS.iter().any(|spec| spec.name == hook.name);
        if ours && hook.status == Some(WebhookStatus::Inactive) {
            tracing::warn!(webhook = %hook.name, "Webex disabled a webhook of the bot: re-enabling it");
            let update = WebhookUpdate {
                name: hook.name.clone(),
                target_url: hook.target_url.clone(),
                secret: Some(secret.clone()),
                status: WebhookStatus::Active,
            };
            webex.update_webhook(&hook.id, &update).await?;
            reenabled += 1;
        }
    }
    Ok(reenabled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use slbot_config::Config;

    use crate::settings::BotFlags;

    fn settings(store_url: &str) -> BotSettings {
        let env: HashMap<String, String> = [
            ("SLBOT_WEBEX_BOT_TOKEN", "bot-token"),
            ("SLBOT_WEBHOOK_SECRET", "hook-secret"),
            ("SLBOT_BACKEND_SECRET", "backend-secret"),
            // Nothing listens there: the start must stop before asking Webex.
            ("SLBOT_WEBEX_API_URL", "http://127.0.0.1:9/v1"),
            ("SLBOT_BOT_STORE_URL", store_url),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = Config::from_parts(env, "").unwrap();
        BotSettings::load(&config, &BotFlags::default()).unwrap()
    }

    #[tokio::test]
    async fn a_bot_store_url_of_an_unknown_kind_stops_the_start_naming_the_setting() {
        let err = build(&settings("mysql://db.example.com/slbot"))
            .await
            .err()
            .expect("the start fails");
        assert!(
            matches!(err, StartError::Store(slbot_notify::StoreError::BadUrl(_))),
            "{err:?}"
        );
        assert!(err.to_string().contains("SLBOT_BOT_STORE_URL"), "{err}");
    }

    #[tokio::test]
    async fn a_bot_store_that_cannot_be_opened_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        // A folder that does not exist, and no permission to create the file.
        let url = format!("sqlite://{}/missing/bot.db?mode=rw", dir.path().display());
        let err = build(&settings(&url)).await.err().expect("the start fails");
        assert!(matches!(err, StartError::Store(_)), "{err:?}");
    }
}
