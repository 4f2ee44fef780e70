//! Sign-in link tokens (signing.md "Sign-in links"):
//! `T = base64url(personId) "." exp "." hex(HMAC-SHA256(secret, "SLD-LOGIN\n" + personId + "\n" + exp))`.
//!
//! The bot signs one when it tells a person to sign in; the backend verifies it and carries
//! the personId through the OAuth `state`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::scheme::{constant_time_eq, is_valid_id};

/// How long a sign-in link stays valid.
pub const LINK_LIFETIME_SECS: i64 = 15 * 60;

/// Why a sign-in token was refused; each maps to a page telling the user what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the sign-in link is malformed (copied incompletely?)")]
    Malformed,
    #[error("the sign-in link expired: ask the bot for a new one")]
    Expired,
    #[error("the sign-in link is not valid (it was altered or signed with another secret)")]
    BadSignature,
}

fn mac_hex(secret: &SecretString, person_id: &str, exp: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(format!("SLD-LOGIN\n{person_id}\n{exp}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The token for `person_id`, valid until `now` + 15 minutes.
pub fn sign_login_token(secret: &SecretString, person_id: &str, now: DateTime<Utc>) -> String {
    let exp = (now + Duration::seconds(LINK_LIFETIME_SECS)).timestamp();
    format!(
        "{}.{exp}.{}",
        URL_SAFE_NO_PAD.encode(person_id.as_bytes()),
        mac_hex(secret, person_id, exp)
    )
}

/// The personId a token vouches for, if it is well formed, authentic and not expired at
/// `now`. The signature is checked before the expiry so a forged token never learns more
/// than "not valid".
pub fn verify_login_token(
    secret: &SecretString,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String, LinkError> {
    let mut parts = token.split('.');
    let (Some(id_b64), Some(exp_text), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Malformed);
    };
    let person_id = URL_SAFE_NO_PAD
        .decode(id_b64)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|id| is_valid_id(id))
        .ok_or(LinkError::Malformed)?;
    if exp_text.is_empty() || exp_text.len() > 12 || !exp_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LinkError::Malformed);
    }
    let exp: i64 = exp_text.parse().map_err(|_| LinkError::Malformed)?;
    if sig.len() != 64 {
        return Err(LinkError::Malformed);
    }
    let expected = mac_hex(secret, &person_id, exp);
    if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(LinkError::BadSignature);
    }
    if now.timestamp() > exp {
        return Err(LinkError::Expired);
    }
    Ok(person_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn secret() -> SecretString {
        SecretString::from("s3cr3t-shared-key".to_string())
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
    }

    const PERSON: &str = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS94eXo";

    #[test]
    fn a_token_has_the_documented_shape_and_expires_in_15_minutes() {
        let t = sign_login_token(&secret(), PERSON, now());
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        // base64url of the id, by hand: the id is itself base64 text, re-encoded.
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[0]).unwrap(), PERSON.as_bytes());
        assert_eq!(parts[1], (now().timestamp() + 900).to_string());
        assert_eq!(parts[2].len(), 64);
        assert!(!parts[0].contains('='));
    }

    #[test]
    fn the_mac_is_hmac_sha256_over_the_documented_text() {
        // Independent HMAC computation of the documented message.
        let exp = now().timestamp() + 900;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cr3t-shared-key").unwrap();
        mac.update(b"SLD-LOGIN\n");
        mac.update(PERSON.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        let want = hex::encode(mac.finalize().into_bytes());
        let t = sign_login_token(&secret(), PERSON, now());
        assert!(t.ends_with(&format!(".{want}")), "{t}");
    }

    #[test]
    fn a_fresh_token_verifies_to_its_person() {
        let t = sign_login_token(&secret(), PERSON, now());
        let later = now() + Duration::seconds(899);
        assert_eq!(
            verify_login_token(&secret(), &t, later),
            Ok(PERSON.to_string())
        );
    }

    #[test]
    fn an_old_token_is_expired() {
        let t = sign_login_token(&secret(), PERSON, now());
        let later = now() + Duration::seconds(901);
        assert_eq!(
            verify_login_token(&secret(), &t, later),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn a_token_for_another_person_or_with_a_later_expiry_is_refused() {
        let t = sign_login_token(&secret(), PERSON, now());
        let parts: Vec<&str> = t.split('.').collect();
        let other = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode("someone-else"),
            parts[1],
            parts[2]
        );
        assert_eq!(
            verify_login_token(&secret(), &other, now()),
            Err(LinkError::BadSignature)
        );
        let extended = format!("{}.{}.{}", parts[0], now().timestamp() + 90_000, parts[2]);
        assert_eq!(
            verify_login_token(&secret(), &extended, now()),
            Err(LinkError::BadSignature)
        );
        let other_secret = SecretString::from("another".to_string());
        assert_eq!(
            verify_login_token(&other_secret, &t, now()),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn malformed_tokens_are_refused_as_malformed() {
        let t = sign_login_token(&secret(), PERSON, now());
        let parts: Vec<&str> = t.split('.').collect();
        for bad in [
            String::new(),
            "abc".to_string(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{t}.extra"),
            format!("!!!.{}.{}", parts[1], parts[2]),
            format!("{}.-5.{}", parts[0], parts[2]),
            format!("{}.12x.{}", parts[0], parts[2]),
            format!("{}.{}.{}", parts[0], parts[1], &parts[2][..10]),
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode("a b"),
                parts[1],
                parts[2]
            ),
        ] {
            assert_eq!(
                verify_login_token(&secret(), &bad, now()),
                Err(LinkError::Malformed),
                "{bad}"
            );
        }
    }
}
