//! The grammar of reports.md §5 pinned form by form: every accepted form, fillers, filters,
//! numbers out of range and the suggestions for unknown commands.

use super::*;
use crate::command::{ChartKind, ReportKind};

fn f(accounts: &[&str], vas: &[&str]) -> Filters {
    Filters {
        accounts: accounts.iter().map(|s| s.to_string()).collect(),
        vas: vas.iter().map(|s| s.to_string()).collect(),
    }
}

fn none() -> Filters {
    Filters::default()
}

fn days(n: u32) -> Days {
    match Days::new(n) {
        Ok(days) => days,
        Err(e) => panic!("{n}: {e}"),
    }
}

fn expiring(n: u32) -> Command {
    Command::Report {
        report: ReportKind::Expiring(days(n)),
        filters: none(),
    }
}

/// Every accepted form and example of reports.md §5, written out by hand.
#[test]
fn every_accepted_form_of_the_grammar_table_parses_to_its_command() {
    let csv = |filters| Command::Export {
        format: ExportFormat::Csv,
        filters,
    };
    let table: Vec<(&str, Command)> = vec![
        ("help", Command::Help),
        ("hello", Command::Help),
        ("hi", Command::Help),
        ("?", Command::Help),
        ("", Command::Help),
        ("status", Command::report(ReportKind::Status, none())),
        (
            "show me the latest status",
            Command::report(ReportKind::Status, none()),
        ),
        (
            "give me a status update",
            Command::report(ReportKind::Status, none()),
        ),
        ("summary", Command::report(ReportKind::Status, none())),
        ("accounts", Command::report(ReportKind::Accounts, none())),
        (
            "account names",
            Command::report(ReportKind::Accounts, none()),
        ),
        (
            "smart accounts",
            Command::report(ReportKind::Accounts, none()),
        ),
        (
            "give me a list of account names",
            Command::report(ReportKind::Accounts, none()),
        ),
        (
            "list of accounts",
            Command::report(ReportKind::Accounts, none()),
        ),
        (
            "virtual accounts",
            Command::report(ReportKind::VirtualAccounts, none()),
        ),
        ("vas", Command::report(ReportKind::VirtualAccounts, none())),
        (
            "give me a list of virtual accounts",
            Command::report(ReportKind::VirtualAccounts, none()),
        ),
        (
            "list of virtual accounts",
            Command::report(ReportKind::VirtualAccounts, none()),
        ),
        ("expired", Command::report(ReportKind::Expired, none())),
        (
            "expired licenses",
            Command::report(ReportKind::Expired, none()),
        ),
        (
            "give me a list of expired licenses",
            Command::report(ReportKind::Expired, none()),
        ),
        ("expire", expiring(30)),
        ("expiring", expiring(30)),
        ("expire 90", expiring(90)),
        ("expire 45 days", expiring(45)),
        ("expiring 60", expiring(60)),
        ("expire in 7 days", expiring(7)),
        ("show me licenses that expire in 120 days", expiring(120)),
        ("expire 2 weeks", expiring(14)),
        ("expire 6 months", expiring(180)),
        ("expire 2 years", expiring(730)),
        ("expire 1", expiring(1)),
        ("expire 3650", expiring(3650)),
        ("expire 10 years", expiring(3650)),
        ("expire 121 months", expiring(3630)),
        ("shortages", Command::report(ReportKind::Shortages, none())),
        ("shortage", Command::report(ReportKind::Shortages, none())),
        (
            "license shortage list",
            Command::report(ReportKind::Shortages, none()),
        ),
        (
            "show me licenses with shortages",
            Command::report(ReportKind::Shortages, none()),
        ),
        ("usage", Command::report(ReportKind::Usage, none())),
        ("license usage", Command::report(ReportKind::Usage, none())),
        (
            "show me license usage",
            Command::report(ReportKind::Usage, none()),
        ),
        ("utilization", Command::report(ReportKind::Usage, none())),
        ("mix", Command::report(ReportKind::Mix, none())),
        ("architecture", Command::report(ReportKind::Mix, none())),
        ("architecture mix", Command::report(ReportKind::Mix, none())),
        (
            "show me the architecture mix",
            Command::report(ReportKind::Mix, none()),
        ),
        ("export", csv(none())),
        ("export csv", csv(none())),
        (
            "export xlsx",
            Command::Export {
                format: ExportFormat::Xlsx,
                filters: none(),
            },
        ),
        ("export licenses", csv(none())),
        ("give me an export of licenses", csv(none())),
        ("refresh", Command::Refresh),
        ("sign out", Command::SignOut),
        ("logout", Command::SignOut),
        ("log out", Command::SignOut),
        (
            "confirm 123456",
            Command::Confirm {
                code: "123456".into(),
            },
        ),
    ];
    for (text, expected) in table {
        assert_eq!(parse(text), Ok(expected), "{text:?}");
    }
}

