//! [`WebexClient`]: one HTTP exchange with retries and error mapping.
//!
//! The endpoint modules (`messages`, `people`, …) add typed calls on top of the three crate-private
//! primitives: [`WebexClient::call`] (one request, retried) and [`WebexClient::call_json`]
//! (plus decoding) here, and [`WebexClient::list_all`] (every page of a list) in `paging`.
//! What a request sends is in `body`; how an answer is read is in `answer`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::answer::{read_failure, Success};
use crate::body::Body;
use crate::error::{classify, WebexError};
use slbot_base::{Clock, SystemClock};

use crate::retry::{backoff_delay, parse_seconds, retry_after_delay};

/// The production Webex API base URL (it includes `/v1`).
pub const DEFAULT_BASE_URL: &str = "https://webexapis.com/v1";

/// Timeouts and retry budget (the waits between attempts come from the client's clock,
/// [`WebexClient::with_clock`]).
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Whole-request timeout (connect, send, read the answer).
    pub timeout: Duration,
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait after a 429/423 whose `Retry-After` is missing or malformed.
    pub default_retry_after: Duration,
    /// Longest wait any `Retry-After` can impose.
    pub max_retry_after: Duration,
    /// First wait after a 5xx or a connection failure; doubled on each further failure.
    pub backoff_base: Duration,
    /// Longest 5xx backoff wait.
    pub backoff_max: Duration,
    /// Largest answer body read (success or error); a larger one fails the call with
    /// [`WebexError::BadData`] instead of filling memory.
    pub max_body_bytes: usize,
}

/// Webex answers are JSON of at most a few hundred KB (a page of 1,000 memberships); 8 MiB
/// leaves room for any real one.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            default_retry_after: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// A Webex REST client acting as one bot. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct WebexClient {
    inner: Arc<Inner>,
    /// What waits between attempts (tests inject a `slbot_base::ManualClock`).
    clock: Arc<dyn Clock>,
    /// Told of every HTTP attempt (metrics).
    observer: Option<CallObserver>,
}

/// Told of each HTTP attempt: its status (`None`: no answer) and how long it took to answer.
pub type CallObserver = Arc<dyn Fn(Option<u16>, std::time::Duration) + Send + Sync>;

struct Inner {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    settings: ClientSettings,
}

impl fmt::Debug for WebexClient {
    // The token is deliberately absent, not even as "[REDACTED]" noise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebexClient")
            .field("base_url", &self.inner.base.as_str())
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Success),
    /// Worth another attempt after `wait`, unless the budget is spent; then `error` stands.
    Retry {
        wait: Duration,
        error: WebexError,
    },
    Fail(WebexError),
}

