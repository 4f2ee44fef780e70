//! reports.md §4 row by row, over small inventories loaded from hand-written snapshot JSON
//! through the inventory's public loader. Expected texts are written out by hand, or (for the
//! size rule) built by a naive loop in the test.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use slbot_inventory::{Catalog, Inventory};

use crate::answer::{answer, Answer};
use crate::parse::parse;
use crate::sentences;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn load(snapshot: Value) -> Inventory {
    match Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::empty()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("the fixture is not a snapshot: {e}"),
    }
}

fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER", "roles": [{"role": "Smart Account Administrator"}]})
}

/// A licence record with its entitlement lines `(quantity, endDate)`.
fn record(license: &str, va: &str, quantity: i64, in_use: i64, lines: &[(i64, Value)]) -> Value {
    let details: Vec<Value> = lines
        .iter()
        .map(|(q, end)| {
            json!({"licenseType": "TERM", "quantity": q, "startDate": "2024-01-01",
                   "endDate": end, "subscriptionId": null, "status": "ACTIVE"})
        })
        .collect();
    json!({"license": license, "virtualAccount": va, "quantity": quantity, "inUse": in_use,
           "available": quantity - in_use, "status": "In Compliance", "billingType": "PREPAID",
           "licenseDetails": details})
}

/// One account `Acme` (`acme.com`) holding `records`.
fn acme(records: Vec<Value>) -> Inventory {
    load(json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": records}}))
}

fn ask(text: &str, inventory: &Inventory) -> Answer {
    match parse(text) {
        Ok(command) => answer(&command, inventory, now()),
        Err(e) => panic!("{text:?} does not parse: {e:?}"),
    }
}

fn first_line(answer: &Answer) -> String {
    answer.messages[0]
        .markdown
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Several of everything (now = 2026-11-28).
fn many() -> Inventory {
    acme(vec![
        record(
            "DNA Advantage",
            "DEFAULT",
            100,
            150,
            &[(100, json!("2026-12-20"))],
        ),
        record(
            "DNA Essentials",
            "DEFAULT",
            10,
            5,
            &[(10, json!("2026-12-10"))],
        ),
        record("Old License", "DEFAULT", 5, 0, &[(5, json!("2025-01-01"))]),
        record("Older License", "Lab", 7, 0, &[(7, json!("2024-06-01"))]),
        record("ISE Base", "Lab", 20, 30, &[(20, Value::Null)]),
    ])
}

/// Exactly one of everything.
fn one() -> Inventory {
    acme(vec![
        record(
            "DNA Advantage",
            "DEFAULT",
            100,
            150,
            &[(100, json!("2026-12-20"))],
        ),
        record("Old License", "DEFAULT", 5, 0, &[(5, json!("2025-01-01"))]),
    ])
}

/// Nothing in use, nothing expired or expiring.
fn idle() -> Inventory {
    acme(vec![record("Idle", "DEFAULT", 10, 0, &[(10, Value::Null)])])
}

fn no_accounts() -> Inventory {
    load(json!({"accounts": [], "licenses": {}}))
}

fn two_accounts() -> Inventory {
    load(json!({
        "accounts": [account("Acme", "acme.com"), account("Beta", "beta.com")],
        "licenses": {"acme.com": [], "beta.com": []}
    }))
}

/// A function that builds a fixture inventory.
type Fixture = fn() -> Inventory;

#[test]
fn every_headline_of_section_4_in_its_many_one_and_empty_forms() {
    let table: Vec<(&str, Fixture, &str)> = vec![
        (
            "expire 30",
            many,
            "**There are 2 licenses that will expire in the next 30 days:**",
        ),
        (
            "expire 30",
            one,
            "**There is 1 license that will expire in the next 30 days:**",
        ),
        (
            "expire 30",
            idle,
            "**There are no licenses that expire in the next 30 days.**",
        ),
        (
            "expire 1",
            idle,
            "**There are no licenses that expire in the next 1 day.**",
        ),
        ("expired", many, "**There are 2 expired licenses:**"),
        ("expired", one, "**There is 1 expired license:**"),
        ("expired", idle, "**There are no expired licenses.**"),
        (
            "shortages",
            many,
            "**There are 2 licenses with shortages:**",
        ),
        ("shortages", one, "**There is 1 license with a shortage:**"),
        ("shortages", idle, "**There are no license shortages.**"),
        (
            "usage",
            many,
            "**License utilization for 3 licenses in use:**",
        ),
        (
            "usage",
            one,
            "**License utilization for 1 license in use:**",
        ),
        ("usage", idle, "**There are no licenses in use.**"),
        (
            "mix",
            many,
            "**Here is your architecture mix, by account:**",
        ),
        ("mix", one, "**Here is your architecture mix, by account:**"),
        (
            "mix",
            idle,
            "**There are no licenses in use, so there is no architecture mix.**",
        ),
        (
            "accounts",
            two_accounts,
            "**Here are your 2 smart accounts:**",
        ),
        ("accounts", one, "**Here is your 1 smart account:**"),
        (
            "accounts",
            no_accounts,
            "**There are no smart accounts for your login.**",
        ),
        (
            "virtual accounts",
            two_accounts,
            "**Here are your virtual accounts, grouped by smart account:**",
        ),
        (
            "virtual accounts",
            one,
            "**Here are your virtual accounts, grouped by smart account:**",
        ),
        (
            "virtual accounts",
            no_accounts,
            "**There are no smart accounts for your login.**",
        ),
        (
            "status",
            many,
            "**Here is the high level status of your licensing:**",
        ),
        (
            "status",
            no_accounts,
            "**Here is the high level status of your licensing:**",
        ),
    ];
    for (text, fixture, headline) in table {
        let answer = ask(text, &fixture());
        assert_eq!(first_line(&answer), headline, "{text:?}");
        assert_eq!(answer.messages.len(), 1, "{text:?}");
    }
}

#[test]
fn the_next_1_day_is_singular() {
    let inventory = acme(vec![record(
        "Soon",
        "DEFAULT",
        1,
        0,
        &[(1, json!("2026-11-28T12:00:00Z"))],
    )]);
    assert_eq!(
        ask("expire 1", &inventory).messages[0].markdown,
        "**There is 1 license that will expire in the next 1 day:**\n\
         * **Acme**\n    * DEFAULT\n        * **Soon**, Qty: 1, expires on 2026/11/28"
    );
}

#[test]
fn line_reports_nest_account_then_va_then_rows_in_report_order() {
    assert_eq!(
        ask("expire 30", &many()).messages[0].markdown,
        "**There are 2 licenses that will expire in the next 30 days:**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **DNA Essentials**, Qty: 10, expires on 2026/12/10\n\
         \x20       * **DNA Advantage**, Qty: 100, expires on 2026/12/20"
    );
    assert_eq!(
        ask("expired", &many()).messages[0].markdown,
        "**There are 2 expired licenses:**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **Old License**, Qty: 5, expired on 2025/01/01\n\
         \x20   * Lab\n\
         \x20       * **Older License**, Qty: 7, expired on 2024/06/01"
    );
}

#[test]
fn shortage_and_usage_rows_say_how_many_are_owned_used_and_short() {
    assert_eq!(
        ask("shortages", &many()).messages[0].markdown,
        "**There are 2 licenses with shortages:**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **DNA Advantage**, Qty: 100, in use: 150, short: 50\n\
         \x20   * Lab\n\
         \x20       * **ISE Base**, Qty: 20, in use: 30, short: 10"
    );
    // 150/100 = 150 %, 30/20 = 150 % (fewer in use, so second), 5/10 = 50 %.
    assert_eq!(
        ask("usage", &many()).messages[0].markdown,
        "**License utilization for 3 licenses in use:**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **DNA Advantage**, 150% used (150 of 100)\n\
         \x20       * **DNA Essentials**, 50% used (5 of 10)\n\
         \x20   * Lab\n\
         \x20       * **ISE Base**, 150% used (30 of 20)"
    );
}

#[test]
fn at_risk_ranks_accounts_with_the_score_its_parts_and_the_command_to_look_closer() {
    // 100 of the 150 in use are on a line that ended 2026-01-01 (capped at the line's 100):
    // 3 × 100 + 2 × (150 − 100) + 1 × 0 = 400, mostly expired-in-use.
    let inventory = acme(vec![record(
        "DNA Advantage",
        "DEFAULT",
        100,
        150,
        &[(100, json!("2026-01-01"))],
    )]);
    assert_eq!(
        ask("who is at risk", &inventory).messages[0].markdown,
        "**1 smart account is at risk, highest score first (score = 3 × expired in use + 2 × \
         short + 1 × expiring in 30 days):**\n\
         * **Acme** (acme.com), score 400: 100 expired in use, 50 short, 0 expiring in 30 days. \
         Mostly licenses in use past their end: `expired account:acme.com`"
    );
    let calm = acme(vec![record("DNA Advantage", "DEFAULT", 100, 50, &[])]);
    assert_eq!(
        ask("at risk", &calm).messages[0].markdown,
        "**No smart account is at risk: nothing expired is in use, nothing is short and \
         nothing expires within 30 days.**"
    );
}

#[test]
fn rebalance_says_what_to_move_from_where_and_what_nothing_covers() {
    // DNA Advantage is short 50 in DEFAULT; Lab has 30 spare and Prod 5 (available =
    // quantity − in use). ISE Base is short 10 in Lab and nobody else holds it.
    let inventory = acme(vec![
        record("DNA Advantage", "DEFAULT", 100, 150, &[]),
        record("DNA Advantage", "Lab", 40, 10, &[]),
        record("DNA Advantage", "Prod", 10, 5, &[]),
        record("ISE Base", "Lab", 20, 30, &[]),
    ]);
    assert_eq!(
        ask("rebalance", &inventory).messages[0].markdown,
        "**There are 2 shortages; moving licenses between virtual accounts would cover 0 in \
         full (advice only, nothing has been moved):**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **DNA Advantage**, short 50: move 30 from Lab, 5 from Prod; 15 still short\n\
         \x20   * Lab\n\
         \x20       * **ISE Base**, short 10: no other virtual account has any to spare"
    );
    let covered = acme(vec![
        record("ISE Base", "Lab", 20, 30, &[]),
        record("ISE Base", "DEFAULT", 50, 10, &[]),
    ]);
    assert_eq!(
        ask("rebalance account:acme.com", &covered).messages[0].markdown,
        "**There is 1 shortage; moving licenses between virtual accounts would cover 1 in full \
         (advice only, nothing has been moved):**\n\
         * **Acme**\n    * Lab\n\
         \x20       * **ISE Base**, short 10: move 10 from DEFAULT; covered"
    );
    assert_eq!(
        first_line(&ask("rebalance", &acme(vec![]))),
        "**There are no license shortages, so there is nothing to rebalance.**"
    );
}

#[test]
fn mix_accounts_and_virtual_accounts_have_their_own_rows() {
    let catalog = match Catalog::from_json(
        r#"{"DNA Advantage": {"architecture": "Enterprise Networking"},
            "ISE Base": {"architecture": "Security"}}"#,
    ) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let snapshot = json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": [
        record("DNA Advantage", "DEFAULT", 100, 150, &[]),
        record("ISE Base", "Lab", 20, 30, &[]),
        record("Mystery", "Lab", 20, 20, &[]),
    ]}});
    let inventory = match Inventory::from_json_slice(snapshot.to_string().as_bytes(), &catalog) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    };
    // 150 + 30 + 20 = 200: 75 %, 15 %, 10 %.
    assert_eq!(
        ask("mix", &inventory).messages[0].markdown,
        "**Here is your architecture mix, by account:**\n\
         * **Acme**, 200 in use\n\
         \x20   * Enterprise Networking: 75% (150 in use)\n\
         \x20   * Security: 15% (30 in use)\n\
         \x20   * Uncategorized: 10% (20 in use)"
    );
    assert_eq!(
        ask("accounts", &two_accounts()).messages[0].markdown,
        "**Here are your 2 smart accounts:**\n\
         * **Acme** (acme.com), Active, CUSTOMER\n\
         * **Beta** (beta.com), Active, CUSTOMER"
    );
    assert_eq!(
        ask("vas", &many()).messages[0].markdown,
        "**Here are your virtual accounts, grouped by smart account:**\n\
         * **Acme** (acme.com)\n    * DEFAULT\n    * Lab"
    );
}

