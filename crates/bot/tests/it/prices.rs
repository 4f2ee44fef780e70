//! Unit prices sent as a CSV file in the 1:1 space: the bot downloads it with its token,
//! keeps it per person, uses it in that person's `renewals`, and forgets it at `sign out`.

use crate::harness::{only, spawn_app};

/// The first line row of a renewals answer: (licence, quantity). Rows are the indented items
/// `    * **NAME**, Qty: Q, ends on …`.
fn first_line(markdown: &str) -> (String, i64) {
    let row = markdown
        .lines()
        .find(|l| l.starts_with("    * **") && l.contains(", Qty: "))
        .unwrap_or_else(|| panic!("no line row in {markdown}"));
    let rest = row.trim_start_matches("    * **");
    let (name, rest) = rest.split_once("**, Qty: ").unwrap();
    let qty = rest.split(',').next().unwrap().parse().unwrap();
    (name.to_string(), qty)
}

#[tokio::test]
async fn a_price_file_gives_renewals_amounts_until_the_person_signs_out() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;

    let plain = app.say(&alice, &direct, "renewals 20 quarters").await;
    let markdown = &plain[0].markdown;
    assert!(markdown.starts_with("**There are "), "{markdown}");
    assert!(!markdown.contains("USD"));
    let (license, quantity) = first_line(markdown);

    // Line 1 header, line 2 the licence at 2 USD, line 3 another, line 4 not a price.
    let csv = format!(
        "license,unitPrice,currency\n\"{license}\",2,USD\nSomething Else,5,USD\nBad,abc,USD\n"
    );
    let replies = app
        .say_with_file(&alice, &direct, "", "prices.csv", &csv)
        .await;
    assert_eq!(
        only(&replies).markdown,
        "I'll use these 2 prices in `renewals` (1 row skipped: line 4: `abc` is not a price for \
         Bad, skipped)."
    );

    let priced = app.say(&alice, &direct, "renewals 20 quarters").await;
    // That licence's line now shows quantity × 2 USD.
    let (again, _) = first_line(&priced[0].markdown);
    assert_eq!(again, license);
    let amount = format!("{}.00 USD", quantity * 2);
    assert!(
        priced[0].markdown.contains(&format!(", {amount}")),
        "{amount} in {}",
        priced[0].markdown
    );

    // A file that is not a price list is not taken for one: the text is answered as usual.
    let other = app
        .say_with_file(&alice, &direct, "help", "notes.txt", "just notes\n")
        .await;
    assert!(!other[0].markdown.starts_with("I'll use"));

    let out = app.say(&alice, &direct, "sign out").await;
    assert!(only(&out).markdown.starts_with("You're signed out"));
    app.sign_in(&alice, crate::harness::CSSM_TOKENS[0]).await;
    let after = app.say(&alice, &direct, "renewals 20 quarters").await;
    assert!(!after[0].markdown.contains("USD"), "{}", after[0].markdown);
}
