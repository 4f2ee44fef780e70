//! The snapshot file (cssm-api.md "The snapshot file"): what one user's full fetch returned.
//!
//! Licence records are kept as raw JSON (`Box<RawValue>`) so that the inventory can parse each
//! one tolerantly and skip an unreadable record with a warning instead of failing the whole file.
//! Two optional fields extend the format for partial fetches: `missingAccounts` and `warnings`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The value of `format` this project writes.
pub const FORMAT: &str = "slbot-cssm-snapshot/1";

/// One user's full CSSM fetch (or a file in the snapshot format).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// `slbot-cssm-snapshot/1`; may be absent in files written by other tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// RFC 3339 time of capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    /// Smart accounts exactly as `GET /v2/accounts` returned them, in CSSM order.
    pub accounts: Vec<serde_json::Value>,
    /// Account domain → every licence record of every page, in CSSM order.
    #[serde(default)]
    pub licenses: BTreeMap<String, Vec<Box<RawValue>>>,
    /// Account domain → virtual accounts, when they were fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_accounts: Option<BTreeMap<String, Vec<serde_json::Value>>>,
    /// Accounts that could not be read (partial fetch). Extension of this project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_accounts: Vec<MissingAccount>,
    /// Warnings raised while fetching (e.g. "CSSM returned 900 of 1000 records").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An account whose licences could not be read, and why (a sentence a user can read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingAccount {
    pub name: String,
    pub domain: String,
    pub reason: String,
}

/// A snapshot file that cannot be used; the message says where it fails.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not JSON, or JSON of the wrong shape, at this place.
    #[error("{what} at line {line}, column {column}: {detail}")]
    Invalid {
        what: &'static str,
        line: usize,
        column: usize,
        detail: String,
    },
    /// Valid JSON, but not a snapshot (e.g. "not a snapshot: missing `accounts`").
    #[error("not a snapshot: {0}")]
    NotASnapshot(String),
    /// A `format` this version does not read.
    #[error("unsupported snapshot format `{0}` (this version reads `{FORMAT}`)")]
    UnsupportedFormat(String),
    /// The file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Snapshot {
    /// True when some accounts could not be read (the answer is partial).
    pub fn is_partial(&self) -> bool {
        !self.missing_accounts.is_empty()
    }

    /// Licence records across all accounts.
    pub fn license_count(&self) -> usize {
        self.licenses.values().map(Vec::len).sum()
    }

    /// Reads a snapshot from JSON bytes. Files of other tools may lack `format`; a different
    /// `format` is refused rather than misread.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        // serde would also read a struct from an array; a snapshot is always an object.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(SnapshotError::NotASnapshot(
                "expected a JSON object".to_string(),
            ));
        }
        let snapshot: Snapshot = serde_json::from_slice(bytes).map_err(|e| {
            let message = e.to_string();
            // serde_json appends " at line L column C"; keep the reason only.
            let detail = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(reason, _)| reason)
                .to_string();
            if e.is_data() && detail.starts_with("missing field `accounts`") {
                return SnapshotError::NotASnapshot("missing `accounts`".into());
            }
            SnapshotError::Invalid {
                what: if e.is_data() {
                    "unexpected content"
                } else {
                    "invalid JSON"
                },
                line: e.line(),
                column: e.column(),
                detail,
            }
        })?;
        match snapshot.format.as_deref() {
            None | Some(FORMAT) => Ok(snapshot),
            Some(other) => Err(SnapshotError::UnsupportedFormat(other.to_string())),
        }
    }

    /// Reads a snapshot file.
    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let bytes = std::fs::read(path).map_err(|source| SnapshotError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_slice(&bytes)
    }

    /// Writes the snapshot to `path` through a temporary file in the same directory, renamed
    /// into place once complete: readers see the old file or the new one, never half of one.
    pub fn write_atomic(&self, path: &Path) -> Result<(), SnapshotError> {
        let io = |action: &'static str| {
            let path = path.to_path_buf();
            move |source| SnapshotError::Io {
                action,
                path,
                source,
            }
        };
        write_atomic_with(
            path,
            ".slbot-snapshot-",
            |out| {
                serde_json::to_writer(&mut *out, self)
                    .map_err(std::io::Error::from)
                    .map_err(io("write"))?;
                out.write_all(b"\n").map_err(io("write"))
            },
            |action, source| io(action)(source),
        )
    }
}

