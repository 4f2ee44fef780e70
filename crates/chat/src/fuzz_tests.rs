//! Property ("fuzz") tests of the two untrusted inputs this crate reads: chat text (the
//! grammar, [`parse`]) and card submits ([`verify_submit`]).
//!
//! Every property runs a fixed budget ([`CASES`], or `PROPTEST_CASES` when set) of bounded
//! inputs, each on a watchdog thread ([`finishes`]) so a hang fails the case instead of
//! stalling CI. A failing case is shrunk, saved in `proptest-regressions/fuzz_tests.txt` and
//! replayed first on every later run. The seed corpus (`tests/corpus/grammar/`,
//! `tests/corpus/card-submit/`) runs in full every time. Expected values come from the
//! input's construction (the names put in, a naive range check), never from a second call of
//! the code under test, except where the property itself compares two calls (case folding,
//! extra fields).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_inventory::{Catalog, Inventory, ReportKind};

use crate::cards::{
    filter_card, help_card, inventory_version, verify_submit, CardRefusal, CardRequest, CardStamp,
    DEFAULT_CARD_LIFETIME, INPUT_ACCOUNTS, INPUT_DAYS, INPUT_REPORT, INPUT_VAS,
};
use crate::command::{
    expand, is_slot, Command, CommandSpec, Days, Filters, COMMANDS, SLOT_CODE, SLOT_DATE,
    SLOT_LICENSE, SLOT_NUMBER, SLOT_SPAN, SLOT_TIME, SLOT_ZONE,
};
use crate::markdown::MAX_MARKDOWN_BYTES;
use crate::parse::{parse, ParseError, FILLER_WORDS};
use crate::sentences::{card_refusal, parse_error_reply};

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;
/// How long one input may take (debug build, shared CI cores): generous, it only catches hangs.
const LIMIT: Duration = Duration::from_secs(10);

fn budget() -> ProptestConfig {
    // `default()` reads the PROPTEST_* variables and persists failures next to the source.
    let config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config
    } else {
        ProptestConfig {
            cases: CASES,
            ..config
        }
    }
}

/// Runs `work` on its own thread; a case that does not finish within [`LIMIT`] fails.
fn finishes<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    match result.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the input took more than {LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the parser panicked (see above)"),
    }
}

/// The seed corpus of `target`: (file name, bytes), in name order.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    files.sort();
    let corpus: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            (name.into_owned(), bytes)
        })
        .collect();
    assert!(corpus.len() >= 10, "the {target} corpus is too small");
    corpus
}

// ----- the grammar ----------------------------------------------------------------------------

/// Every literal word of every accepted form, and the filler words.
fn grammar_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = COMMANDS
        .iter()
        .flat_map(|spec| spec.forms.iter())
        .flat_map(|form| expand(form.text))
        .flatten()
        .filter(|w| !is_slot(w))
        .chain(FILLER_WORDS.iter().copied())
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Characters and strings that broke text handling somewhere once.
const NASTY: &[&str] = &[
    "",
    "\u{feff}",
    "\u{200b}",
    "\u{202e}",
    "\u{0}",
    "`",
    "```",
    "%",
    "%2C",
    "\u{201c}",
    "\u{201d}",
    "\"",
    "İ",
    "ß",
    "ǅ",
    "ﬃ",
    "e\u{301}",
    "👍🏽",
    "👨‍👩‍👧",
    "\u{fffd}",
    "\\",
    "*",
    "_",
    "[",
    "]",
    "va:",
    "account:",
    "VA:\"",
    "va:,",
    "va:\"\"",
    ",",
    ",,",
    ":",
    "?",
    "...",
    "\r\n",
    "<spark-mention data-object-id=\"x\">",
    "&amp;",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "7",
    "30",
    "120",
    "121",
    "3650",
    "3651",
    "00030",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999",
    "-1",
    "+5",
    "2.5",
    "1e3",
    "0x10",
    "１２",
    "٣",
    "½",
];
const TIMES: &[&str] = &[
    "08:00",
    "7:30",
    "23:59",
    "24:00",
    "25:00",
    "12:60",
    "1:2",
    "007:30",
    ":",
    "12:",
    "٠٨:٠٠",
];
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Paris",
    "europe/paris",
    "America/Argentina/ComodRivadavia",
    "Mars/Olympus",
    "Etc/GMT+14",
    "Europe/Pariss",
    "Area/City",
];
/// Placeholder values every form accepts.
const GOOD_TIMES: &[&str] = &["08:00", "7:30", "23:59", "00:00"];
const GOOD_ZONES: &[&str] = &["UTC", "Europe/Paris", "america/new_york", "Asia/Tokyo"];

