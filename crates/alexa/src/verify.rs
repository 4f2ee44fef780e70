//! The checks Amazon requires of a self-hosted skill endpoint (alexa.md §3), in Amazon's order,
//! each refusal a distinct [`Refusal`] (the endpoint answers HTTP 400 to all of them).
//!
//! All cryptography is rustls-webpki on ring: the chain to a trust anchor, the signing
//! certificate's dates and name, and the RSA PKCS#1 v1.5 SHA-256 signature over the raw body.
//! The trust anchors, the certificate fetcher, the clock and the skill ids are injected, so the
//! tests use a CA of their own, an in-memory chain and a fixed time. No SHA-1 `Signature` fallback.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use slbot_base::Clock;
use url::Url;
use webpki::{EndEntityCert, KeyUsage};

/// The header naming the URL of the PEM certificate chain.
pub const SIGNATURE_CERT_CHAIN_URL: &str = "SignatureCertChainUrl";
/// The header with the base64 RSA SHA-256 signature of the body.
pub const SIGNATURE_256: &str = "Signature-256";
/// How far `request.timestamp` may be from now, either way (Amazon: 150 s).
pub const MAX_TIMESTAMP_SKEW_SECS: i64 = 150;
/// The DNS name the signing certificate must be valid for.
pub const SIGNING_CERT_NAME: &str = "echo-api.amazon.com";

/// Why a request was refused (the endpoint answers HTTP 400 for every variant). Display is one
/// short sentence for the log; it never contains the body, a signature or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A required header is absent or empty.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// The certificate chain URL is not one of Amazon's.
    #[error("the certificate chain URL is refused: {0}")]
    CertUrl(CertUrlProblem),
    /// The chain could not be fetched.
    #[error("the certificate chain could not be fetched: {0}")]
    CertFetch(String),
    /// The fetched chain is not PEM certificates webpki can read.
    #[error("the certificate chain could not be read: {0}")]
    CertParse(String),
    /// The signing certificate's NotAfter is past.
    #[error("the signing certificate has expired")]
    CertExpired,
    /// The signing certificate's NotBefore is still to come.
    #[error("the signing certificate is not valid yet")]
    CertNotYetValid,
    /// The signing certificate is not valid for echo-api.amazon.com.
    #[error("the signing certificate is not for echo-api.amazon.com")]
    WrongSan,
    /// The chain does not reach a trust anchor (or a certificate in it is unusable).
    #[error("the certificate chain is not trusted: {0}")]
    UntrustedChain(String),
    /// Signature-256 is not base64.
    #[error("the Signature-256 header is not base64")]
    BadSignatureEncoding,
    /// The signature does not verify over the body with the signing certificate's key.
    #[error("the signature does not match the body")]
    BadSignature,
    /// The body is not JSON, or lacks a field the checks need.
    #[error("the request body is unusable: {0}")]
    BadBody(String),
    /// `request.timestamp` is more than the allowed skew in the past.
    #[error("the request timestamp is {skew_secs} s old")]
    StaleTimestamp {
        /// Seconds behind now.
        skew_secs: i64,
    },
    /// `request.timestamp` is more than the allowed skew in the future.
    #[error("the request timestamp is {skew_secs} s in the future")]
    FutureTimestamp {
        /// Seconds ahead of now.
        skew_secs: i64,
    },
    /// The application id is not one of our skills.
    #[error("the request is for another skill")]
    UnknownSkill,
}

/// What is wrong with a SignatureCertChainUrl (alexa.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertUrlProblem {
    /// Not a URL at all.
    #[error("not a URL")]
    NotParsable,
    /// Not https.
    #[error("not https")]
    Scheme,
    /// Not s3.amazonaws.com.
    #[error("not s3.amazonaws.com")]
    Host,
    /// A port other than 443.
    #[error("not port 443")]
    Port,
    /// The path (dot segments removed) does not start with /echo.api/.
    #[error("the path is not under /echo.api/")]
    Path,
    /// A query, fragment or user name: Amazon's URLs have none, and each variant would be
    /// fetched and cached apart (unsigned requests could make us fetch at will).
    #[error("a query, fragment or user info")]
    Extra,
}

