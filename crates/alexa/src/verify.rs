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
