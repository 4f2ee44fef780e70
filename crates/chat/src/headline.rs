//! The bold headline every report reply starts with (reports.md §4), and the partial line.
//!
//! The functions without `bold` give the bare sentence, which `status` reuses for its sections.
//! A sentence ends in `:` when rows follow and in `.` when the report is empty.

use slbot_inventory::MissingAccount;

use crate::markdown::name;
use crate::sentences::count as counted;

/// `**sentence**`.
pub fn bold(sentence: &str) -> String {
    format!("**{sentence}**")
}

fn days_text(days: u32) -> String {
    counted(days as usize, "day", "days")
}

/// `expiring`: entitlement lines ending in the next `days` days.
pub fn expiring(count: usize, days: u32) -> String {
    let days = days_text(days);
    match count {
        0 => format!("There are no licenses that expire in the next {days}."),
        1 => format!("There is 1 license that will expire in the next {days}:"),
        n => format!("There are {n} licenses that will expire in the next {days}:"),
    }
}

/// `expired`: entitlement lines that have ended.
pub fn expired(count: usize) -> String {
    match count {
        0 => "There are no expired licenses.".to_string(),
        1 => "There is 1 expired license:".to_string(),
        n => format!("There are {n} expired licenses:"),
    }
}

/// `shortages`: records with more in use than owned.
pub fn shortages(count: usize) -> String {
    match count {
        0 => "There are no license shortages.".to_string(),
        1 => "There is 1 license with a shortage:".to_string(),
        n => format!("There are {n} licenses with shortages:"),
    }
}

/// `usage`: records in use.
pub fn usage(count: usize) -> String {
    match count {
        0 => "There are no licenses in use.".to_string(),
        1 => "License utilization for 1 license in use:".to_string(),
        n => format!("License utilization for {n} licenses in use:"),
    }
}

/// `rebalance`: how many shortages, and how many of them transfers would cover in full.
pub fn rebalance(rows: &[slbot_inventory::RebalanceRow<'_>]) -> String {
    let covered = rows.iter().filter(|r| r.uncovered() == 0).count();
    match rows.len() {
        0 => "There are no license shortages, so there is nothing to rebalance.".to_string(),
        n => format!(
            "{} {}; moving licenses between virtual accounts would cover {covered} in full \
             (advice only, nothing has been moved):",
            if n == 1 { "There is" } else { "There are" },
            counted(n, "shortage", "shortages"),
        ),
    }
}

/// `at risk`: how many smart accounts, and how the score is made.
pub fn at_risk(accounts: usize) -> String {
    let (e, s, x) = slbot_inventory::AT_RISK_WEIGHTS;
    match accounts {
        0 => "No smart account is at risk: nothing expired is in use, nothing is short and \
              nothing expires within 30 days."
            .to_string(),
        n => format!(
            "{} at risk, highest score first (score = {e} × expired in use + {s} × short + \
             {x} × expiring in 30 days):",
            counted(n, "smart account is", "smart accounts are"),
        ),
    }
}

/// `renewals`: how many entitlement lines end in the calendar's quarters, and the zone of
/// their boundaries.
pub fn renewals(count: usize, quarters: u32, zone: &str) -> String {
    let span = if quarters == 1 {
        "this quarter".to_string()
    } else {
        format!("the next {quarters} quarters")
    };
    match count {
        0 => format!("There are no licenses to renew in {span} ({zone})."),
        1 => format!("There is 1 license to renew in {span} ({zone}), by quarter:"),
        n => format!("There are {n} licenses to renew in {span} ({zone}), by quarter:"),
    }
}

/// `mix`: whether any account has something in use.
pub fn mix(accounts: usize) -> String {
    if accounts == 0 {
        "There are no licenses in use, so there is no architecture mix.".to_string()
    } else {
        "Here is your architecture mix, by account:".to_string()
    }
}

/// `accounts`: the smart accounts.
pub fn accounts(count: usize) -> String {
    match count {
        0 => NO_SMART_ACCOUNTS.to_string(),
        1 => "Here is your 1 smart account:".to_string(),
        n => format!("Here are your {n} smart accounts:"),
    }
}

/// `virtual-accounts`: `count` is the number of smart accounts.
pub fn virtual_accounts(count: usize) -> String {
    if count == 0 {
        NO_SMART_ACCOUNTS.to_string()
    } else {
        "Here are your virtual accounts, grouped by smart account:".to_string()
    }
}

const NO_SMART_ACCOUNTS: &str = "There are no smart accounts for your login.";

/// `status`.
pub const STATUS: &str = "Here is the high level status of your licensing:";

/// How many missing accounts the partial line names before "and K more".
const NAMED_MISSING: usize = 3;

/// The line right after the headline of a partial answer, e.g.
/// `_Partial: 1 of 3 accounts could not be read (Acme: CSSM timed out). Try again later._`;
/// `None` when nothing is missing. `missing` is (account name, reason); `total` the number of
/// smart accounts.
pub fn partial_line(missing: &[(&str, &str)], total: usize) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let total = total.max(missing.len());
    let mut reasons: Vec<String> = missing
        .iter()
        .take(NAMED_MISSING)
        .map(|(account, reason)| format!("{}: {}", name(account), name(reason)))
        .collect();
    if missing.len() > NAMED_MISSING {
        reasons.push(format!("and {} more", missing.len() - NAMED_MISSING));
    }
    Some(format!(
        "_Partial: {} of {} could not be read ({}). Try again later._",
        missing.len(),
        counted(total, "account", "accounts"),
        reasons.join("; ")
    ))
}

/// [`partial_line`] for the accounts a fetch could not read (shown by name, or by domain when
/// the name is blank).
pub fn partial_line_for(missing: &[MissingAccount], total: usize) -> Option<String> {
    let missing: Vec<(&str, &str)> = missing
        .iter()
        .map(|m| {
            let shown = if m.name.trim().is_empty() {
                m.domain.as_str()
            } else {
                m.name.as_str()
            };
            (shown, m.reason.as_str())
        })
        .collect();
    partial_line(&missing, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_line_names_three_missing_accounts_then_counts_the_rest() {
        assert_eq!(partial_line(&[], 3), None);
        assert_eq!(
            partial_line(&[("Acme", "CSSM timed out")], 1).as_deref(),
            Some("_Partial: 1 of 1 account could not be read (Acme: CSSM timed out). Try again later._")
        );
        let missing = [
            ("A_1", "CSSM timed out"),
            ("B", "CSSM refused access (403)"),
            ("C", "CSSM is unavailable (HTTP 503)"),
            ("D", "CSSM timed out"),
        ];
        assert_eq!(
            partial_line(&missing, 10).as_deref(),
            Some(
                "_Partial: 4 of 10 accounts could not be read (A\\_1: CSSM timed out; \
                 B: CSSM refused access (403); C: CSSM is unavailable (HTTP 503); and 1 more). \
                 Try again later._"
            )
        );
    }
}
