//! What one request of a run is. Each scenario builds request number `seq` fresh: signing
//! happens per request (inside the measured latency, as in the real caller), so one-use
//! nonces and unique webhook ids are never repeated within a run.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use slbot_base::{Clock, SystemClock};
use slbot_signing::{
    sign_request, v2, NonceSource, OsNonceSource, OutgoingRequest, Version, ACCESS_TOKEN_PATH,
};

/// The room every token-API request names (any valid id: the room is not part of the key).
pub const TOKEN_API_ROOM_ID: &str = "loadgen-room";

/// The personId of person `k` of a token-API run; whoever seeds the store uses the same ids.
pub fn person_id(k: u64) -> String {
    format!("loadgen-person-{k}")
}

/// A request that could not be built. Counted as an error of the run; nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot build request {seq}: {reason}")]
pub struct Unbuildable {
    pub seq: u64,
    pub reason: String,
}

/// One kind of request.
pub trait Scenario: Send + Sync {
    /// The name used on the command line and in the report.
    fn name(&self) -> &'static str;

    /// Request `seq` (0-based, unique within the run, warm-up included), ready to send.
    fn request(
        &self,
        client: &reqwest::Client,
        seq: u64,
    ) -> Result<reqwest::RequestBuilder, Unbuildable>;

    /// Whether an answer with this status counts as a success.
    fn is_ok(&self, status: u16) -> bool;
}

/// `GET /api/userinfo/access-token` for person `seq mod people`, signed as the bot signs it
/// (signing.md; v2 with a fresh nonce per request). Success is exactly 200. The response
/// signature is not verified: that is the bot's cost, not the backend's.
pub struct TokenApi {
    base_url: String,
    secret: SecretString,
    version: Version,
    people: u64,
    clock: Arc<dyn Clock>,
    nonces: Arc<dyn NonceSource>,
}

impl TokenApi {
    /// `base_url` is the backend as the bot names it (`SLBOT_BACKEND_URL`; v1 signs the full
    /// URL, so it must equal the backend's `SLBOT_BACKEND_PUBLIC_URL`). `people` ≥ 1.
    pub fn new(base_url: &str, secret: SecretString, version: Version, people: u64) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            secret,
            version,
            people: people.max(1),
            clock: Arc::new(SystemClock),
            nonces: Arc::new(OsNonceSource),
        }
    }

    /// Replaces the clock and the nonce source (tests).
    pub fn with_clock_and_nonces(
        mut self,
        clock: Arc<dyn Clock>,
        nonces: Arc<dyn NonceSource>,
    ) -> Self {
        self.clock = clock;
        self.nonces = nonces;
        self
    }
}

impl Scenario for TokenApi {
    fn name(&self) -> &'static str {
        "token-api"
    }

    fn request(
        &self,
        client: &reqwest::Client,
        seq: u64,
    ) -> Result<reqwest::RequestBuilder, Unbuildable> {
        let person = person_id(seq % self.people);
        // These exact bytes are both signed and sent.
        let query = format!(
            "roomId={}&personId={}",
            v2::encode(TOKEN_API_ROOM_ID.as_bytes()),
            v2::encode(person.as_bytes())
        );
        let nonce = match self.version {
            Version::V1 => String::new(),
            Version::V2 => self.nonces.nonce(),
        };
        let outgoing = OutgoingRequest {
            method: "GET",
            path: ACCESS_TOKEN_PATH,
            query: &query,
            body: b"",
        };
        let headers = sign_request(
            self.version,
            &self.secret,
            &self.base_url,
            &outgoing,
            self.clock.now(),
            &nonce,
        )
        .map_err(|e| Unbuildable {
            seq,
            reason: e.to_string(),
        })?;
        let mut request = client.get(format!("{}{ACCESS_TOKEN_PATH}?{query}", self.base_url));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        Ok(request)
    }

    fn is_ok(&self, status: u16) -> bool {
        status == 200
    }
}

/// A Webex `messages`/`created` webhook delivery POSTed to `url`, its raw body signed with
/// HMAC-SHA1 in `X-Spark-Signature` as Webex signs it, each with a unique `data.id` (so a
/// deduplicating receiver treats every one as new). Success is any 2xx.
pub struct WebexWebhook {
    url: String,
    secret: SecretString,
    run_id: String,
}

impl WebexWebhook {
    /// `run_id` prefixes every `data.id`; [`WebexWebhook::new`] draws a random one so two
    /// runs against the same receiver never collide.
    pub fn with_run_id(url: &str, secret: SecretString, run_id: &str) -> Self {
        Self {
            url: url.to_string(),
            secret,
            run_id: run_id.to_string(),
        }
    }

    pub fn new(url: &str, secret: SecretString) -> Self {
        Self::with_run_id(url, secret, &slbot_base::random_hex(8))
    }

    /// The `data.id` of delivery `seq`.
    pub fn data_id(&self, seq: u64) -> String {
        format!("loadgen-{}-{seq}", self.run_id)
    }
}

/// The body of one delivery (the shape of a Webex `messages`/`created` notification).
pub fn webhook_body(data_id: &str) -> Vec<u8> {
    json!({
        "id": "wh",
        "name": "n",
        "resource": "messages",
        "event": "created",
        "data": { "id": data_id, "roomId": "R", "personId": "P" },
    })
    .to_string()
    .into_bytes()
}

impl Scenario for WebexWebhook {
    fn name(&self) -> &'static str {
        "webex-webhook"
    }

    fn request(
        &self,
        client: &reqwest::Client,
        seq: u64,
    ) -> Result<reqwest::RequestBuilder, Unbuildable> {
        let body = webhook_body(&self.data_id(seq));
        let signature = slbot_webex::sign_body(self.secret.expose_secret().as_bytes(), &body);
        Ok(client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(slbot_webex::SIGNATURE_HEADER, signature)
            .body(body))
    }

    fn is_ok(&self, status: u16) -> bool {
        (200..300).contains(&status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_body_carries_the_unique_id_and_the_fixed_fields() {
        let hook = WebexWebhook::with_run_id("http://x/", SecretString::from("s"), "abc");
        let body: serde_json::Value =
            serde_json::from_slice(&webhook_body(&hook.data_id(7))).unwrap();
        assert_eq!(body["data"]["id"], "loadgen-abc-7");
        assert_eq!(body["resource"], "messages");
        assert_eq!(body["event"], "created");
        assert_eq!(body["data"]["roomId"], "R");
        assert_eq!(body["data"]["personId"], "P");
    }

    #[test]
    fn token_api_success_is_exactly_200_and_webhook_success_any_2xx() {
        let api = TokenApi::new("http://b", SecretString::from("s"), Version::V2, 1);
        assert!(api.is_ok(200));
        assert!(!api.is_ok(204) && !api.is_ok(404));
        let hook = WebexWebhook::new("http://x/", SecretString::from("s"));
        assert!(hook.is_ok(200) && hook.is_ok(202) && hook.is_ok(204));
        assert!(!hook.is_ok(401) && !hook.is_ok(503));
    }
}
