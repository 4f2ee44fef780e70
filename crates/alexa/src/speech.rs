//! What Alexa says: sentences rendered as SSML (escaped), and the same text for the card,
//! within Amazon's limits (alexa.md §2: speech ≤ 8,000 characters, card text ≤ 8,000).

use crate::model::OutputSpeech;

/// The most characters of SSML one answer may speak.
pub const MAX_SPEECH_CHARS: usize = 8000;
/// The most characters of a card's text.
pub const MAX_CARD_CHARS: usize = 8000;
/// Licence, account and VA names are cut to this many characters when spoken.
pub const MAX_SPOKEN_NAME_CHARS: usize = 80;

/// Sentences to speak, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Speech {
    sentences: Vec<String>,
}

impl Speech {
    /// Speech of one sentence.
    pub fn new(sentence: impl Into<String>) -> Self {
        Self::default().then(sentence)
    }

    /// Adds a sentence.
    pub fn then(mut self, sentence: impl Into<String>) -> Self {
        let sentence = sentence.into();
        if !sentence.trim().is_empty() {
            self.sentences.push(sentence.trim().to_string());
        }
        self
    }

    /// The sentences as they were given.
    pub fn sentences(&self) -> &[String] {
        &self.sentences
    }

    /// The text for a card: the sentences joined by spaces.
    pub fn plain(&self) -> String {
        self.sentences.join(" ")
    }

    /// `<speak>…</speak>` with every sentence escaped. Sentences that would take the SSML past
    /// [`MAX_SPEECH_CHARS`] are left out (the first one is cut instead if it alone is too long).
    pub fn ssml(&self) -> String {
        const OPEN: &str = "<speak>";
        const CLOSE: &str = "</speak>";
        let budget = MAX_SPEECH_CHARS - OPEN.len() - CLOSE.len();
        let mut body = String::new();
        let mut used = 0;
        for (i, sentence) in self.sentences.iter().enumerate() {
            let escaped = escape(sentence);
            let cost = escaped.chars().count() + usize::from(i > 0);
            if used + cost > budget {
                if i == 0 {
                    body = escape(&truncate_chars(sentence, budget / 6));
                }
                break;
            }
            if i > 0 {
                body.push(' ');
            }
            body.push_str(&escaped);
            used += cost;
        }
        format!("{OPEN}{body}{CLOSE}")
    }

    /// The `outputSpeech` object.
    pub fn output(&self) -> OutputSpeech {
        OutputSpeech::Ssml { ssml: self.ssml() }
    }
}

/// Escapes the five XML special characters.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The first `max` characters of `text`, with "…" when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A name as spoken: trimmed and cut to [`MAX_SPOKEN_NAME_CHARS`].
pub fn spoken_name(name: &str) -> String {
    truncate_chars(name.trim(), MAX_SPOKEN_NAME_CHARS)
}

/// "1 license line" / "3 license lines" (the same rule as the chat's counts, which live in a
/// crate the skill does not depend on).
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_xml_characters_are_escaped_in_the_ssml_but_not_in_the_card() {
        let speech = Speech::new("Cisco <DNA> & \"Advantage\" isn't short.");
        assert_eq!(
            speech.ssml(),
            "<speak>Cisco &lt;DNA&gt; &amp; &quot;Advantage&quot; isn&apos;t short.</speak>"
        );
        assert_eq!(speech.plain(), "Cisco <DNA> & \"Advantage\" isn't short.");
    }

    #[test]
    fn sentences_past_the_speech_limit_are_left_out_whole() {
        let long = "a".repeat(3000);
        let speech = Speech::new(long.clone())
            .then(long.clone())
            .then(long.clone());
        let ssml = speech.ssml();
        assert!(ssml.chars().count() <= MAX_SPEECH_CHARS);
        assert_eq!(ssml, format!("<speak>{long} {long}</speak>"));
    }

    #[test]
    fn a_single_sentence_longer_than_the_limit_is_cut_rather_than_dropped() {
        let speech = Speech::new("&".repeat(9000));
        let ssml = speech.ssml();
        assert!(ssml.chars().count() <= MAX_SPEECH_CHARS, "{}", ssml.len());
        assert!(ssml.starts_with("<speak>&amp;"));
        assert!(ssml.ends_with("…</speak>"));
    }

    #[test]
    fn counts_say_one_in_the_singular_and_control_characters_are_not_spoken() {
        assert_eq!(count(1, "licence", "licences"), "1 licence");
        assert_eq!(count(0, "licence", "licences"), "0 licences");
        assert_eq!(escape("a\u{7}b"), "a b");
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
        assert_eq!(spoken_name("  short  "), "short");
    }
}
