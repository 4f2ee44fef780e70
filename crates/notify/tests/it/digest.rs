//! The pure digest and its rendering: item identity, the first-digest bound, the size limit.

use chrono::Duration;
use serde_json::json;
use slbot_inventory::{Catalog, Days, Inventory};
use slbot_notify::digest::{DigestLine, DigestShortage};
use slbot_notify::{digest, render_digest, AnnouncedSet, Digest, ItemKey};

use crate::harness::*;

fn inventory(snapshot: &serde_json::Value) -> Inventory {
    Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::shipped()).unwrap()
}

fn announced_after(d: &Digest) -> AnnouncedSet {
    let mut set = AnnouncedSet::new();
    for a in d.announcements() {
        set.insert(a.category, a.key, a.value);
    }
    set
}

fn names(lines: &[DigestLine]) -> Vec<&str> {
    lines.iter().map(|l| l.license.as_str()).collect()
}

#[test]
fn an_item_is_the_same_when_only_spaces_around_its_name_change() {
    let now = at(2026, 11, 3, 8, 0);
    let since = at(2026, 11, 1, 0, 0);
    let window = Days::new(30).unwrap();
    let first = inventory(&snapshot(
        "acme.com",
        vec![record(
            "Alpha License",
            "DEFAULT",
            10,
            0,
            vec![line(10, "2026-11-20")],
        )],
    ));
    let d1 = digest(&first, now, window, since, &AnnouncedSet::new());
    assert_eq!(names(&d1.entering_window), vec!["Alpha License"]);
    let already = announced_after(&d1);

    let spaced = inventory(&snapshot(
        "acme.com",
        vec![record(
            " Alpha License ",
            "DEFAULT",
            10,
            0,
            vec![line(10, "2026-11-20")],
        )],
    ));
    assert!(digest(&spaced, now, window, since, &already).is_empty());

    // Another line quantity, end date, VA or domain is another item.
    for changed in [
        snapshot(
            "acme.com",
            vec![record(
                "Alpha License",
                "DEFAULT",
                12,
                0,
                vec![line(12, "2026-11-20")],
            )],
        ),
        snapshot(
            "acme.com",
            vec![record(
                "Alpha License",
                "DEFAULT",
                10,
                0,
                vec![line(10, "2026-11-21")],
            )],
        ),
        snapshot(
            "acme.com",
            vec![record(
                "Alpha License",
                "Lab",
                10,
                0,
                vec![line(10, "2026-11-20")],
            )],
        ),
        snapshot(
            "other.com",
            vec![record(
                "Alpha License",
                "DEFAULT",
                10,
                0,
                vec![line(10, "2026-11-20")],
            )],
        ),
    ] {
        let d = digest(&inventory(&changed), now, window, since, &already);
        assert_eq!(
            names(&d.entering_window),
            vec!["Alpha License"],
            "{changed}"
        );
    }
}

#[test]
fn expirations_before_the_subscription_are_history_not_news() {
    let now = at(2026, 11, 10, 8, 0);
    let inv = inventory(&snapshot(
        "acme.com",
        vec![
            record("Before", "DEFAULT", 1, 0, vec![line(1, "2026-10-31")]),
            record("After", "DEFAULT", 2, 0, vec![line(2, "2026-11-02")]),
        ],
    ));
    let d = digest(
        &inv,
        now,
        Days::new(30).unwrap(),
        at(2026, 11, 1, 0, 0),
        &AnnouncedSet::new(),
    );
    assert_eq!(names(&d.newly_expired), vec!["After"]);
}

