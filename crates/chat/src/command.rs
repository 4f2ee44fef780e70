//! What a chat message can ask for: the [`Command`] enum and the one table ([`COMMANDS`]) of
//! canonical names, accepted forms and help lines that drives both the parser and the help text.
//!
//! Adding a report needs nothing here but its row in [`COMMANDS`] (built by `report(…)` from
//! the inventory's [`ReportKind`], which gives the name): reports are [`Command::Report`] and
//! [`Kind::Report`], charts [`Command::Chart`] and [`Kind::Chart`]. Adding another command
//! means one new [`Command`] variant, one [`Kind`] and one row; the parser, the unknown-command
//! suggestions and `help` pick it up from the row. A unit test walks every [`ReportKind`] and
//! [`ChartKind`] and fails unless each has exactly one row.
//! Canonical names are the chat words joined by `-` (`virtual-accounts`, `chart-mix`,
//! `notify-on`), which is also how the CLI spells them (reports.md §5).
//!
//! A form is a pattern of words (see [`Form`]): literal lowercase words, placeholders (`N`,
//! `CODE`, `HH:MM`, `Area/City`) and optional groups in brackets whose alternatives are
//! separated by `|` (`chart expirations [N days|N months]`). Help shows the pattern as written.

use std::fmt;

use chrono::NaiveTime;
pub use chrono_tz::Tz;
/// How far ahead `chart expirations` looks (`N days` or `N months`; 12 months by default):
/// the charts crate's own type, so the grammar and the chart cannot disagree on the range.
pub use slbot_charts::{ChartKind, Horizon};
pub use slbot_inventory::{Days, Filters, ReportKind};

/// The file format of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// How often scheduled notifications are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Every day.
    Daily,
    /// Every Monday.
    Weekly,
}

impl Frequency {
    /// `daily` / `weekly`, as typed in chat (and a stable name to store).
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    /// The frequency named by [`Frequency::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            _ => None,
        }
    }
}

/// When `notify on` sends: how often, at which local time, in which time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schedule {
    pub frequency: Frequency,
    /// Local time of day in `zone` (minutes precision).
    pub at: NaiveTime,
    /// An IANA time zone (`Europe/Paris`); `UTC` unless the user named one.
    pub zone: Tz,
}

impl fmt::Display for Schedule {
    /// `every day at 08:00 (UTC)`, `every Monday at 07:30 (Europe/Paris)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = match self.frequency {
            Frequency::Daily => "every day",
            Frequency::Weekly => "every Monday",
        };
        write!(
            f,
            "{when} at {} ({})",
            self.at.format("%H:%M"),
            self.zone.name()
        )
    }
}

impl Default for Schedule {
    /// What `notify on` alone means: daily at 08:00 UTC.
    fn default() -> Self {
        Schedule {
            frequency: Frequency::Daily,
            at: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            zone: Tz::UTC,
        }
    }
}

/// A parsed chat message (reports.md §5). Report and chart commands carry their filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    /// A report of the inventory engine (`status`, `expire 90`, `rebalance`, …) over the
    /// filters. `export` is [`Command::Export`], which also says the file format; a
    /// `Report` of [`ReportKind::Export`] is answered as `export csv`.
    Report {
        report: ReportKind,
        filters: Filters,
    },
    /// `export [csv|xlsx]`: every licence as a file.
    Export {
        format: ExportFormat,
        filters: Filters,
    },
    /// A PNG chart (`chart mix`, `chart expirations 6 months`, `status chart`, …).
    Chart {
        chart: ChartKind,
        filters: Filters,
    },
    /// `filter`: the card to pick accounts, virtual accounts, days and a report.
    Filter,
    /// Turn scheduled notifications on (or change their schedule).
    NotifyOn(Schedule),
    /// Turn scheduled notifications off.
    NotifyOff,
    /// Say whether notifications are on, when, and for which window.
    NotifyStatus,
    /// Notifications warn about licenses expiring within `days` days (30 unless set).
    NotifyWindow {
        days: Days,
    },
    /// Send the notification now, to see what it looks like.
    NotifyTest,
    /// Forget the cached inventory and fetch it again.
    Refresh,
    /// The backend forgets the user's tokens.
    SignOut,
    /// Finishes a pending sign-in (signing.md "Sign-in links"); the code is kept as typed.
    Confirm {
        code: String,
    },
}

