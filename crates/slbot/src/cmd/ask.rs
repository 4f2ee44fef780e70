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

use slbot_chat::{
    answer_with_history, answer_without_inventory, parse, sentences, Answer, Attachment,
};
use slbot_config::Config;
use slbot_inventory::Inventory;

use crate::cmd::inputs::{self, Source};
use crate::cmd::snapshot::CssmFlags;
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
    /// For `changes`, `trend` and the forecast of `status`: earlier snapshots (a directory of
    /// snapshot files, or one file; repeatable). The --snapshot itself is the newest point.
    #[arg(long, value_name = "PATH")]
    pub history: Vec<PathBuf>,
    /// Unit prices for `renewals` (a CSV `license,unitPrice[,currency]`), as if uploaded to the bot
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Directory to write attachments (CSV/XLSX) into; without it they are not written
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let now = inputs::now(args.now.as_deref())?;
    let answer = match parse(&args.text) {
        Err(error) => Answer::text(sentences::parse_error_reply(&error)),
        Ok(command) => match answer_without_inventory(&command) {
            Some(answer) => answer,
            None => {
                let inventory = load_inventory(&args, config).await?;
                for line in inputs::warnings(&inventory) {
                    eprintln!("{line}");
                }
                let history = if command.reads_history() {
                    Some(history(&args, config, &inventory, now)?)
                } else {
                    None
                };
                let prices = inputs::prices(args.prices.as_deref())?;
                answer_with_history(
                    &command,
                    &inventory,
                    history.as_deref(),
                    prices.as_ref(),
                    now,
                )
            }
        },
    };
    print_answer(&answer, args.out_dir.as_deref())
}

/// The points of `--history`, and the inventory answered from as the newest (taken `now`
/// unless its file says when; a partial one is left out, as the bot does).
fn history(
    args: &Args,
    config: &Config,
    inventory: &Inventory,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<slbot_inventory::history::Point>, CliError> {
    let catalog = inputs::catalog(args.catalog.as_deref(), config)?;
    let mut points = inputs::history_points(&args.history, &catalog)?;
    let listed = |p: &PathBuf| {
        let canonical = |q: &Path| std::fs::canonicalize(q).ok();
        args.history.iter().any(|h| {
            canonical(h) == canonical(p)
                || canonical(p)
                    .zip(canonical(h))
                    .is_some_and(|(f, d)| f.starts_with(d))
        })
    };
    let newest_listed = args.snapshot.as_ref().is_some_and(listed);
    if !newest_listed && !inventory.partial() {
        let at = args
            .snapshot
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<slbot_cssm::Snapshot>(&b).ok())
            .and_then(|s| s.captured_at)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
            .map_or(now.timestamp(), |t| t.timestamp());
        points.push(inventory.history_point(at));
    }
    Ok(points)
}

/// The inventory from `--snapshot` or a live fetch with `--token-env` (clap requires one).
async fn load_inventory(args: &Args, config: &Config) -> Result<Inventory, CliError> {
    let source = match (&args.snapshot, &args.token_env) {
        (Some(path), _) => Source::File(path.clone()),
        (None, Some(var)) => Source::Live(var.clone()),
        (None, None) => {
            return Err(CliError::input(
                "give --snapshot FILE, or --token-env VAR to fetch from CSSM",
            ))
        }
    };
    let catalog = inputs::catalog(args.catalog.as_deref(), config)?;
    inputs::inventory(&source, &args.cssm, config, &catalog).await
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
    inputs::write_atomic(&path, &attachment.bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

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
