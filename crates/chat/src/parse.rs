//! The chat grammar of reports.md §5: text (with the bot's mention already removed) in,
//! [`Command`] or [`ParseError`] out.
//!
//! Steps: (1) cut the `va:`/`account:` filters out of the raw text; (2) normalise the rest
//! (fold case, trim `. , ! ? ; :` at both ends, collapse spaces); (3) the remaining words must
//! equal one accepted form of [`COMMANDS`], optionally preceded by polite filler words.
//! Nothing here matches substrings: "what's the status of the migration?" is unknown.

use strsim::damerau_levenshtein;

use crate::command::{
    Command, CommandSpec, Days, ExportFormat, Filters, Form, FormArg, Kind, COMMANDS, SLOT_CODE,
    SLOT_NUMBER,
};

/// Words that may precede any accepted form ("can you show me the status please" is not one:
/// fillers only lead).
pub const FILLER_WORDS: &[&str] = &[
    "show", "me", "give", "a", "the", "list", "of", "my", "please", "can", "you",
];

/// Characters trimmed from both ends of the normalised text.
const TRIMMED: &[char] = &['.', ',', '!', '?', ';', ':'];

/// Why a message is not a command. Each variant has a reply sentence
/// ([`crate::sentences::parse_error_reply`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No accepted form matched. `suggestion` is a command text the user can type.
    #[error("unknown command `{text}`")]
    Unknown {
        text: String,
        suggestion: Option<String>,
    },
    /// `expire N…` with N not a whole number giving 1..=3650 days.
    #[error("the number of days is not a whole number from 1 to {}", Days::MAX)]
    DaysOutOfRange,
    /// A `va:`/`account:` filter without a readable value (`va:` alone, an unclosed quote).
    #[error("unreadable filter `{text}`")]
    BadFilter { text: String },
    /// Filters on a command that takes none (`refresh va:X`).
    #[error("`{command}` takes no filters")]
    FiltersNotAccepted { command: &'static str },
}

/// Parses one chat message whose bot mention is already removed.
pub fn parse(text: &str) -> Result<Command, ParseError> {
    let (rest, filters) = extract_filters(text)?;
    let folded = normalise(&rest.to_lowercase());
    let original = normalise(&rest);
    let words: Vec<&str> = split(&folded);
    let mut typed: Vec<&str> = split(&original);
    if typed.len() != words.len() {
        // Case folding never adds or removes spaces, but never trust that with user text.
        typed = words.clone();
    }
    match match_words(&words, &typed, &filters) {
        Some(result) => result,
        None => Err(ParseError::Unknown {
            text: shown_text(text),
            suggestion: suggest(&words),
        }),
    }
}

fn split(text: &str) -> Vec<&str> {
    text.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Trims the trimmed punctuation and white space at both ends and collapses inner runs of
/// white space to one space.
fn normalise(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .trim_matches(|c: char| TRIMMED.contains(&c) || c.is_whitespace())
        .to_string()
}

/// The user's text as the unknown-command reply quotes it: one line, bounded, no backticks
/// (they would end the inline code).
fn shown_text(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown: String = one_line
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c == '`' { '\'' } else { c })
        .collect();
    if one_line.chars().count() > MAX_CHARS {
        shown.push('…');
    }
    shown
}

/// Tries every form of every command after skipping 0, 1, … leading filler words. A form that
/// matches but whose number is bad gives the range error, unless another form matches fully.
fn match_words(
    words: &[&str],
    typed: &[&str],
    filters: &Filters,
) -> Option<Result<Command, ParseError>> {
    let fillers = words
        .iter()
        .take_while(|w| FILLER_WORDS.contains(w))
        .count();
    let mut range_error = false;
    for skip in 0..=fillers {
        for spec in COMMANDS {
            for form in spec.forms {
                match match_form(form, &words[skip..], &typed[skip..]) {
                    Some(Ok(slot)) => return Some(build(spec, form.arg, slot, filters)),
                    Some(Err(DaysError)) => range_error = true,
                    None => {}
                }
            }
        }
    }
    range_error.then_some(Err(ParseError::DaysOutOfRange))
}

/// A form matched except for its number.
struct DaysError;

/// What a form's placeholder captured.
enum Slot<'a> {
    None,
    Number(Days),
    Code(&'a str),
}

