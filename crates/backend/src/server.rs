//! Putting the backend together: settings → clients and store → one router → a served listener.
//! `slbot backend` and the demo both start it through [`start`] / [`serve`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use secrecy::ExposeSecret;
use slbot_base::Clock;
use slbot_signing::{NonceStore, Verifier};

use crate::app::signin_router;
use crate::crypto::{KeyError, Keyring};
use crate::dashboard::Dashboard;
use crate::refresh::Refresher;
use crate::settings::BackendSettings;
use crate::sso::{SsoClient, SsoError};
use crate::state::{AppState, SignInDeps};
use crate::store::signin_adapter::SignInAdapter;
use crate::store::{StoreError, TokenStore};
use crate::token_api::{self, TokenApiDeps};
use crate::webex_port::WebexPort;
use slbot_config::AccessPolicy;

/// How often expired OAuth attempts and pending sign-ins are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(300);

/// Why the backend could not start, by who can act on it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong (exit 2).
    #[error(transparent)]
    Config(#[from] slbot_config::ConfigError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the Cisco SSO settings cannot be used: {0}")]
    Sso(SsoError),
    #[error("SLBOT_WEBEX_API_URL cannot be used: {0}")]
    Webex(String),
    /// `SLBOT_STORE_URL` is malformed (exit 2).
    #[error("SLBOT_STORE_URL: {0}")]
    StoreUrl(StoreError),
    /// The store does not answer (exit 3).
    #[error("the token store (SLBOT_STORE_URL) cannot be reached: {0}")]
    StoreUnreachable(StoreError),
    /// The listen address is taken or not ours (exit 2).
    #[error("cannot listen on {addr} (SLBOT_BACKEND_LISTEN / --listen): {reason}")]
    Bind { addr: SocketAddr, reason: String },
}

/// Everything behind the backend's routes.
pub struct BackendState {
    pub signin: AppState,
    pub token_api: TokenApiDeps,
    /// The dashboard; `None` when the store keeps no sessions or CSSM's URL is unusable.
    pub dashboard: Option<Arc<Dashboard>>,
}

impl std::fmt::Debug for BackendState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendState")
            .field("signin", &self.signin)
            .finish_non_exhaustive()
    }
}

/// The whole backend: sign-in pages, health checks and the signed token API.
pub fn app(state: BackendState) -> Router {
    let router = signin_router(state.signin).merge(token_api::router(state.token_api));
    match state.dashboard {
        Some(dashboard) => router.merge(crate::dashboard::router(dashboard)),
        None => router,
    }
}

/// A started backend's parts a caller may still need (e.g. the demo's `tokens` view).
pub struct Started {
    pub router: Router,
    pub store: Arc<dyn TokenStore>,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started").finish_non_exhaustive()
    }
}

/// Builds the SSO client, the Webex client and the store from `settings`, and the router.
pub async fn start(
    settings: &BackendSettings,
    clock: Arc<dyn Clock>,
) -> Result<Started, StartError> {
    let keys = Keyring::new(&settings.store_key, &settings.store_old_keys)?;
    let (store, replay_window) =
        crate::store::connect_with_replay_window(settings.store_url.expose_secret(), keys)
            .await
            .map_err(|e| match e {
                StoreError::BadUrl(_) => StartError::StoreUrl(e),
                other => StartError::StoreUnreachable(other),
            })?;
    store.ping().await.map_err(StartError::StoreUnreachable)?;

    let sso = SsoClient::new(settings.sso.clone()).map_err(StartError::Sso)?;
    let webex = slbot_webex::WebexClient::new(
        &settings.webex_api_url,
        settings.webex_bot_token.clone(),
        slbot_webex::ClientSettings::default(),
    )
    .map_err(|e| StartError::Webex(e.to_string()))?;

    let state = state_from_parts(
        settings,
        sso,
        Arc::new(webex),
        store.clone(),
        replay_window,
        clock,
    );
    Ok(Started {
        router: app(state),
        store,
    })
}

/// The state from already-built parts (tests and the demo swap any of them). `replay_window`
/// holds the v2 request nonces: shared by every replica when scaled out.
pub fn state_from_parts(
    settings: &BackendSettings,
    sso: SsoClient,
    webex: Arc<dyn WebexPort>,
    store: Arc<dyn TokenStore>,
    replay_window: Arc<dyn NonceStore>,
    clock: Arc<dyn Clock>,
) -> BackendState {
    let refresher: Arc<dyn Refresher> = Arc::new(sso.clone());
    let dashboard_sso = sso.clone();
    let signin = AppState::new(SignInDeps {
        sso,
        webex,
        store: Arc::new(SignInAdapter::new(store.clone(), clock.clone())),
        clock: clock.clone(),
        link_secret: settings.backend_secret.clone(),
        policy: AccessPolicy::new(
            settings.allowed_email_domains.clone(),
            settings.allowed_org_ids.clone(),
        ),
        public_url: settings.public_url.clone(),
        login_limits: settings.login,
        alexa: match (&settings.alexa, store.alexa_grants()) {
            (Some(alexa), Some(grants)) => Some(crate::alexa::AlexaLink {
                settings: alexa.clone(),
                grants,
            }),
            (Some(_), None) => {
                tracing::warn!("this token store keeps no Alexa grants: account linking is off");
                None
            }
            (None, _) => None,
        },
    });
    let dashboard = match dashboard(settings, &dashboard_sso, store.clone(), clock.clone()) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "the dashboard is off");
            None
        }
    };
    let signin = match &dashboard {
        Some(d) => signin.with_dashboard_sessions(d.sessions.clone()),
        None => signin,
    };
    let verifier = Verifier::new(
        settings.signing_version,
        settings.backend_secret.clone(),
        settings.public_url.as_str().trim_end_matches('/'),
        replay_window,
    );
    BackendState {
        signin,
        token_api: TokenApiDeps {
            store,
            refresher,
            verifier,
            clock,
        },
        dashboard,
    }
}

