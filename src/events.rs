//! The event shapes every layer shares (a request, an audit event, where it came from) and the
//! rules that belong to the events themselves: the action grammar and what a role-migration
//! event says. A leaf: storage, metrics, config and the domains above all read it.

use serde_json::Value;

/// Category holding role changes and migrations.
pub const ROLE_MIGRATION: &str = "role_migration";
/// Marks the start of a role migration (the "before" distribution is taken at it).
pub const MIGRATION_START: &str = "role.migration.start";

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// Posted to the ingest API.
    Ingest,
    /// Pulse's own HTTP traffic.
    SelfTraffic,
    /// Received as OpenTelemetry (OTLP spans or log records).
    Otlp,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Ingest => "ingest",
            EventSource::SelfTraffic => "self",
            EventSource::Otlp => "otlp",
        }
    }

    /// Read back from a stored `source` column; anything unknown is ingest.
    pub fn parse(text: &str) -> EventSource {
        match text {
            "self" => EventSource::SelfTraffic,
            "otlp" => EventSource::Otlp,
            _ => EventSource::Ingest,
        }
    }

    /// Events from outside Pulse (the gateway's), as opposed to Pulse's own.
    pub fn is_external(self) -> bool {
        self != EventSource::SelfTraffic
    }
}

/// One request as stored (already validated; client IP already truncated).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEvent {
    pub ts_ms: i64,
    pub method: String,
    pub route: String,
    pub tool: Option<String>,
    pub server: Option<String>,
    pub status: u16,
    pub duration_ms: f64,
    pub user_id: Option<String>,
    pub role: Option<String>,
    pub bytes_in: Option<i64>,
    pub bytes_out: Option<i64>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The MCP session (`Mcp-Session-Id`), when the sender knows it.
    pub session_id: Option<String>,
    pub source: EventSource,
}

/// Many requests of one endpoint in one minute, already aggregated (an OTLP duration
/// histogram's data point): folded into the rollups like the events it stands for, with no raw
/// rows of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The minute (or any time in it) the requests belong to.
    pub ts_ms: i64,
    pub method: String,
    pub route: String,
    pub tool: Option<String>,
    pub server: Option<String>,
    /// 200, or 500 when the histogram's attributes say the operations failed.
    pub status: u16,
    pub role: Option<String>,
    pub agg: crate::latency::Agg,
}

/// One audit event as stored (validated; category resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub ts_ms: i64,
    pub actor_id: String,
    pub actor_role: String,
    pub action: String,
    pub category: String,
    pub resource: Option<String>,
    pub outcome: String,
    pub session_id: Option<String>,
    pub details: Option<serde_json::Value>,
    /// How long the step took (auth events carry it), ms.
    pub duration_ms: Option<f64>,
    /// The identity provider involved (`azure_ad`, `github`, …), as sent.
    pub provider: Option<String>,
    /// For authentication events: the bounded labels they are rolled up and exported under.
    pub auth: Option<AuthKey>,
    pub source: EventSource,
}

/// The rollup and metric labels of an authentication event: its provider and its method (MFA
/// method or OAuth flow type), each a known name, `other`, or empty when not given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AuthKey {
    pub provider: String,
    pub method: String,
}

/// Checks an action name: dotted words of letters, digits, `_` and `-`.
pub fn valid_action(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 128
        && a.split('.').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// A role change an event records: `(from, to)`. Only role-migration events other than the
/// start marker carry one, and only when `details.to` names a role.
pub fn role_change(e: &AuditEvent) -> Option<(String, String)> {
    if e.category != ROLE_MIGRATION || e.action == MIGRATION_START {
        return None;
    }
    let d = e.details.as_ref()?;
    let to = d.get("to")?.as_str()?;
    let from = d
        .get("from")
        .and_then(Value::as_str)
        .unwrap_or(&e.actor_role);
    Some((from.to_string(), to.to_string()))
}

/// The role an actor holds after this event: the new role of a successful change, otherwise
/// the role it acted in.
pub fn role_after(e: &AuditEvent) -> String {
    match role_change(e) {
        Some((_, to)) if e.outcome == "success" => to,
        _ => e.actor_role.clone(),
    }
}
