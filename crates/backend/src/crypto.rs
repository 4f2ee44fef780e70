//! Encryption of tokens at rest: AES-256-GCM with a random 96-bit nonce per value and the
//! associated data `context ‖ key id` (the context is the personId for tokens, the OAuth
//! `state` for PKCE verifiers), so a ciphertext copied to another row does not decrypt.
//!
//! The key comes from `SLBOT_STORE_KEY` (64 hex characters); its id is the first 8 hex
//! characters of SHA-256 of the 32 key bytes and is stored beside each row. Keys listed in
//! `SLBOT_STORE_OLD_KEYS` still decrypt (rotation); new values are always sealed with the
//! current key. A value that does not decrypt is an error naming the key id, never garbage.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

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

fn associated_data(context: &str, key_id: &str) -> Vec<u8> {
    let mut ad = Vec::with_capacity(context.len() + key_id.len());
    ad.extend_from_slice(context.as_bytes());
    ad.extend_from_slice(key_id.as_bytes());
    ad
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
        let ad = associated_data(context, self.current.id());
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

    /// Decrypts a value sealed for `context` under `key_id`.
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
        let ad = associated_data(context, key_id);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &ad,
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| fail())
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
