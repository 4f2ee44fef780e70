//! Page rules of cssm-api.md "How the client fetches".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::json;
use slbot_cssm::{no_progress, FetchOptions, FetchSettings};
use tokio::sync::{Barrier, Semaphore};

use crate::support::*;

fn settings(page_size: u32, concurrency: usize) -> FetchSettings {
    FetchSettings {
        page_size,
        concurrency,
        ..FetchSettings::default()
    }
}

/// A fake with one account `acme.com` holding `data`, capping pages at `cap`.
async fn one_account(data: Vec<serde_json::Value>, cap: usize, with_total: bool) -> FakeCssm {
    serve(move |seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&data, seen, cap, with_total),
    })
    .await
}

#[tokio::test]
async fn a_page_shorter_than_the_limit_is_not_the_end_when_there_is_no_total() {
    let data = records("Acme", 250);
    let fake = one_account(data.clone(), 100, false).await;
    let h = harness(&fake, settings(500, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), data);
    // offset advances by what came back (100 each), and only the empty page ends the list.
    let offsets: Vec<u64> = fake
        .license_calls("acme.com")
        .iter()
        .map(Seen::offset)
        .collect();
    assert_eq!(offsets, vec![0, 100, 200, 250]);
    assert!(fake
        .license_calls("acme.com")
        .iter()
        .all(|s| s.limit() == 500));
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
}

#[tokio::test]
async fn with_total_records_the_other_pages_are_asked_at_the_stride_of_page_one() {
    let data = records("Acme", 250);
    let fake = one_account(data.clone(), 100, true).await;
    let h = harness(&fake, settings(500, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), data);
    let mut calls: Vec<(u64, u64)> = fake
        .license_calls("acme.com")
        .iter()
        .map(|s| (s.offset(), s.limit()))
        .collect();
    calls.sort();
    // page 1 asks for 500 and gets 100; then offsets 100 and 200 with limit 100; nothing at 250.
    assert_eq!(calls, vec![(0, 500), (100, 100), (200, 100)]);
}

