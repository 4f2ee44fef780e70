//! The chat grammar of reports.md §5: text (with the bot's mention already removed) in,
//! [`Command`] or [`ParseError`] out.
//!
//! Steps: (1) cut the `va:`/`account:` filters out of the raw text; (2) normalise the rest
//! (fold case, trim `. , ! ? ; :` at both ends, collapse spaces); (3) the remaining words must
//! equal one accepted form of [`COMMANDS`], optionally preceded by polite filler words.
//! Nothing here matches substrings: "what's the status of the migration?" is unknown.

use chrono::NaiveTime;
use strsim::damerau_levenshtein;

use crate::command::{
    expand, is_slot, Command, CommandSpec, Days, ExportFormat, Filters, Form, FormArg, Frequency,
    Horizon, Kind, Schedule, Tz, COMMANDS, SLOT_CODE, SLOT_NUMBER, SLOT_TIME, SLOT_ZONE,
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
    /// `chart expirations N days|months` with N not a whole number of 1..=3650 days or
    /// 1..=120 months.
    #[error(
        "the chart horizon is not 1 to {} days or 1 to {} months",
        Days::MAX,
        Horizon::MAX_MONTHS
    )]
    HorizonOutOfRange,
    /// `notify window N` with N not a whole number from 1 to 3650.
    #[error(
        "the notification window is not a whole number of days from 1 to {}",
        Days::MAX
    )]
    WindowOutOfRange,
    /// `notify … at TEXT` where TEXT is not a 24-hour `HH:MM` time.
    #[error("`{text}` is not a time of day")]
    BadTime { text: String },
    /// `notify … tz TEXT` where TEXT is no IANA time zone; `suggestion` is the closest one.
    #[error("unknown time zone `{text}`")]
    UnknownTimeZone {
        text: String,
        suggestion: Option<&'static str>,
    },
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
    let patterns = patterns();
    match match_words(&patterns, &words, &typed, &filters) {
        Some(result) => result,
        None => Err(ParseError::Unknown {
            text: shown_text(text),
            suggestion: suggest(&patterns, &words),
        }),
    }
}

/// One expansion of one form: the row it belongs to, the form, and its word sequence.
struct Pattern {
    spec: &'static CommandSpec,
    form: &'static Form,
    words: Vec<&'static str>,
}

