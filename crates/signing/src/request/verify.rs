//! Verification: the backend's check of a request (with the v2 replay window) and the bot's
//! check of a response: version, headers, date within 300 s, signature in constant time.

use chrono::{DateTime, Utc};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, StatusCode};
use secrecy::SecretString;

use super::{v1_url, IncomingRequest, Rejection, VerifiedRequest};
use crate::nonce::NonceStore;
use crate::scheme::{
    constant_time_eq, is_well_formed_nonce, SldDate, Version, BE_SIGNATURE, BOT_SIGNATURE, DATE,
    MAX_CLOCK_SKEW_SECS, NONCE, REQUEST_SERVICE, RESPONSE_SERVICE, SIGNATURE_VERSION,
};
use crate::{v1, v2};

/// One header as text: missing, repeated or non-ASCII values are rejections.
fn header<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
    label: &'static str,
) -> Result<&'h str, Rejection> {
    let mut values = headers.get_all(name).iter();
    let first = values.next().ok_or(Rejection::MissingHeader(label))?;
    if values.next().is_some() {
        return Err(Rejection::MalformedHeader(label));
    }
    first
        .to_str()
        .map_err(|_| Rejection::MalformedHeader(label))
}

fn fresh_date(headers: &HeaderMap, now: DateTime<Utc>) -> Result<SldDate, Rejection> {
    let raw = header(headers, &DATE, "X-SLD-Date")?;
    let date = SldDate::parse(raw).ok_or(Rejection::MalformedHeader("X-SLD-Date"))?;
    let skew = date.age_secs(now);
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(Rejection::StaleDate { skew_secs: skew });
    }
    Ok(date)
}

/// The version header must say `2` in v2; in v1 it must be absent (or `1`).
fn check_version(version: Version, headers: &HeaderMap) -> Result<(), Rejection> {
    let got = match headers.get(SIGNATURE_VERSION) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| Rejection::MalformedHeader("X-SLD-Signature-Version"))?,
        ),
    };
    let ok = match version {
        Version::V1 => matches!(got, None | Some("1")),
        Version::V2 => got == Some("2"),
    };
    if ok {
        Ok(())
    } else {
        Err(Rejection::WrongVersion {
            expected: version,
            got: match got {
                None => "nothing (a v1 message)".to_string(),
                Some(g) => format!("`{}`", g.chars().take(8).collect::<String>()),
            },
        })
    }
}

fn check_mac(expected_hex: &str, received: &str) -> Result<(), Rejection> {
    if constant_time_eq(expected_hex.as_bytes(), received.as_bytes()) {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The backend's check of a request: version, headers, date within 300 s, (v2) nonce format,
/// signature in constant time, then (v2) the replay window. The nonce is recorded only once
/// the signature is good, so unsigned traffic cannot fill the window. `public_url` is
/// `SLBOT_BACKEND_PUBLIC_URL` (v1 signs the full URL).
pub async fn verify_request(
    version: Version,
    secret: &SecretString,
    public_url: &str,
    request: &IncomingRequest<'_>,
    now: DateTime<Utc>,
    nonces: &dyn NonceStore,
) -> Result<VerifiedRequest, Rejection> {
    let headers = request.headers;
    check_version(version, headers)?;
    match version {
        Version::V1 => {
            let date = fresh_date(headers, now)?;
            let content_type = header(headers, &CONTENT_TYPE, "Content-Type")?;
            let received = header(headers, &BOT_SIGNATURE, "X-SLD-BOT-Signature")?;
            let url = v1_url(public_url, request.path, request.raw_query);
            let expected = v1::signature(
                secret,
                request.method,
                &url,
                &date,
                content_type,
                REQUEST_SERVICE,
            );
            check_mac(&expected, received)?;
            Ok(VerifiedRequest { nonce: None })
        }
        Version::V2 => {
            let date = fresh_date(headers, now)?;
            let nonce = header(headers, &NONCE, "X-SLD-Nonce")?;
            if !is_well_formed_nonce(nonce) {
                return Err(Rejection::MalformedNonce);
            }
            let received = header(headers, &BOT_SIGNATURE, "X-SLD-BOT-Signature")?;
            let query = v2::canonical_query_of_raw(request.raw_query.unwrap_or(""));
            let expected = v2::request_signature(
                secret,
                request.method,
                request.path,
                &query,
                request.body,
                &date,
                nonce,
            );
            check_mac(&expected, received)?;
            if !nonces.check_and_record(nonce, now).await? {
                return Err(Rejection::ReplayedNonce);
            }
            Ok(VerifiedRequest {
                nonce: Some(nonce.to_string()),
            })
        }
    }
}

/// The request's nonce if it is well formed (what a v2 response is bound to, even when the
/// request itself was refused); `None` otherwise.
pub fn request_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get(NONCE)
        .and_then(|v| v.to_str().ok())
        .filter(|n| is_well_formed_nonce(n))
        .map(str::to_string)
}

/// The bot's check of a response, before it reads the body: version, date within 300 s,
/// signature in constant time (v2: over status, the request's nonce and the body).
pub fn verify_response(
    version: Version,
    secret: &SecretString,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    request_nonce: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    check_version(version, headers)?;
    let date = fresh_date(headers, now)?;
    let received = header(headers, &BE_SIGNATURE, "X-SLD-BE-Signature")?;
    let expected = match version {
        Version::V1 => {
            let content_type = header(headers, &CONTENT_TYPE, "Content-Type")?;
            v1::signature(
                secret,
                "Response",
                "",
                &date,
                content_type,
                RESPONSE_SERVICE,
            )
        }
        Version::V2 => v2::response_signature(
            secret,
            status.as_u16(),
            request_nonce.unwrap_or(""),
            body,
            &date,
        ),
    };
    check_mac(&expected, received)
}
