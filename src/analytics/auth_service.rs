//! Builds the authentication summary from the auth rollup (never raw events): totals with the
//! previous window, per-type latency, MFA, role sync, providers, active sessions, thresholds.

use super::auth::*;
use super::service::Frame;
use super::{round2, Agg};
use crate::audit::auth::{MFA_CHALLENGE, OAUTH_FLOW, ROLE_SYNC, SESSION_VALIDATION, TOKEN_REFRESH};
use crate::config::AuthMonitorSettings;
use crate::span::Span;
use crate::store::{AuthCount, AuthPoint, Store, StoreError};
use std::collections::BTreeMap;

impl From<&AuthMonitorSettings> for AuthThresholds {
    fn from(s: &AuthMonitorSettings) -> Self {
        AuthThresholds {
            max_failure_rate: s.max_failure_rate,
            max_oauth_flow_ms: s.max_oauth_flow_ms,
            max_token_refresh_ms: s.max_token_refresh_ms,
            min_session_health: s.min_session_health,
        }
    }
}

fn is_event_type(action: &str) -> bool {
    EVENT_TYPES.iter().any(|(a, _)| *a == action)
}

fn failed(outcome: &str) -> bool {
    outcome != "success"
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

fn totals(rows: &[AuthCount]) -> AuthTotals {
    let (mut total, mut bad) = (0, 0);
    for r in rows.iter().filter(|r| is_event_type(&r.action)) {
        total += r.events;
        if failed(&r.outcome) {
            bad += r.events;
        }
    }
    AuthTotals {
        total,
        successful: total - bad,
        failed: bad,
        success_rate: ratio(total - bad, total),
    }
}

/// Rollup rows of one action, counted and with their latency merged.
fn of_action(rows: &[AuthCount], action: &str) -> (i64, i64, Agg) {
    let mut agg = Agg::default();
    let (mut n, mut bad) = (0, 0);
    for r in rows.iter().filter(|r| r.action == action) {
        n += r.events;
        if failed(&r.outcome) {
            bad += r.events;
        }
        agg.merge(&r.agg);
    }
    (n, bad, agg)
}

/// What one window's figures are made of, besides the rollup rows.
pub(crate) struct Inputs<'a> {
    pub current: &'a [AuthCount],
    pub previous: &'a [AuthCount],
    /// The chart's buckets the points were read at (`chart_frame`).
    pub chart: &'a Frame,
    pub points: &'a [AuthPoint],
    pub sessions: &'a [(String, i64)],
    pub role_sync_failures_15m: i64,
    pub thresholds: AuthThresholds,
}

