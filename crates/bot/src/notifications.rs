//! The notification feature's ports over the bot's own clients: tokens from the backend
//! (`slbot_notify`'s [`BackendTokens`], as every command gets them), inventories from the
//! bot's per-user cache (so a digest and a command of the same person share one fetch), and
//! posting to the person's 1:1 space (`slbot_notify`'s [`WebexPoster`], `toPersonId`).

use std::sync::Arc;

use secrecy::SecretString;
use slbot_cssm::CssmClient;
use slbot_inventory::{Catalog, Inventory};
use slbot_notify::ports::BoxFuture;
use slbot_notify::{InventoryProblem, InventorySource};

pub use slbot_notify::adapters::{BackendTokens, WebexPoster};

use crate::cache::InventoryCache;
use crate::handler::{fetch_inventory, LoadFailure};
use crate::history::{HistoryKeeper, KeepFor};

/// Inventories through the bot's cache (the same entries commands use).
pub struct CachedInventories {
    pub cache: Arc<InventoryCache<Inventory>>,
    pub cssm: CssmClient,
    pub catalog: Arc<Catalog>,
    /// A digest's fetch is history too.
    pub history: HistoryKeeper,
    pub clock: Arc<dyn slbot_base::Clock>,
}

impl InventorySource for CachedInventories {
    fn inventory<'a>(
        &'a self,
        person_id: &'a str,
        token: &'a SecretString,
    ) -> BoxFuture<'a, Result<Arc<Inventory>, InventoryProblem>> {
        Box::pin(async move {
            let key = self.cache.key(person_id, token);
            let fetch = fetch_inventory(
                self.cssm.clone(),
                Arc::clone(&self.catalog),
                token.clone(),
                Arc::new(slbot_cssm::no_progress),
                self.cache.is_shared(),
                Some(KeepFor {
                    keeper: self.history.clone(),
                    person_id: person_id.to_string(),
                    clock: Arc::clone(&self.clock),
                }),
            );
            self.cache
                .get_or_fetch(key, fetch)
                .await
                .map_err(|e| problem(&e))
        })
    }
}

/// A failed load as the scheduler reads it: CSSM refusing the token means "sign in again".
fn problem(failure: &LoadFailure) -> InventoryProblem {
    match failure.refused_sign_in() {
        Some(_) => InventoryProblem::SignInRefused,
        None => InventoryProblem::Failed(failure.to_string()),
    }
}
