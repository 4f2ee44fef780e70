//! Retries, backoff, `Retry-After`, and the odd answers of cssm-api.md.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use slbot_cssm::wire::LicenseQuery;
use slbot_cssm::{
    no_progress, CssmError, FetchOptions, FetchSettings, TokenRefresher, Unavailable,
};

use crate::support::*;

fn query() -> LicenseQuery {
    LicenseQuery {
        virtual_accounts: vec![],
        limit: 100,
        offset: 0,
    }
}

fn ms(v: &[u64]) -> Vec<Duration> {
    v.iter().map(|m| Duration::from_millis(*m)).collect()
}

/// The naive full-jitter ceilings: min(8 s, 0.5 s × 2ⁿ) for n = 0..count.
fn naive_ceilings(count: u32) -> Vec<Duration> {
    (0..count)
        .map(|n| Duration::from_millis((500u64 * 2u64.pow(n)).min(8_000)))
        .collect()
}

#[tokio::test]
async fn a_503_is_tried_five_times_with_full_jitter_backoff_then_reported_unavailable() {
    let fake = serve(|_| Reply::status(503)).await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .license_page(&token(), "acme.com", &query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CssmError::Unavailable {
                reason: Unavailable::Status(503),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 5);
    assert_eq!(h.jitter.ceilings(), naive_ceilings(4));
    // the jitter picked half of each ceiling, and that is exactly what was waited
    assert_eq!(h.clock.sleeps(), ms(&[250, 500, 1_000, 2_000]));
    assert_eq!(err.reason(), "CSSM is unavailable (HTTP 503)");
    assert!(err.to_string().contains("account `acme.com`"), "{err}");
}

#[tokio::test]
async fn the_backoff_ceiling_stops_growing_at_eight_seconds() {
    let fake = serve(|_| Reply::status(502)).await;
    let h = harness(
        &fake,
        FetchSettings {
            attempts: 8,
            ..FetchSettings::default()
        },
    );
    let _ = h.client.license_page(&token(), "acme.com", &query()).await;
    assert_eq!(fake.seen().len(), 8);
    assert_eq!(h.jitter.ceilings(), naive_ceilings(7));
    assert_eq!(
        h.jitter.ceilings().last().copied(),
        Some(Duration::from_secs(8))
    );
}

#[tokio::test]
async fn a_429_with_retry_after_one_second_waits_exactly_that_then_succeeds() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen_calls = calls.clone();
    let data = records("Acme", 3);
    let fake = serve(move |seen| {
        if seen_calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status_with_retry_after(429, 1)
        } else {
            page(&data, seen, 100, true)
        }
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let page = h
        .client
        .license_page(&token(), "acme.com", &query())
        .await
        .unwrap();
    assert_eq!(page.records.len(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(1)]);
    assert!(
        h.jitter.ceilings().is_empty(),
        "Retry-After replaces the backoff"
    );
}

#[tokio::test]
async fn a_503_with_retry_after_waits_what_the_server_asked() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen_calls = calls.clone();
    let fake = serve(move |seen| {
        if seen_calls.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::status_with_retry_after(503, 2)
        } else {
            page(&records("A", 1), seen, 100, true)
        }
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    h.client
        .license_page(&token(), "acme.com", &query())
        .await
        .unwrap();
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(2); 2]);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_gives_up_as_rate_limited() {
    let fake = serve(|_| Reply::status(429)).await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .license_page(&token(), "acme.com", &query())
        .await
        .unwrap_err();
    assert!(matches!(err, CssmError::RateLimited { .. }), "{err:?}");
    assert_eq!(fake.seen().len(), 5);
    assert_eq!(h.clock.sleeps().len(), 4);
}