#[test]
fn case_punctuation_at_the_ends_and_extra_spaces_do_not_matter() {
    for text in [
        "Status",
        "STATUS!",
        "  status  ",
        "status?",
        "...status;",
        "Show Me The Latest   Status.",
        "\tstatus\n",
    ] {
        assert_eq!(
            parse(text),
            Ok(Command::report(ReportKind::Status, none())),
            "{text:?}"
        );
    }
    assert_eq!(parse("Expire  90 Days!"), Ok(expiring(90)));
}

#[test]
fn polite_filler_words_may_precede_any_form() {
    let table = [
        ("please status", Command::report(ReportKind::Status, none())),
        (
            "can you show me the status",
            Command::report(ReportKind::Status, none()),
        ),
        (
            "show me my expired licenses",
            Command::report(ReportKind::Expired, none()),
        ),
        ("please expire 90", expiring(90)),
        (
            "can you give me a list of accounts",
            Command::report(ReportKind::Accounts, none()),
        ),
        ("show me the mix", Command::report(ReportKind::Mix, none())),
        ("please", Command::Help),
        ("can you", Command::Help),
    ];
    for (text, expected) in table {
        assert_eq!(parse(text), Ok(expected), "{text:?}");
    }
    // Fillers only lead: a trailing "please" is not part of any form.
    assert!(matches!(
        parse("give me the usage please"),
        Err(ParseError::Unknown { .. })
    ));
}

#[test]
fn bare_mentions_question_marks_and_punctuation_mean_help() {
    for text in ["", " ", "?", "??", "!", ". , ! ? ; :", "\n"] {
        assert_eq!(parse(text), Ok(Command::Help), "{text:?}");
    }
}

#[test]
fn numbers_that_do_not_give_1_to_3650_days_get_the_range_error() {
    for text in [
        "expire 0",
        "expire abc",
        "expire 99999",
        "expire 2.5",
        "expire 200 years",
        "expire -5",
        "expire +5",
        "expire 3651",
        "expire 11 years",
        "expire 0 weeks",
        "expiring 4000",
        "expire in 0 days",
        "show me licenses that expire in 9999 days",
        "expire 99999999999999999999999 years",
        "expire ½",
        "expire ٣",
    ] {
        assert_eq!(parse(text), Err(ParseError::DaysOutOfRange), "{text:?}");
    }
}

#[test]
fn sentences_that_merely_contain_a_command_word_are_unknown() {
    for text in [
        "what's the status of the migration?",
        "my usage is high",
        "status report now",
        "expired yesterday",
        "export everything to excel",
    ] {
        assert!(
            matches!(parse(text), Err(ParseError::Unknown { .. })),
            "{text:?}: {:?}",
            parse(text)
        );
    }
    assert_eq!(
        parse("what's the status of the migration?"),
        Err(ParseError::Unknown {
            text: "what's the status of the migration?".into(),
            suggestion: None,
        })
    );
}

