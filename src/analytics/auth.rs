//! Authentication monitoring's answers (seed 000's `get_auth_metrics_summary` for any timeframe,
//! with thresholds): the shapes the API and the Authentication page show. Built server-side in
//! `auth_service` from the auth rollup only.

use serde::{Deserialize, Serialize};

/// "Active" sessions are those validated this recently.
pub const ACTIVE_SESSION_MS: i64 = 15 * 60_000;

/// The event types of the summary, with the names people read.
pub const EVENT_TYPES: [(&str, &str); 5] = [
    ("auth.oauth_flow", "OAuth flow"),
    ("auth.token_refresh", "Token refresh"),
    ("auth.session_validation", "Session validation"),
    ("auth.login", "Login"),
    ("auth.mfa_challenge", "MFA challenge"),
];

/// The thresholds a window is judged by (`[auth_monitoring]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuthThresholds {
    pub max_failure_rate: f64,
    pub max_oauth_flow_ms: f64,
    pub max_token_refresh_ms: f64,
    pub min_session_health: f64,
}

/// Counts of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuthTotals {
    pub total: i64,
    pub successful: i64,
    pub failed: i64,
    /// successful / total, 0-1; `None` without events.
    pub success_rate: Option<f64>,
}

/// One event type over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeStat {
    pub action: String,
    pub label: String,
    pub count: i64,
    pub failed: i64,
    /// Events of the previous window of equal length.
    pub previous_count: i64,
    /// Over the events that said how long they took.
    pub avg_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    /// The p95 the seed allows this type, when it sets one.
    pub threshold_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodStat {
    pub method: String,
    pub challenges: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MfaStat {
    pub challenges: i64,
    pub failed: i64,
    /// MFA challenges per login, 0-1 (can exceed 1 when steps are re-challenged); `None`
    /// without logins.
    pub challenge_rate: Option<f64>,
    pub by_method: Vec<MethodStat>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RoleSyncStat {
    pub syncs: i64,
    pub failures: i64,
    /// Failures in the last 15 minutes, whatever the window (what the `role_sync` check reads).
    pub failures_last_15m: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderStat {
    /// A known provider name, `other`, or empty for events that named none.
    pub provider: String,
    pub total: i64,
    pub failed: i64,
    pub failure_rate: Option<f64>,
    pub active_sessions: i64,
}

/// A threshold the window is past.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// `failure_rate`, `oauth_flow_p95`, `token_refresh_p95` or `session_health`.
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    pub message: String,
}

/// One bucket of the charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthPointView {
    pub ts_ms: i64,
    pub total: i64,
    pub failed: i64,
    pub oauth_p95_ms: Option<f64>,
    pub token_refresh_p95_ms: Option<f64>,
    pub session_validation_p95_ms: Option<f64>,
}

/// What the Authentication page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuthPage {
    pub summary: AuthSummary,
    /// The derived `authentication_system` and its members (components in group `auth`).
    pub components: Vec<crate::model::ComponentHealth>,
}

/// `GET /api/v1/auth/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuthSummary {
    pub timeframe: String,
    /// The provider the summary is narrowed to, if any.
    pub provider: Option<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub totals: AuthTotals,
    /// The window of equal length before this one (trend).
    pub previous: AuthTotals,
    pub event_types: Vec<EventTypeStat>,
    pub mfa: MfaStat,
    pub role_sync: RoleSyncStat,
    pub providers: Vec<ProviderStat>,
    /// Sessions validated in the last 15 minutes.
    pub active_sessions: i64,
    /// Successful share of session validations in the window, 0-1.
    pub session_health: Option<f64>,
    pub thresholds: AuthThresholds,
    pub breaches: Vec<Breach>,
    pub bucket_ms: i64,
    pub series: Vec<AuthPointView>,
    pub generated_at_ms: i64,
}
