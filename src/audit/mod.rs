//! Audit events in: validation of posted events, the action → category table (the seed's,
//! extended by config), role changes read from `details`, and Pulse's audit of its own use.

pub mod auth;

use crate::events::{AuditEvent, EventSource};
use crate::fields::{text_field, ts_field, FieldErrors, Limits, Problem};
use crate::model::ROLES;
use serde_json::Value;
use std::collections::HashMap;

/// Category of every action nobody listed.
pub const OTHER: &str = crate::model::OTHER;

pub use crate::events::{role_after, role_change, valid_action, MIGRATION_START, ROLE_MIGRATION};

/// Seed 000's `auditCategories`, and its authentication events.
pub const DEFAULT_CATEGORIES: [(&str, &[&str]); 8] = [
    (
        "admin_actions",
        &[
            "user.role.assign",
            "system.settings.modify",
            "system.backup",
            "system.restore",
            "audit.retention.manage",
        ],
    ),
    (
        "manager_actions",
        &[
            "team.user.create",
            "server.acl.manage",
            "user.session.manage",
            "team.approvals",
        ],
    ),
    (
        "developer_actions",
        &[
            "server.deploy",
            "server.configure",
            "api.key.create",
            "development.action",
        ],
    ),
    (
        "analyst_actions",
        &[
            "report.generate",
            "data.export",
            "metrics.view",
            "analytics.query",
        ],
    ),
    (
        "viewer_actions",
        &["resource.view", "page.access", "readonly.action"],
    ),
    (
        "guest_actions",
        &["limited.access", "restricted.attempt", "conversion.event"],
    ),
    (
        ROLE_MIGRATION,
        &[
            MIGRATION_START,
            "role.migration.complete",
            "role.change.oauth_sync",
            "role.change.manual",
        ],
    ),
    (auth::CATEGORY, &auth::ACTIONS),
];

pub const OUTCOMES: [&str; 3] = ["success", "failure", "denied"];

/// The longest step an audit event may say it took: an hour.
pub const MAX_DURATION_MS: f64 = 3_600_000.0;

