//! The production ports: the backend's token API ([`BackendTokens`]), a full CSSM fetch
//! ([`CssmInventories`]) and Webex messages ([`WebexPoster`]). `slbot notify run-once` uses
//! these; the bot may use them too, or pass adapters over its own cache.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use slbot_cssm::{CssmClient, ErrorKind, FetchOptions};
use slbot_inventory::{Catalog, Inventory};
use slbot_signing::{TokenClient, TokenError};
use slbot_webex::{NewMessage, WebexClient};

use crate::ports::{
    BoxFuture, InventoryProblem, InventorySource, Poster, TokenProblem, TokenSource,
};

/// Tokens from the backend (signed requests, verified responses), and sign-in links signed
/// with the backend secret exactly as the bot signs them.
pub struct BackendTokens {
    pub client: TokenClient,
    /// `SLBOT_BACKEND_SECRET` (signs the link's login token).
    pub link_secret: SecretString,
    /// `SLBOT_LOGIN_URL`.
    pub login_url: String,
}

impl TokenSource for BackendTokens {
    fn access_token<'a>(
        &'a self,
        room_id: &'a str,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, TokenProblem>> {
        Box::pin(async move {
            match self.client.access_token(room_id, person_id).await {
                Ok(t) => Ok(t.token),
                Err(TokenError::NotSignedIn) => Err(TokenProblem::NotSignedIn),
                Err(TokenError::Service { cause }) => Err(TokenProblem::Service(cause.to_string())),
            }
        })
    }

    fn sign_in_link(&self, person_id: &str, now: DateTime<Utc>) -> String {
        let token = slbot_signing::sign_login_token(&self.link_secret, person_id, now);
        let sep = if self.login_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}t={token}", self.login_url)
    }
}

/// A full CSSM fetch per call (no cache: a pass reads each subscriber once).
pub struct CssmInventories {
    pub cssm: CssmClient,
    pub catalog: Arc<Catalog>,
}

impl InventorySource for CssmInventories {
    fn inventory<'a>(
        &'a self,
        _person_id: &'a str,
        token: &'a SecretString,
    ) -> BoxFuture<'a, Result<Arc<Inventory>, InventoryProblem>> {
        Box::pin(async move {
            let snapshot = self
                .cssm
                .fetch_all(token, &FetchOptions::default(), &slbot_cssm::no_progress)
                .await
                .map_err(|e| match e.kind() {
                    ErrorKind::Unauthorized | ErrorKind::Forbidden => {
                        InventoryProblem::SignInRefused
                    }
                    _ => InventoryProblem::Failed(e.to_string()),
                })?;
            let catalog = Arc::clone(&self.catalog);
            let inventory =
                tokio::task::spawn_blocking(move || Inventory::from_snapshot(&snapshot, &catalog))
                    .await
                    .map_err(|e| InventoryProblem::Failed(format!("loading the inventory: {e}")))?;
            Ok(Arc::new(inventory))
        })
    }
}

/// Posts with the bot's Webex client, to the person (`toPersonId`: their 1:1 space).
pub struct WebexPoster {
    pub webex: WebexClient,
}

impl Poster for WebexPoster {
    fn post<'a>(
        &'a self,
        _room_id: &'a str,
        person_id: &'a str,
        markdown: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.webex
                .create_message(&NewMessage::to_person_id(person_id).markdown(markdown))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
