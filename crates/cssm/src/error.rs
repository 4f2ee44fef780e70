//! Errors of the CSSM client: variants a user (or operator) can act on, plus `Unexpected`.
//!
//! No variant carries a token: requests put the token in a sensitive header only, URLs carry
//! no credentials, and transport errors are stored without their URL.

use std::fmt;
use std::time::Duration;

/// Why CSSM could not be used. `place` says which call failed, in words
/// ("the account list", "the licenses of account `acme.com` (offset 500)").
#[derive(Debug, thiserror::Error)]
pub enum CssmError {
    /// HTTP 401: the token expired or is invalid. The user should sign in again.
    #[error("CSSM did not accept the sign-in (401) for {place}; sign in again")]
    Unauthorized { place: String },
    /// HTTP 403: the API client or the user has no access.
    #[error("CSSM refused access (403) to {place}; the API client or the user lacks access")]
    Forbidden { place: String },
    /// HTTP 429 after every attempt, or a `Retry-After` longer than the client will wait.
    #[error("CSSM is rate-limiting requests (429) for {place}{}", wait_suffix(*.retry_after))]
    RateLimited {
        place: String,
        retry_after: Option<Duration>,
    },
    /// 5xx, time-outs or transport failures after every attempt, or the fetch deadline.
    #[error("CSSM is unavailable for {place}: {reason}")]
    Unavailable { place: String, reason: Unavailable },
    /// The answer could not be read: not JSON, HTML, the wrong shape, or `status: "ERROR"`.
    #[error("CSSM sent data that cannot be read for {place}: {detail}")]
    BadData { place: String, detail: String },
    /// Anything else (an unexpected HTTP status, a client that cannot be built).
    #[error("unexpected failure talking to CSSM for {place}: {source:#}")]
    Unexpected {
        place: String,
        #[source]
        source: anyhow::Error,
    },
}

/// Why CSSM counted as unavailable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// It answered with this 5xx status (after retries, where the status is retried).
    Status(u16),
    /// A request took longer than the per-request timeout.
    TimedOut,
    /// No answer at all (connection refused, reset, DNS, TLS); the text has no URL.
    Unreachable(String),
    /// The whole-fetch deadline passed; counts of what had arrived when it did.
    Deadline {
        seconds: u64,
        received: usize,
        total: Option<u64>,
    },
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Status(s) => write!(f, "it answered HTTP {s}"),
            Unavailable::TimedOut => f.write_str("it timed out"),
            Unavailable::Unreachable(why) => write!(f, "it could not be reached ({why})"),
            Unavailable::Deadline {
                seconds,
                received,
                total,
            } => {
                write!(f, "it did not finish within {seconds} s")?;
                match total {
                    Some(t) => write!(f, " ({received} of {t} records had arrived)"),
                    None if *received > 0 => write!(f, " ({received} records had arrived)"),
                    None => Ok(()),
                }
            }
        }
    }
}

fn wait_suffix(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (asked to wait {} s)", d.as_secs()),
        None => String::new(),
    }
}

/// The kind of a [`CssmError`], for callers that map errors to replies or exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthorized,
    Forbidden,
    RateLimited,
    Unavailable,
    BadData,
    Unexpected,
}

impl CssmError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CssmError::Unauthorized { .. } => ErrorKind::Unauthorized,
            CssmError::Forbidden { .. } => ErrorKind::Forbidden,
            CssmError::RateLimited { .. } => ErrorKind::RateLimited,
            CssmError::Unavailable { .. } => ErrorKind::Unavailable,
            CssmError::BadData { .. } => ErrorKind::BadData,
            CssmError::Unexpected { .. } => ErrorKind::Unexpected,
        }
    }

    /// Which call failed, in words.
    pub fn place(&self) -> &str {
        match self {
            CssmError::Unauthorized { place }
            | CssmError::Forbidden { place }
            | CssmError::RateLimited { place, .. }
            | CssmError::Unavailable { place, .. }
            | CssmError::BadData { place, .. }
            | CssmError::Unexpected { place, .. } => place,
        }
    }

    /// A short sentence for a user about one account ("CSSM timed out"), used as
    /// [`crate::MissingAccount::reason`]. The account itself is named beside it.
    pub fn reason(&self) -> String {
        match self {
            CssmError::Unauthorized { .. } => "CSSM did not accept the sign-in (401)".into(),
            CssmError::Forbidden { .. } => "CSSM refused access (403)".into(),
            CssmError::RateLimited { retry_after, .. } => {
                format!(
                    "CSSM is rate-limiting requests{}",
                    wait_suffix(*retry_after)
                )
            }
            CssmError::Unavailable { reason, .. } => match reason {
                Unavailable::Status(s) => format!("CSSM is unavailable (HTTP {s})"),
                Unavailable::TimedOut => "CSSM timed out".into(),
                Unavailable::Unreachable(_) => "CSSM could not be reached".into(),
                deadline @ Unavailable::Deadline { .. } => format!("CSSM timed out: {deadline}"),
            },
            CssmError::BadData { detail, .. } => format!("CSSM sent unreadable data ({detail})"),
            CssmError::Unexpected { source, .. } => format!("unexpected error ({source})"),
        }
    }
}
