//! Secrets Pulse makes and checks: argon2id password hashes, random session ids, API tokens
//! and generated passwords, and the digests under which sessions and tokens are stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Passwords shorter than this are refused (NIST SP 800-63B's minimum for chosen secrets).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longer passwords are refused before hashing: argon2 cost does not depend on length, but a
/// megabyte-long form field should not reach it.
pub const MAX_PASSWORD_LEN: usize = 256;
/// What every API token starts with, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "pulse_";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the password must be at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_LEN} characters")]
    TooLong,
    #[error("no random numbers: {0}")]
    Random(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Checks a chosen password's length.
pub fn check_password(password: &str) -> Result<(), SecretError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        Err(SecretError::TooShort)
    } else if n > MAX_PASSWORD_LEN {
        Err(SecretError::TooLong)
    } else {
        Ok(())
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(buf)
}

/// argon2id with the crate's defaults (OWASP's recommended m=19 MiB, t=2, p=1) as a PHC string.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    check_password(password)?;
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| SecretError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches a stored PHC string (a malformed one matches nothing).
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN * 4 {
        return false;
    }
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so a login for an unknown name
/// costs what a wrong password costs (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-never-matches").unwrap_or_default())
}

fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new session id (256 random bits).
pub fn session_id() -> Result<String, SecretError> {
    Ok(encode(&random_bytes::<32>()?))
}

/// A new API token: `pulse_` and 256 random bits.
pub fn api_token() -> Result<String, SecretError> {
    Ok(format!("{TOKEN_PREFIX}{}", encode(&random_bytes::<32>()?)))
}

/// A generated password for the first admin: 24 characters from 144 random bits.
pub fn generated_password() -> Result<String, SecretError> {
    Ok(encode(&random_bytes::<18>()?))
}

/// How sessions and tokens are stored: the SHA-256 of the secret, hex. They carry 256 random
/// bits, so a fast digest is enough (no dictionary to guess from), and a stolen database
/// holds nothing that logs in.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("correct horse", "not a phc string"));
        // Two hashes of one password differ (random salt).
        assert_ne!(h, hash_password("correct horse").expect("hash"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(matches!(hash_password("short"), Err(SecretError::TooShort)));
        let huge = "x".repeat(MAX_PASSWORD_LEN + 1);
        assert!(matches!(hash_password(&huge), Err(SecretError::TooLong)));
    }

    #[test]
    fn tokens_and_sessions_are_random_and_stored_as_digests() {
        let a = api_token().expect("token");
        let b = api_token().expect("token");
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
        assert_ne!(session_id().expect("id"), session_id().expect("id"));
    }
}
