//! Authentication events' rollups: counts and latency per (bucket, action, provider, method,
//! outcome) at minute, hour and day, and the sessions seen validated (for "active sessions").
//! Written in the audit batch's transaction; the authentication views read only these.

use super::traffic::{agg_from_row, agg_select, bind_agg, AGG_PARAMS, DAY_MS, HOUR_MS, MINUTE_MS};
use super::{insert_rows, query_with, span_filter, Resolution, Store, StoreError};
use crate::audit::auth::SESSION_VALIDATION;
use crate::events::AuditEvent;
use crate::latency::{bucket_of, Agg, BUCKETS};
use sqlx::Row;
use std::collections::HashMap;

const KEY_COLS: &str = "span_ms, bucket_ms, action, provider, method, outcome";
const KEYS: usize = 6;

/// One rollup row summed over a window: how many events, and the latency of those that said
/// how long they took.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthCount {
    pub action: String,
    pub provider: String,
    pub method: String,
    pub outcome: String,
    pub events: i64,
    pub agg: Agg,
}

/// One bucket of one action and outcome, for the charts.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthPoint {
    pub bucket_ms: i64,
    pub action: String,
    pub outcome: String,
    pub events: i64,
    pub agg: Agg,
}

/// The condition narrowing a read to one provider label (bound after the other parameters).
fn provider_filter(provider: Option<&str>) -> &'static str {
    if provider.is_some() {
        " AND provider = ?"
    } else {
        ""
    }
}

type Key<'a> = (i64, i64, &'a str, &'a str, &'a str, &'a str);

fn empty_agg() -> Agg {
    Agg {
        // No timed event yet: a min no real one can undercut, so MIN over rows stays right.
        min_ms: f64::MAX,
        hist: vec![0; BUCKETS],
        ..Agg::default()
    }
}

