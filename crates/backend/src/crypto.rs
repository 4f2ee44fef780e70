//! Encryption of tokens at rest: AES-256-GCM with a random 96-bit nonce per value and the
//! associated data `u32-BE length of the context ‖ context ‖ key id` (the context is the
//! personId for tokens, the OAuth `state` for PKCE verifiers), so a ciphertext copied to
//! another row does not decrypt. Values sealed before the length prefix existed (associated
//! data `context ‖ key id`, [`SealFormat::Legacy`]) still open; the store re-seals them at
//! start, so they do not stay.
//!
//! The key comes from `SLBOT_STORE_KEY` (64 hex characters); its id is the first 8 hex
//! characters of SHA-256 of the 32 key bytes and is stored beside each row. Keys listed in
//! `SLBOT_STORE_OLD_KEYS` still decrypt (rotation); new values are always sealed with the
//! current key. A value that does not decrypt is an error naming the key id, never garbage.
//!
//! The keyring also protects the stored form of the sign-in confirmation codes
//! ([`Keyring::hash_code`]): an HMAC-SHA256 (with its own label) under a random key that is
//! sealed like a token, so a copy of the database alone does not reveal a code (six digits are
//! a million guesses of a plain hash), and `rekey` can move the key to a new store key (a key
//! derived from the store key could not follow a rotation: the code itself is not kept).

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The first line of every confirmation-code MAC (domain separation).
const CODE_MAC_LABEL: &str = "SLBOT-CONFIRM-CODE";

/// The prefix of a code hash in the current form.
const CODE_HASH_PREFIX: &str = "hmac-sha256:";

/// How the associated data of a sealed value is laid out (the store's `seal_format` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealFormat {
    /// `context ‖ key id`: unambiguous only because key ids are always 8 characters.
    Legacy = 1,
    /// `u32-BE length of the context ‖ context ‖ key id`: what [`Keyring::seal`] writes.
    LengthPrefixed = 2,
}

impl SealFormat {
    /// The value of the store's `seal_format` column.
    pub const fn column(self) -> i64 {
        self as i64
    }
}

/// A store key setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{setting} must be 64 hex characters (256 bits); `slbot keygen` prints one")]
    Malformed { setting: &'static str },
}

/// A value that cannot be decrypted. Names the key id so the operator knows which key is
/// missing; never contains key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "a stored value is encrypted with key id {key_id}, which is neither SLBOT_STORE_KEY \
         ({current}) nor in SLBOT_STORE_OLD_KEYS"
    )]
    UnknownKey { key_id: String, current: String },
    #[error(
        "a stored value does not decrypt with key id {key_id} (wrong key, or the value was \
         altered or moved to another row)"
    )]
    Decrypt { key_id: String },
}

/// One AES-256 key and its id.
#[derive(Clone)]
pub struct StoreKey {
    id: String,
    cipher: Aes256Gcm,
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl StoreKey {
    /// Parses 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(hex_key: &str, setting: &'static str) -> Result<Self, KeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| KeyError::Malformed { setting })?;
        if bytes.len() != 32 {
            return Err(KeyError::Malformed { setting });
        }
        let id = hex::encode(Sha256::digest(&bytes))[..8].to_string();
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes));
        Ok(Self { id, cipher })
    }

    /// The key id: first 8 hex characters of SHA-256 of the key bytes.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The current key plus old keys that still decrypt.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: StoreKey,
    old: Vec<StoreKey>,
}

/// A confirmation code as stored: its MAC and the MAC's key, sealed.
pub struct CodeHash {
    /// `hmac-sha256:` + hex `HMAC-SHA256(key, "SLBOT-CONFIRM-CODE\n" personId "\n" code)`.
    pub hash: String,
    /// The random 256-bit key (as hex), sealed for [`code_key_context`] with the current key.
    pub sealed_key: Vec<u8>,
}

impl fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeHash").finish_non_exhaustive()
    }
}

/// The context a code's key is sealed for. Never a personId or a state (neither contains a
/// `:`), so the sealed key cannot pass for a token of the same row, or the other way round.
pub fn code_key_context(person_id: &str) -> String {
    format!("confirm-code:{person_id}")
}

