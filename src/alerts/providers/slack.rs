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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::notify::Metadata;

    pub(crate) fn notification(severity: &str, status: &str) -> Notification {
        Notification {
            alert_id: "ab12".into(),
            name: "High CPU Usage".into(),
            description: "CPU usage is above 85%".into(),
            severity: severity.into(),
            status: status.into(),
            repeat: false,
            test: false,
            triggered_at: "2026-12-03T06:00:00.000Z".into(),
            resolved_at: (status == "resolved").then(|| "2026-12-03T06:05:00.000Z".into()),
            labels: [("host".to_string(), "gw-1".to_string())].into(),
            metadata: Metadata {
                metric: "cpu_percent".into(),
                value: Some(97.256),
                op: ">".into(),
                threshold: 85.0,
            },
            url: "https://pulse.example.org/alerts#alert-ab12".into(),
        }
    }

    #[test]
    fn the_message_has_the_seeds_colours_title_and_fields_and_a_text_fallback() {
        let b = body(&notification("high", "firing"));
        let a = &b["attachments"][0];
        assert_eq!(a["color"], "#ff6b6b");
        assert_eq!(a["title"], "[HIGH] High CPU Usage");
        assert_eq!(
            a["title_link"],
            "https://pulse.example.org/alerts#alert-ab12"
        );
        assert_eq!(a["fields"][0]["title"], "Value");
        assert_eq!(a["fields"][0]["value"], "97.26");
        assert_eq!(a["fields"][1]["value"], "> 85");
        assert_eq!(a["fields"][2]["value"], "2026-12-03T06:00:00.000Z");
        assert_eq!(
            b["text"],
            "Firing: [HIGH] High CPU Usage — 97.26 (threshold > 85)"
        );
        let colours: Vec<String> = ["low", "medium", "high", "critical"]
            .iter()
            .map(|s| body(&notification(s, "firing"))["attachments"][0]["color"].to_string())
            .collect();
        assert_eq!(
            colours,
            ["\"#36a64f\"", "\"#ff9500\"", "\"#ff6b6b\"", "\"#ff0000\""]
        );
        let r = body(&notification("critical", "resolved"));
        assert_eq!(r["attachments"][0]["color"], "#36a64f");
        assert!(r["text"].as_str().unwrap().starts_with("Resolved: "));
    }

    #[test]
    fn mail_bodies_escape_what_they_quote() {
        let mut n = notification("high", "firing");
        n.labels
            .insert("tool".into(), "<script>alert(1)</script>".into());
        let html = super::super::email::html(&n);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert_eq!(super::super::email::subject(&n), "[HIGH] High CPU Usage");
        n.status = "resolved".into();
        assert_eq!(
            super::super::email::subject(&n),
            "[RESOLVED] High CPU Usage"
        );
    }
}