/// The summary of a window (a pure function of its inputs; `summary` reads them).
pub(crate) fn summarize(
    tf: Span,
    w: &Frame,
    provider: Option<&str>,
    i: Inputs<'_>,
    now: i64,
) -> AuthSummary {
    let t = &i.thresholds;
    let threshold_of = |action: &str| match action {
        OAUTH_FLOW => Some(t.max_oauth_flow_ms),
        TOKEN_REFRESH => Some(t.max_token_refresh_ms),
        _ => None,
    };
    let event_types: Vec<EventTypeStat> = EVENT_TYPES
        .iter()
        .map(|(action, label)| {
            let (count, bad, agg) = of_action(i.current, action);
            EventTypeStat {
                action: action.to_string(),
                label: label.to_string(),
                count,
                failed: bad,
                previous_count: of_action(i.previous, action).0,
                avg_ms: agg.avg_ms(),
                p95_ms: agg.quantile(0.95),
                threshold_ms: threshold_of(action),
            }
        })
        .collect();

    let mut methods: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in i.current.iter().filter(|r| r.action == MFA_CHALLENGE) {
        let m = methods.entry(&r.method).or_default();
        m.0 += r.events;
        if failed(&r.outcome) {
            m.1 += r.events;
        }
    }
    let (challenges, mfa_failed, _) = of_action(i.current, MFA_CHALLENGE);
    let logins = of_action(i.current, crate::audit::auth::LOGIN).0;
    let mfa = MfaStat {
        challenges,
        failed: mfa_failed,
        challenge_rate: ratio(challenges, logins),
        by_method: methods
            .into_iter()
            .map(|(m, (n, bad))| MethodStat {
                method: m.to_string(),
                challenges: n,
                failed: bad,
            })
            .collect(),
    };
    let (syncs, sync_failures, _) = of_action(i.current, ROLE_SYNC);

    let mut by_provider: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in i.current.iter().filter(|r| is_event_type(&r.action)) {
        let p = by_provider.entry(&r.provider).or_default();
        p.0 += r.events;
        if failed(&r.outcome) {
            p.1 += r.events;
        }
    }
    for (p, _) in i.sessions {
        if provider.is_none_or(|only| only == p) {
            by_provider.entry(p).or_default();
        }
    }
    let sessions_of = |p: &str| {
        i.sessions
            .iter()
            .find(|(name, _)| name == p)
            .map_or(0, |(_, n)| *n)
    };
    let mut providers: Vec<ProviderStat> = by_provider
        .into_iter()
        .map(|(p, (n, bad))| ProviderStat {
            provider: p.to_string(),
            total: n,
            failed: bad,
            failure_rate: ratio(bad, n),
            active_sessions: sessions_of(p),
        })
        .collect();
    providers.sort_by(|a, b| b.failed.cmp(&a.failed).then(b.total.cmp(&a.total)));
    let active_sessions = i
        .sessions
        .iter()
        .filter(|(p, _)| provider.is_none_or(|only| only == p))
        .map(|(_, n)| n)
        .sum();

    let (validations, invalid, _) = of_action(i.current, SESSION_VALIDATION);
    let session_health = ratio(validations - invalid, validations);
    let totals = totals(i.current);

    let mut breaches = Vec::new();
    if let Some(rate) = totals.success_rate.map(|s| 1.0 - s) {
        if rate > t.max_failure_rate {
            breaches.push(Breach {
                name: "failure_rate".into(),
                value: round2(rate * 100.0) / 100.0,
                threshold: t.max_failure_rate,
                message: format!(
                    "{:.1} % of auth events failed (at most {:.1} % allowed)",
                    rate * 100.0,
                    t.max_failure_rate * 100.0
                ),
            });
        }
    }
    for s in &event_types {
        if let (Some(p95), Some(max)) = (s.p95_ms, s.threshold_ms) {
            if p95 > max {
                breaches.push(Breach {
                    name: format!("{}_p95", s.action.trim_start_matches("auth.")),
                    value: p95,
                    threshold: max,
                    message: format!("{} p95 is {p95:.0} ms (at most {max:.0} ms)", s.label),
                });
            }
        }
    }
    if let Some(h) = session_health {
        if h < t.min_session_health {
            breaches.push(Breach {
                name: "session_health".into(),
                value: h,
                threshold: t.min_session_health,
                message: format!(
                    "{:.1} % of session validations succeeded (at least {:.1} % expected)",
                    h * 100.0,
                    t.min_session_health * 100.0
                ),
            });
        }
    }

    AuthSummary {
        timeframe: tf.as_str().to_string(),
        provider: provider.map(str::to_string),
        from_ms: w.from,
        to_ms: w.to,
        totals,
        previous: self::totals(i.previous),
        event_types,
        mfa,
        role_sync: RoleSyncStat {
            syncs,
            failures: sync_failures,
            failures_last_15m: i.role_sync_failures_15m,
        },
        providers,
        active_sessions,
        session_health,
        thresholds: i.thresholds,
        breaches,
        bucket_ms: i.chart.res.bucket_ms(),
        series: series(i.chart, i.points),
        generated_at_ms: now,
    }
}

/// The chart's buckets: minutes for an hour, hours for a day, days beyond (7 or 30 points: a
/// chart of 720 hours is unreadable, and reading that many histogram rows cost 200 ms at 1M
/// events).
fn chart_frame(now: i64, tf: Span) -> Frame {
    use crate::store::Resolution;
    let res = match tf {
        Span::H1 | Span::H6 => Resolution::Minute,
        Span::H24 => Resolution::Hour,
        Span::D7 | Span::D30 => Resolution::Day,
    };
    let (from, to) = super::service::range(now, tf.hours(), res);
    Frame::between(res, from, to)
}