/// Every word sequence of every form, in table order (computed per message: a few hundred
/// short vectors, cheaper than any cache).
fn patterns() -> Vec<Pattern> {
    COMMANDS
        .iter()
        .flat_map(|spec| {
            spec.forms.iter().flat_map(move |form| {
                expand(form.text)
                    .into_iter()
                    .map(move |words| Pattern { spec, form, words })
            })
        })
        .collect()
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

/// The user's text as a reply quotes it: one line, bounded, no backticks (they would end the
/// inline code).
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

/// Tries every form of every command after skipping 0, 1, … leading filler words. A form whose
/// words match but whose placeholder value is bad (`expire 0`, `notify at 25:00`) gives its
/// error, unless another form matches fully; the first such error wins.
fn match_words(
    patterns: &[Pattern],
    words: &[&str],
    typed: &[&str],
    filters: &Filters,
) -> Option<Result<Command, ParseError>> {
    let fillers = words
        .iter()
        .take_while(|w| FILLER_WORDS.contains(w))
        .count();
    let mut first_error = None;
    for skip in 0..=fillers {
        for pattern in patterns {
            let Some(captures) = match_pattern(&pattern.words, &words[skip..], &typed[skip..])
            else {
                continue;
            };
            match build(pattern.spec, pattern.form.arg, &captures, filters) {
                Ok(command) => return Some(Ok(command)),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
    }
    first_error.map(Err)
}

/// What a matched pattern's placeholders captured (as typed), and the pattern's words.
struct Captures<'p, 'a> {
    pattern: &'p [&'static str],
    number: Option<&'a str>,
    code: Option<&'a str>,
    time: Option<&'a str>,
    zone: Option<&'a str>,
}

impl Captures<'_, '_> {
    fn has_word(&self, word: &str) -> bool {
        self.pattern.contains(&word)
    }
}

/// Literal words must be equal (after case folding); placeholders take any one word.
fn match_pattern<'p, 'a>(
    pattern: &'p [&'static str],
    words: &[&str],
    typed: &[&'a str],
) -> Option<Captures<'p, 'a>> {
    if pattern.len() != words.len() {
        return None;
    }
    let mut captures = Captures {
        pattern,
        number: None,
        code: None,
        time: None,
        zone: None,
    };
    for (i, (p, w)) in pattern.iter().zip(words).enumerate() {
        let as_typed = typed.get(i).copied();
        match *p {
            SLOT_NUMBER => captures.number = as_typed,
            SLOT_CODE => captures.code = as_typed,
            SLOT_TIME => captures.time = as_typed,
            SLOT_ZONE => captures.zone = as_typed,
            literal if literal == *w => {}
            _ => return None,
        }
    }
    Some(captures)
}

fn build(
    spec: &CommandSpec,
    arg: FormArg,
    captures: &Captures<'_, '_>,
    filters: &Filters,
) -> Result<Command, ParseError> {
    if !spec.takes_filters && !filters.is_empty() {
        return Err(ParseError::FiltersNotAccepted { command: spec.name });
    }
    let filters = filters.clone();
    Ok(match spec.kind {
        Kind::Help => Command::Help,
        Kind::Status => Command::Status(filters),
        Kind::Accounts => Command::Accounts(filters),
        Kind::VirtualAccounts => Command::VirtualAccounts(filters),
        Kind::Expired => Command::Expired(filters),
        Kind::Expiring => Command::Expiring {
            days: expiring_days(arg, captures.number)?,
            filters,
        },
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
        Kind::ChartMix => Command::ChartMix(filters),
        Kind::ChartExpirations => Command::ChartExpirations {
            horizon: horizon(captures)?,
            filters,
        },
        Kind::ChartUsage => Command::ChartUsage(filters),
        Kind::StatusChart => Command::StatusChart(filters),
        Kind::Filter => Command::Filter,
        Kind::NotifyOn => Command::NotifyOn(schedule(captures)?),
        Kind::NotifyOff => Command::NotifyOff,
        Kind::NotifyStatus => Command::NotifyStatus,
        Kind::NotifyWindow => Command::NotifyWindow {
            days: match captures.number {
                Some(n) => Days::parse(n).map_err(|_| ParseError::WindowOutOfRange)?,
                None => crate::command::DEFAULT_NOTIFY_WINDOW,
            },
        },
        Kind::NotifyTest => Command::NotifyTest,
        Kind::Refresh => Command::Refresh,
        Kind::SignOut => Command::SignOut,
        Kind::Confirm => Command::Confirm {
            code: captures.code.unwrap_or_default().to_string(),
        },
    })
}

/// `N` (ASCII digits only: no sign, no decimals) times the form's unit, if that is a valid
/// look-ahead ([`Days`]: 1..=3650); a form without `N` gives its fixed days.
fn expiring_days(arg: FormArg, number: Option<&str>) -> Result<Days, ParseError> {
    let (per, n) = match (arg, number) {
        (FormArg::Days(days), _) => return Ok(days),
        (FormArg::DaysPer(per), Some(n)) => (per, n),
        (_, Some(n)) => (1, n),
        (_, None) => return Ok(Days::DEFAULT),
    };
    let n = whole_number(n).ok_or(ParseError::DaysOutOfRange)?;
    n.checked_mul(per)
        .and_then(|days| Days::new(days).ok())
        .ok_or(ParseError::DaysOutOfRange)
}

/// `chart expirations`, `… N days`, `… N months`.
fn horizon(captures: &Captures<'_, '_>) -> Result<Horizon, ParseError> {
    let Some(n) = captures.number else {
        return Ok(Horizon::DEFAULT);
    };
    let n = whole_number(n).ok_or(ParseError::HorizonOutOfRange)?;
    let horizon = if captures.has_word("months") {
        Horizon::months(n)
    } else {
        Horizon::days(n)
    };
    horizon.map_err(|_| ParseError::HorizonOutOfRange)
}

/// A whole decimal number of ASCII digits (no sign, no decimals) that fits a `u32`.
fn whole_number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `notify on [daily|weekly] [at HH:MM] [tz Area/City]`, defaults from [`Schedule::default`].
fn schedule(captures: &Captures<'_, '_>) -> Result<Schedule, ParseError> {
    let mut schedule = Schedule::default();
    if captures.has_word("weekly") {
        schedule.frequency = Frequency::Weekly;
    }
    if let Some(text) = captures.time {
        schedule.at = time_of_day(text).ok_or_else(|| ParseError::BadTime {
            text: shown_text(text),
        })?;
    }
    if let Some(text) = captures.zone {
        schedule.zone = time_zone(text).ok_or_else(|| ParseError::UnknownTimeZone {
            text: shown_text(text),
            suggestion: closest_time_zone(text),
        })?;
    }
    Ok(schedule)
}

/// `H:MM` or `HH:MM` on a 24-hour clock (`7:30`, `07:30`, `23:59`); nothing else.
pub fn time_of_day(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || hours.len() > 2 || !digits(minutes) || minutes.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
}

/// The IANA time zone named `name` (`Europe/Paris`, `UTC`), matched exactly, then ignoring
/// ASCII case (`europe/paris`).
pub fn time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
            .copied()
    })
}