/// The dashboard over the store's sessions, a CSSM client and an inventory cache (the bot's,
/// through Redis, when `SLBOT_CACHE_URL` and `SLBOT_WEBHOOK_SECRET` are both set).
fn dashboard(
    settings: &BackendSettings,
    sso: &SsoClient,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
) -> Result<Option<Arc<Dashboard>>, String> {
    use crate::dashboard::data::Loader;
    use crate::dashboard::session::{SessionKeys, Sessions};
    use slbot_cache::snapshot::snapshot_decoder;
    let Some(session_store) = store.dashboard_sessions() else {
        return Ok(None);
    };
    let d = &settings.dashboard;
    let cssm_url =
        slbot_cssm::Url::parse(&d.cssm_api_url).map_err(|e| format!("SLBOT_CSSM_API_URL: {e}"))?;
    let fetch = slbot_cssm::FetchSettings {
        page_size: d.cssm_page_size,
        concurrency: d.cssm_concurrency,
        request_timeout: d.cssm_timeout,
        ..slbot_cssm::FetchSettings::default()
    };
    let cssm = slbot_cssm::CssmClient::new(
        &cssm_url,
        fetch,
        Arc::new(tokio::sync::Semaphore::new(d.cssm_max_inflight)),
    )
    .map_err(|e| format!("SLBOT_CSSM_API_URL: {e}"))?
    .with_clock(clock.clone());
    let catalog = Arc::new(match &d.catalog {
        None => slbot_inventory::Catalog::shipped(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("SLBOT_CATALOG {}: {e}", path.display()))?;
            slbot_inventory::Catalog::with_overrides(&text)
                .map_err(|e| format!("SLBOT_CATALOG {}: {e}", path.display()))?
        }
    });
    let cache = match (&d.cache_url, &d.cache_secret) {
        (Some(url), Some(secret)) => {
            let shared = slbot_cache::shared::SharedSettings::new(url.clone(), d.cache_ttl);
            let tier = slbot_cache::shared::SharedTier::new(
                shared,
                slbot_cache::derive(secret, b"slbot cache person key v1"),
            )?;
            tracing::info!("the dashboard shares the bot's inventory cache (SLBOT_CACHE_URL)");
            slbot_cache::InventoryCache::shared(
                d.cache_ttl,
                d.cache_max_bytes,
                tier,
                secret,
                snapshot_decoder(Arc::clone(&catalog), 64 * 1024 * 1024 * 40),
            )
        }
        _ => slbot_cache::InventoryCache::new(d.cache_ttl, d.cache_max_bytes),
    };
    let public = settings.public_url.as_str().trim_end_matches('/');
    let origin = settings.public_url.origin().ascii_serialization();
    let sessions = Arc::new(Sessions {
        keys: SessionKeys::new(
            &settings.backend_secret,
            &settings.public_url,
            d.session_ttl.as_secs(),
        ),
        store: session_store,
        clock: clock.clone(),
        ttl: d.session_ttl,
    });
    let refresher: Arc<dyn Refresher> = Arc::new(sso.clone());
    Ok(Some(Arc::new(Dashboard {
        sessions,
        loader: Loader {
            cache: Arc::new(cache),
            cssm,
            catalog,
            tokens: store,
            refresher,
            clock,
            wait: d.first_fetch_wait,
            progress: moka::sync::Cache::builder()
                .time_to_live(Duration::from_secs(3600))
                .max_capacity(100_000)
                .build(),
        },
        root: format!("{public}/dashboard"),
        login_url: format!("{public}/login"),
        origin,
    })))
}

/// Binds `addr`, naming it when that fails (in use, not local, no permission).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind {
            addr,
            reason: if e.kind() == std::io::ErrorKind::AddrInUse {
                "the address is already in use".to_string()
            } else {
                e.to_string()
            },
        })
}

/// Serves `router` on `listener` with `limits` (header and request timeouts, connection cap)
/// until `shutdown` resolves, purging expired attempts and pending sign-ins in the
/// background; in-flight requests finish first.
pub async fn serve(
    router: Router,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    listener: tokio::net::TcpListener,
    limits: slbot_http::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let purge = tokio::spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            match store.purge_expired(clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(purged = n, "expired sign-in attempts deleted"),
                Err(e) => tracing::warn!(error = %e, "could not purge expired sign-in attempts"),
            }
        }
    });
    slbot_http::serve(listener, router, limits, shutdown).await;
    purge.abort();
}
