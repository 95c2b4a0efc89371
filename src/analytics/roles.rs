//! Role analytics: the shapes of the five role views, the timeframes they accept, and the
//! definition of every RoleMetrics field (which actions or requests it counts). The README's
//! table, the service and the page all read `ROLE_FIELDS`, so they cannot disagree.

use serde::{Deserialize, Serialize};

/// What a RoleMetrics field counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Distinct actors with any audit event in the role.
    ActiveUsers,
    /// Request events (ingested traffic) carrying the role.
    Requests,
    /// Audit events of the role with one of these actions.
    Actions(&'static [&'static str]),
    /// Audit events of the role in this category.
    Category(&'static str),
    /// Audit events of the role with this action or with outcome `denied`.
    ActionOrDenied(&'static str),
    /// Mean span (first to last event) of the role's sessions that began in the timeframe, minutes.
    SessionMinutes,
    /// Share of the timeframe's guests whose role changed away from guest in it, %.
    ConversionPct,
    /// Mean time from first seen to the change away from guest, for changes in the timeframe, minutes.
    UpgradeMinutes,
}

/// One RoleMetrics field: the seed's name, a label and what it counts.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub source: Source,
}

const fn f(name: &'static str, label: &'static str, source: Source) -> FieldDef {
    FieldDef {
        name,
        label,
        source,
    }
}

/// The seed's RoleMetrics, role by role, in `model::ROLES` order.
pub const ROLE_FIELDS: [(&str, [FieldDef; 5]); 6] = [
    (
        "admin",
        [
            f("activeUsers", "Active users", Source::ActiveUsers),
            f("apiCalls", "API calls", Source::Requests),
            f(
                "criticalActions",
                "Critical actions",
                Source::Actions(&[
                    "user.role.assign",
                    "system.restore",
                    "audit.retention.manage",
                ]),
            ),
            f(
                "systemModifications",
                "System changes",
                Source::Actions(&["system.settings.modify", "system.backup", "system.restore"]),
            ),
            f(
                "auditLogViews",
                "Audit log views",
                Source::Actions(&["audit.log.view", "audit.export"]),
            ),
        ],
    ),
    (
        "manager",
        [
            f("activeUsers", "Active users", Source::ActiveUsers),
            f(
                "teamActions",
                "Team actions",
                Source::Category("manager_actions"),
            ),
            f(
                "approvals",
                "Approvals",
                Source::Actions(&["team.approvals"]),
            ),
            f(
                "serverCreations",
                "Servers created",
                Source::Actions(&["server.create"]),
            ),
            f(
                "userManagementActions",
                "User management",
                Source::Actions(&["team.user.create", "user.session.manage"]),
            ),
        ],
    ),
    (
        "developer",
        [
            f("activeUsers", "Active users", Source::ActiveUsers),
            f(
                "deployments",
                "Deployments",
                Source::Actions(&["server.deploy"]),
            ),
            f(
                "apiKeyUsage",
                "API key actions",
                Source::Actions(&["api.key.create", "api.key.use"]),
            ),
            f(
                "serverConfigurations",
                "Server configurations",
                Source::Actions(&["server.configure"]),
            ),
            f(
                "developmentActions",
                "Development actions",
                Source::Category("developer_actions"),
            ),
        ],
    ),
    (
        "analyst",
        [
            f("activeUsers", "Active users", Source::ActiveUsers),
            f(
                "reportsGenerated",
                "Reports",
                Source::Actions(&["report.generate"]),
            ),
            f(
                "dataExports",
                "Data exports",
                Source::Actions(&["data.export"]),
            ),
            f(
                "metricsViewed",
                "Metrics views",
                Source::Actions(&["metrics.view"]),
            ),
            f(
                "analyticsQueries",
                "Analytics queries",
                Source::Actions(&["analytics.query"]),
            ),
        ],
    ),
    (
        "viewer",
        [
            f("activeUsers", "Active users", Source::ActiveUsers),
            f("pageViews", "Page views", Source::Requests),
            f(
                "sessionDuration",
                "Avg session (min)",
                Source::SessionMinutes,
            ),
            f(
                "resourcesAccessed",
                "Resources viewed",
                Source::Actions(&["resource.view"]),
            ),
            f(
                "readOnlyActions",
                "Read-only actions",
                Source::Category("viewer_actions"),
            ),
        ],
    ),
    (
        "guest",
        [
            f("activeUsers", "Active users", Source::ActiveUsers),
            f(
                "limitedActions",
                "Limited actions",
                Source::Actions(&["limited.access"]),
            ),
            f("conversionRate", "Conversion %", Source::ConversionPct),
            f(
                "timeToUpgrade",
                "Time to upgrade (min)",
                Source::UpgradeMinutes,
            ),
            f(
                "restrictedAttempts",
                "Restricted attempts",
                Source::ActionOrDenied("restricted.attempt"),
            ),
        ],
    ),
];

/// The fields of one role (empty for an unknown role).
pub fn fields_of(role: &str) -> &'static [FieldDef] {
    ROLE_FIELDS
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, f)| f.as_slice())
        .unwrap_or(&[])
}

/// One field's value now and in the timeframe before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    pub name: String,
    pub label: String,
    pub value: f64,
    pub previous: f64,
}

