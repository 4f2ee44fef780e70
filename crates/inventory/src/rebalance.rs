//! `rebalance`: for each shortage, licences of the same name to spare in other virtual
//! accounts of the same smart account, and the transfers that would cover it. Advice only:
//! nothing here (nor anywhere in slbot) moves a licence.
//!
//! Rules (pinned by the tests of this file):
//! - A shortage is a record with `inUse > quantity` in a selected account and VA, as in
//!   `shortages`. Shortages are served in `shortages` order (largest first, then account,
//!   domain, VA, licence, CSSM order), so the advice is deterministic.
//! - A donor is a record of the same licence name in the same smart account but another VA.
//!   It can give `min(available, quantity − inUse)`: never more than CSSM says is available,
//!   and never so much that the donor itself falls short. The `va` filter selects which
//!   shortages are advised on; donors come from every VA of the account, since the point is to
//!   find licences elsewhere.
//! - For each shortage, donors are taken largest spare first (then VA name, then CSSM order),
//!   each transfer being `min(what is still short, what the donor has left)`; what a donor
//!   gives to one shortage is no longer there for the next.
//! - Shortages with at least one transfer come first; shortages that nothing covers are
//!   listed last, in the same order.
//!
//! This is the example of "adding a report" in CONTRIBUTING.md: the rows, `compute`, and the
//! JSON and file cells of the report live here; the renderers' match arms call them.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::model::{Inventory, Sym};
use crate::render::Cell;
use crate::select::Selection;

/// One suggested transfer into a shortage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer<'a> {
    /// The virtual account that has licences to spare.
    pub from: &'a str,
    /// How many licences to move.
    pub quantity: i64,
}

/// One shortage of `rebalance` and the transfers suggested for it (possibly none).
/// JSON item: `{account, domain, virtualAccount, license, quantity, inUse, shortage,
/// covered, uncovered, transfers: [{from, quantity}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebalanceRow<'a> {
    /// Smart account name.
    pub account: &'a str,
    /// Smart account domain.
    pub domain: &'a str,
    /// The virtual account that is short (the transfers' destination).
    pub virtual_account: &'a str,
    /// Licence name.
    pub license: &'a str,
    /// The short record's `quantity`.
    pub quantity: i64,
    /// The short record's `inUse`.
    pub in_use: i64,
    /// `inUse − quantity`.
    pub shortage: i64,
    /// Suggested transfers, in the order they were chosen.
    pub transfers: Vec<Transfer<'a>>,
}

impl RebalanceRow<'_> {
    /// How much of the shortage the transfers cover.
    pub fn covered(&self) -> i64 {
        self.transfers
            .iter()
            .fold(0i64, |t, x| t.saturating_add(x.quantity))
    }

    /// What stays short after the transfers.
    pub fn uncovered(&self) -> i64 {
        self.shortage.saturating_sub(self.covered())
    }

    /// The JSON item (reports.md §3 style field names).
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "account": self.account,
            "domain": self.domain,
            "virtualAccount": self.virtual_account,
            "license": self.license,
            "quantity": self.quantity,
            "inUse": self.in_use,
            "shortage": self.shortage,
            "covered": self.covered(),
            "uncovered": self.uncovered(),
            "transfers": self.transfers.iter().map(|t| json!({
                "from": t.from,
                "quantity": t.quantity,
            })).collect::<Vec<_>>(),
        })
    }

    /// The file rows: one per transfer, or one with empty `from`/`transfer` when nothing
    /// covers the shortage.
    pub(crate) fn for_each_file_row<'a, E>(
        &self,
        buf: &mut Vec<Cell<'a>>,
        mut f: impl FnMut(&[Cell<'a>]) -> Result<(), E>,
    ) -> Result<(), E>
    where
        Self: 'a,
    {
        let row = |buf: &mut Vec<Cell<'a>>, t: Option<&Transfer<'a>>| {
            buf.clear();
            buf.extend([
                Cell::Text(self.account),
                Cell::Text(self.domain),
                Cell::Text(self.license),
                Cell::Text(self.virtual_account),
                Cell::Int(self.shortage),
                t.map_or(Cell::Empty, |t| Cell::Text(t.from)),
                t.map_or(Cell::Empty, |t| Cell::Int(t.quantity)),
                Cell::Int(self.uncovered()),
            ]);
        };
        if self.transfers.is_empty() {
            row(buf, None);
            return f(buf);
        }
        for t in &self.transfers {
            row(buf, Some(t));
            f(buf)?;
        }
        Ok(())
    }
}

