//! Seed 000's authentication series (`EnhancedMetricsCollector`), from committed audit events:
//! every label is bounded (auth types and outcomes are fixed lists, providers and methods are
//! the audit vocabulary's labels or `other`, roles the six, permissions the categories).

use super::{counter_vec, gauge_vec, histogram_vec, Registrar};
use crate::audit::auth::{self as a, ACTIONS};
use crate::events::AuditEvent;
use prometheus::{HistogramVec, IntCounterVec, IntGaugeVec};
use std::collections::HashMap;

pub struct AuthSeries {
    requests: IntCounterVec,
    duration: HistogramVec,
    oauth_flows: IntCounterVec,
    oauth_duration: HistogramVec,
    token_refresh: IntCounterVec,
    mfa: IntCounterVec,
    rbac: IntCounterVec,
    sessions: IntGaugeVec,
}

/// `auth.oauth_flow` → `oauth_flow`: the `auth_type` label.
fn auth_type(action: &str) -> &str {
    action.strip_prefix("auth.").unwrap_or(action)
}

/// A label for "not given": Prometheus labels cannot tell empty from absent.
fn given(label: &str) -> &str {
    if label.is_empty() {
        "none"
    } else {
        label
    }
}

impl AuthSeries {
    pub(super) fn new(r: &Registrar) -> Result<AuthSeries, prometheus::Error> {
        Ok(AuthSeries {
            requests: r.add(counter_vec(
                "auth_requests_total",
                "Authentication events received, by type (oauth_flow, token_refresh, \
                 session_validation, login, mfa_challenge), provider and status.",
                &["auth_type", "provider", "status"],
            )?)?,
            duration: r.add(histogram_vec(
                "auth_request_duration_seconds",
                "Duration authentication events reported, by type and provider.",
                &["auth_type", "provider"],
            )?)?,
            oauth_flows: r.add(counter_vec(
                "oauth_flows_total",
                "OAuth flows, by provider, status and flow type.",
                &["provider", "status", "flow_type"],
            )?)?,
            oauth_duration: r.add(histogram_vec(
                "oauth_flow_duration_seconds",
                "OAuth flow duration, by provider and flow type.",
                &["provider", "flow_type"],
            )?)?,
            token_refresh: r.add(counter_vec(
                "token_refresh_total",
                "Token refreshes, by provider and status.",
                &["provider", "status"],
            )?)?,
            mfa: r.add(counter_vec(
                "mfa_challenges_total",
                "MFA challenges, by method and status.",
                &["method", "status"],
            )?)?,
            rbac: r.add(counter_vec(
                "rbac_checks_total",
                "Permission checks seen in audit events (success: allowed, denied: denied), by \
                 role and permission (the action's category).",
                &["role", "permission", "status"],
            )?)?,
            sessions: r.add(gauge_vec(
                "active_sessions_by_provider",
                "Sessions validated in the last 15 minutes, by provider.",
                &["provider"],
            )?)?,
        })
    }

    /// The auth types' series start at zero, so a rate or an alert sees them before their
    /// first event.
    pub(super) fn prime(&self) {
        for action in ACTIONS {
            for status in ["success", "failure"] {
                self.requests
                    .with_label_values(&[auth_type(action), "none", status])
                    .inc_by(0);
            }
        }
    }

    /// Counts committed audit events.
    pub fn observe(&self, events: &[AuditEvent]) {
        let mut rbac: HashMap<(&str, &str, &str), u64> = HashMap::new();
        for e in events {
            let status = match e.outcome.as_str() {
                "success" => Some("allowed"),
                "denied" => Some("denied"),
                _ => None,
            };
            if let Some(s) = status {
                *rbac.entry((&e.actor_role, &e.category, s)).or_default() += 1;
            }
            let Some(key) = &e.auth else { continue };
            if e.action == a::ROLE_SYNC {
                continue;
            }
            let status = if e.outcome == "success" {
                "success"
            } else {
                "failure"
            };
            let provider = given(&key.provider);
            let kind = auth_type(&e.action);
            self.requests
                .with_label_values(&[kind, provider, status])
                .inc();
            if let Some(ms) = e.duration_ms {
                self.duration
                    .with_label_values(&[kind, provider])
                    .observe(ms / 1000.0);
            }
            match e.action.as_str() {
                a::OAUTH_FLOW => {
                    let flow = given(&key.method);
                    self.oauth_flows
                        .with_label_values(&[provider, status, flow])
                        .inc();
                    if let Some(ms) = e.duration_ms {
                        self.oauth_duration
                            .with_label_values(&[provider, flow])
                            .observe(ms / 1000.0);
                    }
                }
                a::TOKEN_REFRESH => self
                    .token_refresh
                    .with_label_values(&[provider, status])
                    .inc(),
                a::MFA_CHALLENGE => self
                    .mfa
                    .with_label_values(&[given(&key.method), status])
                    .inc(),
                _ => {}
            }
        }
        for ((role, permission, status), n) in rbac {
            self.rbac
                .with_label_values(&[role, permission, status])
                .inc_by(n);
        }
    }

    /// Replaces the active-session gauge: providers no longer active read 0.
    pub fn set_sessions(&self, by_provider: &[(String, i64)]) {
        self.sessions.reset();
        for (p, n) in by_provider {
            self.sessions.with_label_values(&[given(p)]).set(*n);
        }
    }
}