fn owned(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(words).prop_map(String::from)
}

/// `va:…` / `account:…` with well-formed, quoted, unclosed and junk values.
fn filter_token() -> impl Strategy<Value = String> {
    let key = select(&["va:", "VA:", "Va:", "account:", "ACCOUNT:", "Account:"][..]);
    let value = prop_oneof![
        "[A-Za-z0-9_./-]{0,10}",
        "\"[^\"]{0,10}\"",
        "\u{201c}[^\u{201d}]{0,10}\u{201d}",
        "\"[^\"]{0,10}",
        "[^ ]{0,6}",
    ];
    (key, prop::collection::vec(value, 1..4))
        .prop_map(|(key, values)| format!("{key}{}", values.join(",")))
}

fn token() -> impl Strategy<Value = String> {
    let words = grammar_words();
    prop_oneof![
        6 => select(words.clone()).prop_map(String::from),
        1 => select(words).prop_map(|w| w.to_uppercase()),
        2 => owned(NUMBERS),
        1 => owned(TIMES),
        1 => owned(ZONES),
        2 => filter_token(),
        1 => owned(NASTY),
        1 => "\\PC{0,12}",
    ]
}

/// A message built from grammar words, numbers, filters and junk, with odd separators.
fn message() -> impl Strategy<Value = String> {
    let separator = select(
        &[
            " ", " ", " ", "  ", "\t", "\n", ",", ", ", "\u{a0}", "\u{3000}", "",
        ][..],
    );
    prop::collection::vec((token(), separator), 0..12).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(token, separator)| token + separator)
            .collect()
    })
}

/// Any text: arbitrary characters, decoded arbitrary bytes, printable runs, long word runs.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..300).prop_map(String::from_iter),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "\\PC{0,300}",
        (select(grammar_words()), 0usize..600).prop_map(|(w, n)| vec![w; n].join(" ")),
        // Long single words cost a distance per suggestion candidate: the corpus has 8,000.
        (0usize..400).prop_map(|n| "x".repeat(n)),
    ]
}

/// What every outcome must satisfy, whatever the text: an error has a reply that fits one
/// Webex message; an unknown command is quoted on one bounded line without backticks; filter
/// values and confirmation codes are pieces of the text, kept verbatim.
fn check_outcome(text: &str, outcome: &Result<Command, ParseError>) -> Result<(), TestCaseError> {
    match outcome {
        Err(error) => {
            let reply = parse_error_reply(error);
            prop_assert!(!reply.trim().is_empty(), "{error:?} has no reply");
            prop_assert!(
                reply.len() <= MAX_MARKDOWN_BYTES,
                "the reply is {} bytes",
                reply.len()
            );
            if let ParseError::Unknown { text: shown, .. } = error {
                prop_assert!(shown.chars().count() <= 81, "{shown:?} is not bounded");
                prop_assert!(!shown.contains('`') && !shown.contains('\n'), "{shown:?}");
            }
        }
        Ok(command) => {
            if let Some(filters) = command.filters() {
                for value in filters.accounts.iter().chain(&filters.vas) {
                    prop_assert!(!value.is_empty() && text.contains(value.as_str()));
                }
            }
            if let Command::Confirm { code } = command {
                prop_assert!(!code.is_empty() && text.contains(code.as_str()));
            }
        }
    }
    Ok(())
}

/// One expansion of one accepted form: its row, its pattern words, and the words as typed
/// with the placeholders filled with values every form accepts.
type FilledForm = (&'static CommandSpec, Vec<&'static str>, Vec<String>);