/// Checks the SignatureCertChainUrl before anything is fetched (alexa.md §3.2): https (any case),
/// host s3.amazonaws.com (any case), port absent or 443, path after removing dot segments starting
/// with "/echo.api/" (case-sensitive). Returns the normalised URL.
pub fn check_cert_url(raw: &str) -> Result<Url, CertUrlProblem> {
    // `Url::parse` lower-cases the scheme and host, drops the default port and resolves `.`,
    // `..` (also percent-encoded) in the path, as the WHATWG URL standard says.
    let url = Url::parse(raw).map_err(|_| CertUrlProblem::NotParsable)?;
    if url.scheme() != "https" {
        return Err(CertUrlProblem::Scheme);
    }
    if url.host_str() != Some("s3.amazonaws.com") {
        return Err(CertUrlProblem::Host);
    }
    if url.port_or_known_default() != Some(443) {
        return Err(CertUrlProblem::Port);
    }
    if !url.path().starts_with("/echo.api/") {
        return Err(CertUrlProblem::Path);
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(CertUrlProblem::Extra);
    }
    Ok(url)
}

/// A boxed future that can cross threads (the shape of `futures::future::BoxFuture`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the PEM chain comes from: production fetches it over HTTPS; tests and the demo serve it
/// from memory.
pub trait CertFetcher: Send + Sync {
    /// The bytes at `url` (already checked by [`check_cert_url`]), or why there are none.
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, String>>;
}

/// Fetches chains from Amazon over HTTPS (reqwest on rustls): 5 s timeout, no redirects,
/// https only, at most 64 KiB.
#[derive(Debug, Clone)]
pub struct HttpCertFetcher {
    client: reqwest::Client,
}

impl HttpCertFetcher {
    /// The bound on one fetch.
    pub const TIMEOUT: Duration = Duration::from_secs(5);
    /// The most bytes a chain may have (Amazon's is about 5 KiB).
    pub const MAX_BYTES: usize = 64 * 1024;

    /// A fetcher with its own client; fails only if the TLS backend cannot start.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Self::TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .build()?;
        Ok(Self { client })
    }
}

impl CertFetcher for HttpCertFetcher {
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(async move {
            let mut response = self
                .client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            let too_big = || format!("more than {} bytes", Self::MAX_BYTES);
            if response
                .content_length()
                .is_some_and(|n| n > Self::MAX_BYTES as u64)
            {
                return Err(too_big());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                if body.len() + chunk.len() > Self::MAX_BYTES {
                    return Err(too_big());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        })
    }
}

/// Serves chains from memory by URL (tests, the demo); counts fetches so tests can see the cache.
#[derive(Debug, Default)]
pub struct MemoryCertFetcher {
    chains: Mutex<HashMap<Url, Vec<u8>>>,
    fetches: AtomicUsize,
}

impl MemoryCertFetcher {
    /// An empty fetcher: every URL is "not found" until [`MemoryCertFetcher::insert`]ed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `pem` at `url` (compared after normalisation, as [`check_cert_url`] returns it).
    pub fn insert(&self, url: Url, pem: impl Into<Vec<u8>>) {
        self.chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url, pem.into());
    }

    /// How many fetches were asked of it so far, found or not.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl CertFetcher for MemoryCertFetcher {
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let found = self
            .chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url)
            .cloned();
        Box::pin(std::future::ready(
            found.ok_or_else(|| format!("no chain at {url}")),
        ))
    }
}

/// What the verifier accepts.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Our skills' application ids, compared exactly.
    pub skill_ids: Vec<String>,
    /// Root certificates to trust; empty means webpki-roots (Mozilla's roots, which hold Amazon's).
    pub trust_anchors: Vec<CertificateDer<'static>>,
    /// How far request.timestamp may be from now (normally [`MAX_TIMESTAMP_SKEW_SECS`]).
    pub max_skew_secs: i64,
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The skill the request is for (one of [`VerifierConfig::skill_ids`]).
    pub application_id: String,
    /// The request's own timestamp.
    pub timestamp: DateTime<Utc>,
}

