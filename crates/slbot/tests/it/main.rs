//! Integration tests of the `slbot` binary: one test crate, one module per subcommand.

mod ask;
mod doctor;
mod fetch;
mod history;
mod renewals;
mod replicas;
mod report;
mod services;
