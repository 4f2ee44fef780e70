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

#[derive(Clone, Copy)]
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

/// The items of a section, or `null` where the streamed writer puts them row by row.
fn items<I: IntoIterator>(rows: I, streamed: bool, f: impl FnMut(I::Item) -> Value) -> Value {
    if streamed {
        Value::Null
    } else {
        Value::Array(rows.into_iter().map(f).collect())
    }
}

fn lines(s: &LinesSection<'_>, items_key: &str, streamed: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("count".into(), json!(s.count));
    m.insert("quantity".into(), json!(s.quantity));
    m.insert(items_key.into(), items(&s.items, streamed, line));
    m
}

fn records(
    s: &RecordsSection<'_>,
    items_key: &str,
    figure: Figure,
    streamed: bool,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("count".into(), json!(s.count));
    m.insert(
        items_key.into(),
        items(&s.items, streamed, |r| record(r, &figure)),
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
    document(r, false)
}

/// [`report`], with the `items` of the line, record and export reports left `null` when
/// `streamed` (the streamed writer makes them one at a time instead).
fn document(r: &Report<'_>, streamed: bool) -> Value {
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
        ReportBody::Expired(s) => m.extend(lines(s, "items", streamed)),
        ReportBody::Expiring(d, s) => {
            m.insert("days".into(), json!(d.get()));
            m.extend(lines(s, "items", streamed));
        }
        ReportBody::Shortages(s) => m.extend(records(s, "items", Figure::Shortage, streamed)),
        ReportBody::Usage(s) => m.extend(records(s, "items", Figure::Utilization, streamed)),
        ReportBody::Mix(accounts) => {
            m.insert("accounts".into(), mix(accounts));
        }
        ReportBody::Status(st) => {
            m.insert(
                "expired".into(),
                Value::Object(lines(&st.expired, "top", false)),
            );
            let mut exp = lines(&st.expiring, "top", false);
            exp.insert("days".into(), json!(crate::report::Days::STATUS.get()));
            m.insert("expiring".into(), Value::Object(exp));
            m.insert(
                "shortages".into(),
                Value::Object(records(&st.shortages, "top", Figure::Shortage, false)),
            );
            m.insert(
                "usage".into(),
                Value::Object(records(&st.usage, "top", Figure::Utilization, false)),
            );
            m.insert("mix".into(), mix(&st.mix));
        }
        ReportBody::Export(rows) => {
            m.insert("count".into(), json!(rows.len()));
            m.insert(
                "items".into(),
                items(rows, streamed, |x| export_row(&x, r.now)),
            );
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
    let rows = match &r.body {
        ReportBody::Export(rows) => Some(Rows::Export(rows, r.now)),
        ReportBody::Expired(s) | ReportBody::Expiring(_, s) => Some(Rows::Lines(&s.items)),
        ReportBody::Shortages(s) => Some(Rows::Records(&s.items, Figure::Shortage)),
        ReportBody::Usage(s) => Some(Rows::Records(&s.items, Figure::Utilization)),
        _ => None,
    };
    match rows {
        Some(rows) => {
            let head = document(r, true);
            Streamed { head: &head, rows }.serialize(&mut ser)?;
        }
        None => report(r).serialize(&mut ser)?,
    }
    out.write_all(b"\n")
}

/// A document: `head`'s entries in their order, its `items` made row by row from `rows`.
struct Streamed<'a, 'r> {
    head: &'a Value,
    rows: Rows<'a, 'r>,
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
                map.serialize_entry(key, &self.rows)?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// The rows of a streamed document's `items`.
enum Rows<'a, 'r> {
    Export(&'a crate::report::ExportRows<'r>, i64),
    Lines(&'a [LineRow<'r>]),
    Records(&'a [RecordRow<'r>], Figure),
}

impl serde::Serialize for Rows<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match *self {
            Rows::Export(rows, now) => {
                let mut seq = s.serialize_seq(Some(rows.len()))?;
                for row in rows {
                    seq.serialize_element(&export_row(&row, now))?;
                }
                seq.end()
            }
            Rows::Lines(rows) => {
                let mut seq = s.serialize_seq(Some(rows.len()))?;
                for row in rows {
                    seq.serialize_element(&line(row))?;
                }
                seq.end()
            }
            Rows::Records(rows, figure) => {
                let mut seq = s.serialize_seq(Some(rows.len()))?;
                for row in rows {
                    seq.serialize_element(&record(row, &figure))?;
                }
                seq.end()
            }
        }
    }
}