/// A parsed chain: signing certificate first, then intermediates.
type Chain = Arc<Vec<CertificateDer<'static>>>;

/// Verifies Alexa requests (alexa.md §3); chains are cached by URL for an hour.
pub struct Verifier {
    skill_ids: Vec<String>,
    anchors: Vec<TrustAnchor<'static>>,
    max_skew_secs: i64,
    fetcher: Arc<dyn CertFetcher>,
    clock: Arc<dyn Clock>,
    chains: moka::future::Cache<Url, Chain>,
}

impl Verifier {
    /// How long a fetched chain is kept (Amazon rotates it; a new one comes with a new URL).
    pub const CHAIN_TTL: Duration = Duration::from_secs(3600);
    /// How many chains are kept (Amazon uses one or two at a time).
    pub const CHAIN_CACHE_CAPACITY: u64 = 16;

    /// A verifier of `config`'s skills. A configured anchor webpki cannot read is left out, so
    /// chains to it are refused (it never falls back to webpki-roots).
    pub fn new(
        config: VerifierConfig,
        fetcher: Arc<dyn CertFetcher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let anchors = if config.trust_anchors.is_empty() {
            webpki_roots::TLS_SERVER_ROOTS.to_vec()
        } else {
            config
                .trust_anchors
                .iter()
                .filter_map(|der| webpki::anchor_from_trusted_cert(der).ok())
                .map(|anchor| anchor.to_owned())
                .collect()
        };
        Self {
            skill_ids: config.skill_ids,
            anchors,
            max_skew_secs: config.max_skew_secs,
            fetcher,
            clock,
            chains: moka::future::Cache::builder()
                .max_capacity(Self::CHAIN_CACHE_CAPACITY)
                .time_to_live(Self::CHAIN_TTL)
                .build(),
        }
    }

    /// Every check of alexa.md §3, in this order: both headers present (empty counts as
    /// missing); the cert URL; fetch (cached by URL) and parse the PEM chain; the signing cert's
    /// dates at the clock's now; its SAN has echo-api.amazon.com; the chain reaches a trust
    /// anchor; Signature-256 verifies (RSA PKCS#1 v1.5 SHA-256) over the raw body; the body's
    /// request.timestamp is within the skew of now; the application id is one of ours.
    pub async fn verify(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified, Refusal> {
        let cert_url = header(headers, SIGNATURE_CERT_CHAIN_URL)?;
        let signature = header(headers, SIGNATURE_256)?;

        let url = match cert_url {
            Header::Text(raw) => check_cert_url(raw).map_err(Refusal::CertUrl)?,
            Header::NotText => return Err(Refusal::CertUrl(CertUrlProblem::NotParsable)),
        };
        let chain = self.chain(url).await?;
        let (leaf_der, intermediates) = chain
            .split_first()
            .ok_or_else(|| Refusal::CertParse("no certificate".into()))?;
        let leaf =
            EndEntityCert::try_from(leaf_der).map_err(|e| Refusal::CertParse(e.to_string()))?;
        let now = self.clock.now();
        let at = UnixTime::since_unix_epoch(Duration::from_secs(
            u64::try_from(now.timestamp()).unwrap_or(0),
        ));

        check_dates(&leaf, at)?;
        let name = ServerName::try_from(SIGNING_CERT_NAME).map_err(|_| Refusal::WrongSan)?;
        // webpki's own name check: SAN dNSName entries only (never the subject CN), and a
        // wildcard such as *.amazon.com covers the name, as it would for a TLS client.
        leaf.verify_is_valid_for_subject_name(&name)
            .map_err(|_| Refusal::WrongSan)?;
        leaf.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            intermediates,
            at,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| Refusal::UntrustedChain(chain_error(&e)))?;

        let signature = match signature {
            Header::Text(text) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| Refusal::BadSignatureEncoding)?,
            Header::NotText => return Err(Refusal::BadSignatureEncoding),
        };
        leaf.verify_signature(webpki::ring::RSA_PKCS1_2048_8192_SHA256, body, &signature)
            .map_err(|_| Refusal::BadSignature)?;

