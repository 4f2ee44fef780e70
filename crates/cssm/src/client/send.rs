//! One request, with retries: the per-fetch and process-wide in-flight permits, the
//! sensitive `Authorization` header, a capped body, `Retry-After` or full-jitter backoff, and
//! each HTTP status mapped to retry, give up, or a [`CssmError`].

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use url::Url;

use super::CssmClient;
use crate::error::{CssmError, Unavailable};

/// How one attempt ended when it did not succeed.
enum Failure {
    /// Do not retry.
    Final(CssmError),
    /// Retry after backoff, or after the server's `Retry-After` when it sent one.
    Retry(CssmError, Option<Duration>),
}

impl CssmClient {
    /// Sends a request until it succeeds, fails for good, or runs out of attempts.
    pub(super) async fn call(
        &self,
        permits: &Semaphore,
        token: &SecretString,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        place: &str,
    ) -> Result<Bytes, CssmError> {
        let attempts = self.settings.attempts.max(1);
        let mut attempt = 1;
        loop {
            let outcome = self
                .attempt(
                    permits,
                    token,
                    method.clone(),
                    url.clone(),
                    body.clone(),
                    place,
                )
                .await;
            let (error, retry_after) = match outcome {
                Ok(bytes) => return Ok(bytes),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(e, retry_after)) => (e, retry_after),
            };
            if attempt >= attempts {
                tracing::debug!(place, attempts, "giving up on a CSSM call");
                return Err(error);
            }
            let wait = match retry_after {
                Some(asked) if asked > self.settings.max_retry_after => {
                    return Err(match error {
                        CssmError::RateLimited { place, .. } => CssmError::RateLimited {
                            place,
                            retry_after: Some(asked),
                        },
                        other => other,
                    });
                }
                Some(asked) => asked,
                None => self.jitter.pick(self.settings.backoff_ceiling(attempt - 1)),
            };
            tracing::debug!(
                place,
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "retrying a CSSM call"
            );
            self.clock.sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        permits: &Semaphore,
        token: &SecretString,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        place: &str,
    ) -> Result<Bytes, Failure> {
        let closed = |_| {
            Failure::Final(CssmError::Unexpected {
                place: place.to_string(),
                source: anyhow::anyhow!("the request limiter was closed"),
            })
        };
        // Per-fetch permit first, so a fetch waiting on itself never holds a process-wide one.
        let _fetch_permit = permits.acquire().await.map_err(closed)?;
        let _process_permit = self.inflight.acquire().await.map_err(closed)?;

        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                // A token with control characters cannot be valid; say so without showing it.
                Failure::Final(CssmError::Unauthorized {
                    place: place.to_string(),
                })
            })?;
        auth.set_sensitive(true);
        let mut request = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, auth)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .timeout(self.settings.request_timeout);
        if let Some(body) = body {
            request = request.body(body);
        }
        let started = std::time::Instant::now();
        let sent = request.send().await;
        if let Some(observe) = &self.observer {
            observe(
                sent.as_ref().ok().map(|r| r.status().as_u16()),
                started.elapsed(),
            );
        }
        let mut response = sent.map_err(|e| Failure::Retry(transport_error(e, place), None))?;
        let status = response.status();
        if status.is_success() {
            let mut buffer = BytesMut::new();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        if buffer.len() + chunk.len() > self.settings.max_body_bytes {
                            return Err(Failure::Final(CssmError::BadData {
                                place: place.to_string(),
                                detail: format!(
                                    "the answer is larger than {} MB",
                                    self.settings.max_body_bytes / (1024 * 1024)
                                ),
                            }));
                        }
                        buffer.extend_from_slice(&chunk);
                    }
                    Ok(None) => return Ok(buffer.freeze()),
                    Err(e) => return Err(Failure::Retry(transport_error(e, place), None)),
                }
            }
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.clock.now()));
        let place = place.to_string();
        Err(match status {
            StatusCode::UNAUTHORIZED => Failure::Final(CssmError::Unauthorized { place }),
            StatusCode::FORBIDDEN => Failure::Final(CssmError::Forbidden { place }),
            StatusCode::TOO_MANY_REQUESTS => {
                Failure::Retry(CssmError::RateLimited { place, retry_after }, retry_after)
            }
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Failure::Retry(
                CssmError::Unavailable {
                    place,
                    reason: Unavailable::Status(status.as_u16()),
                },
                retry_after,
            ),
            s if s.is_server_error() => Failure::Final(CssmError::Unavailable {
                place,
                reason: Unavailable::Status(s.as_u16()),
            }),
            s => Failure::Final(CssmError::Unexpected {
                place,
                source: anyhow::anyhow!(
                    "CSSM answered HTTP {s}{}",
                    if s == StatusCode::NOT_FOUND {
                        " (is the CSSM URL right?)"
                    } else {
                        ""
                    }
                ),
            }),
        })
    }
}

/// `Retry-After` as delta-seconds or an HTTP date (relative to `now`); `None` when unreadable.
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// A transport failure in words, without the URL (which is harmless but noisy).
fn transport_error(error: reqwest::Error, place: &str) -> CssmError {
    if error.is_timeout() {
        return CssmError::Unavailable {
            place: place.to_string(),
            reason: Unavailable::TimedOut,
        };
    }
    let error = error.without_url();
    let mut words = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    CssmError::Unavailable {
        place: place.to_string(),
        reason: Unavailable::Unreachable(words),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:12 GMT", now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
