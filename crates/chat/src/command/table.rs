//! The one table of chat commands ([`COMMANDS`]): canonical names, accepted forms (the pattern
//! language of [`Form`]) and help lines, read by the parser, the suggestions and `help`.

use super::{Calendar, ChartKind, Days, ExportFormat, Horizon, Kind, ReportKind};

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
///   day), `Area/City` (a time zone name, kept as typed), `Nd` (a number of days written
///   `30d`), `YYYY-MM-DD` (a date) and `LICENSE` (only last: every
///   remaining word, as typed, at least one);
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
    /// The `changes` window: nothing (7 days), `N days`, `Nd` (`30d`) or `since YYYY-MM-DD`.
    Changes,
    /// The `LICENSE` words of `trend`.
    License,
    /// The renewal calendar: `N` quarters (4 without `N`) and an optional `tz Area/City`.
    Quarters,
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
    report(
        ReportKind::AtRisk,
        &[
            form("at risk"),
            form("at-risk"),
            form("accounts at risk"),
            form("who is at risk"),
        ],
        "smart accounts ranked by risk: 3 × expired licenses still in use + 2 × short + \
         1 × expiring in 30 days, each with its main reason and the command to look closer",
    ),
    report(
        ReportKind::Renewals(Calendar::DEFAULT),
        &[
            with("renewals [N|N quarters] [tz Area/City]", FormArg::Quarters),
            with(
                "renewal calendar [N|N quarters] [tz Area/City]",
                FormArg::Quarters,
            ),
            with("renewals for N quarters [tz Area/City]", FormArg::Quarters),
        ],
        "licenses to renew by calendar quarter, with totals per quarter, for the next 4 \
         quarters unless you say (1 to 20; quarter boundaries in UTC unless you give a time \
         zone); with amounts once you send me a CSV file `license,unitPrice,currency`",
    ),
    CommandSpec {
        kind: Kind::Changes,
        name: "changes",
        forms: &[
            with("changes", FormArg::Changes),
            with("changes Nd", FormArg::Changes),
            with("changes N days", FormArg::Changes),
            with("changes since YYYY-MM-DD", FormArg::Changes),
        ],
        summary: "what changed in your licenses over the last 7 days (or N days, or since a \
                  date): licenses added and removed, owned and in-use changes, new \
                  expirations, new and resolved shortages, from the snapshot I keep of each \
                  complete fetch",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Trend,
        name: "trend",
        forms: &[with("trend LICENSE", FormArg::License)],
        summary: "owned and in use of one license over time, as a chart and a table, with \
                  the date it runs out if in-use keeps growing (for example \
                  `trend AnyConnect Apex`)",
        takes_filters: true,
    },
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
pub(crate) const SLOT_LICENSE: &str = "LICENSE";
pub(crate) const SLOT_SPAN: &str = "Nd";
pub(crate) const SLOT_DATE: &str = "YYYY-MM-DD";

/// Whether a pattern word is a placeholder.
pub(crate) fn is_slot(word: &str) -> bool {
    [
        SLOT_NUMBER,
        SLOT_CODE,
        SLOT_TIME,
        SLOT_ZONE,
        SLOT_LICENSE,
        SLOT_SPAN,
        SLOT_DATE,
    ]
    .contains(&word)
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
