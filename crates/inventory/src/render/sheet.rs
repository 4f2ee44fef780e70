//! The tabular form of line/record reports and `export` (reports.md §3 "CSV and XLSX"),
//! shared by CSV, XLSX and the terminal table.

use crate::date;
use crate::report::{
    DateValue, ExportRow, LineRow, RecordRow, Report, ReportBody, ReportKind, Reserved,
};

use super::RenderError;

/// One cell, typed so XLSX can write numbers and real dates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Float(f64),
    Date(DateValue<'a>),
    Bool(bool),
    Empty,
}

impl Cell<'_> {
    /// The CSV / table text of a cell.
    pub fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        match *self {
            Cell::Text(s) => out.push_str(s),
            Cell::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Cell::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Cell::Date(DateValue::At(s)) => {
                let (y, m, d) = date::civil(s);
                let _ = write!(out, "{y:04}-{m:02}-{d:02}");
            }
            Cell::Date(DateValue::Unparsed(raw)) => out.push_str(raw),
            Cell::Date(DateValue::Absent) | Cell::Empty => {}
            Cell::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        }
    }
}

const LINE_COLUMNS: &[&str] = &[
    "account",
    "domain",
    "virtualAccount",
    "license",
    "licenseType",
    "quantity",
    "endDate",
];
const SHORTAGE_COLUMNS: &[&str] = &[
    "account",
    "domain",
    "virtualAccount",
    "license",
    "quantity",
    "inUse",
    "shortage",
];
const USAGE_COLUMNS: &[&str] = &[
    "account",
    "domain",
    "virtualAccount",
    "license",
    "quantity",
    "inUse",
    "utilization",
];
/// The 25 export columns, in the order of reports.md §3.
pub(crate) const EXPORT_COLUMNS: &[&str] = &[
    "account",
    "domain",
    "accountStatus",
    "accountType",
    "virtualAccount",
    "license",
    "architecture",
    "subArchitecture",
    "quantity",
    "inUse",
    "available",
    "shortage",
    "utilization",
    "status",
    "billingType",
    "pendingQuantity",
    "reserved",
    "isPortable",
    "licenseType",
    "lineQuantity",
    "startDate",
    "endDate",
    "daysToExpiry",
    "subscriptionId",
    "lineStatus",
];

pub(crate) fn columns(kind: ReportKind) -> Option<&'static [&'static str]> {
    match kind {
        ReportKind::Expired | ReportKind::Expiring(_) => Some(LINE_COLUMNS),
        ReportKind::Shortages => Some(SHORTAGE_COLUMNS),
        ReportKind::Usage => Some(USAGE_COLUMNS),
        ReportKind::Export => Some(EXPORT_COLUMNS),
        ReportKind::Rebalance => Some(crate::rebalance::COLUMNS),
        ReportKind::AtRisk => Some(crate::at_risk::COLUMNS),
        ReportKind::Renewals(_) => Some(crate::renewals::COLUMNS),
        ReportKind::Accounts
        | ReportKind::VirtualAccounts
        | ReportKind::Mix
        | ReportKind::Status => None,
    }
}

fn line_cells<'a>(l: &LineRow<'a>, out: &mut Vec<Cell<'a>>) {
    out.extend([
        Cell::Text(l.account),
        Cell::Text(l.domain),
        Cell::Text(l.virtual_account),
        Cell::Text(l.license),
        Cell::Text(l.license_type),
        Cell::Int(l.quantity),
        Cell::Date(l.end_date),
    ]);
}

fn record_cells<'a>(r: &RecordRow<'a>, usage: bool, out: &mut Vec<Cell<'a>>) {
    out.extend([
        Cell::Text(r.account),
        Cell::Text(r.domain),
        Cell::Text(r.virtual_account),
        Cell::Text(r.license),
        Cell::Int(r.quantity),
        Cell::Int(r.in_use),
        if usage {
            r.utilization.map_or(Cell::Empty, Cell::Float)
        } else {
            Cell::Int(r.shortage)
        },
    ]);
}

