//! v1: the 2019 wire format (signing.md "v1"). HMAC-SHA512, lowercase hex.
//!
//! Kept byte-for-byte compatible with the 2019 Python code, weaknesses included: the body is
//! never covered (line 3 always hashes the two characters `{}`), nothing binds a response to
//! its request, and there is no nonce.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha512;

use crate::scheme::SldDate;

type HmacSha512 = Hmac<Sha512>;

fn hmac_sha512(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha512::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `kSigning = HMAC(HMAC("SLD" + secret, YYYYMMDD), service)`.
fn signing_key(secret: &SecretString, date: &SldDate, service: &str) -> Vec<u8> {
    let mut date_key = b"SLD".to_vec();
    date_key.extend_from_slice(secret.expose_secret().as_bytes());
    let k_date = hmac_sha512(&date_key, date.day().as_bytes());
    hmac_sha512(&k_date, service.as_bytes())
}

/// The six-line string to sign. `url` is the full request URL (the empty string for a
/// response); `content_type` the Content-Type value as sent.
pub fn string_to_sign(
    secret: &SecretString,
    method: &str,
    url: &str,
    date: &SldDate,
    content_type: &str,
) -> String {
    let body_hash = hex::encode(hmac_sha512(secret.expose_secret().as_bytes(), b"{}"));
    [
        method.to_string(),
        url.to_string(),
        body_hash,
        date.as_str().to_string(),
        format!("content-type:{content_type}"),
        format!("x-sld-date:{}", date.as_str()),
    ]
    .join("\n")
}

/// `hex(HMAC(kSigning, string_to_sign))`.
pub fn signature(
    secret: &SecretString,
    method: &str,
    url: &str,
    date: &SldDate,
    content_type: &str,
    service: &str,
) -> String {
    let key = signing_key(secret, date, service);
    let text = string_to_sign(secret, method, url, date, content_type);
    hex::encode(hmac_sha512(&key, text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::{JSON, REQUEST_SERVICE, RESPONSE_SERVICE};

    fn secret() -> SecretString {
        SecretString::from("s3cr3t-shared-key".to_string())
    }

    fn date(s: &str) -> SldDate {
        SldDate::parse(s).unwrap()
    }

    // Both vectors: signing.md, "v1", computed with the 2019 code.
    #[test]
    fn the_request_vector_of_the_2019_code_matches() {
        let url = "https://backend.example.com:10000/api/userinfo/access-token?roomId=Y2lzY29zcGFyazovL3VzL1JPT00vYWJj&personId=Y2lzY29zcGFyazovL3VzL1BFT1BMRS94eXo";
        assert_eq!(
            signature(&secret(), "GET", url, &date("20261128T120000Z"), JSON, REQUEST_SERVICE),
            "743dfadcdf5418c8a2b2bc1e71e0891d45e10e906d636e3463e191ee064a620bc4fb8f740def7d52005498d7ffd7c674963606c5116c1d4dd1beee4598c1f954"
        );
    }

    #[test]
    fn the_response_vector_of_the_2019_code_matches() {
        assert_eq!(
            signature(&secret(), "Response", "", &date("20261128T120005Z"), JSON, RESPONSE_SERVICE),
            "349e3e7ffc45636c4dee343d81450a25231aba0672b094a2b9a9b2e2b5573a0b430ec80a07cb35536f8bcd2658fa7cbc40b8c94d64446a56d7d607bd94673e4f"
        );
    }

    #[test]
    fn the_string_to_sign_has_six_lines_and_no_trailing_newline() {
        let s = string_to_sign(&secret(), "GET", "u", &date("20261128T120000Z"), JSON);
        let lines: Vec<&str> = s.split('\n').collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[4], "content-type:application/json");
        assert_eq!(lines[5], "x-sld-date:20261128T120000Z");
        assert_eq!(lines[2].len(), 128);
    }
}