#[test]
fn names_are_trimmed_and_escaped_in_chat() {
    let inventory = acme(vec![record("  *Big*_[DNA]_`x`  ", " My_VA ", 1, 2, &[])]);
    assert_eq!(
        ask("shortages", &inventory).messages[0].markdown,
        "**There is 1 license with a shortage:**\n\
         * **Acme**\n    * My\\_VA\n\
         \x20       * **\\*Big\\*\\_\\[DNA\\]\\_\\`x\\`**, Qty: 1, in use: 2, short: 1"
    );
}

#[test]
fn a_partial_answer_says_which_accounts_are_missing_right_after_the_headline() {
    let inventory = load(json!({
        "accounts": [account("Acme", "acme.com"), account("Beta", "beta.com"),
                     account("Gamma", "gamma.com")],
        "licenses": {"beta.com": [record("X", "DEFAULT", 1, 0, &[(1, json!("2025-01-01"))])],
                     "gamma.com": []},
        "missingAccounts": [{"name": "Acme", "domain": "acme.com", "reason": "CSSM timed out"}]
    }));
    let markdown = &ask("expired", &inventory).messages[0].markdown;
    let lines: Vec<&str> = markdown.lines().collect();
    assert_eq!(lines[0], "**There is 1 expired license:**");
    assert_eq!(
        lines[1],
        "_Partial: 1 of 3 accounts could not be read (Acme: CSSM timed out). Try again later._"
    );
    let status = ask("status", &inventory);
    assert_eq!(status.messages[0].markdown.lines().nth(1), Some(lines[1]));
}

