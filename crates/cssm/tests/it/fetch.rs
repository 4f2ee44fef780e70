//! Whole fetches: partial answers, the deadline, authorisation, progress, headers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slbot_cssm::{
    no_progress, CssmError, ErrorKind, FetchOptions, FetchSettings, Progress, Snapshot,
};

use crate::support::*;

#[tokio::test]
async fn one_account_failing_forever_leaves_the_others_loaded_and_is_listed_as_missing() {
    let fake = serve(|seen| match (seen.path.as_str(), seen.domain()) {
        ("/v2/accounts", _) => Reply::ok(accounts(&[
            ("Acme", "acme.com"),
            ("Down", "down.com"),
            ("Corp", "corp.com"),
        ])),
        (_, Some("down.com")) if seen.is_licenses() => Reply::status(503),
        (p, _) if p.ends_with("/virtual-accounts") => virtual_accounts(),
        (_, Some(d)) => page(&records(d, 120), seen, 50, true),
        _ => Reply::status(404),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(loaded(&snap, "acme.com"), records("acme.com", 120));
    assert_eq!(loaded(&snap, "corp.com"), records("corp.com", 120));
    assert!(snap.is_partial());
    assert_eq!(
        snap.missing_accounts,
        vec![slbot_cssm::MissingAccount {
            name: "Down".into(),
            domain: "down.com".into(),
            reason: "CSSM is unavailable (HTTP 503)".into(),
        }]
    );
    assert_eq!(fake.license_calls("down.com").len(), 5);
    // every account is kept as CSSM sent it, unknown fields included
    assert_eq!(snap.accounts.len(), 3);
    assert_eq!(snap.accounts[1]["extraField"]["kept"], true);
    assert_eq!(
        snap.captured_at.as_deref(),
        Some("2026-03-01T12:00:00+00:00")
    );
}

#[tokio::test]
async fn the_deadline_ends_the_fetch_with_what_arrived_marked_partial() {
    // slow.com answers page 1 (100 of 300), then hangs. The deadline is made to pass once
    // fast.com is complete and slow.com is hanging, whichever happens last.
    let clock_slot: Arc<Mutex<Option<Arc<TestClock>>>> = Arc::new(Mutex::new(None));
    let fast_done = Arc::new(AtomicBool::new(false));
    let slow_hanging = Arc::new(AtomicBool::new(false));
    let fired = Arc::new(AtomicBool::new(false));
    let expire_when_both = {
        let (clock_slot, fast_done, slow_hanging, fired) = (
            clock_slot.clone(),
            fast_done.clone(),
            slow_hanging.clone(),
            fired.clone(),
        );
        move || {
            if fast_done.load(Ordering::SeqCst) && slow_hanging.load(Ordering::SeqCst) {
                if let Some(clock) = clock_slot.lock().unwrap().as_ref() {
                    fired.store(true, Ordering::SeqCst);
                    clock.expire();
                }
            }
        }
    };
    let on_hang = expire_when_both.clone();
    let hanging = slow_hanging.clone();
    let fake = serve(move |seen| match (seen.path.as_str(), seen.domain()) {
        ("/v2/accounts", _) => Reply::ok(accounts(&[("Fast", "fast.com"), ("Slow", "slow.com")])),
        (p, _) if p.ends_with("/virtual-accounts") => virtual_accounts(),
        (_, Some("slow.com")) if seen.offset() > 0 => {
            hanging.store(true, Ordering::SeqCst);
            on_hang();
            Reply::Hang
        }
        (_, Some(d)) => page(&records(d, 300), seen, 100, true),
        _ => Reply::status(404),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    *clock_slot.lock().unwrap() = Some(h.clock.clone());
    let on_progress = |p: Progress| {
        if p.accounts_done >= 1 {
            fast_done.store(true, Ordering::SeqCst);
            expire_when_both();
        }
    };
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &on_progress),
    )
    .await
    .unwrap();
    assert!(
        fired.load(Ordering::SeqCst),
        "the deadline was not triggered"
    );
    assert_eq!(
        h.clock.deadline_asked.lock().unwrap().clone(),
        vec![Duration::from_secs(120)]
    );
    assert_eq!(loaded(&snap, "fast.com"), records("fast.com", 300));
    assert!(!snap.licenses.contains_key("slow.com"));
    assert!(snap.is_partial());
    assert_eq!(snap.missing_accounts[0].domain, "slow.com");
    assert_eq!(
        snap.missing_accounts[0].reason,
        "CSSM timed out: it did not finish within 120 s (100 of 300 records had arrived)"
    );
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.contains("stopped after 120 s")),
        "{:?}",
        snap.warnings
    );
}

