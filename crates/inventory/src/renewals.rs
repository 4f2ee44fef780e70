//! `renewals`: the renewal calendar. Entitlement lines by the calendar quarter of their end
//! date, by account, VA and licence, with quantities (and amounts, given unit prices) per
//! quarter.
//!
//! Rules (pinned by the tests of this file):
//! - Quarters are calendar quarters (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec) in a time zone
//!   ([`Calendar::zone`], UTC unless the user names one): a quarter runs from the local
//!   midnight starting its first day to the local midnight starting the next quarter. The
//!   calendar starts with the quarter containing `now` and has [`Quarters`] quarters
//!   (1..=20, 4 by default).
//! - A line is in the quarter in which its `endDate` falls. Lines with `endDate < now` are not
//!   renewals (they are `expired`); perpetual lines and unknown end dates are left out.
//! - Rows inside a quarter: end date ascending, then account, domain, VA, licence and the
//!   other tie-breaks of reports.md §2. Quarters with no line are kept (a calendar shows them).
//! - Each quarter totals its lines and quantities. With prices ([`Report::with_prices`]),
//!   each row has `amount = quantity × unitPrice`, and each quarter the sum of the amounts per
//!   currency (currencies are never added together) and the number of lines with no price.
//! - `endDate` in JSON is the UTC date (reports.md §3); `localEndDate` is the date in the
//!   calendar's zone, the one that decides the quarter.
//!
//! [`Report::with_prices`]: crate::Report::with_prices

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::model::{Inventory, StoredDate};
use crate::prices::{PriceList, UnitPrice};
use crate::render::Cell;
use crate::report::DateValue;
use crate::select::Selection;

/// How many quarters `renewals` covers: a whole number in `1..=20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarters(u8);

/// The sentence for a quarter count out of range (like [`crate::DAYS_RANGE_SENTENCE`]).
pub const QUARTERS_RANGE_SENTENCE: &str =
    "I can show 1 to 20 quarters of renewals, for example `renewals 4 quarters`.";

/// A quarter count outside `1..=20`, or not a whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("I can show 1 to 20 quarters of renewals, for example `renewals 4 quarters`.")]
pub struct QuartersOutOfRange;

impl Quarters {
    /// The smallest accepted value.
    pub const MIN: u32 = 1;
    /// The largest accepted value (five years).
    pub const MAX: u32 = 20;
    /// `renewals` alone covers a year.
    pub const DEFAULT: Quarters = Quarters(4);

    /// A validated quarter count.
    pub fn new(quarters: u32) -> Result<Self, QuartersOutOfRange> {
        if (Self::MIN..=Self::MAX).contains(&quarters) {
            Ok(Quarters(quarters as u8))
        } else {
            Err(QuartersOutOfRange)
        }
    }

    /// Parses user text: a whole decimal number in range; anything else is an error.
    pub fn parse(text: &str) -> Result<Self, QuartersOutOfRange> {
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuartersOutOfRange);
        }
        t.parse::<u32>()
            .map_err(|_| QuartersOutOfRange)
            .and_then(Quarters::new)
    }

    /// The number of quarters.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for Quarters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The parameter of `renewals`: how many quarters, and the time zone whose local midnights
/// bound them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Calendar {
    /// How many quarters, the first being the one containing `now`.
    pub quarters: Quarters,
    /// The zone of the quarter boundaries (an IANA zone; UTC by default).
    pub zone: Tz,
}

impl Calendar {
    /// Four quarters in UTC.
    pub const DEFAULT: Calendar = Calendar {
        quarters: Quarters::DEFAULT,
        zone: Tz::UTC,
    };
}

/// A sum of amounts in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    /// The currency as the price file wrote it (empty when it gave none).
    pub currency: String,
    /// The sum of `quantity × unitPrice`.
    pub amount: f64,
}