fn match_form<'a>(
    form: &Form,
    words: &[&str],
    typed: &[&'a str],
) -> Option<Result<Slot<'a>, DaysError>> {
    let pattern = split(form.text);
    if pattern.len() != words.len() {
        return None;
    }
    let mut slot = Slot::None;
    let mut bad_number = false;
    for (i, (p, w)) in pattern.iter().zip(words).enumerate() {
        if *p == SLOT_NUMBER {
            match days(w, form.arg) {
                Some(n) => slot = Slot::Number(n),
                None => bad_number = true,
            }
        } else if *p == SLOT_CODE {
            slot = Slot::Code(typed[i]);
        } else if p != w {
            return None;
        }
    }
    Some(if bad_number { Err(DaysError) } else { Ok(slot) })
}

/// `N` (ASCII digits only: no sign, no decimals) times the form's unit, if that is a valid
/// look-ahead ([`Days`]: 1..=3650).
fn days(word: &str, arg: FormArg) -> Option<Days> {
    let per = match arg {
        FormArg::DaysPer(per) => per,
        _ => 1,
    };
    let n = Days::parse(word).ok()?.get();
    Days::new(n.checked_mul(per)?).ok()
}

fn build(
    spec: &CommandSpec,
    arg: FormArg,
    slot: Slot<'_>,
    filters: &Filters,
) -> Result<Command, ParseError> {
    if !spec.takes_filters && !filters.is_empty() {
        return Err(ParseError::FiltersNotAccepted { command: spec.name });
    }
    let filters = filters.clone();
    let days = match (arg, &slot) {
        (FormArg::Days(days), _) => days,
        (_, Slot::Number(days)) => *days,
        _ => Days::DEFAULT,
    };
    Ok(match spec.kind {
        Kind::Help => Command::Help,
        Kind::Status => Command::Status(filters),
        Kind::Accounts => Command::Accounts(filters),
        Kind::VirtualAccounts => Command::VirtualAccounts(filters),
        Kind::Expired => Command::Expired(filters),
        Kind::Expiring => Command::Expiring { days, filters },
        Kind::Shortages => Command::Shortages(filters),
        Kind::Usage => Command::Usage(filters),
        Kind::Mix => Command::Mix(filters),
        Kind::Export => Command::Export {
            format: match arg {
                FormArg::Format(format) => format,
                _ => ExportFormat::Csv,
            },
            filters,
        },
        Kind::Refresh => Command::Refresh,
        Kind::SignOut => Command::SignOut,
        Kind::Confirm => Command::Confirm {
            code: match slot {
                Slot::Code(code) => code.to_string(),
                _ => String::new(),
            },
        },
    })
}

/// The closest command to the first non-filler word: Damerau–Levenshtein distance ≤ 2 to the
/// first word of some form (≤ 1 for words under four letters, so `ok` does not suggest `hi`).
/// Ties go to the earlier row of the table. When the message with that word replaced parses,
/// the whole corrected message is suggested (`exprie 90` → `expire 90`); otherwise the
/// command's first form.
fn suggest(words: &[&str]) -> Option<String> {
    let first_index = words.iter().position(|w| !FILLER_WORDS.contains(w))?;
    let first = words[first_index];
    let mut best: Option<(usize, &'static str, &'static CommandSpec)> = None;
    for spec in COMMANDS {
        for form in spec.forms {
            let Some(candidate) = form.text.split(' ').next().filter(|w| {
                !w.is_empty() && *w != SLOT_NUMBER && *w != SLOT_CODE && !FILLER_WORDS.contains(w)
            }) else {
                continue;
            };
            let limit = if candidate.chars().count() < 4 { 1 } else { 2 };
            let distance = damerau_levenshtein(first, candidate);
            if distance <= limit && best.is_none_or(|(d, _, _)| distance < d) {
                best = Some((distance, candidate, spec));
            }
        }
    }
    let (_, word, spec) = best?;
    let mut corrected: Vec<&str> = words[first_index..].to_vec();
    corrected[0] = word;
    if let Some(Ok(_)) = match_words(&corrected, &corrected, &Filters::default()) {
        return Some(corrected.join(" "));
    }
    spec.forms.first().map(|f| f.text.to_string())
}

