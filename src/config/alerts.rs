//! `[alerts]`: how often rules are evaluated, the channels that tell people, and the rules
//! (seed 000's defaults, overridden or disabled by name, plus the operator's own). Everything
//! an evaluation or a delivery relies on is checked here, at start, with the key named.

use super::{expand_env, parse_duration, ConfigError, Keys, Secret};
use crate::alert_rules::{Condition, NoData, Op};
use serde::Deserialize;
use std::time::Duration;

/// The metrics a rule may watch, each read from live data when evaluated.
pub const METRICS: [&str; 14] = [
    "cpu_percent",
    "memory_percent",
    "disk_percent",
    "error_rate_percent",
    "p95_ms",
    "requests_per_minute",
    "component_unhealthy",
    "component_degraded",
    "mcp_servers_health_ratio",
    "auth_system_health_ratio",
    "role_p95_over_target",
    "role_rate_limit_percent",
    "audit_denied",
    "regression",
];

pub use crate::model::SEVERITIES;
pub const CHANNEL_KINDS: [&str; 4] = ["webhook", "slack", "email", "alertmanager"];

#[derive(Debug, Clone, serde::Serialize)]
pub struct AlertSettings {
    #[serde(serialize_with = "crate::config::view::duration")]
    pub evaluation_interval: Duration,
    /// Where people reach this Pulse; notifications link to its `/alerts` page.
    pub external_url: String,
    pub channels: Vec<Channel>,
    pub rules: Vec<AlertRule>,
    /// Windows in which new alerts are recorded but not notified.
    pub maintenance: Vec<crate::suppression::Maintenance>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Channel {
    pub name: String,
    pub kind: String,
    /// Where it is delivered (webhook, slack, alertmanager; `smtp://`/`smtps://` for email).
    #[serde(serialize_with = "crate::config::redacted_url")]
    pub url: String,
    /// Signs webhook bodies (Standard Webhooks); never shown.
    pub secret: Option<Secret>,
    pub headers: Vec<(String, Secret)>,
    /// Webhook only: `standard` (Standard Webhooks headers) or `github` (`X-Hub-Signature-256`).
    pub signature: String,
    /// Email only.
    pub from: Option<String>,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AlertRule {
    pub name: String,
    pub description: String,
    pub metric: String,
    /// Selector labels (`component`, `server`, `tool`, `route`, `role`), as written.
    pub selectors: Vec<(String, String)>,
    /// The span a traffic metric is computed over.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub window: Duration,
    /// `regression` compares with the same window this long ago.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub baseline: Duration,
    pub severity: String,
    /// Channel names; empty: every channel.
    pub channels: Vec<String>,
    #[serde(skip)]
    pub condition: Condition,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    evaluation_interval: Option<String>,
    external_url: Option<String>,
    #[serde(default)]
    channels: Vec<RawChannel>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    maintenance: Vec<crate::suppression::MaintenanceSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: String,
    kind: String,
    url: String,
    secret: Option<String>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    signature: Option<String>,
    from: Option<String>,
    to: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    enabled: Option<bool>,
    description: Option<String>,
    metric: Option<String>,
    component: Option<String>,
    server: Option<String>,
    tool: Option<String>,
    route: Option<String>,
    role: Option<String>,
    window: Option<String>,
    baseline: Option<String>,
    op: Option<String>,
    threshold: Option<f64>,
    #[serde(rename = "for")]
    pending_for: Option<String>,
    severity: Option<String>,
    channels: Option<Vec<String>>,
    keep_firing_for: Option<String>,
    repeat_interval: Option<String>,
    cooldown: Option<String>,
    send_resolved: Option<bool>,
    no_data: Option<String>,
}

/// Seed 000's default rules: (name, metric, op, threshold, for, severity, description).
const DEFAULTS: [DefaultRule; 5] = [
    (
        "High CPU Usage",
        "cpu_percent",
        ">",
        85.0,
        "2m",
        "high",
        "CPU usage is above 85%",
    ),
    (
        "High Memory Usage",
        "memory_percent",
        ">",
        90.0,
        "1m",
        "critical",
        "Memory usage is above 90%",
    ),
    (
        "High Error Rate",
        "error_rate_percent",
        ">",
        5.0,
        "3m",
        "medium",
        "More than 5% of requests fail",
    ),
    (
        "Low Server Health",
        "mcp_servers_health_ratio",
        "<",
        0.8,
        "5m",
        "high",
        "Fewer than 80% of MCP servers are healthy",
    ),
    (
        "Authentication System Unhealthy",
        "auth_system_health_ratio",
        "<",
        0.9,
        "2m",
        "high",
        "Fewer than 90% of the authentication components (group `auth`) are healthy",
    ),
];

pub(super) fn settings(
    source: &str,
    raw: &RawAlerts,
    env: &dyn Fn(&str) -> Option<String>,
    addr: std::net::SocketAddr,
    components: &[super::ComponentConfig],
) -> Result<AlertSettings, ConfigError> {
    let k = Keys::new(source, "alerts.");
    let external_url = match &raw.external_url {
        Some(u) => {
            let u = expand_env(u, env).map_err(|r| k.invalid("external_url", r))?;
            match url::Url::parse(&u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") && p.host_str().is_some() => {
                    u.trim_end_matches('/').to_string()
                }
                _ => {
                    return Err(k.invalid(
                        "external_url",
                        "must be an absolute http or https URL".to_string(),
                    ))
                }
            }
        }
        None => format!("http://{addr}"),
    };
    let evaluation_interval = k.at_least(
        "evaluation_interval",
        &raw.evaluation_interval,
        Duration::from_secs(15),
        Duration::from_secs(1),
    )?;
    let mut channels: Vec<Channel> = Vec::new();
    for (i, c) in raw.channels.iter().enumerate() {
        let ch = channel(&Keys::new(source, format!("alerts.channels[{i}].")), c, env)?;
        if channels.iter().any(|o| o.name == ch.name) {
            return Err(Keys::new(source, format!("alerts.channels[{i}]."))
                .invalid("name", format!("`{}` is used by another channel", ch.name)));
        }
        channels.push(ch);
    }
    // Defaults first, each replaced by an operator's rule of the same name.
    let mut written: Vec<(String, RawRule)> = Vec::new();
    for (name, metric, op, threshold, pending, severity, description) in DEFAULTS {
        if !raw.rules.iter().any(|r| r.name == name) {
            let d = RawRule {
                name: name.to_string(),
                description: Some(description.to_string()),
                metric: Some(metric.to_string()),
                op: Some(op.to_string()),
                threshold: Some(threshold),
                pending_for: Some(pending.to_string()),
                severity: Some(severity.to_string()),
                ..RawRule::default()
            };
            written.push((format!("default rule `{name}` "), d));
        }
    }
    for (i, r) in raw.rules.iter().enumerate() {
        written.push((format!("alerts.rules[{i}]."), r.clone()));
    }
    let mut rules: Vec<AlertRule> = Vec::new();
    for (prefix, r) in written {
        let k = Keys::new(source, prefix);
        if rules.iter().any(|o| o.name == r.name) {
            return Err(k.invalid("name", format!("`{}` names two rules", r.name)));
        }
        if r.enabled == Some(false) {
            continue;
        }
        let default = DEFAULTS.iter().find(|d| d.0 == r.name);
        rules.push(rule(&k, &r, default, &channels, components)?);
    }
    let names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
    let mut maintenance = Vec::new();
    for (i, spec) in raw.maintenance.iter().enumerate() {
        let w = spec.validate(&names).map_err(|(key, reason)| {
            Keys::new(source, format!("alerts.maintenance[{i}].")).invalid(key, reason)
        })?;
        maintenance.push(w);
    }
    Ok(AlertSettings {
        evaluation_interval,
        external_url,
        channels,
        rules,
        maintenance,
    })
}

fn channel(
    k: &Keys,
    c: &RawChannel,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Channel, ConfigError> {
    if c.name.trim().is_empty() || c.name.len() > 64 {
        return Err(k.invalid("name", "must be 1 to 64 characters".to_string()));
    }
    if !CHANNEL_KINDS.contains(&c.kind.as_str()) {
        return Err(k.invalid(
            "kind",
            format!("`{}` is not one of {}", c.kind, CHANNEL_KINDS.join(", ")),
        ));
    }
    let url = expand_env(&c.url, env).map_err(|r| k.invalid("url", r))?;
    let schemes: &[&str] = if c.kind == "email" {
        &["smtp", "smtps"]
    } else {
        &["http", "https"]
    };
    match url::Url::parse(&url) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => {}
        _ => {
            return Err(k.invalid(
                "url",
                format!("must be an absolute {} URL", schemes.join(" or ")),
            ))
        }
    }
    let secret = match &c.secret {
        Some(s) => {
            let s = expand_env(s, env).map_err(|r| k.invalid("secret", r))?;
            if s.len() < 16 {
                return Err(k.invalid("secret", "must be at least 16 characters".to_string()));
            }
            Some(Secret(s))
        }
        None => None,
    };
    let headers = super::parse_headers(c.headers.as_ref(), env, &|key, r| k.invalid(key, r))?;
    let signature = c
        .signature
        .clone()
        .unwrap_or_else(|| "standard".to_string());
    if !["standard", "github"].contains(&signature.as_str())
        || (c.signature.is_some() && c.kind != "webhook")
    {
        return Err(k.invalid(
            "signature",
            format!("`{signature}` is not one of standard, github (webhook channels only)"),
        ));
    }
    let to = c.to.clone().unwrap_or_default();
    if c.kind == "email" {
        if c.from.as_deref().is_none_or(|f| !f.contains('@')) {
            return Err(k.invalid(
                "from",
                "an email channel needs a sender address".to_string(),
            ));
        }
        if to.is_empty() || to.iter().any(|t| !t.contains('@')) {
            return Err(k.invalid(
                "to",
                "an email channel needs recipient addresses".to_string(),
            ));
        }
    }
    Ok(Channel {
        name: c.name.trim().to_string(),
        kind: c.kind.clone(),
        url,
        secret,
        headers,
        signature,
        from: c.from.clone(),
        to,
    })
}

type DefaultRule = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static str,
    &'static str,
    &'static str,
);