#[tokio::test]
async fn more_than_a_thousand_records_all_arrive_in_cssm_order() {
    let data = records("Big", 2_345);
    let fake = one_account(data.clone(), 500, true).await;
    let h = harness(&fake, settings(500, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    let got = loaded(&snap, "acme.com");
    assert_eq!(got.len(), 2_345);
    assert_eq!(got, data);
    assert_eq!(fake.license_calls("acme.com").len(), 5); // ⌈2345 / 500⌉
}

#[tokio::test]
async fn more_than_a_thousand_records_without_total_are_read_page_by_page() {
    let data = records("Big", 1_234);
    let fake = one_account(data.clone(), 300, false).await;
    let h = harness(&fake, settings(500, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), data);
    // ⌈1234 / 300⌉ = 5 pages with data, then the empty one.
    assert_eq!(fake.license_calls("acme.com").len(), 6);
}

#[tokio::test]
async fn pages_after_the_first_are_in_flight_at_the_same_time() {
    let data = records("Acme", 400);
    let served = data.clone();
    // Each of the three later pages waits until all three have arrived: a sequential client
    // would never get past the first of them.
    let fake = serve_gated(
        move |seen| match seen.path.as_str() {
            "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
            p if p.ends_with("/virtual-accounts") => virtual_accounts(),
            _ => page(&served, seen, 100, true),
        },
        Some(Arc::new(Barrier::new(3))),
    )
    .await;
    let h = harness(&fake, settings(100, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), data);
    assert!(fake.max_in_flight.load(Ordering::SeqCst) >= 3);
}

#[tokio::test]
async fn the_process_wide_cap_bounds_requests_in_flight_even_with_more_concurrency() {
    in_flight_is_bounded(8, 2).await;
}

#[tokio::test]
async fn the_per_fetch_concurrency_bounds_requests_in_flight() {
    in_flight_is_bounded(2, 16).await;
}

/// Fetches 9 pages and checks that exactly 2 requests were ever in flight at once.
async fn in_flight_is_bounded(concurrency: usize, process_cap: usize) {
    let data = records("Acme", 900);
    let served = data.clone();
    // Later pages pass in pairs: two in flight is reachable, three would break the cap.
    let fake = serve_gated(
        move |seen| match seen.path.as_str() {
            "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
            _ => page(&served, seen, 100, true),
        },
        Some(Arc::new(Barrier::new(2))),
    )
    .await;
    let h = harness_with_inflight(
        &fake,
        settings(100, concurrency),
        Arc::new(Semaphore::new(process_cap)),
    );
    let options = FetchOptions {
        with_virtual_accounts: false,
        ..FetchOptions::default()
    };
    let snap = within(h.client.fetch_all(&token(), &options, &no_progress))
        .await
        .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), data);
    assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn duplicates_in_concurrent_pages_make_the_client_page_again_in_order() {
    let data = records("Acme", 300);
    let served = data.clone();
    // The first time a later offset is asked, this server ignores the offset and repeats
    // page 1 (duplicates); asked again, it answers correctly.
    let repeated_once = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let fired = Arc::new(AtomicBool::new(false));
    let fired_in = fired.clone();
    let fake = one_account_with(move |seen| {
        if seen.offset() > 0 && repeated_once.lock().unwrap().insert(seen.offset()) {
            fired_in.store(true, Ordering::SeqCst);
            let mut first = seen.clone();
            first.body["offset"] = json!(0);
            return page(&served, &first, 100, true);
        }
        page(&served, seen, 100, true)
    })
    .await;
    let h = harness(&fake, settings(100, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert!(fired.load(Ordering::SeqCst), "the fault did not fire");
    assert_eq!(loaded(&snap, "acme.com"), data);
    let offsets: Vec<u64> = fake
        .license_calls("acme.com")
        .iter()
        .map(Seen::offset)
        .collect();
    assert_eq!(
        offsets.iter().filter(|o| **o == 100).count(),
        2,
        "{offsets:?}"
    );
    assert_eq!(
        offsets.iter().filter(|o| **o == 200).count(),
        2,
        "{offsets:?}"
    );
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
}

async fn one_account_with(licenses: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FakeCssm {
    serve(move |seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => licenses(seen),
    })
    .await
}

#[tokio::test]
async fn an_empty_page_before_total_records_ends_the_account_with_a_warning() {
    // CSSM claims 300 records but only has 150.
    let data = records("Acme", 150);
    let served = data.clone();
    let fake = one_account_with(move |seen| {
        let Reply::Json(code, mut body) = page(&served, seen, 100, true) else {
            unreachable!()
        };
        body["totalRecords"] = json!(300);
        Reply::Json(code, body)
    })
    .await;
    let h = harness(&fake, settings(100, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), data);
    assert_eq!(
        snap.warnings,
        vec!["CSSM returned 150 of 300 records for account Acme (acme.com)".to_string()]
    );
    assert!(!snap.is_partial());
}

#[tokio::test]
async fn no_data_found_is_an_account_with_no_licenses() {
    let fake = one_account_with(|_| {
        Reply::ok(json!({"status": "ERROR", "statusMessage": "No records", "message_code": "NO DATA FOUND"}))
    })
    .await;
    let h = harness(&fake, settings(100, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(snap.licenses["acme.com"].len(), 0);
    assert!(snap.missing_accounts.is_empty());
    assert!(snap.warnings.is_empty());
}

#[tokio::test]
async fn a_server_that_ignores_offset_is_bad_data_not_an_endless_fetch() {
    let data = records("Acme", 100);
    let fake = one_account_with(move |seen| {
        let mut first = seen.clone();
        first.body["offset"] = json!(0);
        page(&data, &first, 100, false)
    })
    .await;
    let h = harness(&fake, settings(100, 4));
    let err = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("sent the previous page again"),
        "{err}"
    );
    assert_eq!(fake.license_calls("acme.com").len(), 2);
}

#[tokio::test]
async fn a_total_far_beyond_the_data_costs_one_round_of_pages_then_a_warning() {
    // CSSM claims a million records but has 150: the concurrent pass stops at the first
    // empty page instead of asking for 10,000 pages.
    let data = records("Acme", 150);
    let fake = one_account_with(move |seen| {
        let Reply::Json(code, mut body) = page(&data, seen, 100, true) else {
            unreachable!()
        };
        body["totalRecords"] = json!(1_000_000);
        Reply::Json(code, body)
    })
    .await;
    let h = harness(&fake, settings(100, 4));
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(snap.licenses["acme.com"].len(), 150);
    assert_eq!(
        snap.warnings,
        vec!["CSSM returned 150 of 1000000 records for account Acme (acme.com)".to_string()]
    );
    // page 1, at most 2 × concurrency concurrent pages, then 2 sequential pages
    assert!(
        fake.license_calls("acme.com").len() <= 1 + 8 + 2,
        "{}",
        fake.license_calls("acme.com").len()
    );
}