fn valid_form() -> impl Strategy<Value = FilledForm> {
    let forms: Vec<(&'static CommandSpec, Vec<&'static str>)> = COMMANDS
        .iter()
        .flat_map(|spec| {
            spec.forms
                .iter()
                .flat_map(move |form| expand(form.text).into_iter().map(move |w| (spec, w)))
        })
        .collect();
    (
        select(forms),
        // `expire N years` and `chart expirations N months` accept 1..=10.
        1u32..=10,
        "[A-Za-z0-9]{4,12}",
        select(GOOD_TIMES),
        select(GOOD_ZONES),
        "[A-Za-z][A-Za-z0-9]{0,8}( [A-Za-z0-9]{1,8}){0,2}",
    )
        .prop_map(|((spec, pattern), n, code, time, zone, license)| {
            let typed = pattern
                .iter()
                .map(|word| match *word {
                    SLOT_NUMBER => n.to_string(),
                    SLOT_CODE => code.clone(),
                    SLOT_TIME => time.to_string(),
                    SLOT_ZONE => zone.to_string(),
                    SLOT_SPAN => format!("{n}d"),
                    SLOT_DATE => format!("2026-{n:02}-01"),
                    SLOT_LICENSE => license.clone(),
                    literal => literal.to_string(),
                })
                .collect();
            (spec, pattern, typed)
        })
}

fn parse_owned(text: String) -> Result<Command, ParseError> {
    finishes(move || parse(&text))
}

/// `command` with `filters` in place of its own (commands without filters are unchanged).
fn with_filters(command: Command, filters: Filters) -> Command {
    match command {
        Command::Report { report, .. } => Command::Report { report, filters },
        Command::Export { format, .. } => Command::Export { format, filters },
        Command::Chart { chart, .. } => Command::Chart { chart, filters },
        Command::Changes { window, .. } => Command::Changes { window, filters },
        Command::Trend { license, .. } => Command::Trend { license, filters },
        other => other,
    }
}

/// A filter value as typed and as kept: a bare run, or quoted (may hold spaces and commas).
fn filter_value() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[A-Za-z0-9_./-]{1,10}".prop_map(|v| (v.clone(), v)),
        "[^\"]{1,10}".prop_map(|v| (format!("\"{v}\""), v)),
        "[^\u{201d}]{1,10}".prop_map(|v| (format!("\u{201c}{v}\u{201d}"), v)),
    ]
}