/// A provider or method name: letters, digits, `_`, `-`, `.`.
fn valid_label(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Action → category, the seed's table plus what config adds (config wins on conflict).
#[derive(Debug, Clone)]
pub struct Categories {
    by_action: HashMap<String, String>,
    names: Vec<String>,
    auth: auth::AuthLabels,
}

impl Default for Categories {
    fn default() -> Self {
        Categories::new(&[])
    }
}

impl Categories {
    pub fn new(extra: &[(String, Vec<String>)]) -> Categories {
        let mut by_action = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        for (cat, actions) in DEFAULT_CATEGORIES {
            names.push(cat.to_string());
            for a in actions {
                by_action.insert(a.to_string(), cat.to_string());
            }
        }
        for (cat, actions) in extra {
            if !names.contains(cat) {
                names.push(cat.clone());
            }
            for a in actions {
                by_action.insert(a.clone(), cat.clone());
            }
        }
        names.push(OTHER.to_string());
        Categories {
            by_action,
            names,
            auth: auth::AuthLabels::default(),
        }
    }

    /// With provider and method names beyond the built-in ones (`[auth_monitoring]`).
    pub fn with_auth_labels(mut self, labels: auth::AuthLabels) -> Categories {
        self.auth = labels;
        self
    }

    pub fn auth_labels(&self) -> &auth::AuthLabels {
        &self.auth
    }

    pub fn of(&self, action: &str) -> &str {
        self.by_action
            .get(action)
            .map(String::as_str)
            .unwrap_or(OTHER)
    }

    /// Every category, `other` last: a bounded label set for metrics.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// What the audit validator needs besides time limits.
#[derive(Debug, Clone, Copy)]
pub struct AuditLimits<'a> {
    pub time: Limits,
    pub max_details_bytes: usize,
    pub categories: &'a Categories,
}

/// Validates a posted array of audit events: every problem of every event, or all events.
pub fn validate_audit_batch(
    items: &[Value],
    limits: AuditLimits<'_>,
) -> Result<Vec<AuditEvent>, Vec<Problem>> {
    crate::fields::collect(items, |item| validate_one(item, limits))
}

fn validate_one(item: &Value, limits: AuditLimits<'_>) -> Result<AuditEvent, FieldErrors> {
    let Some(obj) = item.as_object() else {
        return Err(vec![("", "must be a JSON object".into())]);
    };
    let mut errs: FieldErrors = Vec::new();
    let ts_ms = ts_field(obj, limits.time, &mut errs);
    let actor_id = text_field(obj, "actor_id", 128, true, &mut errs);
    let actor_role = text_field(obj, "actor_role", 16, true, &mut errs);
    if let Some(r) = &actor_role {
        if !ROLES.contains(&r.as_str()) {
            errs.push((
                "actor_role",
                format!("`{r}` is not one of {}", ROLES.join(", ")),
            ));
        }
    }
    let action = text_field(obj, "action", 128, true, &mut errs);
    if let Some(a) = &action {
        if !valid_action(a) {
            errs.push((
                "action",
                "must be dotted words of letters, digits, `_` or `-`, such as user.role.assign"
                    .into(),
            ));
        }
    }
    let resource = text_field(obj, "resource", 256, false, &mut errs);
    let outcome = text_field(obj, "outcome", 16, true, &mut errs);
    if let Some(o) = &outcome {
        if !OUTCOMES.contains(&o.as_str()) {
            errs.push((
                "outcome",
                format!("`{o}` is not one of success, failure, denied"),
            ));
        }
    }
    let session_id = text_field(obj, "session_id", 128, false, &mut errs);
    let provider = text_field(obj, "provider", 64, false, &mut errs);
    if provider.as_deref().is_some_and(|p| !valid_label(p)) {
        errs.push((
            "provider",
            "must be letters, digits, `_`, `-` or `.`, such as azure_ad".into(),
        ));
    }
    let duration_ms = match obj.get("duration_ms") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(ms) if (0.0..=MAX_DURATION_MS).contains(&ms) => Some(ms),
            _ => {
                errs.push((
                    "duration_ms",
                    format!("must be a number of milliseconds from 0 to {MAX_DURATION_MS}"),
                ));
                None
            }
        },
    };
    let details = match obj.get("details") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => {
            let text = v.to_string();
            if text.len() > limits.max_details_bytes {
                errs.push((
                    "details",
                    format!(
                        "is {} bytes; at most {} are accepted",
                        text.len(),
                        limits.max_details_bytes
                    ),
                ));
                None
            } else {
                Some(v.clone())
            }
        }
        Some(_) => {
            errs.push(("details", "must be a JSON object".into()));
            None
        }
    };
    // What an auth event says its method was must be a plain name, or it could not be a label.
    if let Some(d) = &details {
        for (key, field) in [
            ("method", "details.method"),
            ("flow_type", "details.flow_type"),
        ] {
            match d.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(m)) if m.len() <= 64 && valid_label(m) => {}
                Some(_) => errs.push((
                    field,
                    "must be a name of letters, digits, `_`, `-` or `.` (at most 64), such as totp"
                        .into(),
                )),
            }
        }
    }
    // A role change must name a real role, or the users table would learn a made-up one.
    if let Some(d) = &details {
        for key in ["from", "to"] {
            match d.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(r)) if ROLES.contains(&r.as_str()) => {}
                Some(_) => errs.push((
                    if key == "to" {
                        "details.to"
                    } else {
                        "details.from"
                    },
                    format!("must be one of {}", ROLES.join(", ")),
                )),
            }
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    match (ts_ms, actor_id, actor_role, action, outcome) {
        (Some(ts_ms), Some(actor_id), Some(actor_role), Some(action), Some(outcome)) => {
            let category = limits.categories.of(&action).to_string();
            let auth =
                limits
                    .categories
                    .auth_labels()
                    .key(&action, provider.as_deref(), details.as_ref());
            Ok(AuditEvent {
                ts_ms,
                actor_id,
                actor_role,
                category,
                action,
                resource,
                outcome,
                session_id,
                details,
                duration_ms,
                provider,
                auth,
                source: EventSource::Ingest,
            })
        }
        _ => Err(vec![("", "is incomplete".into())]),
    }
}

/// What a request to Pulse itself means for the audit log, if anything: `(action, outcome)`.
/// Page views are `metrics.view` (when served); API reads are `analytics.query`, the audit export
/// `data.export`, and for those a refused token is logged as `denied`, a bad request as
/// `failure`. Server-function refreshes are not logged (auto-refresh would drown the log);
/// probes and `/metrics` neither.
pub fn self_action(method: &str, path: &str, status: u16) -> Option<(&'static str, &'static str)> {
    let action = self_kind(method, path)?;
    let outcome = match status {
        200..=299 => "success",
        401 | 403 => "denied",
        _ => "failure",
    };
    (action != "metrics.view" || outcome == "success").then_some((action, outcome))
}

