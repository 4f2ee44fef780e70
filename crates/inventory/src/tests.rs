//! Unit tests pinning every rule of reports.md §1–§3 on small hand-written snapshots.
//! Expected values are written out by hand (or computed by a naive loop in the test),
//! never by calling the code under test a second time.

use serde_json::{json, Value};

use crate::*;

/// 2026-11-28T00:00:00Z (`date -u -d 2026-11-28 +%s`).
const NOW: i64 = 1_795_824_000;
const DAY: i64 = 86_400;

const TEST_CATALOG: &str = r#"{
  "Alpha License": {"architecture": "Security", "subArchitecture": "Network Security"},
  "Beta License": {"architecture": "Enterprise Networking", "subArchitecture": "Wireless"},
  "Gamma License": {"architecture": "Data Center", "subArchitecture": "Compute"}
}"#;

fn catalog() -> Catalog {
    Catalog::from_json(TEST_CATALOG).unwrap()
}

fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER", "roles": [{"role": "Smart Account User"}]})
}

fn line(ty: &str, qty: i64, end: Value) -> Value {
    json!({"licenseType": ty, "quantity": qty, "startDate": "2020-01-01", "endDate": end,
           "subscriptionId": null, "status": "ACTIVE"})
}

fn record(license: &str, va: &str, qty: i64, in_use: i64, lines: Vec<Value>) -> Value {
    json!({"license": license, "virtualAccount": va, "quantity": qty, "inUse": in_use,
           "available": qty - in_use, "status": "In Compliance", "billingType": "PREPAID",
           "pendingQuantity": 0, "reserved": 0, "isPortable": false,
           "licenseSubstitutions": [], "licenseDetails": lines})
}

/// A date `days` after NOW as `YYYY-MM-DD` (NOW is midnight, so this is exact).
fn day(days: i64) -> Value {
    Value::String(crate::date::ymd(NOW + days * DAY))
}

fn load(snapshot: Value) -> Inventory {
    Inventory::from_json_slice(snapshot.to_string().as_bytes(), &catalog()).unwrap()
}

/// One account `Acme` (acme.com) holding `records`.
fn one_account(records: Vec<Value>) -> Inventory {
    load(json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": records}}))
}

fn run(inv: &Inventory, kind: ReportKind) -> Report<'_> {
    inv.report_at(kind, NOW, &Filters::none()).unwrap()
}

fn json_of(inv: &Inventory, kind: ReportKind) -> Value {
    run(inv, kind).to_json()
}

fn days(n: u32) -> Days {
    Days::new(n).unwrap()
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

/// `(license, quantity)` of each line row, in report order.
fn line_ids(section: &LinesSection<'_>) -> Vec<(String, i64)> {
    section
        .items
        .iter()
        .map(|l| (l.license.to_string(), l.quantity))
        .collect()
}

fn lines_of<'a>(r: &'a Report<'a>) -> &'a LinesSection<'a> {
    match &r.body {
        ReportBody::Expired(s) | ReportBody::Expiring(_, s) => s,
        other => panic!("not a line report: {other:?}"),
    }
}

fn records_of<'a>(r: &'a Report<'a>) -> &'a RecordsSection<'a> {
    match &r.body {
        ReportBody::Shortages(s) | ReportBody::Usage(s) => s,
        other => panic!("not a record report: {other:?}"),
    }
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::Reader::from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn csv_header(bytes: &[u8]) -> Vec<String> {
    csv::Reader::from_reader(bytes)
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------- §1 dates

#[test]
fn every_accepted_date_form_is_read_as_the_same_utc_day() {
    // All six mean 2026-12-01 (10:00 UTC or midnight): 3 days after NOW, so expiring in 30.
    let forms = [
        "2026-12-01",
        "2026-12-01T10:00:00Z",
        "2026-12-01T12:00:00+02:00",
        "2026-12-01T10:00:00.123Z",
        "2026-12-01T10:00:00",
        "12/01/26 10:00",
    ];
    let lines = forms.iter().map(|f| line("TERM", 1, json!(f))).collect();
    let inv = one_account(vec![record("Alpha License", "DEFAULT", 6, 0, lines)]);
    let v = json_of(&inv, ReportKind::Expiring(days(30)));
    assert_eq!(v["count"], 6);
    for item in items(&v) {
        assert_eq!(item["endDate"], "2026-12-01");
    }
    assert!(inv.warnings().is_empty(), "{:?}", inv.warnings());
}

#[test]
fn a_date_only_end_is_midnight_so_it_expires_before_a_timestamp_of_the_same_day() {
    let inv = one_account(vec![
        record(
            "Alpha License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!("2026-12-01"))],
        ),
        record(
            "Beta License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!("2026-12-01T18:00:00Z"))],
        ),
    ]);
    // Noon on 2026-12-01: the date-only line ended at midnight, the timestamp not yet.
    let noon = NOW + 3 * DAY + 12 * 3600;
    let expired = inv
        .report_at(ReportKind::Expired, noon, &Filters::none())
        .unwrap();
    assert_eq!(
        line_ids(lines_of(&expired)),
        vec![("Alpha License".into(), 1)]
    );
    let expiring = inv
        .report_at(ReportKind::Expiring(days(1)), noon, &Filters::none())
        .unwrap();
    assert_eq!(
        line_ids(lines_of(&expiring)),
        vec![("Beta License".into(), 1)]
    );
}

#[test]
fn a_null_or_missing_end_date_never_expires() {
    let mut missing = line("PERPETUAL", 3, Value::Null);
    missing.as_object_mut().unwrap().remove("endDate");
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        5,
        0,
        vec![line("PERPETUAL", 2, Value::Null), missing],
    )]);
    assert_eq!(json_of(&inv, ReportKind::Expired)["count"], 0);
    assert_eq!(json_of(&inv, ReportKind::Expiring(days(3650)))["count"], 0);
    let csv = run(&inv, ReportKind::Export).to_csv().unwrap();
    for row in csv_rows(&csv) {
        assert_eq!(row[21], "", "endDate of a perpetual line is empty");
        assert_eq!(row[22], "", "daysToExpiry of a perpetual line is empty");
    }
}

#[test]
fn an_unreadable_end_date_is_unknown_expiry_counted_in_warnings_and_shown_raw() {
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        3,
        0,
        vec![
            line("TERM", 1, json!("31.12.2024")),
            line("TERM", 2, json!("next year")),
        ],
    )]);
    assert_eq!(json_of(&inv, ReportKind::Expired)["count"], 0);
    assert_eq!(json_of(&inv, ReportKind::Expiring(days(3650)))["count"], 0);
    let w = inv.warnings().join("\n");
    assert!(
        w.contains("2 entitlement lines have an expiry date I could not read"),
        "{w}"
    );
    let rows = csv_rows(&run(&inv, ReportKind::Export).to_csv().unwrap());
    assert_eq!(rows[0][21], "31.12.2024");
    assert_eq!(rows[1][21], "next year");
    assert_eq!(rows[0][22], "", "no daysToExpiry for an unknown expiry");
}

// ---------------------------------------------------------------- §1 numbers, records, names

