//! Every report of reports.md §2 as a pure function of (inventory, now, selection).
//!
//! Ordering is total: after each report's own keys, ties go to account name, account domain,
//! VA, licence name, licenseType, subscriptionId (null last), startDate, then CSSM order.
//! Symbols are numbered in byte order of their text, so comparing symbols compares strings.

use std::cmp::Ordering;

use crate::model::{Inventory, StoredDate};
use crate::report::{
    utilization, AccountRow, Days, ExportLine, ExportRow, ExportRows, LineRow, LinesSection,
    MixAccount, MixArchitecture, RecordRow, RecordsSection, ReportBody, ReportKind, StatusReport,
    VirtualAccountsRow,
};
use crate::select::Selection;

/// Rows shown per section of `status`.
const STATUS_TOP: usize = 5;

#[derive(Clone, Copy)]
enum LineReport {
    Expired,
    Expiring(Days),
}

#[derive(Clone, Copy)]
enum RecordReport {
    Shortages,
    Usage,
}

/// Sorts `items` by `cmp`, keeping only the first `limit` when given (partial selection).
fn sort_top<T>(items: &mut Vec<T>, limit: Option<usize>, cmp: impl Fn(&T, &T) -> Ordering) {
    match limit {
        Some(k) if k < items.len() => {
            if k == 0 {
                items.clear();
                return;
            }
            items.select_nth_unstable_by(k - 1, &cmp);
            items.truncate(k);
            items.sort_unstable_by(&cmp);
        }
        _ => items.sort_unstable_by(&cmp),
    }
}

