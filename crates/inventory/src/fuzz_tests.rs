//! Property ("fuzz") tests of the snapshot loader: CSSM's licence and account JSON read into
//! the model record by record, an unreadable record skipped with a warning.
//!
//! Every property runs a fixed budget ([`CASES`], or `PROPTEST_CASES` when set) of bounded
//! inputs, each on a watchdog thread ([`finishes`]) so a hang fails the case instead of
//! stalling CI. A failing case is shrunk, saved in `proptest-regressions/fuzz_tests.txt` and
//! replayed first on every later run. The seed corpus (`tests/corpus/snapshot/`) runs in full
//! every time. Expected counts come from how the input was built; expected instants from
//! chrono, not from [`crate::date`].

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

use crate::*;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;
/// How long one input may take (debug build, shared CI cores): generous, it only catches hangs.
const LIMIT: Duration = Duration::from_secs(10);
/// 2026-11-28T00:00:00Z.
const NOW: i64 = 1_795_824_000;

fn budget() -> ProptestConfig {
    // `default()` reads the PROPTEST_* variables and persists failures next to the source.
    let config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config
    } else {
        ProptestConfig {
            cases: CASES,
            ..config
        }
    }
}

/// Runs `work` on its own thread; a case that does not finish within [`LIMIT`] fails.
fn finishes<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    match result.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the input took more than {LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the loader panicked (see above)"),
    }
}

/// The seed corpus of `target`: (file name, bytes), in name order.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    files.sort();
    let corpus: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            (name.into_owned(), bytes)
        })
        .collect();
    assert!(corpus.len() >= 10, "the {target} corpus is too small");
    corpus
}

/// What the loader makes of `bytes`, and every report of it computed and rendered (JSON,
/// table, CSV; XLSX when `xlsx`) over no filter, and computed over the first VA name and an
/// unknown account. `Err` is the
/// load error's sentence.
fn load_and_report(bytes: Vec<u8>, now: i64, xlsx: bool) -> Result<(usize, usize), String> {
    finishes(move || {
        let inventory =
            Inventory::from_json_slice(&bytes, &Catalog::shipped()).map_err(|e| e.to_string())?;
        let mut filters = vec![Filters::none()];
        if let Some(va) = inventory.virtual_account_names().first() {
            filters.push(Filters {
                accounts: Vec::new(),
                vas: vec![va.to_string()],
            });
        }
        filters.push(Filters {
            accounts: vec!["no such account".into()],
            vas: Vec::new(),
        });
        for filter in &filters {
            for kind in ReportKind::ALL.iter().copied().chain([ReportKind::Expiring(
                Days::new(Days::MAX).unwrap_or(Days::DEFAULT),
            )]) {
                let report = match inventory.report_at(kind, now, filter) {
                    Ok(report) => report,
                    Err(unknown) => {
                        assert!(!unknown.sentence().is_empty());
                        continue;
                    }
                };
                let _ = report.to_json_string();
                if !filter.is_empty() {
                    // The renderers are the same over fewer rows: once, unfiltered, is enough.
                    continue;
                }
                let _ = report.to_table();
                if kind.has_file_formats() {
                    report
                        .to_csv()
                        .map_err(|e| format!("CSV of {kind:?}: {e}"))?;
                    if xlsx {
                        report
                            .to_xlsx()
                            .map_err(|e| format!("XLSX of {kind:?}: {e}"))?;
                    }
                }
            }
        }
        Ok((inventory.record_count(), inventory.warnings().len()))
    })
}

// ----- generators -----------------------------------------------------------------------------

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "-1e308",
    "1.5",
    "2.5",
    "-2.5",
    "4.9e-324",
    "123456789012345678901234567890",
];
const TEXTS: &[&str] = &[
    "",
    " ",
    "100",
    " 42 ",
    "1e400",
    "NaN",
    "inf",
    "-",
    "lots",
    "true",
    "FALSE",
    "0x10",
    "DEFAULT",
    "Shared Services",
    " Lab ",
    "\u{0}",
    "\u{feff}",
    "İ",
    "👍🏽",
    "a\u{301}",
    "\u{202e}evil",
    "NO DATA FOUND",
    "ERROR",
];
const DATES: &[&str] = &[
    "2026-12-01",
    "2026-12-01T10:00:00Z",
    "2026-12-01T12:00:00+02:00",
    "2026-12-01T10:00:00.123Z",
    "2026-12-01T10:00:00",
    "12/01/26 10:00",
    "1/2/26 3:04",
    "0000-01-01",
    "9999-12-31T23:59:60Z",
    "2026-02-29",
    "2024-02-29",
    "2026-13-01",
    "2026-12-32",
    "2026-12-01T24:00",
    "2026-12-01T10:00:00+24:00",
    "2026-12-01T10:00:00.Z",
    "2026-12-01T10:00:00+0200",
    "2026-12-01T10:00:00-02",
    "+275760-09-13",
    "-0001-01-01",
    "12/01/26",
    "99/99/99 99:99",
    "１２/01/26 10:00",
    "2026-12-01 ",
    " 2026-12-01",
    "never",
    "",
    "2026-12-01T10:00:00.999999999999999999999Z",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    let number = |text: &&str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(NUMBERS).prop_map(move |t| number(&t)),
        select(TEXTS).prop_map(Value::from),
        select(DATES).prop_map(Value::from),
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

/// Mostly scalars of any type, sometimes a structure: the value of a field that should hold
/// a number, a text or a date.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![6 => json_leaf(), 1 => json_value()]
}

