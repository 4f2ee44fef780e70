//! The state behind the sign-in pages and health checks ([`AppState`]), in its own module so
//! that the handlers and the route table ([`crate::app`]) both import it and neither imports
//! the other.

use std::sync::Arc;

use secrecy::SecretString;
use slbot_base::Clock;
use url::Url;

use crate::signin::browser::BrowserBinding;
use crate::signin::port::SignInStore;
use crate::signin::throttle::{LoginLimits, LoginThrottle};
use crate::sso::SsoClient;
use crate::webex_port::{WebexFailure, WebexPerson, WebexPort};
use slbot_config::AccessPolicy;

/// Everything the sign-in pages need, injected.
pub struct SignInDeps {
    pub sso: SsoClient,
    pub webex: Arc<dyn WebexPort>,
    pub store: Arc<dyn SignInStore>,
    pub clock: Arc<dyn Clock>,
    /// The shared backend secret (verifies sign-in links; the browser-binding cookie's key is
    /// derived from it).
    pub link_secret: SecretString,
    pub policy: AccessPolicy,
    /// `SLBOT_BACKEND_PUBLIC_URL`: where browsers reach this service.
    pub public_url: Url,
    /// How many sign-ins `/login` starts (`SLBOT_LOGIN_*`).
    pub login_limits: LoginLimits,
    /// Alexa account linking; `None` when `SLBOT_ALEXA_*` is unset (its routes answer 404).
    pub alexa: Option<crate::alexa::AlexaLink>,
}

/// The state behind the sign-in routes. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) deps: Arc<SignInDeps>,
    /// The bot's own person, learned once from `GET /people/me` (state, not a global).
    bot: Arc<tokio::sync::OnceCell<WebexPerson>>,
    /// The per-address and global buckets of `/login`.
    pub(crate) throttle: Arc<LoginThrottle>,
    /// The cookie binding a sign-in to its browser.
    pub(crate) binding: Arc<BrowserBinding>,
    /// The dashboard's sessions, issued when a sign-in completes (`None`: no dashboard).
    pub(crate) sessions: Option<Arc<crate::dashboard::session::Sessions>>,
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
            throttle: Arc::new(LoginThrottle::new(deps.login_limits)),
            binding: Arc::new(BrowserBinding::new(&deps.link_secret, &deps.public_url)),
            deps: Arc::new(deps),
            bot: Arc::new(tokio::sync::OnceCell::new()),
            sessions: None,
        }
    }

    /// Issues a dashboard session with every completed sign-in.
    pub fn with_dashboard_sessions(
        mut self,
        sessions: Arc<crate::dashboard::session::Sessions>,
    ) -> Self {
        self.sessions = Some(sessions);
        self
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
