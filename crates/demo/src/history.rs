//! A past for each demo person: five weekly points of their inventory in the bot store, so
//! `changes 7d`, `changes 30d`, `trend LICENSE` and the run-out forecast of `status` have
//! something to show after the first fetch.
//!
//! For each demo person whose history is empty, the points of days −35, −28, −21, −14 and −7
//! are the CSSM simulator's base data drifted back that many days
//! ([`slbot_sim_cssm::advance`], with the simulator's drift seed) and restricted to exactly the
//! accounts the person's CSSM user sees ([`slbot_sim_cssm::users`]: the user of the SSO
//! subject of their e-mail), so their first fetch (day 0) continues the same story. Each point
//! is taken at the start time minus that many days. A person who already has points (a restart
//! on the same data folder) is left alone.

use chrono::{DateTime, Duration, Utc};
use slbot_cssm::Snapshot;
use slbot_inventory::history::Point;
use slbot_inventory::{Catalog, Inventory};
use slbot_notify::NotifyStore;
use slbot_sim_cssm::{accounts_of_user, drift_of, user_of_subject, Usage};

use crate::error::DemoError;
use crate::people::{People, DEMO_PEOPLE};

/// The days before the start at which the written points are taken, oldest first.
pub const PAST_DAYS: [i64; 5] = [35, 28, 21, 14, 7];

/// The CSSM user of a demo person: the one the simulator maps their SSO subject to.
pub fn cssm_user_of(email: &str, cssm_users: usize) -> usize {
    user_of_subject(&slbot_sim_sso::sub_for_email(email), cssm_users)
}

/// The accounts of `snapshot` at `indices` (positions in `accounts`), with their licences and
/// virtual accounts: what that user's fetch finds.
fn restricted(snapshot: Snapshot, indices: &[usize]) -> Snapshot {
    let Snapshot {
        format,
        captured_at,
        accounts,
        mut licenses,
        virtual_accounts,
        ..
    } = snapshot;
    let accounts: Vec<serde_json::Value> = accounts
        .into_iter()
        .enumerate()
        .filter(|(i, _)| indices.contains(i))
        .map(|(_, a)| a)
        .collect();
    let domains: Vec<String> = accounts
        .iter()
        .filter_map(|a| a.get("accountDomain").and_then(|d| d.as_str()))
        .map(str::to_string)
        .collect();
    licenses.retain(|domain, _| domains.contains(domain));
    let virtual_accounts = virtual_accounts.map(|mut vas| {
        vas.retain(|domain, _| domains.contains(domain));
        vas
    });
    Snapshot {
        format,
        captured_at,
        accounts,
        licenses,
        virtual_accounts,
        missing_accounts: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Writes the past points of every demo person without history into `store`; returns how many
/// people got them. `now` is the start of the demo.
pub(crate) async fn write_past(
    store: &dyn NotifyStore,
    cssm: &slbot_sim_cssm::SimState,
    people: &People,
    now: DateTime<Utc>,
) -> Result<usize, DemoError> {
    let failed = |e: slbot_notify::StoreError| DemoError::part("bot store's history", e);
    let base = cssm.base_snapshot();
    let catalog = Catalog::shipped();
    // Far in the past: writing these points must not trim anything.
    let keep_after = DateTime::<Utc>::UNIX_EPOCH;
    let mut written = 0;
    for (person, person_id) in DEMO_PEOPLE.iter().zip(&people.people) {
        if !store
            .point_times(person_id)
            .await
            .map_err(failed)?
            .is_empty()
        {
            continue;
        }
        let user = cssm_user_of(person.email, cssm.users());
        let visible = accounts_of_user(user, cssm.users(), base.accounts.len());
        for days in PAST_DAYS {
            let then = restricted(
                slbot_sim_cssm::advance(base, cssm.drift_seed(), -days),
                &visible,
            );
            let at = now - Duration::days(days);
            let bytes = Inventory::from_snapshot(&then, &catalog)
                .history_point(at.timestamp())
                .encode();
            store
                .keep_point(person_id, at, &Point::digest(&bytes), &bytes, keep_after)
                .await
                .map_err(failed)?;
        }
        written += 1;
    }
    Ok(written)
}

/// A licence whose use grows for the first demo person, for `trend NAME`: the first name (in
/// dataset order) all of whose records in their accounts grow, with enough in use that five
/// weeks back never reaches 0 and room left below the quantity, so the trend rises every week
/// and the forecast has a run-out ahead.
pub(crate) fn growing_license(cssm: &slbot_sim_cssm::SimState) -> Option<String> {
    let first = DEMO_PEOPLE.first()?;
    let base = cssm.base_snapshot();
    let user = cssm_user_of(first.email, cssm.users());
    // (name as written, folded name, whether this record qualifies), in dataset order.
    let mut records: Vec<(String, String, bool)> = Vec::new();
    for account in accounts_of_user(user, cssm.users(), base.accounts.len()) {
        let Some(domain) = base.accounts[account]
            .get("accountDomain")
            .and_then(|d| d.as_str())
        else {
            continue;
        };
        for (index, raw) in base.licenses.get(domain).into_iter().flatten().enumerate() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(raw.get()) else {
                continue;
            };
            let Some(name) = record.get("license").and_then(|n| n.as_str()) else {
                continue;
            };
            let drift = drift_of(cssm.drift_seed(), account, index);
            let number = |field: &str| record.get(field).and_then(|v| v.as_i64());
            let qualifies = match (number("quantity"), number("inUse")) {
                (Some(quantity), Some(in_use)) => {
                    drift.usage == Usage::Grows
                        && in_use >= 6 * drift.per_week
                        && in_use + 2 * drift.per_week < quantity
                }
                _ => false,
            };
            records.push((name.to_string(), name.trim().to_lowercase(), qualifies));
        }
    }
    records
        .iter()
        .filter(|(name, _, qualifies)| *qualifies && !name.is_empty() && name.trim() == name)
        .find(|(_, folded, _)| {
            records
                .iter()
                .filter(|(_, other, _)| other == folded)
                .all(|(_, _, qualifies)| *qualifies)
        })
        .map(|(name, _, _)| name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restricted_snapshot_keeps_only_the_chosen_accounts_with_their_licences_and_vas() {
        let snapshot: Snapshot = serde_json::from_str(
            r#"{"accounts":[{"accountDomain":"a"},{"accountDomain":"b"},{"accountDomain":"c"}],
                "licenses":{"a":[{"license":"X"}],"b":[{"license":"Y"}],"c":[]},
                "virtualAccounts":{"a":[{"name":"DEFAULT"}],"b":[{"name":"Lab"}]},
                "warnings":["left over"]}"#,
        )
        .unwrap();
        let kept = restricted(snapshot, &[0, 2]);
        let domains: Vec<&str> = kept
            .accounts
            .iter()
            .map(|a| a["accountDomain"].as_str().unwrap())
            .collect();
        assert_eq!(domains, ["a", "c"]);
        assert_eq!(kept.licenses.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(
            kept.virtual_accounts.unwrap().keys().collect::<Vec<_>>(),
            ["a"]
        );
        assert!(kept.warnings.is_empty());
    }
}
