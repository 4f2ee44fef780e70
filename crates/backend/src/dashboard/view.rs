//! What a dashboard URL asks for ([`View`]: report, filters, licence search, days, sort), the
//! report it gives (the inventory engine's, narrowed by the search and sorted as asked), and
//! that report as a [`Table`] for the page, as CSV and as XLSX. The page, the download and the
//! JSON API all go through [`View::report`], so a download holds exactly the rows shown.

use std::cmp::Ordering;

use slbot_inventory::{
    Days, Filters, Inventory, LineRow, RecordRow, Report, ReportBody, ReportKind,
    UnknownFilterValue,
};

/// The reports with a page, in menu order: (URL name, title).
pub const PAGES: &[(&str, &str)] = &[
    ("expired", "Expired"),
    ("expiring", "Expiring"),
    ("shortages", "Shortages"),
    ("usage", "Usage"),
    ("mix", "Architecture mix"),
    ("accounts", "Smart accounts"),
    ("virtual-accounts", "Virtual accounts"),
    ("rebalance", "Rebalance"),
    ("at-risk", "At risk"),
    ("renewals", "Renewals"),
];

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// One dashboard URL's question.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct View {
    /// Smart accounts (names or domains) and VAs, as the engine's filters.
    pub filters: Filters,
    /// Licence-name search: case-insensitive substring of the trimmed name.
    pub search: String,
    /// Days ahead for `expiring` (1..3650; default 30).
    pub days: Option<u32>,
    /// Column key and direction; `None`: the report's own order.
    pub sort: Option<(String, Dir)>,
    /// Which [`PAGE_ROWS`] rows of the table the page shows (1-based; `None`: the first).
    /// Downloads and the JSON API ignore it: they hold every row.
    pub page: Option<usize>,
}

/// Rows of a report table per page, so a 27k-line inventory is not one giant HTML table.
pub const PAGE_ROWS: usize = 100;

/// A query that cannot be used, with the sentence to show.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("{0}")]
    Filter(#[from] UnknownFilterValue),
    #[error("Days must be a whole number from 1 to 3650.")]
    Days,
}

impl View {
    /// Reads `account=…&va=…&q=…&days=…&sort=…&dir=…&page=…` (keys may repeat; unknown keys
    /// and a page that is not a positive number are ignored).
    pub fn parse(query: Option<&str>) -> Result<View, ViewError> {
        let mut view = View::default();
        let mut dir = Dir::Asc;
        let mut sort = None;
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let v = v.trim();
            match k.as_ref() {
                "account" if !v.is_empty() => view.filters.accounts.push(v.to_string()),
                "va" if !v.is_empty() => view.filters.vas.push(v.to_string()),
                "q" => view.search = v.chars().take(200).collect(),
                "days" if !v.is_empty() => {
                    let days = Days::parse(v).map_err(|_| ViewError::Days)?;
                    view.days = Some(days.get());
                }
                "sort" if !v.is_empty() && v.len() <= 40 => sort = Some(v.to_string()),
                "dir" => {
                    dir = if v == "desc" { Dir::Desc } else { Dir::Asc };
                }
                "page" => view.page = v.parse().ok().filter(|p| *p > 1),
                _ => {}
            }
        }
        view.sort = sort.map(|s| (s, dir));
        Ok(view)
    }

    /// The query string of this view (no `?`), for deep links and downloads; `except` leaves
    /// out one key (`"sort"` drops the sort, for the headers' links). The page is kept only
    /// with nothing left out (`""`): a link that changes the question starts at its first page.
    pub fn query(&self, except: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if except != "account" {
            for a in &self.filters.accounts {
                q.append_pair("account", a);
            }
        }
        if except != "va" {
            for v in &self.filters.vas {
                q.append_pair("va", v);
            }
        }
        if !self.search.is_empty() && except != "q" {
            q.append_pair("q", &self.search);
        }
        if let (Some(d), false) = (self.days, except == "days") {
            q.append_pair("days", &d.to_string());
        }
        if let (Some((key, dir)), false) = (&self.sort, except == "sort") {
            q.append_pair("sort", key);
            q.append_pair("dir", if *dir == Dir::Desc { "desc" } else { "asc" });
        }
        if let (Some(p), "") = (self.page, except) {
            q.append_pair("page", &p.to_string());
        }
        q.finish()
    }

    /// The look-ahead of `expiring`.
    pub fn days(&self) -> Days {
        self.days
            .and_then(|d| Days::new(d).ok())
            .unwrap_or(Days::DEFAULT)
    }

    /// The page's report, computed by the engine for `now`, narrowed by the licence search
    /// and sorted as asked. `name` is one of [`PAGES`] (else `None`).
    pub fn report<'a>(
        &self,
        inventory: &'a Inventory,
        name: &str,
        now: i64,
    ) -> Option<Result<Report<'a>, ViewError>> {
        let kind = ReportKind::from_name(name, self.days())?;
        if !PAGES.iter().any(|(n, _)| *n == name) {
            return None;
        }
        Some(
            inventory
                .report_at(kind, now, &self.filters)
                .map(|mut r| {
                    self.narrow(&mut r);
                    r
                })
                .map_err(ViewError::from),
        )
    }

    fn matches(&self, license: &str) -> bool {
        self.search.is_empty()
            || license
                .trim()
                .to_lowercase()
                .contains(&self.search.to_lowercase())
    }

    /// The licence search and the sort, applied to the rows (the counts follow).
    fn narrow(&self, report: &mut Report<'_>) {
        let sort = self.sort.as_ref().map(|(k, d)| (k.as_str(), *d));
        match &mut report.body {
            ReportBody::Expired(s) | ReportBody::Expiring(_, s) => {
                s.items.retain(|r| self.matches(r.license));
                s.count = s.items.len();
                s.quantity = s.items.iter().map(|r| r.quantity).sum();
                if let Some((key, dir)) = sort {
                    s.items.sort_by(|a, b| directed(line_order(key, a, b), dir));
                }
            }
            ReportBody::Shortages(s) | ReportBody::Usage(s) => {
                s.items.retain(|r| self.matches(r.license));
                s.count = s.items.len();
                if let Some((key, dir)) = sort {
                    s.items
                        .sort_by(|a, b| directed(record_order(key, a, b), dir));
                }
            }
            ReportBody::Rebalance(rows) => rows.retain(|r| self.matches(r.license)),
            ReportBody::Renewals(r) => {
                for q in &mut r.quarters {
                    q.rows.retain(|row| self.matches(row.license));
                    q.quantity = q.rows.iter().map(|row| row.quantity).sum();
                }
            }
            // Per account or per architecture: no licence names to search.
            _ => {}
        }
    }
}