/// One entitlement line of the calendar. JSON item: the §3 line plus `localEndDate` and, when
/// priced, `unitPrice`, `currency` and `amount` (`null` for a licence with no price).
#[derive(Debug, Clone, PartialEq)]
pub struct RenewalRow<'a> {
    /// Smart account name.
    pub account: &'a str,
    /// Smart account domain.
    pub domain: &'a str,
    /// Virtual account name.
    pub virtual_account: &'a str,
    /// Licence name.
    pub license: &'a str,
    /// `licenseType`.
    pub license_type: &'a str,
    /// `subscriptionId`.
    pub subscription_id: Option<&'a str>,
    /// The line's quantity.
    pub quantity: i64,
    /// `endDate`, seconds since the epoch.
    pub end: i64,
    /// The calendar date of `end` in the calendar's zone, as midnight UTC of that date.
    pub local_end_date: i64,
    /// The licence's unit price, when a price list gave one.
    pub price: Option<UnitPrice>,
}

impl RenewalRow<'_> {
    /// `quantity × unitPrice`, when priced.
    pub fn amount(&self) -> Option<f64> {
        self.price
            .as_ref()
            .map(|p| self.quantity as f64 * p.unit_price)
    }
}

/// One calendar quarter and its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct RenewalQuarter<'a> {
    /// `2027-Q1`.
    pub label: String,
    /// The first local day, as midnight UTC of that date.
    pub first_day: i64,
    /// The last local day, as midnight UTC of that date.
    pub last_day: i64,
    /// The instant the quarter starts (local midnight of its first day).
    pub start: i64,
    /// The instant the next quarter starts (exclusive end).
    pub end: i64,
    /// Lines ending in this quarter (not before `now`), in report order.
    pub rows: Vec<RenewalRow<'a>>,
    /// Sum of the rows' quantities.
    pub quantity: i64,
    /// Sum of amounts per currency, by currency name (empty without prices).
    pub amounts: Vec<Amount>,
    /// Rows whose licence has no price (0 without prices).
    pub unpriced: usize,
}

/// The `renewals` report.
#[derive(Debug, Clone, PartialEq)]
pub struct Renewals<'a> {
    /// The quarters and zone asked for.
    pub calendar: Calendar,
    /// Whether a price list was applied.
    pub priced: bool,
    /// Every quarter of the calendar, empty ones included, in order.
    pub quarters: Vec<RenewalQuarter<'a>>,
}

