//! A deliberately small, independent reading of the snapshot the CSSM simulator serves: which
//! accounts a simulated user sees, and the counts of reports.md §2, with a tiny date parser.
//! It never calls the inventory or chat crates, so it can check them.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

/// The dataset as JSON (`accounts`, `licenses: {domain: [record]}`, `virtualAccounts`).
#[derive(Clone)]
pub struct Dataset {
    pub json: Value,
    /// Users the accounts are dealt to (the simulator's rule, restated in [`Dataset::accounts_of`]).
    pub users: usize,
}

/// One licence record of a user, flattened.
pub struct Record {
    pub quantity: i64,
    pub in_use: i64,
    pub end_dates: Vec<Option<String>>,
}

impl Dataset {
    /// Account 0 is shared; account `i > 0` belongs to user `(i − 1) mod users`.
    pub fn accounts_of(&self, user: usize) -> Vec<&Value> {
        let all = self.json["accounts"].as_array().expect("accounts");
        all.iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || (i - 1) % self.users == user)
            .map(|(_, a)| a)
            .collect()
    }

    pub fn account_names(&self, user: usize) -> Vec<String> {
        self.accounts_of(user)
            .iter()
            .map(|a| a["accountName"].as_str().unwrap_or("").to_string())
            .collect()
    }

    pub fn records(&self, user: usize) -> Vec<Record> {
        let mut out = Vec::new();
        for account in self.accounts_of(user) {
            let domain = account["accountDomain"].as_str().unwrap_or("");
            let records = self.json["licenses"][domain]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for r in records {
                let lines = r["licenseDetails"].as_array().cloned().unwrap_or_default();
                out.push(Record {
                    quantity: r["quantity"].as_i64().unwrap_or(0),
                    in_use: r["inUse"].as_i64().unwrap_or(0),
                    end_dates: lines
                        .iter()
                        .map(|l| l["endDate"].as_str().map(String::from))
                        .collect(),
                });
            }
        }
        out
    }

    /// The VA names of a user's accounts (from the virtual-accounts lists).
    pub fn va_names(&self, user: usize) -> Vec<String> {
        let mut names = Vec::new();
        for account in self.accounts_of(user) {
            let domain = account["accountDomain"].as_str().unwrap_or("");
            for va in self.json["virtualAccounts"][domain]
                .as_array()
                .into_iter()
                .flatten()
            {
                let name = va["name"].as_str().unwrap_or("").trim().to_string();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Entitlement lines whose end is before `now`.
    pub fn expired(&self, user: usize, now: DateTime<Utc>) -> usize {
        self.end_dates(user).filter(|end| *end < now).count()
    }

    /// Entitlement lines ending strictly between `now` and `now + days`.
    pub fn expiring(&self, user: usize, now: DateTime<Utc>, days: i64) -> usize {
        let until = now + Duration::days(days);
        self.end_dates(user)
            .filter(|end| *end > now && *end < until)
            .count()
    }

    pub fn shortages(&self, user: usize) -> usize {
        self.records(user)
            .iter()
            .filter(|r| r.in_use > r.quantity)
            .count()
    }

    pub fn usage(&self, user: usize) -> usize {
        self.records(user)
            .iter()
            .filter(|r| r.quantity > 0 && r.in_use > 0)
            .count()
    }

    /// Export rows: one per entitlement line, and one per record without lines.
    pub fn export_rows(&self, user: usize) -> usize {
        self.records(user)
            .iter()
            .map(|r| r.end_dates.len().max(1))
            .sum()
    }

    fn end_dates(&self, user: usize) -> impl Iterator<Item = DateTime<Utc>> {
        self.records(user)
            .into_iter()
            .flat_map(|r| r.end_dates)
            .flatten()
            .filter_map(|d| parse_date(&d))
    }
}

/// The date forms of reports.md §1: `YYYY-MM-DD`, RFC 3339, no zone (UTC), `MM/DD/YY HH:MM`.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
    }
    for form in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%y %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, form) {
            return Some(d.and_utc());
        }
    }
    None
}

/// The headlines of reports.md §4, written out again.
pub mod headline {
    pub fn expiring(n: usize, days: i64) -> String {
        let span = if days == 1 {
            "1 day".to_string()
        } else {
            format!("{days} days")
        };
        match n {
            0 => format!("**There are no licenses that expire in the next {span}.**"),
            1 => format!("**There is 1 license that will expire in the next {span}:**"),
            n => format!("**There are {n} licenses that will expire in the next {span}:**"),
        }
    }

    pub fn expired(n: usize) -> String {
        match n {
            0 => "**There are no expired licenses.**".into(),
            1 => "**There is 1 expired license:**".into(),
            n => format!("**There are {n} expired licenses:**"),
        }
    }

    pub fn shortages(n: usize) -> String {
        match n {
            0 => "**There are no license shortages.**".into(),
            1 => "**There is 1 license with a shortage:**".into(),
            n => format!("**There are {n} licenses with shortages:**"),
        }
    }

    pub fn usage(n: usize) -> String {
        match n {
            0 => "**There are no licenses in use.**".into(),
            1 => "**License utilization for 1 license in use:**".into(),
            n => format!("**License utilization for {n} licenses in use:**"),
        }
    }

    pub fn accounts(n: usize) -> String {
        match n {
            0 => "**There are no smart accounts for your login.**".into(),
            1 => "**Here is your 1 smart account:**".into(),
            n => format!("**Here are your {n} smart accounts:**"),
        }
    }

    pub const STATUS: &str = "**Here is the high level status of your licensing:**";
    pub const MIX: &str = "**Here is your architecture mix, by account:**";
    pub const VIRTUAL_ACCOUNTS: &str =
        "**Here are your virtual accounts, grouped by smart account:**";
}

#[test]
fn the_tiny_date_parser_reads_every_form_of_the_contract() {
    let noon = |y, m, d, h, mi| {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
    };
    assert_eq!(parse_date("2026-02-03"), Some(noon(2026, 2, 3, 0, 0)));
    assert_eq!(
        parse_date("2026-02-03T10:20:00Z"),
        Some(noon(2026, 2, 3, 10, 20))
    );
    assert_eq!(
        parse_date("2026-02-03T12:20:00.250+02:00").map(|d| d.timestamp()),
        Some(noon(2026, 2, 3, 10, 20).timestamp())
    );
    assert_eq!(
        parse_date("2026-02-03T10:20:00"),
        Some(noon(2026, 2, 3, 10, 20))
    );
    assert_eq!(parse_date("02/03/26 10:20"), Some(noon(2026, 2, 3, 10, 20)));
    assert_eq!(parse_date("soon"), None);
}
