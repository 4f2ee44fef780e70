//! v2: the project's hardened scheme (signing.md "v2"). HMAC-SHA256 and SHA-256, lowercase
//! hex. The request covers method, path, canonical query, body hash, date and nonce; the
//! response covers status, the request's nonce, body hash and date.

use hmac::{Hmac, Mac};
use percent_encoding::{percent_encode, AsciiSet, NON_ALPHANUMERIC};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::scheme::{decode_query, SldDate, REQUEST_SERVICE, RESPONSE_SERVICE};

type HmacSha256 = Hmac<Sha256>;

/// Every byte except `A–Z a–z 0–9 - . _ ~` is encoded (as upper-case `%XX`).
pub const ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn signing_key(secret: &SecretString, date: &SldDate, service: &str) -> Vec<u8> {
    let mut date_key = b"SLD2".to_vec();
    date_key.extend_from_slice(secret.expose_secret().as_bytes());
    let k_date = hmac_sha256(&date_key, date.day().as_bytes());
    hmac_sha256(&k_date, service.as_bytes())
}

/// Percent-encodes one query name or value the v2 way.
pub fn encode(bytes: &[u8]) -> String {
    percent_encode(bytes, ENCODE_SET).to_string()
}

/// The canonical query of decoded `(name, value)` pairs: each encoded, sorted by encoded name
/// then encoded value (byte order), joined `name=value` with `&`.
pub fn canonical_query<N: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(N, V)]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (encode(n.as_ref()), encode(v.as_ref())))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical query of a raw query string as received (see [`decode_query`]).
pub fn canonical_query_of_raw(raw: &str) -> String {
    canonical_query(&decode_query(raw))
}

/// The request string to sign: seven lines joined by `\n`.
pub fn request_string_to_sign(
    method: &str,
    path: &str,
    canonical_query: &str,
    body: &[u8],
    date: &SldDate,
    nonce: &str,
) -> String {
    [
        "SLD2-HMAC-SHA256",
        method,
        path,
        canonical_query,
        &hex::encode(Sha256::digest(body)),
        date.as_str(),
        nonce,
    ]
    .join("\n")
}

/// The bot's request signature.
pub fn request_signature(
    secret: &SecretString,
    method: &str,
    path: &str,
    canonical_query: &str,
    body: &[u8],
    date: &SldDate,
    nonce: &str,
) -> String {
    let key = signing_key(secret, date, REQUEST_SERVICE);
    let text = request_string_to_sign(method, path, canonical_query, body, date, nonce);
    hex::encode(hmac_sha256(&key, text.as_bytes()))
}

/// The response string to sign: five lines joined by `\n`. `request_nonce` is the empty
/// string when the request had none or a malformed one.
pub fn response_string_to_sign(
    status: u16,
    request_nonce: &str,
    body: &[u8],
    date: &SldDate,
) -> String {
    [
        "SLD2-HMAC-SHA256-RESPONSE",
        &format!("{status:03}"),
        request_nonce,
        &hex::encode(Sha256::digest(body)),
        date.as_str(),
    ]
    .join("\n")
}

/// The backend's response signature.
pub fn response_signature(
    secret: &SecretString,
    status: u16,
    request_nonce: &str,
    body: &[u8],
    date: &SldDate,
) -> String {
    let key = signing_key(secret, date, RESPONSE_SERVICE);
    let text = response_string_to_sign(status, request_nonce, body, date);
    hex::encode(hmac_sha256(&key, text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // All vectors: signing.md, "v2".
    const PATH: &str = "/api/userinfo/access-token";
    const NONCE: &str = "0123456789abcdef0123456789abcdef";
    const ROOM: &str = "Y2lzY29zcGFyazovL3VzL1JPT00vYWJj";
    const PERSON: &str = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS94eXo";

    fn secret() -> SecretString {
        SecretString::from("s3cr3t-shared-key".to_string())
    }

    fn date(s: &str) -> SldDate {
        SldDate::parse(s).unwrap()
    }

    #[test]
    fn the_canonical_query_of_plain_ids_sorts_person_before_room() {
        assert_eq!(
            canonical_query(&[("roomId", ROOM), ("personId", PERSON)]),
            format!("personId={PERSON}&roomId={ROOM}")
        );
    }

    #[test]
    fn the_canonical_query_encodes_spaces_slashes_equals_and_ampersands() {
        assert_eq!(
            canonical_query(&[("roomId", "a b/c"), ("personId", "P=1&x")]),
            "personId=P%3D1%26x&roomId=a%20b%2Fc"
        );
    }

    #[test]
    fn the_canonical_query_of_a_raw_query_decodes_before_it_encodes() {
        assert_eq!(
            canonical_query_of_raw("roomId=a+b%2fc&personId=P%3d1%26x"),
            "personId=P%3D1%26x&roomId=a%20b%2Fc"
        );
    }

    #[test]
    fn equal_names_sort_by_value_and_unreserved_bytes_stay_plain() {
        assert_eq!(
            canonical_query(&[("a", "z"), ("a", "b"), ("A", "~._-")]),
            "A=~._-&a=b&a=z"
        );
    }

    #[test]
    fn the_first_request_vector_matches() {
        let q = canonical_query(&[("roomId", ROOM), ("personId", PERSON)]);
        assert_eq!(
            request_signature(
                &secret(),
                "GET",
                PATH,
                &q,
                b"",
                &date("20261128T120000Z"),
                NONCE
            ),
            "6430653a217f7bb8b983abac9ee2080830b43634a3b93b204c413f6432e94018"
        );
    }

    #[test]
    fn the_second_request_vector_matches() {
        let q = canonical_query(&[("roomId", "a b/c"), ("personId", "P=1&x")]);
        assert_eq!(
            request_signature(
                &secret(),
                "GET",
                PATH,
                &q,
                b"",
                &date("20261128T120000Z"),
                NONCE
            ),
            "1191586c9c19827d74bef8c4c84bc34df2275c3a6ecaf7e3fd7ea4e1b2ea90c6"
        );
    }

    #[test]
    fn the_200_response_vector_matches() {
        let body = br#"{"access_token":"tok-123","expires_at":"2026-11-28T13:00:00Z"}"#;
        assert_eq!(
            response_signature(&secret(), 200, NONCE, body, &date("20261128T120001Z")),
            "7549ce69709a2bd18cb29cd694b698df4263a692d112ce303e05f1c22121b2a9"
        );
    }

    #[test]
    fn the_404_response_vector_matches() {
        assert_eq!(
            response_signature(&secret(), 404, NONCE, b"", &date("20261128T120001Z")),
            "3024e0e7ebb35fc9cdc17c9b74382e2409d82e4d771a068cb9ca455e00dbdad0"
        );
    }
}
