//! Property ("fuzz") tests of what the client reads from CSSM: any answer to the account list,
//! virtual-accounts and licence calls, any account list and paging behaviour in a whole fetch,
//! and any snapshot file.
//!
//! Every property runs a fixed budget ([`CASES`], or `PROPTEST_CASES` when set) of bounded
//! inputs against the fake CSSM of [`support`](crate::support) (one per property, on
//! 127.0.0.1:0), each call under [`within`] so a hang fails the case instead of stalling CI.
//! A failing case is shrunk, saved in `tests/proptest-regressions/fuzz.txt` and replayed first
//! on every later run. The seed corpus (`tests/corpus/cssm-answer/`) runs in full every time.
//! Expected values come from how the answer was built, never from the client.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{TestCaseResult, TestRunner};
use serde_json::{json, Value};
use slbot_cssm::wire::{Account, LicenseQuery};
use slbot_cssm::{no_progress, CssmError, ErrorKind, FetchOptions, FetchSettings, Snapshot};
use tokio::runtime::Runtime;

use crate::support::*;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;

fn budget() -> ProptestConfig {
    // `default()` reads the PROPTEST_* variables and persists failures next to the source.
    let config = ProptestConfig {
        source_file: Some(file!()),
        // A hang costs `within`'s 20 s per shrinking step: stop shrinking after a minute.
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config
    } else {
        ProptestConfig {
            cases: CASES,
            ..config
        }
    }
}

/// Runs `test` on the budget's cases of `strategy`; fails with the shrunk input.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> TestCaseResult) {
    let mut runner = TestRunner::new(budget());
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("{failure}\n{runner}");
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// The seed corpus of `target`: (file name, bytes), in name order.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let corpus: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    assert!(corpus.len() >= 10, "the {target} corpus is too small");
    corpus
}

/// Settings that make paging visible with few records; waits return at once (test clock).
fn settings() -> FetchSettings {
    FetchSettings {
        page_size: 5,
        concurrency: 2,
        attempts: 2,
        ..FetchSettings::default()
    }
}

/// An error says what failed without the token, and only the kinds a 200 answer can cause.
fn check_error(error: &CssmError) -> TestCaseResult {
    let text = format!("{error} {error:?}");
    prop_assert!(!text.contains(TOKEN), "the token leaked: {}", text);
    prop_assert!(
        matches!(error.kind(), ErrorKind::BadData),
        "a 200 answer gave {:?}",
        error
    );
    Ok(())
}

// ----- generators -----------------------------------------------------------------------------

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1.0",
    "1e3",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "123456789012345678901234567890",
];
const TEXTS: &[&str] = &[
    "",
    " ",
    "12",
    " 12 ",
    "-3",
    "1e3",
    "NaN",
    "NO DATA FOUND",
    " no data found ",
    "ERROR",
    "error ",
    "SUCCESS",
    "HOLDING",
    "holding",
    "true",
    "TRUE",
    "\u{0}",
    "\u{feff}",
    "İ",
    "👍🏽",
    "acme.com",
    "",
    ".",
    "..",
    "%2e%2e",
    "a/b",
    "?x=1",
    "#frag",
    " acme.com ",
    "ACME.COM",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(NUMBERS).prop_map(|t| serde_json::from_str(t).unwrap_or(Value::Null)),
        select(TEXTS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with (some of) `keys` holding values of any shape.
fn shaped_object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            select(keys),
            prop_oneof![6 => json_leaf(), 1 => json_value()],
        ),
        0..=keys.len(),
    )
    .prop_map(|fields| {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    })
}

const ANSWER_KEYS: &[&str] = &[
    "accounts",
    "virtualAccounts",
    "licenses",
    "totalRecords",
    "status",
    "statusMessage",
    "message_code",
];