impl MetricValue {
    /// -1, 0 or 1: the direction of the change against the previous timeframe.
    pub fn trend(&self) -> i8 {
        if (self.value - self.previous).abs() < 1e-9 {
            0
        } else if self.value > self.previous {
            1
        } else {
            -1
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleCard {
    pub role: String,
    pub metrics: Vec<MetricValue>,
    /// Audit events of the role in the timeframe (all categories).
    pub actions: i64,
}

/// `GET /api/v1/roles/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleMetricsView {
    pub timeframe: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub roles: Vec<RoleCard>,
    /// Audit events in the timeframe, every role.
    pub total_actions: i64,
    pub generated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleActionRow {
    pub role: String,
    pub category: String,
    pub action_count: i64,
    pub unique_users: i64,
    pub denied: i64,
    pub failed: i64,
}

/// `GET /api/v1/roles/actions`: role × category, seed `getRoleActionMetrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleActionsView {
    pub timeframe: String,
    pub categories: Vec<String>,
    pub rows: Vec<RoleActionRow>,
    pub generated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolePerformance {
    pub role: String,
    pub requests: i64,
    pub avg_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub target_ms: f64,
    /// p95 above the target.
    pub breach: bool,
    /// Share of the role's requests slower than the target, %.
    pub over_target_pct: f64,
}

/// `GET /api/v1/roles/performance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolePerformanceView {
    pub timeframe: String,
    pub roles: Vec<RolePerformance>,
    pub generated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRate {
    pub user_id: String,
    pub role: String,
    pub rpm: f64,
    pub used_pct: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRate {
    pub role: String,
    pub limit_rpm: u32,
    /// Users with requests in the last minute.
    pub users: i64,
    pub busiest_user: Option<String>,
    pub busiest_rpm: f64,
    /// The busiest user's share of the per-user limit, %.
    pub busiest_pct: f64,
    /// All of the role's requests in the last minute.
    pub total_rpm: f64,
    /// Mean use of the limit across the role's active users, %.
    pub avg_pct: f64,
}

/// `GET /api/v1/roles/rate-limits`: always the last 60 s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitView {
    pub timeframe: String,
    pub window: String,
    pub roles: Vec<RoleRate>,
    /// Users above `warn_pct` of their role's limit, busiest first.
    pub users_over: Vec<UserRate>,
    pub warn_pct: f64,
    pub generated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationStatus {
    /// `none` (no `role.migration.start` seen) or `in_progress` (started, users pending) or
    /// `complete`.
    pub state: String,
    pub started_at_ms: Option<i64>,
    pub total_users: i64,
    pub migrated_users: i64,
    pub pending_migrations: i64,
    pub failed_migrations: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleCount {
    pub role: String,
    pub users: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleChange {
    pub from: String,
    pub to: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    pub ts_ms: i64,
    pub migrations_completed: i64,
    pub cumulative_total: i64,
}

/// `GET /api/v1/roles/migration`, seed `MigrationMonitoringService`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationView {
    pub timeframe: String,
    pub status: MigrationStatus,
    pub before: Vec<RoleCount>,
    pub after: Vec<RoleCount>,
    pub changes: Vec<RoleChange>,
    pub timeline: Vec<TimelinePoint>,
    pub generated_at_ms: i64,
}

/// Users above this share of their role's per-user limit are listed and shown in red.
pub const WARN_PCT: f64 = 80.0;

/// One role on the Overview: the last 24 h at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleSummaryRow {
    pub role: String,
    pub active_users: i64,
    pub actions: i64,
    pub performance: RolePerformance,
    pub rate: RoleRate,
}

/// The Overview's Roles table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleSummary {
    pub rows: Vec<RoleSummaryRow>,
    pub generated_at_ms: i64,
}

/// Everything the Roles page shows, fetched in one round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolesPage {
    pub metrics: RoleMetricsView,
    pub actions: RoleActionsView,
    pub performance: RolePerformanceView,
    pub rates: RateLimitView,
    pub migration: MigrationView,
    /// Whether any audit event other than Pulse's own has arrived (within raw retention).
    pub has_ingested: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_five_fields_led_by_active_users() {
        for (i, (role, fields)) in ROLE_FIELDS.iter().enumerate() {
            assert_eq!(*role, crate::model::ROLES[i]);
            assert_eq!(fields[0].source, Source::ActiveUsers);
            let mut names: Vec<_> = fields.iter().map(|f| f.name).collect();
            names.dedup();
            assert_eq!(names.len(), 5, "{role}");
        }
        assert!(fields_of("root").is_empty());
    }

    /// The README's definitions table says what the code counts.
    #[test]
    fn the_readme_documents_every_field_as_defined() {
        let readme = include_str!("../../README.md");
        for (role, fields) in ROLE_FIELDS {
            for f in fields {
                let prefix = format!("| {role} | `{}` | ", f.name);
                let row = readme
                    .lines()
                    .find(|l| l.starts_with(&prefix))
                    .unwrap_or_else(|| panic!("README has no row for {role}.{}", f.name));
                let want = match f.source {
                    Source::Actions(list) => list.join(", "),
                    Source::Category(c) => format!("category {c}"),
                    Source::ActionOrDenied(a) => a.to_string(),
                    Source::ActiveUsers => "distinct actors".into(),
                    Source::Requests => "requests".into(),
                    Source::SessionMinutes => "sessions".into(),
                    Source::ConversionPct => "%".into(),
                    Source::UpgradeMinutes => "first seen".into(),
                };
                assert!(row.contains(&want), "{row} should say {want}");
            }
        }
    }
}