/// One point per bucket of the window, empty buckets included (a gap reads as zero traffic).
fn series(w: &Frame, points: &[AuthPoint]) -> Vec<AuthPointView> {
    let b = w.res.bucket_ms();
    let mut by_bucket: BTreeMap<i64, (i64, i64, [Agg; 3])> = BTreeMap::new();
    let mut t = w.from;
    while t < w.to {
        by_bucket.insert(t, Default::default());
        t += b;
    }
    for p in points.iter().filter(|p| is_event_type(&p.action)) {
        let Some(e) = by_bucket.get_mut(&p.bucket_ms) else {
            continue;
        };
        e.0 += p.events;
        if failed(&p.outcome) {
            e.1 += p.events;
        }
        let slot = match p.action.as_str() {
            OAUTH_FLOW => 0,
            TOKEN_REFRESH => 1,
            SESSION_VALIDATION => 2,
            _ => continue,
        };
        e.2[slot].merge(&p.agg);
    }
    by_bucket
        .into_iter()
        .map(|(ts, (total, bad, aggs))| AuthPointView {
            ts_ms: ts,
            total,
            failed: bad,
            oauth_p95_ms: aggs[0].quantile(0.95),
            token_refresh_p95_ms: aggs[1].quantile(0.95),
            session_validation_p95_ms: aggs[2].quantile(0.95),
        })
        .collect()
}