#[test]
fn a_shortage_is_news_only_when_it_grows_and_is_forgotten_when_resolved() {
    let now = at(2026, 11, 3, 8, 0);
    let since = at(2026, 11, 1, 0, 0);
    let window = Days::new(30).unwrap();
    let short = |in_use: i64| {
        inventory(&snapshot(
            "acme.com",
            vec![record("Beta", "DEFAULT", 20, in_use, vec![])],
        ))
    };
    let d = digest(&short(25), now, window, since, &AnnouncedSet::new());
    assert_eq!(d.shortages.len(), 1);
    assert_eq!(
        (d.shortages[0].shortage, d.shortages[0].previous),
        (5, None)
    );
    let already = announced_after(&d);
    // Smaller: not news.
    assert!(digest(&short(23), now, window, since, &already).is_empty());
    // Larger: news, with what it was.
    let grown = digest(&short(30), now, window, since, &already);
    assert_eq!(
        (grown.shortages[0].shortage, grown.shortages[0].previous),
        (10, Some(5))
    );
    // Gone: nothing to say, but the announcement is to be forgotten.
    let gone = digest(&short(20), now, window, since, &already);
    assert!(gone.is_empty());
    assert_eq!(gone.resolved_shortages.len(), 1);
}

#[test]
fn a_partial_inventory_forgets_nothing() {
    let now = at(2026, 11, 3, 8, 0);
    let mut already = AnnouncedSet::new();
    already.insert(
        slbot_notify::Category::Shortage,
        ItemKey::from_stored("0".repeat(64)),
        5,
    );
    let partial = json!({
        "accounts": [account("Acme", "acme.com"), account("Other", "other.com")],
        "licenses": {"acme.com": []},
        "missingAccounts": [{"name": "Other", "domain": "other.com", "reason": "CSSM timed out"}]
    });
    let d = digest(
        &inventory(&partial),
        now,
        Days::new(30).unwrap(),
        now,
        &already,
    );
    assert!(d.resolved_shortages.is_empty());
    let complete = snapshot("acme.com", vec![]);
    let d = digest(
        &inventory(&complete),
        now,
        Days::new(30).unwrap(),
        now,
        &already,
    );
    assert_eq!(d.resolved_shortages.len(), 1);
}

fn many_lines(n: usize) -> Vec<DigestLine> {
    (0..n)
        .map(|i| DigestLine {
            key: ItemKey::from_stored(format!("{i:064}")),
            account: "Acme".into(),
            domain: "acme.com".into(),
            virtual_account: "DEFAULT".into(),
            license: format!("License number {i} with a rather long name_{i}"),
            license_type: "TERM".into(),
            quantity: 1,
            end_date: at(2026, 12, 1, 0, 0) + Duration::days(i as i64 % 20),
            subscription_id: None,
        })
        .collect()
}

#[test]
fn a_long_digest_is_cut_to_fit_webex_and_says_how_many_more() {
    let d = Digest {
        window: Days::new(30).unwrap(),
        newly_expired: many_lines(80),
        entering_window: many_lines(80),
        shortages: vec![DigestShortage {
            key: ItemKey::from_stored("s"),
            account: "Acme".into(),
            domain: "acme.com".into(),
            virtual_account: "DEFAULT".into(),
            license: "Short".into(),
            quantity: 1,
            in_use: 2,
            shortage: 1,
            previous: None,
        }],
        resolved_shortages: vec![],
        partial_line: None,
    };
    let text = render_digest(&d);
    assert!(text.len() <= 7439, "{} bytes", text.len());
    let seen = read(&text);
    let more = seen.more.expect("a footer");
    assert!(!seen.rows.is_empty());
    assert_eq!(seen.rows.len() + more, 161);
    // Names are escaped for markdown: `_` would start italics.
    assert!(text.contains("long name\\_0"), "{}", &text[..300]);
    // Nothing is left out when it fits.
    let small = Digest {
        newly_expired: many_lines(3),
        entering_window: vec![],
        shortages: vec![],
        ..d
    };
    let seen = read(&render_digest(&small));
    assert_eq!(seen.rows.len(), 3);
    assert_eq!(seen.more, None);
}

#[test]
fn an_empty_digest_renders_nothing() {
    let inv = inventory(&snapshot("acme.com", vec![]));
    let now = at(2026, 11, 3, 8, 0);
    let d = digest(&inv, now, Days::new(30).unwrap(), now, &AnnouncedSet::new());
    assert!(d.is_empty());
    assert_eq!(render_digest(&d), "");
}