/// The time zone name closest to a mistyped one (Damerau–Levenshtein ≤ 3, ignoring case).
/// Names longer than any zone name plus that distance are not compared (and a long message
/// costs no quadratic work).
fn closest_time_zone(name: &str) -> Option<&'static str> {
    const LONGEST_ZONE_NAME: usize = 32;
    if name.chars().count() > LONGEST_ZONE_NAME + 3 {
        return None;
    }
    let name = name.to_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                damerau_levenshtein(&name, &tz.name().to_lowercase()),
                tz.name(),
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

/// The closest command to the first non-filler word: Damerau–Levenshtein distance ≤ 2 to the
/// first word of some form (≤ 1 for words under four letters, so `ok` does not suggest `hi`).
/// Ties go to the earlier row of the table. When the message with that word replaced parses,
/// the whole corrected message is suggested (`exprie 90` → `expire 90`); otherwise the form
/// starting with that word that shares the most leading words with the message
/// (`notify window` → `notify window N`), the earlier form on a tie.
fn suggest(patterns: &[Pattern], words: &[&str]) -> Option<String> {
    let first_index = words.iter().position(|w| !FILLER_WORDS.contains(w))?;
    let first = words[first_index];
    let mut best: Option<(usize, &'static str)> = None;
    for pattern in patterns {
        let Some(candidate) = pattern
            .words
            .first()
            .copied()
            .filter(|w| !is_slot(w) && !FILLER_WORDS.contains(w))
        else {
            continue;
        };
        let limit = if candidate.chars().count() < 4 { 1 } else { 2 };
        let distance = damerau_levenshtein(first, candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let (_, word) = best?;
    let mut corrected: Vec<&str> = words[first_index..].to_vec();
    corrected[0] = word;
    if let Some(Ok(_)) = match_words(patterns, &corrected, &corrected, &Filters::default()) {
        return Some(corrected.join(" "));
    }
    let shared = |pattern: &[&str]| {
        pattern
            .iter()
            .zip(&corrected)
            .take_while(|(p, w)| is_slot(p) || *p == *w)
            .count()
    };
    let mut chosen: Option<(usize, &'static Form)> = None;
    for pattern in patterns.iter().filter(|p| p.words.first() == Some(&word)) {
        let n = shared(&pattern.words);
        if chosen.is_none_or(|(best, _)| n > best) {
            chosen = Some((n, pattern.form));
        }
    }
    chosen.map(|(_, form)| form.text.to_string())
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
        let chart_exp = |horizon| Command::ChartExpirations {
            horizon,
            filters: none(),
        };
        let table: Vec<(&str, Command)> = vec![
            ("chart mix", Command::ChartMix(none())),
            ("mix chart", Command::ChartMix(none())),
            ("chart architecture", Command::ChartMix(none())),
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
            ("chart usage", Command::ChartUsage(none())),
            ("usage chart", Command::ChartUsage(none())),
            ("chart utilization", Command::ChartUsage(none())),
            ("status chart", Command::StatusChart(none())),
            ("chart status", Command::StatusChart(none())),
            ("show me the status chart", Command::StatusChart(none())),
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
            Ok(Command::ChartMix(f(&[], &["Lab"])))
        );
        assert_eq!(
            parse("chart expirations 6 months account:Acme va:A,B"),
            Ok(Command::ChartExpirations {
                horizon: months(6),
                filters: f(&["Acme"], &["A", "B"]),
            })
        );
        assert_eq!(
            parse("status chart account:\"Big Co\""),
            Ok(Command::StatusChart(f(&["Big Co"], &[])))
        );
        assert_eq!(
            parse("chart usage va:X"),
            Ok(Command::ChartUsage(f(&[], &["X"])))
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
        assert_eq!(parse("status"), Ok(Command::Status(none())));
        assert_eq!(
            parse("show me the latest status"),
            Ok(Command::Status(none()))
        );
        assert_eq!(
            parse("give me a status update"),
            Ok(Command::Status(none()))
        );
        assert_eq!(parse("status chart"), Ok(Command::StatusChart(none())));
        assert_eq!(
            parse("give me a status chart"),
            Ok(Command::StatusChart(none()))
        );
        assert!(matches!(
            parse("status chart now"),
            Err(ParseError::Unknown { .. })
        ));
        assert_eq!(parse("usage"), Ok(Command::Usage(none())));
        assert_eq!(parse("mix"), Ok(Command::Mix(none())));
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
}
