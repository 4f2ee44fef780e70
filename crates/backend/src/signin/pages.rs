//! The server-rendered pages of the sign-in flow (plain HTML, no scripts, no front-end build).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// An e-mail as a query value: everything but letters, digits and `.-_@` is encoded.
const EMAIL_IN_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'@');

/// Escapes text for an HTML element or a double-quoted attribute (the workspace's one copy).
pub use slbot_html::escape;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Smart Licensing Bot</title><style>body{{font-family:system-ui,sans-serif;\
         max-width:38rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.5}}\
         a.button{{display:inline-block;background:#0a60c2;color:#fff;padding:.6rem 1.2rem;\
         border-radius:.4rem;text-decoration:none}}.code{{font-size:2.2rem;letter-spacing:.3rem;\
         font-family:monospace}}</style></head><body><h1>{t}</h1>{body}</body></html>\n",
        t = escape(title),
    )
}

/// Links that open the bot's 1:1 space in the Webex app and on the web.
fn open_webex(bot_email: Option<&str>) -> String {
    let app = match bot_email {
        Some(email) => format!(
            "<a class=\"button\" href=\"webexteams://im?email={}\">Open the bot in Webex</a> ",
            escape(&utf8_percent_encode(email, EMAIL_IN_QUERY).to_string())
        ),
        None => String::new(),
    };
    format!("<p>{app}<a href=\"https://web.webex.com\">Webex on the web</a></p>")
}

const WHAT_IT_DOES: &str = "<p>The Smart Licensing Bot answers questions about your Cisco Smart \
Licensing accounts in Webex: which licenses expired or expire soon, where you are short, how \
much is in use, and a full export for a spreadsheet. It acts with your own Cisco authorization, \
so you see exactly what Cisco lets you see, and nobody else sees it.</p>";

/// `GET /`: the dashboard.
pub fn home(login_path: &str, bot_email: Option<&str>) -> String {
    page(
        "Smart Licensing Bot",
        &format!(
            "{WHAT_IT_DOES}<p><a class=\"button\" href=\"{}\">Sign in with Cisco</a></p>\
             <p>Already signed in? Talk to the bot:</p>{}",
            escape(login_path),
            open_webex(bot_email)
        ),
    )
}

/// After a successful sign-in: the bot in Webex, and the dashboard in this browser.
pub fn signed_in(bot_email: Option<&str>, dashboard: &str) -> String {
    page(
        "You're signed in — open Webex",
        &format!(
            "<p>The bot sent you a welcome message in your 1:1 space. Ask it <code>help</code> \
             to see what it can do.</p>{}\
             <p>Or see your licenses here: <a class=\"button\" id=\"open-dashboard\" \
             href=\"{}\">Open your dashboard</a></p>",
            open_webex(bot_email),
            escape(dashboard)
        ),
    )
}

/// A sign-in that waits for the Webex person to confirm it.
pub fn confirm_code(code: &str, minutes: i64, bot_email: Option<&str>) -> String {
    page(
        "One more step: confirm in Webex",
        &format!(
            "<p>The Cisco account you signed in with does not match the Webex account the \
             sign-in link was made for. To finish, send this message to the bot from that Webex \
             account within {minutes} minutes:</p><p class=\"code\">confirm {}</p>\
             <p>If you did not ask for this sign-in, ignore it: nothing is linked until the code \
             is sent.</p>{}",
            escape(code),
            open_webex(bot_email)
        ),
    )
}

/// Something went wrong: what happened and what to do.
pub fn problem(title: &str, sentence: &str, login_path: &str) -> String {
    page(
        title,
        &format!(
            "<p>{}</p><p><a href=\"{}\">Start the sign-in again</a></p>",
            escape(sentence),
            escape(login_path)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere_it_is_inserted() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;'"
        );
        let html = problem("T", "<script>", "/login");
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
    }

    #[test]
    fn the_open_link_carries_the_bots_address_encoded() {
        let html = signed_in(Some("slbot@webex.bot"), "http://127.0.0.1:8082/dashboard/");
        assert!(
            html.contains("webexteams://im?email=slbot@webex.bot"),
            "{html}"
        );
        assert!(html.contains("https://web.webex.com"));
    }
}