fn flip_case(word: &str, mask: u64) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if (mask >> (i % 64)) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn any_text_gets_a_command_or_a_reply_and_never_a_panic(text in any_text()) {
        let outcome = parse_owned(text.clone());
        check_outcome(&text, &outcome)?;
    }

    #[test]
    fn grammar_words_numbers_filters_and_junk_get_a_command_or_a_reply(text in message()) {
        let outcome = parse_owned(text.clone());
        check_outcome(&text, &outcome)?;
    }

    #[test]
    fn every_form_parses_to_its_own_command_in_any_letter_case(
        (spec, pattern, typed) in valid_form(),
        mask in any::<u64>(),
    ) {
        let text = typed.join(" ");
        let expected = parse_owned(text.clone());
        let Ok(command) = &expected else {
            return Err(TestCaseError::fail(format!("{text:?} ({}) gives {expected:?}", spec.name)));
        };
        prop_assert_eq!(command.kind(), spec.kind, "{:?}", text);
        // Keywords only: placeholder values (a confirmation code) are kept as typed.
        let mixed: Vec<String> = pattern
            .iter()
            .zip(&typed)
            .enumerate()
            .map(|(i, (p, w))| if is_slot(p) { w.clone() } else { flip_case(w, mask.rotate_left(i as u32 * 7)) })
            .collect();
        prop_assert_eq!(parse_owned(mixed.join(" ")), expected);
    }

    #[test]
    fn fillers_punctuation_and_spacing_around_a_command_do_not_change_it(
        (_spec, _pattern, typed) in valid_form(),
        fillers in prop::collection::vec(select(FILLER_WORDS), 0..4),
        gaps in prop::collection::vec(select(&[" ", "  ", "\t", "\n", " \u{a0}", "\u{3000}", "\r\n"][..]), 16),
        lead in "[.,!?;: ]{0,3}",
        trail in "[.,!?;: ]{0,3}",
    ) {
        let expected = parse_owned(typed.join(" "));
        prop_assert!(expected.is_ok(), "{:?}", expected);
        let words: Vec<String> = fillers.iter().map(|f| f.to_string()).chain(typed).collect();
        let mut text = lead;
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                text.push_str(gaps[i % gaps.len()]);
            }
            text.push_str(word);
        }
        text.push_str(&trail);
        prop_assert_eq!(parse_owned(text), expected);
    }

    #[test]
    fn filters_anywhere_in_a_command_are_kept_verbatim_or_refused_by_commands_without_them(
        (spec, _pattern, typed) in valid_form(),
        vas in prop::collection::vec(filter_value(), 0..3),
        accounts in prop::collection::vec(filter_value(), 0..3),
        key_case in any::<u64>(),
        va_at in any::<Index>(),
        account_at in any::<Index>(),
    ) {
        let base = parse_owned(typed.join(" "));
        let Ok(base) = base else {
            return Err(TestCaseError::fail(format!("{typed:?} gives {base:?}")));
        };
        let mut words = typed;
        let list = |values: &[(String, String)]| values.iter().map(|(typed, _)| typed.as_str()).collect::<Vec<_>>().join(",");
        if !vas.is_empty() {
            let at = va_at.index(words.len() + 1);
            words.insert(at, format!("{}{}", flip_case("va:", key_case), list(&vas)));
        }
        if !accounts.is_empty() {
            let at = account_at.index(words.len() + 1);
            words.insert(at, format!("{}{}", flip_case("account:", key_case >> 8), list(&accounts)));
        }
        let filters = Filters {
            accounts: accounts.into_iter().map(|(_, kept)| kept).collect(),
            vas: vas.into_iter().map(|(_, kept)| kept).collect(),
        };
        let text = words.join(" ");
        let expected = if filters.is_empty() {
            Ok(base)
        } else if spec.takes_filters {
            Ok(with_filters(base, filters))
        } else {
            Err(ParseError::FiltersNotAccepted { command: spec.name })
        };
        prop_assert_eq!(parse_owned(text), expected);
    }

    #[test]
    fn expire_n_accepts_exactly_the_whole_numbers_that_make_1_to_3650_days(
        n in prop_oneof![0u64..4000, any::<u64>()],
        (unit, per) in select(&[("", 1u64), (" days", 1), (" weeks", 7), (" months", 30), (" years", 365)][..]),
    ) {
        let days = u128::from(n) * u128::from(per);
        let expected = match u32::try_from(days) {
            Ok(d) if (1..=3650).contains(&d) => Ok(Command::Report {
                report: ReportKind::Expiring(Days::new(d).unwrap_or(Days::DEFAULT)),
                filters: Filters::none(),
            }),
            _ => Err(ParseError::DaysOutOfRange),
        };
        prop_assert_eq!(parse_owned(format!("expire {n}{unit}")), expected);
    }
}

#[test]
fn every_message_of_the_grammar_corpus_gets_a_command_or_a_reply() {
    for (name, bytes) in corpus("grammar") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let outcome = parse_owned(text.clone());
        if let Err(failure) = check_outcome(&text, &outcome) {
            panic!("corpus file {name}: {failure}");
        }
    }
}

// ----- card submits ---------------------------------------------------------------------------

const PERSON: &str = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ";
const SECRET: &str = "card-secret-for-fuzzing";
/// The keys [`verify_submit`] reads; anything else in a submit is noise.
const KNOWN_KEYS: &[&str] = &[
    "slbot_card",
    "slbot_person",
    "slbot_inventory",
    "slbot_expires",
    "slbot_action",
    "slbot_mac",
    INPUT_ACCOUNTS,
    INPUT_VAS,
    INPUT_DAYS,
    INPUT_REPORT,
];
const SIGNED_TEXT_KEYS: &[&str] = &[
    "slbot_card",
    "slbot_person",
    "slbot_inventory",
    "slbot_action",
    "slbot_mac",
];

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_867_200, 0).unwrap_or_default() // 2026-11-28T12:00:00Z
}

fn secret() -> SecretString {
    SecretString::from(SECRET.to_string())
}