#[test]
fn missing_numbers_count_as_zero_and_numeric_strings_are_read() {
    let inv = one_account(vec![
        json!({"license": "Alpha License", "virtualAccount": "DEFAULT",
               "licenseDetails": [{"licenseType": "TERM", "endDate": "2027-01-01"}]}),
        json!({"license": "Beta License", "virtualAccount": "DEFAULT",
               "quantity": "100", "inUse": " 130 ", "available": null}),
    ]);
    let csv = run(&inv, ReportKind::Export).to_csv().unwrap();
    let rows = csv_rows(&csv);
    // Alpha: quantity, inUse, available, pendingQuantity, reserved, lineQuantity all 0.
    assert_eq!(rows[0][5], "Alpha License");
    assert_eq!(
        (
            &rows[0][8],
            &rows[0][9],
            &rows[0][10],
            &rows[0][15],
            &rows[0][16],
            &rows[0][19]
        ),
        (
            &"0".into(),
            &"0".into(),
            &"0".into(),
            &"0".into(),
            &"0".into(),
            &"0".into()
        )
    );
    assert_eq!(rows[0][12], "", "no utilization when quantity is 0");
    let v = json_of(&inv, ReportKind::Shortages);
    assert_eq!(v["count"], 1);
    assert_eq!(items(&v)[0]["quantity"], 100);
    assert_eq!(items(&v)[0]["inUse"], 130);
    assert_eq!(items(&v)[0]["shortage"], 30);
}

#[test]
fn a_number_that_is_not_a_number_counts_as_zero_with_a_warning() {
    let inv = one_account(vec![
        json!({"license": "Alpha License", "virtualAccount": "DEFAULT",
                                       "quantity": "lots", "inUse": 2}),
    ]);
    assert_eq!(
        json_of(&inv, ReportKind::Shortages)["items"][0]["shortage"],
        2
    );
    assert!(inv
        .warnings()
        .iter()
        .any(|w| w.contains("quantity \"lots\" is not a number")));
}

#[test]
fn an_unreadable_record_is_skipped_with_a_warning_naming_account_va_and_license() {
    let inv = one_account(vec![
        record("Alpha License", "DEFAULT", 5, 1, vec![]),
        json!({"license": "Broken License ", "virtualAccount": "Lab", "licenseDetails": "oops"}),
        json!("not even an object"),
        json!({"virtualAccount": "Lab", "quantity": 1}),
        record("Beta License", "Lab", 2, 1, vec![]),
    ]);
    assert_eq!(inv.record_count(), 2, "the readable records still load");
    let w = inv.warnings();
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(
        w[0].contains("Acme") && w[0].contains("Lab") && w[0].contains("Broken License"),
        "{}",
        w[0]
    );
    assert!(
        w[0].contains("invalid type"),
        "the warning says why: {}",
        w[0]
    );
    assert!(w[1].contains("not a JSON object"), "{}", w[1]);
    assert!(w[2].contains("no license name"), "{}", w[2]);
    assert!(
        !w.iter().any(|x| x.contains("Raw")),
        "no internal type names: {w:?}"
    );
}

#[test]
fn names_are_kept_byte_for_byte_and_trimmed_only_for_the_catalogue() {
    let inv = load(json!({
        "accounts": [account("Acme Corp ", "acme.com")],
        "licenses": {"acme.com": [record(" alpha license  ", "Shared Services ", 2, 3, vec![])]}
    }));
    let v = json_of(&inv, ReportKind::Shortages);
    let item = &items(&v)[0];
    assert_eq!(item["account"], "Acme Corp ");
    assert_eq!(item["virtualAccount"], "Shared Services ");
    assert_eq!(item["license"], " alpha license  ");
    let rows = csv_rows(&run(&inv, ReportKind::Export).to_csv().unwrap());
    assert_eq!(rows[0][0], "Acme Corp ");
    assert_eq!(rows[0][5], " alpha license  ");
    assert_eq!(
        (rows[0][6].as_str(), rows[0][7].as_str()),
        ("Security", "Network Security")
    );
}

#[test]
fn the_architecture_is_exact_then_case_insensitive_then_uncategorized() {
    let mut cat = catalog();
    cat.add_json(
        r#"{"beta license": {"architecture": "Lowercase Entry", "subArchitecture": "L"}}"#,
    )
    .unwrap();
    let snap = json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": [
        record("Beta License", "DEFAULT", 1, 1, vec![]),
        record("BETA LICENSE", "DEFAULT", 1, 1, vec![]),
        record("gamma license", "DEFAULT", 1, 1, vec![]),
        record("Unknown Thing", "DEFAULT", 1, 1, vec![]),
    ]}});
    let inv = Inventory::from_json_slice(snap.to_string().as_bytes(), &cat).unwrap();
    let rows = csv_rows(&run(&inv, ReportKind::Export).to_csv().unwrap());
    let arch: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[5].as_str(), r[6].as_str(), r[7].as_str()))
        .collect();
    // Export order is by licence name, byte-wise: "BETA…" < "Beta…" < "Unknown…" < "gamma…".
    assert_eq!(
        arch,
        vec![
            ("BETA LICENSE", "Lowercase Entry", "L"),
            ("Beta License", "Enterprise Networking", "Wireless"),
            ("Unknown Thing", "Uncategorized", ""),
            ("gamma license", "Data Center", "Compute"),
        ]
    );
}

