//! `Link` pagination: [`WebexClient::list_all`] reads every page of a list, following
//! `rel="next"` links (RFC 8288) and putting back the query parameters Webex's links drop.

use std::collections::HashSet;

use reqwest::header::LINK;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// A list never has more pages than this; a server that says otherwise is looping.
const MAX_PAGES: usize = 1000;

impl WebexClient {
    /// Every item of a paged list: `GET` the first page with `query`, then follow
    /// `Link: <…>; rel="next"` until there is none.
    ///
    /// Webex's next links can drop query parameters (webex-api.md "Limits, pagination"), so
    /// each original parameter the link lacks is added back. A next link to another scheme,
    /// host or port is refused rather than sent the token.
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<T>, WebexError> {
        let mut url = self.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            seen.insert(url.to_string());
            let page = self.call(Method::GET, url.clone(), &Body::Empty).await?;
            let list: ItemList<T> = page.decode()?;
            items.extend(list.items);
            let links = page
                .headers
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok());
            let Some(link) = next_link(links) else {
                return Ok(items);
            };
            let next = rebuild_next(&url, &link, query).map_err(|r| page.bad_data(r))?;
            if next.origin() != self.base_url().origin() {
                return Err(page.bad_data(format!(
                    "the next-page link points to another server ({})",
                    next.origin().ascii_serialization()
                )));
            }
            if seen.contains(next.as_str()) {
                return Err(page.bad_data("the next-page link repeats an earlier page".into()));
            }
            url = next;
        }
        Err(WebexError::BadData {
            endpoint: format!("GET {}", url.path()),
            reason: format!("more than {MAX_PAGES} pages"),
            tracking_id: None,
        })
    }
}

/// A list page. `items` is required: a page without it is [`WebexError::BadData`], not an
/// empty list, so a broken answer never reads as "nothing registered".
#[derive(Deserialize)]
struct ItemList<T> {
    items: Vec<T>,
}

/// The target of the first `rel="next"` link in any of the `Link` header values (RFC 8288).
pub(crate) fn next_link<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    for value in values {
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('>') else {
                break;
            };
            let target = &after[..close];
            let tail = &after[close + 1..];
            // This link's parameters run until a comma that starts the next `<…>` link.
            let end = tail
                .match_indices(',')
                .map(|(i, _)| i)
                .find(|&i| tail[i + 1..].trim_start().starts_with('<'))
                .unwrap_or(tail.len());
            let is_next = tail[..end].split(';').any(|param| {
                param.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("rel")
                        && v.trim()
                            .trim_matches('"')
                            .split_whitespace()
                            .any(|r| r.eq_ignore_ascii_case("next"))
                })
            });
            if is_next {
                return Some(target.trim().to_string());
            }
            rest = &tail[end..];
        }
    }
    None
}

/// The next page's URL: `link` resolved against the current page, with every `original` query
/// parameter the link dropped added back.
pub(crate) fn rebuild_next(
    current: &Url,
    link: &str,
    original: &[(&str, String)],
) -> Result<Url, String> {
    let mut next = current
        .join(link)
        .map_err(|e| format!("the next-page link is not a URL: {e}"))?;
    let present: HashSet<String> = next.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let missing: Vec<(&str, &str)> = original
        .iter()
        .filter(|(k, _)| !present.contains(*k))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    if !missing.is_empty() {
        next.query_pairs_mut().extend_pairs(missing);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_several_and_in_any_case() {
        let header = r#"<https://webexapis.com/v1/memberships?cursor=a,b>; rel="prev", <https://webexapis.com/v1/memberships?cursor=c>; rel="next""#;
        assert_eq!(
            next_link([header].into_iter()).as_deref(),
            Some("https://webexapis.com/v1/memberships?cursor=c")
        );
        assert_eq!(
            next_link(["<https://x/v1/a?p=2>; REL=next"].into_iter()).as_deref(),
            Some("https://x/v1/a?p=2")
        );
        assert_eq!(
            next_link(
                [
                    "<https://x/a>; rel=\"first\"",
                    "<https://x/b>; rel=\"prev next\""
                ]
                .into_iter()
            )
            .as_deref(),
            Some("https://x/b")
        );
    }

    #[test]
    fn no_next_link_means_the_last_page() {
        assert_eq!(next_link(["<https://x/a>; rel=\"prev\""].into_iter()), None);
        assert_eq!(next_link(["garbage"].into_iter()), None);
        assert_eq!(next_link(["<unterminated; rel=next"].into_iter()), None);
        assert_eq!(next_link(std::iter::empty()), None);
    }

    #[test]
    fn a_next_link_that_dropped_parameters_gets_the_original_ones_back() {
        let current = Url::parse("https://webexapis.com/v1/memberships?roomId=R1&max=2").unwrap();
        let original = [("roomId", "R1".to_string()), ("max", "2".to_string())];
        let next = rebuild_next(
            &current,
            "https://webexapis.com/v1/memberships?cursor=abc",
            &original,
        )
        .unwrap();
        let pairs: Vec<(String, String)> = next.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("cursor".to_string(), "abc".to_string()),
                ("roomId".to_string(), "R1".to_string()),
                ("max".to_string(), "2".to_string()),
            ]
        );
    }

    #[test]
    fn a_next_link_that_kept_its_parameters_is_not_changed() {
        let current = Url::parse("https://webexapis.com/v1/memberships?roomId=R1").unwrap();
        let original = [("roomId", "R1".to_string())];
        let link = "https://webexapis.com/v1/memberships?roomId=R1&cursor=abc";
        let next = rebuild_next(&current, link, &original).unwrap();
        assert_eq!(next.as_str(), link);
    }

    #[test]
    fn a_relative_next_link_is_resolved_against_the_current_page() {
        let current = Url::parse("http://127.0.0.1:9/v1/webhooks?max=1").unwrap();
        let next = rebuild_next(&current, "/v1/webhooks?page=2", &[("max", "1".into())]).unwrap();
        assert_eq!(next.as_str(), "http://127.0.0.1:9/v1/webhooks?page=2&max=1");
    }
}