/// Cuts `va:VALUE` and `account:VALUE` filters out of the raw text. A key starts the text or
/// follows white space and is matched case-insensitively; VALUE is `"…"` (straight or curly
/// quotes) or a run without white space and commas, and a comma directly followed by another
/// value continues the list. Values are kept verbatim.
pub(crate) fn extract_filters(text: &str) -> Result<(String, Filters), ParseError> {
    const KEYS: [(&str, bool); 2] = [("va:", true), ("account:", false)];
    let mut filters = Filters::default();
    let mut rest = String::with_capacity(text.len());
    let mut i = 0;
    let mut at_word_start = true;
    while i < text.len() {
        let tail = &text[i..];
        let key = at_word_start
            .then(|| {
                KEYS.iter().find(|(key, _)| {
                    tail.get(..key.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(key))
                })
            })
            .flatten();
        if let Some((key, is_va)) = key {
            let start = i;
            i += key.len();
            loop {
                let (value, used) =
                    read_value(&text[i..]).ok_or_else(|| ParseError::BadFilter {
                        text: shown_text(filter_span(text, start)),
                    })?;
                i += used;
                if *is_va {
                    filters.vas.push(value);
                } else {
                    filters.accounts.push(value);
                }
                let after = &text[i..];
                let continues = after.starts_with(',')
                    && after[1..]
                        .chars()
                        .next()
                        .is_some_and(|c| !c.is_whitespace() && c != ',');
                if !continues {
                    break;
                }
                i += 1;
            }
            rest.push(' ');
            at_word_start = false;
            continue;
        }
        let Some(c) = tail.chars().next() else { break };
        rest.push(c);
        at_word_start = c.is_whitespace();
        i += c.len_utf8();
    }
    Ok((rest, filters))
}

/// The filter as typed, up to the next white space, for the bad-filter reply.
fn filter_span(text: &str, start: usize) -> &str {
    let tail = &text[start..];
    let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
    &tail[..end]
}

/// One filter value at the start of `text` and the bytes it used, or `None` if there is none.
fn read_value(text: &str) -> Option<(String, usize)> {
    let first = text.chars().next()?;
    if let Some(close) = closing_quote(first) {
        let body = &text[first.len_utf8()..];
        let end = body.find(close)?;
        let value = &body[..end];
        if value.is_empty() {
            return None;
        }
        return Some((value.to_string(), first.len_utf8() + end + close.len_utf8()));
    }
    let end = text
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_string(), end))
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '\u{201c}' => Some('\u{201d}'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Command::Expiring {
            days: days(n),
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
            ("status", Command::Status(none())),
            ("show me the latest status", Command::Status(none())),
            ("give me a status update", Command::Status(none())),
            ("summary", Command::Status(none())),
            ("accounts", Command::Accounts(none())),
            ("account names", Command::Accounts(none())),
            ("smart accounts", Command::Accounts(none())),
            ("give me a list of account names", Command::Accounts(none())),
            ("list of accounts", Command::Accounts(none())),
            ("virtual accounts", Command::VirtualAccounts(none())),
            ("vas", Command::VirtualAccounts(none())),
            (
                "give me a list of virtual accounts",
                Command::VirtualAccounts(none()),
            ),
            ("list of virtual accounts", Command::VirtualAccounts(none())),
            ("expired", Command::Expired(none())),
            ("expired licenses", Command::Expired(none())),
            (
                "give me a list of expired licenses",
                Command::Expired(none()),
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
            ("shortages", Command::Shortages(none())),
            ("shortage", Command::Shortages(none())),
            ("license shortage list", Command::Shortages(none())),
            (
                "show me licenses with shortages",
                Command::Shortages(none()),
            ),
            ("usage", Command::Usage(none())),
            ("license usage", Command::Usage(none())),
            ("show me license usage", Command::Usage(none())),
            ("utilization", Command::Usage(none())),
            ("mix", Command::Mix(none())),
            ("architecture", Command::Mix(none())),
            ("architecture mix", Command::Mix(none())),
            ("show me the architecture mix", Command::Mix(none())),
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
            assert_eq!(parse(text), Ok(Command::Status(none())), "{text:?}");
        }
        assert_eq!(parse("Expire  90 Days!"), Ok(expiring(90)));
    }

    #[test]
    fn polite_filler_words_may_precede_any_form() {
        let table = [
            ("please status", Command::Status(none())),
            ("can you show me the status", Command::Status(none())),
            ("show me my expired licenses", Command::Expired(none())),
            ("please expire 90", expiring(90)),
            (
                "can you give me a list of accounts",
                Command::Accounts(none()),
            ),
            ("show me the mix", Command::Mix(none())),
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
            assert_eq!(parse(text), Ok(Command::Expired(filters)), "{text:?}");
        }
        assert_eq!(
            parse("expire 90 days va:A,B account:X"),
            Ok(Command::Expiring {
                days: days(90),
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
}
