//! The HTTP application: shared state, the route table, and serving with graceful shutdown.

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use secrecy::SecretString;
use slbot_signing::Clock;
use url::Url;

use crate::health;
use crate::signin::policy::AccessPolicy;
use crate::signin::port::SignInStore;
use crate::signin::{callback, home, login};
use crate::sso::SsoClient;
use crate::webex_port::{WebexFailure, WebexPerson, WebexPort};

/// Everything the sign-in pages need, injected.
pub struct SignInDeps {
    pub sso: SsoClient,
    pub webex: Arc<dyn WebexPort>,
    pub store: Arc<dyn SignInStore>,
    pub clock: Arc<dyn Clock>,
    /// The shared backend secret (verifies sign-in links).
    pub link_secret: SecretString,
    pub policy: AccessPolicy,
    /// `SLBOT_BACKEND_PUBLIC_URL`: where browsers reach this service.
    pub public_url: Url,
}

/// The state behind the sign-in routes. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) deps: Arc<SignInDeps>,
    /// The bot's own person, learned once from `GET /people/me` (state, not a global).
    bot: Arc<tokio::sync::OnceCell<WebexPerson>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.deps.public_url.as_str())
            .field("policy", &self.deps.policy)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(deps: SignInDeps) -> Self {
        Self {
            deps: Arc::new(deps),
            bot: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The bot's person (id and e-mails), fetched on first use.
    pub async fn bot(&self) -> Result<&WebexPerson, WebexFailure> {
        self.bot
            .get_or_try_init(|| async { self.deps.webex.me().await })
            .await
    }

    /// The bot's e-mail for "open in Webex" links, if Webex tells it.
    pub async fn bot_email(&self) -> Option<String> {
        match self.bot().await {
            Ok(bot) => bot.emails.first().cloned(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot learn the bot's e-mail for the Webex link");
                None
            }
        }
    }

    /// An absolute URL under the public base (`path` without a leading `/`).
    pub fn public(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.deps.public_url.as_str().trim_end_matches('/'),
            path
        )
    }
}

/// The sign-in pages and health checks.
pub fn signin_router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::start))
        .route("/oauth/callback", get(callback::finish))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(axum::middleware::map_response(page_headers))
        .with_state(state)
}

/// Headers of every page: no scripts or frames, and no `Referer` — the callback URL carries
/// the OAuth code and state, and its page links to Webex.
async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
             form-action 'self'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
