//! A simulated Alexa (feature `sim`), for the bot's tests and the demo: a certificate
//! authority made at run time (root → intermediate → a signing certificate for
//! `echo-api.amazon.com` with an RSA key), the chain served from memory at an Amazon-looking
//! URL, and request bodies signed as Alexa signs them (`Signature-256`: RSA PKCS#1 v1.5 with
//! SHA-256 over the raw bytes). Nothing here is trusted unless a verifier is given
//! [`SimulatedAlexa::root`] as its only anchor.

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256,
};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::EncodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use sha2::Sha256;

/// Where the simulated chain is "published" (a valid SignatureCertChainUrl).
pub const SIM_CERT_URL: &str = "https://s3.amazonaws.com/echo.api/slbot-simulated-alexa.pem";

/// A simulated Alexa with its own certificate authority.
pub struct SimulatedAlexa {
    skill_id: String,
    chain_pem: Vec<u8>,
    root: CertificateDer<'static>,
    key: SigningKey<Sha256>,
}

impl std::fmt::Debug for SimulatedAlexa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedAlexa")
            .field("skill_id", &self.skill_id)
            .finish_non_exhaustive()
    }
}

impl SimulatedAlexa {
    /// A new authority and signing key (an RSA key of 2048 bits is generated: a second or
    /// so in a debug build) for requests of `skill_id`.
    pub fn new(skill_id: &str) -> Result<Self, String> {
        let rsa_key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| format!("RSA key: {e}"))?;
        let pkcs8 = rsa_key
            .to_pkcs8_der()
            .map_err(|e| format!("RSA key: {e}"))?;
        let leaf_key = KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(pkcs8.as_bytes()),
            &PKCS_RSA_SHA256,
        )
        .map_err(|e| format!("RSA key: {e}"))?;

        let err = |e: rcgen::Error| format!("test certificate: {e}");
        let root_key = KeyPair::generate().map_err(err)?;
        let root = ca_params("slbot simulated Alexa root CA")
            .self_signed(&root_key)
            .map_err(err)?;
        let intermediate_key = KeyPair::generate().map_err(err)?;
        let intermediate = ca_params("slbot simulated Alexa intermediate CA")
            .signed_by(&intermediate_key, &root, &root_key)
            .map_err(err)?;
        let mut leaf =
            CertificateParams::new(vec!["echo-api.amazon.com".to_string()]).map_err(err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "echo-api.amazon.com");
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        leaf.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        set_validity(&mut leaf);
        let leaf = leaf
            .signed_by(&leaf_key, &intermediate, &intermediate_key)
            .map_err(err)?;

        let mut chain_pem = leaf.pem().into_bytes();
        chain_pem.extend_from_slice(intermediate.pem().as_bytes());
        Ok(Self {
            skill_id: skill_id.to_string(),
            chain_pem,
            root: root.der().clone(),
            key: SigningKey::<Sha256>::new(rsa_key),
        })
    }

    /// The skill id the requests carry.
    pub fn skill_id(&self) -> &str {
        &self.skill_id
    }

    /// The PEM chain (signing certificate, then the intermediate) served at [`SIM_CERT_URL`].
    pub fn chain_pem(&self) -> &[u8] {
        &self.chain_pem
    }

    /// A fetcher serving [`Self::chain_pem`] at [`SIM_CERT_URL`] (and nothing else).
    pub fn fetcher(&self) -> crate::verify::MemoryCertFetcher {
        let fetcher = crate::verify::MemoryCertFetcher::new();
        if let Ok(url) = url::Url::parse(SIM_CERT_URL) {
            fetcher.insert(url, self.chain_pem.clone());
        }
        fetcher
    }

    /// The root certificate: the one trust anchor a verifier of these requests needs.
    pub fn root(&self) -> CertificateDer<'static> {
        self.root.clone()
    }

    /// `Signature-256` of `body`: base64 of RSA PKCS#1 v1.5 SHA-256.
    pub fn sign(&self, body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.key.sign(body).to_vec())
    }

    /// The two headers Alexa sends with `body`.
    pub fn headers(&self, body: &[u8]) -> [(&'static str, String); 2] {
        [
            ("SignatureCertChainUrl", SIM_CERT_URL.to_string()),
            ("Signature-256", self.sign(body)),
        ]
    }

    /// A request envelope around `request` (see [`launch`], [`intent`]), linked with
    /// `access_token` when given, timestamped `now`.
    pub fn envelope(
        &self,
        mut request: Value,
        access_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Vec<u8> {
        request["requestId"] = json!(format!(
            "amzn1.echo-api.request.{}",
            slbot_base::random_hex(8)
        ));
        request["timestamp"] = json!(now.to_rfc3339_opts(SecondsFormat::Secs, true));
        request["locale"] = json!("en-US");
        let mut user = json!({"userId": "amzn1.ask.account.SIMULATED"});
        if let Some(token) = access_token {
            user["accessToken"] = json!(token);
        }
        let application = json!({"applicationId": self.skill_id});
        let body = json!({
            "version": "1.0",
            "session": {"new": true, "sessionId": "amzn1.echo-api.session.SIMULATED",
                        "application": application, "attributes": {}, "user": user},
            "context": {"System": {"application": application, "user": user,
                                   "device": {"deviceId": "amzn1.ask.device.SIMULATED",
                                              "supportedInterfaces": {}},
                                   "apiEndpoint": "https://api.amazonalexa.com"}},
            "request": request,
        });
        body.to_string().into_bytes()
    }
}

/// A LaunchRequest.
pub fn launch() -> Value {
    json!({"type": "LaunchRequest"})
}

/// An IntentRequest for `name` with `slots` (`None` values are slots Alexa sent empty).
pub fn intent(name: &str, slots: &[(&str, Option<&str>)]) -> Value {
    let slots: serde_json::Map<String, Value> = slots
        .iter()
        .map(|(slot, value)| {
            let mut s = json!({"name": slot, "confirmationStatus": "NONE"});
            if let Some(v) = value {
                s["value"] = json!(v);
            }
            (slot.to_string(), s)
        })
        .collect();
    json!({"type": "IntentRequest", "dialogState": "COMPLETED",
           "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots}})
}

/// A SessionEndedRequest.
pub fn session_ended() -> Value {
    json!({"type": "SessionEndedRequest", "reason": "USER_INITIATED"})
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params);
    params
}

/// 2020 to 2040: wide enough for the fixed clocks of tests and for the demo.
fn set_validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2040, 1, 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_chain_holds_the_signing_certificate_then_the_intermediate() {
        let alexa = SimulatedAlexa::new("amzn1.ask.skill.sim").unwrap();
        let pem = String::from_utf8(alexa.chain_pem().to_vec()).unwrap();
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 2);
        let body = alexa.envelope(intent("StatusIntent", &[]), Some("t"), Utc::now());
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["context"]["System"]["user"]["accessToken"], "t");
        assert_eq!(parsed["request"]["intent"]["name"], "StatusIntent");
        assert_eq!(alexa.headers(&body)[0].1, SIM_CERT_URL);
    }

    #[tokio::test]
    async fn a_request_the_simulated_alexa_signs_passes_a_verifier_that_trusts_its_root_only() {
        use crate::verify::{Verifier, VerifierConfig, MAX_TIMESTAMP_SKEW_SECS};
        use std::sync::Arc;
        let alexa = SimulatedAlexa::new("amzn1.ask.skill.sim").unwrap();
        let now = Utc::now();
        let verifier = |anchors| {
            Verifier::new(
                VerifierConfig {
                    skill_ids: vec!["amzn1.ask.skill.sim".into()],
                    trust_anchors: anchors,
                    max_skew_secs: MAX_TIMESTAMP_SKEW_SECS,
                },
                Arc::new(alexa.fetcher()),
                Arc::new(slbot_base::ManualClock::new(now)),
            )
        };
        let body = alexa.envelope(launch(), None, now);
        let mut headers = http::HeaderMap::new();
        for (name, value) in alexa.headers(&body) {
            headers.insert(name, value.parse().unwrap());
        }
        verifier(vec![alexa.root()])
            .verify(&headers, &body)
            .await
            .unwrap();
        // With the Mozilla roots (the production default) the test CA is not trusted.
        let refused = verifier(Vec::new()).verify(&headers, &body).await;
        assert!(
            matches!(refused, Err(crate::verify::Refusal::UntrustedChain(_))),
            "{refused:?}"
        );
    }
}
