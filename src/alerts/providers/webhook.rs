//! `webhook`: the notification as JSON (seed 000's fields plus labels, resolved_at and a
//! link), signed per Standard Webhooks or, with `signature = "github"`, as GitHub signs.

use super::{with_headers, Notification};
use crate::config::Channel;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HMAC key of a secret: a `whsec_` secret is base64 after the prefix (Standard
/// Webhooks); any other secret is used as its bytes.
pub fn key_of(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
pub fn standard_signature(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let sig = hmac(
        &key_of(secret),
        &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body],
    );
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
}

/// `sha256=<hex HMAC-SHA256 of the body>`, as GitHub's `X-Hub-Signature-256`.
pub fn github_signature(secret: &str, body: &[u8]) -> String {
    let sig = hmac(secret.as_bytes(), &[body]);
    let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

pub fn request(
    client: &reqwest::Client,
    channel: &Channel,
    n: &Notification,
    msg_id: &str,
    now_ms: i64,
) -> reqwest::RequestBuilder {
    let body = serde_json::to_vec(n).unwrap_or_default();
    let mut req = client
        .post(&channel.url)
        .header("content-type", "application/json");
    if let Some(secret) = &channel.secret {
        if channel.signature == "github" {
            req = req.header("x-hub-signature-256", github_signature(&secret.0, &body));
        } else {
            let ts = now_ms.div_euclid(1000);
            req = req
                .header("webhook-id", msg_id)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    standard_signature(&secret.0, msg_id, ts, &body),
                );
        }
    }
    with_headers(req, channel).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_published_examples() {
        // Standard Webhooks' reference test vector (the spec repository's libraries use it).
        let sig = standard_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
        assert_eq!(
            github_signature("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
