//! Signing: the headers the bot adds to a request and the backend adds to a response, in
//! either version.

use chrono::{DateTime, Utc};
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue, StatusCode};
use secrecy::SecretString;

use super::{v1_url, MalformedNonceSource, OutgoingRequest};
use crate::scheme::{
    is_well_formed_nonce, SldDate, Version, BE_SIGNATURE, BOT_SIGNATURE, DATE, JSON, NONCE,
    REQUEST_SERVICE, RESPONSE_SERVICE, SIGNATURE_VERSION,
};
use crate::{v1, v2};

fn visible_ascii(s: &str) -> HeaderValue {
    // Callers only pass hex, dates, "2" and the JSON media type.
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The headers the bot adds to a request. `base_url` is `SLBOT_BACKEND_URL` (v1 signs the
/// full URL); `nonce` is used by v2 only and must be 32 lowercase hex characters.
pub fn sign_request(
    version: Version,
    secret: &SecretString,
    base_url: &str,
    request: &OutgoingRequest<'_>,
    now: DateTime<Utc>,
    nonce: &str,
) -> Result<Vec<(HeaderName, HeaderValue)>, MalformedNonceSource> {
    let date = SldDate::from_time(now);
    let mut headers = vec![
        (DATE, visible_ascii(date.as_str())),
        (CONTENT_TYPE, HeaderValue::from_static(JSON)),
    ];
    match version {
        Version::V1 => {
            let url = v1_url(base_url, request.path, Some(request.query));
            let sig = v1::signature(secret, request.method, &url, &date, JSON, REQUEST_SERVICE);
            headers.push((BOT_SIGNATURE, visible_ascii(&sig)));
        }
        Version::V2 => {
            if !is_well_formed_nonce(nonce) {
                return Err(MalformedNonceSource);
            }
            let query = v2::canonical_query_of_raw(request.query);
            let sig = v2::request_signature(
                secret,
                request.method,
                request.path,
                &query,
                request.body,
                &date,
                nonce,
            );
            headers.push((NONCE, visible_ascii(nonce)));
            headers.push((SIGNATURE_VERSION, HeaderValue::from_static("2")));
            headers.push((BOT_SIGNATURE, visible_ascii(&sig)));
        }
    }
    Ok(headers)
}

/// The headers the backend adds to every response (all statuses): date, Content-Type, and
/// (v2) the version, plus the signature. `body` is the body exactly as sent.
pub fn sign_response(
    version: Version,
    secret: &SecretString,
    status: StatusCode,
    body: &[u8],
    request_nonce: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<(HeaderName, HeaderValue)> {
    let date = SldDate::from_time(now);
    let mut headers = vec![
        (DATE, visible_ascii(date.as_str())),
        (CONTENT_TYPE, HeaderValue::from_static(JSON)),
    ];
    match version {
        Version::V1 => {
            let sig = v1::signature(secret, "Response", "", &date, JSON, RESPONSE_SERVICE);
            headers.push((BE_SIGNATURE, visible_ascii(&sig)));
        }
        Version::V2 => {
            let nonce = request_nonce
                .filter(|n| is_well_formed_nonce(n))
                .unwrap_or("");
            let sig = v2::response_signature(secret, status.as_u16(), nonce, body, &date);
            headers.push((SIGNATURE_VERSION, HeaderValue::from_static("2")));
            headers.push((BE_SIGNATURE, visible_ascii(&sig)));
        }
    }
    headers
}
