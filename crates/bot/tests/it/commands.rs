//! The command grammar as a person uses it, in a 1:1 space and in a group space.

use crate::harness::{now, only, spawn_app};
use crate::naive::headline;

const HELP_HEADLINE: &str = "**Here is what I can do:**";
const GROUP_NOTE: &str = "I sent you the answer in our 1:1 space.";

#[tokio::test]
async fn every_report_in_a_one_to_one_space_starts_with_the_headline_and_the_count_of_the_data() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let data = &app.dataset;
    let now = now();

    let cases = [
        ("expired", headline::expired(data.expired(0, now))),
        (
            "expire 30",
            headline::expiring(data.expiring(0, now, 30), 30),
        ),
        (
            "show me licenses that expire in 90 days",
            headline::expiring(data.expiring(0, now, 90), 90),
        ),
        (
            "expire 2 months",
            headline::expiring(data.expiring(0, now, 60), 60),
        ),
        (
            "expiring",
            headline::expiring(data.expiring(0, now, 30), 30),
        ),
        ("shortages", headline::shortages(data.shortages(0))),
        ("usage", headline::usage(data.usage(0))),
        ("Accounts!", headline::accounts(data.account_names(0).len())),
        (
            "give me a list of virtual accounts",
            headline::VIRTUAL_ACCOUNTS.to_string(),
        ),
        ("mix", headline::MIX.to_string()),
        ("status", headline::STATUS.to_string()),
        ("help", HELP_HEADLINE.to_string()),
    ];
    // The dataset must make the counts worth checking: several lines in each list.
    assert!(data.expired(0, now) > 1 && data.expiring(0, now, 90) > 1);
    assert!(data.shortages(0) > 1 && data.usage(0) > 1);

    for (text, expected) in cases {
        let replies = app.say(&alice, &room, text).await;
        let reply = &replies[0];
        assert_eq!(reply.headline(), expected, "`{text}`");
        assert!(reply.markdown.len() <= 7439, "`{text}` too long");
    }

    let accounts = app.say(&alice, &room, "accounts").await;
    for name in data.account_names(0) {
        assert!(
            only(&accounts).markdown.contains(&name),
            "{name} missing from {}",
            accounts[0].markdown
        );
    }
    let help = app.say(&alice, &room, "help").await;
    for form in [
        "`expire N`",
        "`export xlsx`",
        "`sign out`",
        "`confirm CODE`",
    ] {
        assert!(only(&help).markdown.contains(form), "{form}");
    }
}

#[tokio::test]
async fn a_report_asked_in_a_group_goes_to_the_one_to_one_space_with_a_note_in_the_group() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.signed_in("bob", 1).await;
    let group = app.group("Licensing team", &[&alice, &bob]).await;

    let said = app.say_in_group(&alice, &group, "expire 30").await;

    let in_group = app.bot_messages(&group, said.seq).await;
    assert_eq!(only(&in_group).markdown, GROUP_NOTE);
    assert!(in_group[0].parent_id.is_none());
    let direct = app.direct(&alice).await;
    let private = app.bot_messages(&direct, 0).await;
    assert_eq!(
        only(&private).headline(),
        headline::expiring(app.dataset.expiring(0, now(), 30), 30)
    );
    // Bob's 1:1 space got nothing.
    let bobs = app.direct(&bob).await;
    assert!(app.bot_messages(&bobs, 0).await.is_empty());
}