fn rule(
    k: &Keys,
    r: &RawRule,
    default: Option<&DefaultRule>,
    channels: &[Channel],
    components: &[super::ComponentConfig],
) -> Result<AlertRule, ConfigError> {
    if r.name.trim().is_empty() || r.name.len() > 128 {
        return Err(k.invalid("name", "must be 1 to 128 characters".to_string()));
    }
    let metric = r
        .metric
        .clone()
        .or_else(|| default.map(|d| d.1.to_string()))
        .ok_or_else(|| {
            k.invalid(
                "metric",
                format!("is required (one of {})", METRICS.join(", ")),
            )
        })?;
    if !METRICS.contains(&metric.as_str()) {
        return Err(k.invalid(
            "metric",
            format!("`{metric}` is not one of {}", METRICS.join(", ")),
        ));
    }
    let op_text = r.op.clone().or_else(|| default.map(|d| d.2.to_string()));
    let op = match op_text.as_deref().map(|o| (o, Op::parse(o))) {
        Some((_, Some(op))) => op,
        Some((o, None)) => {
            return Err(k.invalid("op", format!("`{o}` is not one of > >= < <= == !=")))
        }
        None => return Err(k.invalid("op", "is required (> >= < <= == !=)".to_string())),
    };
    let threshold = r
        .threshold
        .or_else(|| default.map(|d| d.3))
        .ok_or_else(|| k.invalid("threshold", "is required".to_string()))?;
    if !threshold.is_finite() {
        return Err(k.invalid("threshold", "must be a finite number".to_string()));
    }
    let severity = r
        .severity
        .clone()
        .or_else(|| default.map(|d| d.5.to_string()))
        .unwrap_or_else(|| "medium".to_string());
    if !SEVERITIES.contains(&severity.as_str()) {
        return Err(k.invalid(
            "severity",
            format!("`{severity}` is not one of {}", SEVERITIES.join(", ")),
        ));
    }
    let names = r.channels.clone().unwrap_or_default();
    for n in &names {
        if !channels.iter().any(|c| &c.name == n) {
            return Err(k.invalid("channels", format!("no channel is named `{n}`")));
        }
    }
    let mut selectors = Vec::new();
    for (key, v) in [
        ("component", &r.component),
        ("server", &r.server),
        ("tool", &r.tool),
        ("route", &r.route),
        ("role", &r.role),
    ] {
        if let Some(v) = v {
            if v.is_empty() || v.len() > 256 {
                return Err(k.invalid(key, "must be 1 to 256 characters".to_string()));
            }
            if key == "role" && !crate::model::ROLES.contains(&v.as_str()) {
                return Err(k.invalid(
                    key,
                    format!("`{v}` is not one of {}", crate::model::ROLES.join(", ")),
                ));
            }
            if key == "component"
                && v != crate::model::MCP_GROUP
                && !components.iter().any(|c| &c.name == v)
            {
                return Err(k.invalid(key, format!("no component is named `{v}`")));
            }
            selectors.push((key.to_string(), v.clone()));
        }
    }
    let allowed: &[&str] = match metric.as_str() {
        "error_rate_percent" | "p95_ms" | "requests_per_minute" | "regression" => {
            &["server", "tool", "route", "role"]
        }
        "component_unhealthy" | "component_degraded" => &["component"],
        "role_p95_over_target" | "role_rate_limit_percent" | "audit_denied" => &["role"],
        _ => &[],
    };
    if let Some((key, _)) = selectors
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()))
    {
        return Err(k.invalid(
            key,
            format!(
                "`{metric}` is not selected by {key} (it takes {})",
                if allowed.is_empty() {
                    "no selector".to_string()
                } else {
                    allowed.join(", ")
                }
            ),
        ));
    }
    let dur = |key: &str, v: &Option<String>, d: &str| -> Result<Duration, ConfigError> {
        let text = v.clone().unwrap_or_else(|| d.to_string());
        parse_duration(&text).map_err(|e| k.invalid(key, e))
    };
    let pending_default = default.map(|d| d.4).unwrap_or("0s");
    let no_data = match r.no_data.as_deref() {
        None | Some("no_data") => NoData::Show,
        Some("alerting") => NoData::Alerting,
        Some("ok") => NoData::Ok,
        Some(o) => {
            return Err(k.invalid(
                "no_data",
                format!("`{o}` is not one of no_data, alerting, ok"),
            ))
        }
    };
    let window = dur("window", &r.window, "5m")?;
    if window < Duration::from_secs(60) || window > Duration::from_secs(86_400) {
        return Err(k.invalid("window", "must be from 1m to 24h".to_string()));
    }
    Ok(AlertRule {
        name: r.name.trim().to_string(),
        description: r
            .description
            .clone()
            .or_else(|| default.map(|d| d.6.to_string()))
            .unwrap_or_default(),
        metric,
        selectors,
        window,
        baseline: dur("baseline", &r.baseline, "7d")?,
        severity,
        channels: names,
        condition: Condition {
            op,
            threshold,
            pending_for: dur("for", &r.pending_for, pending_default)?,
            keep_firing_for: dur("keep_firing_for", &r.keep_firing_for, "0s")?,
            repeat_interval: dur("repeat_interval", &r.repeat_interval, "4h")?,
            cooldown: dur("cooldown", &r.cooldown, "0s")?,
            send_resolved: r.send_resolved.unwrap_or(true),
            no_data,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigError};

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_sources(Some(("pulse.toml", text)), |k| {
            (k == "PULSE_WEBHOOK_SECRET").then(|| "whsec-0123456789abcdef".to_string())
        })
    }

    fn error(text: &str) -> String {
        load(text).expect_err("invalid").to_string()
    }

    const EXAMPLE: &str = r#"
        [[components]]
        name = "docs-api"
        kind = "http"
        url = "http://127.0.0.1:9/health"

        [alerts]
        evaluation_interval = "15s"

        [[alerts.channels]]
        name = "ops-webhook"
        kind = "webhook"
        url = "http://127.0.0.1:9099/hook"
        secret = "${PULSE_WEBHOOK_SECRET}"

        [[alerts.channels]]
        name = "am"
        kind = "alertmanager"
        url = "http://127.0.0.1:9093"

        [[alerts.rules]]
        name = "docs-api down"
        metric = "component_unhealthy"
        component = "docs-api"
        op = "=="
        threshold = 1
        for = "0s"
        severity = "high"
        channels = ["ops-webhook", "am"]
    "#;

    #[test]
    fn the_readme_example_loads_beside_the_seed_defaults() {
        let c = load(EXAMPLE).expect("the example is valid");
        let a = &c.alerts;
        assert_eq!(a.evaluation_interval.as_secs(), 15);
        assert_eq!(a.channels.len(), 2);
        assert_eq!(
            a.channels[0].secret.as_ref().map(|s| s.0.as_str()),
            Some("whsec-0123456789abcdef")
        );
        let names: Vec<_> = a.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "High CPU Usage",
                "High Memory Usage",
                "High Error Rate",
                "Low Server Health",
                "Authentication System Unhealthy",
                "docs-api down"
            ]
        );
        let auth = &a.rules[4];
        assert_eq!(
            (auth.metric.as_str(), auth.condition.threshold),
            ("auth_system_health_ratio", 0.9)
        );
        let down = &a.rules[5];
        assert_eq!(
            down.selectors,
            [("component".to_string(), "docs-api".to_string())]
        );
        assert_eq!(down.condition.threshold, 1.0);
        assert_eq!(down.condition.repeat_interval.as_secs(), 4 * 3600);
        let cpu = &a.rules[0];
        assert_eq!(
            (cpu.metric.as_str(), cpu.condition.threshold),
            ("cpu_percent", 85.0)
        );
        assert_eq!(cpu.condition.pending_for.as_secs(), 120);
        // The secret never shows in the configuration view.
        assert!(!c.shown().unwrap().contains("whsec-0123456789abcdef"));
    }

    #[test]
    fn defaults_are_overridden_or_disabled_by_name() {
        let c = load(
            r#"
            [[alerts.rules]]
            name = "High CPU Usage"
            threshold = 95
            [[alerts.rules]]
            name = "High Memory Usage"
            enabled = false
        "#,
        )
        .unwrap();
        let cpu = c
            .alerts
            .rules
            .iter()
            .find(|r| r.name == "High CPU Usage")
            .unwrap();
        assert_eq!(cpu.condition.threshold, 95.0);
        assert_eq!(cpu.metric, "cpu_percent");
        assert_eq!(cpu.severity, "high");
        assert!(!c.alerts.rules.iter().any(|r| r.name == "High Memory Usage"));
    }

    #[test]
    fn mistakes_are_named_with_their_key() {
        let rule = |body: &str| format!("[[alerts.rules]]\nname = \"r\"\n{body}");
        let e = error(&rule("metric = \"cpu\"\nop = \">\"\nthreshold = 1"));
        assert!(
            e.contains("alerts.rules[0].metric") && e.contains("cpu_percent"),
            "{e}"
        );
        let e = error(&rule(
            "metric = \"cpu_percent\"\nop = \"=>\"\nthreshold = 1",
        ));
        assert!(
            e.contains("alerts.rules[0].op") && e.contains("`=>`"),
            "{e}"
        );
        let e = error(&rule(
            "metric = \"cpu_percent\"\nop = \">\"\nthreshold = 1\nchannels = [\"pager\"]",
        ));
        assert!(
            e.contains("alerts.rules[0].channels") && e.contains("`pager`"),
            "{e}"
        );
        let e = error(&rule(
            "metric = \"cpu_percent\"\nop = \">\"\nthreshold = 1\nseverity = \"urgent\"",
        ));
        assert!(e.contains("alerts.rules[0].severity"), "{e}");
        let e = error(&rule("metric = \"cpu_percent\"\nop = \">\""));
        assert!(e.contains("alerts.rules[0].threshold"), "{e}");
        let e = error("[[alerts.channels]]\nname = \"x\"\nkind = \"pager\"\nurl = \"http://h/\"");
        assert!(e.contains("alerts.channels[0].kind"), "{e}");
        let e = error("[[alerts.channels]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"ftp://h/\"");
        assert!(e.contains("alerts.channels[0].url"), "{e}");
        let e = error("[[alerts.channels]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"http://h/\"\nsecret = \"${NOPE}\"");
        assert!(
            e.contains("alerts.channels[0].secret") && e.contains("NOPE"),
            "{e}"
        );
        let e = error(&rule(
            "metric = \"component_unhealthy\"\ncomponent = \"nope\"\nop = \"==\"\nthreshold = 1",
        ));
        assert!(
            e.contains("alerts.rules[0].component") && e.contains("`nope`"),
            "{e}"
        );
        let e = error("[[alerts.channels]]\nname = \"x\"\nkind = \"email\"\nurl = \"smtp://h:25\"");
        assert!(e.contains("alerts.channels[0].from"), "{e}");
    }
}
