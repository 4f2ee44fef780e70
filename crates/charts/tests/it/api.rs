//! The one-call API for the CLI and the bot, its names, and its errors.

use slbot_charts::{
    chart_png, render_png, usage_chart_data, ChartData, ChartError, ChartKind, Horizon,
    RenderOptions,
};
use slbot_inventory::{FilterKey, Filters};

use crate::fixture::*;

#[test]
fn chart_png_makes_every_kind_in_one_call() {
    let inv = inventory();
    for kind in [
        ChartKind::Mix,
        ChartKind::Expirations(Horizon::DEFAULT),
        ChartKind::Expirations(Horizon::days(90).unwrap()),
        ChartKind::Usage,
        ChartKind::Status,
    ] {
        let bytes = chart_png(
            &inv,
            kind,
            now(),
            &Filters::none(),
            RenderOptions::default(),
        )
        .unwrap();
        let img = Image::decode(&bytes);
        assert_eq!((img.width, img.height), (1000, 600), "{kind:?}");
    }
}

#[test]
fn cli_names_round_trip_and_file_names_carry_the_date() {
    let names: Vec<&str> = ChartKind::names().collect();
    assert_eq!(
        names,
        [
            "chart-mix",
            "chart-expirations",
            "chart-usage",
            "status-chart"
        ]
    );
    for name in names {
        let kind = ChartKind::from_name(name, Horizon::DEFAULT).unwrap();
        assert_eq!(kind.name(), name);
    }
    assert_eq!(ChartKind::from_name("chart-pie", Horizon::DEFAULT), None);
    assert_eq!(ChartKind::from_name("chart-status", Horizon::DEFAULT), None);
    assert_eq!(
        ChartKind::Mix.file_name(now()),
        "license-mix-2026-11-28.png"
    );
}

#[test]
fn titles_say_what_and_as_of_when() {
    let inv = inventory();
    let all = Filters::none();
    let titles: Vec<String> = [
        ChartKind::Mix,
        ChartKind::Expirations(Horizon::months(6).unwrap()),
        ChartKind::Usage,
        ChartKind::Status,
    ]
    .into_iter()
    .map(|k| k.data(&inv, now(), &all).unwrap().title())
    .collect();
    assert_eq!(
        titles,
        [
            "Architecture mix by account — as of 2026-11-28",
            "License expirations, next 6 months — as of 2026-11-28",
            "Licenses by utilization — as of 2026-11-28",
            "Licensing status — as of 2026-11-28",
        ]
    );
}

#[test]
fn summaries_give_the_main_numbers_in_words() {
    let inv = inventory();
    let all = Filters::none();
    let summary = |kind: ChartKind| kind.data(&inv, now(), &all).unwrap().summary();
    // Overall in use: Collaboration 150 of 325 (46 %), Security 80, Enterprise Networking 70.
    assert_eq!(
        summary(ChartKind::Mix),
        "Architecture mix of 2 smart accounts as of 2026-11-28; the largest overall is Collaboration (46%)."
    );
    // Expiring: 60 (Dec), 20 (Jan), 200 (Feb), 40 (Mar), 10 (Jun); expired since
    // 2026-08-30: 50 (Nov 1) and 30 (Oct 5).
    assert_eq!(
        summary(ChartKind::Expirations(Horizon::DEFAULT)),
        "Quantity expiring in the next 12 months: 330 (most in Feb 2027: 200). Expired in the last 90 days: 80. As of 2026-11-28."
    );
    // Six records in use; only Beta at Acme (60 of 50) is over.
    assert_eq!(
        summary(ChartKind::Usage),
        "The 6 licenses in use, as of 2026-11-28: 1 over quantity."
    );
    assert_eq!(
        summary(ChartKind::Status),
        "As of 2026-11-28: 2 licenses expired (quantity 80), 4 licenses expiring within 180 days (quantity 320), 1 license with a shortage, 6 licenses in use."
    );
    let empty = empty();
    assert_eq!(
        ChartKind::Usage
            .data(&empty, now(), &all)
            .unwrap()
            .summary(),
        "There are no licenses in use."
    );
}

#[test]
fn an_unknown_filter_value_is_the_inventorys_error_with_suggestions() {
    let filters = Filters {
        accounts: vec![],
        vas: vec!["Labb".into()],
    };
    let err = chart_png(
        &inventory(),
        ChartKind::Usage,
        now(),
        &filters,
        RenderOptions::default(),
    )
    .unwrap_err();
    match &err {
        ChartError::UnknownFilter(e) => {
            assert_eq!(e.key, FilterKey::VirtualAccount);
            assert_eq!(e.suggestions.first().map(String::as_str), Some("Lab"));
        }
        other => panic!("expected an unknown filter, got {other:?}"),
    }
    assert!(err.to_string().contains("`Lab`"), "{err}");
}

#[test]
fn sizes_too_small_or_too_large_are_refused_with_the_range() {
    let data: ChartData = usage_chart_data(&inventory(), now(), &Filters::none())
        .unwrap()
        .into();
    for (width, height) in [(100, 600), (1000, 100), (5000, 600), (0, 0)] {
        let err = render_png(&data, RenderOptions { width, height }).unwrap_err();
        assert!(
            matches!(err, ChartError::BadSize { .. }),
            "{width}×{height}: {err:?}"
        );
        assert!(err.to_string().contains("480×300"), "{err}");
    }
}

#[test]
fn the_same_data_renders_the_same_bytes() {
    let data: ChartData = usage_chart_data(&inventory(), now(), &Filters::none())
        .unwrap()
        .into();
    let a = render_png(&data, RenderOptions::default()).unwrap();
    let b = render_png(&data, RenderOptions::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn quantities_saturated_at_the_largest_number_still_draw_every_chart() {
    // CSSM sent absurd quantities; the inventory saturates them at i64::MAX. Two of them in one
    // month, one account and one architecture must not overflow any sum.
    let huge = "1e30";
    let snapshot: serde_json::Value = serde_json::from_str(&format!(
        r#"{{"accounts": [{{"accountName": "Acme", "accountDomain": "acme.com"}}],
            "licenses": {{"acme.com": [
              {{"license": "Alpha License", "virtualAccount": "DEFAULT", "quantity": {huge}, "inUse": {huge},
                "licenseDetails": [
                  {{"licenseType": "TERM", "quantity": {huge}, "endDate": "2026-12-10"}},
                  {{"licenseType": "TERM", "quantity": {huge}, "endDate": "2026-12-11"}}]}},
              {{"license": "Alpha License", "virtualAccount": "Lab", "quantity": {huge}, "inUse": {huge},
                "licenseDetails": [{{"licenseType": "TERM", "quantity": {huge}, "endDate": "2026-11-20"}},
                                   {{"licenseType": "TERM", "quantity": {huge}, "endDate": "2026-11-21"}}]}}
            ]}}}}"#
    ))
    .unwrap();
    let inv = crate::fixture::load(snapshot);
    for kind in [
        ChartKind::Mix,
        ChartKind::Expirations(Horizon::DEFAULT),
        ChartKind::Usage,
        ChartKind::Status,
    ] {
        let png = chart_png(
            &inv,
            kind,
            crate::fixture::now(),
            &Filters::default(),
            RenderOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "{kind:?}");
    }
}