/// A filter card and a help card for one inventory whose names need escaping, signed with
/// [`SECRET`] for [`PERSON`] at [`now`].
struct CardFixture {
    version: String,
    filter_stamp: Value,
    help_buttons: Vec<Value>,
    /// (choice value as the card offers it, the name it stands for).
    accounts: Vec<(String, String)>,
    vas: Vec<(String, String)>,
    reports: Vec<String>,
}

fn fixture() -> &'static CardFixture {
    static FIXTURE: OnceLock<CardFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let account = |name: &str, domain: &str| {
            json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
                   "accountType": "CUSTOMER"})
        };
        let record = |license: &str, va: &str| {
            json!({"license": license, "virtualAccount": va, "quantity": 10, "inUse": 4})
        };
        let snapshot = json!({
            "accounts": [account("Acme, Inc.", "acme.com"), account("100% Co", "pct,co.example")],
            "licenses": {
                "acme.com": [record("A", "DEFAULT"), record("B", "Shared, Services"), record("C", "50% Lab")],
                "pct,co.example": [record("A", "DEFAULT"), record("D", "lab ")],
            }
        });
        let inventory =
            match Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::empty()) {
                Ok(inventory) => inventory,
                Err(e) => panic!("the fixture is not a snapshot: {e}"),
            };
        let version = inventory_version(&inventory);
        let stamp = CardStamp::new(PERSON, version.clone(), now(), DEFAULT_CARD_LIFETIME);
        let card = filter_card(&inventory, &stamp, &secret());
        let help = help_card(&stamp, &secret());
        // The names as put in above, escaped as the module documents: `%` → %25, `,` → %2C.
        let escape = |name: &str| name.replace('%', "%25").replace(',', "%2C");
        let offered = |id: &str| -> Vec<String> {
            input(&card.content, id)
                .and_then(|i| i["choices"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c["value"].as_str().map(String::from))
                .collect()
        };
        let named = |values: Vec<String>, names: &[&str]| -> Vec<(String, String)> {
            values
                .into_iter()
                .map(|value| {
                    let name = names
                        .iter()
                        .find(|n| escape(n.trim()) == value || escape(n) == value)
                        .unwrap_or_else(|| panic!("the card offers {value:?}, not a fixture name"));
                    (value, name.trim().to_string())
                })
                .collect()
        };
        let accounts = named(offered(INPUT_ACCOUNTS), &["acme.com", "pct,co.example"]);
        let vas = named(offered(INPUT_VAS), &["DEFAULT", "Shared, Services", "50% Lab", "lab "]);
        assert_eq!((accounts.len(), vas.len()), (2, 4), "{accounts:?} {vas:?}");
        let mut help_buttons = Vec::new();
        collect_submit_data(&help.content, &mut help_buttons);
        CardFixture {
            version,
            filter_stamp: card.content["actions"][0]["data"].clone(),
            help_buttons,
            accounts,
            vas,
            reports: offered(INPUT_REPORT),
        }
    })
}

/// The input with `id` anywhere in a card.
fn input<'a>(value: &'a Value, id: &str) -> Option<&'a Value> {
    match value {
        Value::Object(object) if object.get("id").and_then(Value::as_str) == Some(id) => {
            Some(value)
        }
        Value::Object(object) => object.values().find_map(|v| input(v, id)),
        Value::Array(items) => items.iter().find_map(|v| input(v, id)),
        _ => None,
    }
}

/// The `data` of every `Action.Submit` in a card.
fn collect_submit_data(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(object) => {
            if object.get("type").and_then(Value::as_str) == Some("Action.Submit") {
                out.extend(object.get("data").cloned());
            }
            object.values().for_each(|v| collect_submit_data(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_submit_data(v, out)),
        _ => {}
    }
}

fn verify_owned(inputs: Value) -> Result<CardRequest, CardRefusal> {
    let version = fixture().version.clone();
    finishes(move || verify_submit(&inputs, PERSON, &version, now(), &secret()))
}

/// Leaves: every JSON scalar, huge and odd numbers, odd strings, values that look right.
fn json_leaf() -> impl Strategy<Value = Value> {
    let texts = select(
        &[
            "",
            " ",
            "30",
            " 30 ",
            "0",
            "3650",
            "3651",
            "-1",
            "1e3",
            "30.0",
            "NaN",
            "help",
            "filter",
            "run",
            "expiring",
            "export",
            "chart-expirations",
            "status",
            "%",
            "%2",
            "%zz",
            "%25%2C",
            ",",
            ",,",
            "a,,b",
            "%E2%82",
            "\u{0}",
            "\u{feff}30",
            "١٢",
            "99999999999999999999999",
            "ÿ",
        ][..],
    );
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        texts.prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
    ]
}

