//! [`DemoOptions`]: what `slbot demo` lets the operator choose.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the browser reaches every page (port 0: the system picks one).
    pub listen: SocketAddr,
    /// Where secrets, the simulators' state and the backend's store are kept across runs.
    /// `None`: a temporary folder, deleted at shutdown.
    pub data_dir: Option<PathBuf>,
    /// Seed of the generated CSSM data (same seed and day: same data).
    pub seed: u64,
    /// Smart accounts in the generated CSSM data.
    pub accounts: usize,
    /// Virtual accounts per smart account.
    pub virtual_accounts: usize,
    /// Mean licence records per virtual account.
    pub licenses_per_va: usize,
    /// The day the generated data is relative to (the caller passes today, UTC), so there is
    /// always something expiring within 30, 60, 90 and 180 days and something expired.
    pub anchor: NaiveDate,
    /// How the bot receives Webex events: webhooks to its loopback URL (the default), or the
    /// websocket it opens itself, as a bot with no public URL does.
    pub transport: slbot_bot::Transport,
}

/// The defaults of `slbot demo`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_SEED: u64 = 2019;
pub const DEFAULT_ACCOUNTS: u16 = 7;
pub const DEFAULT_VAS: u16 = 4;
pub const DEFAULT_LICENSES: u16 = 12;
