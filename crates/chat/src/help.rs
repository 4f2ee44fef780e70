//! The `help` reply, generated from the command table so it can never drift from the parser.

use crate::command::COMMANDS;

/// The help message (Webex markdown): one line per command with its other accepted forms, then
/// how filters are written.
pub fn help_markdown() -> String {
    let mut out = String::from("**Here is what I can do:**\n");
    for spec in COMMANDS {
        let mut forms = spec.forms.iter().map(|f| f.text).filter(|t| !t.is_empty());
        let Some(first) = forms.next() else { continue };
        out.push_str(&format!("* `{first}`: {}", spec.summary));
        let others: Vec<String> = forms.map(|t| format!("`{t}`")).collect();
        if !others.is_empty() {
            out.push_str(&format!(" (also {})", others.join(", ")));
        }
        out.push('\n');
    }
    out.push_str(
        "\nAdd `va:NAME` or `account:NAME` to a report to narrow it, several separated by \
         commas and names with spaces in quotes, for example \
         `expire 90 va:DEFAULT,\"Shared Services\"`.",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::expand;
    use crate::parse::parse;

    /// A form's pattern with each placeholder replaced by a valid example.
    fn examples(pattern: &'static str) -> Vec<String> {
        expand(pattern)
            .into_iter()
            .map(|words| {
                words
                    .iter()
                    .map(|w| match *w {
                        "N" => "3",
                        "CODE" => "123456",
                        "HH:MM" => "07:30",
                        "Area/City" => "Europe/Paris",
                        "Nd" => "30d",
                        "YYYY-MM-DD" => "2026-11-01",
                        "LICENSE" => "AnyConnect Apex",
                        literal => literal,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn help_names_every_form_the_parser_accepts_and_every_one_parses() {
        let help = help_markdown();
        for spec in COMMANDS {
            for form in spec.forms.iter().filter(|f| !f.text.is_empty()) {
                assert!(help.contains(&format!("`{}`", form.text)), "{}", form.text);
                for example in examples(form.text).iter().filter(|e| *e != "?") {
                    assert_eq!(parse(example).map(|c| c.kind()), Ok(spec.kind), "{example}");
                }
            }
        }
        assert!(help.starts_with("**Here is what I can do:**\n* `help`: this list"));
        assert!(help.len() < 7439);
    }

    #[test]
    fn the_readme_lists_every_command_exactly_as_help_does() {
        let readme = include_str!("../../../README.md");
        let (start_marker, end_marker) = ("<!-- commands:start -->\n", "<!-- commands:end -->");
        let start = readme
            .find(start_marker)
            .expect("README has the commands:start marker")
            + start_marker.len();
        let end = readme
            .find(end_marker)
            .expect("README has the commands:end marker");
        let help = help_markdown();
        let expected = help
            .strip_prefix("**Here is what I can do:**\n")
            .expect("help starts with its headline");
        assert_eq!(
            readme[start..end].trim_end(),
            expected.trim_end(),
            "README.md's command list differs from the grammar; put this between the markers:\n{expected}"
        );
    }
}
