//! Shared data shapes: what the server reports and the browser renders.
//!
//! Kept plain (serde only) so the same types compile for `ssr` and `hydrate`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// MCP protocol revisions Pulse speaks, newest first; the first is offered in `initialize`.
pub const MCP_VERSIONS: [&str; 3] = ["2025-06-18", "2025-03-26", "2024-11-05"];

/// Health of one component, or of the whole system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
    #[default]
    Unknown,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Healthy,
        Status::Degraded,
        Status::Unhealthy,
        Status::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
            Status::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Severity for "worst of" comparisons; unknown sorts below healthy because it carries
    /// no evidence either way.
    pub fn severity(self) -> u8 {
        match self {
            Status::Unknown => 0,
            Status::Healthy => 1,
            Status::Degraded => 2,
            Status::Unhealthy => 3,
        }
    }

    /// A text symbol, so status is never conveyed by colour alone.
    pub fn icon(self) -> &'static str {
        match self {
            Status::Healthy => "✔",
            Status::Degraded => "▲",
            Status::Unhealthy => "✖",
            Status::Unknown => "?",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Healthy => "Healthy",
            Status::Degraded => "Degraded",
            Status::Unhealthy => "Unhealthy",
            Status::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a component is, as the seed documents classify them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentType {
    Database,
    Cache,
    ExternalService,
    FileSystem,
    Network,
    Application,
}

impl ComponentType {
    pub const ALL: [ComponentType; 6] = [
        ComponentType::Database,
        ComponentType::Cache,
        ComponentType::ExternalService,
        ComponentType::FileSystem,
        ComponentType::Network,
        ComponentType::Application,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentType::Database => "database",
            ComponentType::Cache => "cache",
            ComponentType::ExternalService => "external_service",
            ComponentType::FileSystem => "file_system",
            ComponentType::Network => "network",
            ComponentType::Application => "application",
        }
    }

    pub fn parse(s: &str) -> Option<ComponentType> {
        ComponentType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ComponentType::Database => "Database",
            ComponentType::Cache => "Cache",
            ComponentType::ExternalService => "External service",
            ComponentType::FileSystem => "File system",
            ComponentType::Network => "Network",
            ComponentType::Application => "Application",
        }
    }
}

impl fmt::Display for ComponentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's outcome as stored and shown: the raw result of a single run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// Epoch milliseconds when the check finished.
    pub timestamp_ms: i64,
    /// The raw status of this run (before flap damping).
    pub status: Status,
    /// The component's damped status after this run.
    pub effective_status: Status,
    pub response_time_ms: f64,
    pub error_message: Option<String>,
    pub details: serde_json::Value,
}

/// The current health of one component: damped status plus the raw latest result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentHealth {
    pub component: String,
    pub component_type: ComponentType,
    /// Check kind (`database`, `disk`, `memory`, `http`, `tcp`).
    pub kind: String,
    pub critical: bool,
    /// Damped status: changes only after the configured run of failures or successes.
    pub status: Status,
    pub response_time_ms: Option<f64>,
    /// RFC 3339 time of the latest check, if any ran.
    pub timestamp: Option<String>,
    pub details: serde_json::Value,
    pub error_message: Option<String>,
    /// Raw status of the latest run, which may differ from `status` while damping holds it.
    pub last_result_status: Status,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub interval_secs: f64,
    pub timeout_ms: f64,
    /// Latency above which a successful check counts as degraded.
    pub degraded_after_ms: Option<f64>,
    /// p95 of the component's recent check latencies (last 100 runs).
    #[serde(default)]
    pub p95_ms: Option<f64>,
}

/// The whole system's health as served by `GET /health` and the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthSummary {
    pub overall_status: Status,
    pub components: Vec<ComponentHealth>,
    pub healthy_components: usize,
    pub degraded_components: usize,
    pub unhealthy_components: usize,
    pub total_components: usize,
    pub health_score: f64,
    /// RFC 3339 time of the most recent check of any component.
    pub last_check: Option<String>,
    pub uptime_seconds: u64,
    /// Epoch milliseconds when this summary was produced (the dashboard's "Last updated").
    pub generated_at_ms: i64,
    pub version: String,
}

impl HealthSummary {
    /// What a public status page shows: statuses and timings, without error texts or check
    /// details (which can name hosts, paths and versions).
    pub fn statuses_only(mut self) -> HealthSummary {
        for c in &mut self.components {
            c.details = serde_json::Value::Null;
            c.error_message = None;
        }
        self
    }
}

/// A component with its recent history, for the drill-down page and API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentDetail {
    pub component: ComponentHealth,
    /// Newest first.
    pub history: Vec<CheckRecord>,
    /// Share of checks in `history` whose raw status was healthy or degraded, in percent.
    pub availability_pct: Option<f64>,
    pub generated_at_ms: i64,
}

