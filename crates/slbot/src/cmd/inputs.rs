//! What the commands that read licenses share (`report`, `ask`, `notify run-once`): the
//! catalogue, where the inventory comes from, `--now`, the warnings printed about a loaded
//! inventory, and writing a file atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use slbot_config::Config;
use slbot_cssm::FetchOptions;
use slbot_inventory::{Catalog, Inventory, PriceList};

use crate::cmd::snapshot::{cssm_settings, fetch_live, CssmFlags};
use crate::exit::CliError;

/// Where the licenses come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A snapshot file.
    File(PathBuf),
    /// A live CSSM fetch with the token held in this environment variable.
    Live(String),
}

/// `--catalog FILE` > `SLBOT_CATALOG` > the shipped catalogue.
pub fn catalog(flag: Option<&Path>, config: &Config) -> Result<Catalog, CliError> {
    let path = match flag {
        Some(p) => Some(p.to_path_buf()),
        None => config
            .get("CATALOG")
            .filter(|s| !s.trim().is_empty())
            .map(PathBuf::from),
    };
    let Some(path) = path else {
        return Ok(Catalog::shipped());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::input(format!(
            "cannot read the license catalogue {}: {e}",
            path.display()
        ))
    })?;
    Catalog::with_overrides(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

/// `--prices FILE` (a CSV `license,unitPrice[,currency]`): the prices, with one line on
/// stderr per row skipped; `None` without the flag. A file without the header is exit 2.
pub fn prices(flag: Option<&Path>) -> Result<Option<PriceList>, CliError> {
    let Some(path) = flag else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::input(format!(
            "cannot read the price file {}: {e}",
            path.display()
        ))
    })?;
    let parsed = PriceList::parse(&bytes)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    for warning in &parsed.warnings {
        eprintln!("warning: {}: {warning}", path.display());
    }
    Ok(Some(parsed.prices))
}

/// `--now` as an instant, or the current time when it is not given.
pub fn now(flag: Option<&str>) -> Result<DateTime<Utc>, CliError> {
    match flag {
        None => Ok(Utc::now()),
        Some(t) => DateTime::parse_from_rfc3339(t.trim())
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| {
                CliError::input(format!(
                    "--now `{t}` is not an RFC 3339 time ({e}); e.g. 2026-11-28T09:00:00Z."
                ))
            }),
    }
}

/// Loads the inventory from a snapshot file or a live CSSM fetch (every account, filtered
/// afterwards by the report).
pub async fn inventory(
    source: &Source,
    cssm: &CssmFlags,
    config: &Config,
    catalog: &Catalog,
) -> Result<Inventory, CliError> {
    match source {
        Source::File(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                let msg = format!("cannot read the snapshot {}: {e}", path.display());
                match e.kind() {
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                        CliError::input(msg)
                    }
                    _ => CliError::internal(msg),
                }
            })?;
            Inventory::from_json_slice(&bytes, catalog)
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))
        }
        Source::Live(var) => {
            let token = Config::named_env_secret(var).map_err(|_| {
                CliError::input(format!(
                    "the environment variable {var} (named by --token-env) is not set or is empty"
                ))
            })?;
            let settings = cssm_settings(config, cssm)?;
            let snapshot = fetch_live(&settings, &token, &FetchOptions::default()).await?;
            Ok(Inventory::from_snapshot(&snapshot, catalog))
        }
    }
}

/// Lines for stderr: what is missing and what was skipped (at most 20 warnings).
pub fn warnings(inv: &Inventory) -> Vec<String> {
    const MAX: usize = 20;
    let mut lines = Vec::new();
    if inv.partial() {
        let missing: Vec<String> = inv
            .missing_accounts()
            .iter()
            .map(|m| format!("{} ({}): {}", m.name.trim(), m.domain, m.reason))
            .collect();
        lines.push(format!(
            "warning: partial answer: {} of {} accounts could not be read: {}",
            missing.len(),
            // Missing accounts are normally in the account list too (their licences failed).
            inv.account_count().max(missing.len()),
            missing.join("; ")
        ));
    }
    for w in inv.warnings().iter().take(MAX) {
        lines.push(format!("warning: {w}"));
    }
    if inv.warnings().len() > MAX {
        lines.push(format!(
            "warning: …and {} more warnings (all of them are in --format json)",
            inv.warnings().len() - MAX
        ));
    }
    lines
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomic_with(path, &mut |w| {
        w.write_all(bytes)
            .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))
    })
}