/// Whether the licence search narrows the page `name` (the others have no licence rows).
pub fn searches(name: &str) -> bool {
    !matches!(name, "mix" | "accounts" | "virtual-accounts" | "at-risk")
}

fn directed(o: Ordering, dir: Dir) -> Ordering {
    match dir {
        Dir::Asc => o,
        Dir::Desc => o.reverse(),
    }
}

/// Perpetual and unknown end dates sort after every date.
fn end_key(r: &LineRow<'_>) -> (bool, i64) {
    match r.end_date.seconds() {
        Some(s) => (false, s),
        None => (true, 0),
    }
}

fn line_order(key: &str, a: &LineRow<'_>, b: &LineRow<'_>) -> Ordering {
    match key {
        "account" => a.account.cmp(b.account),
        "virtualAccount" => a.virtual_account.cmp(b.virtual_account),
        "license" => a.license.cmp(b.license),
        "licenseType" => a.license_type.cmp(b.license_type),
        "quantity" => a.quantity.cmp(&b.quantity),
        "endDate" => end_key(a).cmp(&end_key(b)),
        _ => Ordering::Equal,
    }
}

fn record_order(key: &str, a: &RecordRow<'_>, b: &RecordRow<'_>) -> Ordering {
    let util = |r: &RecordRow<'_>| r.utilization.unwrap_or(f64::NEG_INFINITY);
    match key {
        "account" => a.account.cmp(b.account),
        "virtualAccount" => a.virtual_account.cmp(b.virtual_account),
        "license" => a.license.cmp(b.license),
        "quantity" => a.quantity.cmp(&b.quantity),
        "inUse" => a.in_use.cmp(&b.in_use),
        "shortage" => a.shortage.cmp(&b.shortage),
        "utilization" => util(a).total_cmp(&util(b)),
        _ => Ordering::Equal,
    }
}

/// One column of a table: its key (the JSON/CSV field name), header and kind.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub numeric: bool,
    /// Whether the server can sort by it (the keys of `line_order` / `record_order`).
    pub sortable: bool,
}

const fn col(key: &'static str, label: &'static str, numeric: bool, sortable: bool) -> Column {
    Column {
        key,
        label,
        numeric,
        sortable,
    }
}

/// A cell: the text shown and the value sorted by (numbers as numbers).
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub sort: String,
}

fn text(s: &str) -> Cell {
    Cell {
        text: s.trim().to_string(),
        sort: s.to_string(),
    }
}

fn number(n: i64) -> Cell {
    Cell {
        text: n.to_string(),
        sort: n.to_string(),
    }
}