#[test]
fn a_user_catalogue_overrides_the_architecture_used_by_reports() {
    let mut cat = catalog();
    cat.add_json(r#"{"Alpha License": {"architecture": "Collaboration"}}"#)
        .unwrap();
    let snap = json!({"accounts": [account("Acme", "acme.com")],
        "licenses": {"acme.com": [record("Alpha License", "DEFAULT", 4, 4, vec![])]}});
    let inv = Inventory::from_json_slice(snap.to_string().as_bytes(), &cat).unwrap();
    let v = json_of(&inv, ReportKind::Mix);
    assert_eq!(
        v["accounts"][0]["architectures"][0]["name"],
        "Collaboration"
    );
}

// ---------------------------------------------------------------- §1 loading errors

#[test]
fn a_file_that_is_not_json_says_where_it_breaks() {
    let e = Inventory::from_json_slice(b"{\n  \"accounts\": [\n  oops", &catalog()).unwrap_err();
    match &e {
        LoadError::NotJson { line, column, .. } => assert_eq!((*line, *column), (3, 3)),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("line 3, column 3"), "{e}");
}

#[test]
fn json_that_is_not_a_snapshot_is_refused_with_the_reason() {
    let e = Inventory::from_json_slice(br#"{"hello": "world"}"#, &catalog()).unwrap_err();
    assert!(matches!(e, LoadError::NotSnapshot { .. }), "{e:?}");
    assert!(e.to_string().contains("accounts"), "{e}");
    let e = Inventory::from_json_slice(br#"[1, 2]"#, &catalog()).unwrap_err();
    assert!(matches!(e, LoadError::NotSnapshot { .. }), "{e:?}");
    let e = Inventory::from_json_slice(br#"{"format": "other/2", "accounts": []}"#, &catalog())
        .unwrap_err();
    assert!(e.to_string().contains("other/2"), "{e}");
}

#[test]
fn partial_fetches_keep_missing_accounts_and_warnings_in_every_output() {
    let snap = json!({
        "accounts": [account("Acme", "acme.com"), account("Globex", "globex.com")],
        "licenses": {"acme.com": [record("Alpha License", "DEFAULT", 1, 2, vec![])]},
        "missingAccounts": [{"name": "Globex", "domain": "globex.com", "reason": "CSSM timed out"}],
        "warnings": ["CSSM returned 900 of 1000 records"]
    });
    let inv = load(snap);
    assert!(inv.partial());
    for kind in [
        ReportKind::Accounts,
        ReportKind::Shortages,
        ReportKind::Status,
    ] {
        let v = json_of(&inv, kind);
        assert_eq!(v["partial"], true);
        assert_eq!(
            v["missingAccounts"],
            json!([{"name": "Globex", "domain": "globex.com", "reason": "CSSM timed out"}])
        );
        assert_eq!(v["warnings"], json!(["CSSM returned 900 of 1000 records"]));
    }
    let complete = one_account(vec![]);
    let v = json_of(&complete, ReportKind::Accounts);
    assert_eq!(
        (
            v["partial"].clone(),
            v["missingAccounts"].clone(),
            v["warnings"].clone()
        ),
        (json!(false), json!([]), json!([]))
    );
}

// ---------------------------------------------------------------- §2 expired / expiring

#[test]
fn an_end_date_equal_to_now_is_neither_expired_nor_expiring() {
    let at_now = crate::date::ymd(NOW) + "T00:00:00Z";
    let inv = one_account(vec![
        record(
            "Alpha License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!(at_now))],
        ),
        record(
            "Beta License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!("2026-11-27T23:59:59Z"))],
        ),
        record(
            "Gamma License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!("2026-11-28T00:00:01Z"))],
        ),
    ]);
    let expired = run(&inv, ReportKind::Expired);
    assert_eq!(
        line_ids(lines_of(&expired)),
        vec![("Beta License".into(), 1)]
    );
    let expiring = run(&inv, ReportKind::Expiring(days(1)));
    assert_eq!(
        line_ids(lines_of(&expiring)),
        vec![("Gamma License".into(), 1)]
    );
}

#[test]
fn exactly_now_plus_d_days_is_not_expiring_but_one_second_earlier_is() {
    // NOW + 30 days = 2026-12-28T00:00:00Z.
    let inv = one_account(vec![
        record(
            "Alpha License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!("2026-12-28"))],
        ),
        record(
            "Beta License",
            "DEFAULT",
            1,
            0,
            vec![line("TERM", 1, json!("2026-12-27T23:59:59Z"))],
        ),
    ]);
    let r = run(&inv, ReportKind::Expiring(days(30)));
    assert_eq!(line_ids(lines_of(&r)), vec![("Beta License".into(), 1)]);
    let r = run(&inv, ReportKind::Expiring(days(31)));
    assert_eq!(lines_of(&r).count, 2);
}

#[test]
fn expired_lines_come_most_recent_first_then_by_quantity_descending() {
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        0,
        0,
        vec![
            line("TERM", 5, day(-10)),
            line("TERM", 7, day(-2)),
            line("TERM", 9, day(-10)),
            line("TERM", 1, day(-400)),
            line("TERM", 100, day(5)),
        ],
    )]);
    let r = run(&inv, ReportKind::Expired);
    let s = lines_of(&r);
    let q: Vec<i64> = s.items.iter().map(|l| l.quantity).collect();
    assert_eq!(q, vec![7, 9, 5, 1]);
    assert_eq!((s.count, s.quantity), (4, 22));
    let v = r.to_json();
    assert_eq!(
        (v["count"].clone(), v["quantity"].clone()),
        (json!(4), json!(22))
    );
}

#[test]
fn expiring_lines_come_soonest_first_then_by_quantity_descending() {
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        0,
        0,
        vec![
            line("TERM", 5, day(20)),
            line("TERM", 7, day(3)),
            line("TERM", 9, day(20)),
            line("TERM", 1, day(-1)),
            line("TERM", 2, day(200)),
        ],
    )]);
    let r = run(&inv, ReportKind::Expiring(days(30)));
    let q: Vec<i64> = lines_of(&r).items.iter().map(|l| l.quantity).collect();
    assert_eq!(q, vec![7, 9, 5]);
    let v = r.to_json();
    assert_eq!(v["days"], 30);
    assert_eq!(v["quantity"], 21);
}

#[test]
fn days_must_be_a_whole_number_from_1_to_3650() {
    assert_eq!(Days::parse("1").unwrap().get(), 1);
    assert_eq!(Days::parse("3650").unwrap().get(), 3650);
    for bad in ["0", "3651", "99999", "abc", "2.5", "-1", "", "1e3"] {
        let e = Days::parse(bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "I can look 1 to 3650 days ahead, for example `expire 90`."
        );
    }
    assert_eq!(Days::new(90).unwrap().seconds(), 90 * DAY);
}

// ---------------------------------------------------------------- §2 shortages / usage

#[test]
fn shortages_are_records_using_more_than_they_hold_largest_first() {
    let inv = one_account(vec![
        record("Alpha License", "DEFAULT", 10, 12, vec![]),
        record("Beta License", "DEFAULT", 10, 10, vec![]),
        record("Gamma License", "DEFAULT", 0, 7, vec![]),
        record("Delta License", "DEFAULT", 5, 4, vec![]),
    ]);
    let r = run(&inv, ReportKind::Shortages);
    let got: Vec<(&str, i64)> = records_of(&r)
        .items
        .iter()
        .map(|x| (x.license, x.shortage))
        .collect();
    assert_eq!(got, vec![("Gamma License", 7), ("Alpha License", 2)]);
}

#[test]
fn usage_is_by_utilization_then_in_use_and_skips_empty_or_unused_records() {
    let inv = one_account(vec![
        record("A", "DEFAULT", 2, 1, vec![]),    // 50 %
        record("B", "DEFAULT", 100, 50, vec![]), // 50 %, more in use → before A
        record("C", "DEFAULT", 8, 7, vec![]),    // 87.5 %
        record("D", "DEFAULT", 3, 1, vec![]),    // 33.33… %
        record("E", "DEFAULT", 0, 4, vec![]),    // quantity 0: not in usage
        record("F", "DEFAULT", 9, 0, vec![]),    // nothing in use: not in usage
        record("G", "DEFAULT", 4, 6, vec![]),    // 150 %
    ]);
    let r = run(&inv, ReportKind::Usage);
    let got: Vec<&str> = records_of(&r).items.iter().map(|x| x.license).collect();
    assert_eq!(got, vec!["G", "C", "B", "A", "D"]);
    let v = r.to_json();
    assert_eq!(v["count"], 5);
    assert_eq!(items(&v)[1]["utilization"], 87.5);
    assert_eq!(
        items(&v)[4]["utilization"].as_f64().unwrap(),
        100.0 / 3.0,
        "unrounded"
    );
}

// ---------------------------------------------------------------- §2 identity is never merged

