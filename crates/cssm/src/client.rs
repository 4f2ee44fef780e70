//! The HTTP side of the CSSM client: URLs, headers, the in-flight caps, retries and backoff,
//! and turning each answer into data or a [`CssmError`]. One call = one `place` in errors.
//!
//! The token travels only in the `Authorization` header, marked sensitive so that no `Debug`
//! of a request or header map prints it. It is never part of a URL, an error or a log field.
//!
//! This file holds the client and its calls (one per endpoint, each reading its answer);
//! `send` holds the one request with retries that every call goes through.

mod send;

use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use url::Url;

use crate::error::{CssmError, Unavailable};
use slbot_base::{Clock, SystemClock};

use crate::settings::{FetchSettings, Jitter, RandomJitter, TokenRefresher};
use crate::wire::{
    Account, AccountsResponse, EnvelopeVerdict, LicensePage, LicenseQuery, VirtualAccountsResponse,
};

/// The API root the client appends to the configured base URL.
pub const API_ROOT: &str = "/services/api/smart-accounts-and-licensing";

/// The base URL cannot be used (an operator's configuration error).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the CSSM URL `{0}` is not usable: {1}")]
    BadBaseUrl(String, &'static str),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// One client per process (or per test): cheap to clone, holds no user data.
/// Tokens are passed to each call; nothing here is keyed by user.
#[derive(Clone)]
pub struct CssmClient {
    http: reqwest::Client,
    api_root: Url,
    settings: FetchSettings,
    inflight: Arc<Semaphore>,
    clock: Arc<dyn Clock>,
    jitter: Arc<dyn Jitter>,
    refresher: Option<TokenRefresher>,
    /// Told of every HTTP attempt (metrics).
    pub(crate) observer: Option<CallObserver>,
}

/// Told of each HTTP attempt: its status (`None`: no answer) and how long it took to answer.
pub type CallObserver = Arc<dyn Fn(Option<u16>, std::time::Duration) + Send + Sync>;

impl std::fmt::Debug for CssmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CssmClient")
            .field("api_root", &self.api_root.as_str())
            .field("settings", &self.settings)
            .field("inflight_available", &self.inflight.available_permits())
            .field("token_refresher", &self.refresher.is_some())
            .finish_non_exhaustive()
    }
}

/// One licence page as the client read it.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Box<RawValue>>,
    pub total_records: Option<u64>,
}