pub async fn summary(
    store: &Store,
    now: i64,
    tf: Span,
    provider: Option<&str>,
    settings: &AuthMonitorSettings,
) -> Result<AuthSummary, StoreError> {
    let w = Frame::last(now, tf);
    let before = w.previous();
    let c = chart_frame(now, tf);
    // Independent reads, on separate pooled connections at once (SQLite's WAL readers and
    // PostgreSQL alike): the answer takes as long as the slowest, not the sum.
    let (current, previous, points, sessions, (_, role_sync_failures_15m)) = futures::try_join!(
        store.auth_counts(&w.spans, provider),
        store.auth_counts(&before.spans, provider),
        store.auth_series(c.res, c.from, c.to, provider),
        store.auth_active_sessions(now - ACTIVE_SESSION_MS, now),
        store.recent_auth(ROLE_SYNC, now, 15),
    )?;
    Ok(summarize(
        tf,
        &w,
        provider,
        Inputs {
            current: &current,
            previous: &previous,
            chart: &c,
            points: &points,
            sessions: &sessions,
            role_sync_failures_15m,
            thresholds: settings.into(),
        },
        now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{validate_audit_batch, AuditLimits, Categories};
    use crate::fields::Limits;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    /// Known events through the real validator (so they carry their labels): 4 OAuth flows
    /// (1 failed, 800/1000/1200/3000 ms), 3 session validations (1 denied), 2 MFA challenges
    /// (1 failed), 2 role syncs (1 failed, 5 minutes ago); 3 logins in the hour before.
    async fn hand_made(store: &Store) {
        let at = |mins: i64| crate::model::rfc3339_ms(NOW - mins * MINUTE);
        let e = |action: &str,
                 outcome: &str,
                 ms: f64,
                 provider: &str,
                 extra: serde_json::Value,
                 mins: i64| {
            let mut v = json!({"ts": at(mins), "actor_id": "u1", "actor_role": "developer",
                "action": action, "outcome": outcome, "duration_ms": ms, "provider": provider});
            for (k, x) in extra.as_object().into_iter().flatten() {
                v[k] = x.clone();
            }
            v
        };
        let none = json!({});
        let mut items = vec![
            e(
                "auth.oauth_flow",
                "success",
                800.0,
                "github",
                json!({"details": {"flow_type": "pkce"}}),
                10,
            ),
            e(
                "auth.oauth_flow",
                "success",
                1000.0,
                "azure_ad",
                none.clone(),
                10,
            ),
            e(
                "auth.oauth_flow",
                "success",
                1200.0,
                "azure_ad",
                none.clone(),
                10,
            ),
            e(
                "auth.oauth_flow",
                "failure",
                3000.0,
                "github",
                none.clone(),
                10,
            ),
            e(
                "auth.session_validation",
                "success",
                5.0,
                "azure_ad",
                json!({"session_id": "a"}),
                3,
            ),
            e(
                "auth.session_validation",
                "success",
                5.0,
                "github",
                json!({"session_id": "b"}),
                40,
            ),
            e(
                "auth.session_validation",
                "denied",
                5.0,
                "github",
                json!({"session_id": "c"}),
                3,
            ),
            e(
                "auth.mfa_challenge",
                "success",
                3000.0,
                "azure_ad",
                json!({"details": {"method": "totp"}}),
                10,
            ),
            e(
                "auth.mfa_challenge",
                "failure",
                9000.0,
                "azure_ad",
                json!({"details": {"method": "sms"}}),
                10,
            ),
            e(
                "role.change.oauth_sync",
                "failure",
                100.0,
                "azure_ad",
                none.clone(),
                5,
            ),
            e(
                "role.change.oauth_sync",
                "success",
                100.0,
                "azure_ad",
                none.clone(),
                30,
            ),
        ];
        for _ in 0..3 {
            items.push(e(
                "auth.login",
                "success",
                300.0,
                "github",
                none.clone(),
                90,
            ));
        }
        let c = Categories::default();
        let limits = AuditLimits {
            time: Limits {
                now_ms: NOW,
                max_future_ms: 0,
                oldest_ms: NOW - 86_400_000,
            },
            max_details_bytes: 4096,
            categories: &c,
        };
        let events = validate_audit_batch(&items, limits).unwrap();
        store.insert_audits(&events).await.unwrap();

        let s = summary(store, NOW, Span::H1, None, &AuthMonitorSettings::default())
            .await
            .unwrap();
        assert_eq!((s.totals.total, s.totals.failed), (9, 3));
        assert_eq!(s.totals.success_rate, Some(0.6667));
        assert_eq!((s.previous.total, s.previous.failed), (3, 0));
        let oauth = &s.event_types[0];
        assert_eq!((oauth.count, oauth.failed), (4, 1));
        assert_eq!((oauth.avg_ms, oauth.p95_ms), (Some(1500.0), Some(3000.0)));
        assert_eq!(s.event_types[3].previous_count, 3, "logins the hour before");
        assert_eq!(s.mfa.challenge_rate, None, "no login in this hour");
        assert_eq!(s.mfa.by_method.len(), 2);
        assert_eq!(
            (
                s.role_sync.syncs,
                s.role_sync.failures,
                s.role_sync.failures_last_15m
            ),
            (2, 1, 1)
        );
        // Sessions: a (3 min ago) is active, b (40 min) is not, c was denied.
        assert_eq!(s.active_sessions, 1);
        assert_eq!(s.session_health, Some(0.6667));
        let names: Vec<&str> = s.breaches.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["failure_rate", "oauth_flow_p95", "session_health"]);
        let github = s.providers.iter().find(|p| p.provider == "github").unwrap();
        assert_eq!((github.total, github.failed), (4, 2));
        assert_eq!(s.series.len(), 60);
        assert_eq!(s.series.iter().map(|p| p.total).sum::<i64>(), 9);

        let g = summary(
            store,
            NOW,
            Span::H1,
            Some("github"),
            &AuthMonitorSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!((g.totals.total, g.totals.failed), (4, 2));
        assert_eq!(g.active_sessions, 0);
        // The role-sync check's reading.
        assert_eq!(store.recent_auth(ROLE_SYNC, NOW, 15).await.unwrap(), (1, 1));
        assert_eq!(store.recent_auth(ROLE_SYNC, NOW, 60).await.unwrap(), (2, 1));
    }

    const MINUTE: i64 = 60_000;

    #[tokio::test]
    async fn sqlite_gives_the_known_answers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
            .await
            .unwrap();
        hand_made(&store).await;
    }

    #[tokio::test]
    async fn postgres_gives_the_same_answers() {
        let Some(pg) = crate::store::testing::PgSchema::create("auth").await else {
            return;
        };
        hand_made(&pg.store).await;
        pg.drop().await;
    }
}
