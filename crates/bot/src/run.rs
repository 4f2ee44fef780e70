//! Starting and stopping the bot: build the clients from [`BotSettings`], learn the bot's own
//! identity, start the workers and the HTTP service, keep the webhooks enabled, and on shutdown
//! stop taking events and finish the queued ones within the grace period.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use slbot_cssm::{CssmClient, FetchSettings, Url};
use slbot_inventory::Catalog;
use slbot_signing::{TokenClient, TokenClientSettings, Version};
use slbot_webex::{ClientSettings, WebexClient, WebhookStatus, WebhookUpdate, BOT_WEBHOOKS};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cache::InventoryCache;
use crate::handler::{Bot, ProgressSettings};
use crate::mention::Identity;
use crate::policy::Policy;
use crate::queue::Dispatcher;
use crate::service::{app, ServiceState};
use crate::settings::BotSettings;

/// Why the bot could not start (the binary maps these to exit codes 2 and 3).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong (exit 2).
    #[error("{0}")]
    Config(String),
    /// Webex did not tell the bot who it is (exit 3).
    #[error("cannot learn the bot's identity from Webex (GET /people/me): {0}")]
    Identity(slbot_webex::WebexError),
    /// The HTTP server failed (exit 1).
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// Builds every client and learns the bot's identity.
pub async fn build(settings: &BotSettings) -> Result<Arc<Bot>, StartError> {
    let webex = WebexClient::new(
        &settings.webex_api_url,
        settings.webex_bot_token.clone(),
        ClientSettings::default(),
    )
    .map_err(|e| StartError::Config(format!("SLBOT_WEBEX_API_URL: {e}")))?;
    let person = webex.me().await.map_err(StartError::Identity)?;
    let me = Identity {
        person_id: person.id,
        emails: person.emails,
        display_name: person.display_name.unwrap_or_default(),
    };
    tracing::info!(person_id = %me.person_id, "the bot knows who it is");

    let version = match settings.signing_version.as_str() {
        "v1" => Version::V1,
        _ => Version::V2,
    };
    let tokens = TokenClient::new(TokenClientSettings {
        base_url: settings.backend_url.clone(),
        secret: settings.backend_secret.clone(),
        version,
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
    .map_err(|e| StartError::Config(format!("SLBOT_CSSM_API_URL: {e}")))?;

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

    Ok(Arc::new(Bot {
        webex,
        me,
        tokens,
        cssm,
        catalog: Arc::new(catalog),
        cache: InventoryCache::new(settings.cache_ttl, settings.cache_max_bytes),
        policy: Policy::new(
            settings.allowed_org_ids.clone(),
            settings.allowed_email_domains.clone(),
        ),
        link_secret: settings.backend_secret.clone(),
        login_url: settings.login_url.clone(),
        progress: ProgressSettings {
            after: settings.progress_after,
            every: settings.progress_every,
            max_edits: settings.progress_max_edits,
        },
    }))
}

/// Serves webhooks on `listener` until `shutdown` completes, then finishes queued events for
/// up to the grace period.
pub async fn serve(
    settings: &BotSettings,
    bot: Arc<Bot>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let (dispatcher, workers) =
        Dispatcher::start(bot.clone(), settings.workers, settings.queue_capacity);
    let state = Arc::new(ServiceState::new(
        settings.webhook_secret.clone(),
        dispatcher,
        bot.clone(),
    ));
    let keeper = tokio::spawn(keep_webhooks_enabled(
        bot.webex.clone(),
        settings.webhook_secret.clone(),
        settings.webhook_check_every,
    ));
    let result = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    keeper.abort();
    // The router (and with it the dispatcher) is gone: the queue closes and workers drain.
    workers.drain(settings.shutdown_grace).await;
    result.map_err(StartError::Serve)
}

/// Checks the bot's webhooks now and every `every`, re-enabling a disabled one.
async fn keep_webhooks_enabled(webex: WebexClient, secret: SecretString, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = reenable_disabled_webhooks(&webex, &secret).await {
            tracing::warn!(error = %e, "cannot check the bot's webhooks");
        }
    }
}

/// Re-enables the bot's webhooks that Webex disabled; returns how many.
pub async fn reenable_disabled_webhooks(
    webex: &WebexClient,
    secret: &SecretString,
) -> Result<usize, slbot_webex::WebexError> {
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
