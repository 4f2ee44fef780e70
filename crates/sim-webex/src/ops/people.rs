//! People and tokens: creating a person (or bot), issuing and checking access tokens, and
//! reading people as Webex JSON.

use secrecy::SecretString;
use serde_json::Value;

use super::person_not_found;
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::model::{Person, PersonType};
use crate::state::SimState;

/// A person to create through [`SimState::create_person`].
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: String,
    pub display_name: String,
    /// `None`: [`crate::SimConfig::default_org_id`].
    pub org_id: Option<String>,
    pub kind: PersonType,
}

impl SimState {
    /// Creates a person (or bot); e-mail addresses are unique.
    pub fn create_person(&self, new: NewPerson) -> Result<String, ApiError> {
        if new.email.trim().is_empty() || !new.email.contains('@') {
            return Err(ApiError::bad("email must be an e-mail address."));
        }
        if new.display_name.trim().is_empty() {
            return Err(ApiError::bad("displayName must not be empty."));
        }
        let now = self.now();
        let org_id = new
            .org_id
            .unwrap_or_else(|| self.inner.cfg.default_org_id.clone());
        self.write(|s| {
            if s.world.person_by_email(&new.email).is_some() {
                return Err(ApiError::Conflict(format!(
                    "A person with the e-mail address {} already exists.",
                    new.email
                )));
            }
            let id = ids::new_id(Kind::People);
            s.world.people.push(Person {
                id: id.clone(),
                email: new.email,
                display_name: new.display_name,
                org_id,
                kind: new.kind,
                created: now,
            });
            Ok(id)
        })
    }

    /// The id of the person with this e-mail address (case-insensitive).
    pub fn person_id_by_email(&self, email: &str) -> Option<String> {
        self.lock()
            .world
            .person_by_email(email)
            .map(|p| p.id.clone())
    }

    /// A new access token acting as `person_id` (earlier tokens stay valid).
    pub fn issue_token(&self, person_id: &str) -> Result<SecretString, ApiError> {
        self.write(|s| {
            if s.world.person(person_id).is_none() {
                return Err(person_not_found());
            }
            let token = ids::new_token();
            s.world
                .tokens
                .insert(ids::token_digest(&token), person_id.to_owned());
            Ok(SecretString::from(token))
        })
    }

    /// The person a token acts as.
    pub(crate) fn authenticate(&self, token: &str) -> Option<String> {
        let digest = ids::token_digest(token);
        self.lock().world.tokens.get(&digest).cloned()
    }

    pub(crate) fn person_json(&self, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        shared
            .world
            .person(id)
            .map(Person::render)
            .ok_or_else(person_not_found)
    }

    pub(crate) fn people_json(&self, email: Option<&str>) -> Vec<Value> {
        let shared = self.lock();
        shared
            .world
            .people
            .iter()
            .filter(|p| email.is_none_or(|e| p.email.eq_ignore_ascii_case(e)))
            .map(Person::render)
            .collect()
    }

    /// Display names used to build a mention (control API `say`).
    pub(crate) fn first_name(&self, person: &str) -> Result<String, ApiError> {
        let shared = self.lock();
        shared
            .world
            .person(person)
            .map(|p| p.first_name().to_owned())
            .ok_or_else(person_not_found)
    }
}