/// A caller's input as an error message may echo it: printable characters only (no control or
/// bidi format characters), at most 40 of them.
pub fn shown(input: &str) -> String {
    let mut out: String = input
        .chars()
        .filter(|c| !c.is_control() && !is_format_char(*c))
        .take(40)
        .collect();
    if input.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Unicode format characters that reorder or hide text (bidi overrides and isolates,
/// zero-width characters, the BOM): refused in ids, never echoed.
pub fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// What an out-of-set value is folded into: an unknown HTTP method, an audit action nobody
/// categorised, an endpoint beyond the per-day cap.
pub const OTHER: &str = "other";

/// The methods a label or a stored endpoint may name; anything else a client sends (hyper
/// accepts any token as a method) is `OTHER`, so made-up methods cannot grow a label set.
pub const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// `method` as a bounded label: one of `METHODS`, else `OTHER`.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or(OTHER)
}

/// Alert severities, mildest first (seed 000).
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// The six roles of the seed's hierarchy, highest privilege first.
pub const ROLES: [&str; 6] = [
    "admin",
    "manager",
    "developer",
    "analyst",
    "viewer",
    "guest",
];

/// Wall-clock epoch milliseconds (server side; the browser has no `SystemTime`).
#[cfg(feature = "ssr")]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Formats epoch milliseconds as an RFC 3339 UTC timestamp.
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS UTC` (same on server and browser).
pub fn datetime_utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// A paging cursor `ts.id` (the last row a page showed), as the history and audit pages give it.
pub fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (ts, id) = text.split_once('.')?;
    Some((ts.parse().ok()?, id.parse().ok()?))
}

/// Formats epoch milliseconds as `HH:MM:SS UTC`; the same on server and browser, so hydration
/// never sees a different string.
pub fn clock_utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".to_string())
}

/// Formats a duration in seconds as a short human string (`3d 4h`, `5m 2s`).
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        (secs % 86_400) / 3600,
        (secs % 3600) / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_its_name() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Status::parse("unhealty"), None);
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m 5s");
        assert_eq!(human_duration(3 * 3600 + 60), "3h 1m");
        assert_eq!(human_duration(2 * 86_400 + 7200), "2d 2h");
    }

    #[test]
    fn clock_is_utc_and_stable() {
        assert_eq!(clock_utc(0), "00:00:00 UTC");
        assert_eq!(rfc3339_ms(1_000), "1970-01-01T00:00:01.000Z");
    }
}

/// The derived component that stands for all MCP servers together.
pub const MCP_GROUP: &str = "mcp_servers";

/// The derived component of the components in group `auth` (seed 000's name).
pub const AUTH_GROUP: &str = "authentication_system";

/// The derived component that stands for a configured group: `auth` is seed 000's
/// `authentication_system`, any other group `<group>_group`.
pub fn group_component(group: &str) -> String {
    if group == "auth" {
        AUTH_GROUP.to_string()
    } else {
        format!("{group}_group")
    }
}

/// A configured group's status from its health ratio (seed 000's `AuthenticationMonitor`):
/// ≥ 0.95 healthy, ≥ 0.80 degraded, else unhealthy.
pub fn ratio_status(ratio: f64) -> Status {
    if ratio >= 0.95 {
        Status::Healthy
    } else if ratio >= 0.80 {
        Status::Degraded
    } else {
        Status::Unhealthy
    }
}

/// Health of the MCP servers as a group (seed 000 `_check_fastmcp_services`): the share of
/// checked servers that are healthy; ≥ 0.9 healthy, ≥ 0.7 degraded, else unhealthy.
pub fn mcp_group_status(components: &[ComponentHealth]) -> Option<(Status, usize, usize)> {
    let checked: Vec<&ComponentHealth> = components
        .iter()
        .filter(|c| c.kind == "mcp" && c.status != Status::Unknown)
        .collect();
    if checked.is_empty() {
        return None;
    }
    let healthy = checked
        .iter()
        .filter(|c| c.status == Status::Healthy)
        .count();
    let ratio = healthy as f64 / checked.len() as f64;
    let status = if ratio >= 0.9 {
        Status::Healthy
    } else if ratio >= 0.7 {
        Status::Degraded
    } else {
        Status::Unhealthy
    };
    Some((status, healthy, checked.len()))
}

#[cfg(test)]
mod group_tests {
    use super::*;

    fn mcp(status: Status) -> ComponentHealth {
        ComponentHealth {
            component: "m".into(),
            component_type: ComponentType::ExternalService,
            kind: "mcp".into(),
            critical: false,
            status,
            response_time_ms: None,
            timestamp: None,
            details: serde_json::Value::Null,
            error_message: None,
            last_result_status: status,
            consecutive_failures: 0,
            consecutive_successes: 0,
            interval_secs: 30.0,
            timeout_ms: 1000.0,
            degraded_after_ms: None,
            p95_ms: None,
        }
    }

    #[test]
    fn mcp_group_uses_the_seed_thresholds() {
        use Status::*;
        assert_eq!(mcp_group_status(&[]), None);
        assert_eq!(mcp_group_status(&[mcp(Unknown)]), None);
        let of = |h: usize, n: usize| {
            let mut v: Vec<_> = (0..h).map(|_| mcp(Healthy)).collect();
            v.extend((h..n).map(|_| mcp(Unhealthy)));
            mcp_group_status(&v).map(|g| g.0)
        };
        assert_eq!(of(10, 10), Some(Healthy));
        assert_eq!(of(9, 10), Some(Healthy));
        assert_eq!(of(8, 10), Some(Degraded));
        assert_eq!(of(7, 10), Some(Degraded));
        assert_eq!(of(6, 10), Some(Unhealthy));
    }
}
