//! The person's inventory for the dashboard: their token from the store (refreshed first when
//! it is about to expire), then the inventory cache (`slbot-cache`, the bot's) or a CSSM fetch
//! with that token. A fetch runs in its own task: a page waits for it a moment, and when it
//! takes longer the page shows its progress instead and polls until it is done.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slbot_base::Clock;
use slbot_cache::{Fetched, InventoryCache};
use slbot_cssm::{CssmClient, CssmError, ErrorKind, FetchOptions, Progress};
use slbot_inventory::{Catalog, Inventory};

use crate::refresh::{usable_token, Refresher};
use crate::store::TokenStore;

/// Where the person's inventory stands.
pub enum Loaded {
    Ready(Arc<Inventory>),
    /// Still fetching; the last progress reported, if any.
    Loading(Option<Progress>),
}

/// Why there is no inventory to show, by who can act on it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// No login (never signed in, signed out in the chat, or the refresh token died).
    #[error("no usable login")]
    NotSignedIn,
    /// CSSM refused the token (401/403): sign in again.
    #[error("CSSM refused the sign-in: {0}")]
    Refused(String),
    /// CSSM slow or failing: try again later.
    #[error("CSSM is not answering: {0}")]
    Unavailable(String),
    /// The token store or the SSO refresh failed for a passing reason.
    #[error("the sign-in service failed: {0}")]
    SignInService(String),
}

/// What loading needs, injected.
pub struct Loader {
    pub cache: Arc<InventoryCache<Inventory>>,
    pub cssm: CssmClient,
    pub catalog: Arc<Catalog>,
    pub tokens: Arc<dyn TokenStore>,
    pub refresher: Arc<dyn Refresher>,
    pub clock: Arc<dyn Clock>,
    /// How long a page waits for a fetch before it shows the progress page.
    pub wait: Duration,
    /// The last progress of each person's fetch in flight on this replica.
    pub progress: moka::sync::Cache<String, Arc<Mutex<Option<Progress>>>>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader").finish_non_exhaustive()
    }
}

impl Loader {
    /// The person's inventory: from the cache, or fetched (waiting at most [`Self::wait`]).
    pub async fn load(&self, person_id: &str) -> Result<Loaded, LoadError> {
        let now = self.clock.now();
        let usable = usable_token(
            self.tokens.as_ref(),
            self.refresher.as_ref(),
            person_id,
            now,
        )
        .await
        .map_err(|e| LoadError::SignInService(e.to_string()))?
        .ok_or(LoadError::NotSignedIn)?;
        let token = usable.0.access_token;
        let key = self.cache.key(person_id, &token);
        let slot = self
            .progress
            .get_with(person_id.to_string(), || Arc::new(Mutex::new(None)));
        let cache = Arc::clone(&self.cache);
        let cssm = self.cssm.clone();
        let catalog = Arc::clone(&self.catalog);
        let report = Arc::clone(&slot);
        let task = tokio::spawn(async move {
            let share = cache.is_shared();
            cache
                .get_or_fetch(key, async move {
                    let progress = move |p: Progress| {
                        if let Ok(mut last) = report.lock() {
                            *last = Some(p);
                        }
                    };
                    let snapshot = cssm
                        .fetch_all(&token, &FetchOptions::default(), &progress)
                        .await?;
                    tokio::task::spawn_blocking(move || {
                        let value = Inventory::from_snapshot(&snapshot, &catalog);
                        let shared = if share {
                            slbot_cache::snapshot::encode_snapshot(&snapshot)
                        } else {
                            None
                        };
                        Fetched { value, shared }
                    })
                    .await
                    .map_err(|e| CssmError::Unexpected {
                        place: "the inventory".to_string(),
                        source: anyhow::anyhow!("loading the snapshot failed: {e}"),
                    })
                })
                .await
        });
        match tokio::time::timeout(self.wait, task).await {
            Ok(Ok(Ok(inventory))) => {
                self.progress.invalidate(person_id);
                Ok(Loaded::Ready(inventory))
            }
            Ok(Ok(Err(e))) => {
                self.progress.invalidate(person_id);
                Err(match e.kind() {
                    ErrorKind::Unauthorized | ErrorKind::Forbidden => {
                        LoadError::Refused(e.to_string())
                    }
                    _ => LoadError::Unavailable(e.to_string()),
                })
            }
            Ok(Err(join)) => Err(LoadError::Unavailable(format!("the fetch ended: {join}"))),
            Err(_) => Ok(Loaded::Loading(slot.lock().ok().and_then(|p| *p))),
        }
    }

    /// Forgets the person's cached inventory (on every replica when the cache is shared).
    pub async fn forget(&self, person_id: &str) {
        self.cache.forget_person(person_id).await;
    }
}
