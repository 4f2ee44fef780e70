//! `at-risk`: smart accounts ranked by a stated score, for partners and MSPs with many
//! accounts: which customer to look at first, why, and the command that shows it.
//!
//! Rules (pinned by the tests of this file):
//! - Per selected smart account (and VA filter), three figures:
//!   - **expired in use**: per licence record with `inUse > 0`, the quantity of its lines with
//!     `endDate < now`, capped at the record's `inUse` (licences used past their end);
//!   - **short**: per record, `max(0, inUse − quantity)` (as `shortages`);
//!   - **expiring in 30 days**: the quantity of lines with `now < endDate < now + 30 days` (as
//!     `expiring 30`).
//! - Score = 3 × expired in use + 2 × short + 1 × expiring in 30 days ([`WEIGHTS`]): money
//!   already owed first, then service at risk, then what is about to be.
//! - Accounts with a score of 0 are not listed. Order: score, highest first; then account
//!   name, then domain.
//! - The top reason is the figure with the largest weighted part; on a tie, the order above
//!   (expired in use, then short, then expiring).

use serde_json::{json, Value};

use crate::model::{Inventory, StoredDate};
use crate::render::Cell;
use crate::report::Days;
use crate::select::Selection;

/// The weights of (expired in use, short, expiring in 30 days) in the score.
pub const WEIGHTS: (i64, i64, i64) = (3, 2, 1);

/// What weighs most in an account's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskReason {
    /// Licences in use on expired lines.
    ExpiredInUse,
    /// More in use than owned.
    Shortage,
    /// Lines ending within 30 days.
    ExpiringSoon,
}

impl RiskReason {
    /// The JSON and file word.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskReason::ExpiredInUse => "expiredInUse",
            RiskReason::Shortage => "shortage",
            RiskReason::ExpiringSoon => "expiringSoon",
        }
    }
}

/// One smart account of `at-risk`. JSON item: `{account, domain, score, expiredInUse,
/// short, expiring30, topReason}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRiskRow<'a> {
    pub account: &'a str,
    pub domain: &'a str,
    pub expired_in_use: i64,
    pub short: i64,
    pub expiring_30: i64,
    pub score: i64,
    pub top_reason: RiskReason,
}

impl AtRiskRow<'_> {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "account": self.account,
            "domain": self.domain,
            "score": self.score,
            "expiredInUse": self.expired_in_use,
            "short": self.short,
            "expiring30": self.expiring_30,
            "topReason": self.top_reason.as_str(),
        })
    }

    pub(crate) fn file_cells<'a>(&self, buf: &mut Vec<Cell<'a>>)
    where
        Self: 'a,
    {
        buf.clear();
        buf.extend([
            Cell::Text(self.account),
            Cell::Text(self.domain),
            Cell::Int(self.score),
            Cell::Int(self.expired_in_use),
            Cell::Int(self.short),
            Cell::Int(self.expiring_30),
            Cell::Text(self.top_reason.as_str()),
        ]);
    }
}

/// The CSV/XLSX columns of `at-risk`: one row per account.
pub(crate) const COLUMNS: &[&str] = &[
    "account",
    "domain",
    "score",
    "expiredInUse",
    "short",
    "expiring30",
    "topReason",
];

