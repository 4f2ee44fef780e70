//! The lowest slbot crate: time and randomness, the two things every service needs and every
//! test wants to pin.
//!
//! - [`clock`]: the one [`Clock`] of the workspace. It says what time it is, waits (backoff,
//!   `Retry-After`) and tells when a deadline has passed. Production uses [`SystemClock`];
//!   tests and reproducible demos a [`ManualClock`], which only moves when told and records
//!   every wait instead of sleeping.
//! - [`random`]: random identifiers and secrets from the operating system's CSPRNG.
//!
//! Must not: depend on any other slbot crate, know about HTTP, or hold configuration.

pub mod clock;
pub mod random;

pub use clock::{Clock, ManualClock, SystemClock, Wait};
pub use random::random_hex;