/// A table as the page shows it.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

const LINE_COLUMNS: [Column; 6] = [
    col("account", "Smart account", false, true),
    col("virtualAccount", "Virtual account", false, true),
    col("license", "License", false, true),
    col("licenseType", "Type", false, true),
    col("quantity", "Quantity", true, true),
    col("endDate", "End date", false, true),
];

fn lines_table(items: &[LineRow<'_>]) -> Table {
    Table {
        columns: LINE_COLUMNS.to_vec(),
        rows: items
            .iter()
            .map(|r| {
                vec![
                    text(r.account),
                    text(r.virtual_account),
                    text(r.license),
                    text(r.license_type),
                    number(r.quantity),
                    Cell {
                        text: r.end_date.display().unwrap_or_else(|| "never".to_string()),
                        sort: match r.end_date.seconds() {
                            Some(s) => format!("{s:020}"),
                            None => "~".to_string(),
                        },
                    },
                ]
            })
            .collect(),
    }
}

fn records_table(items: &[RecordRow<'_>], shortage: bool) -> Table {
    let mut columns = vec![
        col("account", "Smart account", false, true),
        col("virtualAccount", "Virtual account", false, true),
        col("license", "License", false, true),
        col("quantity", "Quantity", true, true),
        col("inUse", "In use", true, true),
    ];
    columns.push(if shortage {
        col("shortage", "Shortage", true, true)
    } else {
        col("utilization", "Utilization %", true, true)
    });
    Table {
        columns,
        rows: items
            .iter()
            .map(|r| {
                let last = if shortage {
                    number(r.shortage)
                } else {
                    let u = r.utilization.unwrap_or(0.0);
                    Cell {
                        text: format!("{u:.1}"),
                        sort: format!("{u}"),
                    }
                };
                vec![
                    text(r.account),
                    text(r.virtual_account),
                    text(r.license),
                    number(r.quantity),
                    number(r.in_use),
                    last,
                ]
            })
            .collect(),
    }
}

/// The report as a table (`status` and `export` have no page: `None`).
pub fn table(report: &Report<'_>) -> Option<Table> {
    Some(match &report.body {
        ReportBody::Expired(s) | ReportBody::Expiring(_, s) => lines_table(&s.items),
        ReportBody::Shortages(s) => records_table(&s.items, true),
        ReportBody::Usage(s) => records_table(&s.items, false),
        ReportBody::Mix(accounts) => Table {
            columns: vec![
                col("account", "Smart account", false, false),
                col("architecture", "Architecture", false, false),
                col("inUse", "In use", true, false),
                col("percent", "Share %", true, false),
            ],
            rows: accounts
                .iter()
                .flat_map(|a| {
                    a.architectures.iter().map(move |arch| {
                        vec![
                            text(a.name),
                            text(arch.name),
                            number(arch.in_use),
                            Cell {
                                text: format!("{:.1}", arch.percent),
                                sort: format!("{}", arch.percent),
                            },
                        ]
                    })
                })
                .collect(),
        },
        ReportBody::Accounts(rows) => Table {
            columns: vec![
                col("name", "Smart account", false, false),
                col("domain", "Domain", false, false),
                col("status", "Status", false, false),
                col("type", "Type", false, false),
            ],
            rows: rows
                .iter()
                .map(|a| {
                    vec![
                        text(a.name),
                        text(a.domain),
                        text(a.status),
                        text(a.account_type),
                    ]
                })
                .collect(),
        },
        ReportBody::VirtualAccounts(rows) => Table {
            columns: vec![
                col("account", "Smart account", false, false),
                col("domain", "Domain", false, false),
                col("virtualAccount", "Virtual account", false, false),
            ],
            rows: rows
                .iter()
                .flat_map(|a| {
                    a.virtual_accounts
                        .iter()
                        .map(move |va| vec![text(a.name), text(a.domain), text(va)])
                })
                .collect(),
        },
        ReportBody::Rebalance(rows) => Table {
            columns: vec![
                col("account", "Smart account", false, false),
                col("virtualAccount", "Virtual account", false, false),
                col("license", "License", false, false),
                col("quantity", "Quantity", true, false),
                col("inUse", "In use", true, false),
                col("shortage", "Shortage", true, false),
                col("transfers", "Move from (VA: quantity)", false, false),
                col("covered", "Covered", true, false),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    let moves: Vec<String> = r
                        .transfers
                        .iter()
                        .map(|t| format!("{}: {}", t.from.trim(), t.quantity))
                        .collect();
                    vec![
                        text(r.account),
                        text(r.virtual_account),
                        text(r.license),
                        number(r.quantity),
                        number(r.in_use),
                        number(r.shortage),
                        text(&if moves.is_empty() {
                            "nothing to spare in this account".to_string()
                        } else {
                            moves.join("; ")
                        }),
                        number(r.covered()),
                    ]
                })
                .collect(),
        },
        ReportBody::AtRisk(rows) => Table {
            columns: vec![
                col("account", "Smart account", false, false),
                col("domain", "Domain", false, false),
                col("expiredInUse", "Expired in use", true, false),
                col("short", "Short", true, false),
                col("expiring30", "Expiring in 30 days", true, false),
                col("score", "Score", true, false),
                col("topReason", "Main reason", false, false),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        text(r.account),
                        text(r.domain),
                        number(r.expired_in_use),
                        number(r.short),
                        number(r.expiring_30),
                        number(r.score),
                        text(r.top_reason.as_str()),
                    ]
                })
                .collect(),
        },
        ReportBody::Renewals(r) => Table {
            columns: vec![
                col("quarter", "Quarter", false, false),
                col("account", "Smart account", false, false),
                col("virtualAccount", "Virtual account", false, false),
                col("license", "License", false, false),
                col("licenseType", "Type", false, false),
                col("quantity", "Quantity", true, false),
                col("endDate", "End date", false, false),
            ],
            rows: r
                .quarters
                .iter()
                .flat_map(|q| {
                    q.rows.iter().map(move |row| {
                        vec![
                            text(&q.label),
                            text(row.account),
                            text(row.virtual_account),
                            text(row.license),
                            text(row.license_type),
                            number(row.quantity),
                            text(&slbot_inventory::date::ymd(row.local_end_date)),
                        ]
                    })
                })
                .collect(),
        },
        _ => return None,
    })
}