#[tokio::test]
async fn a_401_on_the_account_list_is_unauthorized() {
    let fake = serve(|_| Reply::status(401)).await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .fetch_all(&token(), &FetchOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_eq!(fake.seen().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_401_on_every_account_is_unauthorized_but_on_one_account_only_that_one_is_missing() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("A", "a.com"), ("B", "b.com")])),
        _ => Reply::status(401),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .fetch_all(&token(), &FetchOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert!(matches!(err, CssmError::Unauthorized { .. }), "{err:?}");

    let fake = serve(|seen| match (seen.path.as_str(), seen.domain()) {
        ("/v2/accounts", _) => Reply::ok(accounts(&[("A", "a.com"), ("B", "b.com")])),
        (_, Some("b.com")) => Reply::status(401),
        (p, _) if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&records("A", 2), seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = h
        .client
        .fetch_all(&token(), &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    assert_eq!(snap.licenses["a.com"].len(), 2);
    assert_eq!(
        snap.missing_accounts[0].reason,
        "CSSM did not accept the sign-in (401)"
    );
}

#[tokio::test]
async fn a_403_on_the_account_list_is_forbidden() {
    let fake = serve(|_| Reply::status(403)).await;
    let h = harness(&fake, FetchSettings::default());
    let err = h
        .client
        .fetch_all(&token(), &FetchOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.reason(), "CSSM refused access (403)");
}

#[tokio::test]
async fn virtual_accounts_that_fail_are_only_a_warning_and_holding_accounts_use_their_path() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(serde_json::json!({"accounts": [
            {"accountName": "Hold", "accountDomain": "hold.com", "accountType": "HOLDING"}
        ]})),
        "/v1/accounts/hold.com/HOLDING/virtual-accounts" => Reply::status(403),
        _ => page(&records("H", 3), seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &no_progress),
    )
    .await
    .unwrap();
    assert_eq!(snap.licenses["hold.com"].len(), 3);
    assert!(!snap.is_partial());
    assert_eq!(
        snap.warnings,
        vec![
            "The virtual accounts of account Hold (hold.com) could not be read: CSSM refused access (403)"
                .to_string()
        ]
    );
    assert!(fake
        .seen()
        .iter()
        .any(|s| s.path == "/v1/accounts/hold.com/HOLDING/virtual-accounts"));
}

#[tokio::test]
async fn every_request_carries_the_bearer_token_and_json_headers() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&records("A", 250), seen, 100, false),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let options = FetchOptions {
        virtual_accounts: vec!["VA-1".into()],
        ..FetchOptions::default()
    };
    let snap = within(h.client.fetch_all(&token(), &options, &no_progress))
        .await
        .unwrap();
    assert_eq!(snap.virtual_accounts.as_ref().unwrap()["acme.com"].len(), 1);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1 + 1 + 4);
    for s in &seen {
        assert_eq!(
            s.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
        assert_eq!(s.content_type.as_deref(), Some("application/json"));
        assert_eq!(s.accept.as_deref(), Some("application/json"));
    }
    for s in seen.iter().filter(|s| s.is_licenses()) {
        assert_eq!(s.body["virtualAccounts"], serde_json::json!(["VA-1"]));
    }
}

#[tokio::test]
async fn progress_counts_accounts_and_pages_up_to_their_totals() {
    let fake = serve(|seen| match (seen.path.as_str(), seen.domain()) {
        ("/v2/accounts", _) => Reply::ok(accounts(&[("A", "a.com"), ("B", "b.com")])),
        (p, _) if p.ends_with("/virtual-accounts") => virtual_accounts(),
        (_, Some("a.com")) => page(&records("A", 250), seen, 100, true), // 3 pages
        _ => page(&records("B", 120), seen, 100, false),                 // 2 pages + the empty one
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let reports: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let record = |p: Progress| reports.lock().unwrap().push(p);
    within(
        h.client
            .fetch_all(&token(), &FetchOptions::default(), &record),
    )
    .await
    .unwrap();
    let reports = reports.into_inner().unwrap();
    let last = *reports.last().unwrap();
    assert_eq!(
        last,
        Progress {
            accounts_done: 2,
            accounts_total: 2,
            pages_done: 6,
            pages_total: Some(6),
        }
    );
    assert_eq!(reports[0].pages_total, None);
    assert!(reports
        .windows(2)
        .all(|w| w[0].pages_done <= w[1].pages_done && w[0].accounts_done <= w[1].accounts_done));
    assert!(reports
        .iter()
        .all(|p| p.pages_total.is_none_or(|t| t >= p.pages_done)));
}

#[tokio::test]
async fn a_fetched_snapshot_survives_a_write_and_a_read() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("Acme", "acme.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&records("A", 7), seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let snap = h
        .client
        .fetch_all(&token(), &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    snap.write_atomic(&path).unwrap();
    let back = Snapshot::read(&path).unwrap();
    assert_eq!(back.format.as_deref(), Some("slbot-cssm-snapshot/1"));
    assert_eq!(loaded(&back, "acme.com"), records("A", 7));
    assert_eq!(back.accounts, snap.accounts);
    assert_eq!(back.virtual_accounts, snap.virtual_accounts);
}

#[tokio::test]
async fn only_the_requested_domains_are_fetched() {
    let fake = serve(|seen| match seen.path.as_str() {
        "/v2/accounts" => Reply::ok(accounts(&[("A", "a.com"), ("B", "b.com")])),
        p if p.ends_with("/virtual-accounts") => virtual_accounts(),
        _ => page(&records("X", 1), seen, 100, true),
    })
    .await;
    let h = harness(&fake, FetchSettings::default());
    let options = FetchOptions {
        domains: vec!["B.COM".into()],
        ..FetchOptions::default()
    };
    let snap = h
        .client
        .fetch_all(&token(), &options, &no_progress)
        .await
        .unwrap();
    assert_eq!(snap.licenses.keys().collect::<Vec<_>>(), vec!["b.com"]);
    assert_eq!(snap.accounts.len(), 1);
    assert!(fake.license_calls("a.com").is_empty());
}
