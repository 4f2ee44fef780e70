//! `slbot demo`: the whole product in one process — the Cisco SSO, CSSM and Webex simulators,
//! the backend and the bot — wired over real HTTP on loopback, plus a Webex-like web chat.
//!
//! Everything a browser uses is on one address (DESIGN.md "Defaults and scale"): the backend's
//! pages at `/`, the SSO simulator under `/sso`, the Webex simulator under `/webex` (its API at
//! `/webex/v1`), the CSSM simulator under `/cssm` and the web chat at `/chat` and the simulated Alexa at `/alexa-sim`. Only the bot
//! listens on a port of its own (loopback, chosen by the system), where the Webex simulator
//! delivers its signed webhooks, registered exactly as in production
//! ([`slbot_webex::ensure_webhooks`]).
//!
//! Layout:
//! - [`options`]: [`DemoOptions`], what the command line chooses.
//! - [`run`]: [`start`] → [`DemoHandle`] (the URL, the data folder, [`DemoHandle::shutdown`]).
//! - [`secrets`]: the generated secrets, kept in the data folder (mode 0600).
//! - [`people`]: the demo people, the bot person and their spaces in the Webex simulator.
//! - [`history`]: five weekly past points per demo person in the bot store, drifted from the
//!   CSSM simulator's data, so the history reports have a past.
//! - [`chat`]: the web chat (HTML, CSS and JavaScript embedded in the binary).
//! - [`alexa`]: the Alexa panel at `/alexa-sim`, a simulated Alexa (its own test CA) that links
//!   the skill through the backend and sends signed requests to the bot's `POST /alexa`.
//! - [`error`]: [`DemoError`], by who can act on it.
//!
//! Must not: read the environment (settings of the parts are built here and handed over typed),
//! reach anything but loopback, print or log a secret, or write outside the data folder.

pub mod alexa;
pub mod chat;
pub mod error;
pub mod history;
pub mod options;
pub mod people;
pub mod run;
pub mod secrets;

pub use error::DemoError;
pub use options::DemoOptions;
pub use people::{DemoPerson, BOT_EMAIL, DEMO_PEOPLE, GROUP_SPACE_TITLE};
pub use run::{start, DemoHandle};