/// Writes `path` whole or not at all: `write` fills a temporary file in the same directory
/// (buffered, so a large output streams to disk), which is then synced and renamed onto `path`;
/// readers see the old file or the new one, never half of one. `io` turns a failed step
/// (`"open"`, `"create a temporary file for"`, `"write"`, `"replace"`) into the caller's error.
///
/// `/dev/null`, a FIFO or a terminal is written in place: renaming the temporary file onto it
/// would replace the device with a regular file (for every program on the machine).
pub fn write_atomic_with<E>(
    path: &Path,
    temp_prefix: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    io: impl Fn(&'static str, std::io::Error) -> E,
) -> Result<(), E> {
    const BUFFER: usize = 1 << 16;
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io("open", e))?;
        let mut buffered = std::io::BufWriter::with_capacity(BUFFER, file);
        write(&mut buffered)?;
        return buffered.flush().map_err(|e| io("write", e));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(temp_prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io("create a temporary file for", e))?;
    {
        let mut buffered = std::io::BufWriter::with_capacity(BUFFER, temp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush().map_err(|e| io("write", e))?;
    }
    temp.as_file().sync_all().map_err(|e| io("write", e))?;
    temp.persist(path).map_err(|e| io("replace", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_accounts_is_not_a_snapshot() {
        let err = Snapshot::from_json_slice(br#"{"licenses": {}}"#).unwrap_err();
        assert_eq!(err.to_string(), "not a snapshot: missing `accounts`");
    }

    #[test]
    fn broken_json_says_where_it_breaks() {
        let err = Snapshot::from_json_slice(b"{\n  \"accounts\": [1,\n  ]\n}").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("invalid JSON at line 3, column 3"),
            "{text}"
        );
        let err = Snapshot::from_json_slice(b"[1, 2]").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a snapshot: expected a JSON object"),
            "{err}"
        );
    }

    #[test]
    fn a_foreign_file_without_format_is_read_and_another_format_is_refused() {
        let s = Snapshot::from_json_slice(
            br#"{"accounts":[{"accountDomain":"a.com"}],"licenses":{"a.com":[{"license":"X"}]}}"#,
        )
        .unwrap();
        assert_eq!(s.license_count(), 1);
        assert!(!s.is_partial());
        let err = Snapshot::from_json_slice(br#"{"format":"slbot-cssm-snapshot/9","accounts":[]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("slbot-cssm-snapshot/9"), "{err}");
    }

    #[test]
    fn writing_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.json");
        std::fs::write(&path, "old").unwrap();
        let s = Snapshot::from_json_slice(
            br#"{"accounts":[{"accountDomain":"a.com"}],"licenses":{"a.com":[{"license":"X","quantity":2}]},"warnings":["w"]}"#,
        )
        .unwrap();
        s.write_atomic(&path).unwrap();
        let back = Snapshot::read(&path).unwrap();
        assert_eq!(
            back.licenses["a.com"][0].get(),
            r#"{"license":"X","quantity":2}"#
        );
        assert_eq!(back.warnings, vec!["w".to_string()]);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["snap.json".to_string()]);
    }

    #[test]
    fn a_snapshot_written_to_a_fifo_goes_through_it_and_leaves_it_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("snap.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo failed");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let s = Snapshot::from_json_slice(br#"{"accounts":[]}"#).unwrap();
        s.write_atomic(&fifo).unwrap();
        // Checked before joining: had the FIFO been replaced, the reader would wait forever.
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
        assert_eq!(
            reader.join().unwrap(),
            b"{\"accounts\":[],\"licenses\":{}}\n"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let missing_dir = dir.path().join("nope").join("snap.json");
        let s = Snapshot::from_json_slice(br#"{"accounts":[]}"#).unwrap();
        let err = s.write_atomic(&missing_dir).unwrap_err();
        assert!(matches!(err, SnapshotError::Io { .. }), "{err}");
    }
}