fn two_accounts_same_va() -> Inventory {
    load(json!({
        "accounts": [account("Acme", "acme.com"), account("Globex", "globex.com")],
        "licenses": {
            "acme.com": [
                record("Alpha License", "DEFAULT", 10, 15, vec![line("TERM", 10, day(-1))]),
                record("Alpha License", "Lab", 10, 11, vec![line("TERM", 10, day(-1))]),
            ],
            "globex.com": [
                record("Alpha License", "DEFAULT", 10, 13, vec![line("TERM", 10, day(-1))]),
            ]
        }
    }))
}

#[test]
fn the_same_va_name_in_two_accounts_stays_two_virtual_accounts() {
    let inv = two_accounts_same_va();
    let v = json_of(&inv, ReportKind::VirtualAccounts);
    assert_eq!(
        v["accounts"],
        json!([
            {"name": "Acme", "domain": "acme.com", "virtualAccounts": ["DEFAULT", "Lab"]},
            {"name": "Globex", "domain": "globex.com", "virtualAccounts": ["DEFAULT"]}
        ])
    );
    let shortages = json_of(&inv, ReportKind::Shortages);
    let got: Vec<(String, String, i64)> = items(&shortages)
        .iter()
        .map(|i| {
            (
                i["domain"].as_str().unwrap().into(),
                i["virtualAccount"].as_str().unwrap().into(),
                i["shortage"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("acme.com".into(), "DEFAULT".into(), 5),
            ("globex.com".into(), "DEFAULT".into(), 3),
            ("acme.com".into(), "Lab".into(), 1),
        ]
    );
}

#[test]
fn the_same_license_in_two_vas_stays_two_records() {
    let inv = two_accounts_same_va();
    let r = run(&inv, ReportKind::Expired);
    assert_eq!(lines_of(&r).count, 3);
    assert_eq!(lines_of(&r).quantity, 30);
    let rows = run(&inv, ReportKind::Export);
    assert_eq!(rows.count(), 3);
}

#[test]
fn a_record_without_lines_is_one_export_row_and_in_no_line_report() {
    let inv = one_account(vec![record("Alpha License", "DEFAULT", 3, 1, vec![])]);
    let rows = csv_rows(&run(&inv, ReportKind::Export).to_csv().unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][5], "Alpha License");
    assert_eq!(
        &rows[0][18..],
        &["", "", "", "", "", "", ""].map(String::from)
    );
    assert_eq!(json_of(&inv, ReportKind::Expired)["count"], 0);
}

// ---------------------------------------------------------------- §2 ordering tie-breaks

/// A record in `va` of `license` with one line of `ty`, `sub`, `start`, all expiring on the
/// same day with the same quantity, so only the tie-breaks order them.
fn tie_record(license: &str, va: &str, ty: &str, sub: Value, start: &str) -> Value {
    let mut l = line(ty, 1, day(10));
    l["subscriptionId"] = sub;
    l["startDate"] = json!(start);
    record(license, va, 1, 0, vec![l])
}

#[test]
fn ties_go_to_account_name_then_domain_byte_wise() {
    let inv = load(json!({
        "accounts": [account("acme", "z.com"), account("Acme", "b.com"), account("Acme", "a.com")],
        "licenses": {
            "z.com": [tie_record("L", "V", "T", Value::Null, "2020-01-01")],
            "b.com": [tie_record("L", "V", "T", Value::Null, "2020-01-01")],
            "a.com": [tie_record("L", "V", "T", Value::Null, "2020-01-01")],
        }
    }));
    let v = json_of(&inv, ReportKind::Expiring(days(30)));
    let got: Vec<&str> = items(&v)
        .iter()
        .map(|i| i["domain"].as_str().unwrap())
        .collect();
    // "Acme" < "acme" byte-wise (uppercase first); then domain.
    assert_eq!(got, vec!["a.com", "b.com", "z.com"]);
}

#[test]
fn ties_go_to_va_then_license_then_license_type() {
    let inv = one_account(vec![
        tie_record("L2", "Va", "TERM", Value::Null, "2020-01-01"),
        tie_record("L1", "Vb", "TERM", Value::Null, "2020-01-01"),
        tie_record("L1", "Va", "TERM", Value::Null, "2020-01-01"),
        tie_record("L1", "VA", "TERM", Value::Null, "2020-01-01"),
        tie_record("L1", "Va", "DEMO", Value::Null, "2020-01-01"),
    ]);
    let v = json_of(&inv, ReportKind::Expiring(days(30)));
    let got: Vec<String> = items(&v)
        .iter()
        .map(|i| {
            format!(
                "{}/{}/{}",
                i["virtualAccount"].as_str().unwrap(),
                i["license"].as_str().unwrap(),
                i["licenseType"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "VA/L1/TERM",
            "Va/L1/DEMO",
            "Va/L1/TERM",
            "Va/L2/TERM",
            "Vb/L1/TERM"
        ]
    );
}

#[test]
fn ties_go_to_subscription_id_with_null_last_then_start_date_then_cssm_order() {
    let lines = vec![
        json!({"licenseType": "T", "quantity": 1, "endDate": day(10), "subscriptionId": null, "startDate": "2020-01-01", "status": "first-null"}),
        json!({"licenseType": "T", "quantity": 1, "endDate": day(10), "subscriptionId": "Sub9", "startDate": "2020-01-01", "status": "sub9"}),
        json!({"licenseType": "T", "quantity": 1, "endDate": day(10), "subscriptionId": "Sub1", "startDate": "2021-01-01", "status": "sub1-2021"}),
        json!({"licenseType": "T", "quantity": 1, "endDate": day(10), "subscriptionId": "Sub1", "startDate": "2019-01-01", "status": "sub1-2019"}),
        json!({"licenseType": "T", "quantity": 1, "endDate": day(10), "subscriptionId": null, "startDate": "2020-01-01", "status": "second-null"}),
    ];
    let inv = one_account(vec![record("L", "V", 5, 0, lines)]);
    let r = run(&inv, ReportKind::Expiring(days(30)));
    let got: Vec<&str> = lines_of(&r).items.iter().map(|l| l.status).collect();
    assert_eq!(
        got,
        vec![
            "sub1-2019",
            "sub1-2021",
            "sub9",
            "first-null",
            "second-null"
        ]
    );
}

#[test]
fn record_reports_break_ties_by_account_va_license_then_cssm_order() {
    let inv = load(json!({
        "accounts": [account("Beta", "beta.com"), account("Alpha", "alpha.com")],
        "licenses": {
            "beta.com": [record("L", "V", 1, 2, vec![])],
            "alpha.com": [
                record("M", "V", 1, 2, vec![]),
                record("L", "W", 1, 2, vec![]),
                record("L", "V", 1, 2, vec![]),
                json!({"license": "L", "virtualAccount": "V", "quantity": 1, "inUse": 2, "status": "dup"}),
            ],
        }
    }));
    let r = run(&inv, ReportKind::Shortages);
    let got: Vec<String> = records_of(&r)
        .items
        .iter()
        .map(|x| format!("{}/{}/{}", x.account, x.virtual_account, x.license))
        .collect();
    assert_eq!(
        got,
        vec![
            "Alpha/V/L",
            "Alpha/V/L",
            "Alpha/V/M",
            "Alpha/W/L",
            "Beta/V/L"
        ]
    );
}

#[test]
fn lines_of_two_records_of_the_same_license_interleave_by_license_type_while_the_export_keeps_each_record_whole(
) {
    let l = |ty: &str, status: &str| json!({"licenseType": ty, "quantity": 1, "endDate": day(10), "status": status});
    let inv = one_account(vec![
        record(
            "L",
            "V",
            2,
            0,
            vec![l("TERM", "first-term"), l("DEMO", "first-demo")],
        ),
        record("L", "V", 1, 0, vec![l("DEMO", "second-demo")]),
    ]);
    let r = run(&inv, ReportKind::Expiring(days(30)));
    let got: Vec<&str> = lines_of(&r).items.iter().map(|l| l.status).collect();
    assert_eq!(got, vec!["first-demo", "second-demo", "first-term"]);
    let export = run(&inv, ReportKind::Export);
    let ReportBody::Export(rows) = &export.body else {
        panic!("not an export")
    };
    let got: Vec<&str> = rows
        .iter()
        .map(|r| r.line.map_or("", |l| l.status))
        .collect();
    assert_eq!(got, vec!["first-term", "first-demo", "second-demo"]);
    assert_eq!(rows.len(), 3);
}

// ---------------------------------------------------------------- §2 mix and status

#[test]
fn the_mix_counts_in_use_once_per_record_not_per_line() {
    let inv = load(json!({
        "accounts": [account("Empty", "empty.com"), account("Acme", "acme.com")],
        "licenses": {
            "empty.com": [record("Alpha License", "DEFAULT", 5, 0, vec![])],
            "acme.com": [
                // Two lines, inUse 30: counted 30, not 60.
                record("Alpha License", "DEFAULT", 200, 30, vec![line("TERM", 100, day(5)), line("TERM", 100, day(50))]),
                record("Beta License", "DEFAULT", 10, 10, vec![line("TERM", 10, day(5))]),
                record("Gamma License", "DEFAULT", 10, 10, vec![]),
                record("Unknown", "DEFAULT", 10, 0, vec![]),
                record("Mystery", "Lab", 10, 10, vec![]),
            ]
        }
    }));
    let v = json_of(&inv, ReportKind::Mix);
    // Total 60: Security 30 (50 %), then three at 10 ordered by name.
    assert_eq!(
        v["accounts"],
        json!([{"name": "Acme", "domain": "acme.com", "totalInUse": 60, "architectures": [
            {"name": "Security", "inUse": 30, "percent": 50.0},
            {"name": "Data Center", "inUse": 10, "percent": 100.0 / 6.0},
            {"name": "Enterprise Networking", "inUse": 10, "percent": 100.0 / 6.0},
            {"name": "Uncategorized", "inUse": 10, "percent": 100.0 / 6.0},
        ]}])
    );
    assert_eq!(v["report"], "mix");
}

#[test]
fn status_has_the_top_five_of_each_section_with_full_counts_and_the_whole_mix() {
    // 7 expired lines (quantities 1..=7, ending on days -1..-7), 6 lines expiring in
    // 100..105 days (beyond 30, within 180), 6 shortages (1..=6), usage on every record.
    let mut records = Vec::new();
    for i in 1..=7i64 {
        records.push(record(
            &format!("E{i}"),
            "DEFAULT",
            10,
            0,
            vec![line("TERM", i, day(-i))],
        ));
    }
    for i in 1..=6i64 {
        records.push(record(
            &format!("S{i}"),
            "DEFAULT",
            10,
            10 + i,
            vec![line("TERM", 10, day(99 + i))],
        ));
    }
    let inv = one_account(records);
    let r = run(&inv, ReportKind::Status);
    let ReportBody::Status(st) = &r.body else {
        panic!()
    };
    assert_eq!((st.expired.count, st.expired.quantity), (7, 28));
    assert_eq!(
        st.expired
            .items
            .iter()
            .map(|l| l.license)
            .collect::<Vec<_>>(),
        vec!["E1", "E2", "E3", "E4", "E5"]
    );
    assert_eq!((st.expiring.count, st.expiring.quantity), (6, 60));
    assert_eq!(
        st.expiring
            .items
            .iter()
            .map(|l| l.license)
            .collect::<Vec<_>>(),
        vec!["S1", "S2", "S3", "S4", "S5"]
    );
    assert_eq!(st.shortages.count, 6);
    assert_eq!(
        st.shortages
            .items
            .iter()
            .map(|x| x.license)
            .collect::<Vec<_>>(),
        vec!["S6", "S5", "S4", "S3", "S2"]
    );
    assert_eq!(st.usage.count, 6);
    assert_eq!(st.usage.items.len(), 5);
    assert_eq!(st.mix.len(), 1);
    let v = r.to_json();
    assert_eq!(v["expiring"]["days"], 180);
    for key in ["expired", "expiring"] {
        let keys: Vec<&String> = v[key].as_object().unwrap().keys().collect();
        for k in ["count", "quantity", "top"] {
            assert!(keys.iter().any(|x| *x == k), "{key}.{k}");
        }
    }
    assert_eq!(v["shortages"]["top"].as_array().unwrap().len(), 5);
    assert_eq!(v["usage"]["count"], 6);
    assert!(v["mix"].is_array());
}

// ---------------------------------------------------------------- §2 accounts, VAs, filters

#[test]
fn virtual_accounts_come_from_the_va_call_then_roles_then_records_without_duplicates() {
    let mut acme = account("Acme", "acme.com");
    acme["roles"] = json!([
        {"role": "Virtual Account User", "virtualAccount": "Lab"},
        {"role": "Virtual Account Viewer", "virtualAccount": "Roles Only"},
        {"role": "Smart Account User"}
    ]);
    let inv = load(json!({
        "accounts": [acme, account("Globex", "globex.com")],
        "virtualAccounts": {"acme.com": [{"name": "DEFAULT", "isDefault": "true"}, {"name": "Lab"}]},
        "licenses": {"acme.com": [
            record("Alpha License", "Records Only", 1, 0, vec![]),
            record("Alpha License", "DEFAULT", 1, 0, vec![]),
        ]}
    }));
    let v = json_of(&inv, ReportKind::VirtualAccounts);
    assert_eq!(
        v["accounts"][0]["virtualAccounts"],
        json!(["DEFAULT", "Lab", "Roles Only", "Records Only"])
    );
    assert_eq!(v["accounts"][1]["virtualAccounts"], json!([]));
    assert_eq!(
        inv.virtual_account_names(),
        vec!["DEFAULT", "Lab", "Records Only", "Roles Only"]
    );
    // Every one of them is a valid `va` filter value, even without records.
    let f = Filters {
        accounts: vec![],
        vas: vec!["roles only".into()],
    };
    let r = inv
        .report_at(ReportKind::VirtualAccounts, NOW, &f)
        .unwrap()
        .to_json();
    assert_eq!(
        r["accounts"],
        json!([{"name": "Acme", "domain": "acme.com", "virtualAccounts": ["Roles Only"]}])
    );
}

#[test]
fn accounts_are_listed_in_cssm_order_with_the_json_fields() {
    let mut holding = account("Zeta Holding", "zeta.com");
    holding["accountType"] = json!("HOLDING");
    let inv = load(json!({"accounts": [holding, account("Acme", "acme.com")], "licenses": {}}));
    assert_eq!(
        json_of(&inv, ReportKind::Accounts),
        json!({"report": "accounts", "accounts": [
            {"name": "Zeta Holding", "domain": "zeta.com", "status": "Active", "type": "HOLDING"},
            {"name": "Acme", "domain": "acme.com", "status": "Active", "type": "CUSTOMER"}
        ], "partial": false, "missingAccounts": [], "warnings": []})
    );
}

#[test]
fn a_va_filter_on_accounts_keeps_the_accounts_that_contain_it() {
    let inv = two_accounts_same_va();
    let f = Filters {
        accounts: vec![],
        vas: vec!["lab".into()],
    };
    let v = inv
        .report_at(ReportKind::Accounts, NOW, &f)
        .unwrap()
        .to_json();
    let names: Vec<&str> = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Acme"]);
}

#[test]
fn filter_values_match_trimmed_names_or_domains_case_insensitively() {
    let inv = two_accounts_same_va();
    for value in ["  GLOBEX ", "globex.COM"] {
        let f = Filters {
            accounts: vec![value.into()],
            vas: vec![],
        };
        let v = inv
            .report_at(ReportKind::Shortages, NOW, &f)
            .unwrap()
            .to_json();
        assert_eq!(v["count"], 1, "{value}");
        assert_eq!(items(&v)[0]["domain"], "globex.com");
    }
}

#[test]
fn values_of_one_key_are_ored_and_keys_are_anded() {
    let inv = two_accounts_same_va();
    let count = |accounts: &[&str], vas: &[&str]| {
        let f = Filters {
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            vas: vas.iter().map(|s| s.to_string()).collect(),
        };
        inv.report_at(ReportKind::Shortages, NOW, &f)
            .unwrap()
            .count()
    };
    // Naive expectation over the three records (account, VA).
    let records = [("acme", "default"), ("acme", "lab"), ("globex", "default")];
    let naive = |accounts: &[&str], vas: &[&str]| {
        records
            .iter()
            .filter(|(a, v)| {
                (accounts.is_empty() || accounts.contains(a)) && (vas.is_empty() || vas.contains(v))
            })
            .count()
    };
    for (a, v) in [
        (&["acme", "globex"][..], &[][..]),
        (&["acme"][..], &["default"][..]),
        (&["acme"][..], &["default", "lab"][..]),
        (&["globex"][..], &["lab"][..]),
        (&[][..], &["lab", "default"][..]),
    ] {
        assert_eq!(count(a, v), naive(a, v), "accounts {a:?} vas {v:?}");
    }
}

#[test]
fn an_unknown_filter_value_names_up_to_ten_closest_names_and_how_many_exist() {
    let vas: Vec<Value> = (0..15)
        .map(|i| record("Alpha License", &format!("Team {i:02}"), 1, 0, vec![]))
        .chain([record("Alpha License", "Shared Services", 1, 0, vec![])])
        .collect();
    let inv = one_account(vas);
    let f = Filters {
        accounts: vec![],
        vas: vec!["Shared Service".into()],
    };
    let e = inv.report_at(ReportKind::Usage, NOW, &f).unwrap_err();
    assert_eq!(e.key, FilterKey::VirtualAccount);
    assert_eq!(e.valid_count, 16);
    assert_eq!(e.suggestions.len(), 10);
    assert_eq!(e.suggestions[0], "Shared Services");
    let s = e.to_string();
    assert!(
        s.contains("`Shared Service`")
            && s.contains("16 virtual accounts")
            && s.contains("`Shared Services`"),
        "{s}"
    );

    let f = Filters {
        accounts: vec!["acmee".into()],
        vas: vec![],
    };
    let e = inv.report_at(ReportKind::Usage, NOW, &f).unwrap_err();
    assert_eq!(
        (e.key, e.valid_count, e.suggestions.clone()),
        (FilterKey::Account, 1, vec!["Acme".to_string()])
    );
}

// ---------------------------------------------------------------- §3 JSON, CSV, XLSX

#[test]
fn line_and_record_items_carry_the_exact_json_field_names() {
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        4,
        5,
        vec![line("TERM", 4, json!("2026-11-01T23:30:00-02:00"))],
    )]);
    let v = json_of(&inv, ReportKind::Expired);
    let item = items(&v)[0].as_object().unwrap();
    for k in [
        "account",
        "domain",
        "virtualAccount",
        "license",
        "licenseType",
        "quantity",
        "endDate",
    ] {
        assert!(item.contains_key(k), "line field {k}");
    }
    // 2026-11-01T23:30-02:00 is 2026-11-02T01:30Z: the UTC calendar date is shown.
    assert_eq!(item["endDate"], "2026-11-02");
    for (kind, extra) in [
        (ReportKind::Shortages, "shortage"),
        (ReportKind::Usage, "utilization"),
    ] {
        let v = json_of(&inv, kind);
        let item = items(&v)[0].as_object().unwrap();
        for k in [
            "account",
            "domain",
            "virtualAccount",
            "license",
            "quantity",
            "inUse",
            extra,
        ] {
            assert!(item.contains_key(k), "{} field {k}", kind.name());
        }
        assert_eq!(v["report"], kind.name());
    }
    assert_eq!(
        json_of(&inv, ReportKind::Usage)["items"][0]["utilization"],
        125.0
    );
}