/// The CSV/XLSX columns of `rebalance`: one row per suggested transfer.
pub(crate) const COLUMNS: &[&str] = &[
    "account",
    "domain",
    "license",
    "toVirtualAccount",
    "shortage",
    "fromVirtualAccount",
    "transfer",
    "uncovered",
];

/// A donor record and what it has left to give.
struct Donor {
    record: u32,
    va: Sym,
    spare: i64,
}

impl Inventory {
    /// The `rebalance` rows for the selected accounts (see the module's rules).
    pub(crate) fn rebalance(&self, sel: &Selection) -> Vec<RebalanceRow<'_>> {
        let mut short: Vec<u32> = self
            .selected_records(sel)
            .filter(|&r| {
                let rec = &self.records[r as usize];
                rec.in_use > rec.quantity
            })
            .collect();
        let shortage = |r: u32| {
            let rec = &self.records[r as usize];
            rec.in_use.saturating_sub(rec.quantity)
        };
        short.sort_unstable_by(|&a, &b| {
            shortage(b)
                .cmp(&shortage(a))
                .then_with(|| self.record_tie(a, b))
        });

        // Donors per (account, licence), only for licences that are short somewhere.
        let mut donors: HashMap<(u32, Sym), Vec<Donor>> = short
            .iter()
            .map(|&r| {
                let rec = &self.records[r as usize];
                ((rec.account, rec.license), Vec::new())
            })
            .collect();
        for (i, acc) in self.accounts.iter().enumerate() {
            if !sel.account(i as u32) {
                continue;
            }
            for r in acc.records.clone() {
                let rec = &self.records[r as usize];
                let spare = rec.available.min(rec.quantity.saturating_sub(rec.in_use));
                if spare <= 0 {
                    continue;
                }
                if let Some(list) = donors.get_mut(&(rec.account, rec.license)) {
                    list.push(Donor {
                        record: r,
                        va: rec.va,
                        spare,
                    });
                }
            }
        }

        let mut covered = Vec::new();
        let mut uncovered = Vec::new();
        for r in short {
            let rec = &self.records[r as usize];
            let acc = &self.accounts[rec.account as usize];
            let mut row = RebalanceRow {
                account: self.s(acc.name),
                domain: self.s(acc.domain),
                virtual_account: self.s(rec.va),
                license: self.s(rec.license),
                quantity: rec.quantity,
                in_use: rec.in_use,
                shortage: shortage(r),
                transfers: Vec::new(),
            };
            if let Some(list) = donors.get_mut(&(rec.account, rec.license)) {
                // Largest spare first; symbols compare as their text, so `va` orders by name.
                list.sort_by(|a, b| {
                    b.spare
                        .cmp(&a.spare)
                        .then(a.va.cmp(&b.va))
                        .then(a.record.cmp(&b.record))
                });
                let mut need = row.shortage;
                for d in list.iter_mut().filter(|d| d.va != rec.va && d.spare > 0) {
                    if need == 0 {
                        break;
                    }
                    let give = need.min(d.spare);
                    d.spare -= give;
                    need -= give;
                    row.transfers.push(Transfer {
                        from: self.s(d.va),
                        quantity: give,
                    });
                }
            }
            if row.transfers.is_empty() {
                uncovered.push(row);
            } else {
                covered.push(row);
            }
        }
        covered.extend(uncovered);
        covered
    }
}

#[cfg(test)]
mod tests {
    use crate::{Catalog, Filters, Inventory, ReportBody, ReportKind};

