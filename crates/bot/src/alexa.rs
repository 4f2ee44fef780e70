//! `POST /alexa`: the Alexa custom skill's endpoint (issue 15), on when
//! `SLBOT_ALEXA_SKILL_IDS` names the skill(s).
//!
//! Every request is verified as Amazon requires of a self-hosted endpoint
//! ([`slbot_alexa::verify::Verifier`]: certificate URL, chain, dates, SAN, signature over the
//! raw body, timestamp, skill id) before its JSON is even parsed; any failure is HTTP 400 with
//! an empty body and one log line. A verified request goes to [`crate::Bot::on_alexa`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use slbot_alexa::model::RequestEnvelope;
use slbot_alexa::verify::{CertFetcher, Verifier};

use crate::handler::Bot;

/// Where the skill's certificates come from and which roots they must chain to. The
/// default is Amazon's own: chains fetched over HTTPS from `s3.amazonaws.com`, checked
/// against the Mozilla roots; tests and the demo inject a test CA and an in-memory fetcher.
#[derive(Clone)]
pub struct AlexaTrust {
    /// Root certificates (DER); empty means the Mozilla roots.
    pub anchors: Vec<rustls_pki_types::CertificateDer<'static>>,
    /// Fetches a `SignatureCertChainUrl`'s PEM chain.
    pub fetcher: Arc<dyn CertFetcher>,
}

/// The endpoint: the verifier and the bot that answers.
pub struct AlexaEndpoint {
    pub verifier: Arc<Verifier>,
    pub bot: Arc<Bot>,
}

/// Answers one request: 400 unless verified, then the skill's JSON.
pub async fn answer(endpoint: &AlexaEndpoint, headers: &HeaderMap, body: &Bytes) -> Response {
    // Alexa's 8 seconds run from here: verification (a certificate fetch) counts too.
    let received = std::time::Instant::now();
    if let Err(refusal) = endpoint.verifier.verify(headers, body).await {
        // The reason names the rule that failed; never the body, a signature or a token.
        tracing::warn!(reason = %refusal, "refused an Alexa request");
        endpoint.bot.metrics.alexa_refused();
        return StatusCode::BAD_REQUEST.into_response();
    }
    let envelope = match RequestEnvelope::from_slice(body) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(error = %e, "refused a verified Alexa request that is not a skill request");
            endpoint.bot.metrics.alexa_refused();
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    endpoint.bot.metrics.alexa_verified();
    let response = endpoint.bot.on_alexa(&envelope, received).await;
    Json(response.to_json()).into_response()
}
