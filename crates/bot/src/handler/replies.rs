//! Sentences of the bot that reports.md §4 leaves to us (the fixed ones are
//! `slbot_chat::sentences`).

pub const SIGNED_OUT: &str =
    "You're signed out: I no longer have access to your licenses. Send me any command to sign in again.";
pub const NOT_SIGNED_IN: &str = "You weren't signed in, so there was nothing to forget.";
pub const CONFIRMED: &str = "Thanks, your sign-in is confirmed. Try `expire 30`.";
pub const SOMETHING_WENT_WRONG: &str =
    "Sorry, something went wrong on my side while answering. It is logged; please try again in a minute.";
pub const WEBEX_FAILED: &str =
    "I couldn't read your message from Webex. Please send it again in a minute.";
pub const POLICY_CHECK_FAILED: &str =
    "I couldn't check your organization with Webex right now. Please try again in a minute.";
pub const PERSONAL_SPACE_FAILED: &str =
    "I couldn't send you the answer in our 1:1 space. Please write to me there directly.";
pub const CARD_FAILED: &str =
    "I couldn't read what that card sent from Webex. Please press the button again in a minute.";

/// A price file larger than this is refused (a price list is a few kilobytes).
pub const MAX_PRICE_FILE_BYTES: usize = 1 << 20;
pub const PRICE_FILE_TOO_BIG: &str =
    "That price file is too big for me (at most 1 MB). Send a CSV with the header `license,unitPrice,currency`.";
pub const FILE_DOWNLOAD_FAILED: &str =
    "I couldn't download the file you sent from Webex. Please send it again in a minute.";
pub const PRICES_NOT_SAVED: &str =
    "I couldn't keep your prices right now. Please send the file again in a minute.";

/// The reply to a price file: how many prices `renewals` will use and which rows were skipped.
pub fn prices_saved(prices: usize, skipped: &[String]) -> String {
    let noun = if prices == 1 { "price" } else { "prices" };
    let mut text = format!("I'll use these {prices} {noun} in `renewals`");
    match skipped.len() {
        0 => text.push('.'),
        n => {
            let shown: Vec<&str> = skipped.iter().take(5).map(String::as_str).collect();
            let more = if n > 5 {
                format!("; and {} more", n - 5)
            } else {
                String::new()
            };
            text.push_str(&format!(
                " ({n} {} skipped: {}{more}).",
                if n == 1 { "row" } else { "rows" },
                shown.join("; ")
            ));
        }
    }
    text
}

/// A price file whose header is wrong: what it must look like.
pub fn price_file_refused(reason: &str) -> String {
    format!("I can't read that price file: {reason}.")
}

pub fn no_pending_sign_in(link: &str) -> String {
    format!(
        "That code doesn't match a sign-in waiting for you (codes last 10 minutes). \
         Please sign in again: [Sign in with Cisco]({link})"
    )
}

pub fn retrieving(done: Option<(usize, usize, usize, Option<usize>)>) -> String {
    let base = "Retrieving your licenses from Cisco Smart Software Manager…";
    match done {
        None | Some((_, 0, _, _)) => base.to_string(),
        Some((accounts, total, pages, Some(total_pages))) => {
            format!("{base} {accounts} of {total} accounts, {pages} of {total_pages} pages.")
        }
        Some((accounts, total, pages, None)) => {
            format!("{base} {accounts} of {total} accounts, {pages} pages so far.")
        }
    }
}