        let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            // Only the position: serde_json's messages can quote the input.
            Refusal::BadBody(format!(
                "not JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let timestamp = json
            .pointer("/request/timestamp")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| Refusal::BadBody("no request.timestamp".into()))?;
        let timestamp = DateTime::parse_from_rfc3339(timestamp)
            .map_err(|_| Refusal::BadBody("request.timestamp is not ISO 8601".into()))?
            .with_timezone(&Utc);
        self.check_timestamp(timestamp, now)?;

        let application_id = json
            .pointer("/context/System/application/applicationId")
            .or_else(|| json.pointer("/session/application/applicationId"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| Refusal::BadBody("no application id".into()))?;
        if !self.skill_ids.iter().any(|id| id == application_id) {
            return Err(Refusal::UnknownSkill);
        }
        Ok(Verified {
            application_id: application_id.to_owned(),
            timestamp,
        })
    }

    /// The chain at `url`, from the cache or fetched and parsed (failures are not cached).
    async fn chain(&self, url: Url) -> Result<Chain, Refusal> {
        let fetch_url = url.clone();
        self.chains
            .try_get_with(url, async move {
                let pem = self
                    .fetcher
                    .fetch(&fetch_url)
                    .await
                    .map_err(Refusal::CertFetch)?;
                parse_chain(&pem).map(Arc::new)
            })
            .await
            .map_err(|e| (*e).clone())
    }

    fn check_timestamp(&self, timestamp: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
        let behind_ms = now.signed_duration_since(timestamp).num_milliseconds();
        let max_ms = self.max_skew_secs.saturating_mul(1000);
        if behind_ms > max_ms {
            return Err(Refusal::StaleTimestamp {
                skew_secs: behind_ms / 1000,
            });
        }
        if behind_ms < max_ms.saturating_neg() {
            return Err(Refusal::FutureTimestamp {
                skew_secs: behind_ms.saturating_neg() / 1000,
            });
        }
        Ok(())
    }
}

/// A header's value: absent and empty are refused, non-ASCII is left to the caller.
enum Header<'a> {
    Text(&'a str),
    NotText,
}

fn header<'a>(headers: &'a http::HeaderMap, name: &'static str) -> Result<Header<'a>, Refusal> {
    let value = headers.get(name).ok_or(Refusal::MissingHeader(name))?;
    if value.as_bytes().iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::MissingHeader(name));
    }
    Ok(match value.to_str() {
        Ok(text) => Header::Text(text),
        Err(_) => Header::NotText,
    })
}

/// PEM → DER certificates in order; the first must be a certificate webpki can read.
fn parse_chain(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Refusal> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Refusal::CertParse(e.to_string()))?;
    let leaf = chain
        .first()
        .ok_or_else(|| Refusal::CertParse("no certificate in the PEM".into()))?;
    EndEntityCert::try_from(leaf).map_err(|e| Refusal::CertParse(e.to_string()))?;
    Ok(chain)
}

/// The signing certificate's own dates (and EKU, basic constraints) at `at`.
///
/// webpki checks these first for the end entity, before looking for an issuer; with no anchors
/// and no intermediates the only other outcome is `UnknownIssuer`, which here means "dates fine".
/// Doing this apart from the chain tells an expired signing certificate from an expired
/// intermediate (that one is an untrusted chain).
///
/// EKU: `KeyUsage::server_auth()` is "serverAuth if the extension is present": Amazon's
/// certificate lists serverAuth and clientAuth and passes; a certificate without the extension
/// passes too (RFC 5280: any purpose), one with only other purposes does not.
fn check_dates(leaf: &EndEntityCert<'_>, at: UnixTime) -> Result<(), Refusal> {
    match leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[],
        &[],
        at,
        KeyUsage::server_auth(),
        None,
        None,
    ) {
        Ok(_) | Err(webpki::Error::UnknownIssuer) => Ok(()),
        Err(webpki::Error::CertExpired { .. }) => Err(Refusal::CertExpired),
        Err(webpki::Error::CertNotValidYet { .. }) => Err(Refusal::CertNotYetValid),
        Err(other) => Err(Refusal::UntrustedChain(chain_error(&other))),
    }
}

