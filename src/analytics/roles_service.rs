//! Builds the role views from rollups: audit action counts and acting users, request rollups
//! by role, per-user request minutes, sessions and role changes (never raw events).

use super::roles::*;
use super::service::{floor_to, range, resolution_for};
use super::{round2, Agg};
use crate::config::AuditSettings;
use crate::model::ROLES;
use crate::store::{ActionCount, Resolution, Store, StoreError, MINUTE_MS};
use std::collections::HashMap;

/// Users above this share of their limit are listed.
pub const WARN_PCT: f64 = 80.0;

/// A timeframe's window `[from, to)` and the rollup spans that cover it.
#[derive(Debug, Clone)]
struct Window {
    from: i64,
    to: i64,
    spans: Vec<(Resolution, i64, i64)>,
}

/// The window ending now, and the one of equal length before it (for trend arrows).
fn windows(now: i64, tf: Timeframe) -> (Window, Window) {
    let res = resolution_for(tf.hours());
    let (from, to) = range(now, tf.hours(), res);
    let len = to - from;
    let make = |from: i64, to: i64| Window {
        from,
        to,
        spans: Store::plan(res, from, to),
    };
    (make(from, to), make(from - len, from))
}

/// What the role metrics of one window are computed from.
struct Facts {
    actions: Vec<ActionCount>,
    actors: HashMap<(String, String), i64>,
    requests: HashMap<String, Agg>,
    /// Mean session span (ms) of roles that have a session field.
    sessions: HashMap<String, Option<f64>>,
    /// (guests, upgraded, mean ms to upgrade)
    guests: (i64, i64, Option<f64>),
}

async fn facts(store: &Store, w: &Window) -> Result<Facts, StoreError> {
    let mut sessions = HashMap::new();
    for (role, fields) in ROLE_FIELDS {
        if fields.iter().any(|f| f.source == Source::SessionMinutes) {
            let (_, avg) = store.session_spans(role, w.from, w.to).await?;
            sessions.insert(role.to_string(), avg);
        }
    }
    Ok(Facts {
        actions: store.audit_actions(&w.spans).await?,
        actors: store.audit_actors(&w.spans).await?,
        requests: store.traffic_roles(&w.spans).await?,
        sessions,
        guests: store.guest_conversions(&w.spans, w.from, w.to).await?,
    })
}

fn minutes(ms: Option<f64>) -> f64 {
    ms.map(|v| round2(v / MINUTE_MS as f64)).unwrap_or(0.0)
}

impl Facts {
    fn sum(&self, role: &str, keep: impl Fn(&ActionCount) -> bool) -> i64 {
        self.actions
            .iter()
            .filter(|a| a.role == role && keep(a))
            .map(|a| a.count)
            .sum()
    }

    fn value(&self, role: &str, source: Source) -> f64 {
        match source {
            Source::ActiveUsers => self
                .actors
                .get(&(role.to_string(), String::new()))
                .copied()
                .unwrap_or(0) as f64,
            Source::Requests => self.requests.get(role).map_or(0, |a| a.count) as f64,
            Source::Actions(list) => self.sum(role, |a| list.contains(&a.action.as_str())) as f64,
            Source::Category(c) => self.sum(role, |a| a.category == c) as f64,
            Source::ActionOrDenied(action) => {
                self.sum(role, |a| a.action == action || a.outcome == "denied") as f64
            }
            Source::SessionMinutes => minutes(self.sessions.get(role).copied().flatten()),
            Source::ConversionPct => {
                let (guests, upgraded, _) = self.guests;
                if guests > 0 {
                    round2(upgraded as f64 * 100.0 / guests as f64)
                } else {
                    0.0
                }
            }
            Source::UpgradeMinutes => minutes(self.guests.2),
        }
    }
}

pub async fn metrics(
    store: &Store,
    now: i64,
    tf: Timeframe,
) -> Result<RoleMetricsView, StoreError> {
    let (cur_w, prev_w) = windows(now, tf);
    let cur = facts(store, &cur_w).await?;
    let prev = facts(store, &prev_w).await?;
    let roles = ROLE_FIELDS
        .iter()
        .map(|(role, fields)| RoleCard {
            role: role.to_string(),
            metrics: fields
                .iter()
                .map(|f| MetricValue {
                    name: f.name.to_string(),
                    label: f.label.to_string(),
                    value: cur.value(role, f.source),
                    previous: prev.value(role, f.source),
                })
                .collect(),
            actions: cur.sum(role, |_| true),
        })
        .collect();
    Ok(RoleMetricsView {
        timeframe: tf.as_str().to_string(),
        from_ms: cur_w.from,
        to_ms: cur_w.to,
        roles,
        total_actions: cur.actions.iter().map(|a| a.count).sum(),
        generated_at_ms: now,
    })
}

