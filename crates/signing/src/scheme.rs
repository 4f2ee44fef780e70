//! What both schemes share: the version switch, header names, the `X-SLD-Date` format, the
//! nonce format, the limits (clock skew, replay window), constant-time comparison and the
//! query-string decoding both sides agree on.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use http::HeaderName;
use subtle::ConstantTimeEq;

/// The signature scheme a deployment uses on both sides (`SLBOT_SIGNING_VERSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// The 2019 wire format (HMAC-SHA512, body and status not covered, no nonce).
    V1,
    /// The hardened scheme (HMAC-SHA256, body, status and nonce covered). The default.
    #[default]
    V2,
}

impl Version {
    /// What an operator must know about choosing this version, or `None` when there is nothing
    /// to warn about. The bot and the backend print it at start and the bot's `/healthz` shows
    /// it, so v1 is never a silent choice.
    pub fn risk(self) -> Option<&'static str> {
        match self {
            Version::V1 => Some(
                "SLBOT_SIGNING_VERSION=v1 (the 2019 wire format) does not protect the CSSM \
                 access token: the response signature does not cover the body, nothing binds a \
                 response to its request, and a captured request can be replayed for 300 s. \
                 Use it only to talk to the 2019 code, over TLS, and move both sides to v2.",
            ),
            Version::V2 => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        })
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "v1" | "1" => Ok(Version::V1),
            "v2" | "2" => Ok(Version::V2),
            other => Err(format!(
                "unknown signing version `{}` (expected v1 or v2)",
                other.chars().take(16).collect::<String>()
            )),
        }
    }
}

/// `X-SLD-Date: YYYYMMDDTHHMMSSZ` (UTC).
pub const DATE: HeaderName = HeaderName::from_static("x-sld-date");
/// v2 only: 32 lowercase hex characters from a CSPRNG.
pub const NONCE: HeaderName = HeaderName::from_static("x-sld-nonce");
/// v2 only: `2`.
pub const SIGNATURE_VERSION: HeaderName = HeaderName::from_static("x-sld-signature-version");
/// The bot's request signature.
pub const BOT_SIGNATURE: HeaderName = HeaderName::from_static("x-sld-bot-signature");
/// The backend's response signature.
pub const BE_SIGNATURE: HeaderName = HeaderName::from_static("x-sld-be-signature");

/// The only content type of the token API (and line 5 of a v1 string to sign).
pub const JSON: &str = "application/json";

/// The service name in the request signing key (both versions).
pub const REQUEST_SERVICE: &str = "SLD-WebexTeams-Bot-Service";
/// The service name in the response signing key (both versions).
pub const RESPONSE_SERVICE: &str = "X-SLD-BE-Service";

/// A verifier rejects a date further than this from its own clock, in either direction.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// A v2 nonce accepted once is refused for this long (covers twice the skew, so a replay
/// outside the window already fails the date check).
pub const REPLAY_WINDOW_SECS: i64 = 600;

/// A well-formed `X-SLD-Date` value. Only constructed from a time or a checked string, so
/// `day()` can never slice out of bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SldDate {
    text: String,
    at: DateTime<Utc>,
}

impl SldDate {
    const FORMAT: &'static str = "%Y%m%dT%H%M%SZ";

    /// The header value for `at` (sub-second part dropped).
    pub fn from_time(at: DateTime<Utc>) -> Self {
        let text = at.format(Self::FORMAT).to_string();
        // Re-parse so `at` has the same (whole-second) precision as the text.
        let at = Self::parse_instant(&text).unwrap_or(at);
        Self { text, at }
    }

