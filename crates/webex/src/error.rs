//! What can go wrong talking to Webex, in variants a caller can act on.
//!
//! Every variant that comes from an HTTP answer carries an [`ApiFailure`]: the endpoint
//! (method and path, never the query or the token), the status, Webex's `message` and the
//! `trackingId` Webex support asks for. Nothing here ever holds the bot token.

use std::fmt;
use std::time::Duration;

/// One refused or failed HTTP exchange with Webex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// `METHOD /path` of the request (no query string).
    pub endpoint: String,
    /// The HTTP status Webex answered with.
    pub status: u16,
    /// Webex's `message` (else the first `errors[].description`, else a short body excerpt).
    pub message: Option<String>,
    /// `trackingId` from the body, else the `TrackingID` response header.
    pub tracking_id: Option<String>,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered {}", self.endpoint, self.status)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &self.tracking_id {
            write!(f, " (trackingId {id})")?;
        }
        Ok(())
    }
}

/// A failed Webex call.
#[derive(Debug, thiserror::Error)]
pub enum WebexError {
    /// 401: the bot token is wrong, revoked or expired. Fix the configuration.
    #[error("Webex rejected the bot token: {0}")]
    Unauthorized(ApiFailure),
    /// 403: the bot may not do this (e.g. it is not in the space).
    #[error("Webex refused the request: {0}")]
    Forbidden(ApiFailure),
    /// 404: the message, person, space or webhook does not exist (or the bot cannot see it).
    #[error("not found in Webex: {0}")]
    NotFound(ApiFailure),
    /// 409: the thing already exists (e.g. a duplicate membership).
    #[error("already exists in Webex: {0}")]
    Conflict(ApiFailure),
    /// 400 "Message length limited to 7439 characters…": split the text and send again.
    #[error("the message is longer than Webex accepts: {0}")]
    TooLong(ApiFailure),
    /// Any other 4xx: the request is wrong and sending it again will not help.
    #[error("Webex rejected the request: {0}")]
    BadRequest(ApiFailure),
    /// 429 on every attempt: Webex asks us to slow down.
    #[error("Webex is rate limiting the bot after {attempts} attempts: {failure}")]
    RateLimited {
        failure: ApiFailure,
        attempts: u32,
        /// The wait Webex advised on its last answer (after defaulting and capping).
        retry_after: Duration,
    },
    /// 5xx (or 423 Locked) on every attempt: Webex is having trouble; not the caller's fault.
    #[error("Webex is unavailable after {attempts} attempts: {failure}")]
    Unavailable { failure: ApiFailure, attempts: u32 },
    /// The request never got an HTTP answer (connection refused, timeout, TLS, reset).
    #[error("cannot reach Webex for {endpoint} after {attempts} attempts: {reason}")]
    Transport {
        endpoint: String,
        attempts: u32,
        reason: String,
    },
    /// Webex answered 2xx with a body we cannot read, or a pagination link we will not follow.
    #[error("unexpected answer from Webex for {endpoint}: {reason}")]
    BadData {
        endpoint: String,
        reason: String,
        tracking_id: Option<String>,
    },
    /// A status no other variant covers (1xx, 3xx).
    #[error("unexpected status from Webex: {0}")]
    Unexpected(ApiFailure),
    /// The caller passed something we refuse to send (bad base URL, message without a
    /// destination, …).
    #[error("invalid Webex request: {0}")]
    InvalidInput(String),
}