pub async fn actions(
    store: &Store,
    categories: &crate::audit::Categories,
    now: i64,
    tf: Timeframe,
) -> Result<RoleActionsView, StoreError> {
    let (w, _) = windows(now, tf);
    let counts = store.audit_actions(&w.spans).await?;
    let actors = store.audit_actors(&w.spans).await?;
    let mut by_key: HashMap<(String, String), RoleActionRow> = HashMap::new();
    for a in counts {
        let row = by_key
            .entry((a.role.clone(), a.category.clone()))
            .or_insert_with(|| RoleActionRow {
                role: a.role.clone(),
                category: a.category.clone(),
                action_count: 0,
                unique_users: 0,
                denied: 0,
                failed: 0,
            });
        row.action_count += a.count;
        match a.outcome.as_str() {
            "denied" => row.denied += a.count,
            "failure" => row.failed += a.count,
            _ => {}
        }
    }
    let mut rows: Vec<RoleActionRow> = by_key
        .into_iter()
        .map(|(key, mut row)| {
            row.unique_users = actors.get(&key).copied().unwrap_or(0);
            row
        })
        .collect();
    let rank = |r: &str| ROLES.iter().position(|x| *x == r).unwrap_or(ROLES.len());
    rows.sort_by(|a, b| {
        rank(&a.role)
            .cmp(&rank(&b.role))
            .then(b.action_count.cmp(&a.action_count))
            .then(a.category.cmp(&b.category))
    });
    Ok(RoleActionsView {
        timeframe: tf.as_str().to_string(),
        categories: categories.names().to_vec(),
        rows,
        generated_at_ms: now,
    })
}

pub async fn performance(
    store: &Store,
    settings: &AuditSettings,
    now: i64,
    tf: Timeframe,
) -> Result<RolePerformanceView, StoreError> {
    let (w, _) = windows(now, tf);
    let by_role = store.traffic_roles(&w.spans).await?;
    let roles = ROLES
        .iter()
        .zip(settings.targets_ms)
        .map(|(role, target)| {
            let a = by_role.get(*role).cloned().unwrap_or_default();
            let p95 = a.quantile(0.95);
            RolePerformance {
                role: role.to_string(),
                requests: a.count,
                avg_ms: a.avg_ms(),
                p95_ms: p95,
                max_ms: (a.count > 0).then(|| round2(a.max_ms)),
                target_ms: target,
                breach: p95.is_some_and(|p| p > target),
                over_target_pct: a.share_above(target),
            }
        })
        .collect();
    Ok(RolePerformanceView {
        timeframe: tf.as_str().to_string(),
        roles,
        generated_at_ms: now,
    })
}

/// Rate-limit usage over the last 60 s with the sliding-window counter gateways use: the
/// current minute's requests plus the previous minute's, weighted by how much of it is still
/// inside the last 60 s.
pub async fn rate_limits(
    store: &Store,
    settings: &AuditSettings,
    now: i64,
    tf: Timeframe,
) -> Result<RateLimitView, StoreError> {
    let cur = floor_to(now, MINUTE_MS);
    let prev = cur - MINUTE_MS;
    let weight = 1.0 - (now - cur) as f64 / MINUTE_MS as f64;
    let mut per_user: HashMap<(String, String), f64> = HashMap::new();
    for (bucket, role, user, n) in store.user_minutes(prev, cur + MINUTE_MS).await? {
        let w = if bucket == cur { 1.0 } else { weight };
        *per_user.entry((role, user)).or_default() += n as f64 * w;
    }
    let limit_of = |role: &str| {
        ROLES
            .iter()
            .position(|r| *r == role)
            .map(|i| settings.rate_limits_rpm[i])
    };
    let mut users_over = Vec::new();
    let mut roles: Vec<RoleRate> = ROLES
        .iter()
        .zip(settings.rate_limits_rpm)
        .map(|(role, limit)| RoleRate {
            role: role.to_string(),
            limit_rpm: limit,
            users: 0,
            busiest_user: None,
            busiest_rpm: 0.0,
            busiest_pct: 0.0,
            total_rpm: 0.0,
            avg_pct: 0.0,
        })
        .collect();
    for ((role, user), rpm) in per_user {
        let (Some(limit), Some(r)) = (limit_of(&role), roles.iter_mut().find(|r| r.role == role))
        else {
            continue;
        };
        let pct = rpm * 100.0 / f64::from(limit);
        r.users += 1;
        r.total_rpm += rpm;
        if rpm > r.busiest_rpm || (rpm == r.busiest_rpm && r.busiest_user.is_none()) {
            r.busiest_rpm = rpm;
            r.busiest_user = Some(user.clone());
        }
        if pct > WARN_PCT {
            users_over.push(UserRate {
                user_id: user,
                role,
                rpm: round2(rpm),
                used_pct: round2(pct),
            });
        }
    }
    for r in &mut roles {
        r.busiest_pct = round2(r.busiest_rpm * 100.0 / f64::from(r.limit_rpm));
        if r.users > 0 {
            r.avg_pct = round2(r.total_rpm * 100.0 / (f64::from(r.limit_rpm) * r.users as f64));
        }
        r.busiest_rpm = round2(r.busiest_rpm);
        r.total_rpm = round2(r.total_rpm);
    }
    users_over.sort_by(|a, b| {
        b.used_pct
            .total_cmp(&a.used_pct)
            .then(a.user_id.cmp(&b.user_id))
    });
    users_over.truncate(50);
    Ok(RateLimitView {
        timeframe: tf.as_str().to_string(),
        window: "last 60 s".to_string(),
        roles,
        users_over,
        warn_pct: WARN_PCT,
        generated_at_ms: now,
    })
}