/// Writes through `write` to `out` (atomically, see [`write_atomic_with`]) or to stdout,
/// buffered.
pub fn write_output(
    out: Option<&Path>,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<(), CliError>,
) -> Result<(), CliError> {
    match out {
        Some(path) => write_atomic_with(path, write),
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            write(&mut stdout)?;
            stdout.flush().map_err(output_error)
        }
    }
}

/// A failed write of a command's output.
pub fn output_error(e: std::io::Error) -> CliError {
    CliError::internal(format!("cannot write the output: {e}"))
}

/// [`write_atomic`] with the content written by `write` into the temporary file (buffered),
/// so a large output is streamed to disk rather than held in memory.
pub fn write_atomic_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<(), CliError>,
) -> Result<(), CliError> {
    slbot_cssm::write_atomic_with(path, ".slbot-out-", write, |_, e| {
        CliError::internal(format!("cannot write {}: {e}", path.display()))
    })
}

/// The history points of snapshot files: each `PATH` is a snapshot file or a directory whose
/// `*.json` files are snapshots. A point's time is the snapshot's `capturedAt` (a file without
/// one is refused: its place in the history would be a guess); partial snapshots are skipped
/// with a warning, as the bot keeps only complete fetches.
pub fn history_points(
    paths: &[PathBuf],
    catalog: &Catalog,
) -> Result<Vec<slbot_inventory::history::Point>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                CliError::input(format!("cannot read the directory {}: {e}", path.display()))
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut points = Vec::with_capacity(files.len());
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| {
            CliError::input(format!("cannot read the snapshot {}: {e}", file.display()))
        })?;
        let snapshot: slbot_cssm::Snapshot = serde_json::from_slice(&bytes)
            .map_err(|e| CliError::input(format!("{} is not a snapshot: {e}", file.display())))?;
        let at = snapshot
            .captured_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
            .ok_or_else(|| {
                CliError::input(format!(
                    "{} has no readable `capturedAt`: a history needs the time of each snapshot (`slbot snapshot` writes it).",
                    file.display()
                ))
            })?;
        let inventory = Inventory::from_snapshot(&snapshot, catalog);
        if inventory.partial() {
            eprintln!(
                "warning: {} is a partial snapshot (some accounts could not be read): left out of the history",
                file.display()
            );
            continue;
        }
        points.push(inventory.history_point(at.timestamp()));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    #[test]
    fn the_catalogue_comes_from_the_flag_then_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cat.json");
        std::fs::write(&file, r#"{"Zeta Thing": {"architecture": "Mine"}}"#).unwrap();
        let env = [("SLBOT_CATALOG".to_string(), file.display().to_string())]
            .into_iter()
            .collect();
        let config = Config::from_parts(env, "").unwrap();
        let c = catalog(None, &config).unwrap();
        assert_eq!(c.lookup("zeta thing"), ("Mine", ""));
        let missing = dir.path().join("nope.json");
        let e = catalog(Some(&missing), &config).unwrap_err();
        assert_eq!(e.code, Code::Input);
    }

    #[test]
    fn now_must_be_rfc_3339() {
        assert_eq!(
            now(Some("2026-11-28T12:00:00+01:00"))
                .map(|t| t.to_rfc3339())
                .ok(),
            Some("2026-11-28T11:00:00+00:00".to_string())
        );
        let err = now(Some("yesterday")).err().map(|e| e.code);
        assert_eq!(err, Some(Code::Input));
    }

    #[test]
    fn an_atomic_write_replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.csv");
        std::fs::write(&file, "old content that is longer than the new one").unwrap();
        write_atomic(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_output_that_is_not_a_regular_file_is_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo failed");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        // Checked before joining: had the FIFO been replaced, the reader would wait forever.
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