fn code_mac(key: &[u8], person_id: &str, code: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(format!("{CODE_MAC_LABEL}\n{person_id}\n{}", code.trim()).as_bytes());
    format!(
        "{CODE_HASH_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The associated data of a value sealed for `context` under `key_id` in `format`.
fn associated_data(format: SealFormat, context: &str, key_id: &str) -> Vec<u8> {
    let mut ad = Vec::with_capacity(4 + context.len() + key_id.len());
    if format == SealFormat::LengthPrefixed {
        // Contexts are personIds (at most 512 bytes) and OAuth states (at most 256).
        let len = u32::try_from(context.len()).unwrap_or(u32::MAX);
        ad.extend_from_slice(&len.to_be_bytes());
    }
    ad.extend_from_slice(context.as_bytes());
    ad.extend_from_slice(key_id.as_bytes());
    ad
}

/// The unkeyed SHA-256 code hash stored before [`Keyring::hash_code`] existed.
fn legacy_code_hash(person_id: &str, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{person_id}\n{}", code.trim()).as_bytes(),
    ))
}

impl Keyring {
    /// From `SLBOT_STORE_KEY` and the entries of `SLBOT_STORE_OLD_KEYS`.
    pub fn new(current: &SecretString, old: &[SecretString]) -> Result<Self, KeyError> {
        let current = StoreKey::from_hex(current.expose_secret(), "SLBOT_STORE_KEY")?;
        let old = old
            .iter()
            .map(|k| StoreKey::from_hex(k.expose_secret(), "SLBOT_STORE_OLD_KEYS"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { current, old })
    }

    /// The id new values are sealed with.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// The ids of the old keys.
    pub fn old_ids(&self) -> Vec<&str> {
        self.old.iter().map(StoreKey::id).collect()
    }

    /// Encrypts `plaintext` for `context` with the current key: `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, context: &str, plaintext: &SecretString) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ad = associated_data(SealFormat::LengthPrefixed, context, self.current.id());
        let payload = Payload {
            msg: plaintext.expose_secret().as_bytes(),
            aad: &ad,
        };
        // AES-GCM encryption fails only for messages beyond 64 GiB.
        let sealed = match self
            .current
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
        {
            Ok(ct) => ct,
            Err(_) => unreachable!("AES-GCM cannot fail on a token-sized message"),
        };
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a value sealed for `context` under `key_id`, in the current format or, failing
    /// that, the legacy one (a value the store has not re-sealed yet).
    pub fn open(
        &self,
        context: &str,
        key_id: &str,
        blob: &[u8],
    ) -> Result<SecretString, CryptoError> {
        let key = std::iter::once(&self.current)
            .chain(self.old.iter())
            .find(|k| k.id() == key_id)
            .ok_or_else(|| CryptoError::UnknownKey {
                key_id: key_id.to_string(),
                current: self.current.id().to_string(),
            })?;
        let fail = || CryptoError::Decrypt {
            key_id: key_id.to_string(),
        };
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(fail());
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let decrypt = |format| {
            let ad = associated_data(format, context, key_id);
            key.cipher.decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &ad,
                },
            )
        };
        let plain = decrypt(SealFormat::LengthPrefixed)
            .or_else(|_| decrypt(SealFormat::Legacy))
            .map_err(|_| fail())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| fail())
    }

    /// The stored form of `person_id`'s confirmation code, under a fresh random key.
    pub fn hash_code(&self, person_id: &str, code: &str) -> CodeHash {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        CodeHash {
            hash: code_mac(&key, person_id, code),
            sealed_key: self.seal(
                &code_key_context(person_id),
                &SecretString::from(hex::encode(key)),
            ),
        }
    }

    /// Whether `code` is the one `stored` was made from, compared in constant time.
    /// `sealed_key` is the code's key sealed under `key_id`; `None` for a legacy unkeyed
    /// SHA-256 (a sign-in pending across the upgrade: those expire within minutes).
    pub fn code_matches(
        &self,
        person_id: &str,
        code: &str,
        key_id: &str,
        sealed_key: Option<&[u8]>,
        stored: &str,
    ) -> Result<bool, CryptoError> {
        let want = match sealed_key {
            Some(blob) => {
                let key = self.open(&code_key_context(person_id), key_id, blob)?;
                let key = hex::decode(key.expose_secret()).map_err(|_| CryptoError::Decrypt {
                    key_id: key_id.to_string(),
                })?;
                code_mac(&key, person_id, code)
            }
            None => legacy_code_hash(person_id, code),
        };
        Ok(slbot_signing::scheme::constant_time_eq(
            want.as_bytes(),
            stored.as_bytes(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

    fn ring(current: &str, old: &[&str]) -> Keyring {
        let old: Vec<SecretString> = old
            .iter()
            .map(|k| SecretString::from(k.to_string()))
            .collect();
        Keyring::new(&SecretString::from(current.to_string()), &old).unwrap()
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn the_key_id_is_the_start_of_the_sha256_of_the_key_bytes() {
        // Naive: hash the decoded bytes independently.
        let bytes: Vec<u8> = (0u8..32).collect();
        let want = hex::encode(Sha256::digest(&bytes))[..8].to_string();
        assert_eq!(ring(K1, &[]).current_id(), want);
    }

    #[test]
    fn a_sealed_value_opens_for_the_same_person_only() {
        let r = ring(K1, &[]);
        let blob = r.seal("person-a", &secret("tok"));
        assert_eq!(blob.len(), 12 + 3 + 16);
        let id = r.current_id().to_string();
        assert_eq!(
            r.open("person-a", &id, &blob).unwrap().expose_secret(),
            "tok"
        );
        assert_eq!(
            r.open("person-b", &id, &blob).unwrap_err(),
            CryptoError::Decrypt { key_id: id.clone() }
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let r = ring(K1, &[]);
        assert_ne!(r.seal("p", &secret("tok")), r.seal("p", &secret("tok")));
    }

    #[test]
    fn an_old_key_still_opens_and_an_unknown_key_is_named() {
        let old = ring(K1, &[]);
        let blob = old.seal("p", &secret("tok"));
        let old_id = old.current_id().to_string();
        let rotated = ring(K2, &[K1]);
        assert_eq!(
            rotated.open("p", &old_id, &blob).unwrap().expose_secret(),
            "tok"
        );
        let forgot = ring(K2, &[]);
        let err = forgot.open("p", &old_id, &blob).unwrap_err();
        assert!(err.to_string().contains(&old_id), "{err}");
    }

    #[test]
    fn a_wrong_key_with_the_right_id_or_a_flipped_bit_never_yields_plaintext() {
        let r = ring(K1, &[]);
        let id = r.current_id().to_string();
        let mut blob = r.seal("p", &secret("tok"));
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert!(matches!(
            r.open("p", &id, &blob),
            Err(CryptoError::Decrypt { .. })
        ));
        assert!(matches!(
            r.open("p", &id, b"short"),
            Err(CryptoError::Decrypt { .. })
        ));
    }

    /// AES-256-GCM straight from the aes-gcm crate with the given associated data, so the
    /// layout is checked against a hand-built one, not the code under test.
    fn naive_cipher(hex_key: &str) -> Aes256Gcm {
        let bytes = hex::decode(hex_key).unwrap();
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))
    }

    fn naive_open(hex_key: &str, aad: &[u8], blob: &[u8]) -> Option<Vec<u8>> {
        let (nonce, sealed) = blob.split_at(12);
        naive_cipher(hex_key)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
    }

    fn naive_seal(hex_key: &str, aad: &[u8], plaintext: &str) -> Vec<u8> {
        let nonce = [7u8; 12];
        let mut out = nonce.to_vec();
        out.extend(
            naive_cipher(hex_key)
                .encrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: plaintext.as_bytes(),
                        aad,
                    },
                )
                .unwrap(),
        );
        out
    }

    fn concat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn a_value_is_sealed_with_the_length_of_its_context_in_front_of_the_associated_data() {
        let r = ring(K1, &[]);
        let id = r.current_id().to_string();
        let blob = r.seal("person-a", &secret("tok"));
        let prefixed = concat(&[&[0, 0, 0, 8], b"person-a", id.as_bytes()]);
        let legacy = concat(&[b"person-a", id.as_bytes()]);
        assert_eq!(
            naive_open(K1, &prefixed, &blob).as_deref(),
            Some(&b"tok"[..])
        );
        assert_eq!(naive_open(K1, &legacy, &blob), None);
    }

    #[test]
    fn a_value_sealed_with_the_legacy_associated_data_still_opens() {
        let r = ring(K1, &[]);
        let id = r.current_id().to_string();
        let blob = naive_seal(K1, &concat(&[b"person-a", id.as_bytes()]), "old-tok");
        assert_eq!(
            r.open("person-a", &id, &blob).unwrap().expose_secret(),
            "old-tok"
        );
        assert!(r.open("person-b", &id, &blob).is_err());
    }

    fn naive_hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn a_code_hash_is_an_hmac_under_a_sealed_random_key_not_a_plain_sha256() {
        let r = ring(K1, &[]);
        let id = r.current_id().to_string();
        let stored = r.hash_code("P1", "123456");
        // The key opens by hand (associated data: length ‖ "confirm-code:P1" ‖ key id) and
        // MACs the labelled code to the stored hash.
        let context = b"confirm-code:P1";
        let aad = concat(&[&[0, 0, 0, 15], context, id.as_bytes()]);
        let key = naive_open(K1, &aad, &stored.sealed_key).unwrap();
        let key = hex::decode(key).unwrap();
        assert_eq!(key.len(), 32);
        let want = format!(
            "hmac-sha256:{}",
            hex::encode(naive_hmac(&key, b"SLBOT-CONFIRM-CODE\nP1\n123456"))
        );
        assert_eq!(stored.hash, want);
        for plain in ["P1\n123456", "123456"] {
            let sha = hex::encode(Sha256::digest(plain.as_bytes()));
            assert!(!stored.hash.contains(&sha), "{plain}");
        }
        assert_ne!(
            r.hash_code("P1", "123456").hash,
            stored.hash,
            "a fresh key each time"
        );
        let matches = |person: &str, code: &str| {
            r.code_matches(person, code, &id, Some(&stored.sealed_key), &stored.hash)
        };
        assert!(matches("P1", " 123456 ").unwrap());
        assert!(!matches("P1", "123457").unwrap());
        // Another person's row: the key does not even open for them.
        assert!(matches("P2", "123456").is_err());
    }

    #[test]
    fn a_code_key_moved_to_a_new_store_key_still_matches_and_a_legacy_hash_still_matches() {
        let old = ring(K1, &[]);
        let stored = old.hash_code("P1", "123456");
        let old_id = old.current_id().to_string();
        let rotated = ring(K2, &[K1]);
        let context = code_key_context("P1");
        let plain = rotated.open(&context, &old_id, &stored.sealed_key).unwrap();
        let moved = rotated.seal(&context, &plain);
        let new_only = ring(K2, &[]);
        let new_id = new_only.current_id().to_string();
        assert!(new_only
            .code_matches("P1", "123456", &new_id, Some(&moved), &stored.hash)
            .unwrap());
        let legacy = hex::encode(Sha256::digest(b"P1\n123456"));
        assert!(new_only
            .code_matches("P1", "123456", &new_id, None, &legacy)
            .unwrap());
        assert!(!new_only
            .code_matches("P1", "654321", &new_id, None, &legacy)
            .unwrap());
    }

    #[test]
    fn malformed_keys_name_the_setting() {
        let bad = Keyring::new(&secret("abc"), &[]).unwrap_err();
        assert_eq!(
            bad,
            KeyError::Malformed {
                setting: "SLBOT_STORE_KEY"
            }
        );
        let bad = Keyring::new(&secret(K1), &[secret("zz")]).unwrap_err();
        assert_eq!(
            bad,
            KeyError::Malformed {
                setting: "SLBOT_STORE_OLD_KEYS"
            }
        );
    }
}