#[test]
fn typos_in_the_first_word_suggest_the_closest_command() {
    let table = [
        ("stauts", Some("status")),
        ("statsu", Some("status")),
        ("expird", Some("expired")),
        ("exprie 90", Some("expire 90")),
        ("shortgaes", Some("shortages")),
        ("usgae", Some("usage")),
        ("acounts", Some("accounts")),
        ("exprot xlsx", Some("export xlsx")),
        ("refersh", Some("refresh")),
        ("please stauts", Some("status")),
        ("mxi", Some("mix")),
        ("confirn 123", Some("confirm 123")),
        ("virtal accounts", Some("virtual accounts")),
        ("status please", Some("status")),
        ("ok", None),
        ("zebra", None),
        ("what's up", None),
    ];
    for (text, suggestion) in table {
        match parse(text) {
            Err(ParseError::Unknown { suggestion: s, .. }) => {
                assert_eq!(s.as_deref(), suggestion, "{text:?}")
            }
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}

#[test]
fn filters_are_cut_out_with_quotes_and_commas_and_kept_verbatim() {
    let table = [
        ("expired va:DEFAULT", f(&[], &["DEFAULT"])),
        (
            "expired va:DEFAULT,\"Shared Services\"",
            f(&[], &["DEFAULT", "Shared Services"]),
        ),
        (
            "va:\"Shared  Services \" expired",
            f(&[], &["Shared  Services "]),
        ),
        (
            "expired account:acme.com va:Lab",
            f(&["acme.com"], &["Lab"]),
        ),
        (
            "expired account:Acme account:\"Big Co\"",
            f(&["Acme", "Big Co"], &[]),
        ),
        ("EXPIRED VA:Default", f(&[], &["Default"])),
        (
            "expired va:\u{201c}Shared Services\u{201d}",
            f(&[], &["Shared Services"]),
        ),
        ("expired va:Ünïcødé", f(&[], &["Ünïcødé"])),
    ];
    for (text, filters) in table {
        assert_eq!(
            parse(text),
            Ok(Command::report(ReportKind::Expired, filters)),
            "{text:?}"
        );
    }
    assert_eq!(
        parse("expire 90 days va:A,B account:X"),
        Ok(Command::Report {
            report: ReportKind::Expiring(days(90)),
            filters: f(&["X"], &["A", "B"]),
        })
    );
    assert_eq!(
        parse("export xlsx va:Lab"),
        Ok(Command::Export {
            format: ExportFormat::Xlsx,
            filters: f(&[], &["Lab"]),
        })
    );
    // "java:" is not a `va:` key: keys start a word.
    assert!(matches!(
        parse("expired java:x"),
        Err(ParseError::Unknown { .. })
    ));
}

#[test]
fn unreadable_or_misplaced_filters_get_their_own_error() {
    assert_eq!(
        parse("expired va:"),
        Err(ParseError::BadFilter { text: "va:".into() })
    );
    assert_eq!(
        parse("expired va:\"Shared Services"),
        Err(ParseError::BadFilter {
            text: "va:\"Shared".into()
        })
    );
    assert_eq!(
        parse("expired va:\"\""),
        Err(ParseError::BadFilter {
            text: "va:\"\"".into()
        })
    );
    assert_eq!(
        parse("refresh va:Lab"),
        Err(ParseError::FiltersNotAccepted { command: "refresh" })
    );
    assert_eq!(
        parse("help account:Acme"),
        Err(ParseError::FiltersNotAccepted { command: "help" })
    );
}

#[test]
fn confirm_keeps_the_code_as_typed() {
    assert_eq!(
        parse("Confirm AbC123."),
        Ok(Command::Confirm {
            code: "AbC123".into()
        })
    );
    assert!(matches!(parse("confirm"), Err(ParseError::Unknown { .. })));
}

#[test]
fn the_unknown_reply_quotes_the_text_on_one_bounded_line_without_backticks() {
    let long = "blah ".repeat(40);
    match parse(&format!("`rm`\n{long}")) {
        Err(ParseError::Unknown { text, .. }) => {
            assert!(text.starts_with("'rm' blah"));
            assert!(!text.contains('\n'));
            assert_eq!(text.chars().count(), 81);
            assert!(text.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

fn months(n: u32) -> Horizon {
    match Horizon::months(n) {
        Ok(h) => h,
        Err(e) => panic!("{n} months: {e}"),
    }
}

fn at(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_else(|| panic!("{h}:{m}"))
}

fn notify(frequency: Frequency, time: (u32, u32), zone: Tz) -> Command {
    Command::NotifyOn(Schedule {
        frequency,
        at: at(time.0, time.1),
        zone,
    })
}

#[test]
fn every_chart_filter_and_notify_form_parses_to_its_command() {
    use Frequency::{Daily, Weekly};
    let paris = chrono_tz::Europe::Paris;
    let utc = Tz::UTC;
    let chart_exp = |horizon| Command::Chart {
        chart: ChartKind::Expirations(horizon),
        filters: none(),
    };
    let table: Vec<(&str, Command)> = vec![
        ("chart mix", Command::chart(ChartKind::Mix, none())),
        ("mix chart", Command::chart(ChartKind::Mix, none())),
        ("chart architecture", Command::chart(ChartKind::Mix, none())),
        ("chart expirations", chart_exp(months(12))),
        ("expirations chart", chart_exp(months(12))),
        (
            "chart expirations 90 days",
            chart_exp(Horizon::Days(days(90))),
        ),
        (
            "chart expirations 1 days",
            chart_exp(Horizon::Days(days(1))),
        ),
        (
            "chart expirations 3650 days",
            chart_exp(Horizon::Days(days(3650))),
        ),
        ("chart expirations 6 months", chart_exp(months(6))),
        ("chart expirations 120 months", chart_exp(months(120))),
        ("chart usage", Command::chart(ChartKind::Usage, none())),
        ("usage chart", Command::chart(ChartKind::Usage, none())),
        (
            "chart utilization",
            Command::chart(ChartKind::Usage, none()),
        ),
        ("status chart", Command::chart(ChartKind::Status, none())),
        ("chart status", Command::chart(ChartKind::Status, none())),
        (
            "show me the status chart",
            Command::chart(ChartKind::Status, none()),
        ),
        ("filter", Command::Filter),
        ("filters", Command::Filter),
        ("filter card", Command::Filter),
        ("notify on", notify(Daily, (8, 0), utc)),
        ("notify on daily", notify(Daily, (8, 0), utc)),
        ("notify on weekly", notify(Weekly, (8, 0), utc)),
        ("notify on at 7:30", notify(Daily, (7, 30), utc)),
        ("notify on at 00:00", notify(Daily, (0, 0), utc)),
        ("notify on at 23:59", notify(Daily, (23, 59), utc)),
        ("notify on tz Europe/Paris", notify(Daily, (8, 0), paris)),
        ("notify on tz europe/paris", notify(Daily, (8, 0), paris)),
        (
            "Notify on Weekly at 07:30 tz Europe/Paris.",
            notify(Weekly, (7, 30), paris),
        ),
        ("notify on daily tz UTC", notify(Daily, (8, 0), utc)),
        ("notify daily", notify(Daily, (8, 0), utc)),
        ("notify weekly at 18:05", notify(Weekly, (18, 5), utc)),
        (
            "notify at 06:15 tz America/New_York",
            notify(Daily, (6, 15), chrono_tz::America::New_York),
        ),
        ("notify off", Command::NotifyOff),
        ("notify status", Command::NotifyStatus),
        ("notify", Command::NotifyStatus),
        ("notifications", Command::NotifyStatus),
        ("notify window 90", Command::NotifyWindow { days: days(90) }),
        (
            "notify window 1 days",
            Command::NotifyWindow { days: days(1) },
        ),
        (
            "notify window 3650",
            Command::NotifyWindow { days: days(3650) },
        ),
        ("notify test", Command::NotifyTest),
    ];
    for (text, expected) in table {
        assert_eq!(parse(text), Ok(expected), "{text:?}");
    }
}

#[test]
fn chart_commands_take_filters_and_the_others_refuse_them() {
    assert_eq!(
        parse("chart mix va:Lab"),
        Ok(Command::chart(ChartKind::Mix, f(&[], &["Lab"])))
    );
    assert_eq!(
        parse("chart expirations 6 months account:Acme va:A,B"),
        Ok(Command::Chart {
            chart: ChartKind::Expirations(months(6)),
            filters: f(&["Acme"], &["A", "B"]),
        })
    );
    assert_eq!(
        parse("status chart account:\"Big Co\""),
        Ok(Command::chart(ChartKind::Status, f(&["Big Co"], &[])))
    );
    assert_eq!(
        parse("chart usage va:X"),
        Ok(Command::chart(ChartKind::Usage, f(&[], &["X"])))
    );
    for (text, command) in [
        ("filter va:Lab", "filter"),
        ("notify on va:Lab", "notify-on"),
        ("notify off account:Acme", "notify-off"),
        ("notify window 30 va:X", "notify-window"),
    ] {
        assert_eq!(
            parse(text),
            Err(ParseError::FiltersNotAccepted { command }),
            "{text:?}"
        );
    }
}

#[test]
fn status_and_status_chart_stay_apart() {
    assert_eq!(
        parse("status"),
        Ok(Command::report(ReportKind::Status, none()))
    );
    assert_eq!(
        parse("show me the latest status"),
        Ok(Command::report(ReportKind::Status, none()))
    );
    assert_eq!(
        parse("give me a status update"),
        Ok(Command::report(ReportKind::Status, none()))
    );
    assert_eq!(
        parse("status chart"),
        Ok(Command::chart(ChartKind::Status, none()))
    );
    assert_eq!(
        parse("give me a status chart"),
        Ok(Command::chart(ChartKind::Status, none()))
    );
    assert!(matches!(
        parse("status chart now"),
        Err(ParseError::Unknown { .. })
    ));
    assert_eq!(
        parse("usage"),
        Ok(Command::report(ReportKind::Usage, none()))
    );
    assert_eq!(parse("mix"), Ok(Command::report(ReportKind::Mix, none())));
}

#[test]
fn chart_horizons_outside_3650_days_or_120_months_get_the_chart_range_error() {
    for text in [
        "chart expirations 0 days",
        "chart expirations 3651 days",
        "chart expirations 0 months",
        "chart expirations 121 months",
        "chart expirations abc months",
        "chart expirations 2.5 months",
        "chart expirations -3 days",
        "chart expirations 99999999999999999999 months",
    ] {
        assert_eq!(parse(text), Err(ParseError::HorizonOutOfRange), "{text:?}");
    }
    // The expiring report keeps its own range sentence.
    assert_eq!(parse("expire 0"), Err(ParseError::DaysOutOfRange));
}

#[test]
fn notification_windows_outside_1_to_3650_days_get_the_window_error() {
    for text in [
        "notify window 0",
        "notify window 3651",
        "notify window abc",
        "notify window 2.5 days",
        "notify window -1",
    ] {
        assert_eq!(parse(text), Err(ParseError::WindowOutOfRange), "{text:?}");
    }
}

#[test]
fn times_that_are_not_24_hour_hh_mm_get_the_time_error_quoting_them() {
    for (text, shown) in [
        ("notify at 25:00", "25:00"),
        ("notify on at 7:61", "7:61"),
        ("notify on at 24:00", "24:00"),
        ("notify on at 7", "7"),
        ("notify on at 7:5", "7:5"),
        ("notify on at 07:30:00", "07:30:00"),
        ("notify on at 7am", "7am"),
        ("notify on at -1:00", "-1:00"),
        ("notify on at 123:00", "123:00"),
        ("notify weekly at noon tz Europe/Paris", "noon"),
    ] {
        assert_eq!(
            parse(text),
            Err(ParseError::BadTime { text: shown.into() }),
            "{text:?}"
        );
    }
}

#[test]
fn unknown_time_zones_get_the_zone_error_with_the_closest_name() {
    assert_eq!(
        parse("notify on tz Mars/Olympus_Mons"),
        Err(ParseError::UnknownTimeZone {
            text: "Mars/Olympus_Mons".into(),
            suggestion: None,
        })
    );
    assert_eq!(
        parse("notify on at 07:00 tz Europe/Pari"),
        Err(ParseError::UnknownTimeZone {
            text: "Europe/Pari".into(),
            suggestion: Some("Europe/Paris"),
        })
    );
    // Longer than any zone name: no suggestion, and no time spent looking for one.
    let long = "x".repeat(5000);
    assert_eq!(
        parse(&format!("notify on tz {long}")),
        Err(ParseError::UnknownTimeZone {
            text: format!("{}…", "x".repeat(80)),
            suggestion: None,
        })
    );
    assert!(chrono_tz::TZ_VARIANTS
        .iter()
        .all(|tz| tz.name().len() <= 32));
    // A bad time is reported before the zone is looked at.
    assert!(matches!(
        parse("notify on at 99:00 tz Nowhere"),
        Err(ParseError::BadTime { .. })
    ));
}

#[test]
fn new_errors_read_as_sentences_that_say_what_to_type() {
    use crate::sentences::parse_error_reply;
    let reply = |text: &str| match parse(text) {
        Err(e) => parse_error_reply(&e),
        Ok(c) => panic!("{text:?} parsed as {c:?}"),
    };
    assert_eq!(
        reply("notify at 25:00"),
        "`25:00` is not a time of day. Write it as HH:MM on a 24-hour clock, from 00:00 to \
         23:59, for example `notify on at 07:30`."
    );
    assert_eq!(
        reply("notify on tz Europe/Pari"),
        "I don't know the time zone `Europe/Pari`. Did you mean `Europe/Paris`? Write it as \
         Area/City from the time zone database, for example `notify on tz Europe/Paris` \
         (or `tz UTC`)."
    );
    assert_eq!(
        reply("notify on tz Atlantis"),
        "I don't know the time zone `Atlantis`. Write it as Area/City from the time zone \
         database, for example `notify on tz Europe/Paris` (or `tz UTC`)."
    );
    assert_eq!(
        reply("chart expirations 200 months"),
        "I can chart 1 to 120 months or 1 to 3650 days ahead, for example \
         `chart expirations 6 months`."
    );
    assert_eq!(
        reply("notify window 0"),
        "Notifications can look 1 to 3650 days ahead, for example `notify window 30`."
    );
    assert_eq!(
        reply("filter va:Lab"),
        "`filter` doesn't take `va:` or `account:` filters. Type `help` for everything I \
         can do."
    );
}

#[test]
fn typos_and_incomplete_new_commands_suggest_the_closest_form() {
    let table = [
        ("chrat mix", Some("chart mix")),
        ("chart mxi", Some("chart mix")),
        ("stauts chart", Some("status chart")),
        ("notfy off", Some("notify off")),
        ("notify window", Some("notify window N")),
        (
            "notify on at",
            Some("notify on [daily|weekly] [at HH:MM] [tz Area/City]"),
        ),
        (
            "notify sometimes",
            Some("notify on [daily|weekly] [at HH:MM] [tz Area/City]"),
        ),
        ("filtr", Some("filter")),
        (
            "chart expirations 6 weeks",
            Some("chart expirations [N days|N months]"),
        ),
        // The old forms keep their suggestions.
        ("exprie 90", Some("expire 90")),
        ("exprie", Some("expire")),
        ("stauts", Some("status")),
        ("status please", Some("status")),
    ];
    for (text, suggestion) in table {
        match parse(text) {
            Err(ParseError::Unknown { suggestion: s, .. }) => {
                assert_eq!(s.as_deref(), suggestion, "{text:?}")
            }
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}

#[test]
fn changes_take_a_window_of_days_or_a_date_and_filters() {
    use crate::command::Window;
    // 2026-11-01T00:00:00Z.
    let nov_1 = 1_793_491_200;
    let table: Vec<(&str, Window, Filters)> = vec![
        ("changes", Window::Days(7), none()),
        ("Changes 7d", Window::Days(7), none()),
        ("changes 30d", Window::Days(30), none()),
        ("changes 90 days", Window::Days(90), none()),
        ("changes since 2026-11-01", Window::Since(nov_1), none()),
        (
            "show me the changes 30d va:DEFAULT",
            Window::Days(30),
            f(&[], &["DEFAULT"]),
        ),
        (
            "changes account:acme.com",
            Window::Days(7),
            f(&["acme.com"], &[]),
        ),
    ];
    for (text, window, filters) in table {
        assert_eq!(
            parse(text),
            Ok(Command::Changes { window, filters }),
            "{text}"
        );
    }
    for bad in [
        "changes 0d",
        "changes 3651 days",
        "changes since 2026-13-01",
        "changes lots",
    ] {
        assert_eq!(parse(bad), Err(ParseError::BadChangesWindow), "{bad}");
    }
    assert_eq!(
        crate::sentences::parse_error_reply(&ParseError::BadChangesWindow),
        "I can show changes over the last 1 to 3650 days or since a date: `changes 7d`, \
         `changes 30d`, `changes since 2026-11-01`."
    );
}

#[test]
fn trend_takes_every_remaining_word_as_the_license_name_as_typed() {
    let trend = |license: &str, filters: Filters| Command::Trend {
        license: license.into(),
        filters,
    };
    assert_eq!(
        parse("trend AnyConnect Apex"),
        Ok(trend("AnyConnect Apex", none()))
    );
    assert_eq!(
        // Spaces collapse and the punctuation at the end goes, as for every command.
        parse("trend   DNA  Advantage, va:Lab"),
        Ok(trend("DNA Advantage", f(&[], &["Lab"])))
    );
    assert_eq!(
        parse("trend \"Cisco ISE Plus\" account:acme.com"),
        Ok(trend("Cisco ISE Plus", f(&["acme.com"], &[])))
    );
    // A name is needed.
    assert!(matches!(parse("trend"), Err(ParseError::Unknown { .. })));
    assert!(matches!(
        parse("trend \"\""),
        Err(ParseError::Unknown { .. })
    ));
}

fn renewals(quarters: u32, zone: Tz, filters: Filters) -> Command {
    Command::Report {
        report: ReportKind::Renewals(Calendar {
            quarters: Quarters::new(quarters).expect("in range"),
            zone,
        }),
        filters,
    }
}

#[test]
fn renewals_take_a_number_of_quarters_a_time_zone_and_filters() {
    let table: Vec<(&str, Command)> = vec![
        ("renewals", renewals(4, Tz::UTC, none())),
        ("renewals 2", renewals(2, Tz::UTC, none())),
        ("renewals 2 quarters", renewals(2, Tz::UTC, none())),
        ("Renewals 20 Quarters.", renewals(20, Tz::UTC, none())),
        ("renewal calendar", renewals(4, Tz::UTC, none())),
        ("renewal calendar 8 quarters", renewals(8, Tz::UTC, none())),
        (
            "show me the renewals for 3 quarters",
            renewals(3, Tz::UTC, none()),
        ),
        (
            "renewals 2 quarters tz Europe/Berlin",
            renewals(2, chrono_tz::Europe::Berlin, none()),
        ),
        (
            "renewals tz America/Los_Angeles va:Lab",
            renewals(4, chrono_tz::America::Los_Angeles, f(&[], &["Lab"])),
        ),
        (
            "renewals 1 account:acme.com",
            renewals(1, Tz::UTC, f(&["acme.com"], &[])),
        ),
    ];
    for (text, expected) in table {
        assert_eq!(parse(text), Ok(expected), "{text:?}");
    }
}

#[test]
fn renewals_with_a_number_of_quarters_outside_one_to_twenty_get_the_range_sentence() {
    for text in [
        "renewals 0",
        "renewals 21 quarters",
        "renewal calendar 99999999999",
        "renewals for 0 quarters",
    ] {
        assert_eq!(parse(text), Err(ParseError::QuartersOutOfRange), "{text:?}");
    }
    assert!(matches!(
        parse("renewals 2 tz Mars/Olympus"),
        Err(ParseError::UnknownTimeZone { .. })
    ));
}
