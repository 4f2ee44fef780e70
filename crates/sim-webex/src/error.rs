//! Errors: [`ApiError`] is what an HTTP client of the simulator sees (mapped to a status and a
//! Webex-shaped body in exactly one place, its `IntoResponse`); [`SimError`] is what the
//! embedding program sees (binding, state files).

use std::path::PathBuf;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ids;

/// The response header carrying the tracking id (also in every error body).
pub const TRACKING_HEADER: &str = "TrackingID";

/// The exact sentence Webex answers when text or markdown is over the limit.
pub const TOO_LONG_MESSAGE: &str =
    "Message length limited to 7439 characters before encryption and 10000 characters after encryption.";

/// A request the simulator refuses, as Webex would.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("The request requires a valid access token set in the Authorization request header.")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("{TOO_LONG_MESSAGE}")]
    TooLong,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("The request is larger than the simulator accepts (files up to {limit} bytes).")]
    PayloadTooLarge { limit: usize },
    /// Injected by the fault settings; `retry_after` is sent verbatim (it may be malformed).
    #[error("Too Many Requests")]
    RateLimited { retry_after: String },
    /// Injected by the fault settings on file downloads.
    #[error("The file is being scanned for malware; try again later.")]
    Locked { retry_after: String },
    /// Injected by the fault settings.
    #[error("Service Unavailable")]
    Unavailable,
    #[error("The simulator failed unexpectedly.")]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::NotFound(format!("The requested {what} could not be found."))
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) | ApiError::TooLong => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Locked { .. } => StatusCode::LOCKED,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let tracking = ids::tracking_id();
        if let ApiError::Unexpected(e) = &self {
            tracing::error!(tracking_id = %tracking, error = ?e, "simulator failure");
        }
        let message = self.to_string();
        let body = json!({
            "message": message,
            "errors": [{"description": message}],
            "trackingId": tracking,
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&tracking) {
            headers.insert(TRACKING_HEADER, v);
        }
        if let ApiError::RateLimited { retry_after } | ApiError::Locked { retry_after } = &self {
            // A value that is not even a valid header (e.g. a newline) falls back to "1".
            let v = HeaderValue::from_str(retry_after).unwrap_or(HeaderValue::from_static("1"));
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// A failure of the simulator as a library (not of one HTTP request).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot read the simulator state file {path}: {reason}")]
    StateRead { path: PathBuf, reason: String },
    #[error("cannot write the simulator state file {path}: {reason}")]
    StateWrite { path: PathBuf, reason: String },
    #[error("invalid simulator setting: {0}")]
    Config(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