/// Answer bodies: arbitrary bytes, a shaped answer as text (sometimes cut short or with one
/// byte changed), HTML, deep nesting.
fn answer_bytes() -> impl Strategy<Value = Vec<u8>> {
    let shaped = || {
        (
            shaped_object(ANSWER_KEYS),
            prop::collection::vec(json_value(), 0..4),
        )
            .prop_map(|(mut answer, list)| {
                // The lists mostly hold lists.
                for key in ["accounts", "virtualAccounts", "licenses"] {
                    if answer.get(key).is_some_and(|v| !v.is_array()) && !list.is_empty() {
                        answer[key] = Value::Array(list.clone());
                    }
                }
                answer.to_string().into_bytes()
            })
    };
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        shaped(),
        (shaped(), any::<prop::sample::Index>()).prop_map(|(mut b, at)| {
            b.truncate(at.index(b.len() + 1));
            b
        }),
        (shaped(), any::<prop::sample::Index>(), 1u8..=255).prop_map(|(mut b, at, x)| {
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] ^= x;
            }
            b
        }),
        Just(b"<!DOCTYPE html><html><body>Service Unavailable</body></html>".to_vec()),
        (
            1usize..3000,
            select(&["[", "{\"licenses\":", "{\"accounts\":["][..])
        )
            .prop_map(|(n, open)| open.repeat(n).into_bytes()),
    ]
}

/// Licence records as CSSM lists them: any shape, but no two alike (the client takes a page
/// that starts like the one before as a server ignoring `offset`).
fn distinct_records(max: usize) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(json_value(), 0..max).prop_map(|records| {
        let mut seen = BTreeSet::new();
        records
            .into_iter()
            .filter(|r| seen.insert(r.to_string()))
            .collect()
    })
}

fn acme() -> Account {
    Account::from_value(&json!({"accountName": "Acme", "accountDomain": "acme.com"})).unwrap()
}

fn query() -> LicenseQuery {
    LicenseQuery {
        virtual_accounts: Vec::new(),
        limit: 5,
        offset: 0,
    }
}

// ----- one call, any answer -------------------------------------------------------------------

#[test]
fn any_bytes_from_cssm_are_data_or_a_bad_data_error_for_every_call() {
    let rt = runtime();
    let body = Arc::new(Mutex::new(Vec::new()));
    let answer = body.clone();
    let fake = rt.block_on(serve(move |_| {
        Reply::Bytes(200, answer.lock().unwrap().clone())
    }));
    let h = harness(&fake, settings());
    check(answer_bytes(), |bytes| {
        *body.lock().unwrap() = bytes;
        let (accounts, vas, page) = rt.block_on(within(async {
            (
                h.client.accounts(&token()).await,
                h.client.virtual_accounts(&token(), &acme()).await,
                h.client.license_page(&token(), "acme.com", &query()).await,
            )
        }));
        for error in [accounts.err(), vas.err(), page.err()].iter().flatten() {
            check_error(error)?;
        }
        Ok(())
    });
}

/// `totalRecords` as CSSM may send it, and what the client must make of it (`Err` = bad data).
fn total_records() -> impl Strategy<Value = (Option<Value>, Result<Option<u64>, ()>)> {
    prop_oneof![
        Just((None, Ok(None))),
        Just((Some(Value::Null), Ok(None))),
        any::<u64>().prop_map(|n| (Some(Value::from(n)), Ok(Some(n)))),
        (any::<u64>(), "[ \t]{0,2}", "[ \t]{0,2}")
            .prop_map(|(n, l, r)| (Some(Value::from(format!("{l}{n}{r}"))), Ok(Some(n)))),
        (i64::MIN..0).prop_map(|n| (Some(Value::from(n)), Err(()))),
        Just((Some(json!(1.5)), Err(()))),
        Just((Some(json!("12 records")), Err(()))),
        Just((Some(json!("")), Err(()))),
        Just((Some(json!([12])), Err(()))),
    ]
}

