//! Tests of request and response signing and verification, against the vectors of signing.md.

use super::*;
use crate::nonce::MemoryNonceStore;
use crate::scheme::{BE_SIGNATURE, BOT_SIGNATURE, DATE, NONCE, SIGNATURE_VERSION};
use chrono::{Duration, TimeZone};

// The vectors of signing.md, "v1" and "v2", used here as hand-checked fixtures.
const SECRET: &str = "s3cr3t-shared-key";
const PATH: &str = "/api/userinfo/access-token";
const NONCE_HEX: &str = "0123456789abcdef0123456789abcdef";
const QUERY: &str =
    "roomId=Y2lzY29zcGFyazovL3VzL1JPT00vYWJj&personId=Y2lzY29zcGFyazovL3VzL1BFT1BMRS94eXo";
const V1_BASE: &str = "https://backend.example.com:10000";
const V1_SIG: &str = "743dfadcdf5418c8a2b2bc1e71e0891d45e10e906d636e3463e191ee064a620bc4fb8f740def7d52005498d7ffd7c674963606c5116c1d4dd1beee4598c1f954";
const V1_RESPONSE_SIG: &str = "349e3e7ffc45636c4dee343d81450a25231aba0672b094a2b9a9b2e2b5573a0b430ec80a07cb35536f8bcd2658fa7cbc40b8c94d64446a56d7d607bd94673e4f";
const V2_SIG: &str = "6430653a217f7bb8b983abac9ee2080830b43634a3b93b204c413f6432e94018";
const V2_200_BODY: &[u8] = br#"{"access_token":"tok-123","expires_at":"2026-11-28T13:00:00Z"}"#;
const V2_200_SIG: &str = "7549ce69709a2bd18cb29cd694b698df4263a692d112ce303e05f1c22121b2a9";
const V2_404_SIG: &str = "3024e0e7ebb35fc9cdc17c9b74382e2409d82e4d771a068cb9ca455e00dbdad0";

fn secret() -> SecretString {
    SecretString::from(SECRET.to_string())
}

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn v2_headers() -> HeaderMap {
    map(&[
        ("x-sld-date", "20261128T120000Z"),
        ("x-sld-nonce", NONCE_HEX),
        ("x-sld-signature-version", "2"),
        ("x-sld-bot-signature", V2_SIG),
    ])
}

fn v1_headers() -> HeaderMap {
    map(&[
        ("x-sld-date", "20261128T120000Z"),
        ("content-type", "application/json"),
        ("x-sld-bot-signature", V1_SIG),
    ])
}

async fn verify_v2(
    headers: &HeaderMap,
    method: &str,
    query: &str,
    body: &[u8],
    now: DateTime<Utc>,
    store: &MemoryNonceStore,
) -> Result<VerifiedRequest, Rejection> {
    let req = IncomingRequest {
        method,
        path: PATH,
        raw_query: Some(query),
        headers,
        body,
    };
    verify_request(Version::V2, &secret(), "http://unused", &req, now, store).await
}

fn to_map(headers: Vec<(HeaderName, HeaderValue)>) -> HeaderMap {
    headers.into_iter().collect()
}

#[test]
fn the_bot_signs_the_v2_vector_request() {
    let req = OutgoingRequest {
        method: "GET",
        path: PATH,
        query: QUERY,
        body: b"",
    };
    let h =
        to_map(sign_request(Version::V2, &secret(), "http://b", &req, noon(), NONCE_HEX).unwrap());
    assert_eq!(h["x-sld-bot-signature"], V2_SIG);
    assert_eq!(h["x-sld-date"], "20261128T120000Z");
    assert_eq!(h["x-sld-nonce"], NONCE_HEX);
    assert_eq!(h["x-sld-signature-version"], "2");
}

#[test]
fn the_bot_signs_the_v1_vector_request_over_the_full_url() {
    let req = OutgoingRequest {
        method: "GET",
        path: PATH,
        query: QUERY,
        body: b"",
    };
    let h = to_map(sign_request(Version::V1, &secret(), V1_BASE, &req, noon(), "").unwrap());
    assert_eq!(h["x-sld-bot-signature"], V1_SIG);
    assert_eq!(h["content-type"], "application/json");
    assert!(h.get("x-sld-signature-version").is_none());
    // A trailing slash on the setting does not change the signed URL.
    let h = to_map(
        sign_request(
            Version::V1,
            &secret(),
            &format!("{V1_BASE}/"),
            &req,
            noon(),
            "",
        )
        .unwrap(),
    );
    assert_eq!(h["x-sld-bot-signature"], V1_SIG);
}

#[test]
fn a_v2_request_with_a_broken_nonce_source_is_not_signed() {
    let req = OutgoingRequest {
        method: "GET",
        path: PATH,
        query: QUERY,
        body: b"",
    };
    assert_eq!(
        sign_request(Version::V2, &secret(), "http://b", &req, noon(), "nope"),
        Err(MalformedNonceSource)
    );
}