/// The look-ahead of notifications when the person never set `notify window`.
pub const DEFAULT_NOTIFY_WINDOW: Days = Days::DEFAULT;

impl Command {
    /// The canonical name (`virtual-accounts`, `sign-out`, `chart-mix`, …), as the CLI spells it.
    pub fn name(&self) -> &'static str {
        self.kind().spec().name
    }

    /// `report` over `filters` (the `export` report becomes `export csv`).
    pub fn report(report: ReportKind, filters: Filters) -> Self {
        match report {
            ReportKind::Export => Command::Export {
                format: ExportFormat::Csv,
                filters,
            },
            report => Command::Report { report, filters },
        }
    }

    /// `chart` over `filters`.
    pub fn chart(chart: ChartKind, filters: Filters) -> Self {
        Command::Chart { chart, filters }
    }

    /// The filters of a report or chart command; `None` for commands that take none.
    pub fn filters(&self) -> Option<&Filters> {
        match self {
            Command::Report { filters, .. }
            | Command::Export { filters, .. }
            | Command::Chart { filters, .. } => Some(filters),
            Command::Help
            | Command::Filter
            | Command::NotifyOn(_)
            | Command::NotifyOff
            | Command::NotifyStatus
            | Command::NotifyWindow { .. }
            | Command::NotifyTest
            | Command::Refresh
            | Command::SignOut
            | Command::Confirm { .. } => None,
        }
    }

    /// Whether this command's answer is a PNG chart.
    pub fn is_chart(&self) -> bool {
        matches!(self, Command::Chart { .. })
    }

    /// Whether this is one of the `notify …` commands, which the bot carries out against its
    /// notification store.
    pub fn is_notify(&self) -> bool {
        matches!(
            self,
            Command::NotifyOn(_)
                | Command::NotifyOff
                | Command::NotifyStatus
                | Command::NotifyWindow { .. }
                | Command::NotifyTest
        )
    }

    /// Which row of [`COMMANDS`] this command comes from.
    pub fn kind(&self) -> Kind {
        match self {
            Command::Help => Kind::Help,
            Command::Report { report, .. } => Kind::of_report(*report),
            Command::Export { .. } => Kind::Export,
            Command::Chart { chart, .. } => Kind::of_chart(*chart),
            Command::Filter => Kind::Filter,
            Command::NotifyOn(_) => Kind::NotifyOn,
            Command::NotifyOff => Kind::NotifyOff,
            Command::NotifyStatus => Kind::NotifyStatus,
            Command::NotifyWindow { .. } => Kind::NotifyWindow,
            Command::NotifyTest => Kind::NotifyTest,
            Command::Refresh => Kind::Refresh,
            Command::SignOut => Kind::SignOut,
            Command::Confirm { .. } => Kind::Confirm,
        }
    }
}

/// The commands without their arguments: one per row of [`COMMANDS`]. The reports and charts
/// inside are at their default parameters ([`Kind::of_report`], [`Kind::of_chart`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Help,
    /// A report other than `export`, at its default parameter.
    Report(ReportKind),
    /// `export`, which also takes a file format.
    Export,
    /// A chart, at its default horizon.
    Chart(ChartKind),
    Filter,
    NotifyOn,
    NotifyOff,
    NotifyStatus,
    NotifyWindow,
    NotifyTest,
    Refresh,
    SignOut,
    Confirm,
}

impl Kind {
    /// The row kind of `report` (parameters at their defaults; `export` is [`Kind::Export`]).
    pub fn of_report(report: ReportKind) -> Kind {
        match report {
            ReportKind::Export => Kind::Export,
            report => Kind::Report(report.with_days(Days::DEFAULT)),
        }
    }