impl WebexError {
    /// The HTTP status Webex answered with, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        self.failure().map(|f| f.status)
    }

    /// The `trackingId` to quote to Webex support, when Webex gave one.
    pub fn tracking_id(&self) -> Option<&str> {
        match self {
            Self::BadData { tracking_id, .. } => tracking_id.as_deref(),
            other => other.failure().and_then(|f| f.tracking_id.as_deref()),
        }
    }

    /// Webex's own explanation, when it gave one.
    pub fn message(&self) -> Option<&str> {
        self.failure().and_then(|f| f.message.as_deref())
    }

    /// True when the failure is on Webex's side or the network's (worth trying later), false
    /// when the request itself or the configuration is wrong.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable { .. } | Self::Transport { .. }
        )
    }

    fn failure(&self) -> Option<&ApiFailure> {
        match self {
            Self::Unauthorized(f)
            | Self::Forbidden(f)
            | Self::NotFound(f)
            | Self::Conflict(f)
            | Self::TooLong(f)
            | Self::BadRequest(f)
            | Self::Unexpected(f) => Some(f),
            Self::RateLimited { failure, .. } | Self::Unavailable { failure, .. } => Some(failure),
            Self::Transport { .. } | Self::BadData { .. } | Self::InvalidInput(_) => None,
        }
    }
}

/// The sentence Webex uses when text or markdown exceeds its limit (webex-api.md "Messages").
const TOO_LONG_MARKER: &str = "message length limited";

/// Maps a non-retryable error answer to its variant. `failure.status` decides, except that a
/// 400 whose message or error descriptions say "Message length limited" is [`WebexError::TooLong`].
pub(crate) fn classify(failure: ApiFailure, descriptions: &[String]) -> WebexError {
    match failure.status {
        400 if mentions_too_long(&failure, descriptions) => WebexError::TooLong(failure),
        401 => WebexError::Unauthorized(failure),
        403 => WebexError::Forbidden(failure),
        404 => WebexError::NotFound(failure),
        409 => WebexError::Conflict(failure),
        400..=499 => WebexError::BadRequest(failure),
        _ => WebexError::Unexpected(failure),
    }
}

fn mentions_too_long(failure: &ApiFailure, descriptions: &[String]) -> bool {
    failure
        .message
        .iter()
        .chain(descriptions)
        .any(|text| text.to_ascii_lowercase().contains(TOO_LONG_MARKER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, message: Option<&str>) -> ApiFailure {
        ApiFailure {
            endpoint: "POST /messages".into(),
            status,
            message: message.map(String::from),
            tracking_id: Some("ROUTER_1".into()),
        }
    }

    #[test]
    fn a_400_about_message_length_is_too_long_and_other_400s_are_bad_requests() {
        let long = "Message length limited to 7439 characters before encryption and 10000 characters after encryption.";
        assert!(matches!(
            classify(failure(400, Some(long)), &[]),
            WebexError::TooLong(_)
        ));
        assert!(matches!(
            classify(failure(400, None), &[long.to_string()]),
            WebexError::TooLong(_)
        ));
        assert!(matches!(
            classify(failure(400, Some("Unable to parse roomId")), &[]),
            WebexError::BadRequest(_)
        ));
    }

    #[test]
    fn statuses_map_to_the_variant_a_caller_acts_on() {
        assert!(matches!(
            classify(failure(401, None), &[]),
            WebexError::Unauthorized(_)
        ));
        assert!(matches!(
            classify(failure(403, None), &[]),
            WebexError::Forbidden(_)
        ));
        assert!(matches!(
            classify(failure(404, None), &[]),
            WebexError::NotFound(_)
        ));
        assert!(matches!(
            classify(failure(409, None), &[]),
            WebexError::Conflict(_)
        ));
        assert!(matches!(
            classify(failure(413, None), &[]),
            WebexError::BadRequest(_)
        ));
        assert!(matches!(
            classify(failure(302, None), &[]),
            WebexError::Unexpected(_)
        ));
    }

    #[test]
    fn the_display_names_the_endpoint_status_message_and_tracking_id() {
        let e = WebexError::NotFound(failure(
            404,
            Some("The requested resource could not be found."),
        ));
        assert_eq!(
            e.to_string(),
            "not found in Webex: POST /messages answered 404: The requested resource could not be found. (trackingId ROUTER_1)"
        );
        assert_eq!(e.tracking_id(), Some("ROUTER_1"));
        assert_eq!(e.status(), Some(404));
    }
}
