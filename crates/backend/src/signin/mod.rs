//! The sign-in flow (DESIGN.md "Sign-in", signing.md "Sign-in links").
//!
//! - `home`: `GET /`, the dashboard page.
//! - `login`: `GET /login[?t=…]`, verifies a sign-in link, remembers state + PKCE verifier,
//!   binds the state to the browser with a cookie, sends the browser to Cisco SSO.
//! - `callback`: `GET /oauth/callback`, checks the browser's cookie, consumes the state,
//!   exchanges the code, reads the e-mail, applies the access policy, binds the tokens to a
//!   Webex personId (or parks them behind a confirmation code) and welcomes the user in their
//!   1:1 space.
//! - [`browser`]: the cookie that binds a sign-in to the browser that started it.
//! - [`throttle`]: how many sign-ins `/login` starts (per client address, for everyone, and
//!   how many may be in flight).
//! - [`port`]: what the flow needs from the token store.
//! - [`pages`]: the HTML.
//!
//! Every failure is a [`SignInError`]; [`SignInError::into_response`] is the one place where a
//! failure becomes a status, a page the user can act on, and one log line with the cause.

pub mod browser;
pub mod callback;
pub mod home;
pub mod login;
pub mod pages;
pub mod port;
pub mod throttle;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::sso::SsoError;
use crate::webex_port::WebexFailure;
use port::StoreFailure;
use throttle::Throttled;

/// How long an OAuth attempt (state + verifier) and a pending confirmation stay valid.
pub const ATTEMPT_MINUTES: i64 = 10;
pub const CONFIRM_MINUTES: i64 = 10;

