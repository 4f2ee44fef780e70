//! Integration tests of slbot-notify (one test binary).

mod digest;
mod harness;
mod history;
mod production;
mod queue;
mod schedule;
mod scheduler;
mod service;
mod store;