impl Renewals<'_> {
    /// Number of lines over every quarter.
    pub fn count(&self) -> usize {
        self.quarters.iter().map(|q| q.rows.len()).sum()
    }

    /// Quantity over every quarter.
    pub fn quantity(&self) -> i64 {
        self.quarters
            .iter()
            .fold(0i64, |t, q| t.saturating_add(q.quantity))
    }

    /// Amounts over every quarter, per currency.
    pub fn amounts(&self) -> Vec<Amount> {
        sum_amounts(
            self.quarters
                .iter()
                .flat_map(|q| q.amounts.iter().map(|a| (a.currency.as_str(), a.amount))),
        )
    }

    /// Rows with no price over every quarter.
    pub fn unpriced(&self) -> usize {
        self.quarters.iter().map(|q| q.unpriced).sum()
    }

    /// Gives every row its unit price from `prices` and every quarter its amounts.
    pub fn apply_prices(&mut self, prices: &PriceList) {
        self.priced = true;
        for q in &mut self.quarters {
            for r in &mut q.rows {
                r.price = prices.get(r.license).cloned();
            }
            q.unpriced = q.rows.iter().filter(|r| r.price.is_none()).count();
            q.amounts = sum_amounts(q.rows.iter().filter_map(|r| {
                let p = r.price.as_ref()?;
                Some((p.currency.as_str(), r.amount()?))
            }));
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let amounts = |a: &[Amount]| -> Value {
            a.iter()
                .map(|a| json!({"currency": a.currency, "amount": a.amount}))
                .collect()
        };
        let mut v = json!({
            "quarters": self.calendar.quarters.get(),
            "timeZone": self.calendar.zone.name(),
            "priced": self.priced,
            "count": self.count(),
            "quantity": self.quantity(),
            "calendar": self.quarters.iter().map(|q| {
                let mut qv = json!({
                    "quarter": q.label,
                    "start": crate::date::ymd(q.first_day),
                    "end": crate::date::ymd(q.last_day),
                    "count": q.rows.len(),
                    "quantity": q.quantity,
                    "items": q.rows.iter().map(|r| {
                        let mut item = json!({
                            "account": r.account,
                            "domain": r.domain,
                            "virtualAccount": r.virtual_account,
                            "license": r.license,
                            "licenseType": r.license_type,
                            "quantity": r.quantity,
                            "endDate": crate::date::ymd(r.end),
                            "localEndDate": crate::date::ymd(r.local_end_date),
                            "subscriptionId": r.subscription_id,
                        });
                        if self.priced {
                            item["unitPrice"] = json!(r.price.as_ref().map(|p| p.unit_price));
                            item["currency"] = json!(r.price.as_ref().map(|p| p.currency.as_str()));
                            item["amount"] = json!(r.amount());
                        }
                        item
                    }).collect::<Vec<_>>(),
                });
                if self.priced {
                    qv["amounts"] = amounts(&q.amounts);
                    qv["unpriced"] = json!(q.unpriced);
                }
                qv
            }).collect::<Vec<_>>(),
        });
        if self.priced {
            v["amounts"] = amounts(&self.amounts());
            v["unpriced"] = json!(self.unpriced());
        }
        v
    }

    /// The cells of every line, quarter by quarter (the CSV and each quarter's sheet).
    pub(crate) fn for_each_file_row<'r, E>(
        &'r self,
        only: Option<usize>,
        buf: &mut Vec<Cell<'r>>,
        mut f: impl FnMut(&[Cell<'r>]) -> Result<(), E>,
    ) -> Result<(), E> {
        for (i, q) in self.quarters.iter().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            for r in &q.rows {
                buf.clear();
                buf.extend([
                    Cell::Text(&q.label),
                    Cell::Text(r.account),
                    Cell::Text(r.domain),
                    Cell::Text(r.virtual_account),
                    Cell::Text(r.license),
                    Cell::Text(r.license_type),
                    r.subscription_id.map_or(Cell::Empty, Cell::Text),
                    Cell::Int(r.quantity),
                    Cell::Date(DateValue::At(r.end)),
                    Cell::Date(DateValue::At(r.local_end_date)),
                ]);
                match (&r.price, r.amount()) {
                    (Some(p), Some(a)) => buf.extend([
                        Cell::Float(p.unit_price),
                        Cell::Text(&p.currency),
                        Cell::Float(a),
                    ]),
                    _ if self.priced => {
                        buf.extend([Cell::Empty, Cell::Empty, Cell::Text(NO_PRICE)])
                    }
                    _ => buf.extend([Cell::Empty, Cell::Empty, Cell::Empty]),
                }
                f(buf)?;
            }
        }
        Ok(())
    }

    /// The rows of the summary sheet: one per quarter and currency (one with empty amount
    /// cells for a quarter with no priced line).
    pub(crate) fn for_each_summary_row<'r, E>(
        &'r self,
        buf: &mut Vec<Cell<'r>>,
        mut f: impl FnMut(&[Cell<'r>]) -> Result<(), E>,
    ) -> Result<(), E> {
        for q in &self.quarters {
            let head = [
                Cell::Text(&q.label),
                Cell::Date(DateValue::At(q.first_day)),
                Cell::Date(DateValue::At(q.last_day)),
                Cell::Int(q.rows.len() as i64),
                Cell::Int(q.quantity),
            ];
            let unpriced = if self.priced {
                Cell::Int(q.unpriced as i64)
            } else {
                Cell::Empty
            };
            if q.amounts.is_empty() {
                buf.clear();
                buf.extend(head);
                buf.extend([Cell::Empty, Cell::Empty, unpriced]);
                f(buf)?;
            }
            for a in &q.amounts {
                buf.clear();
                buf.extend(head);
                buf.extend([Cell::Text(&a.currency), Cell::Float(a.amount), unpriced]);
                f(buf)?;
            }
        }
        Ok(())
    }
}

/// What a priced row with no price shows instead of an amount.
pub const NO_PRICE: &str = "no price";

/// The CSV/XLSX columns of `renewals`: one row per line, the quarter first.
pub(crate) const COLUMNS: &[&str] = &[
    "quarter",
    "account",
    "domain",
    "virtualAccount",
    "license",
    "licenseType",
    "subscriptionId",
    "quantity",
    "endDate",
    "localEndDate",
    "unitPrice",
    "currency",
    "amount",
];

/// The columns of the XLSX "Summary" sheet.
pub(crate) const SUMMARY_COLUMNS: &[&str] = &[
    "quarter",
    "start",
    "end",
    "lines",
    "quantity",
    "currency",
    "amount",
    "unpricedLines",
];

/// Sums amounts per currency, sorted by currency.
fn sum_amounts<'c>(items: impl Iterator<Item = (&'c str, f64)>) -> Vec<Amount> {
    let mut out: Vec<Amount> = Vec::new();
    for (currency, amount) in items {
        match out.iter_mut().find(|a| a.currency == currency) {
            Some(a) => a.amount += amount,
            None => out.push(Amount {
                currency: currency.to_string(),
                amount,
            }),
        }
    }
    out.sort_by(|a, b| a.currency.cmp(&b.currency));
    out
}

