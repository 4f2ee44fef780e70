//! A computed report as one Webex-markdown message (reports.md §4): headline, partial line,
//! nested list account → VA → rows, shortened by the size rule; `status` has its own layout
//! (the private module `status`) and is never shortened.

use std::collections::HashSet;

use slbot_inventory::{
    AccountRow, Amount, AtRiskRow, ExportRows, LineRow, MixAccount, RebalanceRow, RecordRow,
    RenewalRow, Renewals, Report, ReportBody, RiskReason, VirtualAccountsRow, NO_PRICE,
};

use crate::headline;
use crate::markdown::{
    fit, fit_with_hidden, group_rows, name, Fitted, Group, RowPlace, MAX_MARKDOWN_BYTES,
};
use crate::rows::{chat_date, line_details, percent, shortage_details, usage_details};

/// Lines shown per quarter of `renewals`; the rest are in the attached full list.
pub const RENEWALS_TOP: usize = 5;

/// A report rendered for chat: the message, and how many rows the size rule left out
/// (when more than 0, the full report must follow as a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatReport {
    pub markdown: String,
    pub rows_left_out: usize,
}

/// Renders `report` as one message of at most [`MAX_MARKDOWN_BYTES`]. `total_accounts` is the
/// number of smart accounts of the inventory (the M of the partial line).
pub fn report_markdown(report: &Report<'_>, total_accounts: usize) -> ChatReport {
    let (headline, groups) = match &report.body {
        ReportBody::Expired(section) => (
            headline::expired(section.count),
            line_groups(&section.items, "expired on"),
        ),
        ReportBody::Expiring(days, section) => (
            headline::expiring(section.count, days.get()),
            line_groups(&section.items, "expires on"),
        ),
        ReportBody::Shortages(section) => (
            headline::shortages(section.count),
            record_groups(&section.items, shortage_details),
        ),
        ReportBody::Usage(section) => (
            headline::usage(section.count),
            record_groups(&section.items, usage_details),
        ),
        ReportBody::Mix(accounts) => (headline::mix(accounts.len()), mix_groups(accounts)),
        ReportBody::Rebalance(rows) => (headline::rebalance(rows), rebalance_groups(rows)),
        ReportBody::AtRisk(rows) => (
            headline::at_risk(rows.len()),
            vec![Group {
                account: None,
                new_account: false,
                va: None,
                rows: rows.iter().map(at_risk_text).collect(),
            }],
        ),
        ReportBody::Accounts(accounts) => (
            headline::accounts(accounts.len()),
            vec![Group {
                account: None,
                new_account: false,
                va: None,
                rows: accounts.iter().map(account_text).collect(),
            }],
        ),
        ReportBody::VirtualAccounts(accounts) => (
            headline::virtual_accounts(accounts.len()),
            virtual_account_groups(accounts),
        ),
        ReportBody::Status(status) => {
            return ChatReport {
                markdown: crate::status::status_markdown(
                    status,
                    &head_lines(headline::STATUS, report, total_accounts),
                ),
                rows_left_out: 0,
            };
        }
        ReportBody::Renewals(calendar) => {
            return renewals_markdown(report, calendar, total_accounts);
        }
        ReportBody::Export(rows) => {
            return ChatReport {
                markdown: export_summary(report, rows, total_accounts),
                rows_left_out: 0,
            };
        }
    };
    let head = head_lines(&headline, report, total_accounts);
    let Fitted { markdown, more } = fit(&head, &groups, MAX_MARKDOWN_BYTES);
    ChatReport {
        markdown,
        rows_left_out: more,
    }
}

