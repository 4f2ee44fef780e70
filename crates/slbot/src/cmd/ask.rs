//! `slbot ask "<chat text>"`: answer one chat message exactly as the bot would post it, from a
//! snapshot file or a live CSSM fetch.
//!
//! Parse → (load the inventory only when the command needs it) → answer → print. The markdown
//! goes to stdout; with several messages each is preceded by a `--- message N ---` line.
//! Attachments are written atomically into `--out-dir` and their paths said on stderr.
//! Exit 0 for every answer (an unknown command is an answer), 2 for bad flags or files,
//! 3 when CSSM failed, 1 for a local I/O fault.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use slbot_chat::{answer, answer_without_inventory, parse, sentences, Answer, Attachment};
use slbot_config::Config;
use slbot_cssm::FetchOptions;
use slbot_inventory::{Catalog, Inventory};

use crate::cmd::snapshot::{cssm_settings, fetch_live, snapshot_warnings, CssmFlags};
use crate::exit::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chat message as a user would type it (without the bot's mention), e.g. "expire 90 va:DEFAULT"
    #[arg(value_name = "TEXT")]
    pub text: String,
    /// Answer from this snapshot file (the `slbot snapshot` format)
    #[arg(long, value_name = "FILE", required_unless_present = "token_env", conflicts_with_all = ["token_env", "cssm_url"])]
    pub snapshot: Option<PathBuf>,
    /// Fetch live from CSSM with the access token held in this environment variable
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    #[command(flatten)]
    pub cssm: CssmFlags,
    /// The instant reports are computed for, RFC 3339 [default: the current time]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Catalogue file whose entries add to or override the shipped one [env: SLBOT_CATALOG]
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Directory to write attachments (CSV/XLSX) into; without it they are not written
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let now = match &args.now {
        Some(text) => parse_now(text)?,
        None => Utc::now(),
    };
    let answer = match parse(&args.text) {
        Err(error) => Answer::text(sentences::parse_error_reply(&error)),
        Ok(command) => match answer_without_inventory(&command) {
            Some(answer) => answer,
            None => {
                let inventory = load_inventory(&args, config).await?;
                answer(&command, &inventory, now)
            }
        },
    };
    print_answer(&answer, args.out_dir.as_deref())
}

fn parse_now(text: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            CliError::input(format!(
                "--now `{text}` is not an RFC 3339 time ({e}), e.g. 2026-11-28T12:00:00Z"
            ))
        })
}

/// The shipped catalogue plus the entries of `--catalog` (or `SLBOT_CATALOG`).
fn load_catalog(args: &Args, config: &Config) -> Result<Catalog, CliError> {
    let path = args
        .catalog
        .clone()
        .or_else(|| config.get("CATALOG").map(PathBuf::from));
    let Some(path) = path else {
        return Ok(Catalog::shipped());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::input(format!("cannot read the catalogue {}: {e}", path.display()))
    })?;
    Catalog::with_overrides(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

async fn load_inventory(args: &Args, config: &Config) -> Result<Inventory, CliError> {
    let catalog = load_catalog(args, config)?;
    if let Some(path) = &args.snapshot {
        let bytes = std::fs::read(path).map_err(|e| {
            CliError::input(format!("cannot read the snapshot {}: {e}", path.display()))
        })?;
        let inventory = Inventory::from_json_slice(&bytes, &catalog)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
        for warning in inventory.warnings() {
            eprintln!("warning: {warning}");
        }
        return Ok(inventory);
    }
    let Some(var) = &args.token_env else {
        return Err(CliError::input(
            "give --snapshot FILE, or --token-env VAR to fetch from CSSM",
        ));
    };
    let token = Config::named_env_secret(var).map_err(|_| {
        CliError::input(format!(
            "the environment variable {var} (named by --token-env) is not set or is empty"
        ))
    })?;
    let settings = cssm_settings(config, &args.cssm)?;
    let snapshot = fetch_live(&settings, &token, &FetchOptions::default()).await?;
    for line in snapshot_warnings(&snapshot) {
        eprintln!("{line}");
    }
    Ok(Inventory::from_snapshot(&snapshot, &catalog))
}

/// Prints the markdown of every message and writes their attachments.
fn print_answer(answer: &Answer, out_dir: Option<&Path>) -> CliResult {
    let several = answer.messages.len() > 1;
    let mut out = String::new();
    for (i, message) in answer.messages.iter().enumerate() {
        if several {
            out.push_str(&format!("--- message {} ---\n", i + 1));
        }
        out.push_str(&message.markdown);
        out.push('\n');
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::internal(format!("cannot write to stdout: {e}")))?;
    for (i, message) in answer.messages.iter().enumerate() {
        let Some(attachment) = &message.attachment else {
            continue;
        };
        match out_dir {
            Some(dir) => {
                let path = write_attachment(dir, attachment)?;
                eprintln!(
                    "message {}: wrote {} ({} bytes)",
                    i + 1,
                    path.display(),
                    attachment.bytes.len()
                );
            }
            None => eprintln!(
                "message {}: attachment {} ({} bytes) not written; pass --out-dir DIR to save it",
                i + 1,
                attachment.filename,
                attachment.bytes.len()
            ),
        }
    }
    Ok(())
}

/// Writes the file under `dir` through a temporary file renamed into place, so a reader never
/// sees half a file. The name is the attachment's own, reduced to its last path component.
fn write_attachment(dir: &Path, attachment: &Attachment) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::input(format!(
            "cannot create the --out-dir {}: {e}",
            dir.display()
        ))
    })?;
    let name = Path::new(&attachment.filename)
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "attachment".into());
    let path = dir.join(name);
    let io =
        |e: std::io::Error| CliError::internal(format!("cannot write {}: {e}", path.display()));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    file.write_all(&attachment.bytes).map_err(io)?;
    file.as_file().sync_all().map_err(io)?;
    file.persist(&path).map_err(|e| io(e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    #[test]
    fn now_must_be_rfc_3339() {
        assert_eq!(
            parse_now("2026-11-28T12:00:00+01:00")
                .map(|t| t.to_rfc3339())
                .ok(),
            Some("2026-11-28T11:00:00+00:00".to_string())
        );
        let err = parse_now("yesterday").err().map(|e| e.code);
        assert_eq!(err, Some(Code::Input));
    }

    #[test]
    fn an_attachment_is_written_whole_under_its_own_name_only() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("no temp dir") };
        let attachment = Attachment {
            filename: "../../escape.csv".into(),
            content_type: "text/csv".into(),
            bytes: b"a,b\n1,2\n".to_vec(),
        };
        let path = write_attachment(&dir.path().join("new"), &attachment).map_err(|e| e.message);
        assert_eq!(path, Ok(dir.path().join("new").join("escape.csv")));
        assert_eq!(
            std::fs::read(dir.path().join("new").join("escape.csv")).ok(),
            Some(b"a,b\n1,2\n".to_vec())
        );
    }
}