/// The instant of local midnight starting `date` in `zone`. Where that midnight does not exist
/// (a zone that moves its clocks at midnight), the first local time after it.
fn local_midnight(zone: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    for hour in 0..4 {
        let t = midnight + chrono::Duration::hours(hour);
        if let Some(at) = zone.from_local_datetime(&t).earliest() {
            return at.timestamp();
        }
    }
    midnight.and_utc().timestamp()
}

/// The date as midnight UTC of it (how dates are carried in rows).
fn as_day(date: NaiveDate) -> i64 {
    date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

/// The first day of quarter `q` (0-based index from year 0) as a date.
fn quarter_first_day(index: i64) -> Option<NaiveDate> {
    let year = i32::try_from(index.div_euclid(4)).ok()?;
    let month = (index.rem_euclid(4) * 3 + 1) as u32;
    NaiveDate::from_ymd_opt(year, month, 1)
}

impl Inventory {
    /// The `renewals` calendar for the selection at `now` (see the module's rules).
    pub(crate) fn renewals(&self, calendar: Calendar, now: i64, sel: &Selection) -> Renewals<'_> {
        let zone = calendar.zone;
        let local_now = DateTime::from_timestamp(now, 0)
            .unwrap_or_default()
            .with_timezone(&zone);
        let first = i64::from(local_now.year()) * 4 + i64::from(local_now.month0() / 3);
        let mut quarters: Vec<RenewalQuarter<'_>> = Vec::new();
        for i in 0..i64::from(calendar.quarters.get()) {
            let index = first + i;
            let (Some(start_day), Some(next_day)) =
                (quarter_first_day(index), quarter_first_day(index + 1))
            else {
                break;
            };
            let last_day = next_day.pred_opt().unwrap_or(start_day);
            quarters.push(RenewalQuarter {
                label: format!("{}-Q{}", start_day.year(), index.rem_euclid(4) + 1),
                first_day: as_day(start_day),
                last_day: as_day(last_day),
                start: local_midnight(zone, start_day),
                end: local_midnight(zone, next_day),
                rows: Vec::new(),
                quantity: 0,
                amounts: Vec::new(),
                unpriced: 0,
            });
        }
        let mut hits: Vec<Vec<(i64, u32)>> = vec![Vec::new(); quarters.len()];
        for r in self.selected_records(sel) {
            let rec = &self.records[r as usize];
            for li in rec.first_line..rec.first_line + rec.line_count {
                let StoredDate::At(end) = self.lines[li as usize].end else {
                    continue; // perpetual or unknown expiry
                };
                if end < now {
                    continue; // expired, not a renewal
                }
                if let Some(q) = quarters.iter().position(|q| q.start <= end && end < q.end) {
                    hits[q].push((end, li));
                }
            }
        }
        for (q, mut lines) in quarters.iter_mut().zip(hits) {
            lines.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| self.line_tie(a.1, b.1)));
            q.rows = lines
                .iter()
                .map(|&(end, li)| {
                    let line = &self.lines[li as usize];
                    let rec = &self.records[line.record as usize];
                    let acc = &self.accounts[rec.account as usize];
                    let local = DateTime::from_timestamp(end, 0)
                        .unwrap_or_default()
                        .with_timezone(&zone)
                        .date_naive();
                    RenewalRow {
                        account: self.s(acc.name),
                        domain: self.s(acc.domain),
                        virtual_account: self.s(rec.va),
                        license: self.s(rec.license),
                        license_type: self.s(line.license_type),
                        subscription_id: self.opt(line.subscription_id),
                        quantity: line.quantity,
                        end,
                        local_end_date: as_day(local),
                        price: None,
                    }
                })
                .collect();
            q.quantity = q
                .rows
                .iter()
                .fold(0i64, |t, r| t.saturating_add(r.quantity));
        }
        Renewals {
            calendar,
            priced: false,
            quarters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Catalog, Filters, ReportBody, ReportKind};

    /// 2026-12-07T12:00:00Z (a Monday): in Q4 2026 in every zone of these tests.
    const NOW: i64 = 1_796_644_800;

    /// Acme DEFAULT: Apex 10 ending 2026-12-31T23:30Z (Q4 in UTC, 2027-01-01 00:30 in Berlin:
    /// Q1), Apex 5 ending 2027-01-01T03:00Z (Q1 in UTC, 2026-12-31 19:00 in Los Angeles: Q4),
    /// Plus 7 ending 2027-05-15 (Q2), an expired Plus 3 (2026-11-01), a perpetual Base 4 and an
    /// unknown date. Acme Lab: Plus 2 ending 2026-12-20 (Q4). Beta DEFAULT: Apex 1 ending
    /// 2026-12-20 (Q4, same day as Lab: account name decides) and Apex 9 ending 2028-01-10
    /// (Q1 2028, the fifth quarter).
    const SNAPSHOT: &str = r#"{
      "accounts": [
        {"accountName": "Beta", "accountDomain": "beta.com"},
        {"accountName": "Acme", "accountDomain": "acme.com"}
      ],
      "licenses": {
        "acme.com": [
          {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 15, "inUse": 8,
           "licenseDetails": [{"quantity": 10, "endDate": "2026-12-31T23:30:00Z"},
                              {"quantity": 5, "endDate": "2027-01-01T03:00:00Z"}]},
          {"license": "Plus", "virtualAccount": "DEFAULT", "quantity": 10, "inUse": 3,
           "licenseDetails": [{"quantity": 7, "endDate": "2027-05-15"},
                              {"quantity": 3, "endDate": "2026-11-01"}]},
          {"license": "Base", "virtualAccount": "DEFAULT", "quantity": 4, "inUse": 1,
           "licenseDetails": [{"quantity": 4, "endDate": null},
                              {"quantity": 6, "endDate": "soon"}]},
          {"license": "Plus", "virtualAccount": "Lab", "quantity": 2, "inUse": 0,
           "licenseDetails": [{"quantity": 2, "endDate": "2026-12-20"}]}
        ],
        "beta.com": [
          {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 10, "inUse": 0,
           "licenseDetails": [{"quantity": 1, "endDate": "2026-12-20"},
                              {"quantity": 9, "endDate": "2028-01-10"}]}
        ]
      }
    }"#;

    fn inventory() -> Inventory {
        Inventory::from_json_slice(SNAPSHOT.as_bytes(), &Catalog::shipped())
            .expect("the test snapshot loads")
    }

    fn calendar(quarters: u32, zone: Tz) -> Calendar {
        Calendar {
            quarters: Quarters::new(quarters).expect("in range"),
            zone,
        }
    }

    /// (label, [(account, va, licence, quantity)], quantity) per quarter.
    type Shape = Vec<(String, Vec<(String, String, String, i64)>, i64)>;

    fn shape(inv: &Inventory, cal: Calendar, filters: &Filters) -> Shape {
        let report = inv
            .report_at(ReportKind::Renewals(cal), NOW, filters)
            .expect("the filters are valid");
        let ReportBody::Renewals(r) = &report.body else {
            panic!("renewals computes a renewals body");
        };
        r.quarters
            .iter()
            .map(|q| {
                (
                    q.label.clone(),
                    q.rows
                        .iter()
                        .map(|r| {
                            (
                                r.account.into(),
                                r.virtual_account.into(),
                                r.license.into(),
                                r.quantity,
                            )
                        })
                        .collect(),
                    q.quantity,
                )
            })
            .collect()
    }

    fn row(account: &str, va: &str, license: &str, qty: i64) -> (String, String, String, i64) {
        (account.into(), va.into(), license.into(), qty)
    }

    #[test]
    fn lines_fall_in_the_utc_quarter_of_their_end_date_sorted_by_date_then_account() {
        // Q4 2026: Acme Lab Plus 2 and Beta Apex 1 (both 2026-12-20: Acme before Beta), then
        // Acme Apex 10 (12-31 23:30): 13. Q1 2027: Apex 5 (01-01 03:00). Q2: Plus 7. Q3: empty.
        // Left out: the expired Plus 3, the perpetual Base, the unknown date, and Beta's
        // 2028-01-10 (the fifth quarter).
        assert_eq!(
            shape(&inventory(), Calendar::DEFAULT, &Filters::none()),
            vec![
                (
                    "2026-Q4".into(),
                    vec![
                        row("Acme", "Lab", "Plus", 2),
                        row("Beta", "DEFAULT", "Apex", 1),
                        row("Acme", "DEFAULT", "Apex", 10),
                    ],
                    13
                ),
                ("2027-Q1".into(), vec![row("Acme", "DEFAULT", "Apex", 5)], 5),
                ("2027-Q2".into(), vec![row("Acme", "DEFAULT", "Plus", 7)], 7),
                ("2027-Q3".into(), vec![], 0),
            ]
        );
    }

    #[test]
    fn quarter_boundaries_are_local_midnights_of_the_calendar_zone() {
        let inv = inventory();
        // Berlin (UTC+1 in winter): 2026-12-31T23:30Z is 2027-01-01 00:30, so Apex 10 is Q1;
        // 2027-01-01T03:00Z is 04:00 there, Q1 too. Q4 keeps Lab 2 and Beta 1.
        let berlin = shape(
            &inv,
            calendar(2, chrono_tz::Europe::Berlin),
            &Filters::none(),
        );
        assert_eq!(
            berlin,
            vec![
                (
                    "2026-Q4".into(),
                    vec![
                        row("Acme", "Lab", "Plus", 2),
                        row("Beta", "DEFAULT", "Apex", 1)
                    ],
                    3
                ),
                (
                    "2027-Q1".into(),
                    vec![
                        row("Acme", "DEFAULT", "Apex", 10),
                        row("Acme", "DEFAULT", "Apex", 5)
                    ],
                    15
                ),
            ]
        );
        // Los Angeles (UTC−8): 2027-01-01T03:00Z is 2026-12-31 19:00, so Apex 5 is Q4, as is
        // Apex 10 (15:30 on the 31st). 2026-12-20 (midnight UTC) is the 19th there, still Q4.
        let la = shape(
            &inv,
            calendar(2, chrono_tz::America::Los_Angeles),
            &Filters::none(),
        );
        assert_eq!(
            la,
            vec![
                (
                    "2026-Q4".into(),
                    vec![
                        row("Acme", "Lab", "Plus", 2),
                        row("Beta", "DEFAULT", "Apex", 1),
                        row("Acme", "DEFAULT", "Apex", 10),
                        row("Acme", "DEFAULT", "Apex", 5),
                    ],
                    18
                ),
                ("2027-Q1".into(), vec![], 0),
            ]
        );
    }

    #[test]
    fn the_quarters_and_their_local_dates_are_as_on_a_wall_calendar() {
        let inv = inventory();
        let report = inv
            .report_at(
                ReportKind::Renewals(calendar(2, chrono_tz::America::Los_Angeles)),
                NOW,
                &Filters::none(),
            )
            .unwrap();
        let ReportBody::Renewals(r) = &report.body else {
            panic!("renewals body");
        };
        let q4 = &r.quarters[0];
        assert_eq!(
            (
                crate::date::ymd(q4.first_day),
                crate::date::ymd(q4.last_day)
            ),
            ("2026-10-01".into(), "2026-12-31".into())
        );
        // Q4 2026 in Los Angeles: 2026-10-01 00:00 PDT (UTC−7) = 07:00Z,
        // to 2027-01-01 00:00 PST (UTC−8) = 08:00Z.
        assert_eq!(crate::date::parse("2026-10-01T07:00:00Z"), Some(q4.start));
        assert_eq!(crate::date::parse("2027-01-01T08:00:00Z"), Some(q4.end));
        // Apex 5 ends 2027-01-01T03:00Z: its UTC date is the 1st, its local date the 31st.
        let apex5 = &q4.rows[3];
        assert_eq!(crate::date::ymd(apex5.end), "2027-01-01");
        assert_eq!(crate::date::ymd(apex5.local_end_date), "2026-12-31");
    }

    #[test]
    fn five_quarters_reach_the_next_years_first_quarter_and_filters_apply() {
        let inv = inventory();
        let beta = Filters {
            accounts: vec!["beta".into()],
            vas: vec![],
        };
        // Beta only: Apex 1 in Q4 2026, Apex 9 (2028-01-10) in the fifth quarter, Q1 2028.
        let quarters = shape(&inv, calendar(6, Tz::UTC), &beta);
        let labels: Vec<&str> = quarters.iter().map(|q| q.0.as_str()).collect();
        assert_eq!(
            labels,
            ["2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4", "2028-Q1"]
        );
        let sizes: Vec<i64> = quarters.iter().map(|q| q.2).collect();
        assert_eq!(sizes, [1, 0, 0, 0, 0, 9]);
    }

    #[test]
    fn quarter_counts_outside_one_to_twenty_are_refused() {
        assert_eq!(Quarters::new(0), Err(QuartersOutOfRange));
        assert_eq!(Quarters::new(21), Err(QuartersOutOfRange));
        assert_eq!(Quarters::parse("20").map(Quarters::get), Ok(20));
        assert_eq!(Quarters::parse(" 1 ").map(Quarters::get), Ok(1));
        for bad in ["", "2.5", "-1", "abc", "99999999999"] {
            assert_eq!(Quarters::parse(bad), Err(QuartersOutOfRange), "{bad:?}");
        }
        assert_eq!(QuartersOutOfRange.to_string(), QUARTERS_RANGE_SENTENCE);
    }

    #[test]
    fn prices_give_amounts_per_row_and_totals_per_quarter_and_currency() {
        let inv = inventory();
        let prices = PriceList::parse(b"license,unitPrice,currency\napex,100,USD\nPlus,2.5,EUR\n")
            .unwrap()
            .prices;
        let report = inv
            .report_at(
                ReportKind::Renewals(Calendar::DEFAULT),
                NOW,
                &Filters::none(),
            )
            .unwrap()
            .with_prices(&prices);
        let ReportBody::Renewals(r) = &report.body else {
            panic!("renewals body");
        };
        // Q4: Lab Plus 2 × 2.5 = 5 EUR; Beta Apex 1 × 100 + Acme Apex 10 × 100 = 1100 USD.
        let q4 = &r.quarters[0];
        assert_eq!(
            q4.amounts,
            vec![
                Amount {
                    currency: "EUR".into(),
                    amount: 5.0
                },
                Amount {
                    currency: "USD".into(),
                    amount: 1100.0
                }
            ]
        );
        assert_eq!(q4.rows[0].amount(), Some(5.0));
        // Q2: Plus 7 × 2.5 = 17.5 EUR. Over the year: EUR 5 + 17.5 = 22.5, USD 1100 + 500.
        assert_eq!(r.quarters[2].amounts[0].amount, 17.5);
        let total: Vec<(String, f64)> = r
            .amounts()
            .into_iter()
            .map(|a| (a.currency, a.amount))
            .collect();
        assert_eq!(total, [("EUR".into(), 22.5), ("USD".into(), 1600.0)]);
        assert_eq!(r.unpriced(), 0);
        let json = report.to_json();
        assert_eq!(json["calendar"][1]["items"][0]["amount"], 500.0);
        assert_eq!(json["calendar"][3]["amounts"], json!([]));
    }

    #[test]
    fn a_licence_without_a_price_says_no_price_and_is_counted() {
        let inv = inventory();
        let prices = PriceList::parse(b"license,unitPrice\nApex,3\n")
            .unwrap()
            .prices;
        let report = inv
            .report_at(
                ReportKind::Renewals(Calendar::DEFAULT),
                NOW,
                &Filters::none(),
            )
            .unwrap()
            .with_prices(&prices);
        let ReportBody::Renewals(r) = &report.body else {
            panic!("renewals body");
        };
        // Q4: Plus 2 unpriced; Apex 1 + 10 = 11 × 3 = 33 in the empty currency.
        assert_eq!(r.quarters[0].unpriced, 1);
        assert_eq!(r.quarters[0].amounts[0].amount, 33.0);
        let csv = String::from_utf8(report.to_csv().unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "quarter,account,domain,virtualAccount,license,licenseType,subscriptionId,quantity,\
             endDate,localEndDate,unitPrice,currency,amount"
        );
        assert_eq!(
            lines[1],
            "2026-Q4,Acme,acme.com,Lab,Plus,,,2,2026-12-20,2026-12-20,,,no price"
        );
        assert_eq!(
            lines[2],
            "2026-Q4,Beta,beta.com,DEFAULT,Apex,,,1,2026-12-20,2026-12-20,3,,3"
        );
    }

    #[test]
    fn the_workbook_has_a_summary_sheet_then_one_sheet_per_quarter() {
        use calamine::{Data, Reader, Xlsx};
        let inv = inventory();
        let prices = PriceList::parse(b"license,unitPrice,currency\nApex,100,USD\nPlus,2.5,EUR\n")
            .unwrap()
            .prices;
        let bytes = inv
            .report_at(
                ReportKind::Renewals(calendar(2, Tz::UTC)),
                NOW,
                &Filters::none(),
            )
            .unwrap()
            .with_prices(&prices)
            .to_xlsx()
            .unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Summary", "2026-Q4", "2027-Q1"]);
        // Summary: Q4 has two currencies (EUR 5, USD 1100), Q1 one (USD 500).
        let summary = book.worksheet_range("Summary").unwrap();
        let cells = |r: usize| -> Vec<Data> { summary.rows().nth(r).unwrap().to_vec() };
        assert_eq!(cells(1)[0], Data::String("2026-Q4".into()));
        assert_eq!(cells(1)[3], Data::Float(3.0));
        assert_eq!(cells(1)[4], Data::Float(13.0));
        assert_eq!(
            (cells(1)[5].clone(), cells(1)[6].clone()),
            (Data::String("EUR".into()), Data::Float(5.0))
        );
        assert_eq!(
            (cells(2)[5].clone(), cells(2)[6].clone()),
            (Data::String("USD".into()), Data::Float(1100.0))
        );
        assert_eq!(cells(3)[6], Data::Float(500.0));
        // The Q4 sheet: a header and its three lines.
        assert_eq!(book.worksheet_range("2026-Q4").unwrap().height(), 4);
    }
}