#[test]
fn every_record_of_a_licence_page_is_kept_byte_for_byte_and_its_total_read_leniently() {
    let rt = runtime();
    let body = Arc::new(Mutex::new(Vec::new()));
    let answer = body.clone();
    let fake = rt.block_on(serve(move |_| {
        Reply::Bytes(200, answer.lock().unwrap().clone())
    }));
    let h = harness(&fake, settings());
    let strategy = (
        prop::collection::vec(json_value(), 0..12),
        total_records(),
        prop::collection::vec(("[a-zA-Z]{1,8}", json_leaf()), 0..3),
    );
    check(strategy, |(records, (total, expected_total), extra)| {
        let mut answer = json!({"licenses": records, "status": "SUCCESS"});
        if let Some(total) = total {
            answer["totalRecords"] = total;
        }
        for (key, value) in extra {
            if !ANSWER_KEYS.contains(&key.as_str()) {
                answer[key] = value;
            }
        }
        *body.lock().unwrap() = answer.to_string().into_bytes();
        let page = rt.block_on(within(h.client.license_page(
            &token(),
            "acme.com",
            &query(),
        )));
        match (page, expected_total) {
            (Ok(page), Ok(total)) => {
                let kept: Vec<&str> = page.records.iter().map(|r| r.get()).collect();
                let sent: Vec<String> = records.iter().map(Value::to_string).collect();
                prop_assert_eq!(kept, sent);
                prop_assert_eq!(page.total_records, total);
            }
            (Err(error), Err(())) => check_error(&error)?,
            (page, expected) => {
                return Err(TestCaseError::fail(format!(
                    "{answer} gives {page:?}, not a total of {expected:?}"
                )))
            }
        }
        Ok(())
    });
}

#[test]
fn no_data_found_in_any_case_is_an_empty_page_and_status_error_is_bad_data_with_its_message() {
    let rt = runtime();
    let body = Arc::new(Mutex::new(Vec::new()));
    let answer = body.clone();
    let fake = rt.block_on(serve(move |_| {
        Reply::Bytes(200, answer.lock().unwrap().clone())
    }));
    let h = harness(&fake, settings());
    let strategy = (
        prop::collection::vec(json_value(), 0..4),
        any::<u64>(),
        "[ \t]{0,2}",
        prop_oneof![Just(None), Just(Some("ERROR")), Just(Some("SUCCESS"))],
        "\\PC{0,300}",
        any::<bool>(),
    );
    check(
        strategy,
        |(records, case_mask, pad, status, message, no_data)| {
            let flip = |word: &str| -> String {
                word.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if (case_mask >> (i % 64)) & 1 == 1 {
                            c.to_ascii_lowercase()
                        } else {
                            c
                        }
                    })
                    .collect()
            };
            let mut answer = json!({"licenses": records, "statusMessage": message});
            if no_data {
                answer["message_code"] =
                    Value::from(format!("{pad}{}{pad}", flip("NO DATA FOUND")));
            }
            if let Some(status) = status {
                answer["status"] = Value::from(format!("{pad}{}", flip(status)));
            }
            *body.lock().unwrap() = answer.to_string().into_bytes();
            let page = rt.block_on(within(h.client.license_page(
                &token(),
                "acme.com",
                &query(),
            )));
            match page {
                Ok(page) if no_data => prop_assert!(page.records.is_empty()),
                Ok(page) => {
                    prop_assert_ne!(status, Some("ERROR"));
                    prop_assert_eq!(page.records.len(), records.len());
                }
                Err(error) => {
                    prop_assert!(!no_data && status == Some("ERROR"), "{}", error);
                    check_error(&error)?;
                    let shown: String = message.trim().chars().take(200).collect();
                    prop_assert!(error.to_string().contains(&shown), "{}", error);
                }
            }
            Ok(())
        },
    );
}

// ----- whole fetches --------------------------------------------------------------------------

/// What the fake CSSM of a fetch answers.
#[derive(Debug, Clone, Default)]
struct Script {
    accounts: Vec<u8>,
    /// Domain → its records; a domain not here has none.
    records: BTreeMap<String, Vec<Value>>,
    /// At most this many records per page, whatever the limit.
    cap: usize,
    /// What `totalRecords` claims (`None`: not sent, `Some(None)`: the true count).
    total: Option<Option<Value>>,
    /// Page 1 whatever the offset (a broken server).
    ignores_offset: bool,
    virtual_accounts: Vec<u8>,
    /// These bytes as every licence page instead of pages cut from `records`.
    raw_pages: Option<Vec<u8>>,
}

