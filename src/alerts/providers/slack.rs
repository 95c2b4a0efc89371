//! `slack`: an incoming-webhook message, coloured by severity as seed 000's map, titled
//! `[SEVERITY] name`, with value, threshold and trigger time, and a `text` fallback.

use super::{title, value_line, value_text, with_headers, Notification};
use crate::config::Channel;
use serde_json::{json, Value};

/// Seed 000's colours; a resolve is green whatever the severity.
pub fn colour(n: &Notification) -> &'static str {
    if n.status == "resolved" {
        return "#36a64f";
    }
    match n.severity.as_str() {
        "medium" => "#ff9500",
        "high" => "#ff6b6b",
        "critical" => "#ff0000",
        _ => "#36a64f",
    }
}

pub fn body(n: &Notification) -> Value {
    let state = if n.status == "resolved" {
        "Resolved"
    } else {
        "Firing"
    };
    let mut fields = vec![
        json!({"title": "Value", "value": value_text(n.metadata.value), "short": true}),
        json!({"title": "Threshold", "value": format!("{} {}", n.metadata.op, super::number(n.metadata.threshold)), "short": true}),
        json!({"title": "Triggered at", "value": n.triggered_at, "short": false}),
    ];
    if let Some(r) = &n.resolved_at {
        fields.push(json!({"title": "Resolved at", "value": r, "short": false}));
    }
    let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !labels.is_empty() {
        fields.push(json!({"title": "Labels", "value": labels.join(", "), "short": false}));
    }
    json!({
        "text": format!("{state}: {} — {}", title(n), value_line(n)),
        "attachments": [{
            "color": colour(n),
            "title": title(n),
            "title_link": n.url,
            "text": n.description,
            "fields": fields,
            "footer": "Pulse",
        }]
    })
}

pub fn request(
    client: &reqwest::Client,
    channel: &Channel,
    n: &Notification,
) -> reqwest::RequestBuilder {
    with_headers(client.post(&channel.url), channel).json(&body(n))
}