#[test]
fn the_export_has_the_25_columns_in_order_and_their_value_rules() {
    let inv = load(json!({
        "accounts": [account("Acme", "acme.com")],
        "licenses": {"acme.com": [
            {"license": "Alpha License", "virtualAccount": "DEFAULT", "quantity": 8, "inUse": 10,
             "available": -2, "status": "In Compliance", "billingType": "PREPAID",
             "pendingQuantity": 1, "reserved": true, "isPortable": true,
             "licenseDetails": [
                {"licenseType": "TERM", "quantity": 5, "startDate": "2025-01-01",
                 "endDate": "2026-11-29T12:00:00Z", "subscriptionId": "Sub1", "status": "ACTIVE"},
                {"licenseType": "TERM", "quantity": 3, "startDate": "2024-01-01T05:00:00Z",
                 "endDate": "2026-11-27T12:00:00Z", "subscriptionId": null, "status": "EXPIRED"}
             ]},
            {"license": "Beta License", "virtualAccount": "DEFAULT", "quantity": 0, "inUse": 0,
             "isPortable": false}
        ]}
    }));
    let bytes = run(&inv, ReportKind::Export).to_csv().unwrap();
    assert_eq!(
        csv_header(&bytes),
        "account,domain,accountStatus,accountType,virtualAccount,license,architecture,subArchitecture,quantity,inUse,available,shortage,utilization,status,billingType,pendingQuantity,reserved,isPortable,licenseType,lineQuantity,startDate,endDate,daysToExpiry,subscriptionId,lineStatus"
            .split(',')
            .map(String::from)
            .collect::<Vec<_>>()
    );
    let rows = csv_rows(&bytes);
    let expect = |cells: &str| cells.split('|').map(String::from).collect::<Vec<_>>();
    assert_eq!(rows, vec![
        // 1.5 days ahead → floor 1; shortage 10−8 = 2; utilization 125.
        expect("Acme|acme.com|Active|CUSTOMER|DEFAULT|Alpha License|Security|Network Security|8|10|-2|2|125|In Compliance|PREPAID|1|true|true|TERM|5|2025-01-01|2026-11-29|1|Sub1|ACTIVE"),
        // Half a day ago → floor −1.
        expect("Acme|acme.com|Active|CUSTOMER|DEFAULT|Alpha License|Security|Network Security|8|10|-2|2|125|In Compliance|PREPAID|1|true|true|TERM|3|2024-01-01|2026-11-27|-1||EXPIRED"),
        // No lines: one row, line columns empty; quantity 0 → utilization empty; shortage 0.
        expect("Acme|acme.com|Active|CUSTOMER|DEFAULT|Beta License|Enterprise Networking|Wireless|0|0|0|0||||0|0|false|||||||"),
    ]);
}