    /// The row kind of `chart` (horizon at its default).
    pub fn of_chart(chart: ChartKind) -> Kind {
        Kind::Chart(chart.with_horizon(Horizon::DEFAULT))
    }

    /// The report this kind computes, if it is one (`export` included).
    pub fn report(self) -> Option<ReportKind> {
        match self {
            Kind::Report(report) => Some(report),
            Kind::Export => Some(ReportKind::Export),
            _ => None,
        }
    }

    /// This command's row of [`COMMANDS`].
    pub fn spec(self) -> &'static CommandSpec {
        // Every kind has exactly one row (a unit test walks them); the fallback is the help row.
        COMMANDS
            .iter()
            .find(|spec| spec.kind == self)
            .unwrap_or(&COMMANDS[0])
    }

    /// The kind whose canonical name is `name` (`virtual-accounts`), for the CLI.
    pub fn from_name(name: &str) -> Option<Kind> {
        COMMANDS
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.kind)
    }
}

/// One row of the command table.
#[derive(Debug)]
pub struct CommandSpec {
    pub kind: Kind,
    /// Canonical name: the chat words joined by `-`.
    pub name: &'static str,
    /// Every accepted form, the first being the one help shows first and suggestions use.
    pub forms: &'static [Form],
    /// The line `help` shows for this command.
    pub summary: &'static str,
    /// Whether `va:`/`account:` filters may follow.
    pub takes_filters: bool,
}

/// One accepted form, a pattern of words separated by single spaces:
/// - lowercase literal words, which the message must contain in this order;
/// - placeholders: `N` (a whole number), `CODE` (one word kept as typed), `HH:MM` (a time of
///   day) and `Area/City` (a time zone name, kept as typed);
/// - optional groups `[…]` whose alternatives are separated by `|`
///   (`[daily|weekly]`, `[N days|N months]`); groups do not nest.
#[derive(Debug)]
pub struct Form {
    pub text: &'static str,
    pub arg: FormArg,
}

/// What a form contributes besides its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormArg {
    None,
    /// A fixed number of days (`expire` alone means 30).
    Days(Days),
    /// `N` times this many days (`expire N weeks` is 7).
    DaysPer(u32),
    Format(ExportFormat),
    /// The `CODE` word.
    Code,
    /// A chart horizon: `N` followed by `days` or `months`; without `N`, [`Horizon::DEFAULT`].
    Horizon,
    /// A notification schedule: the words `daily`/`weekly`, `HH:MM` and `Area/City`, each
    /// optional ([`Schedule::default`] fills the rest).
    Schedule,
    /// The notification window: `N` days.
    Window,
}

const fn form(text: &'static str) -> Form {
    Form {
        text,
        arg: FormArg::None,
    }
}

const fn with(text: &'static str, arg: FormArg) -> Form {
    Form { text, arg }
}

/// The row of a report: its canonical name is the report's CLI name, and it takes filters.
const fn report(kind: ReportKind, forms: &'static [Form], summary: &'static str) -> CommandSpec {
    CommandSpec {
        kind: match kind {
            ReportKind::Export => Kind::Export,
            kind => Kind::Report(kind),
        },
        name: kind.name(),
        forms,
        summary,
        takes_filters: true,
    }
}

/// The row of a chart: its canonical name is the chart's CLI name, and it takes filters.
const fn chart(kind: ChartKind, forms: &'static [Form], summary: &'static str) -> CommandSpec {
    CommandSpec {
        kind: Kind::Chart(kind),
        name: kind.name(),
        forms,
        summary,
        takes_filters: true,
    }
}

