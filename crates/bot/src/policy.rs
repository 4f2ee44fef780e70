//! The access policy applied to every sender: the rules of [`slbot_config::AccessPolicy`]
//! (`SLBOT_ALLOWED_ORG_IDS`, `SLBOT_ALLOWED_EMAIL_DOMAINS`; empty lists mean everyone), plus
//! what the webhook does not say about a sender.
//!
//! The organisation of a sender is not in the webhook, so it comes from `GET /people/{id}`,
//! cached per person for an hour.

use std::time::Duration;

use slbot_config::AccessPolicy;
use slbot_webex::{WebexClient, WebexError};

/// The decision for one sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Refused,
}

/// The configured policy and its cache of person → organisation.
pub struct Policy {
    rules: AccessPolicy,
    people: moka::future::Cache<String, PersonFacts>,
}

/// What the policy needs to know of a person, from `GET /people/{id}`.
#[derive(Debug, Clone)]
struct PersonFacts {
    org_id: Option<String>,
    emails: Vec<String>,
}

impl Policy {
    /// The policy of `rules`, with an empty cache.
    pub fn new(rules: AccessPolicy) -> Self {
        let people = moka::future::Cache::builder()
            .time_to_live(Duration::from_secs(3600))
            .max_capacity(100_000)
            .build();
        Self { rules, people }
    }

    /// Whether this policy lets everyone in.
    pub fn is_open(&self) -> bool {
        !self.rules.restricts_emails() && !self.rules.restricts_orgs()
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
        if self.rules.restricts_emails() {
            let allowed = match email {
                Some(email) => self.rules.email_allowed(email),
                None => self
                    .facts(webex, person_id)
                    .await?
                    .emails
                    .iter()
                    .any(|e| self.rules.email_allowed(e)),
            };
            if !allowed {
                return Ok(Decision::Refused);
            }
        }
        if self.rules.restricts_orgs() {
            let org = self.facts(webex, person_id).await?.org_id;
            if !self.rules.org_allowed(org.as_deref()) {
                return Ok(Decision::Refused);
            }
        }
        Ok(Decision::Allowed)
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
