//! Which simulated user sees which accounts, and how a token or an SSO subject maps to a user.
//!
//! The rule (stable; tests and the SSO simulator rely on it):
//! - there are `U ≥ 1` users, numbered `0..U`, and `A` accounts in dataset order;
//! - account 0 is shared: every user sees it;
//! - account `i > 0` belongs to user `(i − 1) mod U`;
//! - a token given as `--token T=k` is user `k`, `--token T` is user 0, and with no static token
//!   and no introspection every bearer token is user 0;
//! - a token accepted by introspection is user `FNV-1a-64(sub) mod U` (64-bit FNV-1a over the
//!   UTF-8 bytes of `sub`, offset basis `0xcbf29ce484222325`, prime `0x100000001b3`).

use sha2::{Digest, Sha256};

/// The accounts (indices into the dataset's account list, ascending) that user `k` of `users`
/// sees among `accounts` accounts. Empty when `k ≥ users` or there are no accounts.
pub fn accounts_of_user(k: usize, users: usize, accounts: usize) -> Vec<usize> {
    if k >= users || accounts == 0 {
        return Vec::new();
    }
    std::iter::once(0)
        .chain((1..accounts).filter(|i| (i - 1) % users == k))
        .collect()
}

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The user index of an introspected token whose subject is `sub`: `FNV-1a-64(sub) mod users`.
pub fn user_of_subject(sub: &str, users: usize) -> usize {
    let users = users.max(1) as u64;
    // The remainder is < users, which came from a usize.
    (fnv1a64(sub.as_bytes()) % users) as usize
}

/// SHA-256 of a token: the key under which the simulator remembers it, so no raw token is kept.
pub(crate) fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The short, non-reversible name of a token in statistics: the first 8 hex digits of its SHA-256.
pub fn token_fingerprint(token: &str) -> String {
    fingerprint_of_digest(&token_digest(token))
}

pub(crate) fn fingerprint_of_digest(digest: &[u8; 32]) -> String {
    hex::encode(&digest[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_zero_is_shared_and_the_rest_are_dealt_round_robin() {
        assert_eq!(accounts_of_user(0, 3, 8), vec![0, 1, 4, 7]);
        assert_eq!(accounts_of_user(1, 3, 8), vec![0, 2, 5]);
        assert_eq!(accounts_of_user(2, 3, 8), vec![0, 3, 6]);
        assert_eq!(accounts_of_user(3, 3, 8), Vec::<usize>::new());
        assert_eq!(accounts_of_user(0, 1, 3), vec![0, 1, 2]);
        assert_eq!(accounts_of_user(0, 2, 0), Vec::<usize>::new());
    }

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        // From the FNV reference test suite (draft-eastlake-fnv).
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn a_fingerprint_is_eight_hex_digits_of_sha256() {
        // SHA-256("abc") = ba7816bf...
        assert_eq!(token_fingerprint("abc"), "ba7816bf");
    }
}