impl Inventory {
    pub(crate) fn compute(&self, kind: ReportKind, now: i64, sel: &Selection) -> ReportBody<'_> {
        match kind {
            ReportKind::Accounts => ReportBody::Accounts(self.accounts_rows(sel)),
            ReportKind::VirtualAccounts => ReportBody::VirtualAccounts(self.va_rows(sel)),
            ReportKind::Expired => {
                ReportBody::Expired(self.lines_section(LineReport::Expired, now, sel, None))
            }
            ReportKind::Expiring(d) => ReportBody::Expiring(
                d,
                self.lines_section(LineReport::Expiring(d), now, sel, None),
            ),
            ReportKind::Shortages => {
                ReportBody::Shortages(self.records_section(RecordReport::Shortages, sel, None))
            }
            ReportKind::Usage => {
                ReportBody::Usage(self.records_section(RecordReport::Usage, sel, None))
            }
            ReportKind::Mix => ReportBody::Mix(self.mix(sel)),
            ReportKind::Status => ReportBody::Status(Box::new(StatusReport {
                expired: self.lines_section(LineReport::Expired, now, sel, Some(STATUS_TOP)),
                expiring: self.lines_section(
                    LineReport::Expiring(Days::STATUS),
                    now,
                    sel,
                    Some(STATUS_TOP),
                ),
                shortages: self.records_section(RecordReport::Shortages, sel, Some(STATUS_TOP)),
                usage: self.records_section(RecordReport::Usage, sel, Some(STATUS_TOP)),
                mix: self.mix(sel),
            })),
            ReportKind::Export => ReportBody::Export(self.export_rows(sel)),
            ReportKind::Rebalance => ReportBody::Rebalance(self.rebalance(sel)),
            ReportKind::AtRisk => ReportBody::AtRisk(self.at_risk(now, sel)),
            ReportKind::Renewals(c) => ReportBody::Renewals(Box::new(self.renewals(c, now, sel))),
        }
    }

    /// Indices of the selected records, in CSSM order.
    pub(crate) fn selected_records<'s>(
        &'s self,
        sel: &'s Selection,
    ) -> impl Iterator<Item = u32> + 's {
        self.accounts
            .iter()
            .enumerate()
            .filter(move |(i, _)| sel.account(*i as u32))
            .flat_map(|(_, a)| a.records.clone())
            .filter(move |&r| sel.va(self.records[r as usize].va))
    }

    fn has_selected_va(&self, acc: &crate::model::Account, sel: &Selection) -> bool {
        sel.vas.is_none() || acc.vas.iter().any(|&v| sel.va(v))
    }

    fn accounts_rows(&self, sel: &Selection) -> Vec<AccountRow<'_>> {
        self.accounts
            .iter()
            .enumerate()
            .filter(|(i, a)| sel.account(*i as u32) && self.has_selected_va(a, sel))
            .map(|(_, a)| AccountRow {
                name: self.s(a.name),
                domain: self.s(a.domain),
                status: self.s(a.status),
                account_type: self.s(a.account_type),
            })
            .collect()
    }

    fn va_rows(&self, sel: &Selection) -> Vec<VirtualAccountsRow<'_>> {
        self.accounts
            .iter()
            .enumerate()
            .filter(|(i, a)| sel.account(*i as u32) && self.has_selected_va(a, sel))
            .map(|(_, a)| VirtualAccountsRow {
                name: self.s(a.name),
                domain: self.s(a.domain),
                virtual_accounts: a
                    .vas
                    .iter()
                    .filter(|&&v| sel.va(v))
                    .map(|&v| self.s(v))
                    .collect(),
            })
            .collect()
    }

    /// Ties between records: account name, domain, VA, licence name.
    /// The full tie-break chain for two lines (by index): see [`crate::model::Order`].
    pub(crate) fn line_tie(&self, a: u32, b: u32) -> Ordering {
        self.order.line_rank[a as usize].cmp(&self.order.line_rank[b as usize])
    }

    /// The full tie-break chain for two records (by index).
    pub(crate) fn record_tie(&self, a: u32, b: u32) -> Ordering {
        self.order.record_rank[a as usize].cmp(&self.order.record_rank[b as usize])
    }

    fn lines_section(
        &self,
        which: LineReport,
        now: i64,
        sel: &Selection,
        limit: Option<usize>,
    ) -> LinesSection<'_> {
        // (endDate, quantity, tie-break rank, line)
        let mut hits: Vec<(i64, i64, u32, u32)> = Vec::new();
        let mut quantity = 0i64;
        for r in self.selected_records(sel) {
            let rec = &self.records[r as usize];
            let range = rec.first_line..rec.first_line + rec.line_count;
            for li in range {
                let line = &self.lines[li as usize];
                let StoredDate::At(end) = line.end else {
                    continue; // perpetual or unknown expiry
                };
                let keep = match which {
                    LineReport::Expired => end < now,
                    LineReport::Expiring(d) => now < end && end < now.saturating_add(d.seconds()),
                };
                if keep {
                    quantity = quantity.saturating_add(line.quantity);
                    hits.push((end, line.quantity, self.order.line_rank[li as usize], li));
                }
            }
        }
        let count = hits.len();
        match which {
            LineReport::Expired => sort_top(&mut hits, limit, |a, b| {
                b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2))
            }),
            LineReport::Expiring(_) => sort_top(&mut hits, limit, |a, b| {
                a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2))
            }),
        }
        LinesSection {
            count,
            quantity,
            items: hits.iter().map(|h| self.line_row(h.3)).collect(),
        }
    }

    fn line_row(&self, li: u32) -> LineRow<'_> {
        let line = &self.lines[li as usize];
        let rec = &self.records[line.record as usize];
        let acc = &self.accounts[rec.account as usize];
        LineRow {
            account: self.s(acc.name),
            domain: self.s(acc.domain),
            virtual_account: self.s(rec.va),
            license: self.s(rec.license),
            license_type: self.s(line.license_type),
            quantity: line.quantity,
            start_date: self.date(line.start),
            end_date: self.date(line.end),
            subscription_id: self.opt(line.subscription_id),
            status: self.s(line.status),
        }
    }

    fn records_section(
        &self,
        which: RecordReport,
        sel: &Selection,
        limit: Option<usize>,
    ) -> RecordsSection<'_> {
        // Each hit carries what its sort reads, so comparisons never leave the vector.
        struct Hit {
            in_use: i64,
            quantity: i64,
            rank: u32,
            record: u32,
        }

        let mut hits: Vec<Hit> = self
            .selected_records(sel)
            .filter_map(|r| {
                let rec = &self.records[r as usize];
                let keep = match which {
                    RecordReport::Shortages => rec.in_use > rec.quantity,
                    RecordReport::Usage => rec.quantity > 0 && rec.in_use > 0,
                };
                keep.then(|| Hit {
                    in_use: rec.in_use,
                    quantity: rec.quantity,
                    rank: self.order.record_rank[r as usize],
                    record: r,
                })
            })
            .collect();
        let count = hits.len();
        match which {
            RecordReport::Shortages => sort_top(&mut hits, limit, |a, b| {
                b.in_use
                    .saturating_sub(b.quantity)
                    .cmp(&a.in_use.saturating_sub(a.quantity))
                    .then(a.rank.cmp(&b.rank))
            }),
            RecordReport::Usage => sort_top(&mut hits, limit, |a, b| {
                // Utilization descending, compared exactly: ia/qa vs ib/qb with qa, qb > 0.
                let lhs = i128::from(b.in_use) * i128::from(a.quantity);
                let rhs = i128::from(a.in_use) * i128::from(b.quantity);
                lhs.cmp(&rhs)
                    .then(b.in_use.cmp(&a.in_use))
                    .then(a.rank.cmp(&b.rank))
            }),
        }
        RecordsSection {
            count,
            items: hits.iter().map(|h| self.record_row(h.record)).collect(),
        }
    }

    fn record_row(&self, r: u32) -> RecordRow<'_> {
        let rec = &self.records[r as usize];
        let acc = &self.accounts[rec.account as usize];
        RecordRow {
            account: self.s(acc.name),
            domain: self.s(acc.domain),
            virtual_account: self.s(rec.va),
            license: self.s(rec.license),
            architecture: self.s(rec.architecture),
            quantity: rec.quantity,
            in_use: rec.in_use,
            shortage: rec.in_use.saturating_sub(rec.quantity),
            utilization: utilization(rec.in_use, rec.quantity),
        }
    }

    fn mix(&self, sel: &Selection) -> Vec<MixAccount<'_>> {
        let mut out = Vec::new();
        for (i, acc) in self.accounts.iter().enumerate() {
            if !sel.account(i as u32) {
                continue;
            }
            // inUse counted once per record, never per entitlement line.
            let mut sums: Vec<(u32, i64)> = Vec::new();
            for r in acc.records.clone() {
                let rec = &self.records[r as usize];
                if rec.in_use <= 0 || !sel.va(rec.va) {
                    continue;
                }
                match sums.iter_mut().find(|(a, _)| *a == rec.architecture) {
                    Some(e) => e.1 = e.1.saturating_add(rec.in_use),
                    None => sums.push((rec.architecture, rec.in_use)),
                }
            }
            let total = sums.iter().fold(0i64, |t, s| t.saturating_add(s.1));
            if total <= 0 {
                continue;
            }
            sums.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            out.push(MixAccount {
                name: self.s(acc.name),
                domain: self.s(acc.domain),
                total_in_use: total,
                architectures: sums
                    .iter()
                    .map(|&(a, n)| MixArchitecture {
                        name: self.s(a),
                        in_use: n,
                        percent: 100.0 * n as f64 / total as f64,
                    })
                    .collect(),
            });
        }
        out
    }

    fn export_rows<'s>(&'s self, sel: &Selection) -> ExportRows<'s> {
        let records: Vec<u32> = self
            .order
            .records
            .iter()
            .copied()
            .filter(|&r| {
                let rec = &self.records[r as usize];
                sel.account(rec.account) && sel.va(rec.va)
            })
            .collect();
        ExportRows::new(self, records)
    }

    /// Export row `line` (an index into `lines`, or `None` for a record without lines) of
    /// record `r`.
    pub(crate) fn export_row(&self, r: u32, line: Option<u32>) -> ExportRow<'_> {
        let rec = &self.records[r as usize];
        let acc = &self.accounts[rec.account as usize];
        ExportRow {
            account: self.s(acc.name),
            domain: self.s(acc.domain),
            account_status: self.s(acc.status),
            account_type: self.s(acc.account_type),
            virtual_account: self.s(rec.va),
            license: self.s(rec.license),
            architecture: self.s(rec.architecture),
            sub_architecture: self.s(rec.sub_architecture),
            quantity: rec.quantity,
            in_use: rec.in_use,
            available: rec.available,
            status: self.s(rec.status),
            billing_type: self.s(rec.billing_type),
            pending_quantity: rec.pending_quantity,
            reserved: rec.reserved,
            is_portable: rec.is_portable,
            line: line.map(|li| {
                let line = &self.lines[li as usize];
                ExportLine {
                    license_type: self.s(line.license_type),
                    quantity: line.quantity,
                    start_date: self.date(line.start),
                    end_date: self.date(line.end),
                    subscription_id: self.opt(line.subscription_id),
                    status: self.s(line.status),
                }
            }),
        }
    }
}