impl Script {
    fn answer(&self, seen: &Seen) -> Reply {
        if seen.path == "/v2/accounts" {
            return Reply::Bytes(200, self.accounts.clone());
        }
        if seen.path.ends_with("/virtual-accounts") {
            return Reply::Bytes(200, self.virtual_accounts.clone());
        }
        if let Some(page) = &self.raw_pages {
            return Reply::Bytes(200, page.clone());
        }
        let domain = seen
            .path
            .strip_prefix("/v1/accounts/")
            .and_then(|p| p.strip_suffix("/licenses"))
            .map(percent_decoded)
            .unwrap_or_default();
        let data = self.records.get(&domain).cloned().unwrap_or_default();
        let offset = if self.ignores_offset {
            0
        } else {
            (seen.offset() as usize).min(data.len())
        };
        let take = (seen.limit() as usize).min(self.cap.max(1));
        let slice: Vec<&Value> = data[offset..].iter().take(take).collect();
        let mut body = json!({"licenses": slice, "status": "SUCCESS"});
        match &self.total {
            None => {}
            Some(None) => body["totalRecords"] = json!(data.len()),
            Some(Some(claim)) => body["totalRecords"] = claim.clone(),
        }
        Reply::Bytes(200, body.to_string().into_bytes())
    }
}

/// `%XX` decoded, written out here rather than taken from the `url` crate the client uses.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn fetch_fake(rt: &Runtime) -> (FakeCssm, Arc<Mutex<Script>>) {
    let script = Arc::new(Mutex::new(Script::default()));
    let answers = script.clone();
    let fake = rt.block_on(serve(move |seen| answers.lock().unwrap().answer(seen)));
    (fake, script)
}

/// A readable account: every field a string, a domain of its own.
fn readable_account(domain: &str, name: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER", "roles": [{"role": "Smart Account User"}]})
}

/// An account the client cannot read a domain from.
fn domainless_account() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"accountName": "No domain"})),
        Just(json!({"accountName": "Blank", "accountDomain": "  "})),
        Just(json!({"accountName": "Null", "accountDomain": null})),
        Just(json!({"accountDomain": ""})),
    ]
}

#[test]
fn an_account_list_of_n_readable_and_m_domainless_accounts_fetches_n_and_lists_m_missing() {
    let rt = runtime();
    let (fake, script) = fetch_fake(&rt);
    let h = harness(&fake, settings());
    let strategy = (
        prop::collection::btree_map(
            "[a-z]{1,6}\\.example",
            ("\\PC{0,12}", distinct_records(10)),
            0..4,
        ),
        prop::collection::vec(domainless_account(), 0..4),
        any::<u64>(),
        2usize..=6,
        any::<bool>(),
    );
    check(
        strategy,
        |(readable, domainless, order, cap, with_total)| {
            let n = readable.len();
            let m = domainless.len();
            let mut listed: Vec<Value> = readable
                .iter()
                .map(|(domain, (name, _))| readable_account(domain, name))
                .collect();
            for (i, account) in domainless.into_iter().enumerate() {
                let at = (order >> (i * 8)) as usize % (listed.len() + 1);
                listed.insert(at, account);
            }
            let records: BTreeMap<String, Vec<Value>> = readable
                .iter()
                .map(|(domain, (_, records))| (domain.clone(), records.clone()))
                .collect();
            *script.lock().unwrap() = Script {
                accounts: json!({"accounts": listed, "status": "SUCCESS"})
                    .to_string()
                    .into_bytes(),
                records: records.clone(),
                cap,
                total: with_total.then_some(None),
                ignores_offset: false,
                virtual_accounts: br#"{"virtualAccounts": []}"#.to_vec(),
                raw_pages: None,
            };
            let snapshot = rt
                .block_on(within(h.client.fetch_all(
                    &token(),
                    &FetchOptions::default(),
                    &no_progress,
                )))
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(snapshot.licenses.len(), n);
            for (domain, sent) in &records {
                let kept: Vec<String> = snapshot.licenses[domain]
                    .iter()
                    .map(|r| r.get().to_string())
                    .collect();
                let sent: Vec<String> = sent.iter().map(Value::to_string).collect();
                prop_assert_eq!(kept, sent, "{}", domain);
            }
            prop_assert_eq!(snapshot.missing_accounts.len(), m);
            for missing in &snapshot.missing_accounts {
                prop_assert_eq!(
                    missing.reason.as_str(),
                    "CSSM listed this account without a domain"
                );
            }
            prop_assert_eq!(snapshot.accounts.len(), n + m);
            Ok(())
        },
    );
}