#[test]
fn an_unknown_filter_value_names_the_closest_valid_ones() {
    let reply = &ask("expired va:DEFALT", &many()).messages[0].markdown;
    assert!(reply.contains("`DEFALT`"), "{reply}");
    assert!(reply.contains("`DEFAULT`"), "{reply}");
    let reply = &ask("expired account:Acne", &many()).messages[0].markdown;
    assert!(reply.contains("`Acme`"), "{reply}");
}

#[test]
fn filters_narrow_the_report() {
    assert_eq!(
        ask("expired va:Lab", &many()).messages[0].markdown,
        "**There is 1 expired license:**\n\
         * **Acme**\n    * Lab\n\
         \x20       * **Older License**, Qty: 7, expired on 2024/06/01"
    );
}

#[test]
fn status_shows_five_rows_per_section_and_ten_by_ten_of_the_mix_with_the_rest_counted() {
    // 7 expired lines, 8 shortages; 12 accounts, the first with 13 architectures in use.
    let mut catalog = String::from("{");
    for a in 0..13 {
        if a > 0 {
            catalog.push(',');
        }
        catalog.push_str(&format!(r#""L{a:02}": {{"architecture": "Arch {a:02}"}}"#));
    }
    catalog.push('}');
    let catalog = match Catalog::from_json(&catalog) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let mut accounts = Vec::new();
    let mut licenses = serde_json::Map::new();
    for i in 0..12 {
        let domain = format!("a{i:02}.com");
        accounts.push(account(&format!("A{i:02}"), &domain));
        let records: Vec<Value> = if i == 0 {
            (0..13)
                .map(|a| {
                    record(
                        &format!("L{a:02}"),
                        "DEFAULT",
                        1,
                        2,
                        &[(1, json!(format!("2025-01-{:02}", a + 1)))],
                    )
                })
                .collect()
        } else {
            vec![record("L00", "DEFAULT", 10, 1, &[])]
        };
        licenses.insert(domain, Value::Array(records));
    }
    let snapshot = json!({"accounts": accounts, "licenses": licenses});
    let inventory = match Inventory::from_json_slice(snapshot.to_string().as_bytes(), &catalog) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    };
    let answer = ask("status", &inventory);
    assert_eq!(answer.messages.len(), 1);
    let markdown = &answer.messages[0].markdown;
    assert!(
        markdown.contains("There are 13 expired licenses:\n"),
        "{markdown}"
    );
    assert!(markdown.contains("There are 13 licenses with shortages:\n"));
    // 13 + 11 records in use.
    assert!(markdown.contains("License utilization for 24 licenses in use:\n"));
    assert!(markdown.contains("There are no licenses that expire in the next 180 days.\n"));
    // three sections of 5 rows with "…and 8 more." / "…and 19 more."
    assert_eq!(
        markdown.matches("\n…and 8 more.\n").count(),
        2,
        "{markdown}"
    );
    assert!(markdown.contains("\n…and 19 more.\n"));
    // Mix: 10 accounts shown, 2 more; the first with 10 of 13 architectures.
    assert!(markdown.ends_with("\n\n…and 2 more."), "{markdown}");
    let mix_rows: Vec<&str> = markdown
        .split("Here is your architecture mix, by account:\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("* "))
        .collect();
    assert_eq!(mix_rows.len(), 10);
    assert_eq!(mix_rows[0].matches('%').count(), 10);
    assert!(mix_rows[0].ends_with(", …and 3 more"), "{}", mix_rows[0]);
    assert!(mix_rows[0].starts_with("* **A00**, 26 in use: Arch 00 7.7%, "));
    assert_eq!(mix_rows[1], "* **A01**, 1 in use: Arch 00 100%");
    // The expired rows carry their account and VA.
    assert!(markdown.contains("* **L12** (A00 / DEFAULT), Qty: 1, expired on 2025/01/13\n"));
}

#[test]
fn status_is_never_cut_even_with_absurdly_long_names() {
    let long = "N".repeat(180);
    let records: Vec<Value> = (0..6)
        .map(|i| {
            record(
                &format!("{long}{i}"),
                &format!("{long}va"),
                1,
                2,
                &[(1, json!("2025-01-01")), (1, json!("2026-12-01"))],
            )
        })
        .collect();
    let inventory = load(json!({"accounts": [account(&long, "acme.com")],
                                "licenses": {"acme.com": records}}));
    let answer = ask("status", &inventory);
    assert_eq!(answer.messages.len(), 1);
    let markdown = &answer.messages[0].markdown;
    assert!(markdown.len() <= 7439, "{}", markdown.len());
    assert!(!markdown.contains("The full list is attached"));
    assert_eq!(
        markdown.matches("\n…and 1 more.\n").count(),
        4,
        "{markdown}"
    );
}

#[test]
fn help_refresh_sign_out_and_confirm_answer_without_a_report() {
    assert_eq!(
        ask("help", &many()).messages[0].markdown,
        crate::help::help_markdown()
    );
    // 1 account; 5 records.
    assert_eq!(
        ask("refresh", &many()).messages[0].markdown,
        "Refreshed: 1 account, 5 records."
    );
    assert_eq!(
        ask("sign out", &many()).messages[0].markdown,
        "`sign out` only works in the chat with the bot."
    );
    assert_eq!(
        ask("confirm 123456", &many()).messages[0].markdown,
        "`confirm CODE` only works in the chat with the bot."
    );
}

#[test]
fn notify_filter_and_chart_commands_answer_without_a_report() {
    for (text, reply) in [
        (
            "notify on weekly at 07:30",
            "`notify on` only works in the chat with the bot.",
        ),
        (
            "notify off",
            "`notify off` only works in the chat with the bot.",
        ),
        (
            "notify",
            "`notify status` only works in the chat with the bot.",
        ),
        (
            "notify window 60",
            "`notify window N` only works in the chat with the bot.",
        ),
        (
            "notify test",
            "`notify test` only works in the chat with the bot.",
        ),
        (
            "filter",
            "To narrow a report, add `va:NAME` or `account:NAME` to it, several separated by \
             commas and names with spaces in quotes, for example \
             `expire 90 va:DEFAULT,\"Shared Services\"`. Type `virtual accounts` to see the \
             names.",
        ),
    ] {
        let answer = ask(text, &many());
        assert_eq!(answer.messages.len(), 1, "{text}");
        assert_eq!(answer.messages[0].markdown, reply, "{text}");
        assert_eq!(answer.messages[0].attachment, None, "{text}");
    }
    for text in [
        "notify on",
        "notify off",
        "notify status",
        "notify window 9",
        "notify test",
    ] {
        let command = parse(text).map_err(|e| format!("{e:?}"));
        assert!(
            command
                .as_ref()
                .is_ok_and(|c| crate::answer::answer_without_inventory(c).is_some()),
            "{text}: {command:?}"
        );
    }
    assert_eq!(
        parse("filter").map(|c| crate::answer::answer_without_inventory(&c)),
        Ok(None)
    );
}

/// The one message of a chart answer: its markdown and its attachment's name and type, after
/// checking the bytes are a PNG image.
fn chart_reply(text: &str, inventory: &Inventory) -> (String, String, String) {
    let answer = ask(text, inventory);
    assert_eq!(answer.messages.len(), 1, "{text}");
    let message = &answer.messages[0];
    let Some(file) = &message.attachment else {
        panic!("{text}: no file in {:?}", message.markdown);
    };
    assert!(file.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{text}");
    (
        message.markdown.clone(),
        file.filename.clone(),
        file.content_type.clone(),
    )
}

#[test]
fn each_chart_command_answers_with_its_title_and_one_png() {
    let table = [
        (
            "chart mix",
            "**Architecture mix by account — as of 2026-11-28**",
            "license-mix-2026-11-28.png",
        ),
        (
            "chart expirations 6 months va:DEFAULT",
            "**License expirations, next 6 months — as of 2026-11-28**",
            "license-expirations-2026-11-28.png",
        ),
        (
            "chart expirations 90 days",
            "**License expirations, next 90 days — as of 2026-11-28**",
            "license-expirations-2026-11-28.png",
        ),
    ];
    for (text, markdown, filename) in table {
        assert_eq!(
            chart_reply(text, &many()),
            (markdown.into(), filename.into(), "image/png".into()),
            "{text}"
        );
    }
    for text in ["chart usage", "status chart"] {
        let (markdown, filename, _) = chart_reply(text, &many());
        assert!(
            markdown.starts_with("**") && markdown.ends_with("— as of 2026-11-28**"),
            "{markdown}"
        );
        assert!(filename.ends_with("-2026-11-28.png"), "{filename}");
    }
}

#[test]
fn a_chart_names_missing_accounts_and_refuses_unknown_filters_in_words() {
    let partial = load(json!({
        "accounts": [account("Acme", "acme.com"), account("Beta", "beta.com")],
        "licenses": {"beta.com": [record("X", "DEFAULT", 1, 1, &[])]},
        "missingAccounts": [{"name": "Acme", "domain": "acme.com", "reason": "CSSM timed out"}]
    }));
    let (markdown, _, _) = chart_reply("chart mix", &partial);
    assert_eq!(
        markdown,
        "**Architecture mix by account — as of 2026-11-28**\n\
         _Partial: 1 of 2 accounts could not be read (Acme: CSSM timed out). Try again later._"
    );
    let answer = ask("chart usage va:DEFALT", &many());
    assert_eq!(answer.messages.len(), 1);
    assert_eq!(answer.messages[0].attachment, None);
    assert_eq!(
        answer.messages[0].markdown,
        ask("usage va:DEFALT", &many()).messages[0].markdown
    );
    assert!(answer.messages[0].markdown.contains("`DEFAULT`"));
}

#[test]
fn export_is_a_one_line_summary_with_the_file() {
    let answer = ask("export", &many());
    assert_eq!(answer.messages.len(), 1);
    let message = &answer.messages[0];
    assert_eq!(
        message.markdown,
        "**Here is your license export: 5 rows from 1 smart account.**"
    );
    let Some(file) = &message.attachment else {
        panic!("no file")
    };
    assert_eq!(file.filename, "licenses-2026-11-28.csv");
    assert_eq!(file.content_type, "text/csv");
    let rows = csv_rows(&file.bytes);
    assert_eq!(rows[0].len(), 25);
    assert_eq!(rows[0][0], "account");
    assert_eq!(rows.len(), 1 + 5);

    let answer = ask("export xlsx", &many());
    let Some(file) = &answer.messages[0].attachment else {
        panic!("no file")
    };
    assert_eq!(file.filename, "licenses-2026-11-28.xlsx");
    assert!(file.bytes.starts_with(b"PK"), "an XLSX is a zip");

    let answer = ask("export", &no_accounts());
    assert_eq!(
        answer.messages[0].markdown,
        "**There are no licenses to export.**"
    );
    assert!(answer.messages[0].attachment.is_none());
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| match r {
            Ok(r) => r.iter().map(str::to_string).collect(),
            Err(e) => panic!("{e}"),
        })
        .collect()
}

#[test]
fn every_fixed_sentence_of_section_4() {
    let link = "https://bot.example/login?t=abc.123.def";
    let table: Vec<(String, &str)> = vec![
        (
            sentences::sign_in(link),
            "To read your licenses I need you to sign in: \
             [Sign in with Cisco](https://bot.example/login?t=abc.123.def)",
        ),
        (
            sentences::NOT_AVAILABLE_TO_ORGANIZATION.to_string(),
            "Sorry, this bot is not available to your organization.",
        ),
        (
            sentences::cssm_refused_sign_in(link),
            "Cisco Smart Software Manager refused your sign-in. Please sign in again: \
             [Sign in with Cisco](https://bot.example/login?t=abc.123.def)",
        ),
        (
            sentences::CSSM_NOT_ANSWERING.to_string(),
            "Cisco Smart Software Manager is not answering right now. \
             Please try again in a few minutes.",
        ),
        (
            sentences::sign_in_service_failing("7f3a9c"),
            "I can't reach the sign-in service right now. Please try again in a few minutes. \
             (ref 7f3a9c)",
        ),
        (
            sentences::unknown_command("stauts", Some("status")),
            "Sorry, I didn't understand `stauts`. Did you mean `status`? \
             Type `help` for everything I can do.",
        ),
        (
            sentences::DAYS_OUT_OF_RANGE.to_string(),
            "I can look 1 to 3650 days ahead, for example `expire 90`.",
        ),
        (
            sentences::BUSY.to_string(),
            "I'm busy right now. Please ask again in a minute.",
        ),
        (
            sentences::refreshed(3, 1200),
            "Refreshed: 3 accounts, 1200 records.",
        ),
        (
            sentences::unknown_command("what's up", None),
            "Sorry, I didn't understand `what's up`. I know `help`, `status`, `accounts`, \
             `virtual accounts`, `expired`, `expire N`, `shortages`, `usage`, `mix`, `export`, \
             `rebalance`, `at risk`, `renewals`, `changes`, `trend LICENSE`, `chart mix`, `chart expirations`, `chart usage`, `status chart`, \
             `filter`, \
             `notify on`, `notify off`, `notify status`, `notify window N`, `notify test`, \
             `refresh`, `sign out`, `confirm CODE`. Type `help` for everything I can do.",
        ),
    ];
    for (got, expected) in table {
        assert_eq!(got, expected);
    }
    // Parse errors map to those sentences.
    for (text, expected) in [
        (
            "stauts",
            "Sorry, I didn't understand `stauts`. Did you mean `status`? \
             Type `help` for everything I can do.",
        ),
        (
            "expire 0",
            "I can look 1 to 3650 days ahead, for example `expire 90`.",
        ),
    ] {
        match parse(text) {
            Err(e) => assert_eq!(sentences::parse_error_reply(&e), expected),
            Ok(c) => panic!("{text:?} parsed as {c:?}"),
        }
    }
}

// ---- the size rule -------------------------------------------------------------------------

const LIMIT: usize = 7439;

fn footer(more: usize) -> String {
    format!("…and {more} more. The full list is attached.")
}

/// `vas` virtual accounts of `per_va` expired lines each, all on the same day with the same
/// quantity, so report order is VA name, then licence name.
fn expired_grid(
    va: impl Fn(usize) -> String,
    license: impl Fn(usize, usize) -> String,
    vas: usize,
    per_va: usize,
) -> Inventory {
    let mut records = Vec::new();
    for v in 0..vas {
        for r in 0..per_va {
            records.push(record(
                &license(v, r),
                &va(v),
                1,
                0,
                &[(1, json!("2025-01-01"))],
            ));
        }
    }
    acme(records)
}

/// The naive size rule: whole groups while head + groups + blank line + footer fit in bytes.
fn naive_whole_groups(head: &str, groups: &[String], rows_per_group: usize) -> (String, usize) {
    let total = groups.len() * rows_per_group;
    let mut body = head.to_string();
    let mut shown = 0;
    for group in groups {
        let more = total - shown - rows_per_group;
        if body.len() + group.len() + 1 + footer(more).len() > LIMIT {
            break;
        }
        body.push_str(group);
        shown += rows_per_group;
    }
    let more = total - shown;
    (format!("{body}\n{}", footer(more)), more)
}

#[test]
fn a_report_just_over_the_limit_is_cut_at_a_va_group_and_the_full_csv_follows() {
    let va = |v: usize| format!("VA-{v:03}");
    let license = |v: usize, r: usize| format!("License-{v:03}-{r}");
    let (vas, per_va) = (40, 3);
    let inventory = expired_grid(va, license, vas, per_va);
    let groups: Vec<String> = (0..vas)
        .map(|v| {
            let mut g = format!("    * {}\n", va(v));
            for r in 0..per_va {
                g.push_str(&format!(
                    "        * **{}**, Qty: 1, expired on 2025/01/01\n",
                    license(v, r)
                ));
            }
            g
        })
        .collect();
    let head = "**There are 120 expired licenses:**\n* **Acme**\n";
    let whole: usize = head.len() + groups.iter().map(String::len).sum::<usize>();
    assert!(
        whole > LIMIT && whole < LIMIT + 600,
        "the fixture is just over: {whole}"
    );
    let (expected, more) = naive_whole_groups(head, &groups, per_va);

    let answer = ask("expired", &inventory);
    assert_eq!(answer.messages.len(), 2);
    assert_eq!(answer.messages[0].markdown, expected);
    assert!(answer.messages[0].markdown.len() <= LIMIT);
    assert_eq!(more % per_va, 0);
    assert!(more > 0 && more < 120);

    let second = &answer.messages[1];
    assert_eq!(second.markdown, "Here is the full list as a CSV file.");
    let Some(file) = &second.attachment else {
        panic!("no CSV")
    };
    assert_eq!(file.filename, "expired-2026-11-28.csv");
    assert_eq!(file.content_type, "text/csv");
    let rows = csv_rows(&file.bytes);
    assert_eq!(
        rows[0],
        [
            "account",
            "domain",
            "virtualAccount",
            "license",
            "licenseType",
            "quantity",
            "endDate"
        ]
    );
    let mut names: Vec<String> = rows[1..].iter().map(|r| r[3].clone()).collect();
    names.sort();
    let mut all: Vec<String> = (0..vas)
        .flat_map(|v| (0..per_va).map(move |r| license(v, r)))
        .collect();
    all.sort();
    assert_eq!(names, all, "the CSV holds every row");
}

/// 146 rows named `L000`…`L145` and a last one `L999xx…x` padded so that the whole message
/// is `LIMIT + extra` bytes.
fn padded_to(extra: usize) -> Inventory {
    // head: "**There are 147 expired licenses:**\n* **Acme**\n    * DEFAULT\n" = 36 + 11 + 14;
    // a row with a name of L characters: 8 + 2 + 2 + L + 2 + 31 + 1 = 46 + L; no final "\n".
    let head = 36 + 11 + 14;
    let pad = LIMIT + extra - head - 146 * 50 - 46 + 1 - 4;
    let mut records: Vec<Value> = (0..146)
        .map(|r| {
            record(
                &format!("L{r:03}"),
                "DEFAULT",
                1,
                0,
                &[(1, json!("2025-01-01"))],
            )
        })
        .collect();
    let last = format!("L999{}", "x".repeat(pad));
    records.push(record(&last, "DEFAULT", 1, 0, &[(1, json!("2025-01-01"))]));
    acme(records)
}

#[test]
fn a_report_of_exactly_the_limit_is_not_cut_and_one_byte_more_is() {
    let answer = ask("expired", &padded_to(0));
    assert_eq!(answer.messages.len(), 1);
    assert_eq!(answer.messages[0].markdown.len(), LIMIT);
    assert!(!answer.messages[0].markdown.contains("attached"));

    let answer = ask("expired", &padded_to(1));
    assert_eq!(answer.messages.len(), 2);
    assert!(answer.messages[0]
        .markdown
        .ends_with("\n\n…and 1 more. The full list is attached."));
}

#[test]
fn a_single_huge_group_is_cut_at_a_row() {
    let license = |_: usize, r: usize| format!("License-{r:03}");
    let rows = 300;
    let inventory = expired_grid(|_| "DEFAULT".to_string(), license, 1, rows);
    let mut expected =
        String::from("**There are 300 expired licenses:**\n* **Acme**\n    * DEFAULT\n");
    let mut shown = 0;
    for r in 0..rows {
        let row = format!(
            "        * **{}**, Qty: 1, expired on 2025/01/01\n",
            license(0, r)
        );
        if expected.len() + row.len() + 1 + footer(rows - shown - 1).len() > LIMIT {
            break;
        }
        expected.push_str(&row);
        shown += 1;
    }
    expected.push('\n');
    expected.push_str(&footer(rows - shown));

    let answer = ask("expired", &inventory);
    assert_eq!(answer.messages[0].markdown, expected);
    assert!(shown > 50 && shown < rows);
    let Some(file) = &answer.messages[1].attachment else {
        panic!("no CSV")
    };
    assert_eq!(csv_rows(&file.bytes).len(), 1 + rows);
}

#[test]
fn the_size_rule_counts_utf8_bytes_not_characters() {
    // Each of these characters is 3 bytes in UTF-8.
    let va = |v: usize| format!("仮想アカウント{v:03}");
    let license = |v: usize, r: usize| format!("ライセンス権限{v:03}{r}");
    // A group is 31 + 3 × 71 = 244 bytes but 17 + 3 × 57 = 188 characters.
    let (vas, per_va) = (38, 3);
    let inventory = expired_grid(va, license, vas, per_va);
    let groups: Vec<String> = (0..vas)
        .map(|v| {
            let mut g = format!("    * {}\n", va(v));
            for r in 0..per_va {
                g.push_str(&format!(
                    "        * **{}**, Qty: 1, expired on 2025/01/01\n",
                    license(v, r)
                ));
            }
            g
        })
        .collect();
    let head = "**There are 114 expired licenses:**\n* **Acme**\n";
    let (expected, more) = naive_whole_groups(head, &groups, per_va);
    assert_eq!(groups[0].len(), 244);
    assert_eq!(groups[0].chars().count(), 188);
    let whole_chars: usize =
        head.chars().count() + groups.iter().map(|g| g.chars().count()).sum::<usize>();
    assert!(
        whole_chars < LIMIT,
        "counting characters, everything would fit"
    );

    let answer = ask("expired", &inventory);
    let markdown = &answer.messages[0].markdown;
    assert_eq!(markdown, &expected);
    assert!(markdown.len() <= LIMIT);
    assert!(more > 0);
    assert_eq!(answer.messages.len(), 2);
}

#[test]
fn a_long_virtual_accounts_list_is_cut_at_an_account_and_its_csv_lists_every_va() {
    // 40 accounts × 10 VAs of ~40 bytes: ~18 KB of list.
    let mut accounts = Vec::new();
    let mut vas = serde_json::Map::new();
    for a in 0..40 {
        let domain = format!("a{a:02}.example.com");
        accounts.push(account(&format!("Account {a:02}"), &domain));
        let list: Vec<Value> = (0..10)
            .map(|v| json!({"name": format!("Virtual account {a:02}-{v:02} of the team")}))
            .collect();
        vas.insert(domain, Value::Array(list));
    }
    let inventory = load(json!({"accounts": accounts, "licenses": {}, "virtualAccounts": vas}));
    let answer = ask("virtual accounts", &inventory);
    assert_eq!(answer.messages.len(), 2);
    let markdown = &answer.messages[0].markdown;
    assert!(markdown.len() <= LIMIT);
    let shown_vas = markdown.matches("\n    * Virtual account").count();
    assert_eq!(shown_vas % 10, 0, "whole accounts only");
    assert!(markdown.ends_with(&format!("\n\n{}", footer(400 - shown_vas))));
    let Some(file) = &answer.messages[1].attachment else {
        panic!("no CSV")
    };
    let rows = csv_rows(&file.bytes);
    assert_eq!(rows[0], ["account", "domain", "virtualAccount"]);
    assert_eq!(rows.len(), 1 + 400);
    assert_eq!(
        rows[400],
        [
            "Account 39",
            "a39.example.com",
            "Virtual account 39-09 of the team"
        ]
    );
}

#[test]
fn renewals_show_totals_per_quarter_first_then_the_lines_of_each_quarter() {
    // now = 2026-11-28, so the first quarter is 2026-Q4. Expired and perpetual lines are left
    // out; 2027-04-02 is in 2027-Q2, beyond 2 quarters.
    let inventory = acme(vec![
        record(
            "DNA Advantage",
            "DEFAULT",
            150,
            100,
            &[(100, json!("2026-12-20")), (50, json!("2027-02-10"))],
        ),
        record("ISE Base", "Lab", 20, 5, &[(20, json!("2027-01-05"))]),
        record("Old License", "Lab", 5, 0, &[(5, json!("2025-01-01"))]),
        record("Forever", "Lab", 1, 0, &[(1, Value::Null)]),
        record("Later", "Lab", 3, 0, &[(3, json!("2027-04-02"))]),
    ]);
    let expected = "**There are 3 licenses to renew in the next 2 quarters (UTC), by quarter:**\n\
         * **2026-Q4** (2026/10/01 to 2026/12/31): 1 line, Qty: 100\n\
         * **2027-Q1** (2027/01/01 to 2027/03/31): 2 lines, Qty: 70\n\
         \n\
         * **2026-Q4**\n\
         \x20   * **DNA Advantage**, Qty: 100, ends on 2026/12/20 (Acme, DEFAULT)\n\
         * **2027-Q1**\n\
         \x20   * **ISE Base**, Qty: 20, ends on 2027/01/05 (Acme, Lab)\n\
         \x20   * **DNA Advantage**, Qty: 50, ends on 2027/02/10 (Acme, DEFAULT)";
    let answer = ask("renewals 2 quarters", &inventory);
    assert_eq!(answer.messages.len(), 1);
    assert_eq!(answer.messages[0].markdown, expected);

    // With prices: DNA Advantage 100 × 12.5 = 1250.00 USD in Q4 and 50 × 12.5 = 625.00 USD in
    // Q1, where ISE Base has no price.
    let prices =
        slbot_inventory::PriceList::parse(b"license,unitPrice,currency\ndna advantage,12.5,USD\n")
            .expect("the header is valid")
            .prices;
    let command = parse("renewals 2").expect("parses");
    let priced = crate::answer::answer_priced(&command, &inventory, now(), Some(&prices));
    let lines: Vec<&str> = priced.messages[0].markdown.lines().collect();
    assert_eq!(
        lines[1],
        "* **2026-Q4** (2026/10/01 to 2026/12/31): 1 line, Qty: 100, 1250.00 USD"
    );
    assert_eq!(
        lines[2],
        "* **2027-Q1** (2027/01/01 to 2027/03/31): 2 lines, Qty: 70, 625.00 USD (1 line with no price)"
    );
    assert_eq!(
        lines[7],
        "    * **ISE Base**, Qty: 20, ends on 2027/01/05 (Acme, Lab), no price"
    );
}

#[test]
fn renewals_show_the_first_five_lines_of_a_quarter_and_attach_the_full_list() {
    // Seven lines ending 2026-12-01 … 2026-12-07 in 2026-Q4: five shown, two in the file.
    let records: Vec<Value> = (1..=7)
        .map(|d| {
            record(
                &format!("License {d}"),
                "DEFAULT",
                1,
                0,
                &[(1, json!(format!("2026-12-0{d}")))],
            )
        })
        .collect();
    let answer = ask("renewal calendar 1", &acme(records));
    let markdown = &answer.messages[0].markdown;
    assert!(markdown.starts_with(
        "**There are 7 licenses to renew in this quarter (UTC), by quarter:**\n\
         * **2026-Q4** (2026/10/01 to 2026/12/31): 7 lines, Qty: 7\n\n\
         * **2026-Q4**, the first 5\n"
    ));
    assert!(markdown.contains("**License 5**"));
    assert!(!markdown.contains("**License 6**"));
    assert!(markdown.ends_with("\n\n…and 2 more. The full list is attached."));
    let file = answer.messages[1]
        .attachment
        .as_ref()
        .expect("the full list");
    assert_eq!(file.filename, "renewals-2026-11-28.csv");
    // A header and the seven lines.
    assert_eq!(String::from_utf8_lossy(&file.bytes).lines().count(), 8);
}

#[test]
fn a_number_of_quarters_out_of_range_gets_the_range_sentence() {
    let reply = match parse("renewals 25") {
        Err(e) => sentences::parse_error_reply(&e),
        Ok(c) => panic!("{c:?}"),
    };
    assert_eq!(
        reply,
        "I can show 1 to 20 quarters of renewals, for example `renewals 4 quarters`."
    );
}