/// An object with (some of) the right keys holding values of any shape.
fn shaped_object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((select(keys), field_value()), 0..=keys.len()).prop_map(|fields| {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    })
}

const ACCOUNT_KEYS: &[&str] = &[
    "accountName",
    "accountDomain",
    "accountStatus",
    "accountType",
    "roles",
];
const RECORD_KEYS: &[&str] = &[
    "license",
    "virtualAccount",
    "quantity",
    "inUse",
    "available",
    "status",
    "billingType",
    "pendingQuantity",
    "reserved",
    "isPortable",
    "ahaApps",
    "licenseSubstitutions",
];
const LINE_KEYS: &[&str] = &[
    "licenseType",
    "quantity",
    "startDate",
    "endDate",
    "subscriptionId",
    "status",
];
const DOMAINS: &[&str] = &[
    "acme.com",
    "big.example",
    "",
    " acme.com",
    "ACME.COM",
    "ünï.example",
];

fn shaped_line() -> impl Strategy<Value = Value> {
    prop_oneof![8 => shaped_object(LINE_KEYS), 1 => json_leaf()]
}

fn shaped_record() -> impl Strategy<Value = Value> {
    let details = prop_oneof![
        6 => prop::collection::vec(shaped_line(), 0..4).prop_map(Value::Array),
        1 => json_leaf(),
    ];
    (
        shaped_object(RECORD_KEYS),
        prop::option::weighted(0.8, details),
    )
        .prop_map(|(mut record, details)| {
            if let (Value::Object(object), Some(details)) = (&mut record, details) {
                object.insert("licenseDetails".into(), details);
            }
            record
        })
}

fn shaped_account() -> impl Strategy<Value = Value> {
    let roles = prop::collection::vec(
        prop_oneof![
            4 => (field_value(), field_value()).prop_map(|(role, va)| json!({"role": role, "virtualAccount": va})),
            1 => json_leaf(),
        ],
        0..3,
    );
    (
        shaped_object(ACCOUNT_KEYS),
        select(DOMAINS),
        any::<bool>(),
        roles,
    )
        .prop_map(|(mut account, domain, real_domain, roles)| {
            if let Value::Object(object) = &mut account {
                if real_domain {
                    object.insert("accountDomain".into(), Value::from(domain));
                }
                object.insert("roles".into(), Value::Array(roles));
            }
            account
        })
}

/// A snapshot of the right outline whose accounts, virtual accounts and records have any shape.
fn shaped_snapshot() -> impl Strategy<Value = Value> {
    let licenses = prop::collection::btree_map(
        select(DOMAINS).prop_map(String::from),
        prop::collection::vec(prop_oneof![8 => shaped_record(), 1 => json_value()], 0..8),
        0..3,
    );
    let vas = prop::collection::btree_map(
        select(DOMAINS).prop_map(String::from),
        prop::collection::vec(shaped_object(&["name", "isDefault", "description"]), 0..4),
        0..3,
    );
    (
        prop::collection::vec(prop_oneof![8 => shaped_account(), 1 => json_leaf()], 0..4),
        licenses,
        prop::option::of(vas),
        prop::collection::vec("\\PC{0,20}", 0..2),
    )
        .prop_map(|(accounts, licenses, vas, warnings)| {
            let mut snapshot =
                json!({"accounts": accounts, "licenses": licenses, "warnings": warnings});
            if let Some(vas) = vas {
                snapshot["virtualAccounts"] = json!(vas);
            }
            snapshot
        })
}

