//! Webex markdown mentions (`<@personId:ID|Name>`, `<@personEmail:EMAIL|Name>`, `<@all>`) turned
//! into the `text`, `html` and `mentionedPeople` a reader of the message gets back.
//!
//! Only mentions are rendered into `html`; other markdown is escaped, not formatted.

use slbot_html::escape;

use crate::model::World;

/// What a message body looks like to readers.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub text: String,
    pub html: String,
    pub mentioned_people: Vec<String>,
    pub mentioned_groups: Vec<String>,
}

enum Piece<'a> {
    Literal(&'a str),
    Person { id: String, name: String },
    All,
}

/// Renders `markdown`, resolving mentions against the people of `world`. A mention of an unknown
/// person stays literal text.
pub(crate) fn render(markdown: &str, world: &World) -> Rendered {
    let mut out = Rendered::default();
    let mut html = String::from("<p>");
    for piece in pieces(markdown, world) {
        match piece {
            Piece::Literal(s) => {
                out.text.push_str(s);
                html.push_str(&escape(s));
            }
            Piece::Person { id, name } => {
                out.text.push_str(&name);
                html.push_str(&format!(
                    "<spark-mention data-object-type=\"person\" data-object-id=\"{}\">{}</spark-mention>",
                    escape(&id),
                    escape(&name)
                ));
                if !out.mentioned_people.contains(&id) {
                    out.mentioned_people.push(id);
                }
            }
            Piece::All => {
                out.text.push_str("All");
                html.push_str(
                    "<spark-mention data-object-type=\"groupMention\" data-group-type=\"all\">All</spark-mention>",
                );
                if out.mentioned_groups.is_empty() {
                    out.mentioned_groups.push("all".to_owned());
                }
            }
        }
    }
    html.push_str("</p>");
    out.html = html;
    out
}

fn pieces<'a>(markdown: &'a str, world: &World) -> Vec<Piece<'a>> {
    let mut pieces = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("<@") {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let Some(piece) = mention(inner, world) else {
            // Not a mention: keep "<@" literally and look further.
            pieces.push(Piece::Literal(&rest[..start + 2]));
            rest = &rest[start + 2..];
            continue;
        };
        if start > 0 {
            pieces.push(Piece::Literal(&rest[..start]));
        }
        pieces.push(piece);
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    pieces
}

fn mention<'a>(inner: &str, world: &World) -> Option<Piece<'a>> {
    if inner == "all" {
        return Some(Piece::All);
    }
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(l)),
        None => (inner, None),
    };
    let (kind, value) = target.split_once(':')?;
    let person = match kind {
        "personId" => world.person(value),
        "personEmail" => world.person_by_email(value),
        _ => None,
    }?;
    Some(Piece::Person {
        id: person.id.clone(),
        name: label.unwrap_or(&person.display_name).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::model::{Person, PersonType};

    fn world_with(id: &str, email: &str, name: &str) -> World {
        let mut w = World::new("app".into());
        w.people.push(Person {
            id: id.into(),
            email: email.into(),
            display_name: name.into(),
            org_id: "org".into(),
            kind: PersonType::Bot,
            created: Utc::now(),
        });
        w
    }

    #[test]
    fn a_mention_by_id_becomes_a_spark_mention_and_the_label_in_text() {
        let w = world_with("P1", "bot@webex.bot", "Licensing Bot");
        let r = render("<@personId:P1|Licensing> expire 30", &w);
        assert_eq!(r.text, "Licensing expire 30");
        assert_eq!(
            r.html,
            "<p><spark-mention data-object-type=\"person\" data-object-id=\"P1\">Licensing</spark-mention> expire 30</p>"
        );
        assert_eq!(r.mentioned_people, vec!["P1".to_owned()]);
    }

    #[test]
    fn a_mention_by_email_without_label_uses_the_display_name() {
        let w = world_with("P1", "bot@webex.bot", "Licensing Bot");
        let r = render("hi <@personEmail:BOT@webex.bot>!", &w);
        assert_eq!(r.text, "hi Licensing Bot!");
        assert_eq!(r.mentioned_people, vec!["P1".to_owned()]);
    }

    #[test]
    fn unknown_mentions_and_stray_brackets_stay_literal_and_are_escaped() {
        let w = world_with("P1", "bot@webex.bot", "Licensing Bot");
        let r = render("a <@personId:nobody> b <@ c", &w);
        assert_eq!(r.text, "a <@personId:nobody> b <@ c");
        assert_eq!(r.html, "<p>a &lt;@personId:nobody&gt; b &lt;@ c</p>");
        assert!(r.mentioned_people.is_empty());
    }
}
