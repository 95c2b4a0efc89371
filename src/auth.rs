//! Bearer tokens: reading one from a request and checking it against configured ones (a
//! leaf below `access`, which decides what a token may do).

use crate::config::Secret;
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Compares digests in constant time, so neither content nor length leaks through timing.
pub fn token_matches(given: &str, tokens: &[Secret]) -> bool {
    let given = Sha256::digest(given.as_bytes());
    tokens.iter().fold(false, |found, t| {
        let want = Sha256::digest(t.0.as_bytes());
        found | bool::from(given.ct_eq(&want))
    })
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// How a validated token is named in the audit log: `token:` and 8 hex digits of its SHA-256
/// (the token itself is never stored).
pub fn token_actor(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("token:{hex}")
}
