//! Who may use slbot: `SLBOT_ALLOWED_EMAIL_DOMAINS` and `SLBOT_ALLOWED_ORG_IDS` (empty =
//! everyone). The rules only: the backend applies them at sign-in, the bot to every sender
//! (`slbot_bot::policy` adds the Webex lookup of a person's organisation and its cache).

/// The access policy (sign-in and bot). Domains match exactly (case-insensitive); a subdomain
/// is a different domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    email_domains: Vec<String>,
    org_ids: Vec<String>,
}

impl AccessPolicy {
    /// A policy; domains are trimmed, lower-cased and lose a leading `@`, blank items are
    /// dropped.
    pub fn new(email_domains: Vec<String>, org_ids: Vec<String>) -> Self {
        Self {
            email_domains: email_domains
                .into_iter()
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            org_ids: org_ids
                .into_iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }

    /// The allowed e-mail domains (lower-cased; empty = all).
    pub fn email_domains(&self) -> &[String] {
        &self.email_domains
    }

    /// The allowed organisation ids (empty = all).
    pub fn org_ids(&self) -> &[String] {
        &self.org_ids
    }

    /// Whether the e-mail's domain is allowed.
    pub fn email_allowed(&self, email: &str) -> bool {
        if self.email_domains.is_empty() {
            return true;
        }
        match email.trim().rsplit_once('@') {
            Some((_, domain)) => {
                let domain = domain.to_ascii_lowercase();
                self.email_domains.contains(&domain)
            }
            None => false,
        }
    }

    /// Whether e-mail domains are restricted at all (saves a Webex call when not).
    pub fn restricts_emails(&self) -> bool {
        !self.email_domains.is_empty()
    }

    /// Whether organisation ids are restricted at all (saves a Webex call when not).
    pub fn restricts_orgs(&self) -> bool {
        !self.org_ids.is_empty()
    }

    /// Whether a person of organisation `org_id` is allowed.
    pub fn org_allowed(&self, org_id: Option<&str>) -> bool {
        if self.org_ids.is_empty() {
            return true;
        }
        org_id.is_some_and(|o| self.org_ids.iter().any(|a| a == o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_policy_lets_everyone_in() {
        let p = AccessPolicy::default();
        assert!(p.email_allowed("anyone@anywhere.example"));
        assert!(p.org_allowed(None));
    }

    #[test]
    fn domains_match_exactly_and_without_regard_to_case() {
        let p = AccessPolicy::new(vec!["@Example.com".into()], vec![]);
        assert!(p.email_allowed("ana@EXAMPLE.com"));
        assert!(!p.email_allowed("ana@sub.example.com"));
        assert!(!p.email_allowed("ana@example.com.evil.net"));
        assert!(!p.email_allowed("no-at-sign"));
    }

    #[test]
    fn an_org_list_refuses_other_and_unknown_orgs() {
        let p = AccessPolicy::new(vec![], vec!["ORG1".into()]);
        assert!(p.org_allowed(Some("ORG1")));
        assert!(!p.org_allowed(Some("ORG2")));
        assert!(!p.org_allowed(None));
    }
}