/// The command table (reports.md §5): parser, suggestions and help all read it.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        kind: Kind::Help,
        name: "help",
        forms: &[form("help"), form("hello"), form("hi"), form("?"), form("")],
        summary: "this list",
        takes_filters: false,
    },
    report(
        ReportKind::Status,
        &[
            form("status"),
            form("show me the latest status"),
            form("give me a status update"),
            form("summary"),
        ],
        "the high level status: expired, expiring in 180 days, shortages, usage and mix",
    ),
    report(
        ReportKind::Accounts,
        &[
            form("accounts"),
            form("account names"),
            form("smart accounts"),
            form("give me a list of account names"),
            form("list of accounts"),
        ],
        "your smart accounts",
    ),
    report(
        ReportKind::VirtualAccounts,
        &[
            form("virtual accounts"),
            form("vas"),
            form("give me a list of virtual accounts"),
            form("list of virtual accounts"),
        ],
        "your virtual accounts, by smart account",
    ),
    report(
        ReportKind::Expired,
        &[
            form("expired"),
            form("expired licenses"),
            form("give me a list of expired licenses"),
        ],
        "licenses that have expired, most recent first",
    ),
    report(
        ReportKind::Expiring(Days::DEFAULT),
        &[
            with("expire N", FormArg::DaysPer(1)),
            with("expire", FormArg::Days(Days::DEFAULT)),
            with("expiring", FormArg::Days(Days::DEFAULT)),
            with("expire N days", FormArg::DaysPer(1)),
            with("expiring N", FormArg::DaysPer(1)),
            with("expire in N days", FormArg::DaysPer(1)),
            with(
                "show me licenses that expire in N days",
                FormArg::DaysPer(1),
            ),
            with("expire N weeks", FormArg::DaysPer(7)),
            with("expire N months", FormArg::DaysPer(30)),
            with("expire N years", FormArg::DaysPer(365)),
        ],
        "licenses that expire in the next N days (30 if you leave N out; 1 to 3650 days; \
                  a month is 30 days, a year 365)",
    ),
    report(
        ReportKind::Shortages,
        &[
            form("shortages"),
            form("shortage"),
            form("license shortage list"),
            form("show me licenses with shortages"),
        ],
        "licenses with more in use than you own",
    ),
    report(
        ReportKind::Usage,
        &[
            form("usage"),
            form("license usage"),
            form("show me license usage"),
            form("utilization"),
        ],
        "how much of each license is in use, highest first",
    ),
    report(
        ReportKind::Mix,
        &[
            form("mix"),
            form("architecture"),
            form("architecture mix"),
            form("show me the architecture mix"),
        ],
        "licenses in use per architecture, by smart account",
    ),
    report(
        ReportKind::Export,
        &[
            with("export", FormArg::Format(ExportFormat::Csv)),
            with("export csv", FormArg::Format(ExportFormat::Csv)),
            with("export xlsx", FormArg::Format(ExportFormat::Xlsx)),
            with("export licenses", FormArg::Format(ExportFormat::Csv)),
            with(
                "give me an export of licenses",
                FormArg::Format(ExportFormat::Csv),
            ),
        ],
        "every license as a CSV (or XLSX) file",
    ),
    report(
        ReportKind::Rebalance,
        &[
            form("rebalance"),
            form("rebalance advice"),
            form("rebalance shortages"),
        ],
        "for each shortage, licenses to spare in other virtual accounts of the same smart \
         account and the transfers that would cover it (advice only: I never move licenses)",
    ),
    chart(
        ChartKind::Mix,
        &[
            form("chart mix"),
            form("mix chart"),
            form("chart architecture"),
        ],
        "a chart of the architecture mix of each smart account",
    ),
    chart(
        ChartKind::Expirations(Horizon::DEFAULT),
        &[
            with("chart expirations [N days|N months]", FormArg::Horizon),
            with("expirations chart", FormArg::Horizon),
        ],
        "a chart of the license quantity that expires each month, for the next 12 \
                  months unless you say (1 to 3650 days, or 1 to 120 months)",
    ),
    chart(
        ChartKind::Usage,
        &[
            form("chart usage"),
            form("usage chart"),
            form("chart utilization"),
        ],
        "a chart of the most utilized licenses",
    ),
    chart(
        ChartKind::Status,
        &[form("status chart"), form("chart status")],
        "the high level status as one chart",
    ),
    CommandSpec {
        kind: Kind::Filter,
        name: "filter",
        forms: &[form("filter"), form("filters"), form("filter card")],
        summary: "a card to pick smart accounts, virtual accounts, days and a report",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::NotifyOn,
        name: "notify-on",
        forms: &[
            with(
                "notify on [daily|weekly] [at HH:MM] [tz Area/City]",
                FormArg::Schedule,
            ),
            with("notify daily [at HH:MM] [tz Area/City]", FormArg::Schedule),
            with("notify weekly [at HH:MM] [tz Area/City]", FormArg::Schedule),
            with("notify at HH:MM [tz Area/City]", FormArg::Schedule),
        ],
        summary: "a message about licenses that expire soon, every day (or every Monday) at \
                  08:00 UTC unless you give a time (24-hour clock) and a time zone \
                  (for example `notify on weekly at 07:30 tz Europe/Paris`)",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::NotifyOff,
        name: "notify-off",
        forms: &[form("notify off")],
        summary: "stop those messages",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::NotifyStatus,
        name: "notify-status",
        forms: &[form("notify status"), form("notify"), form("notifications")],
        summary: "whether those messages are on, when they come and how far ahead they look",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::NotifyWindow,
        name: "notify-window",
        forms: &[
            with("notify window N", FormArg::Window),
            with("notify window N days", FormArg::Window),
        ],
        summary: "how many days ahead those messages look (1 to 3650; 30 until you set it)",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::NotifyTest,
        name: "notify-test",
        forms: &[form("notify test")],
        summary: "send that message now, to see what it looks like",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::Refresh,
        name: "refresh",
        forms: &[form("refresh")],
        summary: "forget what I remember of your licenses and read them again from Cisco",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::SignOut,
        name: "sign-out",
        forms: &[form("sign out"), form("logout"), form("log out")],
        summary: "make me forget your Cisco sign-in",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::Confirm,
        name: "confirm",
        forms: &[with("confirm CODE", FormArg::Code)],
        summary: "finish a sign-in with the code the sign-in page showed you",
        takes_filters: false,
    },
];

