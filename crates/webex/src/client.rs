//! [`WebexClient`]: one HTTP exchange with retries, error mapping and `Link` pagination.
//!
//! The endpoint modules (`messages`, `people`, …) add typed calls on top of the three crate-private
//! primitives here: [`WebexClient::call`] (one request, retried), [`WebexClient::call_json`]
//! (plus decoding) and [`WebexClient::list_all`] (every page of a list).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, CONTENT_TYPE, LINK, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::error::{classify, ApiFailure, WebexError};
use crate::messages::FileUpload;
use crate::retry::{backoff_delay, parse_seconds, retry_after_delay, Sleeper, TokioSleeper};

/// The production Webex API base URL (it includes `/v1`).
pub const DEFAULT_BASE_URL: &str = "https://webexapis.com/v1";

/// A list never has more pages than this; a server that says otherwise is looping.
const MAX_PAGES: usize = 1000;

/// How much of a non-JSON error body is kept as the failure's message.
const BODY_EXCERPT_CHARS: usize = 200;

/// Timeouts, retry budget and the sleeper used between attempts.
#[derive(Clone)]
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
    /// What waits between attempts (tests inject a [`crate::RecordingSleeper`]).
    pub sleeper: Arc<dyn Sleeper>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            default_retry_after: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("default_retry_after", &self.default_retry_after)
            .field("max_retry_after", &self.max_retry_after)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .finish_non_exhaustive()
    }
}

/// A Webex REST client acting as one bot. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct WebexClient {
    inner: Arc<Inner>,
}

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

/// What a request sends. Kept as data so every attempt can rebuild the request.
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Multipart {
        fields: Vec<(&'static str, String)>,
        file: FileUpload,
    },
}

impl Body {
    pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<Self, WebexError> {
        serde_json::to_vec(value)
            .map(|v| Body::Json(Bytes::from(v)))
            .map_err(|e| WebexError::InvalidInput(format!("cannot encode the request: {e}")))
    }
}

/// A 2xx answer.
pub(crate) struct Success {
    pub(crate) endpoint: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Success {
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, WebexError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| self.bad_data(format!("cannot read the JSON body: {e}")))
    }

    /// A [`WebexError::BadData`] about this answer, logged once with its trackingId.
    pub(crate) fn bad_data(&self, reason: String) -> WebexError {
        let error = WebexError::BadData {
            endpoint: self.endpoint.clone(),
            reason,
            tracking_id: header_tracking_id(&self.headers),
        };
        tracing::warn!(
            endpoint = %self.endpoint,
            tracking_id = error.tracking_id().unwrap_or("-"),
            error = %error,
            "Webex answer rejected"
        );
        error
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
        })
    }

    /// The API base URL this client talks to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
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
                    self.inner.settings.sleeper.sleep(wait).await;
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
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport(e),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return transport(e),
        };
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

    /// Every item of a paged list: `GET` the first page with `query`, then follow
    /// `Link: <…>; rel="next"` until there is none.
    ///
    /// Webex's next links can drop query parameters (webex-api.md "Limits, pagination"), so
    /// each original parameter the link lacks is added back. A next link to another scheme,
    /// host or port is refused rather than sent the token.
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<T>, WebexError> {
        let mut url = self.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            seen.insert(url.to_string());
            let page = self.call(Method::GET, url.clone(), &Body::Empty).await?;
            let list: ItemList<T> = page.decode()?;
            items.extend(list.items);
            let links = page
                .headers
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok());
            let Some(link) = next_link(links) else {
                return Ok(items);
            };
            let next = rebuild_next(&url, &link, query).map_err(|r| page.bad_data(r))?;
            if next.origin() != self.inner.base.origin() {
                return Err(page.bad_data(format!(
                    "the next-page link points to another server ({})",
                    next.origin().ascii_serialization()
                )));
            }
            if seen.contains(next.as_str()) {
                return Err(page.bad_data("the next-page link repeats an earlier page".into()));
            }
            url = next;
        }
        Err(WebexError::BadData {
            endpoint: format!("GET {}", url.path()),
            reason: format!("more than {MAX_PAGES} pages"),
            tracking_id: None,
        })
    }
}

/// A list page. `items` is required: a page without it is [`WebexError::BadData`], not an
/// empty list, so a broken answer never reads as "nothing registered".
#[derive(Deserialize)]
struct ItemList<T> {
    items: Vec<T>,
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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
    tracking_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorItem {
    description: Option<String>,
}

/// The failure described by an error answer, and every `errors[].description` in it.
fn read_failure(
    endpoint: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> (ApiFailure, Vec<String>) {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (message, descriptions, body_tracking) = match parsed {
        Some(b) => {
            let descriptions: Vec<String> =
                b.errors.into_iter().filter_map(|e| e.description).collect();
            let message = b
                .message
                .filter(|m| !m.trim().is_empty())
                .or_else(|| descriptions.first().cloned());
            (message, descriptions, b.tracking_id)
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let excerpt =
                (!text.is_empty()).then(|| text.chars().take(BODY_EXCERPT_CHARS).collect());
            (excerpt, Vec::new(), None)
        }
    };
    let failure = ApiFailure {
        endpoint: endpoint.to_string(),
        status: status.as_u16(),
        message,
        tracking_id: body_tracking
            .filter(|t| !t.is_empty())
            .or_else(|| header_tracking_id(headers)),
    };
    (failure, descriptions)
}

/// The `TrackingID` header (header names are case-insensitive, so `trackingid` matches too).
fn header_tracking_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("trackingid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// The target of the first `rel="next"` link in any of the `Link` header values (RFC 8288).
pub(crate) fn next_link<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    for value in values {
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('>') else {
                break;
            };
            let target = &after[..close];
            let tail = &after[close + 1..];
            // This link's parameters run until a comma that starts the next `<…>` link.
            let end = tail
                .match_indices(',')
                .map(|(i, _)| i)
                .find(|&i| tail[i + 1..].trim_start().starts_with('<'))
                .unwrap_or(tail.len());
            let is_next = tail[..end].split(';').any(|param| {
                param.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("rel")
                        && v.trim()
                            .trim_matches('"')
                            .split_whitespace()
                            .any(|r| r.eq_ignore_ascii_case("next"))
                })
            });
            if is_next {
                return Some(target.trim().to_string());
            }
            rest = &tail[end..];
        }
    }
    None
}