/// Bytes: arbitrary, a shaped snapshot as text (sometimes cut short or with one byte
/// changed), or deep nesting.
fn snapshot_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        shaped_snapshot().prop_map(|s| s.to_string().into_bytes()),
        (shaped_snapshot(), any::<prop::sample::Index>()).prop_map(|(s, at)| {
            let mut bytes = s.to_string().into_bytes();
            bytes.truncate(at.index(bytes.len() + 1));
            bytes
        }),
        (shaped_snapshot(), any::<prop::sample::Index>(), 1u8..=255).prop_map(|(s, at, x)| {
            let mut bytes = s.to_string().into_bytes();
            let i = at.index(bytes.len());
            bytes[i] ^= x;
            bytes
        }),
        (
            1usize..5000,
            select(&["[", "{\"a\":", "{\"accounts\":["][..])
        )
            .prop_map(|(n, open)| open.repeat(n).into_bytes()),
    ]
}

/// A record the loader must take as it is: a name, a VA, numbers, lines with readable dates.
fn good_record() -> impl Strategy<Value = (Value, usize)> {
    let line = (
        "[A-Z]{0,8}",
        any::<i32>(),
        prop_oneof![
            Just(Value::Null),
            (0i32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}"))),
            (0i64..253_402_300_799).prop_map(|s| Value::from(date::ymd(s))),
        ],
    )
        .prop_map(|(ty, qty, end)| json!({"licenseType": ty, "quantity": qty, "startDate": "2020-01-01", "endDate": end}));
    (
        "[A-Za-z][A-Za-z0-9 ]{0,15}",
        "[A-Za-z0-9 _-]{0,10}",
        prop_oneof![any::<i32>().prop_map(Value::from), any::<u16>().prop_map(|n| Value::from(n.to_string())), Just(Value::Null)],
        any::<i64>(),
        prop::collection::vec(line, 0..3),
    )
        .prop_map(|(license, va, quantity, in_use, lines)| {
            let n = lines.len();
            (json!({"license": license, "virtualAccount": va, "quantity": quantity, "inUse": in_use,
                    "reserved": true, "isPortable": "TRUE", "licenseDetails": lines}), n)
        })
}