    /// Acme: Apex short by 10 in Lab; DEFAULT has 4 to spare (available 6 but only 4 above
    /// in-use), Prod has 3 (available 3); Ops is itself short of Apex. Plus is short by 2 in
    /// DEFAULT and nothing has Plus to spare. Globex (another smart account) has Apex to spare,
    /// which must not be offered to Acme.
    const SNAPSHOT: &str = r#"{
      "accounts": [
        {"accountName": "Acme", "accountDomain": "acme.com"},
        {"accountName": "Globex", "accountDomain": "globex.com"}
      ],
      "licenses": {
        "acme.com": [
          {"license": "AnyConnect Apex", "virtualAccount": "Lab", "quantity": 5, "inUse": 15, "available": 0},
          {"license": "AnyConnect Apex", "virtualAccount": "DEFAULT", "quantity": 20, "inUse": 16, "available": 6},
          {"license": "AnyConnect Apex", "virtualAccount": "Prod", "quantity": 10, "inUse": 7, "available": 3},
          {"license": "AnyConnect Apex", "virtualAccount": "Ops", "quantity": 1, "inUse": 2, "available": 0},
          {"license": "AnyConnect Plus", "virtualAccount": "DEFAULT", "quantity": 0, "inUse": 2, "available": 0},
          {"license": "AnyConnect Plus", "virtualAccount": "Prod", "quantity": 5, "inUse": 5, "available": 0}
        ],
        "globex.com": [
          {"license": "AnyConnect Apex", "virtualAccount": "DEFAULT", "quantity": 100, "inUse": 0, "available": 100}
        ]
      }
    }"#;

    /// `(to VA, licence, shortage, [(from VA, quantity)], uncovered)`.
    type Advice = (String, String, i64, Vec<(String, i64)>, i64);
    /// `(to VA, [(from VA, quantity)], uncovered)`.
    type Short = (String, Vec<(String, i64)>, i64);

    fn rows(filters: &Filters) -> Vec<Advice> {
        let inv = Inventory::from_json_slice(SNAPSHOT.as_bytes(), &Catalog::shipped())
            .expect("the test snapshot loads");
        let report = inv
            .report_at(ReportKind::Rebalance, 0, filters)
            .expect("the filters are valid");
        let ReportBody::Rebalance(rows) = &report.body else {
            panic!("rebalance computes a rebalance body");
        };
        rows.iter()
            .map(|r| {
                (
                    r.virtual_account.to_string(),
                    r.license.to_string(),
                    r.shortage,
                    r.transfers
                        .iter()
                        .map(|t| (t.from.to_string(), t.quantity))
                        .collect(),
                    r.uncovered(),
                )
            })
            .collect()
    }

    fn row(
        va: &str,
        license: &str,
        shortage: i64,
        transfers: &[(&str, i64)],
        uncovered: i64,
    ) -> Advice {
        (
            va.into(),
            license.into(),
            shortage,
            transfers.iter().map(|(f, q)| (f.to_string(), *q)).collect(),
            uncovered,
        )
    }

    #[test]
    fn a_shortage_is_covered_in_part_by_the_spare_of_other_vas_and_nothing_covers_last() {
        // Lab is short 15 − 5 = 10: DEFAULT gives min(6, 20 − 16) = 4, Prod min(3, 10 − 7) = 3,
        // 3 stay short. Ops is short 1 and the donors are spent. Plus: 2 short, no donor
        // (Prod's Plus is fully used). Order: covered first (Lab), then uncovered by size.
        assert_eq!(
            rows(&Filters::none()),
            vec![
                row(
                    "Lab",
                    "AnyConnect Apex",
                    10,
                    &[("DEFAULT", 4), ("Prod", 3)],
                    3
                ),
                row("DEFAULT", "AnyConnect Plus", 2, &[], 2),
                row("Ops", "AnyConnect Apex", 1, &[], 1),
            ]
        );
    }

    /// Beta: X is short 4 in C and 3 in A; B has 5 to spare (available 9 but only 5 above
    /// in-use).
    const SHARED_DONOR: &str = r#"{
      "accounts": [{"accountName": "Beta", "accountDomain": "beta.com"}],
      "licenses": {"beta.com": [
        {"license": "X", "virtualAccount": "A", "quantity": 1, "inUse": 4, "available": 0},
        {"license": "X", "virtualAccount": "B", "quantity": 10, "inUse": 5, "available": 9},
        {"license": "X", "virtualAccount": "C", "quantity": 0, "inUse": 4, "available": 0}
      ]}
    }"#;

    fn shared_rows(filters: &Filters) -> Vec<Short> {
        let inv = Inventory::from_json_slice(SHARED_DONOR.as_bytes(), &Catalog::shipped())
            .expect("the test snapshot loads");
        let report = inv
            .report_at(ReportKind::Rebalance, 0, filters)
            .expect("the filters are valid");
        assert_eq!(
            report.count(),
            report.to_json()["items"].as_array().map_or(0, Vec::len)
        );
        let ReportBody::Rebalance(rows) = &report.body else {
            panic!("rebalance computes a rebalance body");
        };
        rows.iter()
            .map(|r| {
                (
                    r.virtual_account.to_string(),
                    r.transfers
                        .iter()
                        .map(|t| (t.from.to_string(), t.quantity))
                        .collect(),
                    r.uncovered(),
                )
            })
            .collect()
    }

    #[test]
    fn what_a_donor_gives_the_largest_shortage_is_gone_for_the_next() {
        // C (short 4) first: 4 from B, covered. A (short 3): B has 5 − 4 = 1 left, 2 stay short.
        assert_eq!(
            shared_rows(&Filters::none()),
            vec![
                ("C".to_string(), vec![("B".to_string(), 4)], 0),
                ("A".to_string(), vec![("B".to_string(), 1)], 2),
            ]
        );
    }

    #[test]
    fn a_va_filter_picks_the_shortages_and_donors_still_come_from_every_va() {
        let only_a = Filters {
            accounts: vec![],
            vas: vec!["a".into()],
        };
        // A alone: B's 5 to spare cover all 3.
        assert_eq!(
            shared_rows(&only_a),
            vec![("A".to_string(), vec![("B".to_string(), 3)], 0)]
        );
    }

    #[test]
    fn the_json_and_csv_forms_carry_transfers_and_what_stays_short() {
        let inv = Inventory::from_json_slice(SNAPSHOT.as_bytes(), &Catalog::shipped())
            .expect("the test snapshot loads");
        let report = inv
            .report_at(ReportKind::Rebalance, 0, &Filters::none())
            .expect("no filter");
        let json = report.to_json();
        assert_eq!(json["report"], "rebalance");
        assert_eq!(json["count"], 3);
        assert_eq!(json["items"][0]["virtualAccount"], "Lab");
        assert_eq!(json["items"][0]["covered"], 7);
        assert_eq!(json["items"][0]["uncovered"], 3);
        assert_eq!(json["items"][0]["transfers"][1]["from"], "Prod");
        assert_eq!(json["items"][0]["transfers"][1]["quantity"], 3);
        assert_eq!(
            json["items"][2]["transfers"].as_array().map(Vec::len),
            Some(0)
        );
        let csv = String::from_utf8(report.to_csv().expect("rebalance has a CSV form"))
            .expect("CSV is UTF-8");
        assert_eq!(
            csv.lines().collect::<Vec<_>>(),
            [
                "account,domain,license,toVirtualAccount,shortage,fromVirtualAccount,transfer,uncovered",
                "Acme,acme.com,AnyConnect Apex,Lab,10,DEFAULT,4,3",
                "Acme,acme.com,AnyConnect Apex,Lab,10,Prod,3,3",
                "Acme,acme.com,AnyConnect Plus,DEFAULT,2,,,2",
                "Acme,acme.com,AnyConnect Apex,Ops,1,,,1",
            ]
        );
        assert!(report
            .to_table()
            .contains("3 shortages, 7 of 13 licenses covered by 2 transfers"));
    }
}
