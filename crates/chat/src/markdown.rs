//! Webex-markdown building blocks: escaping names, the nested account → VA → row list, and the
//! size rule of reports.md §4 (a message is at most [`MAX_MARKDOWN_BYTES`] UTF-8 bytes).

use std::collections::HashMap;
use std::fmt::Write as _;

/// Webex rejects a `markdown` longer than this many UTF-8 bytes (webex-api.md "Messages").
pub const MAX_MARKDOWN_BYTES: usize = 7439;

/// A name longer than this (in characters, after trimming) is shortened with `…` in chat, so
/// that one absurd name cannot fill a message. Files always carry names in full.
pub(crate) const MAX_NAME_CHARS: usize = 200;

/// Indentation of one list level. Four spaces nest in CommonMark and in classic Markdown alike.
const INDENT: &str = "    ";

/// A name as chat shows it: trimmed ([`NO_NAME`] when nothing is left), line breaks made
/// spaces, shortened past
/// `MAX_NAME_CHARS`, and `\`, `*`, `_`, `[`, `]` and backticks escaped with a backslash.
/// (The backslash itself is escaped too, or a name ending in one would swallow the `**`
/// that closes it.)
pub fn name(raw: &str) -> String {
    name_within(raw, MAX_NAME_CHARS)
}

/// What chat shows for an empty (or all-blank) name, so that no list item is left empty.
pub const NO_NAME: &str = "(no name)";

/// [`name`] with a smaller length cap (status shortens names further if it must).
pub(crate) fn name_within(raw: &str, max_chars: usize) -> String {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return NO_NAME.to_string();
    }
    let mut out = String::with_capacity(trimmed.len() + 8);
    for (i, c) in trimmed.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        match c {
            '\\' | '*' | '_' | '[' | ']' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The footer of a shortened message (reports.md §4).
pub fn footer(more: usize) -> String {
    format!("…and {more} more. The full list is attached.")
}

/// One virtual-account group of a nested list (or an account group when there is no VA level,
/// or bare rows when there is no account level either). Texts are complete list-item texts,
/// already escaped (the caller decides what is bold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// The account's list item.
    pub account: Option<String>,
    /// Whether this is the account's first group (its account line is written).
    pub new_account: bool,
    /// The VA's list item.
    pub va: Option<String>,
    /// The rows' list items, in report order.
    pub rows: Vec<String>,
}

impl Group {
    /// The list-item depth of this group's rows.
    fn row_depth(&self) -> usize {
        usize::from(self.account.is_some()) + usize::from(self.va.is_some())
    }
}

/// How [`group_rows`] sees a row: keys that identify its account and VA, and their texts.
pub(crate) struct RowPlace {
    pub account_key: (String, String),
    pub account: String,
    pub va_key: String,
    pub va: String,
}

/// Groups rows by account, then VA, in the order of each group's first row (reports.md §4);
/// rows keep their order inside a group.
pub(crate) fn group_rows<T>(
    rows: &[T],
    place: impl Fn(&T) -> RowPlace,
    text: impl Fn(&T) -> String,
) -> Vec<Group> {
    struct Account {
        text: String,
        vas: Vec<(String, Vec<String>)>,
        va_index: HashMap<String, usize>,
    }
    let mut accounts: Vec<Account> = Vec::new();
    let mut account_index: HashMap<(String, String), usize> = HashMap::new();
    for row in rows {
        let p = place(row);
        let a = *account_index.entry(p.account_key).or_insert_with(|| {
            accounts.push(Account {
                text: p.account,
                vas: Vec::new(),
                va_index: HashMap::new(),
            });
            accounts.len() - 1
        });
        let account = &mut accounts[a];
        let v = *account.va_index.entry(p.va_key).or_insert_with(|| {
            account.vas.push((p.va, Vec::new()));
            account.vas.len() - 1
        });
        account.vas[v].1.push(text(row));
    }
    let mut groups = Vec::new();
    for account in accounts {
        for (i, (va, rows)) in account.vas.into_iter().enumerate() {
            groups.push(Group {
                account: Some(account.text.clone()),
                new_account: i == 0,
                va: Some(va),
                rows,
            });
        }
    }
    groups
}

/// Writes one group (the account line only for the account's first group, or when `force`).
fn write_group(out: &mut String, group: &Group, force_account: bool, rows: &[String]) {
    let mut depth = 0;
    if let Some(account) = &group.account {
        if group.new_account || force_account {
            let _ = writeln!(out, "* {account}");
        }
        depth += 1;
    }
    if let Some(va) = &group.va {
        let _ = writeln!(out, "{}* {va}", INDENT.repeat(depth));
    }
    let indent = INDENT.repeat(group.row_depth());
    for row in rows {
        let _ = writeln!(out, "{indent}* {row}");
    }
}

