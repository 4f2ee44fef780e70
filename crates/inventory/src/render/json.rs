//! The §3 JSON schema. Field names are exact; a few extra fields are allowed.

use serde_json::{json, Map, Value};

use crate::report::{
    DateValue, LineRow, LinesSection, MixAccount, RecordRow, RecordsSection, Report, ReportBody,
};

fn date(d: DateValue<'_>) -> Value {
    match d.display() {
        Some(s) => Value::String(s),
        None => Value::Null,
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn line(l: &LineRow<'_>) -> Value {
    json!({
        "account": l.account,
        "domain": l.domain,
        "virtualAccount": l.virtual_account,
        "license": l.license,
        "licenseType": l.license_type,
        "quantity": l.quantity,
        "endDate": date(l.end_date),
        "startDate": date(l.start_date),
        "subscriptionId": l.subscription_id,
    })
}

enum Figure {
    Shortage,
    Utilization,
}

fn record(r: &RecordRow<'_>, figure: &Figure) -> Value {
    let mut v = json!({
        "account": r.account,
        "domain": r.domain,
        "virtualAccount": r.virtual_account,
        "license": r.license,
        "quantity": r.quantity,
        "inUse": r.in_use,
    });
    if let Value::Object(m) = &mut v {
        match figure {
            Figure::Shortage => {
                m.insert("shortage".into(), json!(r.shortage));
            }
            Figure::Utilization => {
                m.insert(
                    "utilization".into(),
                    r.utilization.map(float).unwrap_or(Value::Null),
                );
            }
        }
    }
    v
}

fn lines(s: &LinesSection<'_>, items_key: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("count".into(), json!(s.count));
    m.insert("quantity".into(), json!(s.quantity));
    m.insert(
        items_key.into(),
        Value::Array(s.items.iter().map(line).collect()),
    );
    m
}

fn records(s: &RecordsSection<'_>, items_key: &str, figure: Figure) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("count".into(), json!(s.count));
    m.insert(
        items_key.into(),
        Value::Array(s.items.iter().map(|r| record(r, &figure)).collect()),
    );
    m
}

fn mix(accounts: &[MixAccount<'_>]) -> Value {
    Value::Array(
        accounts
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "domain": a.domain,
                    "totalInUse": a.total_in_use,
                    "architectures": a.architectures.iter().map(|x| json!({
                        "name": x.name,
                        "inUse": x.in_use,
                        "percent": float(x.percent),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn export_row(r: &crate::report::ExportRow<'_>, now: i64) -> Value {
    let l = r.line.as_ref();
    json!({
        "account": r.account,
        "domain": r.domain,
        "accountStatus": r.account_status,
        "accountType": r.account_type,
        "virtualAccount": r.virtual_account,
        "license": r.license,
        "architecture": r.architecture,
        "subArchitecture": r.sub_architecture,
        "quantity": r.quantity,
        "inUse": r.in_use,
        "available": r.available,
        "shortage": r.shortage(),
        "utilization": r.utilization().map(float),
        "status": r.status,
        "billingType": r.billing_type,
        "pendingQuantity": r.pending_quantity,
        "reserved": match r.reserved {
            crate::report::Reserved::Count(n) => json!(n),
            crate::report::Reserved::Flag(b) => json!(b),
        },
        "isPortable": r.is_portable,
        "licenseType": l.map(|l| l.license_type),
        "lineQuantity": l.map(|l| l.quantity),
        "startDate": l.map_or(Value::Null, |l| date(l.start_date)),
        "endDate": l.map_or(Value::Null, |l| date(l.end_date)),
        "daysToExpiry": r.days_to_expiry(now),
        "subscriptionId": l.and_then(|l| l.subscription_id),
        "lineStatus": l.map(|l| l.status),
    })
}

pub(super) fn report(r: &Report<'_>) -> Value {
    document(r, true)
}

/// [`report`], with the export's `items` left `null` unless `export_items` (the streamed
/// writer makes them one at a time instead).
fn document(r: &Report<'_>, export_items: bool) -> Value {
    let mut m = Map::new();
    m.insert("report".into(), json!(r.kind().name()));
    match &r.body {
        ReportBody::Accounts(rows) => {
            m.insert(
                "accounts".into(),
                rows.iter()
                    .map(|a| {
                        json!({"name": a.name, "domain": a.domain, "status": a.status, "type": a.account_type})
                    })
                    .collect(),
            );
        }
        ReportBody::VirtualAccounts(rows) => {
            m.insert(
                "accounts".into(),
                rows.iter()
                    .map(|a| {
                        json!({"name": a.name, "domain": a.domain, "virtualAccounts": a.virtual_accounts})
                    })
                    .collect(),
            );
        }
        ReportBody::Expired(s) => m.extend(lines(s, "items")),
        ReportBody::Expiring(d, s) => {
            m.insert("days".into(), json!(d.get()));
            m.extend(lines(s, "items"));
        }
        ReportBody::Shortages(s) => m.extend(records(s, "items", Figure::Shortage)),
        ReportBody::Usage(s) => m.extend(records(s, "items", Figure::Utilization)),
        ReportBody::Mix(accounts) => {
            m.insert("accounts".into(), mix(accounts));
        }
        ReportBody::Status(st) => {
            m.insert("expired".into(), Value::Object(lines(&st.expired, "top")));
            let mut exp = lines(&st.expiring, "top");
            exp.insert("days".into(), json!(crate::report::Days::STATUS.get()));
            m.insert("expiring".into(), Value::Object(exp));
            m.insert(
                "shortages".into(),
                Value::Object(records(&st.shortages, "top", Figure::Shortage)),
            );
            m.insert(
                "usage".into(),
                Value::Object(records(&st.usage, "top", Figure::Utilization)),
            );
            m.insert("mix".into(), mix(&st.mix));
        }
        ReportBody::Export(rows) => {
            m.insert("count".into(), json!(rows.len()));
            let items = if export_items {
                Value::Array(rows.iter().map(|x| export_row(x, r.now)).collect())
            } else {
                Value::Null
            };
            m.insert("items".into(), items);
        }
        ReportBody::Rebalance(rows) => {
            m.insert("count".into(), json!(rows.len()));
            m.insert(
                "items".into(),
                Value::Array(rows.iter().map(|x| x.to_json()).collect()),
            );
        }
        ReportBody::AtRisk(rows) => {
            m.insert("count".into(), json!(rows.len()));
            let (e, s, x) = crate::at_risk::WEIGHTS;
            m.insert(
                "weights".into(),
                json!({"expiredInUse": e, "short": s, "expiring30": x}),
            );
            m.insert(
                "items".into(),
                Value::Array(rows.iter().map(|x| x.to_json()).collect()),
            );
        }
        ReportBody::Renewals(cal) => {
            if let Value::Object(fields) = cal.to_json() {
                m.extend(fields);
            }
        }
    }
    m.insert("partial".into(), json!(r.partial));
    m.insert(
        "missingAccounts".into(),
        r.missing_accounts
            .iter()
            .map(|a| json!({"name": a.name, "domain": a.domain, "reason": a.reason}))
            .collect(),
    );
    m.insert("warnings".into(), json!(r.warnings));
    Value::Object(m)
}

/// [`report`] pretty-printed to `out` with a trailing newline, byte for byte what
/// `to_json_string` gives, without building the document: an export's rows become JSON one at
/// a time, so memory stays at the inventory plus one row whatever the output's size.
pub(super) fn write_report(r: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use serde::Serialize;
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    match &r.body {
        ReportBody::Export(rows) => {
            let head = document(r, false);
            Streamed {
                head: &head,
                rows,
                now: r.now,
            }
            .serialize(&mut ser)?;
        }
        _ => report(r).serialize(&mut ser)?,
    }
    out.write_all(b"\n")
}

/// The export document: `head`'s entries in their order, `items` made row by row.
struct Streamed<'a, 'r> {
    head: &'a Value,
    rows: &'a [crate::report::ExportRow<'r>],
    now: i64,
}

impl serde::Serialize for Streamed<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(head) = self.head else {
            return self.head.serialize(s);
        };
        let mut map = s.serialize_map(Some(head.len()))?;
        for (key, value) in head {
            if key == "items" {
                map.serialize_entry(key, &Rows(self.rows, self.now))?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

struct Rows<'a, 'r>(&'a [crate::report::ExportRow<'r>], i64);

impl serde::Serialize for Rows<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for row in self.0 {
            seq.serialize_element(&export_row(row, self.1))?;
        }
        seq.end()
    }
}
