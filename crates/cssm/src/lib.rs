//! CSSM (Cisco Smart Software Manager) wire types, REST client and snapshot files.
//!
//! Owns: the JSON shapes of cssm-api.md, the client (auth, pagination, retry, concurrency,
//! progress), and reading/writing the snapshot format. Must not: compute reports or know Webex.

pub mod snapshot;

pub use snapshot::{MissingAccount, Snapshot};
