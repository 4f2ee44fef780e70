//! The webhook signature: `X-Spark-Signature` = lowercase hex HMAC-SHA1 of the raw body bytes
//! under the webhook secret (webex-api.md "Webhooks").
//!
//! Verify the bytes exactly as they arrived, before parsing them: re-serialised JSON does not
//! hash the same.

use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The header Webex puts the signature in.
pub const SIGNATURE_HEADER: &str = "X-Spark-Signature";

/// True when `header` is the HMAC-SHA1 of `raw_body` under `secret`.
///
/// The comparison is constant-time (`Mac::verify_slice`). Upper-case hex and surrounding
/// whitespace are tolerated; a missing, empty or non-hex header is simply false.
pub fn verify_signature(secret: &[u8], raw_body: &[u8], header: Option<&str>) -> bool {
    let Some(header) = header else {
        return false;
    };
    let Ok(claimed) = hex::decode(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = HmacSha1::new_from_slice(secret) else {
        return false;
    };
    mac.update(raw_body);
    mac.verify_slice(&claimed).is_ok()
}

/// The `X-Spark-Signature` value Webex would send for `body` (lowercase hex): for the Webex
/// simulator and for tests.
pub fn sign_body(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never fails; the fallback keeps the function total.
    match HmacSha1::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 2202 test case 2: HMAC-SHA1(key "Jefe", "what do ya want for nothing?").
    const RFC2202_KEY: &[u8] = b"Jefe";
    const RFC2202_DATA: &[u8] = b"what do ya want for nothing?";
    const RFC2202_MAC: &str = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";

    #[test]
    fn signing_matches_the_published_rfc_2202_vector() {
        assert_eq!(sign_body(RFC2202_KEY, RFC2202_DATA), RFC2202_MAC);
    }

    #[test]
    fn the_published_vector_verifies_in_either_case() {
        assert!(verify_signature(
            RFC2202_KEY,
            RFC2202_DATA,
            Some(RFC2202_MAC)
        ));
        assert!(verify_signature(
            RFC2202_KEY,
            RFC2202_DATA,
            Some(&RFC2202_MAC.to_ascii_uppercase())
        ));
    }

    #[test]
    fn a_truncated_or_non_hex_header_is_refused() {
        assert!(!verify_signature(
            RFC2202_KEY,
            RFC2202_DATA,
            Some(&RFC2202_MAC[..38])
        ));
        assert!(!verify_signature(RFC2202_KEY, RFC2202_DATA, Some("zz")));
        assert!(!verify_signature(RFC2202_KEY, RFC2202_DATA, Some("")));
    }
}
