//! What a chat message can ask for: the [`Command`] enum and the one table ([`COMMANDS`]) of
//! canonical names, accepted forms and help lines that drives both the parser and the help text.
//!
//! Adding a command (later: `chart mix`, `chart expirations`, `chart usage`, `filter`, `notify`)
//! means one new [`Command`] variant, one [`Kind`] and one row in [`COMMANDS`]; the parser, the
//! unknown-command suggestions and `help` pick it up from the row. Canonical names are the chat
//! words joined by `-` (`virtual-accounts`, later `chart-mix`), which is also how the CLI spells
//! them (reports.md §5).

pub use slbot_inventory::{Days, Filters};

/// The file format of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// A parsed chat message (reports.md §5). Report commands carry their filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Status(Filters),
    Accounts(Filters),
    VirtualAccounts(Filters),
    Expired(Filters),
    /// Entitlement lines that end within the next `days` days.
    Expiring {
        days: Days,
        filters: Filters,
    },
    Shortages(Filters),
    Usage(Filters),
    Mix(Filters),
    Export {
        format: ExportFormat,
        filters: Filters,
    },
    /// Forget the cached inventory and fetch it again.
    Refresh,
    /// The backend forgets the user's tokens.
    SignOut,
    /// Finishes a pending sign-in (signing.md "Sign-in links"); the code is kept as typed.
    Confirm {
        code: String,
    },
}

impl Command {
    /// The canonical name (`virtual-accounts`, `sign-out`, …), as the CLI spells it.
    pub fn name(&self) -> &'static str {
        self.kind().spec().name
    }

    /// The filters of a report command; `None` for commands that take none.
    pub fn filters(&self) -> Option<&Filters> {
        match self {
            Command::Status(f)
            | Command::Accounts(f)
            | Command::VirtualAccounts(f)
            | Command::Expired(f)
            | Command::Shortages(f)
            | Command::Usage(f)
            | Command::Mix(f) => Some(f),
            Command::Expiring { filters, .. } | Command::Export { filters, .. } => Some(filters),
            Command::Help | Command::Refresh | Command::SignOut | Command::Confirm { .. } => None,
        }
    }

    /// Which row of [`COMMANDS`] this command comes from.
    pub fn kind(&self) -> Kind {
        match self {
            Command::Help => Kind::Help,
            Command::Status(_) => Kind::Status,
            Command::Accounts(_) => Kind::Accounts,
            Command::VirtualAccounts(_) => Kind::VirtualAccounts,
            Command::Expired(_) => Kind::Expired,
            Command::Expiring { .. } => Kind::Expiring,
            Command::Shortages(_) => Kind::Shortages,
            Command::Usage(_) => Kind::Usage,
            Command::Mix(_) => Kind::Mix,
            Command::Export { .. } => Kind::Export,
            Command::Refresh => Kind::Refresh,
            Command::SignOut => Kind::SignOut,
            Command::Confirm { .. } => Kind::Confirm,
        }
    }
}

/// The commands without their arguments: one per row of [`COMMANDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Help,
    Status,
    Accounts,
    VirtualAccounts,
    Expired,
    Expiring,
    Shortages,
    Usage,
    Mix,
    Export,
    Refresh,
    SignOut,
    Confirm,
}

impl Kind {
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

/// One accepted form: lowercase words separated by single spaces, where `N` stands for a
/// whole number and `CODE` for one word kept as typed.
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

/// The command table (reports.md §5): parser, suggestions and help all read it.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        kind: Kind::Help,
        name: "help",
        forms: &[form("help"), form("hello"), form("hi"), form("?"), form("")],
        summary: "this list",
        takes_filters: false,
    },
    CommandSpec {
        kind: Kind::Status,
        name: "status",
        forms: &[
            form("status"),
            form("show me the latest status"),
            form("give me a status update"),
            form("summary"),
        ],
        summary: "the high level status: expired, expiring in 180 days, shortages, usage and mix",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Accounts,
        name: "accounts",
        forms: &[
            form("accounts"),
            form("account names"),
            form("smart accounts"),
            form("give me a list of account names"),
            form("list of accounts"),
        ],
        summary: "your smart accounts",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::VirtualAccounts,
        name: "virtual-accounts",
        forms: &[
            form("virtual accounts"),
            form("vas"),
            form("give me a list of virtual accounts"),
            form("list of virtual accounts"),
        ],
        summary: "your virtual accounts, by smart account",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Expired,
        name: "expired",
        forms: &[
            form("expired"),
            form("expired licenses"),
            form("give me a list of expired licenses"),
        ],
        summary: "licenses that have expired, most recent first",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Expiring,
        name: "expiring",
        forms: &[
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
        summary: "licenses that expire in the next N days (30 if you leave N out; 1 to 3650 days; \
                  a month is 30 days, a year 365)",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Shortages,
        name: "shortages",
        forms: &[
            form("shortages"),
            form("shortage"),
            form("license shortage list"),
            form("show me licenses with shortages"),
        ],
        summary: "licenses with more in use than you own",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Usage,
        name: "usage",
        forms: &[
            form("usage"),
            form("license usage"),
            form("show me license usage"),
            form("utilization"),
        ],
        summary: "how much of each license is in use, highest first",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Mix,
        name: "mix",
        forms: &[
            form("mix"),
            form("architecture"),
            form("architecture mix"),
            form("show me the architecture mix"),
        ],
        summary: "licenses in use per architecture, by smart account",
        takes_filters: true,
    },
    CommandSpec {
        kind: Kind::Export,
        name: "export",
        forms: &[
            with("export", FormArg::Format(ExportFormat::Csv)),
            with("export csv", FormArg::Format(ExportFormat::Csv)),
            with("export xlsx", FormArg::Format(ExportFormat::Xlsx)),
            with("export licenses", FormArg::Format(ExportFormat::Csv)),
            with(
                "give me an export of licenses",
                FormArg::Format(ExportFormat::Csv),
            ),
        ],
        summary: "every license as a CSV (or XLSX) file",
        takes_filters: true,
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

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_KINDS: [Kind; 13] = [
        Kind::Help,
        Kind::Status,
        Kind::Accounts,
        Kind::VirtualAccounts,
        Kind::Expired,
        Kind::Expiring,
        Kind::Shortages,
        Kind::Usage,
        Kind::Mix,
        Kind::Export,
        Kind::Refresh,
        Kind::SignOut,
        Kind::Confirm,
    ];

    #[test]
    fn every_kind_has_exactly_one_row_in_the_table() {
        assert_eq!(COMMANDS.len(), ALL_KINDS.len());
        for kind in ALL_KINDS {
            let rows = COMMANDS.iter().filter(|s| s.kind == kind).count();
            assert_eq!(rows, 1, "{kind:?}");
            assert_eq!(kind.spec().kind, kind);
        }
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
                "refresh",
                "sign-out",
                "confirm"
            ]
        );
        assert_eq!(
            Kind::from_name("virtual-accounts"),
            Some(Kind::VirtualAccounts)
        );
        assert_eq!(Kind::from_name("virtual accounts"), None);
    }

    #[test]
    fn forms_are_lowercase_single_spaced_words_or_placeholders() {
        for spec in COMMANDS {
            for form in spec.forms {
                for word in form.text.split(' ').filter(|w| !w.is_empty()) {
                    let placeholder = word == SLOT_NUMBER || word == SLOT_CODE;
                    assert!(
                        placeholder || word.to_lowercase() == word,
                        "{}: {word}",
                        form.text
                    );
                }
                assert!(!form.text.contains("  "), "{}", form.text);
            }
        }
    }
}
