//! The secrets the parts share — webhook secret, backend secret, store key and the SSO client
//! secret — generated at the first start and kept in `secrets.json` in the data folder with
//! mode 0600, so a restart can still read the backend's encrypted store and the webhooks keep
//! verifying. The bot's Webex token is not among them: the Webex simulator issues a fresh one at
//! every start (earlier ones stay valid there), so none is written to disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::DemoError;

/// The file name inside the data folder.
pub const FILE_NAME: &str = "secrets.json";
const FORMAT: &str = "slbot-demo-secrets/1";

/// The shared secrets of one demo data folder.
pub struct Secrets {
    pub webhook_secret: SecretString,
    pub backend_secret: SecretString,
    /// 64 hex characters (AES-256 key of the backend's token store).
    pub store_key: SecretString,
    pub sso_client_secret: SecretString,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

/// The file's shape. Only built on the line that writes it, and read straight into [`Secrets`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    format: String,
    webhook_secret: String,
    backend_secret: String,
    store_key: String,
    sso_client_secret: String,
}

impl Secrets {
    /// New random secrets.
    pub fn generate() -> Self {
        let random = |bytes| SecretString::from(slbot_base::random_hex(bytes));
        Self {
            webhook_secret: random(32),
            backend_secret: random(32),
            store_key: random(32),
            sso_client_secret: random(24),
        }
    }

    /// The secrets in `dir`, created (and written with mode 0600) when there are none yet.
    pub fn load_or_create(dir: &Path) -> Result<Self, DemoError> {
        let path = dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => Self::parse(&path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secrets = Self::generate();
                secrets.write(&path)?;
                Ok(secrets)
            }
            Err(e) => Err(DemoError::DataDir {
                path,
                reason: e.to_string(),
            }),
        }
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Self, DemoError> {
        let bad = |reason: String| DemoError::BadFile {
            path: path.to_path_buf(),
            reason,
        };
        // serde_json's error names a line and column, never the value.
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if stored.format != FORMAT {
            return Err(bad(format!(
                "format `{}`, expected `{FORMAT}`",
                stored.format
            )));
        }
        let key_ok =
            stored.store_key.len() == 64 && stored.store_key.bytes().all(|b| b.is_ascii_hexdigit());
        if !key_ok {
            return Err(bad("storeKey is not 64 hex characters".to_string()));
        }
        restrict(path)?;
        Ok(Self {
            webhook_secret: SecretString::from(stored.webhook_secret),
            backend_secret: SecretString::from(stored.backend_secret),
            store_key: SecretString::from(stored.store_key),
            sso_client_secret: SecretString::from(stored.sso_client_secret),
        })
    }

    fn write(&self, path: &Path) -> Result<(), DemoError> {
        let io = |e: std::io::Error| DemoError::DataDir {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let stored = Stored {
            format: FORMAT.to_string(),
            webhook_secret: self.webhook_secret.expose_secret().to_string(),
            backend_secret: self.backend_secret.expose_secret().to_string(),
            store_key: self.store_key.expose_secret().to_string(),
            sso_client_secret: self.sso_client_secret.expose_secret().to_string(),
        };
        let json = serde_json::to_vec_pretty(&stored).map_err(anyhow::Error::from)?;
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        let mut file = private_file(&tmp).map_err(io)?;
        file.write_all(&json).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// A new file only its owner can read and write.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes an existing secrets file owner-only again, in case someone loosened it.
fn restrict(path: &Path) -> Result<(), DemoError> {
    if owner_only(path)? {
        tracing::warn!(path = %path.display(), "the demo's secrets file was readable by others: made it owner-only");
    }
    Ok(())
}

/// Removes group and other permissions from `path` (a file or a folder); whether it had any.
pub(crate) fn owner_only(path: &Path) -> Result<bool, DemoError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let io = |e: std::io::Error| DemoError::DataDir {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            let mode = mode & 0o700;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io)?;
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_survive_a_restart_and_only_the_owner_can_read_them() {
        let dir = tempfile::tempdir().unwrap();
        let first = Secrets::load_or_create(dir.path()).unwrap();
        let second = Secrets::load_or_create(dir.path()).unwrap();
        assert_eq!(
            first.store_key.expose_secret(),
            second.store_key.expose_secret()
        );
        assert_eq!(
            first.webhook_secret.expose_secret(),
            second.webhook_secret.expose_secret()
        );
        assert_eq!(first.store_key.expose_secret().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_foreign_file_is_refused_by_name_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{\"storeKey\": \"hunter2\"}").unwrap();
        let err = Secrets::load_or_create(dir.path()).unwrap_err();
        assert!(err.is_input());
        let text = err.to_string();
        assert!(text.contains(FILE_NAME), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let s = Secrets::generate();
        let shown = format!("{s:?}");
        assert!(!shown.contains(s.store_key.expose_secret()));
    }
}
