//! Builds the role views from rollups: audit action counts and acting users, request rollups
//! by role, per-user request minutes, sessions and role changes (never raw events).

use super::roles::*;
use super::service::{floor_to, Frame};
use super::{round2, Agg};
use crate::config::AuditSettings;
use crate::model::ROLES;
use crate::span::Span;
use crate::store::{ActionCount, Store, StoreError, MINUTE_MS};
use std::collections::HashMap;

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

async fn facts(store: &Store, w: &Frame) -> Result<Facts, StoreError> {
    let mut sessions = HashMap::new();
    for (role, fields) in ROLE_FIELDS {
        if fields.iter().any(|f| f.source == Source::SessionMinutes) {
            let (_, avg) = store.session_spans(role, &w.spans).await?;
            sessions.insert(role.to_string(), avg);
        }
    }
    // One read of the actor sets serves active users and the guests.
    let sets = store.actor_sets(&w.spans).await?;
    Ok(Facts {
        actions: store.audit_actions(&w.spans).await?,
        actors: sets.counts(),
        requests: store.traffic_roles(&w.spans).await?,
        sessions,
        guests: store.guest_conversions(&sets, w.from, w.to).await?,
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

pub async fn metrics(store: &Store, now: i64, tf: Span) -> Result<RoleMetricsView, StoreError> {
    let cur_w = Frame::last(now, tf);
    let prev_w = cur_w.previous();
    let cur = facts(store, &cur_w).await?;
    let prev = facts(store, &prev_w).await?;
    Ok(metrics_view(tf, &cur_w, &cur, &prev, now))
}

fn metrics_view(tf: Span, w: &Frame, cur: &Facts, prev: &Facts, now: i64) -> RoleMetricsView {
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
    RoleMetricsView {
        timeframe: tf.as_str().to_string(),
        from_ms: w.from,
        to_ms: w.to,
        roles,
        total_actions: cur.actions.iter().map(|a| a.count).sum(),
        generated_at_ms: now,
    }
}

pub async fn actions(
    store: &Store,
    categories: &crate::audit::Categories,
    now: i64,
    tf: Span,
) -> Result<RoleActionsView, StoreError> {
    let w = Frame::last(now, tf);
    let counts = store.audit_actions(&w.spans).await?;
    let actors = store.audit_actors(&w.spans).await?;
    Ok(actions_view(categories, tf, &counts, &actors, now))
}

fn actions_view(
    categories: &crate::audit::Categories,
    tf: Span,
    counts: &[ActionCount],
    actors: &HashMap<(String, String), i64>,
    now: i64,
) -> RoleActionsView {
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
    RoleActionsView {
        timeframe: tf.as_str().to_string(),
        categories: categories.names().to_vec(),
        rows,
        generated_at_ms: now,
    }
}

pub async fn performance(
    store: &Store,
    settings: &AuditSettings,
    now: i64,
    tf: Span,
) -> Result<RolePerformanceView, StoreError> {
    let w = Frame::last(now, tf);
    let by_role = store.traffic_roles(&w.spans).await?;
    Ok(performance_view(settings, tf, &by_role, now))
}

fn performance_view(
    settings: &AuditSettings,
    tf: Span,
    by_role: &HashMap<String, Agg>,
    now: i64,
) -> RolePerformanceView {
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
    RolePerformanceView {
        timeframe: tf.as_str().to_string(),
        roles,
        generated_at_ms: now,
    }
}

/// Rate-limit usage over the last 60 s with the sliding-window counter gateways use: the
/// current minute's requests plus the previous minute's, weighted by how much of it is still
/// inside the last 60 s.
pub async fn rate_limits(
    store: &Store,
    settings: &AuditSettings,
    now: i64,
    tf: Span,
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
pub async fn migration(store: &Store, now: i64, tf: Span) -> Result<MigrationView, StoreError> {
    let w = Frame::last(now, tf);
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

/// All five views, for the Roles page; each window's facts are read once.
pub async fn page(
    store: &Store,
    settings: &AuditSettings,
    categories: &crate::audit::Categories,
    now: i64,
    tf: Span,
) -> Result<RolesPage, StoreError> {
    let cur_w = Frame::last(now, tf);
    let prev_w = cur_w.previous();
    let cur = facts(store, &cur_w).await?;
    let prev = facts(store, &prev_w).await?;
    Ok(RolesPage {
        metrics: metrics_view(tf, &cur_w, &cur, &prev, now),
        actions: actions_view(categories, tf, &cur.actions, &cur.actors, now),
        performance: performance_view(settings, tf, &cur.requests, now),
        rates: rate_limits(store, settings, now, tf).await?,
        migration: migration(store, now, tf).await?,
        has_ingested: store.has_ingested_audit().await?,
    })
}

/// The Overview's Roles table: the last 24 h, without the previous window, migration or
/// sessions the Roles page also reads.
pub async fn summary(
    store: &Store,
    settings: &AuditSettings,
    now: i64,
) -> Result<RoleSummary, StoreError> {
    let tf = Span::H24;
    let w = Frame::last(now, tf);
    let actions = store.audit_actions(&w.spans).await?;
    let actors = store.audit_actors(&w.spans).await?;
    let perf = performance_view(settings, tf, &store.traffic_roles(&w.spans).await?, now);
    let rates = rate_limits(store, settings, now, tf).await?;
    let rows = perf
        .roles
        .into_iter()
        .zip(rates.roles)
        .map(|(performance, rate)| RoleSummaryRow {
            active_users: actors
                .get(&(performance.role.clone(), String::new()))
                .copied()
                .unwrap_or(0),
            actions: actions
                .iter()
                .filter(|a| a.role == performance.role)
                .map(|a| a.count)
                .sum(),
            role: performance.role.clone(),
            performance,
            rate,
        })
        .collect();
    Ok(RoleSummary {
        rows,
        generated_at_ms: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Categories;
    use crate::store::{AuditEvent, EventSource, RequestEvent, HOUR_MS};
    use serde_json::json;

    /// 30 minutes into an hour, so the 24 h window's current hour holds the last 30 minutes.
    const NOW: i64 = 1_800_000_000_000 - 1_800_000_000_000 % HOUR_MS + 30 * MINUTE_MS;

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&format!("sqlite://{}/r.db", dir.path().display()))
            .await
            .unwrap();
        (s, dir)
    }

    fn ev(ts: i64, actor: &str, role: &str, action: &str, outcome: &str) -> AuditEvent {
        AuditEvent {
            ts_ms: ts,
            actor_id: actor.into(),
            actor_role: role.into(),
            category: Categories::default().of(action).to_string(),
            action: action.into(),
            resource: None,
            outcome: outcome.into(),
            session_id: None,
            details: None,
            duration_ms: None,
            provider: None,
            auth: None,
            source: EventSource::Ingest,
        }
    }

    fn change(ts: i64, actor: &str, from: &str, to: &str, outcome: &str) -> AuditEvent {
        AuditEvent {
            details: Some(json!({"from": from, "to": to})),
            ..ev(ts, actor, from, "role.change.manual", outcome)
        }
    }

    fn req(ts: i64, role: &str, user: &str, ms: f64) -> RequestEvent {
        RequestEvent {
            ts_ms: ts,
            method: "POST".into(),
            route: "tools/call".into(),
            tool: None,
            server: None,
            status: 200,
            duration_ms: ms,
            user_id: Some(user.into()),
            role: Some(role.into()),
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: EventSource::Ingest,
        }
    }

    fn value(view: &RoleMetricsView, role: &str, name: &str) -> (f64, f64) {
        let card = view.roles.iter().find(|c| c.role == role).unwrap();
        let m = card.metrics.iter().find(|m| m.name == name).unwrap();
        (m.value, m.previous)
    }

    #[tokio::test]
    async fn every_role_metrics_field_on_hand_made_events() {
        let (s, _dir) = store().await;
        hand_made(&s).await;
    }

    #[tokio::test]
    async fn postgres_gives_the_same_answers() {
        let Some(pg) = crate::store::testing::PgSchema::create("roles").await else {
            return;
        };
        hand_made(&pg.store).await;
        pg.drop().await;
        let Some(pg) = crate::store::testing::PgSchema::create("migration").await else {
            return;
        };
        scripted_migration(&pg.store).await;
        pg.drop().await;
    }

    async fn hand_made(s: &Store) {
        let t = NOW - 20 * MINUTE_MS;
        let mut a = vec![
            ev(t, "a1", "admin", "user.role.assign", "success"),
            ev(t, "a1", "admin", "system.settings.modify", "success"),
            ev(t + 1, "a1", "admin", "system.settings.modify", "success"),
            ev(t, "a1", "admin", "system.restore", "success"),
            ev(t, "a1", "admin", "audit.log.view", "success"),
            ev(t, "a2", "admin", "system.backup", "success"),
            // The day before: the previous 24 h window.
            ev(
                NOW - 25 * HOUR_MS,
                "a3",
                "admin",
                "system.backup",
                "success",
            ),
            ev(t, "m1", "manager", "team.user.create", "success"),
            ev(t, "m1", "manager", "team.approvals", "success"),
            ev(t, "m1", "manager", "team.approvals", "success"),
            ev(t, "m1", "manager", "server.create", "success"),
            ev(t, "m1", "manager", "user.session.manage", "success"),
            ev(t, "d1", "developer", "server.deploy", "success"),
            ev(t, "d1", "developer", "server.deploy", "failure"),
            ev(t, "d1", "developer", "api.key.create", "success"),
            ev(t, "d1", "developer", "server.configure", "success"),
            ev(t, "d1", "developer", "development.action", "success"),
            ev(t, "n1", "analyst", "report.generate", "success"),
            ev(t, "n1", "analyst", "data.export", "success"),
            ev(t, "n1", "analyst", "data.export", "success"),
            ev(t, "n1", "analyst", "metrics.view", "success"),
            ev(t, "n1", "analyst", "analytics.query", "success"),
            ev(t, "n1", "analyst", "analytics.query", "success"),
            ev(t, "n1", "analyst", "analytics.query", "success"),
            ev(t, "v2", "viewer", "page.access", "success"),
            ev(t, "g1", "guest", "limited.access", "success"),
            ev(t, "g2", "guest", "limited.access", "success"),
            ev(t, "g2", "guest", "restricted.attempt", "denied"),
            ev(t, "g3", "guest", "resource.view", "denied"),
            change(t + 5 * MINUTE_MS, "g1", "guest", "viewer", "success"),
        ];
        // Viewer sessions of 10 and 20 minutes, three resource views in all.
        for (sid, actor, len) in [("s1", "v1", 10), ("s2", "v2", 20)] {
            for ts in [t - 5 * MINUTE_MS, t - 5 * MINUTE_MS + len * MINUTE_MS] {
                a.push(AuditEvent {
                    session_id: Some(sid.into()),
                    ..ev(ts, actor, "viewer", "resource.view", "success")
                });
            }
        }
        // s2's last event is a read-only action, not a view: three views in all.
        a.pop();
        a.push(AuditEvent {
            session_id: Some("s2".into()),
            ..ev(
                t + 15 * MINUTE_MS,
                "v2",
                "viewer",
                "readonly.action",
                "success",
            )
        });
        // g1 was first seen 25 minutes before the upgrade.
        a.push(ev(
            t - 20 * MINUTE_MS,
            "g1",
            "guest",
            "limited.access",
            "success",
        ));
        let mut r: Vec<RequestEvent> = (0..3).map(|i| req(t + i, "admin", "a1", 20.0)).collect();
        r.extend((0..5).map(|i| req(t + i, "viewer", "v1", 20.0)));
        s.insert_batch(&r, &a).await.unwrap();

        let v = metrics(s, NOW, Span::H24).await.unwrap();
        let want = [
            ("admin", "activeUsers", 2.0),
            ("admin", "apiCalls", 3.0),
            ("admin", "criticalActions", 2.0),
            ("admin", "systemModifications", 4.0),
            ("admin", "auditLogViews", 1.0),
            ("manager", "activeUsers", 1.0),
            ("manager", "teamActions", 4.0),
            ("manager", "approvals", 2.0),
            ("manager", "serverCreations", 1.0),
            ("manager", "userManagementActions", 2.0),
            ("developer", "deployments", 2.0),
            ("developer", "apiKeyUsage", 1.0),
            ("developer", "serverConfigurations", 1.0),
            ("developer", "developmentActions", 5.0),
            ("analyst", "reportsGenerated", 1.0),
            ("analyst", "dataExports", 2.0),
            ("analyst", "metricsViewed", 1.0),
            ("analyst", "analyticsQueries", 3.0),
            ("viewer", "activeUsers", 2.0),
            ("viewer", "pageViews", 5.0),
            ("viewer", "sessionDuration", 15.0),
            ("viewer", "resourcesAccessed", 3.0),
            ("viewer", "readOnlyActions", 5.0),
            ("guest", "activeUsers", 3.0),
            ("guest", "limitedActions", 3.0),
            ("guest", "conversionRate", 33.33),
            ("guest", "timeToUpgrade", 25.0),
            ("guest", "restrictedAttempts", 2.0),
        ];
        for (role, name, expected) in want {
            assert_eq!(value(&v, role, name).0, expected, "{role}.{name}");
        }
        assert_eq!(value(&v, "admin", "activeUsers").1, 1.0, "previous window");
        assert_eq!(value(&v, "admin", "systemModifications").1, 1.0);
        // The 1 h timeframe reads minute rollups and sees the same last half hour.
        let h1 = metrics(s, NOW, Span::H1).await.unwrap();
        assert_eq!(value(&h1, "analyst", "analyticsQueries").0, 3.0);
        assert_eq!(value(&h1, "admin", "activeUsers"), (2.0, 0.0));

        let acts = actions(s, &Categories::default(), NOW, Span::H24)
            .await
            .unwrap();
        let dev = acts
            .rows
            .iter()
            .find(|r| r.role == "developer" && r.category == "developer_actions")
            .unwrap();
        assert_eq!((dev.action_count, dev.unique_users, dev.failed), (5, 1, 1));
        let guest = acts
            .rows
            .iter()
            .find(|r| r.role == "guest" && r.category == "guest_actions")
            .unwrap();
        assert_eq!(
            (guest.action_count, guest.unique_users, guest.denied),
            (4, 2, 1)
        );
        let other = acts.rows.iter().find(|r| r.category == "other").unwrap();
        assert_eq!((other.role.as_str(), other.action_count), ("admin", 1));
        assert_eq!(acts.rows[0].role, "admin", "rows in role order");
        // The page reads each window once and says the same as the separate views.
        let set = AuditSettings::default();
        let p = page(s, &set, &Categories::default(), NOW, Span::H24)
            .await
            .unwrap();
        assert_eq!(p.metrics, v);
        assert_eq!(p.actions, acts);
        assert_eq!(
            p.performance,
            performance(s, &set, NOW, Span::H24).await.unwrap()
        );
        assert!(p.has_ingested);
        // The Overview's table agrees with the page.
        let sum = summary(s, &set, NOW).await.unwrap();
        for (row, card) in sum.rows.iter().zip(&p.metrics.roles) {
            assert_eq!(row.role, card.role);
            assert_eq!(row.actions, card.actions);
            assert_eq!(row.active_users as f64, card.metrics[0].value);
        }
        assert_eq!(sum.rows[0].performance, p.performance.roles[0]);
        assert_eq!(sum.rows[0].active_users, 2);
    }

    #[tokio::test]
    async fn unique_users_are_counted_once_across_buckets() {
        let (s, _dir) = store().await;
        // One analyst in three different days and hours, another once.
        let a = vec![
            ev(
                NOW - 3 * 86_400_000,
                "x",
                "analyst",
                "report.generate",
                "success",
            ),
            ev(
                NOW - 30 * HOUR_MS,
                "x",
                "analyst",
                "report.generate",
                "success",
            ),
            ev(
                NOW - 10 * MINUTE_MS,
                "x",
                "analyst",
                "data.export",
                "success",
            ),
            ev(
                NOW - 2 * HOUR_MS,
                "y",
                "analyst",
                "report.generate",
                "success",
            ),
        ];
        s.insert_audits(&a).await.unwrap();
        let v = metrics(&s, NOW, Span::D7).await.unwrap();
        assert_eq!(value(&v, "analyst", "activeUsers").0, 2.0);
        assert_eq!(value(&v, "analyst", "reportsGenerated").0, 3.0);
        let acts = actions(&s, &Categories::default(), NOW, Span::D7)
            .await
            .unwrap();
        assert_eq!(acts.rows.len(), 1);
        assert_eq!(
            (acts.rows[0].action_count, acts.rows[0].unique_users),
            (4, 2)
        );
        let day = metrics(&s, NOW, Span::H24).await.unwrap();
        assert_eq!(value(&day, "analyst", "activeUsers").0, 2.0);
        assert_eq!(value(&day, "analyst", "reportsGenerated"), (1.0, 1.0));
    }

    #[tokio::test]
    async fn a_scripted_migration_reports_status_distributions_and_timeline() {
        let (s, _dir) = store().await;
        scripted_migration(&s).await;
    }

    async fn scripted_migration(s: &Store) {
        let t0 = NOW - 3 * HOUR_MS;
        let t1 = NOW - 2 * HOUR_MS;
        let t1m = t1 - t1 % MINUTE_MS;
        let mut a = vec![
            ev(t0, "u1", "viewer", "resource.view", "success"),
            ev(t0, "u2", "guest", "limited.access", "success"),
            ev(t0, "u3", "analyst", "report.generate", "success"),
            ev(t0, "u4", "viewer", "resource.view", "success"),
            ev(t1, "root", "admin", "role.migration.start", "success"),
            change(t1m + MINUTE_MS, "u1", "viewer", "analyst", "success"),
            change(t1m + MINUTE_MS + 5, "u2", "guest", "viewer", "success"),
            change(t1m + 3 * MINUTE_MS, "u3", "analyst", "developer", "failure"),
        ];
        s.insert_audits(&a).await.unwrap();
        let m = migration(s, NOW, Span::H24).await.unwrap();
        assert_eq!(m.status.state, "in_progress");
        assert_eq!(m.status.started_at_ms, Some(t1));
        assert_eq!(
            (
                m.status.total_users,
                m.status.migrated_users,
                m.status.failed_migrations,
                m.status.pending_migrations
            ),
            (5, 2, 1, 1)
        );
        let count = |list: &[RoleCount], r: &str| list.iter().find(|x| x.role == r).unwrap().users;
        assert_eq!(
            ["viewer", "guest", "analyst", "admin"].map(|r| count(&m.before, r)),
            [2, 1, 1, 0]
        );
        assert_eq!(
            ["viewer", "guest", "analyst", "admin", "developer"].map(|r| count(&m.after, r)),
            [2, 0, 2, 1, 0]
        );
        assert_eq!(m.changes.len(), 2);
        assert!(m
            .changes
            .iter()
            .any(|c| c.from == "guest" && c.to == "viewer" && c.count == 1));
        assert_eq!(m.timeline.len(), 1);
        assert_eq!(m.timeline[0].ts_ms, t1m + MINUTE_MS);
        assert_eq!(m.timeline[0].cumulative_total, 2);
        // u3 retries and succeeds, u4 migrates: done.
        a = vec![
            change(t1m + 4 * MINUTE_MS, "u3", "analyst", "developer", "success"),
            change(t1m + 6 * MINUTE_MS, "u4", "viewer", "viewer", "success"),
        ];
        s.insert_audits(&a).await.unwrap();
        let m = migration(s, NOW, Span::H24).await.unwrap();
        assert_eq!(m.status.state, "complete");
        assert_eq!(
            (
                m.status.migrated_users,
                m.status.failed_migrations,
                m.status.pending_migrations
            ),
            (4, 0, 0)
        );
        let cum: Vec<i64> = m.timeline.iter().map(|p| p.cumulative_total).collect();
        assert_eq!(cum, [2, 3, 4]);
        // Before is still the distribution at the start.
        assert_eq!(count(&m.before, "analyst"), 1);
    }

    #[tokio::test]
    async fn rate_limit_usage_on_a_scripted_burst() {
        let (s, _dir) = store().await;
        let now = NOW + 30_000; // half-way through a minute
        let cur = now - now % MINUTE_MS;
        let mut r: Vec<RequestEvent> = (0..30).map(|i| req(cur + i, "guest", "gx", 5.0)).collect();
        r.extend((0..20).map(|i| req(cur - MINUTE_MS + i, "guest", "gx", 5.0)));
        r.extend((0..100).map(|i| req(cur + i, "analyst", "ana", 5.0)));
        r.extend((0..10).map(|i| req(cur + i, "analyst", "ana2", 5.0)));
        // Two minutes ago: outside the last 60 s entirely.
        r.extend((0..500).map(|i| req(cur - 2 * MINUTE_MS + i, "viewer", "old", 5.0)));
        s.insert_requests(&r).await.unwrap();
        let v = rate_limits(&s, &AuditSettings::default(), now, Span::H1)
            .await
            .unwrap();
        let role = |n: &str| v.roles.iter().find(|r| r.role == n).unwrap();
        let g = role("guest");
        assert_eq!(
            (g.limit_rpm, g.users, g.busiest_rpm, g.busiest_pct),
            (20, 1, 40.0, 200.0)
        );
        assert_eq!(g.busiest_user.as_deref(), Some("gx"));
        let a = role("analyst");
        assert_eq!(
            (a.users, a.busiest_rpm, a.busiest_pct, a.total_rpm),
            (2, 100.0, 40.0, 110.0)
        );
        assert_eq!(a.avg_pct, 22.0);
        assert_eq!(role("viewer").users, 0);
        assert_eq!(v.users_over.len(), 1);
        assert_eq!(
            (v.users_over[0].user_id.as_str(), v.users_over[0].used_pct),
            ("gx", 200.0)
        );
    }

    #[tokio::test]
    async fn role_performance_against_targets() {
        let (s, _dir) = store().await;
        let t = NOW - 5 * MINUTE_MS;
        let mut r: Vec<RequestEvent> = (0..10).map(|i| req(t + i, "admin", "a", 50.0)).collect();
        r.extend((0..10).map(|i| req(t + i, "admin", "a", 200.0)));
        r.extend((0..5).map(|i| req(t + i, "guest", "g", 100.0)));
        s.insert_requests(&r).await.unwrap();
        let v = performance(&s, &AuditSettings::default(), NOW, Span::H1)
            .await
            .unwrap();
        let admin = &v.roles[0];
        assert_eq!(
            (admin.requests, admin.avg_ms, admin.max_ms),
            (20, Some(125.0), Some(200.0))
        );
        assert!(admin.breach && admin.target_ms == 100.0);
        assert_eq!(admin.over_target_pct, 50.0);
        let guest = &v.roles[5];
        assert!(!guest.breach);
        assert_eq!((guest.over_target_pct, guest.target_ms), (0.0, 500.0));
        assert_eq!(v.roles[1].requests, 0);
        assert_eq!(v.roles[1].p95_ms, None);
        assert!(!v.roles[1].breach);
    }
}
