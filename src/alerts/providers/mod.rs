//! One file per channel kind (Gatus's `alerting/provider/<name>` is the model): each turns a
//! [`Notification`] into its receiver's shape and sends it. Secrets are added here, at send
//! time, and never written into the outbox, a delivery record or a log.

pub mod alertmanager;
pub mod email;
pub mod slack;
pub mod webhook;

use super::notify::{Attempt, Notification};
use crate::config::Channel;

/// Sends `n` to `channel` (`kind`: firing, resolved, repeat, refresh or test).
pub async fn send(
    client: &reqwest::Client,
    channel: &Channel,
    n: &Notification,
    kind: &str,
    msg_id: &str,
    now_ms: i64,
) -> Attempt {
    match channel.kind.as_str() {
        "webhook" => post(webhook::request(client, channel, n, msg_id, now_ms)).await,
        "slack" => post(slack::request(client, channel, n)).await,
        "alertmanager" => post(alertmanager::request(client, channel, n, now_ms)).await,
        "email" => email::send(channel, n, kind).await,
        other => Attempt {
            ok: false,
            status: None,
            detail: format!("no provider for channel kind `{other}`"),
        },
    }
}

/// Sends an HTTP request and says how it went: 2xx is delivered. The error text names the
/// kind of failure only (reqwest's own text carries the URL, which can hold a token).
async fn post(req: reqwest::RequestBuilder) -> Attempt {
    match req.send().await {
        Ok(resp) => {
            let code = resp.status();
            Attempt {
                ok: code.is_success(),
                status: Some(i64::from(code.as_u16())),
                detail: format!("HTTP {}", code.as_u16()),
            }
        }
        Err(e) => Attempt {
            ok: false,
            status: None,
            detail: if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "could not connect".to_string()
            } else {
                "request failed".to_string()
            },
        },
    }
}

/// The channel's custom headers added to a request.
fn with_headers(mut req: reqwest::RequestBuilder, channel: &Channel) -> reqwest::RequestBuilder {
    for (name, value) in &channel.headers {
        req = req.header(name.as_str(), value.0.as_str());
    }
    req
}

/// `[HIGH] name`, with `[TEST]` in front of a test.
pub fn title(n: &Notification) -> String {
    let test = if n.test { "[TEST] " } else { "" };
    format!("{test}[{}] {}", n.severity.to_uppercase(), n.name)
}

/// `97.2 (threshold > 85)` or `no data (threshold > 85)`.
pub fn value_line(n: &Notification) -> String {
    format!(
        "{} (threshold {} {})",
        value_text(n.metadata.value),
        n.metadata.op,
        number(n.metadata.threshold)
    )
}

pub fn value_text(v: Option<f64>) -> String {
    v.map(number).unwrap_or_else(|| "no data".to_string())
}

pub use crate::alerts::view::number;