#[tokio::test]
async fn help_in_a_group_is_answered_in_place_and_a_thread_reply_in_its_thread() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.person("bob").await;
    let group = app.group("Ops", &[&alice, &bob]).await;

    let said = app.say_in_group(&alice, &group, "help").await;
    let replies = app.bot_messages(&group, said.seq).await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);

    // A thread: Bob starts it, Alice asks the bot inside it.
    let root = app
        .post(&bob, &group, "Who can check our licenses?", false, None)
        .await;
    let asked = app.post(&alice, &group, "help", true, Some(&root.id)).await;
    app.settle().await;
    let replies = app.bot_messages(&group, asked.seq).await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);
    assert_eq!(replies[0].parent_id.as_deref(), Some(root.id.as_str()));

    // A report asked in the thread: the note stays in the thread, the report goes to the 1:1.
    let asked = app
        .post(&alice, &group, "shortages", true, Some(&root.id))
        .await;
    app.settle().await;
    let replies = app.bot_messages(&group, asked.seq).await;
    assert_eq!(only(&replies).markdown, GROUP_NOTE);
    assert_eq!(replies[0].parent_id.as_deref(), Some(root.id.as_str()));
    let direct = app.direct(&alice).await;
    assert_eq!(
        only(&app.bot_messages(&direct, 0).await).headline(),
        headline::shortages(app.dataset.shortages(0))
    );
}

#[tokio::test]
async fn a_reply_in_a_thread_of_a_one_to_one_space_is_answered_in_that_thread() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let root = app.post(&alice, &room, "help", false, None).await;
    app.settle().await;
    let asked = app
        .post(&alice, &room, "usage", false, Some(&root.id))
        .await;
    app.settle().await;
    let replies = app.bot_messages(&room, asked.seq).await;
    assert_eq!(
        only(&replies).headline(),
        headline::usage(app.dataset.usage(0))
    );
    assert_eq!(replies[0].parent_id.as_deref(), Some(root.id.as_str()));
}

#[tokio::test]
async fn a_bare_mention_or_punctuation_alone_gets_the_help() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.person("bob").await;
    let group = app.group("Ops", &[&alice, &bob]).await;
    let said = app.say_in_group(&alice, &group, "").await;
    let replies = app.bot_messages(&group, said.seq).await;
    assert_eq!(only(&replies).headline(), HELP_HEADLINE);

    let room = app.direct(&alice).await;
    for text in ["?", " ... ", "hello"] {
        let replies = app.say(&alice, &room, text).await;
        assert_eq!(only(&replies).headline(), HELP_HEADLINE, "`{text}`");
    }
}

#[tokio::test]
async fn what_the_bot_does_not_understand_gets_a_specific_answer_and_no_fetch() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;

    let replies = app
        .say(&alice, &room, "what's the status of the migration?")
        .await;
    let reply = &only(&replies).markdown;
    assert!(reply.starts_with("Sorry, I didn't understand `"), "{reply}");
    assert!(
        reply.ends_with("Type `help` for everything I can do."),
        "{reply}"
    );

    let replies = app.say(&alice, &room, "expird").await;
    assert_eq!(
        only(&replies).markdown,
        "Sorry, I didn't understand `expird`. Did you mean `expired`? Type `help` for everything I can do."
    );

    for text in ["expire 0", "expire 99999", "expire 2.5", "expire abc"] {
        let replies = app.say(&alice, &room, text).await;
        assert_eq!(
            only(&replies).markdown,
            "I can look 1 to 3650 days ahead, for example `expire 90`.",
            "`{text}`"
        );
    }
    assert_eq!(app.cssm_requests().await, 0, "grammar errors need no data");
}

#[tokio::test]
async fn an_unknown_virtual_account_names_the_closest_real_ones() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let names = app.dataset.va_names(0);
    let real = names
        .iter()
        .find(|n| n.len() > 4 && n.as_str() != "DEFAULT")
        .unwrap_or(&names[0])
        .clone();
    let typo = &real[..real.len() - 1];

    let replies = app
        .say(&alice, &room, &format!("expired va:\"{typo}\""))
        .await;
    let reply = &only(&replies).markdown;
    assert!(
        reply.starts_with(&format!(
            "I don't know the virtual account `{typo}`. Closest of the "
        )),
        "{reply}"
    );
    assert!(reply.contains(&format!("`{real}`")), "{reply}");
}