/// A key: one [`verify_submit`] reads, a near miss of one, or anything.
fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(KNOWN_KEYS).prop_map(String::from),
        select(KNOWN_KEYS).prop_map(|k| k.to_uppercase()),
        select(KNOWN_KEYS).prop_map(|k| format!("{k} ")),
        "\\PC{0,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value buried `depth` arrays or objects deep.
fn deeply_nested() -> impl Strategy<Value = Value> {
    (json_leaf(), 0usize..150, any::<u64>()).prop_map(|(leaf, depth, kinds)| {
        (0..depth).fold(leaf, |inner, i| {
            if (kinds >> (i % 64)) & 1 == 1 {
                Value::Array(vec![inner])
            } else {
                json!({ "days": inner })
            }
        })
    })
}

/// A submit whose fields have the right names but any shape.
fn shaped_submit() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        select(KNOWN_KEYS).prop_map(String::from),
        prop_oneof![3 => json_leaf(), 1 => json_value(), 1 => deeply_nested()],
        0..=KNOWN_KEYS.len(),
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// `data` merged with `inputs`, as Webex sends an attachment action's inputs.
fn merged(data: &Value, inputs: BTreeMap<String, Value>) -> Value {
    let mut submit = data.clone();
    if let Value::Object(object) = &mut submit {
        object.extend(inputs);
    }
    submit
}

