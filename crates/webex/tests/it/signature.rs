//! `X-Spark-Signature` checks, against a naive HMAC-SHA1 written out from RFC 2104 here.

use sha1::{Digest, Sha1};
use slbot_webex::{sign_body, verify_signature};

const SECRET: &[u8] = b"webhook-secret-with-enough-entropy";
const BODY: &[u8] =
    br#"{"id":"W1","resource":"messages","event":"created","data":{"id":"M1","roomId":"R1"}}"#;

/// HMAC-SHA1 straight from RFC 2104: H((K ^ opad) || H((K ^ ipad) || m)), 64-byte blocks.
fn naive_hmac_sha1_hex(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_key: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_key: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha1::digest([inner_key.as_slice(), message].concat());
    let outer = Sha1::digest([outer_key.as_slice(), inner.as_slice()].concat());
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_body_signed_with_the_secret_is_accepted() {
    let header = naive_hmac_sha1_hex(SECRET, BODY);
    assert!(verify_signature(SECRET, BODY, Some(&header)));
}

#[test]
fn sign_body_produces_the_lowercase_hex_webex_sends() {
    assert_eq!(sign_body(SECRET, BODY), naive_hmac_sha1_hex(SECRET, BODY));
    let long_key = [7u8; 100];
    assert_eq!(
        sign_body(&long_key, BODY),
        naive_hmac_sha1_hex(&long_key, BODY)
    );
}

#[test]
fn an_upper_case_signature_is_accepted() {
    let header = naive_hmac_sha1_hex(SECRET, BODY).to_ascii_uppercase();
    assert!(verify_signature(SECRET, BODY, Some(&header)));
}

#[test]
fn a_tampered_body_is_refused() {
    let header = naive_hmac_sha1_hex(SECRET, BODY);
    let mut tampered = BODY.to_vec();
    let last_digit = tampered.iter().rposition(|b| *b == b'1').unwrap();
    tampered[last_digit] = b'2';
    assert!(!verify_signature(SECRET, &tampered, Some(&header)));
}

#[test]
fn a_reserialised_body_is_refused() {
    // Frameworks that hash re-serialised JSON get this wrong: spacing changes the bytes.
    let header = naive_hmac_sha1_hex(SECRET, BODY);
    let value: serde_json::Value = serde_json::from_slice(BODY).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    assert!(!verify_signature(SECRET, &pretty, Some(&header)));
}

#[test]
fn a_missing_signature_is_refused() {
    assert!(!verify_signature(SECRET, BODY, None));
    assert!(!verify_signature(SECRET, BODY, Some("")));
}

#[test]
fn a_signature_made_with_another_secret_is_refused() {
    let header = naive_hmac_sha1_hex(b"another-secret", BODY);
    assert!(!verify_signature(SECRET, BODY, Some(&header)));
}
