//! The Alexa custom skill (alexa.md): everything about Alexa that does not need the bot.
//!
//! Layout:
//! - [`model`]: the request and response JSON (only what the skill reads and writes).
//! - [`verify`]: the checks Amazon requires of a self-hosted endpoint, with the trust anchors,
//!   the certificate fetcher, the clock and the skill ids injected.
//! - [`duration`]: the AMAZON.DURATION slot (ISO 8601) as a number of days from a date.
//! - [`speech`]: SSML with escaping and Amazon's length limits.
//! - `sim` (feature `sim`): a simulated Alexa with its own test CA, for tests and the demo.
//! - [`skill`]: which request needs the person's licences, and the spoken summary of a report.

pub mod duration;
pub mod model;
#[cfg(feature = "sim")]
pub mod sim;
pub mod skill;
#[cfg(test)]
mod skill_tests;
pub mod speech;
pub mod verify;