fn chain_error(error: &webpki::Error) -> String {
    match error {
        webpki::Error::UnknownIssuer => "it does not reach a trusted root".into(),
        webpki::Error::CertExpired { .. } => "a certificate in it has expired".into(),
        webpki::Error::CertNotValidYet { .. } => "a certificate in it is not valid yet".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
        KeyPair, PKCS_RSA_SHA256,
    };
    use rsa::pkcs8::EncodePrivateKey as _;
    use slbot_base::ManualClock;

    use super::*;

    const URL: &str = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem";
    const OTHER_URL: &str = "https://s3.amazonaws.com/echo.api/echo-api-cert-13.pem";
    const SKILL: &str = "amzn1.ask.skill.test";
    const NOW: &str = "2026-06-15T12:00:00Z";

    /// The test CA, made once per test binary (RSA keygen is slow).
    struct Pki {
        root: CertificateDer<'static>,
        signing_key: Vec<u8>,
        other_key: Vec<u8>,
        genuine: String,
        expired: String,
        not_yet_valid: String,
        wrong_san: String,
        untrusted: String,
    }

    fn rsa_pkcs8() -> Vec<u8> {
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("keygen");
        key.to_pkcs8_der().expect("pkcs8").as_bytes().to_vec()
    }

    fn ca(name: &str) -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2040, 1, 1);
        params
    }

    fn leaf(san: &str, from: i32, to: i32) -> CertificateParams {
        let mut params = CertificateParams::new(vec![san.to_owned()]).expect("params");
        params.distinguished_name.push(DnType::CommonName, san);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.not_before = date_time_ymd(from, 1, 1);
        params.not_after = date_time_ymd(to, 1, 1);
        params
    }

    static PKI: LazyLock<Pki> = LazyLock::new(|| {
        let signing_key = rsa_pkcs8();
        let other_key = rsa_pkcs8();
        let signing = KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls_pki_types::PrivatePkcs8KeyDer::from(signing_key.clone()),
            &PKCS_RSA_SHA256,
        )
        .expect("rcgen loads the RSA key");
        let chain = |root_name: &str, params: CertificateParams| {
            let root_key = KeyPair::generate().expect("key");
            let root = ca(root_name).self_signed(&root_key).expect("root");
            let inter_key = KeyPair::generate().expect("key");
            let inter = ca("Test Intermediate")
                .signed_by(&inter_key, &root, &root_key)
                .expect("intermediate");
            let cert = params
                .signed_by(&signing, &inter, &inter_key)
                .expect("leaf");
            format!("{}{}", cert.pem(), inter.pem())
        };
        // One root for the trusted chains: build it once and sign every leaf under it.
        let root_key = KeyPair::generate().expect("key");
        let root = ca("Test Root").self_signed(&root_key).expect("root");
        let inter_key = KeyPair::generate().expect("key");
        let inter = ca("Test Intermediate")
            .signed_by(&inter_key, &root, &root_key)
            .expect("intermediate");
        let under_root = |params: CertificateParams| {
            let cert = params
                .signed_by(&signing, &inter, &inter_key)
                .expect("leaf");
            format!("{}{}", cert.pem(), inter.pem())
        };
        let untrusted = chain("Another Root", leaf(SIGNING_CERT_NAME, 2026, 2027));
        Pki {
            root: root.der().clone(),
            genuine: under_root(leaf(SIGNING_CERT_NAME, 2026, 2027)),
            expired: under_root(leaf(SIGNING_CERT_NAME, 2025, 2026)),
            not_yet_valid: under_root(leaf(SIGNING_CERT_NAME, 2027, 2028)),
            wrong_san: under_root(leaf("echo-api.example.com", 2026, 2027)),
            untrusted,
            signing_key,
            other_key,
        }
    });

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    fn verifier(pem: &str) -> (Verifier, Arc<MemoryCertFetcher>) {
        let fetcher = Arc::new(MemoryCertFetcher::new());
        fetcher.insert(url(URL), pem);
        fetcher.insert(url(OTHER_URL), pem);
        let config = VerifierConfig {
            skill_ids: vec![SKILL.to_owned()],
            trust_anchors: vec![PKI.root.clone()],
            max_skew_secs: MAX_TIMESTAMP_SKEW_SECS,
        };
        let clock = Arc::new(ManualClock::new(at(NOW)));
        (Verifier::new(config, fetcher.clone(), clock), fetcher)
    }

    fn body(timestamp: &str, skill: &str) -> Vec<u8> {
        format!(
            r#"{{"version":"1.0","session":{{"application":{{"applicationId":"{skill}"}}}},"context":{{"System":{{"application":{{"applicationId":"{skill}"}}}}}},"request":{{"type":"LaunchRequest","requestId":"r1","timestamp":"{timestamp}","locale":"en-US"}}}}"#
        )
        .into_bytes()
    }

    fn sign(key: &[u8], body: &[u8]) -> String {
        let key = ring::signature::RsaKeyPair::from_pkcs8(key).expect("ring loads the key");
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            body,
            &mut signature,
        )
        .expect("sign");
        base64::engine::general_purpose::STANDARD.encode(signature)
    }

    fn headers(cert_url: Option<&str>, signature: Option<&str>) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        if let Some(v) = cert_url {
            headers.insert(SIGNATURE_CERT_CHAIN_URL, v.parse().expect("header"));
        }
        if let Some(v) = signature {
            headers.insert(SIGNATURE_256, v.parse().expect("header"));
        }
        headers
    }

    /// A request signed with the genuine key at `URL`, against the chain `pem`.
    async fn verify_signed(pem: &str, body: &[u8]) -> Result<Verified, Refusal> {
        let (verifier, _) = verifier(pem);
        let signature = sign(&PKI.signing_key, body);
        verifier
            .verify(&headers(Some(URL), Some(&signature)), body)
            .await
    }

    #[tokio::test]
    async fn a_genuine_request_is_accepted() {
        let body = body(NOW, SKILL);
        let verified = verify_signed(&PKI.genuine, &body).await;
        assert_eq!(
            verified,
            Ok(Verified {
                application_id: SKILL.to_owned(),
                timestamp: at(NOW),
            })
        );
    }

    #[tokio::test]
    async fn a_missing_cert_chain_url_is_refused() {
        let (verifier, _) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.signing_key, &body);
        for cert_url in [None, Some("")] {
            let result = verifier
                .verify(&headers(cert_url, Some(&signature)), &body)
                .await;
            assert_eq!(
                result,
                Err(Refusal::MissingHeader(SIGNATURE_CERT_CHAIN_URL))
            );
        }
    }

    #[tokio::test]
    async fn a_missing_signature_is_refused() {
        let (verifier, _) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        for signature in [None, Some("")] {
            let result = verifier.verify(&headers(Some(URL), signature), &body).await;
            assert_eq!(result, Err(Refusal::MissingHeader(SIGNATURE_256)));
        }
    }

    #[test]
    fn cert_urls_are_checked_as_amazon_says() {
        use CertUrlProblem::*;
        let table: &[(&str, Result<&str, CertUrlProblem>)] = &[
            (
                "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
                Ok("https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
            ),
            (
                "https://s3.amazonaws.com:443/echo.api/c",
                Ok("https://s3.amazonaws.com/echo.api/c"),
            ),
            (
                "https://S3.AMAZONAWS.COM/echo.api/../echo.api/c",
                Ok("https://s3.amazonaws.com/echo.api/c"),
            ),
            (
                "HTTPS://s3.amazonaws.com/echo.api/c",
                Ok("https://s3.amazonaws.com/echo.api/c"),
            ),
            ("http://s3.amazonaws.com/echo.api/c", Err(Scheme)),
            ("https://very.bad/echo.api/c", Err(Host)),
            ("https://s3.amazonaws.com:563/echo.api/c", Err(Port)),
            ("https://s3.amazonaws.com/ECHO.API/c", Err(Path)),
            ("https://s3.amazonaws.com/echo.api/../c", Err(Path)),
            ("https://s3.amazonaws.com/echo.api/%2e%2e/c", Err(Path)),
            ("https://s3.amazonaws.com/echo.api", Err(Path)),
            ("https://s3.amazonaws.com/echo.api/c?v=1", Err(Extra)),
            ("https://s3.amazonaws.com/echo.api/c#x", Err(Extra)),
            ("https://someone@s3.amazonaws.com/echo.api/c", Err(Extra)),
            ("not a url", Err(NotParsable)),
            ("", Err(NotParsable)),
        ];
        for (raw, expected) in table {
            let got = check_cert_url(raw);
            assert_eq!(
                got.as_ref().map(Url::as_str).map_err(|e| *e),
                *expected,
                "{raw}"
            );
        }
    }

    #[tokio::test]
    async fn a_refused_cert_url_is_refused_before_any_fetch() {
        let (verifier, fetcher) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.signing_key, &body);
        for (raw, problem) in [
            ("http://s3.amazonaws.com/echo.api/c", CertUrlProblem::Scheme),
            ("https://very.bad/echo.api/c", CertUrlProblem::Host),
            (
                "https://s3.amazonaws.com:563/echo.api/c",
                CertUrlProblem::Port,
            ),
            ("https://s3.amazonaws.com/ECHO.API/c", CertUrlProblem::Path),
            (
                "https://s3.amazonaws.com/echo.api/../c",
                CertUrlProblem::Path,
            ),
        ] {
            let result = verifier
                .verify(&headers(Some(raw), Some(&signature)), &body)
                .await;
            assert_eq!(result, Err(Refusal::CertUrl(problem)), "{raw}");
        }
        assert_eq!(fetcher.fetches(), 0);
    }

    #[tokio::test]
    async fn accepted_cert_url_variants_reach_the_same_chain() {
        let (verifier, fetcher) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.signing_key, &body);
        for raw in [
            "https://s3.amazonaws.com:443/echo.api/echo-api-cert-12.pem",
            "https://S3.AMAZONAWS.COM/echo.api/../echo.api/echo-api-cert-12.pem",
            "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert-12.pem",
        ] {
            let result = verifier
                .verify(&headers(Some(raw), Some(&signature)), &body)
                .await;
            assert!(result.is_ok(), "{raw}: {result:?}");
        }
        assert_eq!(
            fetcher.fetches(),
            1,
            "all three are one URL once normalised"
        );
    }

    #[tokio::test]
    async fn an_expired_certificate_is_refused() {
        let body = body(NOW, SKILL);
        assert_eq!(
            verify_signed(&PKI.expired, &body).await,
            Err(Refusal::CertExpired)
        );
    }

    #[tokio::test]
    async fn a_not_yet_valid_certificate_is_refused() {
        let body = body(NOW, SKILL);
        assert_eq!(
            verify_signed(&PKI.not_yet_valid, &body).await,
            Err(Refusal::CertNotYetValid)
        );
    }

    #[tokio::test]
    async fn a_certificate_for_another_name_is_refused() {
        let body = body(NOW, SKILL);
        assert_eq!(
            verify_signed(&PKI.wrong_san, &body).await,
            Err(Refusal::WrongSan)
        );
    }

    #[tokio::test]
    async fn a_chain_to_an_untrusted_root_is_refused() {
        let body = body(NOW, SKILL);
        assert_eq!(
            verify_signed(&PKI.untrusted, &body).await,
            Err(Refusal::UntrustedChain(
                "it does not reach a trusted root".into()
            ))
        );
    }

    #[tokio::test]
    async fn a_chain_that_is_not_pem_is_refused() {
        let body = body(NOW, SKILL);
        assert!(matches!(
            verify_signed("not a certificate", &body).await,
            Err(Refusal::CertParse(_))
        ));
    }

    #[tokio::test]
    async fn a_chain_that_cannot_be_fetched_is_refused() {
        let (verifier, _) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.signing_key, &body);
        let result = verifier
            .verify(
                &headers(
                    Some("https://s3.amazonaws.com/echo.api/absent.pem"),
                    Some(&signature),
                ),
                &body,
            )
            .await;
        assert!(matches!(result, Err(Refusal::CertFetch(_))), "{result:?}");
    }

    #[tokio::test]
    async fn a_signature_that_is_not_base64_is_refused() {
        let (verifier, _) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let result = verifier
            .verify(&headers(Some(URL), Some("not*base64!")), &body)
            .await;
        assert_eq!(result, Err(Refusal::BadSignatureEncoding));
    }

    #[tokio::test]
    async fn a_signature_over_a_different_body_is_refused() {
        let (verifier, _) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.signing_key, &body);
        let mut tampered = body.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 1;
        let result = verifier
            .verify(&headers(Some(URL), Some(&signature)), &tampered)
            .await;
        assert_eq!(result, Err(Refusal::BadSignature));
    }

    #[tokio::test]
    async fn a_signature_by_another_key_is_refused() {
        let (verifier, _) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.other_key, &body);
        let result = verifier
            .verify(&headers(Some(URL), Some(&signature)), &body)
            .await;
        assert_eq!(result, Err(Refusal::BadSignature));
    }

    #[tokio::test]
    async fn a_timestamp_151_seconds_old_is_refused_as_stale() {
        let body = body("2026-06-15T11:57:29Z", SKILL);
        assert_eq!(
            verify_signed(&PKI.genuine, &body).await,
            Err(Refusal::StaleTimestamp { skew_secs: 151 })
        );
    }

    #[tokio::test]
    async fn a_timestamp_151_seconds_ahead_is_refused_as_future() {
        let body = body("2026-06-15T12:02:31Z", SKILL);
        assert_eq!(
            verify_signed(&PKI.genuine, &body).await,
            Err(Refusal::FutureTimestamp { skew_secs: 151 })
        );
    }

    #[tokio::test]
    async fn a_timestamp_150_seconds_off_either_way_is_still_accepted() {
        for timestamp in ["2026-06-15T11:57:30Z", "2026-06-15T12:02:30Z"] {
            let body = body(timestamp, SKILL);
            let result = verify_signed(&PKI.genuine, &body).await;
            assert!(result.is_ok(), "{timestamp}: {result:?}");
        }
    }

    #[tokio::test]
    async fn a_request_for_another_skill_is_refused() {
        let body = body(NOW, "amzn1.ask.skill.someone-else");
        assert_eq!(
            verify_signed(&PKI.genuine, &body).await,
            Err(Refusal::UnknownSkill)
        );
    }

    #[tokio::test]
    async fn a_signed_body_that_is_not_json_is_refused() {
        let body = b"this is not json, and must not appear in the refusal";
        let result = verify_signed(&PKI.genuine, body).await;
        assert!(matches!(&result, Err(Refusal::BadBody(_))), "{result:?}");
        let text = result.expect_err("refused").to_string();
        assert!(!text.contains("must not appear"), "{text}");
    }

    #[tokio::test]
    async fn the_chain_is_fetched_once_per_url() {
        let (verifier, fetcher) = verifier(&PKI.genuine);
        let body = body(NOW, SKILL);
        let signature = sign(&PKI.signing_key, &body);
        for _ in 0..2 {
            let result = verifier
                .verify(&headers(Some(URL), Some(&signature)), &body)
                .await;
            assert!(result.is_ok(), "{result:?}");
        }
        assert_eq!(fetcher.fetches(), 1, "the second request used the cache");
        let result = verifier
            .verify(&headers(Some(OTHER_URL), Some(&signature)), &body)
            .await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(fetcher.fetches(), 2, "a new URL is fetched");
    }
}
