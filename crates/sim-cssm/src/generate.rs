//! A deterministic, realistic CSSM dataset: same [`GenParams`] → byte-identical snapshot.
//!
//! Everything comes from one `ChaCha8Rng` seeded with `seed`, consumed in a fixed order, and
//! every date is an offset from `anchor` (the generator never reads the clock). Output order is
//! list order or `BTreeMap` order, never hash order.
//!
//! Shape: `accounts` smart accounts, each with `virtual_accounts` VAs (the first is always
//! `DEFAULT`, the others are drawn from a pool of common names, so VA names repeat across
//! accounts), and on average `licenses_per_va` licence records per VA, named from the shipped
//! architecture catalogue (plus a few names the catalogue does not know).
//!
//! The quirks of reports.md §1 that the client and the reports must survive, and how often:
//! - dates: `null` start dates (~3%) and perpetual lines (`endDate: null`); formats mixed per
//!   date: `YYYY-MM-DD` (~55%), RFC 3339 with `Z` (~20%), with an offset and fractional seconds
//!   (~8%), without a zone (~9%), legacy `MM/DD/YY HH:MM` (~8%);
//! - end dates spread relative to the anchor: expired 1 day to 3 years ago, and within 30, 31–60,
//!   61–90, 91–180 days, later (up to ~5 years), and perpetual (~20% of records). Days next to a
//!   bucket boundary are avoided so the time of day of `now` never moves a line across one;
//! - VA names shared across accounts (every account has `DEFAULT`); licence names in several VAs;
//! - shortages (`inUse > quantity`, ~6%), zero quantities (~3%), records without lines (~5%,
//!   billed `USAGE`), records with lines of several types (~4%), trailing spaces in licence names
//!   (~3%), names in another letter case than the catalogue (~2%) or not in it at all (~3%);
//! - empty VAs (~8%, and always the last VA of account 0 when there are at least two VAs); an
//!   account whose VAs are all empty gets the "NO DATA FOUND" answer from the server.
//!
//! Accounts: realistic company names and `*.example.com` domains, `CUSTOMER` except every
//! account whose index is 2 mod 6 (`HOLDING`), status `Active`, Smart Account roles and now and
//! then a VA-level role.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::value::RawValue;
use slbot_cssm::Snapshot;

/// The project's shipped architecture catalogue: licence name → architecture.
const CATALOGUE: &str = include_str!("../../inventory/data/license-architectures.json");

/// Licence names the catalogue does not know (reports file them as `Uncategorized`).
const UNKNOWN_NAMES: &[&str] = &[
    "CUCM Legacy Upgrade Bundle",
    "Network Services Pack (2017)",
    "ISE Device Admin Bulk Migration",
    "Partner Lab Evaluation Key",
];

const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex Corporation",
    "Initech",
    "Umbrella Holdings",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Cyberdyne Systems",
    "Soylent Foods",
    "Wonka Industries",
    "Tyrell Corporation",
    "Vandelay Industries",
    "Massive Dynamic",
    "Oceanic Airlines",
    "Aperture Science",
    "Black Mesa Research",
    "Nakatomi Trading",
    "Pied Piper",
    "Bluth Company",
    "Dunder Mifflin",
    "Sterling Cooper",
    "Weyland-Yutani",
    "Monarch Solutions",
    "Prestige Worldwide",
];

const VA_POOL: &[&str] = &[
    "Production",
    "Lab",
    "Campus",
    "Data Center",
    "Branch Offices",
    "Security",
    "Collaboration",
    "Wireless",
    "EMEA",
    "Americas",
    "APJC",
    "Partner Managed",
    "Test",
    "HQ",
];

/// What to generate. Identical values give a byte-identical snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenParams {
    pub seed: u64,
    /// Number of smart accounts.
    pub accounts: usize,
    /// Virtual accounts per smart account (the first is `DEFAULT`).
    pub virtual_accounts: usize,
    /// Mean number of licence records per VA. A VA holds each name at most once, so beyond
    /// about 100 the mean comes out lower (the catalogue has about 200 names).
    pub licenses_per_va: usize,
    /// The day every date is relative to (midnight UTC).
    pub anchor: NaiveDate,
    /// Mean number of entitlement lines of an ordinary record (one to `2 × n - 1`, evenly).
    /// `None` is the usual mix (one 60 %, two 28 %, three 12 %: about 1.5 lines per record);
    /// the million-line MSP shape (300 accounts × 25 VAs × 40 licences) uses `Some(4)`.
    pub lines_per_record: Option<usize>,
}