/// A record no loader can read, each for another reason.
fn bad_record() -> impl Strategy<Value = Value> {
    let base = || json!({"license": "Alpha", "virtualAccount": "DEFAULT", "quantity": 1});
    let with = move |key: &'static str, value: Value| {
        let mut record = base();
        record[key] = value;
        record
    };
    let without = move |key: &'static str| {
        let mut record = base();
        if let Value::Object(object) = &mut record {
            object.remove(key);
        }
        record
    };
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,10}".prop_map(Value::from),
        Just(json!([{"license": "Alpha", "virtualAccount": "DEFAULT"}])),
        Just(without("license")),
        Just(with("license", json!(""))),
        Just(with("license", Value::Null)),
        Just(with("license", json!({"name": "Alpha"}))),
        Just(with("license", json!(["Alpha"]))),
        Just(without("virtualAccount")),
        Just(with("virtualAccount", Value::Null)),
        Just(with("virtualAccount", json!({}))),
        Just(with("quantity", json!({"value": 1}))),
        Just(with("inUse", json!([1]))),
        Just(with("reserved", json!({}))),
        Just(with("licenseDetails", json!("none"))),
        Just(with("licenseDetails", json!({"licenseType": "TERM"}))),
        Just(with("licenseDetails", json!([1]))),
        Just(with(
            "licenseDetails",
            json!([{"endDate": {"date": "2026-12-01"}}])
        )),
    ]
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn any_bytes_are_an_inventory_or_a_load_error_and_never_a_panic(bytes in snapshot_bytes()) {
        if let Err(sentence) = load_and_report(bytes, NOW, false) {
            prop_assert!(!sentence.is_empty() && !sentence.starts_with("CSV") && !sentence.starts_with("XLSX"), "{}", sentence);
        }
    }

    #[test]
    fn a_snapshot_of_any_shape_loads_and_every_report_of_it_renders(
        snapshot in shaped_snapshot(),
        // Any instant from year 1 to year 9999 (what `--now` can name).
        now in -62_135_596_800i64..253_402_300_799,
    ) {
        let outcome = load_and_report(snapshot.to_string().into_bytes(), now, false);
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    }

    #[test]
    fn a_page_of_n_good_and_m_bad_records_loads_n_records_with_m_warnings(
        good in prop::collection::vec(good_record(), 0..8),
        bad in prop::collection::vec(bad_record(), 0..8),
        order in any::<u64>(),
        second_account in any::<bool>(),
    ) {
        let (n, m) = (good.len(), bad.len());
        let lines: usize = good.iter().map(|(_, lines)| lines).sum();
        // Interleave good and bad rows in an order drawn from `order`.
        let mut good_rows = good.into_iter().map(|(record, _)| record);
        let mut bad_rows = bad.into_iter();
        let mut page = Vec::new();
        for i in 0..n + m {
            let take_bad = (order >> (i % 64)) & 1 == 1;
            match (take_bad, bad_rows.len(), good_rows.len()) {
                (true, 1.., _) | (_, 1.., 0) => page.extend(bad_rows.next()),
                _ => page.extend(good_rows.next()),
            }
        }
        let half = page.len() / 2;
        let licenses = if second_account {
            json!({"acme.com": page[..half], "big.example": page[half..]})
        } else {
            json!({"acme.com": page})
        };
        let snapshot = json!({
            "accounts": [
                {"accountName": "Acme", "accountDomain": "acme.com"},
                {"accountName": "Big", "accountDomain": "big.example"},
            ],
            "licenses": licenses,
        });
        let bytes = snapshot.to_string().into_bytes();
        let inventory = finishes(move || Inventory::from_json_slice(&bytes, &Catalog::empty()).map_err(|e| e.to_string()));
        let inventory = match inventory {
            Ok(inventory) => inventory,
            Err(e) => return Err(TestCaseError::fail(e)),
        };
        prop_assert_eq!(inventory.record_count(), n);
        prop_assert_eq!(inventory.line_count(), lines);
        prop_assert_eq!(inventory.warnings().len(), m, "{:?}", inventory.warnings());
        for warning in inventory.warnings() {
            prop_assert!(warning.starts_with("Skipped a license record of account "), "{}", warning);
        }
    }

    #[test]
    fn every_accepted_date_form_reads_as_the_instant_it_names(
        (y, m, d) in (0i32..=9999, 1u32..=12, 1u32..=31),
        (h, mi, s) in (0u32..24, 0u32..60, 0u32..60),
        offset_minutes in -(23 * 60 + 59)..=(23i32 * 60 + 59),
        fraction in "[0-9]{1,12}",
        form in 0usize..6,
    ) {
        let Some(day) = NaiveDate::from_ymd_opt(y, m, d) else {
            // No such day: no form of it reads.
            prop_assert_eq!(date::parse(&format!("{y:04}-{m:02}-{d:02}")), None);
            return Ok(());
        };
        let at = |h, mi, s| day.and_hms_opt(h, mi, s).map(|t| t.and_utc().timestamp());
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let (oh, om) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
        let (text, expected) = match form {
            0 => (format!("{y:04}-{m:02}-{d:02}"), at(0, 0, 0)),
            1 => (format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"), at(h, mi, s)),
            2 => (
                format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{fraction}{sign}{oh:02}:{om:02}"),
                at(h, mi, s).map(|t| t - i64::from(offset_minutes) * 60),
            ),
            3 => (format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}"), at(h, mi, 0)),
            4 => (format!("  {y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}\t"), at(h, mi, s)),
            _ => {
                // Legacy `M/D/YY HH:MM`: the year is 2000 + YY.
                let legacy = NaiveDate::from_ymd_opt(2000 + y % 100, m, d)
                    .and_then(|day| day.and_hms_opt(h, mi, 0))
                    .map(|t| t.and_utc().timestamp());
                (format!("{m}/{d}/{:02} {h:02}:{mi:02}", y % 100), legacy)
            }
        };
        prop_assert_eq!(date::parse(&text), expected, "{:?}", text);
    }

    #[test]
    fn any_text_as_a_date_is_an_instant_or_unknown_and_never_a_panic(
        text in prop_oneof![select(DATES).prop_map(String::from), "\\PC{0,40}", "[0-9:/T.Z+ -]{0,30}"],
    ) {
        let parsed = finishes({ let text = text.clone(); move || date::parse(&text) });
        if let Some(seconds) = parsed {
            // Whatever it read is a day of years 0..=9999 (plus or minus a zone offset).
            let (year, _, _) = date::civil(seconds);
            prop_assert!((-1..=10_000).contains(&year), "{:?} gives year {}", text, year);
        }
    }
}

#[test]
fn every_snapshot_of_the_corpus_loads_or_is_refused_and_its_reports_render() {
    for (name, bytes) in corpus("snapshot") {
        if let Err(sentence) = load_and_report(bytes, NOW, true) {
            assert!(
                !sentence.starts_with("CSV") && !sentence.starts_with("XLSX"),
                "corpus file {name}: {sentence}"
            );
        }
    }
}

/// The bad-record generator stays honest: each of its shapes is skipped with one warning on
/// its own (so the N + M property counts what it claims to).
#[test]
fn each_kind_of_bad_record_alone_is_skipped_with_one_warning() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        let record = match bad_record().new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(e) => panic!("{e}"),
        };
        let snapshot = json!({"accounts": [{"accountDomain": "acme.com"}], "licenses": {"acme.com": [record]}});
        let inventory =
            Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::empty())
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (inventory.record_count(), inventory.warnings().len()),
            (0, 1),
            "{record} gives {:?}",
            inventory.warnings()
        );
    }
}