#[test]
fn line_and_record_reports_have_csv_columns_of_their_json_items() {
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        4,
        3,
        vec![line("TERM", 4, day(-3))],
    )]);
    let expired = run(&inv, ReportKind::Expired).to_csv().unwrap();
    assert_eq!(
        csv_header(&expired),
        [
            "account",
            "domain",
            "virtualAccount",
            "license",
            "licenseType",
            "quantity",
            "endDate"
        ]
    );
    assert_eq!(
        csv_rows(&expired),
        vec![vec![
            "Acme",
            "acme.com",
            "DEFAULT",
            "Alpha License",
            "TERM",
            "4",
            "2026-11-25"
        ]]
    );
    let usage = run(&inv, ReportKind::Usage).to_csv().unwrap();
    assert_eq!(
        csv_header(&usage),
        [
            "account",
            "domain",
            "virtualAccount",
            "license",
            "quantity",
            "inUse",
            "utilization"
        ]
    );
    assert_eq!(csv_rows(&usage)[0][6], "75");
    let shortages = run(&inv, ReportKind::Shortages).to_csv().unwrap();
    assert_eq!(csv_header(&shortages)[6], "shortage");
}

#[test]
fn summary_reports_have_no_csv_or_xlsx_form() {
    let inv = one_account(vec![]);
    for kind in [
        ReportKind::Accounts,
        ReportKind::VirtualAccounts,
        ReportKind::Mix,
        ReportKind::Status,
    ] {
        let r = run(&inv, kind);
        assert!(matches!(r.to_csv(), Err(RenderError::NoFileFormat(_))));
        assert!(matches!(r.to_xlsx(), Err(RenderError::NoFileFormat(_))));
        assert!(!kind.has_file_formats());
        assert!(!r.to_table().is_empty());
    }
}

