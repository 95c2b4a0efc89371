//! Delivery: the notification every provider renders, and one worker per channel that drains
//! the channel's outbox with a per-attempt timeout, retries with exponential backoff and a
//! record of every attempt. A slow or dead receiver holds up only its own channel.

use super::providers;
use crate::config::Channel;
use crate::metrics::Metrics;
use crate::store::alerts::{Delivery, OutboxItem};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// One attempt may take this long (connect, send, the receiver's answer).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts before a notification is given up (about 1.5 h of backoff).
pub const MAX_ATTEMPTS: i64 = 12;
const FIRST_BACKOFF_MS: i64 = 5_000;
const MAX_BACKOFF_MS: i64 = 600_000;

/// What every channel is told, before a provider shapes it. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub alert_id: String,
    pub name: String,
    pub description: String,
    pub severity: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// Sent again while still firing (`repeat_interval`).
    pub repeat: bool,
    /// A test from the Alerts page or `POST /api/v1/alerts/test`, not a real alert.
    pub test: bool,
    pub triggered_at: String,
    pub resolved_at: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub metadata: Metadata,
    /// The alert on this Pulse's Alerts page.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub metric: String,
    pub value: Option<f64>,
    pub op: String,
    pub threshold: f64,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub ok: bool,
    /// The receiver's HTTP status (or SMTP reply code).
    pub status: Option<i64>,
    /// A short account for the page; never a URL or a secret.
    pub detail: String,
}

/// The wait before attempt `n + 1` after `n` failed ones.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_BACKOFF_MS
        .saturating_mul(1_i64 << exp)
        .min(MAX_BACKOFF_MS)
}

/// Sends one notification to one channel, bounded by `ATTEMPT_TIMEOUT`.
pub async fn attempt(
    client: &reqwest::Client,
    channel: &Channel,
    item: &OutboxItem,
    now_ms: i64,
) -> Attempt {
    let n: Notification = match serde_json::from_str(&item.payload) {
        Ok(n) => n,
        Err(e) => {
            return Attempt {
                ok: false,
                status: None,
                detail: format!("unreadable notification: {e}"),
            }
        }
    };
    // A stable id per notification: receivers deduplicate retries by it.
    let msg_id = format!("msg_{}_{}", n.alert_id, item.id);
    match tokio::time::timeout(
        ATTEMPT_TIMEOUT,
        providers::send(client, channel, &n, &item.kind, &msg_id, now_ms),
    )
    .await
    {
        Ok(a) => a,
        Err(_) => Attempt {
            ok: false,
            status: None,
            detail: format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()),
        },
    }
}

/// The HTTP client every provider shares: no redirects (a receiver is configured, not
/// discovered), bounded connect time.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        // The attempt's own timeout (every kind, email too) is the one that ends it.
        .timeout(ATTEMPT_TIMEOUT + Duration::from_secs(5))
        .user_agent(concat!("mcp-pulse/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Drains one channel's outbox until the task is dropped: woken by the evaluator, and every
/// second for retries that come due.
pub async fn worker(
    store: Store,
    channel: Channel,
    client: reqwest::Client,
    wake: Arc<Notify>,
    metrics: Metrics,
) {
    loop {
        let now = crate::model::now_ms();
        let due = match store.due_notifications(&channel.name, now, 20).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(channel = %channel.name, error = %e, "reading the alert outbox failed");
                Vec::new()
            }
        };
        for (i, item) in due.iter().enumerate() {
            // An Alertmanager keep-alive superseded by a later one for the same alert is dropped.
            let superseded =
                item.kind == "refresh" && due[i + 1..].iter().any(|o| o.alert_id == item.alert_id);
            let now = crate::model::now_ms();
            let a = if superseded {
                Attempt {
                    ok: true,
                    status: None,
                    detail: "superseded by a newer keep-alive".to_string(),
                }
            } else {
                attempt(&client, &channel, item, now).await
            };
            let n = item.attempts + 1;
            let (outcome, retry_at) = if a.ok {
                ("delivered", None)
            } else if n >= MAX_ATTEMPTS {
                ("gave_up", None)
            } else {
                ("failed", Some(crate::model::now_ms() + backoff_ms(n)))
            };
            if !superseded {
                metrics.alert_notification(&channel.name, outcome);
                if !a.ok {
                    tracing::warn!(channel = %channel.name, alert = %item.alert_id, attempt = n, outcome, detail = %a.detail, "alert notification not delivered");
                }
            }
            let d = Delivery {
                ts_ms: now,
                channel: channel.name.clone(),
                alert_id: item.alert_id.clone(),
                kind: item.kind.clone(),
                attempt: n,
                outcome: outcome.to_string(),
                status: a.status,
                detail: a.detail,
            };
            if let Err(e) = store.record_delivery(item.id, &d, retry_at).await {
                tracing::warn!(channel = %channel.name, error = %e, "recording a delivery failed");
            }
        }
        if due.len() < 20 {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_up_to_ten_minutes() {
        let waits: Vec<i64> = (1..=9).map(backoff_ms).collect();
        assert_eq!(
            waits,
            [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]
        );
        assert_eq!(backoff_ms(i64::MAX), 600_000);
    }
}
