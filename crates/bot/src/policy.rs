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
    people: moka::future::Cache<String, PersonFacts>,
}

/// What the policy needs to know of a person, from `GET /people/{id}`.
#[derive(Debug, Clone)]
struct PersonFacts {
    org_id: Option<String>,
    emails: Vec<String>,
}

impl Policy {
    /// A policy; `email_domains` are compared case-insensitively, without a leading `@`.
    pub fn new(org_ids: Vec<String>, email_domains: Vec<String>) -> Self {
        let people = moka::future::Cache::builder()
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
            people,
        }
    }

    /// Whether this policy lets everyone in.
    pub fn is_open(&self) -> bool {
        self.org_ids.is_empty() && self.email_domains.is_empty()
    }

    /// Checks a sender. `email` is the one the event carried (messages have it; card submits
    /// do not, and then the person's Webex e-mails are looked up). Webex failing during a
    /// lookup is an error, not a refusal: the caller says so and the person can try again.
    pub async fn check(
        &self,
        webex: &WebexClient,
        person_id: &str,
        email: Option<&str>,
    ) -> Result<Decision, WebexError> {
        if !self.email_domains.is_empty() {
            let allowed = match email {
                Some(email) => self.domain_allowed(email),
                None => self
                    .facts(webex, person_id)
                    .await?
                    .emails
                    .iter()
                    .any(|e| self.domain_allowed(e)),
            };
            if !allowed {
                return Ok(Decision::Refused);
            }
        }
        if !self.org_ids.is_empty() {
            let org = self.facts(webex, person_id).await?.org_id;
            if !org.is_some_and(|o| self.org_ids.contains(&o)) {
                return Ok(Decision::Refused);
            }
        }
        Ok(Decision::Allowed)
    }

    fn domain_allowed(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, d)| self.email_domains.contains(&d.to_ascii_lowercase()))
    }

    /// The person's organisation and e-mails, cached for an hour.
    async fn facts(&self, webex: &WebexClient, person_id: &str) -> Result<PersonFacts, WebexError> {
        if let Some(facts) = self.people.get(person_id).await {
            return Ok(facts);
        }
        let person = webex.get_person(person_id).await?;
        let facts = PersonFacts {
            org_id: person.org_id,
            emails: person.emails,
        };
        self.people
            .insert(person_id.to_string(), facts.clone())
            .await;
        Ok(facts)
    }
}