impl Default for GenParams {
    /// A small dataset anchored on a fixed day (2026-01-15), for tests and examples.
    fn default() -> Self {
        Self {
            seed: 1,
            accounts: 4,
            virtual_accounts: 4,
            licenses_per_va: 20,
            anchor: NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default(),
            lines_per_record: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Role {
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    virtual_account: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    account_name: String,
    account_domain: String,
    account_status: &'static str,
    account_type: &'static str,
    roles: Vec<Role>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VirtualAccount {
    name: String,
    description: String,
    is_default: &'static str,
    commerce_access_level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    license_type: &'static str,
    quantity: u64,
    start_date: Option<String>,
    end_date: Option<String>,
    subscription_id: Option<String>,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    license: String,
    virtual_account: String,
    quantity: u64,
    in_use: u64,
    available: i64,
    status: &'static str,
    billing_type: &'static str,
    aha_apps: bool,
    pending_quantity: u64,
    reserved: u64,
    is_portable: bool,
    license_substitutions: Vec<serde_json::Value>,
    license_details: Vec<Line>,
}

/// When a line ends, relative to the anchor.
#[derive(Clone, Copy)]
enum Expiry {
    Perpetual,
    /// Days after the anchor (negative: already expired).
    Days(i64),
}

/// Generates the dataset described by `params` as a snapshot of everything (all accounts, with
/// their virtual accounts). `capturedAt` is the anchor at midnight UTC.
pub fn generate(params: &GenParams) -> Snapshot {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let names = catalogue_names();
    let mut accounts = Vec::with_capacity(params.accounts);
    let mut licenses = BTreeMap::new();
    let mut virtual_accounts = BTreeMap::new();

    for index in 0..params.accounts {
        let (name, domain) = company(index);
        let vas = va_names(&mut rng, params.virtual_accounts);
        let account_type = if index % 6 == 2 {
            "HOLDING"
        } else {
            "CUSTOMER"
        };
        accounts.push(to_value(&Account {
            account_name: name.clone(),
            account_domain: domain.clone(),
            account_status: "Active",
            account_type,
            roles: roles(&mut rng, &vas),
        }));

        let mut records = Vec::new();
        for (va_index, va) in vas.iter().enumerate() {
            let forced_empty = index == 0 && vas.len() >= 2 && va_index == vas.len() - 1;
            let count = if forced_empty || rng.gen_bool(0.08) {
                0
            } else {
                record_count(&mut rng, params.licenses_per_va, names.len())
            };
            for name_index in sample(&mut rng, names.len(), count).into_iter() {
                let license = licence_name(&mut rng, &names[name_index]);
                let record = record(&mut rng, params, license, va.clone());
                records.push(to_raw(&record));
            }
        }
        licenses.insert(domain.clone(), records);
        virtual_accounts.insert(
            domain,
            vas.iter()
                .enumerate()
                .map(|(i, va)| {
                    to_value(&VirtualAccount {
                        name: va.clone(),
                        description: if i == 0 {
                            format!("Default virtual account of {name}")
                        } else {
                            format!("{va} licenses")
                        },
                        is_default: if i == 0 { "true" } else { "false" },
                        commerce_access_level: "FULL",
                    })
                })
                .collect(),
        );
    }

    Snapshot {
        format: Some(slbot_cssm::snapshot::FORMAT.to_string()),
        captured_at: Some(format!("{}T00:00:00Z", params.anchor.format("%Y-%m-%d"))),
        accounts,
        licenses,
        virtual_accounts: Some(virtual_accounts),
        missing_accounts: Vec::new(),
        warnings: Vec::new(),
    }
}

/// The snapshot file text exactly as `slbot sim cssm --dump` writes it: pretty-printed JSON with
/// one licence record per line, and a final newline.
pub fn snapshot_text(snapshot: &Snapshot) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(snapshot)?;
    text.push('\n');
    Ok(text)
}

/// The catalogue's licence names in sorted order, then the names it does not know.
fn catalogue_names() -> Vec<String> {
    let catalogue: BTreeMap<String, serde_json::Value> = serde_json::from_str(CATALOGUE)
        .expect("the shipped catalogue is a JSON object (checked by a unit test)");
    catalogue
        .into_keys()
        .chain(UNKNOWN_NAMES.iter().map(|s| s.to_string()))
        .collect()
}

fn company(index: usize) -> (String, String) {
    let base = COMPANIES[index % COMPANIES.len()];
    let round = index / COMPANIES.len();
    let slug: String = base
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if round == 0 {
        (base.to_string(), format!("{slug}.example.com"))
    } else {
        let n = round + 1;
        (format!("{base} {n}"), format!("{slug}{n}.example.com"))
    }
}

fn va_names(rng: &mut ChaCha8Rng, count: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(count);
    if count == 0 {
        return names;
    }
    names.push("DEFAULT".to_string());
    let from_pool = (count - 1).min(VA_POOL.len());
    let mut picked: Vec<usize> = sample(rng, VA_POOL.len(), from_pool).into_vec();
    picked.sort_unstable();
    names.extend(picked.into_iter().map(|i| VA_POOL[i].to_string()));
    names.extend((names.len()..count).map(|n| format!("VA-{n:03}")));
    names
}

fn roles(rng: &mut ChaCha8Rng, vas: &[String]) -> Vec<Role> {
    let smart = match rng.gen_range(0..10) {
        0..=5 => "Smart Account Administrator",
        6..=8 => "Smart Account User",
        _ => "Smart Account Viewer",
    };
    let mut roles = vec![Role {
        role: smart,
        virtual_account: None,
    }];
    if vas.len() > 1 && rng.gen_bool(0.3) {
        roles.push(Role {
            role: "Virtual Account Administrator",
            virtual_account: Some(vas[rng.gen_range(1..vas.len())].clone()),
        });
    }
    roles
}

/// Records in a non-empty VA: uniform on `1..=m` with `m` chosen so that, with ~8% of VAs
/// empty, the mean over all VAs is about `mean`.
fn record_count(rng: &mut ChaCha8Rng, mean: usize, distinct: usize) -> usize {
    if mean == 0 {
        return 0;
    }
    let upper = ((mean as f64 / 0.92) * 2.0 - 1.0).round().max(1.0) as usize;
    rng.gen_range(1..=upper).min(distinct)
}

fn licence_name(rng: &mut ChaCha8Rng, name: &str) -> String {
    match rng.gen_range(0..100) {
        0..=2 => format!("{name} "),
        3..=4 => name.to_uppercase(),
        _ => name.to_string(),
    }
}

const QUANTITIES: &[u64] = &[1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];

fn record(rng: &mut ChaCha8Rng, params: &GenParams, license: String, va: String) -> Record {
    let anchor = params.anchor;
    let shape = rng.gen_range(0..100);
    let (quantity, lines, billing) = match shape {
        // No entitlement lines at all (usage-billed).
        0..=4 => (
            QUANTITIES[rng.gen_range(0..QUANTITIES.len())],
            vec![],
            "USAGE",
        ),
        // Zero quantity.
        5..=7 => (0, vec![line(rng, anchor, "TERM", 0)], "PREPAID"),
        // Lines of several types: a perpetual base plus a term add-on.
        8..=11 => {
            let q = QUANTITIES[rng.gen_range(0..QUANTITIES.len())].max(2);
            let parts = split(rng, q, 2);
            let lines = vec![
                line(rng, anchor, "PERPETUAL", parts[0]),
                line(rng, anchor, "TERM", parts[1]),
            ];
            (q, lines, "PREPAID")
        }
        _ => {
            let q = QUANTITIES[rng.gen_range(0..QUANTITIES.len())];
            let n = match params.lines_per_record {
                Some(mean) => rng.gen_range(1..=(2 * mean.max(1) - 1)),
                None => match rng.gen_range(0..100) {
                    0..=59 => 1,
                    60..=87 => 2,
                    _ => 3,
                },
            };
            let kind = match rng.gen_range(0..100) {
                0..=16 => "PERPETUAL",
                17..=19 => "STANDARD",
                20..=54 => "SUBSCRIPTION",
                55..=57 => "DEMO",
                _ => "TERM",
            };
            let lines = split(rng, q, n)
                .into_iter()
                .map(|part| line(rng, anchor, kind, part))
                .collect();
            (q, lines, "PREPAID")
        }
    };
    let short = rng.gen_range(0..100) < 6;
    let in_use = if short {
        quantity + rng.gen_range(1..=(quantity / 2).max(1))
    } else {
        rng.gen_range(0..=quantity)
    };
    Record {
        license,
        virtual_account: va,
        quantity,
        in_use,
        available: quantity as i64 - in_use as i64,
        status: if short {
            "Out of Compliance"
        } else {
            "In Compliance"
        },
        billing_type: billing,
        aha_apps: false,
        pending_quantity: 0,
        reserved: 0,
        is_portable: rng.gen_range(0..10) == 0,
        license_substitutions: vec![],
        license_details: lines,
    }
}

/// `total` split into `parts` positive parts (zeros only when `total < parts`), summing to it.
fn split(rng: &mut ChaCha8Rng, total: u64, parts: usize) -> Vec<u64> {
    let parts = parts.max(1);
    if total < parts as u64 {
        let mut out = vec![0; parts];
        out[0] = total;
        return out;
    }
    let mut cuts: Vec<u64> = sample(rng, (total - 1) as usize, parts - 1)
        .into_iter()
        .map(|c| c as u64 + 1)
        .collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(parts);
    let mut last = 0;
    for cut in cuts {
        out.push(cut - last);
        last = cut;
    }
    out.push(total - last);
    out
}

fn line(rng: &mut ChaCha8Rng, anchor: NaiveDate, kind: &'static str, quantity: u64) -> Line {
    let expiry = match kind {
        "PERPETUAL" | "STANDARD" => Expiry::Perpetual,
        "DEMO" => Expiry::Days(match rng.gen_range(0..3) {
            0 => -rng.gen_range(1..=300),
            1 => rng.gen_range(1..=28),
            _ => rng.gen_range(62..=88),
        }),
        _ => Expiry::Days(term_end(rng)),
    };
    let (start, end) = match expiry {
        Expiry::Perpetual => (-rng.gen_range(30..=2500), None),
        Expiry::Days(end) => {
            let length = match kind {
                "DEMO" => 90,
                _ => [365, 1095, 1825][rng.gen_range(0..3)],
            };
            (end - length, Some(end))
        }
    };
    let start_date = if rng.gen_range(0..100) < 3 {
        None
    } else {
        Some(date_text(rng, anchor, start))
    };
    let end_date = end.map(|days| date_text(rng, anchor, days));
    let subscription_id = match kind {
        "SUBSCRIPTION" => Some(format!("Sub{}", rng.gen_range(100_000..1_000_000))),
        "TERM" if rng.gen_bool(0.4) => Some(format!("Sub{}", rng.gen_range(100_000..1_000_000))),
        _ => None,
    };
    Line {
        license_type: kind,
        quantity,
        start_date,
        end_date,
        subscription_id,
        status: "ACTIVE",
    }
}

/// End of a term line in days after the anchor, spread over the report buckets.
fn term_end(rng: &mut ChaCha8Rng) -> i64 {
    match rng.gen_range(0..100) {
        0..=18 => -rng.gen_range(1..=1095),
        19..=28 => rng.gen_range(1..=28),
        29..=37 => rng.gen_range(32..=58),
        38..=46 => rng.gen_range(62..=88),
        47..=58 => rng.gen_range(92..=178),
        _ => rng.gen_range(182..=1800),
    }
}

/// The anchor plus `days`, at a random time of day, in one of the formats CSSM has been seen to
/// use. Dates in the past of the anchor are written with the same formats as future ones.
fn date_text(rng: &mut ChaCha8Rng, anchor: NaiveDate, days: i64) -> String {
    let day = if days >= 0 {
        anchor.checked_add_days(Days::new(days as u64))
    } else {
        anchor.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .unwrap_or(anchor);
    let seconds = rng.gen_range(0..86_400u32);
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or_default();
    let utc: DateTime<Utc> = Utc.from_utc_datetime(&day.and_time(time));
    match rng.gen_range(0..100) {
        0..=54 => day.format("%Y-%m-%d").to_string(),
        55..=74 => utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        75..=82 => {
            let hours = [-7, -5, 1, 2, 5, 9][rng.gen_range(0..6)];
            let minutes = if hours == 5 { 30 * 60 } else { 0 };
            // Every offset above is within ±24 h, so the fallback never happens.
            let offset = FixedOffset::east_opt(hours * 3600 + minutes).unwrap_or_else(|| Utc.fix());
            let millis = rng.gen_range(0..1000);
            format!(
                "{}.{millis:03}{}",
                utc.with_timezone(&offset).format("%Y-%m-%dT%H:%M:%S"),
                utc.with_timezone(&offset).format("%:z")
            )
        }
        83..=91 => utc.format("%Y-%m-%dT%H:%M:%S").to_string(),
        _ => utc.format("%m/%d/%y %H:%M").to_string(),
    }
}

// The structs above hold only strings, numbers, booleans and vectors: serialising them cannot
// fail, so a failure would be a bug in this file, not bad input.
fn to_value<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("plain structs serialise")
}

fn to_raw<T: Serialize>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("plain structs serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_parses_and_has_names() {
        let names = catalogue_names();
        assert!(names.len() > 100, "{} names", names.len());
    }

    #[test]
    fn split_parts_add_up_and_are_positive() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for total in [1u64, 2, 3, 10, 1000] {
            for parts in 1..=3 {
                let p = split(&mut rng, total, parts);
                assert_eq!(p.len(), parts);
                assert_eq!(p.iter().sum::<u64>(), total);
                if total >= parts as u64 {
                    assert!(p.iter().all(|&x| x > 0), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn company_domains_stay_unique_past_the_name_list() {
        let domains: std::collections::BTreeSet<String> = (0..60).map(|i| company(i).1).collect();
        assert_eq!(domains.len(), 60);
        assert_eq!(
            company(0),
            ("Acme Corp".into(), "acme-corp.example.com".into())
        );
    }
}