fn export_cells<'a>(r: &ExportRow<'a>, now: i64, out: &mut Vec<Cell<'a>>) {
    let l = r.line.as_ref();
    out.extend([
        Cell::Text(r.account),
        Cell::Text(r.domain),
        Cell::Text(r.account_status),
        Cell::Text(r.account_type),
        Cell::Text(r.virtual_account),
        Cell::Text(r.license),
        Cell::Text(r.architecture),
        Cell::Text(r.sub_architecture),
        Cell::Int(r.quantity),
        Cell::Int(r.in_use),
        Cell::Int(r.available),
        Cell::Int(r.shortage()),
        r.utilization().map_or(Cell::Empty, Cell::Float),
        Cell::Text(r.status),
        Cell::Text(r.billing_type),
        Cell::Int(r.pending_quantity),
        match r.reserved {
            Reserved::Count(n) => Cell::Int(n),
            Reserved::Flag(b) => Cell::Bool(b),
        },
        r.is_portable.map_or(Cell::Empty, Cell::Bool),
        l.map_or(Cell::Empty, |l| Cell::Text(l.license_type)),
        l.map_or(Cell::Empty, |l| Cell::Int(l.quantity)),
        l.map_or(Cell::Empty, |l| Cell::Date(l.start_date)),
        l.map_or(Cell::Empty, |l| Cell::Date(l.end_date)),
        r.days_to_expiry(now).map_or(Cell::Empty, Cell::Int),
        l.and_then(|l| l.subscription_id)
            .map_or(Cell::Empty, Cell::Text),
        l.map_or(Cell::Empty, |l| Cell::Text(l.status)),
    ]);
}

/// Calls `f` with the cells of every row, in report order (one reused buffer). Reports
/// without a file form (see [`columns`]) have no rows here.
pub(super) fn for_each_row<'a>(
    report: &'a Report<'_>,
    mut f: impl FnMut(&[Cell<'a>]) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    let mut buf: Vec<Cell<'a>> = Vec::with_capacity(EXPORT_COLUMNS.len());
    match &report.body {
        ReportBody::Expired(s) | ReportBody::Expiring(_, s) => {
            for l in &s.items {
                buf.clear();
                line_cells(l, &mut buf);
                f(&buf)?;
            }
        }
        ReportBody::Shortages(s) | ReportBody::Usage(s) => {
            let usage = matches!(report.body, ReportBody::Usage(_));
            for r in &s.items {
                buf.clear();
                record_cells(r, usage, &mut buf);
                f(&buf)?;
            }
        }
        ReportBody::Export(rows) => {
            for r in rows {
                buf.clear();
                export_cells(&r, report.now, &mut buf);
                f(&buf)?;
            }
        }
        ReportBody::Rebalance(rows) => {
            for r in rows {
                r.for_each_file_row(&mut buf, &mut f)?;
            }
        }
        ReportBody::AtRisk(rows) => {
            for r in rows {
                r.file_cells(&mut buf);
                f(&buf)?;
            }
        }
        ReportBody::Renewals(cal) => cal.for_each_file_row(None, &mut buf, &mut f)?,
        ReportBody::Accounts(_)
        | ReportBody::VirtualAccounts(_)
        | ReportBody::Mix(_)
        | ReportBody::Status(_) => {}
    }
    Ok(())
}

pub(super) fn csv(report: &Report<'_>) -> Result<Vec<u8>, RenderError> {
    let mut bytes = Vec::with_capacity(1 << 16);
    write_csv(report, &mut bytes)?;
    Ok(bytes)
}

/// [`csv`] written row by row to `out` (buffered by the CSV writer).
pub(super) fn write_csv(
    report: &Report<'_>,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    let columns = columns(report.kind()).ok_or(RenderError::NoFileFormat(report.kind()))?;
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(columns)
        .map_err(|e| RenderError::Csv(e.to_string()))?;
    let mut texts: Vec<String> = vec![String::new(); columns.len()];
    for_each_row(report, |cells| {
        for (t, c) in texts.iter_mut().zip(cells) {
            t.clear();
            c.write_text(t);
        }
        w.write_record(&texts)
            .map_err(|e| RenderError::Csv(e.to_string()))
    })?;
    w.flush().map_err(|e| RenderError::Csv(e.to_string()))
}