/// `renewals`: the headline, one line of totals per quarter (every quarter, empty ones too),
/// then the first [`RENEWALS_TOP`] lines of each quarter; every line left out (by the top or by
/// the size rule) is counted, so the full list follows as a file.
fn renewals_markdown(
    report: &Report<'_>,
    calendar: &Renewals<'_>,
    total_accounts: usize,
) -> ChatReport {
    let headline = headline::renewals(
        calendar.count(),
        calendar.calendar.quarters.get(),
        calendar.calendar.zone.name(),
    );
    let mut head = head_lines(&headline, report, total_accounts);
    for q in &calendar.quarters {
        head.push_str(&format!(
            "* **{}** ({} to {}): {}, Qty: {}",
            q.label,
            chat_date(q.first_day),
            chat_date(q.last_day),
            crate::sentences::count(q.rows.len(), "line", "lines"),
            q.quantity
        ));
        if calendar.priced {
            head.push_str(&format!(", {}", amounts_text(&q.amounts)));
            if q.unpriced > 0 {
                head.push_str(&format!(
                    " ({} with no price)",
                    crate::sentences::count(q.unpriced, "line", "lines")
                ));
            }
        }
        head.push('\n');
    }
    if calendar.count() == 0 {
        return ChatReport {
            markdown: head.trim_end().to_string(),
            rows_left_out: 0,
        };
    }
    head.push('\n');
    let mut not_shown = 0;
    let groups: Vec<Group> = calendar
        .quarters
        .iter()
        .filter(|q| !q.rows.is_empty())
        .map(|q| {
            not_shown += q.rows.len().saturating_sub(RENEWALS_TOP);
            let label = if q.rows.len() > RENEWALS_TOP {
                format!("**{}**, the first {RENEWALS_TOP}", q.label)
            } else {
                format!("**{}**", q.label)
            };
            Group {
                account: Some(label),
                new_account: true,
                va: None,
                rows: q
                    .rows
                    .iter()
                    .take(RENEWALS_TOP)
                    .map(|r| renewal_text(r, calendar.priced))
                    .collect(),
            }
        })
        .collect();
    let Fitted { markdown, more } = fit_with_hidden(&head, &groups, not_shown, MAX_MARKDOWN_BYTES);
    ChatReport {
        markdown,
        rows_left_out: more,
    }
}