/// Domains CSSM might list, including ones that are not path-safe.
const DOMAINS: &[&str] = &[
    "acme.com",
    "big.example",
    ".",
    "..",
    "%2e%2e",
    "%2E.",
    "a/b",
    "a?b",
    "a#b",
    "a%b",
    "a b",
    " acme.com",
    "ünï.example",
    "\u{0}",
    "..%2f..",
    "acme.com/../..",
];

fn any_account() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => (select(DOMAINS), "\\PC{0,8}").prop_map(|(d, n)| readable_account(d, &n)),
        1 => shaped_object(&["accountName", "accountDomain", "accountStatus", "accountType", "roles"]),
        1 => json_leaf(),
    ]
}

/// A fetch's outcome: a bad-data error, or a snapshot whose every licence call went to
/// `/v1/accounts/{domain}/licenses` of an account it lists, each account read asked for by
/// its own domain.
fn check_fetch(fake: &FakeCssm, outcome: Result<Snapshot, CssmError>) -> TestCaseResult {
    let snapshot = match outcome {
        Ok(snapshot) => snapshot,
        Err(error) => return check_error(&error),
    };
    let listed: BTreeSet<String> = snapshot
        .accounts
        .iter()
        .filter_map(|a| a["accountDomain"].as_str().map(String::from))
        .collect();
    let asked: BTreeSet<String> = fake
        .seen()
        .iter()
        .filter(|s| s.method == "POST")
        .map(|s| {
            s.path
                .strip_prefix("/v1/accounts/")
                .and_then(|p| p.strip_suffix("/licenses"))
                .map(percent_decoded)
                .unwrap_or_else(|| format!("(not a licence path: {})", s.path))
        })
        .collect();
    prop_assert!(
        asked.is_subset(&listed),
        "asked {:?} of {:?}",
        asked,
        listed
    );
    for domain in snapshot.licenses.keys() {
        prop_assert!(
            asked.contains(domain),
            "{:?} was not asked for; asked {:?}",
            domain,
            asked
        );
    }
    Ok(())
}

#[test]
fn a_fetch_of_any_account_list_and_paging_finishes_and_asks_each_account_by_its_own_domain() {
    let rt = runtime();
    let (fake, script) = fetch_fake(&rt);
    let h = harness(&fake, settings());
    let claims = prop_oneof![
        Just(None),
        Just(Some(None)),
        any::<u64>().prop_map(|n| Some(Some(Value::from(n)))),
        Just(Some(Some(Value::from(u64::MAX)))),
        (0u64..40).prop_map(|n| Some(Some(Value::from(n)))),
        json_leaf().prop_map(|v| Some(Some(v))),
    ];
    let strategy = (
        prop_oneof![
            3 => prop::collection::vec(any_account(), 0..5)
                .prop_map(|a| json!({"accounts": a}).to_string().into_bytes()),
            1 => answer_bytes(),
        ],
        prop::collection::btree_map(
            select(DOMAINS).prop_map(String::from),
            distinct_records(12),
            0..4,
        ),
        2usize..=6,
        claims,
        any::<bool>(),
        answer_bytes(),
    );
    check(
        strategy,
        |(accounts, records, cap, total, ignores_offset, virtual_accounts)| {
            *script.lock().unwrap() = Script {
                accounts,
                records,
                cap,
                total,
                ignores_offset,
                virtual_accounts,
                raw_pages: None,
            };
            fake.log.lock().unwrap().clear();
            let options = FetchOptions {
                with_virtual_accounts: true,
                ..FetchOptions::default()
            };
            let outcome = rt.block_on(within(h.client.fetch_all(&token(), &options, &no_progress)));
            check_fetch(&fake, outcome)
        },
    );
}

// ----- snapshot files -------------------------------------------------------------------------

