//! The bot ⇄ backend token protocol (signing.md): request and response signatures in the 2019
//! wire format (v1) and the hardened scheme (v2), the bot's client, the backend's verifier
//! and the sign-in link tokens.
//!
//! Layout:
//! - [`scheme`]: what both versions share: [`Version`], header names, the `X-SLD-Date`
//!   format, nonce and id formats, limits, constant-time comparison, query decoding.
//! - [`v1`], [`v2`]: the pure string-to-sign and MAC functions of each version.
//! - [`request`]: signing a request (bot), verifying it and signing the response (backend),
//!   verifying the response (bot), in its parts `sign` and `verify`; [`Rejection`] says why a
//!   signature was refused.
//! - [`nonce`]: where v2 nonces come from ([`NonceSource`]) and the replay window behind the
//!   async [`NonceStore`] trait, with a bounded, expiring in-memory implementation.
//! - [`client`]: [`TokenClient`], the bot's typed client of the token API.
//! - [`link`]: sign-in link tokens.
//!
//! This crate must not: read the environment or any global, log or display a secret, a
//! signature or a user token, compare MACs with `==`, or treat a service problem as "not
//! signed in". It knows nothing of HTTP frameworks beyond the `http` types. Time comes from
//! `slbot_base::Clock`, randomness from `slbot_base::random_hex`.

pub mod client;
pub mod link;
pub mod nonce;
pub mod request;
pub mod scheme;
pub mod v1;
pub mod v2;

pub use client::{
    AccessToken, AlexaPerson, ConfirmOutcome, ServiceCause, SignOutOutcome, TokenClient,
    TokenClientSettings, TokenError, ACCESS_TOKEN_PATH, ALEXA_PERSON_PATH, CONFIRM_PATH,
};
pub use link::{sign_login_token, verify_login_token, LinkError, LINK_LIFETIME_SECS};
pub use nonce::{MemoryNonceStore, NonceSource, NonceStore, NonceStoreError, OsNonceSource};
pub use request::{
    request_nonce, sign_request, sign_response, verify_request, verify_response, IncomingRequest,
    OutgoingRequest, Rejection, VerifiedRequest, Verifier,
};
pub use scheme::{is_valid_id, SldDate, Version};
