//! The command table pinned: every report and chart has one row, names, forms and expansion.

use super::*;

/// Every command kind that is neither a report nor a chart.
const OTHER_KINDS: [Kind; 12] = [
    Kind::Help,
    Kind::Changes,
    Kind::Trend,
    Kind::Filter,
    Kind::NotifyOn,
    Kind::NotifyOff,
    Kind::NotifyStatus,
    Kind::NotifyWindow,
    Kind::NotifyTest,
    Kind::Refresh,
    Kind::SignOut,
    Kind::Confirm,
];

#[test]
fn every_report_and_chart_is_reachable_from_exactly_one_row_named_as_the_cli_names_it() {
    for report in ReportKind::ALL {
        let rows: Vec<&CommandSpec> = COMMANDS
            .iter()
            .filter(|s| s.kind.report() == Some(*report))
            .collect();
        assert_eq!(rows.len(), 1, "{report:?}");
        assert_eq!(rows[0].name, report.name());
        assert!(rows[0].takes_filters, "{report:?}");
        assert_eq!(Kind::of_report(*report).spec().name, report.name());
    }
    for chart in ChartKind::ALL {
        let rows: Vec<&CommandSpec> = COMMANDS
            .iter()
            .filter(|s| s.kind == Kind::Chart(chart))
            .collect();
        assert_eq!(rows.len(), 1, "{chart:?}");
        assert_eq!(rows[0].name, chart.name());
        assert!(rows[0].takes_filters, "{chart:?}");
    }
    for kind in OTHER_KINDS {
        let rows = COMMANDS.iter().filter(|s| s.kind == kind).count();
        assert_eq!(rows, 1, "{kind:?}");
        assert_eq!(kind.spec().kind, kind);
    }
    assert_eq!(
        COMMANDS.len(),
        ReportKind::ALL.len() + ChartKind::ALL.len() + OTHER_KINDS.len()
    );
}

#[test]
fn a_command_with_parameters_has_the_row_of_its_defaults() {
    let days = Days::new(90).unwrap_or(Days::DEFAULT);
    let expiring = Command::report(ReportKind::Expiring(days), Filters::none());
    assert_eq!(
        expiring,
        Command::Report {
            report: ReportKind::Expiring(days),
            filters: Filters::none()
        }
    );
    assert_eq!(expiring.name(), "expiring");
    assert_eq!(
        expiring.kind(),
        Kind::Report(ReportKind::Expiring(Days::DEFAULT))
    );
    let horizon = Horizon::months(6).unwrap_or(Horizon::DEFAULT);
    let chart = Command::chart(ChartKind::Expirations(horizon), Filters::none());
    assert_eq!(chart.name(), "chart-expirations");
    assert_eq!(
        Command::report(ReportKind::Export, Filters::none()),
        Command::Export {
            format: ExportFormat::Csv,
            filters: Filters::none()
        }
    );
}

#[test]
fn canonical_names_are_the_chat_words_joined_by_dashes() {
    let names: Vec<&str> = COMMANDS.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "help",
            "status",
            "accounts",
            "virtual-accounts",
            "expired",
            "expiring",
            "shortages",
            "usage",
            "mix",
            "export",
            "rebalance",
            "at-risk",
            "renewals",
            "changes",
            "trend",
            "chart-mix",
            "chart-expirations",
            "chart-usage",
            "status-chart",
            "filter",
            "notify-on",
            "notify-off",
            "notify-status",
            "notify-window",
            "notify-test",
            "refresh",
            "sign-out",
            "confirm"
        ]
    );
    assert_eq!(
        Kind::from_name("virtual-accounts"),
        Some(Kind::Report(ReportKind::VirtualAccounts))
    );
    assert_eq!(
        Kind::from_name("chart-mix"),
        Some(Kind::Chart(ChartKind::Mix))
    );
    assert_eq!(
        Kind::from_name("status-chart"),
        Some(Kind::Chart(ChartKind::Status))
    );
    assert_eq!(Kind::from_name("notify-on"), Some(Kind::NotifyOn));
    assert_eq!(Kind::from_name("virtual accounts"), None);
    assert_eq!(Kind::from_name("chart mix"), None);
}

#[test]
fn forms_are_lowercase_single_spaced_words_or_placeholders() {
    for spec in COMMANDS {
        for form in spec.forms {
            assert!(!form.text.contains("  "), "{}", form.text);
            for words in expand(form.text) {
                for word in words {
                    assert!(
                        is_slot(word) || word.to_lowercase() == word,
                        "{}: {word}",
                        form.text
                    );
                    assert!(!word.contains(['[', ']', '|']), "{}: {word}", form.text);
                }
            }
        }
    }
}

#[test]
fn optional_groups_expand_to_every_combination_in_order() {
    let joined = |pattern| -> Vec<String> { expand(pattern).iter().map(|w| w.join(" ")).collect() };
    assert_eq!(joined("status"), ["status"]);
    assert_eq!(joined(""), [""]);
    assert_eq!(
        joined("chart expirations [N days|N months]"),
        [
            "chart expirations",
            "chart expirations N days",
            "chart expirations N months"
        ]
    );
    let notify = joined("notify on [daily|weekly] [at HH:MM] [tz Area/City]");
    assert_eq!(notify.len(), 12);
    assert_eq!(notify[0], "notify on");
    assert_eq!(notify[11], "notify on weekly at HH:MM tz Area/City");
    assert!(notify.contains(&"notify on tz Area/City".to_string()));
    assert!(notify.contains(&"notify on daily at HH:MM".to_string()));
}

#[test]
fn the_default_schedule_is_daily_at_eight_utc() {
    let schedule = Schedule::default();
    assert_eq!(schedule.frequency, Frequency::Daily);
    assert_eq!(schedule.at.to_string(), "08:00:00");
    assert_eq!(schedule.zone.name(), "UTC");
    assert_eq!(schedule.to_string(), "every day at 08:00 (UTC)");
    let weekly = Schedule {
        frequency: Frequency::Weekly,
        at: NaiveTime::from_hms_opt(7, 5, 0).unwrap_or(NaiveTime::MIN),
        zone: chrono_tz::Europe::Paris,
    };
    assert_eq!(weekly.to_string(), "every Monday at 07:05 (Europe/Paris)");
    assert_eq!(DEFAULT_NOTIFY_WINDOW.get(), 30);
}
