//! Randomness from the operating system: nonces, ids, generated secrets.

use rand::RngCore;

/// `n` random bytes from the operating system's CSPRNG, as lowercase hex (`2n` characters).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_gives_two_lowercase_hex_characters_per_byte() {
        let h = random_hex(16);
        assert_eq!(h.len(), 32);
        assert!(h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')), "{h}");
    }

    #[test]
    fn two_random_hex_values_differ() {
        assert_ne!(random_hex(16), random_hex(16));
    }
}