/// `1,100.00 USD + 5.00 EUR`; `0.00` when nothing is priced.
fn amounts_text(amounts: &[Amount]) -> String {
    if amounts.is_empty() {
        return "0.00".to_string();
    }
    amounts
        .iter()
        .map(|a| {
            if a.currency.trim().is_empty() {
                format!("{:.2}", a.amount)
            } else {
                format!("{:.2} {}", a.amount, name(&a.currency))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// `**AnyConnect Apex**, Qty: 10, ends on 2027/01/01 (Acme, DEFAULT), 1000.00 USD`.
fn renewal_text(row: &RenewalRow<'_>, priced: bool) -> String {
    let mut text = format!(
        "**{}**, Qty: {}, ends on {} ({}, {})",
        name(row.license),
        row.quantity,
        chat_date(row.local_end_date),
        name(row.account),
        name(row.virtual_account)
    );
    if priced {
        match (&row.price, row.amount()) {
            (Some(p), Some(a)) => text.push_str(&format!(
                ", {}",
                amounts_text(&[Amount {
                    currency: p.currency.clone(),
                    amount: a,
                }])
            )),
            _ => text.push_str(&format!(", {NO_PRICE}")),
        }
    }
    text
}

/// The bold headline and, for a partial answer, the partial line; each ending in `\n`.
pub(crate) fn head_lines(headline: &str, report: &Report<'_>, total_accounts: usize) -> String {
    let mut head = headline::bold(headline);
    head.push('\n');
    if let Some(line) = partial(report, total_accounts) {
        head.push_str(&line);
        head.push('\n');
    }
    head
}

fn partial(report: &Report<'_>, total_accounts: usize) -> Option<String> {
    headline::partial_line_for(report.missing_accounts, total_accounts)
}

/// The one-line summary of `export` (the file carries the rows).
fn export_summary(report: &Report<'_>, rows: &ExportRows<'_>, total_accounts: usize) -> String {
    let accounts: HashSet<(&str, &str)> =
        rows.iter().map(|row| (row.account, row.domain)).collect();
    let accounts = accounts.len();
    let rows = rows.len();
    let sentence = if rows == 0 {
        "There are no licenses to export.".to_string()
    } else {
        format!(
            "Here is your license export: {} from {}.",
            crate::sentences::count(rows, "row", "rows"),
            crate::sentences::count(accounts, "smart account", "smart accounts")
        )
    };
    head_lines(&sentence, report, total_accounts)
        .trim_end()
        .to_string()
}

fn place(account: &str, domain: &str, va: &str) -> RowPlace {
    RowPlace {
        account_key: (account.to_string(), domain.to_string()),
        account: format!("**{}**", name(account)),
        va_key: va.to_string(),
        va: name(va),
    }
}

/// `**DNA Advantage For SDWAN**, Qty: 100, expires on 2026/12/20`.
fn line_groups(rows: &[LineRow<'_>], verb: &str) -> Vec<Group> {
    group_rows(
        rows,
        |r| place(r.account, r.domain, r.virtual_account),
        |r| format!("**{}**, {}", name(r.license), line_details(r, verb)),
    )
}

/// `**Name**, Qty: 10, in use: 12, short: 2` or `**Name**, 87.5% used (175 of 200)`.
fn record_groups(rows: &[RecordRow<'_>], details: fn(&RecordRow<'_>) -> String) -> Vec<Group> {
    group_rows(
        rows,
        |r| place(r.account, r.domain, r.virtual_account),
        |r| format!("**{}**, {}", name(r.license), details(r)),
    )
}

/// `**AnyConnect Apex**, short 10: move 4 from DEFAULT, 3 from Prod; 3 still short`, or
/// `**AnyConnect Plus**, short 2: no other virtual account has any to spare`.
fn rebalance_groups(rows: &[RebalanceRow<'_>]) -> Vec<Group> {
    group_rows(
        rows,
        |r| place(r.account, r.domain, r.virtual_account),
        |r| {
            let head = format!("**{}**, short {}", name(r.license), r.shortage);
            if r.transfers.is_empty() {
                return format!("{head}: no other virtual account has any to spare");
            }
            let moves: Vec<String> = r
                .transfers
                .iter()
                .map(|t| format!("{} from {}", t.quantity, name(t.from)))
                .collect();
            let rest = match r.uncovered() {
                0 => "covered".to_string(),
                n => format!("{n} still short"),
            };
            format!("{head}: move {}; {rest}", moves.join(", "))
        },
    )
}

/// `**Acme** (acme.com), score 32: 8 expired in use, 4 short, 0 expiring in 30 days. Mostly
/// licenses in use past their end: `expired account:acme.com`.`
fn at_risk_text(row: &AtRiskRow<'_>) -> String {
    let (why, command) = match row.top_reason {
        RiskReason::ExpiredInUse => ("licenses in use past their end", "expired"),
        RiskReason::Shortage => ("more in use than owned", "shortages"),
        RiskReason::ExpiringSoon => ("licenses expiring within 30 days", "expire 30"),
    };
    format!(
        "**{}** ({}), score {}: {} expired in use, {} short, {} expiring in 30 days. Mostly {why}: `{command} account:{}`",
        name(row.account),
        name(row.domain),
        row.score,
        row.expired_in_use,
        row.short,
        row.expiring_30,
        row.domain
    )
}

/// `**Acme**, 200 in use` → `Enterprise Networking: 60% (120 in use)`.
fn mix_groups(accounts: &[MixAccount<'_>]) -> Vec<Group> {
    accounts
        .iter()
        .map(|account| Group {
            account: Some(format!(
                "**{}**, {} in use",
                name(account.name),
                account.total_in_use
            )),
            new_account: true,
            va: None,
            rows: account
                .architectures
                .iter()
                .map(|a| {
                    format!(
                        "{}: {}% ({} in use)",
                        name(a.name),
                        percent(a.percent),
                        a.in_use
                    )
                })
                .collect(),
        })
        .collect()
}

/// `**Acme** (acme.com), Active, CUSTOMER`.
fn account_text(row: &AccountRow<'_>) -> String {
    let mut text = format!("**{}**", name(row.name));
    if !row.domain.trim().is_empty() {
        text.push_str(&format!(" ({})", name(row.domain)));
    }
    for field in [row.status, row.account_type] {
        if !field.trim().is_empty() {
            text.push_str(&format!(", {}", name(field)));
        }
    }
    text
}

/// `**Acme** (acme.com)` → one row per VA name.
fn virtual_account_groups(accounts: &[VirtualAccountsRow<'_>]) -> Vec<Group> {
    accounts
        .iter()
        .map(|account| {
            let mut header = format!("**{}**", name(account.name));
            if !account.domain.trim().is_empty() {
                header.push_str(&format!(" ({})", name(account.domain)));
            }
            Group {
                account: Some(header),
                new_account: true,
                va: None,
                rows: account.virtual_accounts.iter().map(|va| name(va)).collect(),
            }
        })
        .collect()
}
