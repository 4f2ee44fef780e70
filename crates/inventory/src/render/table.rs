//! Plain-text tables for a terminal: aligned columns, numbers right-aligned, one table per
//! section (status has several), a one-line summary above each.

use std::fmt::Write;

use crate::report::{LinesSection, MixAccount, RecordsSection, Report, ReportBody};

use super::sheet::{columns, for_each_row, Cell};

struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    fn new(headers: &[&str], right: &[bool]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            right: right.to_vec(),
        }
    }

    fn render(&self, out: &mut String) {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |out: &mut String, cells: &[String]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                let pad = widths[i].saturating_sub(c.chars().count());
                if i > 0 {
                    s.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i + 1 < n {
                        s.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(out, &self.headers);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(out, &rule);
        for r in &self.rows {
            line(out, r);
        }
    }
}

fn text(c: &Cell<'_>) -> String {
    let mut s = String::new();
    c.write_text(&mut s);
    s
}

fn numeric(c: &Cell<'_>) -> bool {
    matches!(c, Cell::Int(_) | Cell::Float(_))
}

/// A table from the CSV/XLSX form of the report.
fn file_table(report: &Report<'_>) -> Option<Table> {
    let cols = columns(report.kind())?;
    let mut t = Table::new(cols, &[]);
    let mut right: Option<Vec<bool>> = None;
    // Building strings cannot fail, so the result carries no error worth reporting.
    let _ = for_each_row(report, |cells| {
        if right.is_none() {
            right = Some(cells.iter().map(numeric).collect());
        }
        t.rows.push(cells.iter().map(text).collect());
        Ok(())
    });
    t.right = right.unwrap_or_default();
    Some(t)
}

fn lines_table(s: &LinesSection<'_>) -> Table {
    let mut t = Table::new(
        &[
            "Account",
            "Virtual account",
            "License",
            "Type",
            "Qty",
            "Ends",
        ],
        &[false, false, false, false, true, false],
    );
    for l in &s.items {
        t.rows.push(vec![
            l.account.trim().to_string(),
            l.virtual_account.trim().to_string(),
            l.license.trim().to_string(),
            l.license_type.to_string(),
            l.quantity.to_string(),
            l.end_date.display().unwrap_or_else(|| "never".to_string()),
        ]);
    }
    t
}

fn records_table(s: &RecordsSection<'_>, usage: bool) -> Table {
    let last = if usage { "Utilization %" } else { "Shortage" };
    let mut t = Table::new(
        &[
            "Account",
            "Virtual account",
            "License",
            "Qty",
            "In use",
            last,
        ],
        &[false, false, false, true, true, true],
    );
    for r in &s.items {
        t.rows.push(vec![
            r.account.trim().to_string(),
            r.virtual_account.trim().to_string(),
            r.license.trim().to_string(),
            r.quantity.to_string(),
            r.in_use.to_string(),
            if usage {
                r.utilization.map(|u| format!("{u:.1}")).unwrap_or_default()
            } else {
                r.shortage.to_string()
            },
        ]);
    }
    t
}

fn mix_table(accounts: &[MixAccount<'_>]) -> Table {
    let mut t = Table::new(
        &["Account", "Architecture", "In use", "Percent"],
        &[false, false, true, true],
    );
    for a in accounts {
        for x in &a.architectures {
            t.rows.push(vec![
                a.name.trim().to_string(),
                x.name.to_string(),
                x.in_use.to_string(),
                format!("{:.1}", x.percent),
            ]);
        }
    }
    t
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub(super) fn report(r: &Report<'_>) -> String {
    let mut out = String::new();
    match &r.body {
        ReportBody::Accounts(rows) => {
            let _ = writeln!(
                out,
                "{}",
                plural(rows.len(), "smart account", "smart accounts")
            );
            let mut t = Table::new(&["Name", "Domain", "Status", "Type"], &[]);
            for a in rows {
                t.rows.push(vec![
                    a.name.trim().to_string(),
                    a.domain.to_string(),
                    a.status.to_string(),
                    a.account_type.to_string(),
                ]);
            }
            t.render(&mut out);
        }
        ReportBody::VirtualAccounts(rows) => {
            let mut t = Table::new(&["Account", "Domain", "Virtual account"], &[]);
            for a in rows {
                for v in &a.virtual_accounts {
                    t.rows.push(vec![
                        a.name.trim().to_string(),
                        a.domain.to_string(),
                        v.trim().to_string(),
                    ]);
                }
            }
            let _ = writeln!(
                out,
                "{} in {}",
                plural(t.rows.len(), "virtual account", "virtual accounts"),
                plural(rows.len(), "smart account", "smart accounts")
            );
            t.render(&mut out);
        }
        ReportBody::Expired(s) => {
            let _ = writeln!(
                out,
                "{} expired (quantity {})",
                plural(s.count, "license line", "license lines"),
                s.quantity
            );
            lines_table(s).render(&mut out);
        }
        ReportBody::Expiring(d, s) => {
            let _ = writeln!(
                out,
                "{} expiring in the next {} (quantity {})",
                plural(s.count, "license line", "license lines"),
                plural(d.get() as usize, "day", "days"),
                s.quantity
            );
            lines_table(s).render(&mut out);
        }
        ReportBody::Shortages(s) => {
            let _ = writeln!(
                out,
                "{} with a shortage",
                plural(s.count, "license", "licenses")
            );
            records_table(s, false).render(&mut out);
        }
        ReportBody::Usage(s) => {
            let _ = writeln!(out, "{} in use", plural(s.count, "license", "licenses"));
            records_table(s, true).render(&mut out);
        }
        ReportBody::Mix(a) => {
            let _ = writeln!(
                out,
                "Architecture mix of {}",
                plural(a.len(), "smart account", "smart accounts")
            );
            mix_table(a).render(&mut out);
        }
        ReportBody::Status(st) => {
            let _ = writeln!(
                out,
                "Expired: {} (quantity {}), top {}",
                plural(st.expired.count, "line", "lines"),
                st.expired.quantity,
                st.expired.items.len()
            );
            lines_table(&st.expired).render(&mut out);
            let _ = writeln!(
                out,
                "\nExpiring in the next 180 days: {} (quantity {}), top {}",
                plural(st.expiring.count, "line", "lines"),
                st.expiring.quantity,
                st.expiring.items.len()
            );
            lines_table(&st.expiring).render(&mut out);
            let _ = writeln!(
                out,
                "\nShortages: {}, top {}",
                plural(st.shortages.count, "license", "licenses"),
                st.shortages.items.len()
            );
            records_table(&st.shortages, false).render(&mut out);
            let _ = writeln!(
                out,
                "\nUsage: {} in use, top {}",
                plural(st.usage.count, "license", "licenses"),
                st.usage.items.len()
            );
            records_table(&st.usage, true).render(&mut out);
            let _ = writeln!(out, "\nArchitecture mix");
            mix_table(&st.mix).render(&mut out);
        }
        ReportBody::Export(rows) => {
            let _ = writeln!(out, "{}", plural(rows.len(), "row", "rows"));
            if let Some(t) = file_table(r) {
                t.render(&mut out);
            }
        }
        ReportBody::Rebalance(rows) => {
            let short = rows.iter().fold(0i64, |t, r| t.saturating_add(r.shortage));
            let covered = rows.iter().fold(0i64, |t, r| t.saturating_add(r.covered()));
            let transfers: usize = rows.iter().map(|r| r.transfers.len()).sum();
            let _ = writeln!(
                out,
                "{}, {covered} of {} covered by {}",
                plural(rows.len(), "shortage", "shortages"),
                plural(short as usize, "license", "licenses"),
                plural(transfers, "transfer", "transfers")
            );
            if let Some(t) = file_table(r) {
                t.render(&mut out);
            }
        }
        ReportBody::Renewals(cal) => renewals(cal, &mut out),
        ReportBody::AtRisk(rows) => {
            let (e, s, x) = crate::at_risk::WEIGHTS;
            let _ = writeln!(
                out,
                "{} at risk (score = {e} × expired in use + {s} × short + {x} × expiring in 30 days)",
                plural(rows.len(), "smart account", "smart accounts"),
            );
            if let Some(t) = file_table(r) {
                t.render(&mut out);
            }
        }
    }
    out
}

/// Amounts as `1,100.00 USD + 5.00 EUR` (no currency word when the file gave none).
pub(crate) fn amounts_text(amounts: &[crate::renewals::Amount]) -> String {
    amounts
        .iter()
        .map(|a| {
            if a.currency.is_empty() {
                format!("{:.2}", a.amount)
            } else {
                format!("{:.2} {}", a.amount, a.currency)
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// One block per quarter: its dates and totals, then its lines.
fn renewals(cal: &crate::renewals::Renewals<'_>, out: &mut String) {
    let _ = writeln!(
        out,
        "Renewals in {} ({}): {} (quantity {}){}",
        plural(cal.quarters.len(), "quarter", "quarters"),
        cal.calendar.zone.name(),
        plural(cal.count(), "license line", "license lines"),
        cal.quantity(),
        if cal.priced {
            format!(", amount {}", amounts_or_none(&cal.amounts()))
        } else {
            String::new()
        }
    );
    for q in &cal.quarters {
        let _ = write!(
            out,
            "\n{} ({} to {}): {} (quantity {})",
            q.label,
            crate::date::ymd(q.first_day),
            crate::date::ymd(q.last_day),
            plural(q.rows.len(), "line", "lines"),
            q.quantity
        );
        if cal.priced {
            let _ = write!(out, ", amount {}", amounts_or_none(&q.amounts));
            if q.unpriced > 0 {
                let _ = write!(
                    out,
                    ", {} with no price",
                    plural(q.unpriced, "line", "lines")
                );
            }
        }
        out.push('\n');
        if q.rows.is_empty() {
            continue;
        }
        let mut headers = vec!["Account", "Virtual account", "License", "Qty", "Ends"];
        let mut right = vec![false, false, false, true, false];
        if cal.priced {
            headers.extend(["Unit price", "Amount"]);
            right.extend([true, true]);
        }
        let mut t = Table::new(&headers, &right);
        for r in &q.rows {
            let mut cells = vec![
                r.account.trim().to_string(),
                r.virtual_account.trim().to_string(),
                r.license.trim().to_string(),
                r.quantity.to_string(),
                crate::date::ymd(r.local_end_date),
            ];
            if cal.priced {
                match (&r.price, r.amount()) {
                    (Some(p), Some(a)) => cells.extend([
                        format!("{:.2}", p.unit_price),
                        amounts_text(&[crate::renewals::Amount {
                            currency: p.currency.clone(),
                            amount: a,
                        }]),
                    ]),
                    _ => cells.extend([String::new(), crate::renewals::NO_PRICE.to_string()]),
                }
            }
            t.rows.push(cells);
        }
        t.render(out);
    }
}

fn amounts_or_none(amounts: &[crate::renewals::Amount]) -> String {
    if amounts.is_empty() {
        "0.00".to_string()
    } else {
        amounts_text(amounts)
    }
}
