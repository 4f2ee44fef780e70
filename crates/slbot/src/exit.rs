//! Every failure of a subcommand becomes one line on stderr and an exit code.

use std::fmt;

/// Exit code classes of DESIGN.md "Configuration".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1: an internal or I/O error.
    Internal = 1,
    /// 2: usage, input or configuration.
    Input = 2,
    /// 3: a remote service or authorisation failed.
    Remote = 3,
}

/// A failed subcommand: the sentence the operator reads and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: Code,
    pub message: String,
}

impl CliError {
    pub fn internal(message: impl fmt::Display) -> Self {
        Self {
            code: Code::Internal,
            message: message.to_string(),
        }
    }
    pub fn input(message: impl fmt::Display) -> Self {
        Self {
            code: Code::Input,
            message: message.to_string(),
        }
    }
    pub fn remote(message: impl fmt::Display) -> Self {
        Self {
            code: Code::Remote,
            message: message.to_string(),
        }
    }
    /// The process exit code.
    pub fn code(&self) -> u8 {
        self.code as u8
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<slbot_config::ConfigError> for CliError {
    fn from(e: slbot_config::ConfigError) -> Self {
        Self::input(e)
    }
}

pub type CliResult = Result<(), CliError>;
