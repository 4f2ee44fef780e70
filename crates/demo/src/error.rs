//! [`DemoError`]: why the demo could not start or stop cleanly, split by who can act on it.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure of the demo. [`DemoError::is_input`] tells the binary which exit code to use.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The listen address is taken or not ours (the operator picks another: exit 2).
    #[error("cannot listen on {addr} (--listen): {reason}")]
    Bind { addr: SocketAddr, reason: String },
    /// The data folder cannot be created, read or written (exit 2: the operator's path).
    #[error("the data folder {path} cannot be used: {reason}")]
    DataDir { path: PathBuf, reason: String },
    /// A file in the data folder is not one the demo wrote (exit 2).
    #[error(
        "{path} is not a file this demo can read ({reason}); use another --data-dir or remove it"
    )]
    BadFile { path: PathBuf, reason: String },
    /// A part of the demo did not start (exit 1: a bug or the machine, not the operator).
    #[error("the demo's {part} did not start: {reason}")]
    Part { part: &'static str, reason: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl DemoError {
    /// Whether the operator's input or environment is at fault (exit code 2), rather than the
    /// program (exit code 1).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            DemoError::Bind { .. } | DemoError::DataDir { .. } | DemoError::BadFile { .. }
        )
    }

    pub(crate) fn part(part: &'static str, reason: impl std::fmt::Display) -> Self {
        DemoError::Part {
            part,
            reason: reason.to_string(),
        }
    }
}