/// The next page's URL: `link` resolved against the current page, with every `original` query
/// parameter the link dropped added back.
pub(crate) fn rebuild_next(
    current: &Url,
    link: &str,
    original: &[(&str, String)],
) -> Result<Url, String> {
    let mut next = current
        .join(link)
        .map_err(|e| format!("the next-page link is not a URL: {e}"))?;
    let present: HashSet<String> = next.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let missing: Vec<(&str, &str)> = original
        .iter()
        .filter(|(k, _)| !present.contains(*k))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    if !missing.is_empty() {
        next.query_pairs_mut().extend_pairs(missing);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_several_and_in_any_case() {
        let header = r#"<https://webexapis.com/v1/memberships?cursor=a,b>; rel="prev", <https://webexapis.com/v1/memberships?cursor=c>; rel="next""#;
        assert_eq!(
            next_link([header].into_iter()).as_deref(),
            Some("https://webexapis.com/v1/memberships?cursor=c")
        );
        assert_eq!(
            next_link(["<https://x/v1/a?p=2>; REL=next"].into_iter()).as_deref(),
            Some("https://x/v1/a?p=2")
        );
        assert_eq!(
            next_link(
                [
                    "<https://x/a>; rel=\"first\"",
                    "<https://x/b>; rel=\"prev next\""
                ]
                .into_iter()
            )
            .as_deref(),
            Some("https://x/b")
        );
    }

    #[test]
    fn no_next_link_means_the_last_page() {
        assert_eq!(next_link(["<https://x/a>; rel=\"prev\""].into_iter()), None);
        assert_eq!(next_link(["garbage"].into_iter()), None);
        assert_eq!(next_link(["<unterminated; rel=next"].into_iter()), None);
        assert_eq!(next_link(std::iter::empty()), None);
    }

    #[test]
    fn a_next_link_that_dropped_parameters_gets_the_original_ones_back() {
        let current = Url::parse("https://webexapis.com/v1/memberships?roomId=R1&max=2").unwrap();
        let original = [("roomId", "R1".to_string()), ("max", "2".to_string())];
        let next = rebuild_next(
            &current,
            "https://webexapis.com/v1/memberships?cursor=abc",
            &original,
        )
        .unwrap();
        let pairs: Vec<(String, String)> = next.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("cursor".to_string(), "abc".to_string()),
                ("roomId".to_string(), "R1".to_string()),
                ("max".to_string(), "2".to_string()),
            ]
        );
    }

    #[test]
    fn a_next_link_that_kept_its_parameters_is_not_changed() {
        let current = Url::parse("https://webexapis.com/v1/memberships?roomId=R1").unwrap();
        let original = [("roomId", "R1".to_string())];
        let link = "https://webexapis.com/v1/memberships?roomId=R1&cursor=abc";
        let next = rebuild_next(&current, link, &original).unwrap();
        assert_eq!(next.as_str(), link);
    }

    #[test]
    fn a_relative_next_link_is_resolved_against_the_current_page() {
        let current = Url::parse("http://127.0.0.1:9/v1/webhooks?max=1").unwrap();
        let next = rebuild_next(&current, "/v1/webhooks?page=2", &[("max", "1".into())]).unwrap();
        assert_eq!(next.as_str(), "http://127.0.0.1:9/v1/webhooks?page=2&max=1");
    }

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

    #[test]
    fn an_error_body_gives_message_descriptions_and_tracking_id_and_the_header_is_a_fallback() {
        let mut headers = HeaderMap::new();
        headers.insert("TrackingID", "HDR_1".parse().unwrap());
        let body = br#"{"message":"","errors":[{"description":"roomId is invalid"}]}"#;
        let (f, d) = read_failure("GET /v1/x", StatusCode::BAD_REQUEST, &headers, body);
        assert_eq!(f.message.as_deref(), Some("roomId is invalid"));
        assert_eq!(f.tracking_id.as_deref(), Some("HDR_1"));
        assert_eq!(d, vec!["roomId is invalid".to_string()]);

        let body = br#"{"message":"nope","trackingId":"BODY_1"}"#;
        let (f, _) = read_failure("GET /v1/x", StatusCode::FORBIDDEN, &headers, body);
        assert_eq!(f.message.as_deref(), Some("nope"));
        assert_eq!(f.tracking_id.as_deref(), Some("BODY_1"));

        let (f, _) = read_failure(
            "GET /v1/x",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>bad gateway</html>",
        );
        assert_eq!(f.message.as_deref(), Some("<html>bad gateway</html>"));
        assert_eq!(f.tracking_id, None);
    }
}