#[tokio::test]
async fn the_backend_accepts_the_v2_vector_request_once() {
    let store = MemoryNonceStore::new(10);
    let got = verify_v2(&v2_headers(), "GET", QUERY, b"", noon(), &store).await;
    assert_eq!(
        got,
        Ok(VerifiedRequest {
            nonce: Some(NONCE_HEX.to_string())
        })
    );
    let again = verify_v2(
        &v2_headers(),
        "GET",
        QUERY,
        b"",
        noon() + Duration::seconds(5),
        &store,
    )
    .await;
    assert_eq!(again, Err(Rejection::ReplayedNonce));
    assert_eq!(Rejection::ReplayedNonce.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_backend_accepts_the_v2_vector_with_the_query_in_any_order_or_encoding() {
    let store = MemoryNonceStore::new(10);
    let reordered =
        "personId=Y2lzY29zcGFyazovL3VzL1BFT1BMRS94eXo&roomId=Y2lzY29zcGFyazovL3VzL1JPT00vYWJj";
    assert!(
        verify_v2(&v2_headers(), "GET", reordered, b"", noon(), &store)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_backend_accepts_the_v1_vector_request_against_its_public_url() {
    let store = MemoryNonceStore::new(10);
    let headers = v1_headers();
    let req = IncomingRequest {
        method: "GET",
        path: PATH,
        raw_query: Some(QUERY),
        headers: &headers,
        body: b"",
    };
    let ok = verify_request(Version::V1, &secret(), V1_BASE, &req, noon(), &store).await;
    assert_eq!(ok, Ok(VerifiedRequest { nonce: None }));
    // A public URL that differs from the bot's (another port) breaks v1, as documented.
    let other = verify_request(
        Version::V1,
        &secret(),
        "https://backend.example.com",
        &req,
        noon(),
        &store,
    )
    .await;
    assert_eq!(other, Err(Rejection::BadSignature));
}

#[tokio::test]
async fn every_missing_v2_header_is_named() {
    let store = MemoryNonceStore::new(10);
    for (name, label) in [
        ("x-sld-date", "X-SLD-Date"),
        ("x-sld-nonce", "X-SLD-Nonce"),
        ("x-sld-bot-signature", "X-SLD-BOT-Signature"),
    ] {
        let mut h = v2_headers();
        h.remove(name);
        let got = verify_v2(&h, "GET", QUERY, b"", noon(), &store).await;
        assert_eq!(got, Err(Rejection::MissingHeader(label)), "{name}");
    }
}

#[tokio::test]
async fn a_missing_v1_content_type_is_named() {
    let store = MemoryNonceStore::new(10);
    let mut headers = v1_headers();
    headers.remove("content-type");
    let req = IncomingRequest {
        method: "GET",
        path: PATH,
        raw_query: Some(QUERY),
        headers: &headers,
        body: b"",
    };
    let got = verify_request(Version::V1, &secret(), V1_BASE, &req, noon(), &store).await;
    assert_eq!(got, Err(Rejection::MissingHeader("Content-Type")));
}

#[tokio::test]
async fn a_date_more_than_300_seconds_off_in_either_direction_is_stale() {
    let store = MemoryNonceStore::new(10);
    let late = verify_v2(
        &v2_headers(),
        "GET",
        QUERY,
        b"",
        noon() + Duration::seconds(301),
        &store,
    )
    .await;
    assert_eq!(late, Err(Rejection::StaleDate { skew_secs: 301 }));
    let early = verify_v2(
        &v2_headers(),
        "GET",
        QUERY,
        b"",
        noon() - Duration::seconds(301),
        &store,
    )
    .await;
    assert_eq!(early, Err(Rejection::StaleDate { skew_secs: -301 }));
    // Exactly 300 s is still within the limit.
    let edge = verify_v2(
        &v2_headers(),
        "GET",
        QUERY,
        b"",
        noon() + Duration::seconds(300),
        &store,
    )
    .await;
    assert!(edge.is_ok(), "{edge:?}");
}

#[tokio::test]
async fn a_malformed_date_or_nonce_is_refused() {
    let store = MemoryNonceStore::new(10);
    let mut h = v2_headers();
    h.insert(DATE, HeaderValue::from_static("2026-11-28T12:00:00Z"));
    let got = verify_v2(&h, "GET", QUERY, b"", noon(), &store).await;
    assert_eq!(got, Err(Rejection::MalformedHeader("X-SLD-Date")));
    for bad in [
        "0123456789ABCDEF0123456789ABCDEF",
        "0123",
        "0123456789abcdef0123456789abcdeg",
    ] {
        let mut h = v2_headers();
        h.insert(NONCE, HeaderValue::from_str(bad).unwrap());
        let got = verify_v2(&h, "GET", QUERY, b"", noon(), &store).await;
        assert_eq!(got, Err(Rejection::MalformedNonce), "{bad}");
    }
    assert!(store.is_empty(noon()), "a refused request records no nonce");
}

#[tokio::test]
async fn a_repeated_signature_header_is_refused() {
    let store = MemoryNonceStore::new(10);
    let mut h = v2_headers();
    h.append(BOT_SIGNATURE, HeaderValue::from_static(V2_SIG));
    let got = verify_v2(&h, "GET", QUERY, b"", noon(), &store).await;
    assert_eq!(got, Err(Rejection::MalformedHeader("X-SLD-BOT-Signature")));
}

#[tokio::test]
async fn a_tampered_query_body_method_or_signature_is_refused() {
    let store = MemoryNonceStore::new(10);
    let other_person = "roomId=Y2lzY29zcGFyazovL3VzL1JPT00vYWJj&personId=someone-else";
    let extra = format!("{QUERY}&x=1");
    for (method, query, body) in [
        ("GET", other_person, &b""[..]),
        ("GET", extra.as_str(), &b""[..]),
        ("GET", QUERY, &b"{}"[..]),
        ("DELETE", QUERY, &b""[..]),
    ] {
        let got = verify_v2(&v2_headers(), method, query, body, noon(), &store).await;
        assert_eq!(got, Err(Rejection::BadSignature), "{method} {query}");
    }
    let mut h = v2_headers();
    h.insert(
        BOT_SIGNATURE,
        HeaderValue::from_str(&V2_SIG.to_uppercase()).unwrap(),
    );
    let got = verify_v2(&h, "GET", QUERY, b"", noon(), &store).await;
    assert_eq!(got, Err(Rejection::BadSignature));
    assert!(store.is_empty(noon()), "a forged request records no nonce");
}

#[tokio::test]
async fn a_v1_request_to_a_v2_backend_and_the_reverse_are_a_version_mismatch() {
    let store = MemoryNonceStore::new(10);
    let got = verify_v2(&v1_headers(), "GET", QUERY, b"", noon(), &store).await;
    assert!(
        matches!(
            got,
            Err(Rejection::WrongVersion {
                expected: Version::V2,
                ..
            })
        ),
        "{got:?}"
    );
    let headers = v2_headers();
    let req = IncomingRequest {
        method: "GET",
        path: PATH,
        raw_query: Some(QUERY),
        headers: &headers,
        body: b"",
    };
    let got = verify_request(Version::V1, &secret(), V1_BASE, &req, noon(), &store).await;
    assert!(
        matches!(
            got,
            Err(Rejection::WrongVersion {
                expected: Version::V1,
                ..
            })
        ),
        "{got:?}"
    );
    let mut h = v2_headers();
    h.insert(SIGNATURE_VERSION, HeaderValue::from_static("3"));
    let got = verify_v2(&h, "GET", QUERY, b"", noon(), &store).await;
    assert!(
        matches!(got, Err(Rejection::WrongVersion { .. })),
        "{got:?}"
    );
}

#[tokio::test]
async fn a_full_nonce_store_is_a_503_not_a_401() {
    let store = MemoryNonceStore::new(0);
    let got = verify_v2(&v2_headers(), "GET", QUERY, b"", noon(), &store).await;
    let err = got.unwrap_err();
    assert!(matches!(err, Rejection::NonceStore(_)), "{err:?}");
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
}

fn response_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 1).unwrap()
}

#[test]
fn the_backend_signs_the_v2_vector_responses() {
    let h = to_map(sign_response(
        Version::V2,
        &secret(),
        StatusCode::OK,
        V2_200_BODY,
        Some(NONCE_HEX),
        response_at(),
    ));
    assert_eq!(h["x-sld-be-signature"], V2_200_SIG);
    assert_eq!(h["x-sld-date"], "20261128T120001Z");
    assert_eq!(h["x-sld-signature-version"], "2");
    let h = to_map(sign_response(
        Version::V2,
        &secret(),
        StatusCode::NOT_FOUND,
        b"",
        Some(NONCE_HEX),
        response_at(),
    ));
    assert_eq!(h["x-sld-be-signature"], V2_404_SIG);
}

#[test]
fn the_backend_signs_the_v1_vector_response() {
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 5).unwrap();
    let h = to_map(sign_response(
        Version::V1,
        &secret(),
        StatusCode::OK,
        b"anything",
        None,
        at,
    ));
    assert_eq!(h["x-sld-be-signature"], V1_RESPONSE_SIG);
    assert_eq!(h["content-type"], "application/json");
}

#[test]
fn a_response_to_a_request_without_a_good_nonce_signs_the_empty_nonce() {
    let with_bad = sign_response(
        Version::V2,
        &secret(),
        StatusCode::UNAUTHORIZED,
        b"",
        Some("bad"),
        response_at(),
    );
    let with_none = sign_response(
        Version::V2,
        &secret(),
        StatusCode::UNAUTHORIZED,
        b"",
        None,
        response_at(),
    );
    assert_eq!(with_bad, with_none);
}

fn v2_response(sig: &str) -> HeaderMap {
    map(&[
        ("x-sld-date", "20261128T120001Z"),
        ("x-sld-signature-version", "2"),
        ("x-sld-be-signature", sig),
    ])
}

#[test]
fn the_bot_accepts_the_v2_vector_responses() {
    let ok = verify_response(
        Version::V2,
        &secret(),
        StatusCode::OK,
        &v2_response(V2_200_SIG),
        V2_200_BODY,
        Some(NONCE_HEX),
        response_at(),
    );
    assert_eq!(ok, Ok(()));
    let ok = verify_response(
        Version::V2,
        &secret(),
        StatusCode::NOT_FOUND,
        &v2_response(V2_404_SIG),
        b"",
        Some(NONCE_HEX),
        response_at(),
    );
    assert_eq!(ok, Ok(()));
}

#[test]
fn the_bot_refuses_a_tampered_body_status_or_nonce() {
    let tampered = br#"{"access_token":"tok-666","expires_at":"2026-11-28T13:00:00Z"}"#;
    let h = v2_response(V2_200_SIG);
    let check = |status, body: &[u8], nonce| {
        verify_response(
            Version::V2,
            &secret(),
            status,
            &h,
            body,
            Some(nonce),
            response_at(),
        )
    };
    assert_eq!(
        check(StatusCode::OK, tampered, NONCE_HEX),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        check(StatusCode::CREATED, V2_200_BODY, NONCE_HEX),
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        check(
            StatusCode::OK,
            V2_200_BODY,
            "fedcba9876543210fedcba9876543210"
        ),
        Err(Rejection::BadSignature)
    );
    // A 404 signature cannot be turned into "not signed in" for another status either.
    let h404 = v2_response(V2_404_SIG);
    let got = verify_response(
        Version::V2,
        &secret(),
        StatusCode::SERVICE_UNAVAILABLE,
        &h404,
        b"",
        Some(NONCE_HEX),
        response_at(),
    );
    assert_eq!(got, Err(Rejection::BadSignature));
}

#[test]
fn the_bot_refuses_a_stale_unsigned_or_wrong_version_response() {
    let late = response_at() + Duration::seconds(301);
    let got = verify_response(
        Version::V2,
        &secret(),
        StatusCode::OK,
        &v2_response(V2_200_SIG),
        V2_200_BODY,
        Some(NONCE_HEX),
        late,
    );
    assert_eq!(got, Err(Rejection::StaleDate { skew_secs: 301 }));
    let mut h = v2_response(V2_200_SIG);
    h.remove(BE_SIGNATURE);
    let got = verify_response(
        Version::V2,
        &secret(),
        StatusCode::OK,
        &h,
        V2_200_BODY,
        Some(NONCE_HEX),
        response_at(),
    );
    assert_eq!(got, Err(Rejection::MissingHeader("X-SLD-BE-Signature")));
    let mut h = v2_response(V2_200_SIG);
    h.remove(SIGNATURE_VERSION);
    let got = verify_response(
        Version::V2,
        &secret(),
        StatusCode::OK,
        &h,
        V2_200_BODY,
        Some(NONCE_HEX),
        response_at(),
    );
    assert!(
        matches!(got, Err(Rejection::WrongVersion { .. })),
        "{got:?}"
    );
}

#[test]
fn the_bot_accepts_the_v1_vector_response() {
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 5).unwrap();
    let h = map(&[
        ("x-sld-date", "20261128T120005Z"),
        ("content-type", "application/json"),
        ("x-sld-be-signature", V1_RESPONSE_SIG),
    ]);
    assert_eq!(
        verify_response(Version::V1, &secret(), StatusCode::OK, &h, b"{}", None, at),
        Ok(())
    );
    let other = SecretString::from("other".to_string());
    assert_eq!(
        verify_response(Version::V1, &other, StatusCode::OK, &h, b"{}", None, at),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn rejection_texts_never_contain_the_secret_or_a_signature() {
    let all = [
        Rejection::MissingHeader("X-SLD-Date"),
        Rejection::BadSignature,
        Rejection::StaleDate { skew_secs: 400 },
        Rejection::WrongVersion {
            expected: Version::V2,
            got: "`1`".into(),
        },
    ];
    for r in all {
        let text = r.to_string();
        assert!(!text.contains(SECRET) && !text.contains(V2_SIG), "{text}");
    }
}
