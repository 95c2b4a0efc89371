//! `alertmanager`: `POST /api/v2/alerts`, so teams route Pulse's alerts like any other. A
//! firing alert is re-sent every minute with `endsAt` five minutes ahead (as Prometheus does:
//! if Pulse stops, Alertmanager resolves it by itself); a resolve sends `endsAt` = now.

use super::{number, value_text, with_headers, Notification};
use crate::config::Channel;
use serde_json::{json, Map, Value};

/// How far ahead a firing alert's `endsAt` lies.
const ENDS_AHEAD_MS: i64 = 5 * 60_000;

pub fn body(n: &Notification, now_ms: i64) -> Value {
    let mut labels = Map::new();
    for (k, v) in &n.labels {
        labels.insert(k.clone(), json!(v));
    }
    labels.insert("alertname".into(), json!(n.name));
    labels.insert("severity".into(), json!(n.severity));
    labels.insert("source".into(), json!("pulse"));
    if n.test {
        labels.insert("test".into(), json!("true"));
    }
    // A resolve ends when it happened, but never in the future (Alertmanager would keep an
    // alert that ends later active until then).
    let ends_ms = match &n.resolved_at {
        Some(r) => chrono::DateTime::parse_from_rfc3339(r)
            .map(|t| t.timestamp_millis().min(now_ms))
            .unwrap_or(now_ms),
        None => now_ms + ENDS_AHEAD_MS,
    };
    let ends = crate::model::rfc3339_ms(ends_ms);
    json!([{
        "labels": labels,
        "annotations": {
            "summary": n.name,
            "description": n.description,
            "value": value_text(n.metadata.value),
            "threshold": format!("{} {}", n.metadata.op, number(n.metadata.threshold)),
            "metric": n.metadata.metric,
        },
        "startsAt": n.triggered_at,
        "endsAt": ends,
        "generatorURL": n.url,
    }])
}

pub fn request(
    client: &reqwest::Client,
    channel: &Channel,
    n: &Notification,
    now_ms: i64,
) -> reqwest::RequestBuilder {
    let url = format!("{}/api/v2/alerts", channel.url.trim_end_matches('/'));
    with_headers(client.post(url), channel).json(&body(n, now_ms))
}