    /// Parses a received header value; `None` unless it is exactly `YYYYMMDDTHHMMSSZ`.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 16 || !text.is_ascii() {
            return None;
        }
        let at = Self::parse_instant(text)?;
        Some(Self {
            text: text.to_string(),
            at,
        })
    }

    fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
        NaiveDateTime::parse_from_str(text, Self::FORMAT)
            .ok()
            .map(|n| n.and_utc())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `YYYYMMDD` part that keys `kDate`.
    pub fn day(&self) -> &str {
        &self.text[..8]
    }

    pub fn instant(&self) -> DateTime<Utc> {
        self.at
    }

    /// Seconds between this date and `now` (positive: the date is in the past).
    pub fn age_secs(&self, now: DateTime<Utc>) -> i64 {
        (now - self.at).num_seconds()
    }
}

/// True when `nonce` is exactly 32 lowercase hex characters.
pub fn is_well_formed_nonce(nonce: &str) -> bool {
    nonce.len() == 32
        && nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True when `id` is a valid roomId/personId: 1–512 characters of `A–Z a–z 0–9 _ = -`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=512).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'=' | b'-'))
}

/// Compares two MACs (or any secrets) in constant time for equal lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Splits a raw query string into decoded `(name, value)` byte pairs, as both sides read it:
/// `&`-separated, the first `=` splits name from value, `+` means a space, `%XX` is decoded
/// (a `%` not followed by two hex digits stays literal). Empty pieces are skipped.
pub fn decode_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn decode_component(s: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_v1_carries_a_risk_and_it_says_the_token_is_unprotected_and_the_way_out() {
        assert_eq!(Version::V2.risk(), None);
        let risk = Version::V1.risk().unwrap();
        assert!(
            risk.contains("does not protect the CSSM access token"),
            "{risk}"
        );
        assert!(risk.contains("move both sides to v2"), "{risk}");
    }

    #[test]
    fn a_date_header_round_trips_and_its_day_keys_the_signature() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 5).unwrap();
        let d = SldDate::from_time(at);
        assert_eq!(d.as_str(), "20261128T120005Z");
        assert_eq!(d.day(), "20261128");
        assert_eq!(SldDate::parse("20261128T120005Z").unwrap().instant(), at);
    }

    #[test]
    fn dates_in_any_other_shape_are_refused() {
        for bad in [
            "",
            "2026-11-28T12:00:05Z",
            "20261128T120005",
            "20261328T120005Z",
            "20261128T120005Z ",
            "2026112８T12000Z",
        ] {
            assert!(SldDate::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_nonce_is_exactly_32_lowercase_hex_characters() {
        assert!(is_well_formed_nonce("0123456789abcdef0123456789abcdef"));
        assert!(!is_well_formed_nonce("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_well_formed_nonce("0123456789abcdef0123456789abcde"));
        assert!(!is_well_formed_nonce("0123456789abcdef0123456789abcdefa"));
        assert!(!is_well_formed_nonce("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn ids_allow_only_the_webex_alphabet_and_at_most_512_characters() {
        assert!(is_valid_id("Y2lzY29zcGFyazovL3VzL1BFT1BMRS94eXo"));
        assert!(is_valid_id("a_b=c-d"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id("é"));
        assert!(is_valid_id(&"a".repeat(512)));
        assert!(!is_valid_id(&"a".repeat(513)));
    }

    #[test]
    fn query_decoding_handles_escapes_plus_and_stray_percent_signs() {
        let got = decode_query("b=a%20b%2Fc&a=P%3D1%26x&c=x+y&d=100%&e");
        let want: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"b".to_vec(), b"a b/c".to_vec()),
            (b"a".to_vec(), b"P=1&x".to_vec()),
            (b"c".to_vec(), b"x y".to_vec()),
            (b"d".to_vec(), b"100%".to_vec()),
            (b"e".to_vec(), b"".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn versions_parse_from_the_setting() {
        assert_eq!("v1".parse::<Version>().unwrap(), Version::V1);
        assert_eq!("v2".parse::<Version>().unwrap(), Version::V2);
        assert!("v3".parse::<Version>().is_err());
        assert_eq!(Version::default(), Version::V2);
    }
}
