//! The configuration as the admin page shows it: the running settings as TOML, every secret
//! masked (tokens, header values, credentials inside URLs) however it was written.

use super::Config;
use crate::redact::{redact_json, url_secrets};
use serde_json::Value;
use std::time::Duration;

impl Config {
    /// The settings in effect (file, environment and defaults merged) as TOML with secrets
    /// masked. Secrets are masked twice: by their types when serialised, then by value and by
    /// key name over the whole document, so a token pasted into an unexpected field (a URL's
    /// path, a `body_contains`) is masked too.
    pub fn shown(&self) -> Result<String, String> {
        let mut doc = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let secrets = self.secrets();
        // Section by section: a section's own name (`auth`) is not a secret, its keys may be.
        if let Value::Object(sections) = &mut doc {
            sections.values_mut().for_each(|v| redact_json(v, &secrets));
        }
        drop_nulls(&mut doc);
        toml::to_string_pretty(&doc).map_err(|e| e.to_string())
    }

    /// Every secret the settings hold, as written.
    fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .traffic
            .ingest_tokens
            .iter()
            .chain(&self.traffic.read_tokens)
            .chain(&self.auth.metrics_token)
            .map(|s| s.0.clone())
            .collect();
        out.extend(url_secrets(&self.database_url));
        out.extend(self.components.iter().flat_map(|c| c.secrets()));
        out.extend(
            self.alerts
                .channels
                .iter()
                .flat_map(|c| c.secret.iter().chain(c.headers.iter().map(|(_, v)| v)))
                .map(|s| s.0.clone())
                .chain(
                    self.alerts
                        .channels
                        .iter()
                        .flat_map(|c| url_secrets(&c.url)),
                ),
        );
        // A Slack incoming-webhook URL carries its credential in the path.
        out.extend(
            self.alerts
                .channels
                .iter()
                .filter(|c| c.kind == "slack")
                .filter_map(|c| url::Url::parse(&c.url).ok())
                .map(|u| u.path().to_string()),
        );
        out
    }
}

/// A duration as a config file would say it, in its largest whole unit (`400d`, `90s`,
/// `250ms`), so it reads as written and parses back.
pub(super) fn duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    let ms = d.as_millis();
    let text = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ]
    .iter()
    .find(|(unit, _)| ms >= *unit && ms.is_multiple_of(*unit))
    .map(|(unit, name)| format!("{}{name}", ms / unit))
    .unwrap_or_else(|| format!("{ms}ms"));
    s.serialize_str(&text)
}

pub(super) fn option_duration<S: serde::Serializer>(
    d: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => duration(d, s),
        None => s.serialize_none(),
    }
}

/// TOML has no null: an unset optional setting is left out.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::collections::HashMap;

    #[test]
    fn the_shown_config_holds_every_setting_and_no_secret() {
        let file = r#"
            database_url = "postgres://pulse:db-pass-1234@127.0.0.1:5432/pulse"
            [metrics]
            bearer_token = "metrics-token-abcdefghijklmnop"
            [[components]]
            name = "docs"
            kind = "http"
            url = "https://api.example/health?api_key=query-key-5678"
            [[components]]
            name = "gw"
            kind = "mcp"
            url = "https://gw.example/mcp"
            headers = { Authorization = "Bearer header-secret-9999" }
            [[alerts.channels]]
            name = "chat"
            kind = "slack"
            url = "https://hooks.slack.example/services/T0/B0/slack-path-secret"
            [[alerts.channels]]
            name = "hook"
            kind = "webhook"
            url = "http://127.0.0.1:9099/hook"
            secret = "webhook-secret-0123456789"
            headers = { X-Api-Key = "channel-header-secret" }
        "#;
        let env: HashMap<&str, &str> = HashMap::from([(
            "PULSE_INGEST_TOKENS",
            "ingest-token-aaaaaaaaaaaaaaaa,ingest-token-bbbbbbbbbbbbbbbb",
        )]);
        let cfg = Config::from_sources(Some(("test.toml", file)), |k| {
            env.get(k).map(|v| v.to_string())
        })
        .expect("valid config");
        let shown = cfg.shown().expect("serialisable");
        for secret in [
            "db-pass-1234",
            "metrics-token-abcdefghijklmnop",
            "query-key-5678",
            "header-secret-9999",
            "ingest-token-aaaaaaaaaaaaaaaa",
            "ingest-token-bbbbbbbbbbbbbbbb",
            "slack-path-secret",
            "webhook-secret-0123456789",
            "channel-header-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
        }
        // The settings themselves are all there, readable.
        for expected in [
            "postgres://pulse:***@127.0.0.1:5432/pulse",
            "api_key=***",
            "name = \"docs\"",
            "name = \"gw\"",
            "session_idle = \"12h\"",
            "session_max = \"7d\"",
            "degraded_after = \"1s\"",
            "[server]",
            "[auth]",
            "metrics_token = \"***\"",
            "check = \"mcp\"",
            "[traffic]",
            "name = \"chat\"",
            "url = \"http://127.0.0.1:9099/hook\"",
        ] {
            assert!(
                shown.contains(expected),
                "{expected} missing from:\n{shown}"
            );
        }
    }
}