fn by_role(counts: &[(String, i64)]) -> Vec<RoleCount> {
    ROLES
        .iter()
        .map(|r| RoleCount {
            role: r.to_string(),
            users: counts.iter().filter(|(x, _)| x == r).map(|(_, n)| n).sum(),
        })
        .collect()
}

/// The migration since the newest `role.migration.start` (or, without one, role changes in
/// the timeframe): status, before/after distributions, from → to counts and the timeline.
pub async fn migration(
    store: &Store,
    now: i64,
    tf: Timeframe,
) -> Result<MigrationView, StoreError> {
    let (w, _) = windows(now, tf);
    let start = store.migration_start(w.to).await?;
    let facts = store.migration_facts(start.unwrap_or(w.from)).await?;
    let state = match start {
        None => "none",
        Some(_) if facts.pending == 0 && facts.failed == 0 => "complete",
        Some(_) => "in_progress",
    };
    let (pairs, per_minute) = store.role_change_counts(w.from, w.to).await?;
    let mut changes: Vec<RoleChange> = pairs
        .into_iter()
        .map(|(from, to, count)| RoleChange { from, to, count })
        .collect();
    changes.sort_by(|a, b| b.count.cmp(&a.count).then(a.from.cmp(&b.from)));
    let mut total = 0;
    let timeline = per_minute
        .into_iter()
        .map(|(ts_ms, n)| {
            total += n;
            TimelinePoint {
                ts_ms,
                migrations_completed: n,
                cumulative_total: total,
            }
        })
        .collect();
    Ok(MigrationView {
        timeframe: tf.as_str().to_string(),
        status: MigrationStatus {
            state: state.to_string(),
            started_at_ms: start,
            total_users: facts.total_users,
            migrated_users: facts.migrated,
            pending_migrations: if start.is_some() { facts.pending } else { 0 },
            failed_migrations: facts.failed,
        },
        before: by_role(&facts.before),
        after: by_role(&facts.after),
        changes,
        timeline,
        generated_at_ms: now,
    })
}

/// All five views, for the Roles page.
pub async fn page(
    store: &Store,
    settings: &AuditSettings,
    categories: &crate::audit::Categories,
    now: i64,
    tf: Timeframe,
) -> Result<RolesPage, StoreError> {
    Ok(RolesPage {
        metrics: metrics(store, now, tf).await?,
        actions: actions(store, categories, now, tf).await?,
        performance: performance(store, settings, now, tf).await?,
        rates: rate_limits(store, settings, now, tf).await?,
        migration: migration(store, now, tf).await?,
    })
}

/// Keeps `pulse_role_active_users` current: distinct actors per role over the last 24 hours,
/// recomputed every minute. Abort the handle to stop it.
pub fn spawn_gauges(store: Store, metrics: crate::metrics::Metrics) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (w, _) = windows(crate::model::now_ms(), Timeframe::H24);
            match store.audit_actors(&w.spans).await {
                Ok(actors) => {
                    for role in ROLES {
                        let n = actors
                            .get(&(role.to_string(), String::new()))
                            .copied()
                            .unwrap_or(0);
                        metrics.set_role_active_users(role, n);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "counting active users failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    })
}
