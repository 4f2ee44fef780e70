//! The real backend (token API) in this process, with people signed in, for the replicas test
//! and the replicas load bench (both include this file by path).

use std::collections::HashMap;

use chrono::Utc;
use secrecy::SecretString;
use slbot_backend::server;
use slbot_backend::settings::{BackendSettings, SecretFiles};
use slbot_backend::store::Tokens;

/// Serves the backend on `listener` with the settings in `env`, after storing a CSSM token
/// valid for a day for each `(person id, room id, token)` of `people`.
pub async fn serve_backend(
    listener: tokio::net::TcpListener,
    env: &HashMap<String, String>,
    people: &[(String, String, String)],
) {
    let config = slbot_config::Config::from_parts(env.clone(), "").expect("config");
    let settings = BackendSettings::from_config(
        &config,
        Some(listener.local_addr().expect("its address")),
        &SecretFiles::default(),
    )
    .expect("backend settings");
    let clock = std::sync::Arc::new(slbot_base::SystemClock);
    let started = server::start(&settings, clock.clone())
        .await
        .expect("the backend starts");
    for (person, room, token) in people {
        started
            .store
            .put(
                person,
                Some(room),
                Tokens {
                    access_token: SecretString::from(token.clone()),
                    refresh_token: None,
                    expires_at: Utc::now() + chrono::Duration::days(1),
                },
                Utc::now(),
            )
            .await
            .expect("store a token");
    }
    tokio::spawn(server::serve(
        started.router,
        started.store,
        clock,
        listener,
        settings.http,
        std::future::pending(),
    ));
}
