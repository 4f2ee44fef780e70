//! What can stop a load run before it starts. Failures of single requests are not errors
//! here: they are counted in the report.

/// Why the generator cannot run. The texts name the argument or variable to fix, never a
/// secret's value.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// Rate, duration, warm-up or people out of range.
    #[error("invalid load plan: {0}")]
    InvalidPlan(String),
    /// `--url` is not an absolute http(s) URL.
    #[error("invalid --url: {0}")]
    BadUrl(String),
    /// The variable named by `--secret-env` is unset or empty.
    #[error("the secret variable {var} is unset or empty (name it with --secret-env)")]
    MissingSecret { var: String },
    /// A fault of this process (e.g. the HTTP client could not be built).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl LoadgenError {
    /// The process exit code: 2 for what the operator typed, 1 for our own faults.
    pub fn exit_code(&self) -> u8 {
        match self {
            LoadgenError::InvalidPlan(_)
            | LoadgenError::BadUrl(_)
            | LoadgenError::MissingSecret { .. } => 2,
            LoadgenError::Unexpected(_) => 1,
        }
    }
}