impl CssmClient {
    /// A client for `base_url` (scheme and host, optionally a path prefix such as `/cssm`).
    /// `inflight` is the process-wide cap on requests in flight, shared by every fetch.
    pub fn new(
        base_url: &Url,
        settings: FetchSettings,
        inflight: Arc<Semaphore>,
    ) -> Result<Self, BuildError> {
        let shown = scrub_url(base_url);
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(BuildError::BadBaseUrl(
                shown,
                "it must start with http:// or https://",
            ));
        }
        if base_url.cannot_be_a_base() || base_url.host_str().is_none() {
            return Err(BuildError::BadBaseUrl(shown, "it has no host"));
        }
        if !base_url.username().is_empty() || base_url.password().is_some() {
            return Err(BuildError::BadBaseUrl(
                shown,
                "it must not carry credentials (the token goes in a header)",
            ));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(BuildError::BadBaseUrl(
                shown,
                "it must not have a query or fragment",
            ));
        }
        let mut api_root = base_url.clone();
        let prefix = api_root.path().trim_end_matches('/').to_string();
        api_root.set_path(&format!("{prefix}{API_ROOT}"));
        let http = reqwest::Client::builder()
            .connect_timeout(settings.request_timeout)
            .user_agent(concat!("slbot/", env!("CARGO_PKG_VERSION")))
            // An API answer is never a redirect; following one could carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(BuildError::Http)?;
        Ok(Self {
            http,
            api_root,
            settings,
            inflight,
            clock: Arc::new(SystemClock),
            observer: None,
            jitter: Arc::new(RandomJitter),
            refresher: None,
        })
    }

    /// Replaces the clock (tests: record waits instead of sleeping).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same client telling `observer` of every HTTP attempt (status and latency).
    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Replaces the jitter source (tests: deterministic waits).
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// Where to get a fresh token when `/v2/accounts` answers 500 (cssm-api.md "Odd answers").
    /// Without one, that 500 is simply retried once with the same token.
    pub fn with_token_refresher(mut self, refresher: TokenRefresher) -> Self {
        self.refresher = Some(refresher);
        self
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The API root URL (base + [`API_ROOT`]), without credentials.
    pub fn api_root(&self) -> &Url {
        &self.api_root
    }

    /// The API root followed by `segments`, each one path segment whatever it holds (`url`
    /// escapes `/`, `%`, `?`…). An account domain comes from CSSM's own answer, and `.` or
    /// `..` cannot be a segment at all (`url` would silently drop it, turning a licence call
    /// into a call of another endpoint), so such a domain is bad data.
    fn url(&self, segments: &[&str], place: &str) -> Result<Url, CssmError> {
        if let Some(dots) = segments.iter().find(|s| matches!(**s, "." | "..")) {
            return Err(CssmError::BadData {
                place: place.to_string(),
                detail: format!("the account domain `{dots}` cannot be part of a URL"),
            });
        }
        let mut url = self.api_root.clone();
        url.path_segments_mut()
            .map_err(|()| CssmError::Unexpected {
                place: place.to_string(),
                source: anyhow::anyhow!("the CSSM URL cannot take a path"),
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    // ----- the calls -------------------------------------------------------------------------

    /// `GET /v2/accounts`: the smart accounts of the token's user, as CSSM sent them.
    /// A 500 is retried once, with a fresh token when a refresher is set.
    pub async fn accounts(
        &self,
        token: &SecretString,
    ) -> Result<Vec<serde_json::Value>, CssmError> {
        let permits = Semaphore::new(self.settings.concurrency);
        self.list_accounts(&permits, token).await.map(|(a, _)| a)
    }

    /// `GET /v1/accounts/{domain}/{CUSTOMER|HOLDING}/virtual-accounts`, entries as sent.
    pub async fn virtual_accounts(
        &self,
        token: &SecretString,
        account: &Account,
    ) -> Result<Vec<serde_json::Value>, CssmError> {
        let permits = Semaphore::new(self.settings.concurrency);
        self.virtual_accounts_with(&permits, token, account).await
    }

    /// One page of `POST /v1/accounts/{domain}/licenses`.
    pub async fn license_page(
        &self,
        token: &SecretString,
        domain: &str,
        query: &LicenseQuery,
    ) -> Result<Page, CssmError> {
        let permits = Semaphore::new(self.settings.concurrency);
        self.license_page_with(&permits, token, domain, query).await
    }

    /// The account list, and the fresh token when one had to be fetched.
    pub(crate) async fn list_accounts(
        &self,
        permits: &Semaphore,
        token: &SecretString,
    ) -> Result<(Vec<serde_json::Value>, Option<SecretString>), CssmError> {
        match self.accounts_once(permits, token).await {
            Err(CssmError::Unavailable {
                reason: Unavailable::Status(500),
                ..
            }) => {
                let fresh = match &self.refresher {
                    Some(refresh) => refresh().await,
                    None => None,
                };
                tracing::info!(
                    fresh_token = fresh.is_some(),
                    "CSSM answered 500 for the account list; retrying once"
                );
                let accounts = self
                    .accounts_once(permits, fresh.as_ref().unwrap_or(token))
                    .await?;
                Ok((accounts, fresh))
            }
            other => other.map(|a| (a, None)),
        }
    }

    async fn accounts_once(
        &self,
        permits: &Semaphore,
        token: &SecretString,
    ) -> Result<Vec<serde_json::Value>, CssmError> {
        let place = "the account list";
        let url = self.url(&["v2", "accounts"], place)?;
        let body = self
            .call(permits, token, Method::GET, url, None, place)
            .await?;
        let answer: AccountsResponse = parse_json(&body, place)?;
        match answer.envelope.verdict() {
            EnvelopeVerdict::Data => Ok(answer.accounts),
            EnvelopeVerdict::NoData => Ok(Vec::new()),
            EnvelopeVerdict::Error(msg) => Err(status_error(place, msg)),
        }
    }

    pub(crate) async fn virtual_accounts_with(
        &self,
        permits: &Semaphore,
        token: &SecretString,
        account: &Account,
    ) -> Result<Vec<serde_json::Value>, CssmError> {
        let place = format!(
            "the virtual accounts of account `{}`",
            account.account_domain
        );
        let url = self.url(
            &[
                "v1",
                "accounts",
                &account.account_domain,
                account.type_segment(),
                "virtual-accounts",
            ],
            &place,
        )?;
        let body = self
            .call(permits, token, Method::GET, url, None, &place)
            .await?;
        let answer: VirtualAccountsResponse = parse_json(&body, &place)?;
        match answer.envelope.verdict() {
            EnvelopeVerdict::Data => Ok(answer.virtual_accounts),
            EnvelopeVerdict::NoData => Ok(Vec::new()),
            EnvelopeVerdict::Error(msg) => Err(status_error(&place, msg)),
        }
    }

    pub(crate) async fn license_page_with(
        &self,
        permits: &Semaphore,
        token: &SecretString,
        domain: &str,
        query: &LicenseQuery,
    ) -> Result<Page, CssmError> {
        let place = format!(
            "the licenses of account `{domain}` (offset {}, limit {})",
            query.offset, query.limit
        );
        let url = self.url(&["v1", "accounts", domain, "licenses"], &place)?;
        let request =
            serde_json::to_vec(query)
                .map(Bytes::from)
                .map_err(|e| CssmError::Unexpected {
                    place: place.clone(),
                    source: e.into(),
                })?;
        let body = self
            .call(permits, token, Method::POST, url, Some(request), &place)
            .await?;
        let page: LicensePage = parse_json(&body, &place)?;
        match page.envelope.verdict() {
            EnvelopeVerdict::Data => Ok(Page {
                records: page.licenses,
                total_records: page.total_records,
            }),
            EnvelopeVerdict::NoData => Ok(Page {
                records: Vec::new(),
                total_records: page.total_records,
            }),
            EnvelopeVerdict::Error(msg) => Err(status_error(&place, msg)),
        }
    }
}

fn status_error(place: &str, message: Option<String>) -> CssmError {
    let detail = match message.as_deref().map(str::trim) {
        Some(m) if !m.is_empty() => {
            let short: String = m.chars().take(200).collect();
            format!("it answered status ERROR: {short}")
        }
        _ => "it answered status ERROR".to_string(),
    };
    CssmError::BadData {
        place: place.to_string(),
        detail,
    }
}

/// Reads a JSON answer, saying what was wrong with it when it cannot be read.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], place: &str) -> Result<T, CssmError> {
    let bad = |detail: String| CssmError::BadData {
        place: place.to_string(),
        detail,
    };
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(bad("the answer was empty".into()));
    }
    if trimmed.starts_with('<') {
        return Err(bad("it sent an HTML page instead of JSON".into()));
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "the answer is not valid JSON"
        } else {
            "the answer has an unexpected shape"
        };
        bad(format!("{what} (line {} column {})", e.line(), e.column()))
    })
}