/// The action a request to Pulse would be audited as, whatever its answer: known before the
/// request runs, so requests that are never audited (ingest, probes) cost nothing.
pub fn self_kind(method: &str, path: &str) -> Option<&'static str> {
    if method != "GET" {
        None
    } else if path == "/api/v1/audit/export" {
        Some("data.export")
    } else if path.starts_with("/api/v1/analytics/")
        || path.starts_with("/api/v1/roles/")
        || path.starts_with("/api/v1/auth/")
    {
        Some("analytics.query")
    } else if matches!(
        path,
        "/" | "/requests" | "/performance" | "/roles" | "/authentication"
    ) || path.starts_with("/components/")
    {
        Some("metrics.view")
    } else {
        None
    }
}

/// An audit event for Pulse's own use; `actor` is the user's name, `token:<name>` for API
/// tokens, or `anonymous`.
pub fn self_event(
    ts_ms: i64,
    actor: String,
    role: &str,
    (action, outcome): (&'static str, &'static str),
    resource: String,
    categories: &Categories,
) -> AuditEvent {
    AuditEvent {
        ts_ms,
        actor_id: actor,
        actor_role: role.to_string(),
        category: categories.of(action).to_string(),
        action: action.to_string(),
        resource: Some(resource.chars().take(256).collect()),
        outcome: outcome.to_string(),
        session_id: None,
        details: None,
        duration_ms: None,
        provider: None,
        auth: None,
        source: EventSource::SelfTraffic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    fn limits(c: &Categories) -> AuditLimits<'_> {
        AuditLimits {
            time: Limits {
                now_ms: NOW,
                max_future_ms: 300_000,
                oldest_ms: NOW - 7 * 86_400_000,
            },
            max_details_bytes: 64,
            categories: c,
        }
    }

    fn good() -> Value {
        json!({"actor_id": "u1", "actor_role": "admin", "action": "user.role.assign",
               "outcome": "success", "resource": "user:u2", "session_id": "s1",
               "details": {"to": "analyst"}})
    }

    #[test]
    fn the_seed_table_maps_every_listed_action_and_the_rest_is_other() {
        let c = Categories::default();
        assert_eq!(c.of("user.role.assign"), "admin_actions");
        assert_eq!(c.of("audit.retention.manage"), "admin_actions");
        assert_eq!(c.of("team.approvals"), "manager_actions");
        assert_eq!(c.of("development.action"), "developer_actions");
        assert_eq!(c.of("analytics.query"), "analyst_actions");
        assert_eq!(c.of("readonly.action"), "viewer_actions");
        assert_eq!(c.of("conversion.event"), "guest_actions");
        assert_eq!(c.of("role.change.oauth_sync"), "role_migration");
        assert_eq!(c.of("coffee.brew"), "other");
        assert_eq!(c.of("auth.mfa_challenge"), "auth_events");
        assert_eq!(c.names().len(), 9);
        assert_eq!(c.names().last().map(String::as_str), Some("other"));
        let total: usize = DEFAULT_CATEGORIES.iter().map(|(_, a)| a.len()).sum();
        assert_eq!(total, 32);
    }

    #[test]
    fn config_adds_categories_and_moves_actions() {
        let c = Categories::new(&[
            ("ops_actions".into(), vec!["incident.ack".into()]),
            ("admin_actions".into(), vec!["data.export".into()]),
        ]);
        assert_eq!(c.of("incident.ack"), "ops_actions");
        assert_eq!(c.of("data.export"), "admin_actions");
        assert_eq!(c.names().len(), 10);
    }

    #[test]
    fn auth_fields_are_checked_and_labelled() {
        let c = Categories::default();
        let auth = |extra: Value| {
            let mut e = json!({"actor_id": "u1", "actor_role": "developer",
                "action": "auth.mfa_challenge", "outcome": "failure"});
            for (k, v) in extra.as_object().unwrap() {
                e[k] = v.clone();
            }
            e
        };
        let ok = auth(json!({"duration_ms": 812.5, "provider": "azure_ad",
            "details": {"method": "webauthn"}}));
        let e = validate_audit_batch(&[ok], limits(&c)).unwrap().remove(0);
        assert_eq!(e.category, "auth_events");
        assert_eq!(e.duration_ms, Some(812.5));
        assert_eq!(e.provider.as_deref(), Some("azure_ad"));
        let key = e.auth.unwrap();
        assert_eq!(
            (key.provider.as_str(), key.method.as_str()),
            ("azure_ad", "webauthn")
        );
        // An unknown provider is kept on the row as sent, and labelled `other`.
        let odd = auth(json!({"provider": "acme-idp"}));
        let e = validate_audit_batch(&[odd], limits(&c)).unwrap().remove(0);
        assert_eq!(e.provider.as_deref(), Some("acme-idp"));
        assert_eq!(e.auth.unwrap().provider, "other");
        let items = vec![
            auth(json!({"duration_ms": -1})),
            auth(json!({"duration_ms": "fast"})),
            auth(json!({"duration_ms": 3_600_001})),
            auth(json!({"provider": "azure ad; drop"})),
            auth(json!({"provider": 7})),
            auth(json!({"details": {"method": {"x": 1}}})),
            auth(json!({"details": {"flow_type": "a b"}})),
        ];
        let p = validate_audit_batch(&items, limits(&c)).unwrap_err();
        let has = |i: usize, f: &str| p.iter().any(|x| x.index == i && x.field == f);
        assert!(has(0, "duration_ms") && has(1, "duration_ms") && has(2, "duration_ms"));
        assert!(has(3, "provider") && has(4, "provider"));
        assert!(has(5, "details.method") && has(6, "details.flow_type"));
        // Not an auth action: no labels, whatever it carries.
        let view = json!({"actor_id": "u1", "actor_role": "viewer", "action": "resource.view",
            "outcome": "success", "provider": "github"});
        let e = validate_audit_batch(&[view], limits(&c)).unwrap().remove(0);
        assert_eq!(e.auth, None);
    }

    #[test]
    fn a_good_event_gets_its_category_and_defaults() {
        let c = Categories::default();
        let e = validate_audit_batch(&[good()], limits(&c))
            .unwrap()
            .remove(0);
        assert_eq!(e.ts_ms, NOW);
        assert_eq!(e.category, "admin_actions");
        assert_eq!(e.details, Some(json!({"to": "analyst"})));
        // An admin assigning a role is not a change of the admin's own role.
        assert_eq!(role_change(&e), None);
        assert_eq!(role_after(&e), "admin");
    }

    #[test]
    fn every_problem_is_named() {
        let c = Categories::default();
        let mut bad = good();
        bad["actor_role"] = json!("root");
        bad["outcome"] = json!("maybe");
        bad["action"] = json!("drop table;");
        let mut big = good();
        big["details"] = json!({"note": "x".repeat(100)});
        let mut arr = good();
        arr["details"] = json!(["to", "analyst"]);
        let mut made_up = good();
        made_up["details"] = json!({"to": "superuser"});
        let items = vec![good(), bad, big, arr, json!({}), made_up];
        let p = validate_audit_batch(&items, limits(&c)).unwrap_err();
        let has = |i: usize, f: &str| p.iter().any(|x| x.index == i && x.field == f);
        assert!(has(1, "actor_role") && has(1, "outcome") && has(1, "action"));
        assert!(has(2, "details") && has(3, "details") && has(5, "details.to"));
        assert!(
            has(4, "actor_id") && has(4, "actor_role") && has(4, "action") && has(4, "outcome")
        );
        assert!(!p.iter().any(|x| x.index == 0));
    }

    #[test]
    fn role_changes_come_from_migration_events_with_a_target() {
        let c = Categories::default();
        let mut e = good();
        e["actor_role"] = json!("viewer");
        e["action"] = json!("role.change.manual");
        e["details"] = json!({"to": "analyst"});
        let ev = validate_audit_batch(&[e.clone()], limits(&c))
            .unwrap()
            .remove(0);
        assert_eq!(role_change(&ev), Some(("viewer".into(), "analyst".into())));
        assert_eq!(role_after(&ev), "analyst");
        e["outcome"] = json!("failure");
        let ev = validate_audit_batch(&[e], limits(&c)).unwrap().remove(0);
        assert_eq!(role_after(&ev), "viewer", "a failed change keeps the role");
    }

    #[test]
    fn self_actions_cover_pages_api_reads_and_export_only() {
        let ok = |a| Some((a, "success"));
        assert_eq!(self_action("GET", "/roles", 200), ok("metrics.view"));
        assert_eq!(
            self_action("GET", "/components/db", 200),
            ok("metrics.view")
        );
        assert_eq!(
            self_action("GET", "/api/v1/roles/metrics", 200),
            ok("analytics.query")
        );
        assert_eq!(
            self_action("GET", "/api/v1/audit/export", 200),
            ok("data.export")
        );
        assert_eq!(
            self_action("GET", "/api/v1/analytics/summary", 401),
            Some(("analytics.query", "denied"))
        );
        assert_eq!(
            self_action("GET", "/api/v1/roles/metrics", 400),
            Some(("analytics.query", "failure"))
        );
        assert_eq!(self_action("GET", "/roles", 404), None);
        assert_eq!(self_action("POST", "/api/v1/audit", 200), None);
        assert_eq!(self_action("GET", "/health/ready", 200), None);
        assert_eq!(self_action("GET", "/pkg/mcp-pulse.js", 200), None);
    }
}