impl Store {
    pub(super) async fn write_auth(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut rows: HashMap<Key<'_>, (i64, Agg)> = HashMap::new();
        let mut sessions: HashMap<&str, (&str, i64)> = HashMap::new();
        for e in events {
            let Some(key) = &e.auth else { continue };
            for span in [MINUTE_MS, HOUR_MS, DAY_MS] {
                let b = e.ts_ms - e.ts_ms.rem_euclid(span);
                let (n, a) = rows
                    .entry((span, b, &e.action, &key.provider, &key.method, &e.outcome))
                    .or_insert_with(|| (0, empty_agg()));
                *n += 1;
                if let Some(ms) = e.duration_ms {
                    a.count += 1;
                    a.errors += i64::from(e.outcome != "success");
                    a.sum_ms += ms;
                    a.min_ms = a.min_ms.min(ms);
                    a.max_ms = a.max_ms.max(ms);
                    a.hist[bucket_of(ms)] += 1;
                }
            }
            if e.action == SESSION_VALIDATION && e.outcome == "success" {
                if let Some(sid) = &e.session_id {
                    let s = sessions.entry(sid).or_insert((&key.provider, e.ts_ms));
                    if e.ts_ms >= s.1 {
                        *s = (&key.provider, e.ts_ms);
                    }
                }
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        // Key order, so concurrent writers lock rows in the same order.
        let mut rows: Vec<_> = rows.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        insert_rows(
            tx,
            &rows,
            KEYS + 1 + AGG_PARAMS,
            |n| self.upsert_agg_sql("auth_rollup", KEY_COLS, KEYS, Some("events"), n),
            |q, ((span, b, action, provider, method, outcome), (n, agg))| {
                let q = q
                    .bind(*span)
                    .bind(*b)
                    .bind(action.to_string())
                    .bind(provider.to_string())
                    .bind(method.to_string())
                    .bind(outcome.to_string())
                    .bind(*n);
                bind_agg(q, agg)
            },
        )
        .await?;
        let mut sessions: Vec<_> = sessions.into_iter().collect();
        sessions.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let (_, greatest) = self.least_greatest();
        insert_rows(
            tx,
            &sessions,
            3,
            |n| {
                self.sql(&format!(
                    "INSERT INTO auth_sessions (session_id, provider, last_ms) VALUES {} \
                     ON CONFLICT (session_id) DO UPDATE SET \
                     provider = CASE WHEN excluded.last_ms >= auth_sessions.last_ms \
                     THEN excluded.provider ELSE auth_sessions.provider END, \
                     last_ms = {greatest}(auth_sessions.last_ms, excluded.last_ms)",
                    super::values(3, n)
                ))
            },
            |q, (sid, (provider, last))| {
                q.bind(sid.to_string())
                    .bind(provider.to_string())
                    .bind(*last)
            },
        )
        .await
    }

    /// The rollup summed over the spans, per (action, provider, method, outcome); `provider`
    /// narrows it to one provider label.
    pub async fn auth_counts(
        &self,
        spans: &[(Resolution, i64, i64)],
        provider: Option<&str>,
    ) -> Result<Vec<AuthCount>, StoreError> {
        let (filter, binds) = span_filter(spans);
        let by_provider = provider_filter(provider);
        let sql = self.sql(&format!(
            "SELECT action, provider, method, outcome, CAST(SUM(events) AS BIGINT), {} \
             FROM auth_rollup WHERE {filter}{by_provider} \
             GROUP BY action, provider, method, outcome",
            agg_select()
        ));
        let mut q = query_with(&sql, binds);
        if let Some(p) = provider {
            q = q.bind(p.to_string());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(AuthCount {
                    action: r.try_get(0)?,
                    provider: r.try_get(1)?,
                    method: r.try_get(2)?,
                    outcome: r.try_get(3)?,
                    events: r.try_get::<Option<i64>, _>(4)?.unwrap_or(0),
                    agg: agg_from_row(r, 5)?,
                })
            })
            .collect()
    }

    /// Per bucket of `res` in `[from, to)`: each action and outcome's events and latency.
    pub async fn auth_series(
        &self,
        res: Resolution,
        from: i64,
        to: i64,
        provider: Option<&str>,
    ) -> Result<Vec<AuthPoint>, StoreError> {
        let by_provider = provider_filter(provider);
        let sql = self.sql(&format!(
            "SELECT bucket_ms, action, outcome, CAST(SUM(events) AS BIGINT), {} FROM auth_rollup \
             WHERE span_ms = ? AND bucket_ms >= ? AND bucket_ms < ?{by_provider} \
             GROUP BY bucket_ms, action, outcome ORDER BY bucket_ms",
            agg_select()
        ));
        let mut q = query_with(&sql, vec![res.bucket_ms(), from, to]);
        if let Some(p) = provider {
            q = q.bind(p.to_string());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(AuthPoint {
                    bucket_ms: r.try_get(0)?,
                    action: r.try_get(1)?,
                    outcome: r.try_get(2)?,
                    events: r.try_get::<Option<i64>, _>(3)?.unwrap_or(0),
                    agg: agg_from_row(r, 4)?,
                })
            })
            .collect()
    }

    /// One action's events and failures (any outcome but success) in the last `minutes` up to
    /// `now`, current minute included (minute rollups).
    pub async fn recent_auth(
        &self,
        action: &str,
        now: i64,
        minutes: i64,
    ) -> Result<(i64, i64), StoreError> {
        let to = now - now.rem_euclid(MINUTE_MS) + MINUTE_MS;
        let sql = self.sql(
            "SELECT CAST(SUM(events) AS BIGINT), \
             CAST(SUM(CASE WHEN outcome = 'success' THEN 0 ELSE events END) AS BIGINT) \
             FROM auth_rollup WHERE span_ms = ? AND bucket_ms >= ? AND bucket_ms < ? AND action = ?",
        );
        let row = query_with(&sql, vec![MINUTE_MS, to - minutes * MINUTE_MS, to])
            .bind(action.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok((
            row.try_get::<Option<i64>, _>(0)?.unwrap_or(0),
            row.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
        ))
    }

    /// Sessions last validated in `[from, to]`, per provider label.
    pub async fn auth_active_sessions(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = self.sql(
            "SELECT provider, CAST(COUNT(*) AS BIGINT) FROM auth_sessions \
             WHERE last_ms >= ? AND last_ms <= ? GROUP BY provider ORDER BY provider",
        );
        query_with(&sql, vec![from, to])
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}