#[test]
fn the_xlsx_export_has_a_header_numbers_real_dates_and_raw_unknown_dates() {
    use calamine::{Data, Reader, Xlsx};
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        4,
        1,
        vec![
            line("TERM", 4, json!("2027-03-15")),
            line("TERM", 1, json!("someday")),
        ],
    )]);
    let bytes = run(&inv, ReportKind::Export).to_xlsx().unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("export").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header.len(), 25);
    assert_eq!(header[0], "account");
    assert_eq!(header[24], "lineStatus");
    let rows: Vec<_> = range.rows().skip(1).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][5], Data::String("Alpha License".into()));
    assert_eq!(rows[0][8], Data::Float(4.0));
    match &rows[0][21] {
        Data::DateTime(d) => {
            // Excel serial of 2027-03-15 (days since 1899-12-30), computed with `date -u`.
            assert!(d.is_datetime());
            assert_eq!(d.as_f64(), 46_461.0);
        }
        other => panic!("endDate must be a date cell, got {other:?}"),
    }
    assert_eq!(rows[1][21], Data::String("someday".into()));
    assert_eq!(rows[0][17], Data::Bool(false));
}

#[test]
fn the_terminal_table_aligns_its_columns() {
    let inv = one_account(vec![
        record("Alpha License", "DEFAULT", 10, 12, vec![]),
        record("B", "Lab", 1, 100, vec![]),
    ]);
    let text = run(&inv, ReportKind::Shortages).to_table();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "2 licenses with a shortage");
    // Every "Shortage" figure ends in the same column as the header.
    let end = lines[1].len();
    assert!(lines[1].ends_with("Shortage"));
    assert_eq!(lines[3].len(), end);
    assert_eq!(lines[4].len(), end);
    assert!(lines[3].ends_with("99") && lines[4].ends_with(" 2"));
}

#[test]
fn absurd_numbers_saturate_instead_of_crashing_a_report() {
    let inv = one_account(vec![
        json!({"license": "Alpha License", "virtualAccount": "DEFAULT",
               "quantity": i64::MIN, "inUse": i64::MAX,
               "licenseDetails": [{"quantity": i64::MAX, "endDate": "2026-11-01"},
                                  {"quantity": i64::MAX, "endDate": "2026-11-02"}]}),
        json!({"license": "Beta License", "virtualAccount": "DEFAULT",
               "quantity": 1, "inUse": i64::MAX}),
    ]);
    let expired = run(&inv, ReportKind::Expired);
    assert_eq!(lines_of(&expired).quantity, i64::MAX);
    let shortages = run(&inv, ReportKind::Shortages);
    assert_eq!(records_of(&shortages).items[0].shortage, i64::MAX);
    let mix = json_of(&inv, ReportKind::Mix);
    assert_eq!(mix["accounts"][0]["totalInUse"], i64::MAX);
    assert!(run(&inv, ReportKind::Export).to_csv().is_ok());
}

#[test]
fn the_export_is_ordered_by_account_va_license_then_line_order() {
    let inv = load(json!({
        "accounts": [account("Zed", "zed.com"), account("Acme", "acme.com")],
        "licenses": {
            "zed.com": [record("A", "V", 1, 0, vec![])],
            "acme.com": [
                record("B", "Lab", 1, 0, vec![line("SECOND", 1, day(1)), line("FIRST", 2, day(-1))]),
                record("C", "DEFAULT", 1, 0, vec![]),
                record("A", "Lab", 1, 0, vec![]),
            ]
        }
    }));
    let rows = csv_rows(&run(&inv, ReportKind::Export).to_csv().unwrap());
    let got: Vec<String> = rows
        .iter()
        .map(|r| format!("{}/{}/{}/{}", r[0], r[4], r[5], r[18]))
        .collect();
    // Line order inside a record is CSSM order, not licenseType order.
    assert_eq!(
        got,
        vec![
            "Acme/DEFAULT/C/",
            "Acme/Lab/A/",
            "Acme/Lab/B/SECOND",
            "Acme/Lab/B/FIRST",
            "Zed/V/A/"
        ]
    );
}

