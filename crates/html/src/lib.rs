//! HTML escaping, the one copy for every server-rendered page: the backend's sign-in pages,
//! the SSO simulator's login form and the Webex simulator's message `html`.
//!
//! It is its own crate because those crates must not depend on each other: the backend is
//! production code and the simulators are not to be used by it, and neither simulator depends
//! on the other. No dependencies.
//!
//! Must not: know about any page or template; it escapes text, nothing more.

/// Escapes text for an HTML element or a double-quoted attribute value: `&`, `<`, `>` and `"`
/// become entities, everything else stays as typed.
///
/// `'` is kept (the backend's choice, now everyone's): every attribute our pages write is
/// double-quoted, so it is harmless there, and texts such as "You're signed in" stay readable in
/// the page source. Never put the result in a single-quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn the_four_special_characters_become_entities_and_an_apostrophe_stays() {
        assert_eq!(
            escape("<a href=\"x\">You're &</a>"),
            "&lt;a href=&quot;x&quot;&gt;You're &amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn other_text_and_existing_entities_are_escaped_once_and_unicode_is_kept() {
        assert_eq!(escape("Zoë · 10 € &amp;"), "Zoë · 10 € &amp;amp;");
        assert_eq!(escape(""), "");
    }
}
