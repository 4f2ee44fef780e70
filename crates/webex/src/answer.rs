//! What an answer says: [`Success`] (a 2xx answer, decoded on demand) and [`read_failure`]
//! (the [`ApiFailure`] of an error answer, with Webex's descriptions and `trackingId`).

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{ApiFailure, WebexError};

/// How much of a non-JSON error body is kept as the failure's message.
const BODY_EXCERPT_CHARS: usize = 200;

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
pub(crate) fn read_failure(
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

#[cfg(test)]
mod tests {
    use super::*;

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
