//! The inventory of a command: the cache, or a CSSM fetch with one "please wait" message per
//! fetch (however many commands wait for it), edited as the fetch progresses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use secrecy::SecretString;
use slbot_cssm::Progress;
use slbot_inventory::Inventory;
use slbot_webex::MessageEdit;

use super::{fetch_inventory, replies, Bot, LoadFailure};
use crate::cache::CacheKey;
use crate::routing::Target;

/// What every command waiting for one fetch shares: the fetch's progress, and whether the
/// "please wait" message was posted (once per fetch, however many commands wait for it).
#[derive(Default)]
pub(crate) struct FetchWatch {
    progress: Mutex<Option<Progress>>,
    announced: AtomicBool,
}

impl Bot {
    /// The cached inventory, or a CSSM fetch with a progress message when it takes a while.
    pub(super) async fn load_inventory(
        &self,
        key: CacheKey,
        token: SecretString,
        target: &Target,
    ) -> Result<Arc<Inventory>, Arc<LoadFailure>> {
        let watch = self.watch(&key);
        let result = self
            .wait_for_inventory(key.clone(), token, target, &watch)
            .await;
        self.unwatch(&key, &watch);
        result
    }

    /// The shared watch of the fetch for `key` (created by the first command that waits).
    fn watch(&self, key: &CacheKey) -> Arc<FetchWatch> {
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(watches.entry(key.clone()).or_default())
    }

    /// Forgets the watch once its fetch is over (unless a newer fetch has its own already).
    fn unwatch(&self, key: &CacheKey, watch: &Arc<FetchWatch>) {
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        if watches.get(key).is_some_and(|w| Arc::ptr_eq(w, watch)) {
            watches.remove(key);
        }
    }

    async fn wait_for_inventory(
        &self,
        key: CacheKey,
        token: SecretString,
        target: &Target,
        watch: &Arc<FetchWatch>,
    ) -> Result<Arc<Inventory>, Arc<LoadFailure>> {
        let fetch = {
            let watch = Arc::clone(watch);
            let report = move |p: Progress| {
                if let Ok(mut cell) = watch.progress.lock() {
                    *cell = Some(p);
                }
            };
            let fetching = fetch_inventory(
                self.cssm.clone(),
                Arc::clone(&self.catalog),
                token,
                Arc::new(report),
                self.cache.is_shared(),
                Some(crate::history::KeepFor {
                    keeper: self.history.clone(),
                    person_id: key.person_id().to_string(),
                    clock: Arc::clone(&self.clock),
                }),
            );
            // Runs only on a cache miss (once for every command waiting on it).
            let metrics = Arc::clone(&self.metrics);
            async move {
                let _in_flight = metrics.fetch_started();
                fetching.await
            }
        };
        self.metrics.inventory_lookup();
        let key_for_notice = key.clone();
        let work = self.cache.get_or_fetch(key, fetch);
        tokio::pin!(work);
        if let Ok(result) = tokio::time::timeout(self.progress.after, &mut work).await {
            return result;
        }
        if watch.announced.swap(true, Ordering::AcqRel) {
            // Another command of this person already shows the progress of this very fetch.
            return work.await;
        }
        // And across replicas: the first to claim this fetch's message posts it.
        if !self.cache.claim_notice(&key_for_notice).await {
            return work.await;
        }
        let progress = &watch.progress;
        let snapshot_of = |cell: &Mutex<Option<Progress>>| {
            cell.lock().ok().and_then(|p| *p).map(|p| {
                (
                    p.accounts_done,
                    p.accounts_total,
                    p.pages_done,
                    p.pages_total,
                )
            })
        };
        let mut shown = replies::retrieving(snapshot_of(progress));
        let posted = self
            .post_one(target, &slbot_chat::Message::text(shown.clone()))
            .await;
        let mut editable = posted.ok();
        let mut edits = 0;
        loop {
            if let Ok(result) = tokio::time::timeout(self.progress.every, &mut work).await {
                return result;
            }
            let Some(message) = editable.as_ref() else {
                continue;
            };
            let now_text = replies::retrieving(snapshot_of(progress));
            if now_text == shown || edits >= self.progress.max_edits {
                continue;
            }
            match self
                .webex
                .edit_message(
                    &message.id,
                    &MessageEdit::markdown(message.room_id.clone(), now_text.clone()),
                )
                .await
            {
                Ok(_) => {
                    edits += 1;
                    shown = now_text;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot edit the progress message: no more edits");
                    editable = None;
                }
            }
        }
    }
}
