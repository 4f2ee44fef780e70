//! Integration tests of slbot-notify (one test binary).

mod digest;
mod harness;
mod schedule;
mod scheduler;
mod service;
mod store;
