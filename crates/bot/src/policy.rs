//! The access policy: who may use the bot (`SLBOT_ALLOWED_ORG_IDS`, `SLBOT_ALLOWED_EMAIL_DOMAINS`).
//!
//! Empty lists mean everyone. The organisation of a sender is not in the webhook, so it comes
//! from `GET /people/{id}`, cached per person for an hour.

use std::time::Duration;

use slbot_webex::{WebexClient, WebexError};

/// The decision for one sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Refused,
}

/// The configured policy and its cache of person → organisation.
pub struct Policy {
    org_ids: Vec<String>,
    email_domains: Vec<String>,
    orgs: moka::future::Cache<String, Option<String>>,
}

impl Policy {
    /// A policy; `email_domains` are compared case-insensitively, without a leading `@`.
    pub fn new(org_ids: Vec<String>, email_domains: Vec<String>) -> Self {
        let orgs = moka::future::Cache::builder()
            .time_to_live(Duration::from_secs(3600))
            .max_capacity(100_000)
            .build();
        let email_domains = email_domains
            .into_iter()
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect();
        Self {
            org_ids,
            email_domains,
            orgs,
        }
    }

    /// Whether this policy lets everyone in.
    pub fn is_open(&self) -> bool {
        self.org_ids.is_empty() && self.email_domains.is_empty()
    }

    /// Checks a sender. Webex failing while the organisation is looked up is an error, not a
    /// refusal: the caller says so and the person can try again.
    pub async fn check(
        &self,
        webex: &WebexClient,
        person_id: &str,
        email: Option<&str>,
    ) -> Result<Decision, WebexError> {
        if !self.email_domains.is_empty() {
            let domain = email
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase());
            if !domain.is_some_and(|d| self.email_domains.contains(&d)) {
                return Ok(Decision::Refused);
            }
        }
        if !self.org_ids.is_empty() {
            let org = match self.orgs.get(person_id).await {
                Some(org) => org,
                None => {
                    let org = webex.get_person(person_id).await?.org_id;
                    self.orgs.insert(person_id.to_string(), org.clone()).await;
                    org
                }
            };
            if !org.is_some_and(|o| self.org_ids.contains(&o)) {
                return Ok(Decision::Refused);
            }
        }
        Ok(Decision::Allowed)
    }
}