/// The report as CSV: the engine's CSV (reports.md §3 columns) where it has one, else the
/// table's columns and texts.
pub fn csv(report: &Report<'_>) -> Result<Vec<u8>, String> {
    if report.kind().has_file_formats() {
        return report.to_csv().map_err(|e| e.to_string());
    }
    let table = table(report).ok_or("this report has no table")?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(table.columns.iter().map(|c| c.key))
        .map_err(|e| e.to_string())?;
    for row in &table.rows {
        w.write_record(row.iter().map(|c| c.text.as_str()))
            .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// The report as XLSX, like [`csv`].
pub fn xlsx(report: &Report<'_>) -> Result<Vec<u8>, String> {
    if report.kind().has_file_formats() {
        return report.to_xlsx().map_err(|e| e.to_string());
    }
    let table = table(report).ok_or("this report has no table")?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, column) in table.columns.iter().enumerate() {
        sheet
            .write_string(0, c as u16, column.key)
            .map_err(|e| e.to_string())?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, (cell, column)) in row.iter().zip(&table.columns).enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            let written = match (column.numeric, cell.sort.parse::<f64>()) {
                (true, Ok(n)) => sheet.write_number(r, c, n).map(|_| ()),
                _ => sheet.write_string(r, c, &cell.text).map(|_| ()),
            };
            written.map_err(|e| e.to_string())?;
        }
    }
    book.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_with_repeated_filters_a_search_days_and_a_sort_reads_back_as_written() {
        let q = "account=Acme&account=beta.example.com&va=DEFAULT&q=dna&days=90&sort=endDate&dir=desc&page=3";
        let view = View::parse(Some(q)).unwrap();
        assert_eq!(view.filters.accounts, ["Acme", "beta.example.com"]);
        assert_eq!(view.filters.vas, ["DEFAULT"]);
        assert_eq!(view.search, "dna");
        assert_eq!(view.days, Some(90));
        assert_eq!(view.sort, Some(("endDate".to_string(), Dir::Desc)));
        assert_eq!(view.page, Some(3));
        assert_eq!(view.query(""), q);
        assert_eq!(
            view.query("sort"),
            "account=Acme&account=beta.example.com&va=DEFAULT&q=dna&days=90"
        );
        assert_eq!(
            view.query("page"),
            "account=Acme&account=beta.example.com&va=DEFAULT&q=dna&days=90&sort=endDate&dir=desc"
        );
        for first in ["page=1", "page=0", "page=-2", "page=x", ""] {
            assert_eq!(View::parse(Some(first)).unwrap().page, None, "{first}");
        }
    }

    #[test]
    fn days_out_of_range_are_refused_with_the_range_sentence() {
        for bad in ["0", "3651", "abc", "2.5"] {
            let e = View::parse(Some(&format!("days={bad}"))).unwrap_err();
            assert!(e.to_string().contains("1 to 3650"), "{bad}: {e}");
        }
    }
}