/// A message that may have been shortened by the size rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fitted {
    pub markdown: String,
    /// Rows left out (0 when everything fits).
    pub more: usize,
}

/// Applies the size rule to `head` (headline and partial line, each ending in `\n`) followed by
/// `groups`: everything if it fits in `limit` bytes; otherwise whole groups while the message
/// with its footer fits, or, when even the first group does not fit, that group's rows while
/// they fit; then a blank line and the footer with the number of rows left out.
pub(crate) fn fit(head: &str, groups: &[Group], limit: usize) -> Fitted {
    fit_with_hidden(head, groups, 0, limit)
}

/// [`fit`] when `hidden` rows were already left out of `groups` (a top N per group): they are
/// counted in the footer, which is then always written.
pub(crate) fn fit_with_hidden(head: &str, groups: &[Group], hidden: usize, limit: usize) -> Fitted {
    let total: usize = groups.iter().map(|g| g.rows.len()).sum::<usize>() + hidden;
    let mut full = head.to_string();
    for group in groups {
        write_group(&mut full, group, false, &group.rows);
    }
    if hidden == 0 && full.trim_end().len() <= limit {
        return Fitted {
            markdown: full.trim_end().to_string(),
            more: 0,
        };
    }
    if hidden > 0 && full.len() + 1 + footer(hidden).len() <= limit {
        full.push('\n');
        full.push_str(&footer(hidden));
        return Fitted {
            markdown: full,
            more: hidden,
        };
    }

    // `out` always ends in "\n"; the footer goes after a blank line so it is not list text.
    let with_footer = |out: &str, more: usize| out.len() + 1 + footer(more).len();
    let mut out = head.to_string();
    let mut shown = 0;
    for group in groups {
        let mut candidate = out.clone();
        write_group(&mut candidate, group, false, &group.rows);
        let more = total - shown - group.rows.len();
        if with_footer(&candidate, more) > limit {
            break;
        }
        out = candidate;
        shown += group.rows.len();
    }
    if shown == 0 {
        if let Some(first) = groups.first() {
            // Cut inside the first group at a row.
            let mut rows = 0;
            while rows < first.rows.len() {
                let mut candidate = head.to_string();
                write_group(&mut candidate, first, true, &first.rows[..=rows]);
                if with_footer(&candidate, total - rows - 1) > limit {
                    break;
                }
                rows += 1;
            }
            if rows > 0 {
                out = head.to_string();
                write_group(&mut out, first, true, &first.rows[..rows]);
                shown = rows;
            }
        }
    }
    let more = total - shown;
    out.push('\n');
    out.push_str(&footer(more));
    Fitted {
        markdown: out,
        more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_markdown_characters_escaped() {
        assert_eq!(name("  DNA Advantage  "), "DNA Advantage");
        assert_eq!(name("a*b_c[d]e`f\\g"), "a\\*b\\_c\\[d\\]e\\`f\\\\g");
        assert_eq!(name("two\nlines"), "two lines");
        assert_eq!(name("   "), "(no name)");
        assert_eq!(name(&"é".repeat(250)).chars().count(), 201);
    }

    fn group(account: &str, new_account: bool, va: &str, rows: &[&str]) -> Group {
        Group {
            account: Some(format!("**{account}**")),
            new_account,
            va: Some(va.into()),
            rows: rows.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn groups_nest_account_then_va_then_rows_and_an_account_is_written_once() {
        let fitted = fit(
            "**H:**\n",
            &[
                group("A", true, "V1", &["r1", "r2"]),
                group("A", false, "V2", &["r3"]),
                group("B", true, "V1", &["r4"]),
            ],
            MAX_MARKDOWN_BYTES,
        );
        assert_eq!(
            fitted.markdown,
            "**H:**\n* **A**\n    * V1\n        * r1\n        * r2\n    * V2\n        * r3\n\
             * **B**\n    * V1\n        * r4"
        );
        assert_eq!(fitted.more, 0);
    }

    #[test]
    fn rows_are_grouped_in_the_order_of_each_groups_first_row() {
        let rows = [("B", "x", 1), ("A", "y", 2), ("B", "z", 3), ("B", "x", 4)];
        let groups = group_rows(
            &rows,
            |r| RowPlace {
                account_key: (r.0.into(), String::new()),
                account: format!("**{}**", r.0),
                va_key: r.1.into(),
                va: r.1.into(),
            },
            |r| r.2.to_string(),
        );
        assert_eq!(
            groups,
            vec![
                group("B", true, "x", &["1", "4"]),
                group("B", false, "z", &["3"]),
                group("A", true, "y", &["2"]),
            ]
        );
    }
}
