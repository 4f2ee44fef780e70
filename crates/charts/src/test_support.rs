//! A small hand-written inventory shared by the unit tests. Every expected number in the
//! tests was worked out by hand from the table below (see each test's comments).
//!
//! `NOW` = 2026-11-28T00:00:00Z. Catalogue: Alpha → Security, Beta → Enterprise Networking,
//! Gamma → Data Center; `Mystery` is not in it (Uncategorized).
//!
//! | # | account | VA | licence | qty | inUse | lines (type qty end) |
//! |---|---------|----|---------|-----|-------|----------------------|
//! | 1 | Acme | DEFAULT | Alpha License | 100 | 80 | TERM 60 +10 d (2026-12-08); TERM 40 +45 d (2027-01-12) |
//! | 2 | Acme | DEFAULT | Beta License | 50 | 60 | TERM 50 −20 d (2026-11-08) |
//! | 3 | Acme | Lab | Gamma License | 10 | 5 | TERM 10 +200 d (2027-06-16); PERPETUAL 5 never |
//! | 4 | Acme | Lab | Mystery | 20 | 20 | TERM 20 −100 d (2026-08-20); TERM 7 +3 d (2026-12-01) |
//! | 5 | Globex | DEFAULT | Beta License | 200 | 50 | TERM 200 +33 d (2026-12-31) |
//! | 6 | Globex | Ops | Alpha License | 30 | 0 | TERM 30 −5 d (2026-11-23) |
//! | 7 | Globex | Ops | Gamma License | 0 | 4 | (none) |
//! | 8 | Idle | DEFAULT | Alpha License | 5 | 0 | TERM 5 +400 d (2028-01-02) |

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use slbot_inventory::{Catalog, Inventory};

pub(crate) const DAY: i64 = 86_400;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap()
}

pub(crate) fn catalog() -> Catalog {
    Catalog::from_json(
        r#"{
        "Alpha License": {"architecture": "Security", "subArchitecture": "Network Security"},
        "Beta License": {"architecture": "Enterprise Networking", "subArchitecture": "Wireless"},
        "Gamma License": {"architecture": "Data Center", "subArchitecture": "Compute"}
    }"#,
    )
    .unwrap()
}

pub(crate) fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER"})
}

/// A date `days` after `now()` as `YYYY-MM-DD` (now is midnight, so this is exact).
pub(crate) fn day(days: i64) -> Value {
    let t = now() + chrono::Duration::seconds(days * DAY);
    Value::String(t.format("%Y-%m-%d").to_string())
}

pub(crate) fn line(ty: &str, qty: i64, end: Value) -> Value {
    json!({"licenseType": ty, "quantity": qty, "startDate": "2020-01-01", "endDate": end,
           "subscriptionId": null, "status": "ACTIVE"})
}

pub(crate) fn record(license: &str, va: &str, qty: i64, in_use: i64, lines: Vec<Value>) -> Value {
    json!({"license": license, "virtualAccount": va, "quantity": qty, "inUse": in_use,
           "available": qty - in_use, "status": "In Compliance", "billingType": "PREPAID",
           "licenseDetails": lines})
}

pub(crate) fn load(snapshot: Value) -> Inventory {
    Inventory::from_json_slice(snapshot.to_string().as_bytes(), &catalog()).unwrap()
}

/// The inventory of the table above.
pub(crate) fn fixture() -> Inventory {
    load(json!({
        "accounts": [account("Acme", "acme.com"), account("Globex", "globex.com"),
                     account("Idle", "idle.com")],
        "licenses": {
            "acme.com": [
                record("Alpha License", "DEFAULT", 100, 80,
                       vec![line("TERM", 60, day(10)), line("TERM", 40, day(45))]),
                record("Beta License", "DEFAULT", 50, 60, vec![line("TERM", 50, day(-20))]),
                record("Gamma License", "Lab", 10, 5,
                       vec![line("TERM", 10, day(200)), line("PERPETUAL", 5, Value::Null)]),
                record("Mystery", "Lab", 20, 20,
                       vec![line("TERM", 20, day(-100)), line("TERM", 7, day(3))]),
            ],
            "globex.com": [
                record("Beta License", "DEFAULT", 200, 50, vec![line("TERM", 200, day(33))]),
                record("Alpha License", "Ops", 30, 0, vec![line("TERM", 30, day(-5))]),
                record("Gamma License", "Ops", 0, 4, vec![]),
            ],
            "idle.com": [
                record("Alpha License", "DEFAULT", 5, 0, vec![line("TERM", 5, day(400))]),
            ],
        }
    }))
}

/// The fixture with Globex unreadable (a partial snapshot).
pub(crate) fn partial_fixture() -> Inventory {
    load(json!({
        "accounts": [account("Acme", "acme.com"), account("Globex", "globex.com")],
        "licenses": {
            "acme.com": [record("Alpha License", "DEFAULT", 100, 80, vec![])],
        },
        "missingAccounts": [{"name": "Globex", "domain": "globex.com",
                             "reason": "CSSM timed out"}]
    }))
}

pub(crate) fn empty() -> Inventory {
    load(json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": []}}))
}

/// Floats in the tests are compared to a few ulps of hand-computed fractions.
pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