#[tokio::test]
async fn a_retry_after_of_31_seconds_fails_only_that_account_as_rate_limited() {
    let good = records("Good", 5);
    let fake = serve(move |seen| match (seen.path.as_str(), seen.domain()) {
        ("/v2/accounts", _) => Reply::ok(accounts(&[("Good", "good.com"), ("Busy", "busy.com")])),
        (_, Some("busy.com")) if seen.is_licenses() => Reply::status_with_retry_after(429, 31),
        (p, _) if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&good, seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "good.com"), records("Good", 5));
    assert!(snap.is_partial());
    assert_eq!(snap.missing_accounts.len(), 1);
    assert_eq!(snap.missing_accounts[0].domain, "busy.com");
    assert_eq!(snap.missing_accounts[0].name, "Busy");
    assert_eq!(
        snap.missing_accounts[0].reason,
        "CSSM is rate-limiting requests (asked to wait 31 s)"
    );
    assert_eq!(
        fake.license_calls("busy.com").len(),
        1,
        "no retry when asked to wait too long"
    );
    assert!(h.clock.sleeps().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_is_retried_then_reported_unavailable() {
    // A port that was just free: connections are refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let clock = Arc::new(TestClock::default());
    let client = slbot_cssm::CssmClient::new(
        &url,
        FetchSettings::default(),
        Arc::new(tokio::sync::Semaphore::new(4)),
    )
    .unwrap()
    .with_clock(clock.clone())
    .with_jitter(Arc::new(TestJitter::new(1.0)));
    let err = client.accounts(&token()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            CssmError::Unavailable {
                reason: Unavailable::Unreachable(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(clock.sleeps(), ms(&[500, 1_000, 2_000, 4_000]));
    assert_eq!(err.reason(), "CSSM could not be reached");
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_is_retried_then_reported_as_timed_out() {
    let fake = serve(|_| Reply::Hang).await;
    let h = harness(
        &fake,
        FetchSettings {
            request_timeout: Duration::from_millis(150),
            attempts: 2,
            ..FetchSettings::default()
        },
    );
    let err = h
        .client
        .license_page(&token(), "acme.com", &query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CssmError::Unavailable {
                reason: Unavailable::TimedOut,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 2);
    assert_eq!(err.reason(), "CSSM timed out");
}

#[tokio::test]
async fn a_500_on_the_account_list_is_retried_once_with_a_fresh_token() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let data = records("Acme", 2);
    let fake = serve(move |seen| match seen.path.as_str() {
        "/v2/accounts" if counter.fetch_add(1, Ordering::SeqCst) == 0 => Reply::status(500),
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&data, seen, 100, true),
    })
    .await;
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counted = refreshes.clone();
    let refresher: TokenRefresher = Arc::new(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Some(secrecy::SecretString::from("fresh-token")) })
    });
    let h = harness(&fake, FetchSettings::default());
    let client = h.client.with_token_refresher(refresher);
    let snap = within(client.fetch_all(&token(), &FetchOptions::default(), &no_progress))
        .await
        .unwrap();
    assert_eq!(snap.licenses["acme.com"].len(), 2);
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    let auth: Vec<String> = fake
        .seen()
        .iter()
        .map(|s| s.authorization.clone().unwrap_or_default())
        .collect();
    assert_eq!(auth[0], format!("Bearer {TOKEN}"));
    // the retry and every call after it use the fresh token
    assert!(
        auth[1..].iter().all(|a| a == "Bearer fresh-token"),
        "{auth:?}"
    );
}

#[tokio::test]
async fn without_a_refresher_a_500_on_the_account_list_is_retried_once_and_no_more() {
    let fake = serve(|_| Reply::status(500)).await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .fetch_all(&token(), &FetchOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            CssmError::Unavailable {
                reason: Unavailable::Status(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 2);
    assert!(h.clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_500_on_a_license_page_is_not_retried() {
    let fake = serve(|_| Reply::status(500)).await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .license_page(&token(), "acme.com", &query())
        .await
        .unwrap_err();
    assert!(matches!(err, CssmError::Unavailable { .. }), "{err:?}");
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn html_instead_of_json_is_bad_data_that_names_the_account() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com"), ("Beta", "beta.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ if seen.domain() == Some("beta.com") => Reply::Raw(
            200,
            vec![("content-type", "text/html".into())],
            "<!DOCTYPE html><html><body>Maintenance</body></html>".into(),
        ),
        _ => page(&records("Acme", 1), seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(snap.licenses["acme.com"].len(), 1);
    assert_eq!(snap.missing_accounts.len(), 1);
    assert_eq!(snap.missing_accounts[0].domain, "beta.com");
    assert!(
        snap.missing_accounts[0]
            .reason
            .contains("HTML page instead of JSON"),
        "{}",
        snap.missing_accounts[0].reason
    );
    let err = h
        .client
        .license_page(&token(), "beta.com", &query())
        .await
        .unwrap_err();
    assert!(matches!(err, CssmError::BadData { .. }), "{err:?}");
    assert!(err.to_string().contains("account `beta.com`"), "{err}");
}

#[tokio::test]
async fn status_error_with_http_200_is_bad_data_for_that_account() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com"), ("Beta", "beta.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ if seen.domain() == Some("beta.com") => Reply::ok(json!({
            "licenses": [], "status": "ERROR", "statusMessage": "Internal lookup failed"
        })),
        _ => page(&records("Acme", 1), seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(snap.licenses["acme.com"].len(), 1);
    assert!(!snap.licenses.contains_key("beta.com"));
    assert_eq!(
        snap.missing_accounts[0].reason,
        "CSSM sent unreadable data (it answered status ERROR: Internal lookup failed)"
    );
    assert_eq!(
        fake.license_calls("beta.com").len(),
        1,
        "bad data is not retried"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_token_goes_nowhere_else() {
    let fake = serve(|_| {
        Reply::Raw(
            302,
            vec![("location", "http://127.0.0.1:1/elsewhere".into())],
            String::new(),
        )
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let err = h.client.accounts(&token()).await.unwrap_err();
    assert_eq!(err.kind(), slbot_cssm::ErrorKind::Unexpected, "{err:?}");
    assert!(err.to_string().contains("HTTP 302"), "{err}");
    assert_eq!(fake.seen().len(), 1);
}
