//! `slbot doctor`: checks a deployment's settings step by step, against the services they
//! name, and prints for each failure what to do.
//!
//! Shape: read the bot's and the backend's settings from the same configuration layers the
//! services read (flags > `SLBOT_*` > TOML > defaults), run every check that applies to the
//! chosen role (each one independent: a failure never hides the next), print one line per
//! check and, under a failure or a warning, the fix. Exit 0 when nothing failed, 3 when a
//! service refused or could not be reached, 2 when only settings are wrong.
//! No check prints a secret: findings hold names, lengths and public identifiers only.

mod checks;

use std::fmt;
use std::path::PathBuf;

use slbot_config::Config;

use crate::exit::{CliError, CliResult};

/// Check this deployment's settings and the services they point at.
///
/// Reads the same settings as `slbot bot` and `slbot backend` (environment, --config TOML).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which service's settings to check.
    #[arg(long, value_enum, default_value_t = Role::All)]
    pub role: Role,
    /// A user's CSSM access token in this file: list their smart accounts as a CSSM check
    /// (without it the CSSM check is skipped).
    #[arg(long, value_name = "FILE")]
    pub cssm_token_file: Option<PathBuf>,
}

/// The service whose settings are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// `slbot bot`: Webex token and webhooks, the backend's token API, CSSM.
    Bot,
    /// `slbot backend`: store key, Cisco SSO client, public URL.
    Backend,
    /// Both (one machine, or one configuration for both).
    All,
}

impl Role {
    fn bot(self) -> bool {
        matches!(self, Role::Bot | Role::All)
    }
    fn backend(self) -> bool {
        matches!(self, Role::Backend | Role::All)
    }
}

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but weakens a defence or will surprise someone.
    Warn,
    /// A setting is wrong (nothing was asked of a service).
    BadSetting,
    /// A service refused or did not answer.
    Failed,
    /// Not checked, and why is in the detail.
    Skipped,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::BadSetting | Status::Failed => "FAIL",
            Status::Skipped => "skip",
        }
    }
}

/// What one check found, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do (for warnings and failures).
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }
    fn skipped(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Skipped,
            detail: detail.into(),
            fix: None,
        }
    }
    fn with(
        check: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            check,
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<4}  {:<16} {}",
            self.status.label(),
            self.check,
            self.detail
        )?;
        if let Some(fix) = &self.fix {
            write!(f, "\n      {:<16} → {fix}", "")?;
        }
        Ok(())
    }
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let cssm_token = config
        .secret("DOCTOR_CSSM_TOKEN", args.cssm_token_file.as_deref())
        .map_err(CliError::input)?;
    let findings = checks::run_all(config, args.role, cssm_token.as_ref()).await;
    for finding in &findings {
        println!("{finding}");
    }
    let count = |wanted: &[Status]| {
        findings
            .iter()
            .filter(|f| wanted.contains(&f.status))
            .count()
    };
    let (failed, settings) = (count(&[Status::Failed]), count(&[Status::BadSetting]));
    println!(
        "{} checks: {} ok, {} warnings, {} failed, {} skipped",
        findings.len(),
        count(&[Status::Ok]),
        count(&[Status::Warn]),
        failed + settings,
        count(&[Status::Skipped]),
    );
    match (failed, settings) {
        (0, 0) => Ok(()),
        (0, n) => Err(CliError::input(format!(
            "{n} settings need fixing (see above)"
        ))),
        (n, m) => Err(CliError::remote(format!(
            "{} checks failed (see above)",
            n + m
        ))),
    }
}
