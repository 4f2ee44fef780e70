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
//! `CODE`, `HH:MM`, `Area/City`, `Nd`, `YYYY-MM-DD`, and `LICENSE` last, taking the rest of the words) and optional groups in brackets whose alternatives are
//! separated by `|` (`chart expirations [N days|N months]`). Help shows the pattern as written.

use std::fmt;

mod table;

pub(crate) use table::{
    expand, is_slot, SLOT_CODE, SLOT_DATE, SLOT_LICENSE, SLOT_NUMBER, SLOT_SPAN, SLOT_TIME,
    SLOT_ZONE,
};
pub use table::{CommandSpec, Form, FormArg, COMMANDS};

use chrono::NaiveTime;
pub use chrono_tz::Tz;
/// How far ahead `chart expirations` looks (`N days` or `N months`; 12 months by default):
/// the charts crate's own type, so the grammar and the chart cannot disagree on the range.
pub use slbot_charts::{ChartKind, Horizon};
pub use slbot_inventory::history::Window;
pub use slbot_inventory::{Calendar, Days, Filters, Quarters, ReportKind};

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
    /// `changes [7d|30d|since YYYY-MM-DD]`: what changed over a window, from the kept history.
    Changes {
        window: Window,
        filters: Filters,
    },
    /// `trend LICENSE`: owned and in use of one licence over the kept history, with its
    /// run-out forecast. The name is kept as typed (matched case-insensitively).
    Trend {
        license: String,
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
            | Command::Chart { filters, .. }
            | Command::Changes { filters, .. }
            | Command::Trend { filters, .. } => Some(filters),
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

    /// Whether this command reads the kept history (`changes`, `trend`; `status` adds its
    /// run-out forecast from it).
    pub fn reads_history(&self) -> bool {
        matches!(
            self,
            Command::Changes { .. }
                | Command::Trend { .. }
                | Command::Report {
                    report: ReportKind::Status,
                    ..
                }
        )
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
            Command::Changes { .. } => Kind::Changes,
            Command::Trend { .. } => Kind::Trend,
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
    Changes,
    Trend,
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
            report => Kind::Report(
                report
                    .with_days(Days::DEFAULT)
                    .with_calendar(Calendar::DEFAULT),
            ),
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
            Kind::Help
            | Kind::Chart(_)
            | Kind::Changes
            | Kind::Trend
            | Kind::Filter
            | Kind::NotifyOn
            | Kind::NotifyOff
            | Kind::NotifyStatus
            | Kind::NotifyWindow
            | Kind::NotifyTest
            | Kind::Refresh
            | Kind::SignOut
            | Kind::Confirm => None,
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

#[cfg(test)]
mod tests;
