//! The kept history of each person's inventory (issue 11, part 1): every complete fetch
//! becomes a compact point in the bot store (deduplicated there when nothing changed, trimmed
//! to `SLBOT_HISTORY_RETENTION_DAYS`, deleted by `sign out`), and the points `changes`,
//! `trend` and `status` read back.
//!
//! A failure here never costs an answer: keeping a point that cannot be stored is logged and
//! skipped, and reading points that cannot be read gives `None` (the answer says so).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use slbot_chat::Command;
use slbot_inventory::history::Point;
use slbot_notify::store::history::{read_points, Wanted};
use slbot_notify::NotifyStore;

/// Keeps and reads the points of every person in the bot store.
#[derive(Clone)]
pub struct HistoryKeeper {
    store: Arc<dyn NotifyStore>,
    retention: chrono::Duration,
}

impl HistoryKeeper {
    /// Points last seen more than `retention_days` ago are deleted as new ones are kept.
    pub fn new(store: Arc<dyn NotifyStore>, retention_days: u32) -> Self {
        HistoryKeeper {
            store,
            retention: chrono::Duration::days(i64::from(retention_days)),
        }
    }

    /// Keeps `point` (taken at `point.taken_at`) for `person_id`. Logged, never fatal.
    pub async fn keep(&self, person_id: &str, point: &Point) {
        let bytes = point.encode();
        if bytes.is_empty() {
            tracing::warn!("cannot encode an inventory for the history: not kept");
            return;
        }
        let digest = Point::digest(&bytes);
        let Some(at) = DateTime::<Utc>::from_timestamp(point.taken_at, 0) else {
            return;
        };
        match self
            .store
            .keep_point(person_id, at, &digest, &bytes, at - self.retention)
            .await
        {
            Ok(kept) => tracing::debug!(?kept, bytes = bytes.len(), "history point kept"),
            Err(e) => tracing::warn!(error = %e, "cannot keep the inventory in the history"),
        }
    }

    /// The points `command` reads for `person_id` at `now`: for `changes` only the two it
    /// compares, for `trend` and `status` all of them. `None` when the store does not answer.
    pub async fn points_for(
        &self,
        command: &Command,
        person_id: &str,
        now: DateTime<Utc>,
    ) -> Option<Vec<Point>> {
        let wanted = match command {
            Command::Changes { window, .. } => Wanted::Compared(*window, now.timestamp()),
            _ => Wanted::All,
        };
        read_points(self.store.as_ref(), person_id, wanted)
            .await
            .map_err(|e| tracing::warn!(error = %e, "cannot read the history"))
            .ok()
    }

    /// Deletes the person's whole history (`sign out`). Logged, never fatal.
    pub async fn forget(&self, person_id: &str) {
        match self.store.forget_history(person_id).await {
            Ok(n) => tracing::debug!(points = n, "history forgotten"),
            Err(e) => tracing::warn!(error = %e, "cannot forget the history"),
        }
    }
}

/// What a fetch needs to keep its point: whose, and where.
#[derive(Clone)]
pub struct KeepFor {
    pub keeper: HistoryKeeper,
    pub person_id: String,
    pub clock: Arc<dyn slbot_base::Clock>,
}
