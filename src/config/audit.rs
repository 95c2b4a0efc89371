//! `[audit]` and `[roles]`: audit ingest limits, extra categories, Pulse's own audit, and each
//! role's latency target and rate limit.

use super::ConfigError;
use serde::Deserialize;

/// Audit ingest and the role views: extra categories, latency targets, rate limits, and
/// Pulse's audit of its own use.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditSettings {
    pub max_details_bytes: usize,
    /// Categories added to (or actions moved within) the seed's table.
    pub categories: Vec<(String, Vec<String>)>,
    pub self_audit: bool,
    /// The role Pulse's own users act in.
    pub self_role: String,
    /// Self-audit events per minute for readers Pulse cannot name (pages, refused API calls):
    /// enough to see that they happen, too few for a crowd to move the role analytics.
    pub anonymous_per_minute: u32,
    /// p95 latency target per role, ms, in `model::ROLES` order.
    pub targets_ms: [f64; 6],
    /// Requests per minute allowed per user, per role, in `model::ROLES` order.
    pub rate_limits_rpm: [u32; 6],
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            max_details_bytes: 4096,
            categories: Vec::new(),
            self_audit: true,
            self_role: "analyst".to_string(),
            anonymous_per_minute: 60,
            targets_ms: [100.0, 150.0, 200.0, 250.0, 300.0, 500.0],
            rate_limits_rpm: [1000, 750, 500, 250, 100, 20],
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudit {
    pub(super) max_details_bytes: Option<usize>,
    pub(super) self_audit: Option<bool>,
    pub(super) self_role: Option<String>,
    pub(super) anonymous_per_minute: Option<u32>,
    pub(super) categories: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoles {
    pub(super) targets_ms: Option<std::collections::BTreeMap<String, f64>>,
    pub(super) rate_limits_rpm: Option<std::collections::BTreeMap<String, u32>>,
}

pub(super) fn settings(
    source: &str,
    audit: &RawAudit,
    roles_raw: &RawRoles,
) -> Result<AuditSettings, ConfigError> {
    let d = AuditSettings::default();
    let invalid = |key: String, reason: String| ConfigError::Invalid {
        source_name: source.to_string(),
        key,
        reason,
    };
    let roles = crate::model::ROLES;
    let max_details_bytes = audit.max_details_bytes.unwrap_or(d.max_details_bytes);
    if !(2..=65_536).contains(&max_details_bytes) {
        return Err(invalid(
            "audit.max_details_bytes".into(),
            "must be between 2 and 65536".into(),
        ));
    }
    let self_role = audit.self_role.clone().unwrap_or(d.self_role);
    if !roles.contains(&self_role.as_str()) {
        return Err(invalid(
            "audit.self_role".into(),
            format!("`{self_role}` is not one of {}", roles.join(", ")),
        ));
    }
    let mut categories = Vec::new();
    for (name, actions) in audit.categories.iter().flatten() {
        let key = format!("audit.categories.{name}");
        let ok_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_name || name == crate::model::OTHER {
            return Err(invalid(
                key,
                "a category name is lowercase letters, digits and `_`, and not `other`".into(),
            ));
        }
        if let Some(bad) = actions.iter().find(|a| !crate::events::valid_action(a)) {
            return Err(invalid(
                key,
                format!("`{bad}` is not an action name such as user.role.assign"),
            ));
        }
        categories.push((name.clone(), actions.clone()));
    }
    let mut targets_ms = d.targets_ms;
    for (role, ms) in roles_raw.targets_ms.iter().flatten() {
        let key = format!("roles.targets_ms.{role}");
        let Some(i) = roles.iter().position(|r| r == role) else {
            return Err(invalid(
                key,
                format!("not a role; roles are {}", roles.join(", ")),
            ));
        };
        if !ms.is_finite() || *ms <= 0.0 || *ms > 600_000.0 {
            return Err(invalid(
                key,
                "must be a number of ms from 0 to 600000".into(),
            ));
        }
        targets_ms[i] = *ms;
    }
    let mut rate_limits_rpm = d.rate_limits_rpm;
    for (role, rpm) in roles_raw.rate_limits_rpm.iter().flatten() {
        let key = format!("roles.rate_limits_rpm.{role}");
        let Some(i) = roles.iter().position(|r| r == role) else {
            return Err(invalid(
                key,
                format!("not a role; roles are {}", roles.join(", ")),
            ));
        };
        if *rpm == 0 {
            return Err(invalid(key, "must be at least 1".into()));
        }
        rate_limits_rpm[i] = *rpm;
    }
    let anonymous_per_minute = audit.anonymous_per_minute.unwrap_or(d.anonymous_per_minute);
    if anonymous_per_minute > 10_000 {
        return Err(invalid(
            "audit.anonymous_per_minute".into(),
            "must be between 0 and 10000".into(),
        ));
    }
    Ok(AuditSettings {
        anonymous_per_minute,
        max_details_bytes,
        categories,
        self_audit: audit.self_audit.unwrap_or(d.self_audit),
        self_role,
        targets_ms,
        rate_limits_rpm,
    })
}