#[test]
fn the_xlsx_keeps_names_byte_for_byte() {
    use calamine::{Data, Reader, Xlsx};
    let inv = load(json!({
        "accounts": [account("Acme ", "acme.com")],
        "licenses": {"acme.com": [record(" Alpha License ", "Lab  ", 1, 2, vec![])]}
    }));
    let bytes = run(&inv, ReportKind::Shortages).to_xlsx().unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("shortages").unwrap();
    let row: Vec<&Data> = range.rows().nth(1).unwrap().iter().collect();
    assert_eq!(row[0], &Data::String("Acme ".into()));
    assert_eq!(row[2], &Data::String("Lab  ".into()));
    assert_eq!(row[3], &Data::String(" Alpha License ".into()));
    assert_eq!(row[6], &Data::Float(1.0));
}

#[test]
fn the_xlsx_header_is_bold_frozen_and_filtered_and_dates_have_a_date_format() {
    use std::io::Read;
    let inv = one_account(vec![record(
        "Alpha License",
        "DEFAULT",
        4,
        1,
        vec![line("TERM", 4, day(3))],
    )]);
    let bytes = run(&inv, ReportKind::Expiring(days(30))).to_xlsx().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"state="frozen""#) && sheet.contains(r#"ySplit="1""#),
        "{sheet}"
    );
    // 7 line columns (A..G), header + 1 row.
    assert!(sheet.contains(r#"<autoFilter ref="A1:G2"/>"#), "{sheet}");
    assert!(sheet.contains("<cols>"), "column widths are set");
    let styles = read("xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font exists for the header");
    assert!(styles.contains(r#"formatCode="yyyy-mm-dd""#), "{styles}");
}

/// The text of a workbook cell as the CSV writes it: whole numbers without a fraction, date
/// cells as `yyyy-mm-dd` (from the Excel serial, days since 1899-12-30).
fn xlsx_cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            let days = d.as_f64() as i64 - 25_569;
            crate::date::ymd(days * 86_400)
        }
        other => panic!("unexpected cell {other:?}"),
    }
}

/// Every cell of the streamed workbook of `report` (one sheet) equals the CSV's text of that
/// cell, the header included.
fn assert_workbook_matches_csv(report: &crate::Report<'_>, csv: &[u8], what: &str) {
    use calamine::{Reader, Xlsx};
    let mut written = std::io::Cursor::new(Vec::new());
    report.write_xlsx(&mut written).unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(written.into_inner())).unwrap();
    let from_csv: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let from_xlsx: Vec<Vec<String>> = range
        .rows()
        .map(|row| {
            let mut cells: Vec<String> = row.iter().map(xlsx_cell_text).collect();
            cells.resize(from_csv[0].len(), String::new());
            cells
        })
        .collect();
    assert_eq!(from_xlsx.len(), from_csv.len(), "{what}: row count");
    // Excel numbers are doubles: numbers beyond 2^53 compare as the doubles they become.
    let same = |x: &String, c: &String| {
        x == c
            || matches!((x.parse::<f64>(), c.parse::<f64>()),
                (Ok(a), Ok(b)) if a.abs() > 9.0e15 && ((a - b) / b).abs() < 1e-12)
    };
    for (n, (x, c)) in from_xlsx.iter().zip(&from_csv).enumerate() {
        assert!(
            x.len() == c.len() && x.iter().zip(c).all(|(x, c)| same(x, c)),
            "{what}: row {n}: {x:?} != {c:?}"
        );
    }
}

/// Loading a snapshot's bytes straight into the model gives the inventory the two-step path
/// gives (bytes → [`slbot_cssm::Snapshot`] → model): the same warnings and every report's
/// JSON the same.
fn assert_direct_load_matches(bytes: &[u8], what: &str) {
    let direct = Inventory::from_json_slice(bytes, &catalog());
    let snapshot = slbot_cssm::Snapshot::from_json_slice(bytes);
    let (direct, snapshot) = match (direct, snapshot) {
        (Ok(d), Ok(s)) => (d, s),
        (Err(_), Err(_)) => return,
        // The model reads any `slbot-cssm-snapshot/N` (as it always has); the file type only 1.
        (Ok(_), Err(slbot_cssm::SnapshotError::UnsupportedFormat(_))) => return,
        (d, s) => panic!("{what}: direct {:?} vs snapshot {:?}", d.err(), s.err()),
    };
    let two_step = Inventory::from_snapshot(&snapshot, &catalog());
    assert_eq!(direct.warnings(), two_step.warnings(), "{what}");
    for &kind in ReportKind::ALL {
        assert_eq!(
            run(&direct, kind).to_json_string(),
            run(&two_step, kind).to_json_string(),
            "{what}: {}",
            kind.name()
        );
    }
}

/// Every report of `inv` written by the streaming writers is byte for byte what the in-memory
/// renderers give (issue 14: streamed exports may not change a byte), and the workbook written
/// row by row holds exactly the CSV's cells.
fn assert_streams_match(inv: &Inventory, what: &str) {
    for &kind in ReportKind::ALL {
        let report = run(inv, kind);
        let mut streamed = Vec::new();
        report.write_json(&mut streamed).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            report.to_json_string(),
            "{what}: JSON of {}",
            kind.name()
        );
        match report.to_csv() {
            Ok(bytes) => {
                let mut streamed = Vec::new();
                report.write_csv(&mut streamed).unwrap();
                assert_eq!(streamed, bytes, "{what}: CSV of {}", kind.name());
                if !matches!(kind, ReportKind::Renewals(_)) {
                    assert_workbook_matches_csv(
                        &report,
                        &bytes,
                        &format!("{what}: {}", kind.name()),
                    );
                }
            }
            Err(_) => assert!(report.write_csv(&mut Vec::new()).is_err()),
        }
    }
}

#[test]
fn streamed_exports_are_identical_to_the_in_memory_outputs_and_direct_loading_to_the_two_step_load()
{
    let snapshot = json!({
        "accounts": [account("Acme", "acme.com"), account("Globex \"HQ\"", "globex.com")],
        "licenses": {
            "acme.com": [
                record("DNA Advantage", "DEFAULT", 100, 120,
                       vec![line("TERM", 60, day(10)), line("TERM", 40, day(-5))]),
                record("ISE Base", "Lab, East", 10, 3, vec![line("PERPETUAL", 10, Value::Null)]),
                record("Webex, Calling", "DEFAULT", 0, 4, vec![]),
            ],
            "globex.com": [
                record("Meraki MX", "DEFAULT", 5, 5, vec![line("TERM", 5, json!("not a date"))]),
                record("Umbrella DNS", "Ops", 200, 50, vec![line("TERM", 200, day(200))]),
            ]
        },
        "missingAccounts": [{"name": "Initech", "domain": "initech.com", "reason": "CSSM answered 503"}],
        "warnings": ["one warning with \"quotes\" and ünïcode"]
    });
    assert_streams_match(&load(snapshot), "the fixture");
    assert_streams_match(&one_account(vec![]), "an empty account");

    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/snapshot");
    let mut loaded = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert_direct_load_matches(&bytes, &path.display().to_string());
        if let Ok(inv) = Inventory::from_json_slice(&bytes, &catalog()) {
            assert_streams_match(&inv, &path.display().to_string());
            loaded += 1;
        }
    }
    assert!(loaded >= 5, "only {loaded} corpus snapshots load");
}