/// Placeholder words of [`Form::text`].
pub(crate) const SLOT_NUMBER: &str = "N";
pub(crate) const SLOT_CODE: &str = "CODE";
pub(crate) const SLOT_TIME: &str = "HH:MM";
pub(crate) const SLOT_ZONE: &str = "Area/City";

/// Whether a pattern word is a placeholder.
pub(crate) fn is_slot(word: &str) -> bool {
    [SLOT_NUMBER, SLOT_CODE, SLOT_TIME, SLOT_ZONE].contains(&word)
}

/// Every word sequence a form's pattern stands for: the cartesian product of its optional
/// groups (each absent, or one of its alternatives). `notify at HH:MM [tz Area/City]` gives
/// `[notify, at, HH:MM]` and `[notify, at, HH:MM, tz, Area/City]`.
pub(crate) fn expand(pattern: &'static str) -> Vec<Vec<&'static str>> {
    let mut out: Vec<Vec<&'static str>> = vec![Vec::new()];
    let mut rest = pattern;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(' ');
        if let Some(group) = rest.strip_prefix('[') {
            let (body, after) = group.split_once(']').unwrap_or((group, ""));
            let choices: Vec<Vec<&'static str>> = std::iter::once(Vec::new())
                .chain(body.split('|').map(|alt| alt.split_whitespace().collect()))
                .collect();
            out = out
                .iter()
                .flat_map(|prefix| {
                    choices.iter().map(move |choice| {
                        let mut seq = prefix.clone();
                        seq.extend(choice);
                        seq
                    })
                })
                .collect();
            rest = after;
        } else {
            let end = rest.find([' ', '[']).unwrap_or(rest.len());
            let word = &rest[..end];
            if !word.is_empty() {
                for seq in &mut out {
                    seq.push(word);
                }
            }
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command kind that is neither a report nor a chart.
    const OTHER_KINDS: [Kind; 10] = [
        Kind::Help,
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
        let joined =
            |pattern| -> Vec<String> { expand(pattern).iter().map(|w| w.join(" ")).collect() };
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
}