/// Why a sign-in did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("sign-in link refused: {0}")]
    BadLink(#[from] slbot_signing::LinkError),
    #[error("unknown, expired or reused OAuth state")]
    UnknownState,
    #[error("the callback lacks the cookie of the browser that started this sign-in")]
    OtherBrowser,
    #[error("the user cancelled at Cisco SSO ({0})")]
    Cancelled(String),
    #[error("Cisco SSO: {0}")]
    Sso(#[from] SsoError),
    #[error("userinfo has no e-mail")]
    NoEmail,
    #[error("refused by the access policy ({0})")]
    NotAllowed(&'static str),
    #[error("Webex: {0}")]
    Webex(#[from] WebexFailure),
    #[error("the 1:1 space has {0} members besides the bot, expected exactly one")]
    NoSinglePerson(usize),
    #[error(transparent)]
    Store(#[from] StoreFailure),
    #[error("too many sign-ins started ({0:?})")]
    Throttled(Throttled),
    #[error("{0} or more sign-in attempts are in flight, the configured maximum")]
    TooManyPending(u64),
}

/// How long a client is asked to wait when the store holds as many attempts as allowed.
const BUSY_RETRY_AFTER_SECS: u64 = 60;

impl SignInError {
    fn status_and_text(&self) -> (StatusCode, &'static str, String) {
        use SignInError as E;
        match self {
            E::BadLink(e) => (
                StatusCode::BAD_REQUEST,
                "This sign-in link does not work",
                format!(
                    "{}. Ask the bot for a new link by sending it any message.",
                    sentence(e)
                ),
            ),
            E::UnknownState => (
                StatusCode::BAD_REQUEST,
                "This sign-in attempt is no longer valid",
                "It is unknown, took longer than 10 minutes, or was already used (for example \
                 by going back in the browser). Please start again."
                    .to_string(),
            ),
            E::OtherBrowser => (
                StatusCode::BAD_REQUEST,
                "This sign-in cannot be finished in this browser",
                "This sign-in was started in another browser (or it took longer than 10 \
                 minutes, or was already finished). For your safety a sign-in has to end in the \
                 browser that started it, so nothing was linked. Start again from the link in \
                 Webex, in this browser."
                    .to_string(),
            ),
            E::Cancelled(_) => (
                StatusCode::BAD_REQUEST,
                "Sign-in cancelled",
                "The sign-in at Cisco was cancelled or refused, so nothing was linked.".to_string(),
            ),
            E::Sso(e) if e.is_transient() => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Cisco sign-in is not answering",
                "Cisco SSO is unavailable right now. This is not your fault; please try again \
                 in a few minutes."
                    .to_string(),
            ),
            E::Sso(e) if e.is_operator_error() => (
                StatusCode::BAD_GATEWAY,
                "The sign-in service is not set up correctly",
                "Cisco SSO does not accept this service's credentials. This is not your fault; \
                 the administrator has to fix the service's registration."
                    .to_string(),
            ),
            E::Sso(SsoError::Unexpected(_)) => (
                StatusCode::BAD_GATEWAY,
                "Cisco sign-in gave an unexpected answer",
                "Cisco SSO answered something this service cannot read. This is not your \
                 fault; please try again later."
                    .to_string(),
            ),
            E::Sso(_) => (
                StatusCode::BAD_REQUEST,
                "Cisco did not accept the sign-in",
                "Cisco SSO refused to complete this sign-in (it may have expired). Please start \
                 again."
                    .to_string(),
            ),
            E::NoEmail => (
                StatusCode::BAD_REQUEST,
                "Cisco did not share your e-mail address",
                "The bot finds you in Webex by the e-mail address of your Cisco account, and \
                 Cisco SSO did not provide one. Sign in again and allow sharing your e-mail \
                 address."
                    .to_string(),
            ),
            E::NotAllowed(_) => (
                StatusCode::FORBIDDEN,
                "This account may not use the bot",
                "Your organization or e-mail domain is not on this bot's list of allowed users, \
                 so nothing was saved. Ask your administrator if you think this is wrong."
                    .to_string(),
            ),
            E::Webex(e) => (
                StatusCode::BAD_GATEWAY,
                "Your Webex space could not be opened",
                format!(
                    "You signed in with Cisco, but the bot could not open your 1:1 space in \
                     Webex: {}. Nothing was saved; please try again{}.",
                    e.message,
                    if e.transient { " in a few minutes" } else { "" }
                ),
            ),
            E::NoSinglePerson(_) => (
                StatusCode::BAD_GATEWAY,
                "Your Webex space could not be opened",
                "The bot could not tell who you are in Webex from your 1:1 space. Nothing was \
                 saved; please try again, or start from a sign-in link the bot sends you."
                    .to_string(),
            ),
            E::Store(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Your sign-in could not be saved",
                "The service could not save your sign-in right now. This is not your fault; \
                 please try again in a few minutes."
                    .to_string(),
            ),
            E::Throttled(t) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-ins at once",
                format!(
                    "Too many sign-ins were started {} in the last minute. Please wait {} \
                     seconds, then start again.",
                    match t {
                        Throttled::Address { .. } => "from your network",
                        Throttled::Everyone { .. } => "with this service",
                    },
                    self.retry_after().unwrap_or(1)
                ),
            ),
            E::TooManyPending(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The sign-in service is busy",
                "Too many sign-ins are in progress right now. This is not your fault; please \
                 try again in a minute."
                    .to_string(),
            ),
        }
    }

    /// Seconds after which trying again may work (the `Retry-After` header), for refusals
    /// that say so.
    fn retry_after(&self) -> Option<u64> {
        match self {
            SignInError::Throttled(
                Throttled::Address { retry_after_secs } | Throttled::Everyone { retry_after_secs },
            ) => Some(*retry_after_secs),
            SignInError::TooManyPending(_) => Some(BUSY_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// The page's title: one sentence of what happened (also used in chat).
    pub fn headline(&self) -> &'static str {
        self.status_and_text().1
    }

    /// The page, with `login_url` as the "start again" link.
    pub fn into_page(self, login_url: &str) -> Response {
        let (status, title, text) = self.status_and_text();
        // Logged once, here, with its cause chain. No variant carries an e-mail or a token.
        // A throttled request is logged at debug only: a flood must not become a log flood.
        if status.is_server_error() {
            tracing::warn!(error = %error_chain(&self), status = status.as_u16(), "sign-in failed");
        } else if matches!(self, SignInError::Throttled(_)) {
            tracing::debug!(error = %self, status = status.as_u16(), "sign-in throttled");
        } else {
            tracing::info!(error = %error_chain(&self), status = status.as_u16(), "sign-in refused");
        }
        let retry_after = self.retry_after();
        let mut response =
            no_store((status, Html(pages::problem(title, &text, login_url))).into_response());
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        response
    }
}

fn sentence(e: &slbot_signing::LinkError) -> String {
    let s = e.to_string();
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => s,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Pages with one-time codes or fresh results must not be cached.
pub(crate) fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