#[test]
fn any_bytes_as_a_snapshot_file_are_read_or_refused_and_a_read_one_writes_back_the_same() {
    let shaped = (
        prop::collection::vec(json_value(), 0..4),
        prop::collection::btree_map("\\PC{0,8}", prop::collection::vec(json_value(), 0..4), 0..3),
        prop::collection::vec("\\PC{0,12}", 0..3),
        prop_oneof![
            Just(None),
            Just(Some("slbot-cssm-snapshot/1")),
            Just(Some("other/1"))
        ],
    )
        .prop_map(|(accounts, licenses, warnings, format)| {
            let mut s = json!({"accounts": accounts, "licenses": licenses, "warnings": warnings});
            if let Some(format) = format {
                s["format"] = Value::from(format);
            }
            s.to_string().into_bytes()
        });
    check(prop_oneof![answer_bytes(), shaped], |bytes| {
        let snapshot = match Snapshot::from_json_slice(&bytes) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                prop_assert!(!error.to_string().is_empty());
                return Ok(());
            }
        };
        let written =
            serde_json::to_vec(&snapshot).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back =
            Snapshot::from_json_slice(&written).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Accounts are `serde_json::Value`s: their text fields come back as they were (a float
        // may move by one ulp, serde_json's float parsing does not round-trip exactly).
        prop_assert_eq!(back.accounts.len(), snapshot.accounts.len());
        for (again, first) in back.accounts.iter().zip(&snapshot.accounts) {
            prop_assert_eq!(
                &again["accountDomain"].as_str(),
                &first["accountDomain"].as_str()
            );
            prop_assert_eq!(
                &again["accountName"].as_str(),
                &first["accountName"].as_str()
            );
        }
        prop_assert_eq!(back.license_count(), snapshot.license_count());
        for (domain, records) in &snapshot.licenses {
            let again: Vec<&str> = back.licenses[domain].iter().map(|r| r.get()).collect();
            let first: Vec<&str> = records.iter().map(|r| r.get()).collect();
            prop_assert_eq!(again, first);
        }
        prop_assert_eq!(&back.warnings, &snapshot.warnings);
        Ok(())
    });
}

/// Each corpus file is, in turn, every answer of one call of each kind; the account list of
/// a fetch whose licence pages are honest; and every licence page (whatever the offset) of a
/// fetch over two accounts. Each fetch finishes and asks each account by its own domain.
#[test]
fn every_answer_of_the_corpus_is_read_or_refused_by_each_call_and_each_fetch_finishes() {
    let rt = runtime();
    let (fake, script) = fetch_fake(&rt);
    let h = harness(&fake, settings());
    let two_accounts = json!({"accounts": [readable_account("acme.com", "Acme"), readable_account("big.example", "Big")]});
    let options = FetchOptions {
        with_virtual_accounts: true,
        ..FetchOptions::default()
    };
    for (name, bytes) in corpus("cssm-answer") {
        let fail =
            |what: &str, failure: TestCaseError| panic!("corpus file {name}, {what}: {failure}");
        // 1. As the answer of each call.
        *script.lock().unwrap() = Script {
            accounts: bytes.clone(),
            virtual_accounts: bytes.clone(),
            raw_pages: Some(bytes.clone()),
            ..Script::default()
        };
        let (accounts, vas, page) = rt.block_on(within(async {
            (
                h.client.accounts(&token()).await,
                h.client.virtual_accounts(&token(), &acme()).await,
                h.client.license_page(&token(), "acme.com", &query()).await,
            )
        }));
        for error in [accounts.err(), vas.err(), page.err()].iter().flatten() {
            check_error(error).unwrap_or_else(|f| fail("one call", f));
        }
        // 2. As the account list of a fetch, 3. as every licence page of one.
        let fetches = [
            Script {
                accounts: bytes.clone(),
                cap: 5,
                total: Some(None),
                virtual_accounts: bytes.clone(),
                ..Script::default()
            },
            Script {
                accounts: two_accounts.to_string().into_bytes(),
                virtual_accounts: bytes.clone(),
                raw_pages: Some(bytes.clone()),
                ..Script::default()
            },
        ];
        for (what, fetch) in ["the account list", "every licence page"]
            .into_iter()
            .zip(fetches)
        {
            *script.lock().unwrap() = fetch;
            fake.log.lock().unwrap().clear();
            let outcome = rt.block_on(within(h.client.fetch_all(&token(), &options, &no_progress)));
            check_fetch(&fake, outcome).unwrap_or_else(|f| fail(what, f));
        }
        if let Err(error) = Snapshot::from_json_slice(&bytes) {
            assert!(!error.to_string().is_empty(), "corpus file {name}");
        }
    }
}
