//! Removing the bot's own mention from a message (webex-api.md "Messages").
//!
//! In a group space `text` starts with the rendered mention (often only the bot's first name)
//! and `html` wraps it in `<spark-mention data-object-id="<personId>">Name</spark-mention>`.
//! The robust rule: find the spark-mention whose id is the bot's own and remove its rendered
//! name from the start of `text`; otherwise remove a leading display-name or first-name token.

/// Who the bot is, as `GET /people/me` told it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub person_id: String,
    pub emails: Vec<String>,
    pub display_name: String,
}

impl Identity {
    /// The first word of the display name ("Licensing" for "Licensing Bot").
    fn first_name(&self) -> Option<&str> {
        self.display_name.split_whitespace().next()
    }
}

/// The names under which the bot's mention may be rendered in `html` for its own id.
fn own_mention_names(html: &str, own_id: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<spark-mention") {
        rest = &rest[start..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let Some(close) = rest.find("</spark-mention>") else {
            break;
        };
        if close > tag_end && tag.contains(&format!("data-object-id=\"{own_id}\"")) {
            names.push(decode_entities(&rest[tag_end + 1..close]));
        }
        rest = &rest[close + "</spark-mention>".len()..];
    }
    names
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Strips a leading `name` (case-insensitive, whole word) from `text`, returning the rest.
fn strip_leading<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let head = text.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) && head != name {
        return None;
    }
    let rest = &text[name.len()..];
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() || matches!(c, ',' | ':' | '!' | '.' | '?') => Some(rest),
        Some(_) => None,
    }
}

/// The command text of a message with the bot's own mention removed.
pub fn strip_own_mention(text: &str, html: Option<&str>, me: &Identity) -> String {
    let trimmed = text.trim_start();
    let trimmed = trimmed.strip_prefix('@').unwrap_or(trimmed);
    let mut candidates = html
        .map(|h| own_mention_names(h, &me.person_id))
        .unwrap_or_default();
    candidates.push(me.display_name.clone());
    if let Some(first) = me.first_name() {
        candidates.push(first.to_string());
    }
    // Longest first, so "Licensing Bot" wins over "Licensing".
    candidates.sort_by_key(|c| std::cmp::Reverse(c.len()));
    for name in &candidates {
        if let Some(rest) = strip_leading(trimmed, name) {
            return rest.trim_start_matches([',', ':']).trim().to_string();
        }
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Identity {
        Identity {
            person_id: "BOT1".into(),
            emails: vec!["licensing@webex.bot".into()],
            display_name: "Licensing Bot".into(),
        }
    }

    #[test]
    fn the_spark_mention_with_the_bots_own_id_is_removed() {
        let html = r#"<p><spark-mention data-object-type="person" data-object-id="BOT1">Licensing</spark-mention> expire 30</p>"#;
        assert_eq!(
            strip_own_mention("Licensing expire 30", Some(html), &me()),
            "expire 30"
        );
    }

    #[test]
    fn a_mention_of_someone_else_is_kept() {
        let html = r#"<p><spark-mention data-object-type="person" data-object-id="P2">Alice</spark-mention> expire 30</p>"#;
        assert_eq!(
            strip_own_mention("Alice expire 30", Some(html), &me()),
            "Alice expire 30"
        );
    }

    #[test]
    fn without_html_a_leading_display_name_or_first_name_is_removed() {
        assert_eq!(
            strip_own_mention("Licensing Bot usage", None, &me()),
            "usage"
        );
        assert_eq!(strip_own_mention("licensing, usage", None, &me()), "usage");
        assert_eq!(
            strip_own_mention("@Licensing status", None, &me()),
            "status"
        );
    }

    #[test]
    fn a_word_that_only_starts_with_the_name_is_not_a_mention() {
        assert_eq!(
            strip_own_mention("Licensingfoo usage", None, &me()),
            "Licensingfoo usage"
        );
    }

    #[test]
    fn a_message_that_is_only_a_mention_becomes_empty() {
        let html = r#"<spark-mention data-object-type="person" data-object-id="BOT1">Licensing Bot</spark-mention>"#;
        assert_eq!(strip_own_mention("Licensing Bot", Some(html), &me()), "");
    }

    #[test]
    fn a_direct_message_without_mention_is_unchanged() {
        assert_eq!(strip_own_mention("  expire 30 ", None, &me()), "expire 30");
    }
}
