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
    expand, is_slot, Calendar, Command, CommandSpec, Days, ExportFormat, Filters, Form, FormArg,
    Frequency, Horizon, Kind, Quarters, Schedule, Tz, Window, COMMANDS, SLOT_CODE, SLOT_DATE,
    SLOT_LICENSE, SLOT_NUMBER, SLOT_SPAN, SLOT_TIME, SLOT_ZONE,
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
    /// `renewals N…` with N not a whole number from 1 to 20.
    #[error(
        "the number of quarters is not a whole number from 1 to {}",
        Quarters::MAX
    )]
    QuartersOutOfRange,
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
    /// `changes …` with a window that is neither 1 to 3650 days nor a `YYYY-MM-DD` date.
    #[error("the changes window is not 1 to 3650 days or a date")]
    BadChangesWindow,
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
    /// `Nd` or `YYYY-MM-DD`, as typed.
    span: Option<&'a str>,
    date: Option<&'a str>,
    /// The `LICENSE` words, as typed, joined by one space.
    license: Option<String>,
}

impl Captures<'_, '_> {
    fn has_word(&self, word: &str) -> bool {
        self.pattern.contains(&word)
    }
}

/// Literal words must be equal (after case folding); placeholders take any one word, but a
/// last `LICENSE` takes every remaining word (at least one).
fn match_pattern<'p, 'a>(
    pattern: &'p [&'static str],
    words: &[&str],
    typed: &[&'a str],
) -> Option<Captures<'p, 'a>> {
    let rest_slot = pattern.last() == Some(&SLOT_LICENSE);
    let (pattern, words, license) = if rest_slot {
        let fixed = pattern.len() - 1;
        if words.len() <= fixed {
            return None;
        }
        let name = typed.get(fixed..).unwrap_or(&[]).join(" ");
        let name = name.trim_matches(|c| c == '"' || c == '\u{201c}' || c == '\u{201d}');
        (
            &pattern[..fixed],
            &words[..fixed],
            Some(name.trim().to_string()),
        )
    } else {
        (pattern, words, None)
    };
    if pattern.len() != words.len() || license.as_deref() == Some("") {
        return None;
    }
    let mut captures = Captures {
        pattern,
        number: None,
        code: None,
        time: None,
        zone: None,
        span: None,
        date: None,
        license,
    };
    for (i, (p, w)) in pattern.iter().zip(words).enumerate() {
        let as_typed = typed.get(i).copied();
        match *p {
            SLOT_NUMBER => captures.number = as_typed,
            SLOT_CODE => captures.code = as_typed,
            SLOT_TIME => captures.time = as_typed,
            SLOT_ZONE => captures.zone = as_typed,
            SLOT_SPAN => captures.span = as_typed,
            SLOT_DATE => captures.date = as_typed,
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
        // Reports and charts take their one parameter from the form (`expire 90`, `chart
        // expirations 6 months`; the default without `N`), `export` its file format.
        Kind::Report(report) if arg == FormArg::Quarters => Command::Report {
            report: report.with_calendar(calendar(captures)?),
            filters,
        },
        Kind::Report(report) => Command::Report {
            report: report.with_days(expiring_days(arg, captures.number)?),
            filters,
        },
        Kind::Export => Command::Export {
            format: match arg {
                FormArg::Format(format) => format,
                _ => ExportFormat::Csv,
            },
            filters,
        },
        Kind::Chart(chart) => Command::Chart {
            chart: chart.with_horizon(horizon(captures)?),
            filters,
        },
        Kind::Changes => Command::Changes {
            window: changes_window(captures)?,
            filters,
        },
        Kind::Trend => Command::Trend {
            license: captures.license.clone().unwrap_or_default(),
            filters,
        },
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

/// `changes` (7 days), `changes N days`, `changes 30d`, `changes since 2026-11-01`.
fn changes_window(captures: &Captures<'_, '_>) -> Result<Window, ParseError> {
    let window = match (captures.number.or(captures.span), captures.date) {
        (Some(days), _) => Window::parse_days(days),
        (None, Some(date)) => Window::parse_since(date),
        (None, None) => Ok(Window::default()),
    };
    window.map_err(|_| ParseError::BadChangesWindow)
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

/// `renewals [N [quarters]] [tz Area/City]`: 4 quarters in UTC unless given.
fn calendar(captures: &Captures<'_, '_>) -> Result<Calendar, ParseError> {
    let mut calendar = Calendar::DEFAULT;
    if let Some(n) = captures.number {
        calendar.quarters = Quarters::parse(n).map_err(|_| ParseError::QuartersOutOfRange)?;
    }
    if let Some(text) = captures.zone {
        calendar.zone = time_zone(text).ok_or_else(|| ParseError::UnknownTimeZone {
            text: shown_text(text),
            suggestion: closest_time_zone(text),
        })?;
    }
    Ok(calendar)
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
#[path = "parse_tests.rs"]
mod tests;