impl WebexClient {
    /// A client for the API at `base_url` (with `/v1`, e.g. [`DEFAULT_BASE_URL`] or a simulator's
    /// `http://127.0.0.1:PORT/v1`), acting with the bot `token`.
    pub fn new(
        base_url: &str,
        token: SecretString,
        settings: ClientSettings,
    ) -> Result<Self, WebexError> {
        let base = parse_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("slbot/", env!("CARGO_PKG_VERSION")))
            // Webex does not redirect API calls; following one could hand the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                WebexError::InvalidInput(format!("cannot build the HTTP client: {}", chain(&e)))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                token,
                settings,
            }),
            clock: Arc::new(SystemClock),
            observer: None,
        })
    }

    /// The same client waiting between attempts with `clock` instead of tokio's timers.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same client telling `observer` of every HTTP attempt (status and latency).
    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The API base URL this client talks to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The bot token, for the one line that puts it in a websocket authorization message.
    pub(crate) fn token(&self) -> &SecretString {
        &self.inner.token
    }

    /// The whole-request timeout, also the limit on opening a websocket.
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.settings.timeout
    }

    /// The base URL with `segments` appended, each percent-encoded as one path segment (so an
    /// id can never add path components or a query).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            // `parse_base_url` refused cannot-be-a-base URLs, so this branch always runs.
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// One request, retried on 429/423 (honouring `Retry-After`), on 5xx (backoff) and on
    /// connection failures, until `max_attempts`.
    ///
    /// 5xx answers are retried for every method, as Webex asks; a timeout after the request was
    /// sent is retried only for idempotent methods, so a slow `POST /messages` is not doubled.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: Url,
        body: &Body,
    ) -> Result<Success, WebexError> {
        let endpoint = format!("{} {}", method, url.path());
        let max_attempts = self.inner.settings.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(&method, &url, body, &endpoint, attempt).await;
            match outcome {
                Attempt::Done(success) => return Ok(success),
                Attempt::Retry { wait, error } if attempt < max_attempts => {
                    tracing::info!(
                        endpoint = %endpoint,
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        tracking_id = error.tracking_id().unwrap_or("-"),
                        error = %error,
                        "Webex call will be retried"
                    );
                    self.clock.sleep(wait).await;
                    attempt += 1;
                }
                Attempt::Retry { error, .. } | Attempt::Fail(error) => {
                    tracing::warn!(
                        endpoint = %endpoint,
                        attempts = attempt,
                        status = error.status().unwrap_or(0),
                        tracking_id = error.tracking_id().unwrap_or("-"),
                        error = %error,
                        "Webex call failed"
                    );
                    return Err(error);
                }
            }
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
        endpoint: &str,
        attempt: u32,
    ) -> Attempt {
        let settings = &self.inner.settings;
        let request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(self.inner.token.expose_secret());
        let request = match body {
            Body::Empty => request,
            Body::Json(bytes) => request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Multipart { fields, file } => match file.form(fields) {
                Ok(form) => request.multipart(form),
                Err(error) => return Attempt::Fail(error),
            },
        };
        let transport = |e: reqwest::Error| {
            let error = WebexError::Transport {
                endpoint: endpoint.to_string(),
                attempts: attempt,
                reason: chain(&e),
            };
            let safe_to_repeat = e.is_connect() || is_idempotent(method);
            if safe_to_repeat {
                Attempt::Retry {
                    wait: backoff_delay(attempt, settings.backoff_base, settings.backoff_max),
                    error,
                }
            } else {
                Attempt::Fail(error)
            }
        };
        let started = std::time::Instant::now();
        let sent = request.send().await;
        if let Some(observe) = &self.observer {
            observe(
                sent.as_ref().ok().map(|r| r.status().as_u16()),
                started.elapsed(),
            );
        }
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return transport(e),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = bytes::BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > settings.max_body_bytes {
                        return Attempt::Fail(WebexError::BadData {
                            endpoint: endpoint.to_string(),
                            reason: format!(
                                "the answer (HTTP {}) is larger than {} bytes",
                                status.as_u16(),
                                settings.max_body_bytes
                            ),
                            tracking_id: headers
                                .get("trackingid")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string),
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return transport(e),
            }
        }
        let body = body.freeze();
        if status.is_success() {
            return Attempt::Done(Success {
                endpoint: endpoint.to_string(),
                headers,
                body,
            });
        }
        let (failure, descriptions) = read_failure(endpoint, status, &headers, &body);
        let retry_after = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
        match status {
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = retry_after_delay(
                    retry_after,
                    settings.default_retry_after,
                    settings.max_retry_after,
                );
                Attempt::Retry {
                    wait,
                    error: WebexError::RateLimited {
                        failure,
                        attempts: attempt,
                        retry_after: wait,
                    },
                }
            }
            StatusCode::LOCKED => Attempt::Retry {
                wait: retry_after_delay(
                    retry_after,
                    settings.default_retry_after,
                    settings.max_retry_after,
                ),
                error: WebexError::Unavailable {
                    failure,
                    attempts: attempt,
                },
            },
            s if s.is_server_error() => Attempt::Retry {
                // A 503 may say how long; otherwise back off exponentially.
                wait: parse_seconds(retry_after)
                    .map(|d| d.min(settings.max_retry_after))
                    .unwrap_or_else(|| {
                        backoff_delay(attempt, settings.backoff_base, settings.backoff_max)
                    }),
                error: WebexError::Unavailable {
                    failure,
                    attempts: attempt,
                },
            },
            _ => Attempt::Fail(classify(failure, &descriptions)),
        }
    }

    /// [`Self::call`] and decode the JSON answer.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &Body,
    ) -> Result<T, WebexError> {
        self.call(method, url, body).await?.decode()
    }
}

fn parse_base_url(raw: &str) -> Result<Url, WebexError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        WebexError::InvalidInput(format!("the Webex API URL {raw:?} is not a URL: {e}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(WebexError::InvalidInput(format!(
            "the Webex API URL {raw:?} must be an http(s) URL"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebexError::InvalidInput(
            "the Webex API URL must not carry credentials".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(WebexError::InvalidInput(format!(
            "the Webex API URL {raw:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// The error and its causes, without the URL (a URL could carry an e-mail in its query).
fn chain(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut current: Option<&dyn std::error::Error> = Some(e);
    let mut first = true;
    while let Some(err) = current {
        let piece = if first {
            // reqwest's own message names the URL; describe the kind instead.
            kind_of(e).to_string()
        } else {
            err.to_string()
        };
        if !text.ends_with(&piece) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&piece);
        }
        first = false;
        current = err.source();
    }
    text
}

fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "cannot read the answer"
    } else if e.is_builder() {
        "cannot build the request"
    } else {
        "request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_single_encoded_path_segments() {
        let c = WebexClient::new(
            "https://webexapis.com/v1/",
            SecretString::from("t"),
            ClientSettings::default(),
        )
        .unwrap();
        assert_eq!(
            c.url(&["messages", "a/b?c"]).as_str(),
            "https://webexapis.com/v1/messages/a%2Fb%3Fc"
        );
    }

    #[test]
    fn base_urls_that_are_not_http_or_carry_credentials_are_refused() {
        for bad in [
            "ftp://webexapis.com/v1",
            "not a url",
            "https://user:pw@webexapis.com/v1",
            "https://webexapis.com/v1?x=1",
        ] {
            let r = WebexClient::new(bad, SecretString::from("t"), ClientSettings::default());
            assert!(matches!(r, Err(WebexError::InvalidInput(_))), "{bad}");
        }
    }
}