/// A URL fit for messages: no user name, password, query or fragment.
pub fn scrub_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_with_credentials_is_refused_without_echoing_them() {
        let url = Url::parse("https://user:hunter2@swapi.example").unwrap();
        let err = CssmClient::new(&url, FetchSettings::default(), Arc::new(Semaphore::new(1)))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("credentials"), "{err}");
    }

    #[test]
    fn the_api_root_is_appended_to_the_base_and_its_path_prefix() {
        let inflight = Arc::new(Semaphore::new(1));
        let c = CssmClient::new(
            &Url::parse("http://127.0.0.1:9/cssm/").unwrap(),
            FetchSettings::default(),
            inflight.clone(),
        )
        .unwrap();
        let url = c
            .url(&["v1", "accounts", "a b/c", "licenses"], "x")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/cssm/services/api/smart-accounts-and-licensing/v1/accounts/a%20b%2Fc/licenses"
        );
    }

    #[test]
    fn html_and_garbage_are_bad_data_that_say_where() {
        let err =
            parse_json::<LicensePage>(b"<!DOCTYPE html><html>", "the licenses of account `a`")
                .unwrap_err();
        assert!(matches!(err, CssmError::BadData { .. }));
        let text = err.to_string();
        assert!(
            text.contains("HTML") && text.contains("account `a`"),
            "{text}"
        );
        let err = parse_json::<LicensePage>(b"{\"licenses\": [", "p").unwrap_err();
        assert!(err.to_string().contains("not valid JSON (line 1"), "{err}");
    }
}