/// A submit the bot itself would accept: a filter card with picked report, days, accounts
/// and VAs (days as a number or as text), or one help card button.
fn valid_submit() -> impl Strategy<Value = Value> {
    let f = fixture();
    let filter = (
        select(f.reports.clone()),
        1u32..=3650,
        any::<bool>(),
        subsequence(f.accounts.clone(), 0..=f.accounts.len()),
        subsequence(f.vas.clone(), 0..=f.vas.len()),
    )
        .prop_map(|(report, days, as_number, accounts, vas)| {
            let mut inputs = BTreeMap::new();
            inputs.insert(INPUT_REPORT.to_string(), Value::from(report));
            let days = if as_number {
                Value::from(days)
            } else {
                Value::from(days.to_string())
            };
            inputs.insert(INPUT_DAYS.to_string(), days);
            let join = |picked: Vec<(String, String)>| {
                picked
                    .into_iter()
                    .map(|(value, _)| value)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            if !accounts.is_empty() {
                inputs.insert(INPUT_ACCOUNTS.to_string(), Value::from(join(accounts)));
            }
            if !vas.is_empty() {
                inputs.insert(INPUT_VAS.to_string(), Value::from(join(vas)));
            }
            merged(&fixture().filter_stamp, inputs)
        });
    prop_oneof![3 => filter, 1 => select(f.help_buttons.clone())]
}

fn check_refusal(outcome: &Result<CardRequest, CardRefusal>) -> Result<(), TestCaseError> {
    if let Err(refusal) = outcome {
        let sentence = card_refusal(refusal);
        prop_assert!(!sentence.trim().is_empty() && sentence.len() <= MAX_MARKDOWN_BYTES);
    }
    Ok(())
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn any_json_as_a_card_submit_is_refused_or_read_and_never_panics(
        inputs in prop_oneof![json_value(), shaped_submit(), deeply_nested()],
    ) {
        check_refusal(&verify_owned(inputs))?;
    }

    #[test]
    fn a_signed_filter_submit_with_inputs_of_any_shape_is_refused_or_read_and_never_panics(
        inputs in prop::collection::btree_map(
            select(&[INPUT_ACCOUNTS, INPUT_VAS, INPUT_DAYS, INPUT_REPORT][..]).prop_map(String::from),
            prop_oneof![3 => json_leaf(), 1 => json_value(), 1 => deeply_nested()],
            0..=4,
        ),
    ) {
        let outcome = verify_owned(merged(&fixture().filter_stamp, inputs.clone()));
        check_refusal(&outcome)?;
        if let Ok(request) = outcome {
            // Only a report the card offers, with days that were a whole number 1..=3650.
            let name = request.command.name();
            prop_assert!(fixture().reports.iter().any(|r| r == name), "{name}");
            prop_assert!(inputs[INPUT_REPORT] == name);
        }
    }

    #[test]
    fn a_filter_submit_comes_back_as_the_picked_names_exactly(submit in valid_submit()) {
        let outcome = verify_owned(submit.clone());
        let Ok(request) = outcome else {
            return Err(TestCaseError::fail(format!("{submit} gives {outcome:?}")));
        };
        let picked = |key: &str, offered: &[(String, String)]| -> Vec<String> {
            let text = submit.get(key).and_then(Value::as_str).unwrap_or("");
            text.split(',')
                .filter(|v| !v.is_empty())
                .filter_map(|v| offered.iter().find(|(value, _)| value == v).map(|(_, name)| name.clone()))
                .collect()
        };
        if submit.get(INPUT_REPORT).is_some() {
            let f = fixture();
            let expected = Filters { accounts: picked(INPUT_ACCOUNTS, &f.accounts), vas: picked(INPUT_VAS, &f.vas) };
            prop_assert_eq!(request.command.filters(), Some(&expected));
        }
    }

    #[test]
    fn unknown_fields_never_change_what_a_submit_asks_for(
        submit in valid_submit(),
        extra in prop::collection::btree_map(
            json_key().prop_filter("an unknown key", |k| !KNOWN_KEYS.contains(&k.as_str())),
            prop_oneof![json_leaf(), json_value(), deeply_nested()],
            1..6,
        ),
    ) {
        let baseline = verify_owned(submit.clone());
        prop_assert!(baseline.is_ok(), "{} gives {:?}", submit, baseline);
        prop_assert_eq!(verify_owned(merged(&submit, extra)), baseline);
    }

    #[test]
    fn changing_any_signed_field_makes_a_submit_forged(
        submit in valid_submit(),
        key in select(SIGNED_TEXT_KEYS),
        replacement in prop_oneof!["\\PC{0,24}", "[0-9a-f]{40}", "[0-9a-f]{64}"],
        expires in any::<i64>(),
        expires_as_number in any::<bool>(),
        digit in any::<Index>(),
    ) {
        let mut changed = submit.clone();
        let original = submit[key].as_str().unwrap_or_default().to_string();
        prop_assume!(!replacement.eq_ignore_ascii_case(&original));
        changed[key] = Value::from(replacement);
        prop_assert_eq!(verify_owned(changed), Err(CardRefusal::Forged));

        let signed_expiry = submit["slbot_expires"].as_str().unwrap_or_default().to_string();
        prop_assume!(expires.to_string() != signed_expiry);
        let mut changed = submit.clone();
        changed["slbot_expires"] = if expires_as_number { Value::from(expires) } else { Value::from(expires.to_string()) };
        prop_assert_eq!(verify_owned(changed), Err(CardRefusal::Forged));

        // One hex digit of the MAC changed.
        let mac = submit["slbot_mac"].as_str().unwrap_or_default().to_string();
        let at = digit.index(mac.len());
        let flipped: String = mac
            .char_indices()
            .map(|(i, c)| if i == at { if c == '0' { '1' } else { '0' } } else { c })
            .collect();
        let mut changed = submit;
        changed["slbot_mac"] = Value::from(flipped);
        prop_assert_eq!(verify_owned(changed), Err(CardRefusal::Forged));
    }
}

#[test]
fn every_submit_of_the_card_corpus_is_refused_or_read() {
    for (name, bytes) in corpus("card-submit") {
        let inputs: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("corpus file {name} is not JSON: {e}"));
        let outcome = verify_owned(inputs);
        if let Err(failure) = check_refusal(&outcome) {
            panic!("corpus file {name}: {failure}");
        }
    }
}