impl Inventory {
    /// The `at-risk` rows for the selection at `now` (see the module's rules).
    pub(crate) fn at_risk(&self, now: i64, sel: &Selection) -> Vec<AtRiskRow<'_>> {
        let soon = now.saturating_add(Days::DEFAULT.seconds());
        let mut rows = Vec::new();
        for (i, acc) in self.accounts.iter().enumerate() {
            if !sel.account(i as u32) {
                continue;
            }
            let (mut expired_in_use, mut short, mut expiring) = (0i64, 0i64, 0i64);
            for r in acc.records.clone() {
                let rec = &self.records[r as usize];
                if !sel.va(rec.va) {
                    continue;
                }
                short = short.saturating_add(rec.in_use.saturating_sub(rec.quantity).max(0));
                let mut expired = 0i64;
                for li in rec.first_line..rec.first_line + rec.line_count {
                    let line = &self.lines[li as usize];
                    let StoredDate::At(end) = line.end else {
                        continue;
                    };
                    if end < now {
                        expired = expired.saturating_add(line.quantity);
                    } else if now < end && end < soon {
                        expiring = expiring.saturating_add(line.quantity);
                    }
                }
                if rec.in_use > 0 {
                    expired_in_use = expired_in_use.saturating_add(expired.min(rec.in_use));
                }
            }
            let parts = [
                (
                    RiskReason::ExpiredInUse,
                    expired_in_use.saturating_mul(WEIGHTS.0),
                ),
                (RiskReason::Shortage, short.saturating_mul(WEIGHTS.1)),
                (RiskReason::ExpiringSoon, expiring.saturating_mul(WEIGHTS.2)),
            ];
            let score = parts.iter().fold(0i64, |t, p| t.saturating_add(p.1));
            if score <= 0 {
                continue;
            }
            // The first of the largest: ties keep the order of `parts`.
            let top = parts
                .iter()
                .fold(parts[0], |best, p| if p.1 > best.1 { *p } else { best });
            rows.push(AtRiskRow {
                account: self.s(acc.name),
                domain: self.s(acc.domain),
                expired_in_use,
                short,
                expiring_30: expiring,
                score,
                top_reason: top.0,
            });
        }
        rows.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.account.cmp(b.account))
                .then(a.domain.cmp(b.domain))
        });
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::RiskReason::{ExpiredInUse, ExpiringSoon, Shortage};
    use super::*;
    use crate::{Catalog, Filters, ReportBody, ReportKind};

    /// 2026-11-28T00:00:00Z.
    const NOW: i64 = 1_795_824_000;

    /// Acme: Apex uses 8 with a line of 5 expired (2026-10-01) and one of 10 valid: 5 expired in
    /// use; Plus uses 3 with 10 expired: capped at 3; Base is 4 short. Zeta: a line of 7 ending
    /// 2026-12-10 (expiring) and 2 short. Beta: the same figures as Zeta (a tie). Calm: nothing.
    const SNAPSHOT: &str = r#"{
      "accounts": [
        {"accountName": "Acme", "accountDomain": "acme.com"},
        {"accountName": "Zeta", "accountDomain": "zeta.com"},
        {"accountName": "Beta", "accountDomain": "beta.com"},
        {"accountName": "Calm", "accountDomain": "calm.com"}
      ],
      "licenses": {
        "acme.com": [
          {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 15, "inUse": 8,
           "licenseDetails": [{"quantity": 5, "endDate": "2026-10-01"}, {"quantity": 10, "endDate": "2027-10-01"}]},
          {"license": "Plus", "virtualAccount": "Lab", "quantity": 10, "inUse": 3,
           "licenseDetails": [{"quantity": 10, "endDate": "2026-01-01"}]},
          {"license": "Base", "virtualAccount": "Lab", "quantity": 1, "inUse": 5}
        ],
        "zeta.com": [
          {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 7, "inUse": 9,
           "licenseDetails": [{"quantity": 7, "endDate": "2026-12-10"}]}
        ],
        "beta.com": [
          {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 7, "inUse": 9,
           "licenseDetails": [{"quantity": 7, "endDate": "2026-12-10"}]}
        ],
        "calm.com": [
          {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 7, "inUse": 0,
           "licenseDetails": [{"quantity": 7, "endDate": "2026-01-01"}]}
        ]
      }
    }"#;

    type Figures = (String, i64, i64, i64, i64, RiskReason);

    fn rows(filters: &Filters) -> Vec<Figures> {
        let inv = Inventory::from_json_slice(SNAPSHOT.as_bytes(), &Catalog::shipped())
            .expect("the test snapshot loads");
        let report = inv
            .report_at(ReportKind::AtRisk, NOW, filters)
            .expect("the filters are valid");
        let ReportBody::AtRisk(rows) = &report.body else {
            panic!("at-risk computes an at-risk body");
        };
        rows.iter()
            .map(|r| {
                (
                    r.account.to_string(),
                    r.expired_in_use,
                    r.short,
                    r.expiring_30,
                    r.score,
                    r.top_reason,
                )
            })
            .collect()
    }

    fn figures(account: &str, e: i64, s: i64, x: i64, score: i64, top: RiskReason) -> Figures {
        (account.into(), e, s, x, score, top)
    }

    #[test]
    fn accounts_are_ranked_by_the_weighted_score_with_ties_by_name_and_calm_ones_left_out() {
        // Acme: expired in use 5 + min(10, 3) = 8, short 4, expiring 0:
        //   3·8 + 2·4 + 0 = 32, top reason expired (24 > 8).
        // Beta and Zeta: expired 0, short 9 − 7 = 2, expiring 7 (2026-12-10 is 12 days away):
        //   0 + 4 + 7 = 11, top reason expiring (7 > 4); tied, so Beta before Zeta.
        // Calm: its expired line is not in use (inUse 0): score 0, not listed.
        assert_eq!(
            rows(&Filters::none()),
            vec![
                figures("Acme", 8, 4, 0, 32, ExpiredInUse),
                figures("Beta", 0, 2, 7, 11, ExpiringSoon),
                figures("Zeta", 0, 2, 7, 11, ExpiringSoon),
            ]
        );
    }

    #[test]
    fn a_va_filter_counts_only_the_records_of_that_va() {
        // Lab only: Plus 3 expired in use (3·3 = 9), Base 4 short (2·4 = 8): expired wins.
        let lab = Filters {
            accounts: vec![],
            vas: vec!["Lab".into()],
        };
        assert_eq!(rows(&lab), vec![figures("Acme", 3, 4, 0, 17, ExpiredInUse)]);
    }

    #[test]
    fn the_top_reason_of_equal_weighted_parts_is_the_earlier_one() {
        // Shortage 3 (2·3 = 6) and expiring 6 (1·6 = 6): a tie, so shortage.
        let snapshot = r#"{"accounts": [{"accountName": "Tie", "accountDomain": "tie.com"}],
          "licenses": {"tie.com": [{"license": "Apex", "virtualAccount": "DEFAULT",
            "quantity": 6, "inUse": 9,
            "licenseDetails": [{"quantity": 6, "endDate": "2026-12-01"}]}]}}"#;
        let inv = Inventory::from_json_slice(snapshot.as_bytes(), &Catalog::shipped()).unwrap();
        let report = inv
            .report_at(ReportKind::AtRisk, NOW, &Filters::none())
            .unwrap();
        let ReportBody::AtRisk(rows) = &report.body else {
            panic!("at-risk body");
        };
        assert_eq!((rows[0].score, rows[0].top_reason), (12, Shortage));
    }
}
