//! Audit events and what the role views read: action counts and acting users per minute, hour
//! and day, users' current roles, session spans and role changes.
//!
//! A batch lands in the same transaction as the request events it came with, so an
//! acknowledged batch is whole in every table or in none.

use super::traffic::{DAY_MS, HOUR_MS, MINUTE_MS};
use super::{query_with, span_filter, Resolution, Store, StoreError};
use crate::events::{AuditEvent, EventSource, MIGRATION_START};
use roaring::RoaringBitmap;
use sqlx::Row;
use std::collections::HashMap;

/// Action counts of one (role, category, action, outcome) over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionCount {
    pub role: String,
    pub category: String,
    pub action: String,
    pub outcome: String,
    pub count: i64,
}

/// Who acted in a window: one set of actor numbers per (role, category).
#[derive(Debug, Clone, Default)]
pub struct ActorSets(HashMap<(String, String), RoaringBitmap>);

impl ActorSets {
    /// Distinct actors per role (`category` empty) and per role × category.
    pub fn counts(&self) -> HashMap<(String, String), i64> {
        let mut out = HashMap::with_capacity(self.0.len() + 6);
        for ((role, cat), set) in &self.0 {
            out.insert((role.clone(), cat.clone()), set.len() as i64);
            out.entry((role.clone(), String::new()))
                .or_insert_with(|| self.role_union(role).len() as i64);
        }
        out
    }

    /// Everyone who acted in `role`, whatever the category.
    pub fn role_union(&self, role: &str) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        for ((r, _), set) in &self.0 {
            if r == role {
                all |= set;
            }
        }
        all
    }
}

/// Where the migration view starts and what it found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MigrationFacts {
    pub total_users: i64,
    pub migrated: i64,
    pub failed: i64,
    pub pending: i64,
    pub before: Vec<(String, i64)>,
    pub after: Vec<(String, i64)>,
}

/// The audit_events columns, in the order rows are written and exported.
pub(super) const AUDIT_COLS: &str = "ts_ms, actor_id, actor_role, action, category, resource, \
                                     outcome, session_id, details, source, duration_ms, provider";

pub(super) fn decode_set(bytes: &[u8]) -> Result<RoaringBitmap, StoreError> {
    if bytes.is_empty() {
        return Ok(RoaringBitmap::new());
    }
    RoaringBitmap::deserialize_from(bytes)
        .map_err(|e| StoreError::Query(sqlx::Error::Decode(Box::new(e))))
}

impl Store {
    /// Action counts over the spans, by (role, category, action, outcome).
    pub async fn audit_actions(
        &self,
        spans: &[(Resolution, i64, i64)],
    ) -> Result<Vec<ActionCount>, StoreError> {
        let (filter, binds) = span_filter(spans);
        let sql = self.sql(&format!(
            "SELECT role, category, action, outcome, CAST(SUM(count) AS BIGINT) \
             FROM audit_action_rollup WHERE {filter} GROUP BY role, category, action, outcome"
        ));
        let q = query_with(&sql, binds);
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(ActionCount {
                    role: r.try_get(0)?,
                    category: r.try_get(1)?,
                    action: r.try_get(2)?,
                    outcome: r.try_get(3)?,
                    count: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// The union of the actor sets over the spans, per (role, category).
    pub async fn actor_sets(
        &self,
        spans: &[(Resolution, i64, i64)],
    ) -> Result<ActorSets, StoreError> {
        let (filter, binds) = span_filter(spans);
        let sql = self.sql(&format!(
            "SELECT role, category, actors FROM audit_actor_sets WHERE {filter}"
        ));
        let q = query_with(&sql, binds);
        let mut out: HashMap<(String, String), RoaringBitmap> = HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            let set = decode_set(&r.try_get::<Vec<u8>, _>(2)?)?;
            *out.entry((r.try_get(0)?, r.try_get(1)?)).or_default() |= set;
        }
        Ok(ActorSets(out))
    }

    /// Distinct actors over the spans: per role (`category` empty) and per role × category.
    pub async fn audit_actors(
        &self,
        spans: &[(Resolution, i64, i64)],
    ) -> Result<HashMap<(String, String), i64>, StoreError> {
        Ok(self.actor_sets(spans).await?.counts())
    }

    /// Guests in a window: distinct actors who acted as guest (in `sets`) or changed away from
    /// guest in `[from, to)`; and of those, how many upgraded and their mean time from first
    /// seen to the upgrade (ms).
    pub async fn guest_conversions(
        &self,
        sets: &ActorSets,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<(i64, i64, Option<f64>), StoreError> {
        let mut guests = sets.role_union("guest");
        let sql = self.sql(
            "SELECT DISTINCT a.num FROM role_changes rc JOIN audit_actor_ids a \
             ON a.actor_id = rc.actor_id WHERE rc.from_role = 'guest' AND rc.to_role <> 'guest' \
             AND rc.outcome = 'success' AND rc.ts_ms >= ? AND rc.ts_ms < ?",
        );
        for r in sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?
        {
            if let Ok(n) = u32::try_from(r.try_get::<i64, _>(0)?) {
                guests.insert(n);
            }
        }
        let sql = self.sql(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(AVG(t - f) AS {}) FROM (\
               SELECT rc.actor_id, MIN(rc.ts_ms) AS t, MIN(u.first_seen_ms) AS f \
               FROM role_changes rc JOIN audit_users u ON u.actor_id = rc.actor_id \
               WHERE rc.from_role = 'guest' AND rc.to_role <> 'guest' AND rc.outcome = 'success' \
               AND rc.ts_ms >= ? AND rc.ts_ms < ? GROUP BY rc.actor_id) c",
            self.real()
        ));
        let r = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok((guests.len() as i64, r.try_get(0)?, r.try_get(1)?))
    }

    /// Sessions of `role` that began in the spans: how many, and their mean span in ms.
    pub async fn session_spans(
        &self,
        role: &str,
        spans: &[(Resolution, i64, i64)],
    ) -> Result<(i64, Option<f64>), StoreError> {
        let (filter, binds) = span_filter(spans);
        let sql = self.sql(&format!(
            "SELECT CAST(SUM(sessions) AS BIGINT), CAST(SUM(total_ms) AS BIGINT) \
             FROM audit_session_rollup WHERE {filter} AND role = ?"
        ));
        let q = query_with(&sql, binds);
        let r = q.bind(role.to_string()).fetch_one(&self.pool).await?;
        let n: Option<i64> = r.try_get(0)?;
        let total: Option<i64> = r.try_get(1)?;
        Ok(match (n, total) {
            (Some(n), Some(t)) if n > 0 => (n, Some(t as f64 / n as f64)),
            _ => (0, None),
        })
    }

    /// Requests per (minute, role, user) for minutes in `[from, to)`.
    pub async fn user_minutes(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, String, String, i64)>, StoreError> {
        let sql = self.sql(
            "SELECT bucket_ms, role, user_id, count FROM request_user_minute \
             WHERE bucket_ms >= ? AND bucket_ms < ?",
        );
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect()
    }

    /// The newest migration start at or before `to_ms`.
    pub async fn migration_start(&self, to_ms: i64) -> Result<Option<i64>, StoreError> {
        let sql = self.sql(
            "SELECT CAST(MAX(ts_ms) AS BIGINT) FROM role_changes WHERE action = ? AND ts_ms < ?",
        );
        let r = sqlx::query(&sql)
            .bind(MIGRATION_START)
            .bind(to_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get(0)?)
    }

    /// Users against a migration that started at `start_ms`.
    pub async fn migration_facts(&self, start_ms: i64) -> Result<MigrationFacts, StoreError> {
        let one = |sql: String| async move {
            let r = sqlx::query(&sql)
                .bind(start_ms)
                .bind(MIGRATION_START)
                .fetch_one(&self.pool)
                .await?;
            Ok::<i64, StoreError>(r.try_get(0)?)
        };
        let total_users: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let migrated = one(self.sql(
            "SELECT CAST(COUNT(DISTINCT actor_id) AS BIGINT) FROM role_changes \
             WHERE ts_ms >= ? AND action <> ? AND outcome = 'success'",
        ))
        .await?;
        // Failed: the newest attempt since the start did not succeed.
        let failed = one(self.sql(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT actor_id, \
               MAX(CASE WHEN outcome = 'success' THEN ts_ms END) AS ok, \
               MAX(CASE WHEN outcome <> 'success' THEN ts_ms END) AS bad \
             FROM role_changes WHERE ts_ms >= ? AND action <> ? GROUP BY actor_id) a \
             WHERE bad IS NOT NULL AND (ok IS NULL OR bad > ok)",
        ))
        .await?;
        // Pending: known before the start, no attempt since.
        let sql = self.sql(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_users u WHERE u.first_seen_ms < ? \
             AND NOT EXISTS (SELECT 1 FROM role_changes rc WHERE rc.actor_id = u.actor_id \
             AND rc.ts_ms >= ? AND rc.action <> ?)",
        );
        let pending: i64 = sqlx::query(&sql)
            .bind(start_ms)
            .bind(start_ms)
            .bind(MIGRATION_START)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        // Before: the role at the start — the `from` of the first change after it, or the
        // current role when nothing changed since.
        let sql = self.sql(
            "SELECT r, CAST(COUNT(*) AS BIGINT) FROM (SELECT COALESCE((SELECT rc.from_role \
               FROM role_changes rc WHERE rc.actor_id = u.actor_id AND rc.ts_ms >= ? \
               AND rc.action <> ? AND rc.outcome = 'success' ORDER BY rc.ts_ms, rc.id LIMIT 1), \
               u.role) AS r FROM audit_users u WHERE u.first_seen_ms < ?) b GROUP BY r",
        );
        let before = sqlx::query(&sql)
            .bind(start_ms)
            .bind(MIGRATION_START)
            .bind(start_ms)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let after =
            sqlx::query("SELECT role, CAST(COUNT(*) AS BIGINT) FROM audit_users GROUP BY role")
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(MigrationFacts {
            total_users,
            migrated,
            failed,
            pending,
            before,
            after,
        })
    }

    /// Successful changes in `[from, to)`: from → to counts, and completions per minute.
    #[allow(clippy::type_complexity)]
    pub async fn role_change_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<(Vec<(String, String, i64)>, Vec<(i64, i64)>), StoreError> {
        let sql = self.sql(
            "SELECT from_role, to_role, CAST(COUNT(*) AS BIGINT) FROM role_changes \
             WHERE ts_ms >= ? AND ts_ms < ? AND action <> ? AND outcome = 'success' \
             GROUP BY from_role, to_role",
        );
        let pairs = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .bind(MIGRATION_START)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let sql = self.sql(
            "SELECT (ts_ms / ?) * ?, CAST(COUNT(*) AS BIGINT) FROM role_changes \
             WHERE ts_ms >= ? AND ts_ms < ? AND action <> ? AND outcome = 'success' \
             GROUP BY 1 ORDER BY 1",
        );
        let timeline = sqlx::query(&sql)
            .bind(MINUTE_MS)
            .bind(MINUTE_MS)
            .bind(from_ms)
            .bind(to_ms)
            .bind(MIGRATION_START)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((pairs, timeline))
    }

    /// Whether any posted (not self-recorded) audit event is stored.
    pub async fn has_ingested_audit(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT id FROM audit_events WHERE source <> 'self' LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub async fn count_audit_events(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Raw audit events in `[from, to)`, newest first, at most `limit`, each with its cursor
    /// `(ts_ms, id)`; `before` continues after the last cursor of the previous page, so an
    /// export of any size is read a page at a time.
    pub async fn audit_export(
        &self,
        from_ms: i64,
        to_ms: i64,
        before: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<((i64, i64), AuditEvent)>, StoreError> {
        self.audit_page("ts_ms >= ? AND ts_ms < ?", &[from_ms, to_ms], before, limit)
            .await
    }

    /// Pulse's own audit events (logins, logouts, user and token changes, monitoring reads),
    /// newest first, at most `limit`, continuing before `before` when given.
    pub async fn own_audit(
        &self,
        before: Option<(i64, i64)>,
        only: OwnAuditFilter,
        limit: i64,
    ) -> Result<Vec<((i64, i64), AuditEvent)>, StoreError> {
        let filter = match only {
            OwnAuditFilter::All => "source = 'self'",
            OwnAuditFilter::Access => {
                "source = 'self' AND (action LIKE 'auth.%' OR action LIKE 'user.%' \
                 OR action LIKE 'token.%')"
            }
            OwnAuditFilter::Refused => "source = 'self' AND outcome <> 'success'",
        };
        self.audit_page(filter, &[], before, limit).await
    }

    /// Audit events matching `filter` (fixed SQL text; `binds` fill its placeholders), newest
    /// first, at most `limit`, after the cursor `before` when given.
    async fn audit_page(
        &self,
        filter: &str,
        binds: &[i64],
        before: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<((i64, i64), AuditEvent)>, StoreError> {
        let after = if before.is_some() {
            "AND (ts_ms < ? OR (ts_ms = ? AND id < ?))"
        } else {
            ""
        };
        let sql = self.sql(&format!(
            "SELECT {AUDIT_COLS}, id FROM audit_events WHERE {filter} {after} \
             ORDER BY ts_ms DESC, id DESC LIMIT ?"
        ));
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        if let Some((ts, id)) = before {
            q = q.bind(ts).bind(ts).bind(id);
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(cursor_and_event).collect()
    }

    /// Deletes audit data past retention: raw rows and sessions with the raw events, minute
    /// rollups with the minute retention (minute actor sets after two days), hour and day
    /// rollups, role changes, users and their actor numbers with the hourly retention.
    /// Returns rows deleted.
    pub async fn prune_audit(
        &self,
        raw_before_ms: i64,
        minute_before_ms: i64,
        hour_before_ms: i64,
    ) -> Result<u64, StoreError> {
        // Minute sets serve only the 1 h view (and the hour before it): two days is plenty.
        let minute_sets_before = minute_before_ms.max(crate::model::now_ms() - 2 * DAY_MS);
        let jobs: [(&str, Vec<i64>); 14] = [
            (
                "DELETE FROM audit_events WHERE ts_ms < ?",
                vec![raw_before_ms],
            ),
            (
                "DELETE FROM audit_action_rollup WHERE span_ms = ? AND bucket_ms < ?",
                vec![MINUTE_MS, minute_before_ms],
            ),
            (
                "DELETE FROM audit_actor_sets WHERE span_ms = ? AND bucket_ms < ?",
                vec![MINUTE_MS, minute_sets_before],
            ),
            // Hour and day rollups share the hourly retention (as request rollups do).
            (
                "DELETE FROM audit_action_rollup WHERE span_ms >= ? AND bucket_ms < ?",
                vec![HOUR_MS, hour_before_ms],
            ),
            (
                "DELETE FROM audit_actor_sets WHERE span_ms >= ? AND bucket_ms < ?",
                vec![HOUR_MS, hour_before_ms],
            ),
            // A session idle past raw retention starts afresh if it resumes.
            (
                "DELETE FROM audit_sessions WHERE last_ms < ?",
                vec![raw_before_ms],
            ),
            (
                "DELETE FROM audit_session_rollup WHERE span_ms = ? AND bucket_ms < ?",
                vec![MINUTE_MS, minute_sets_before],
            ),
            (
                "DELETE FROM audit_session_rollup WHERE span_ms >= ? AND bucket_ms < ?",
                vec![HOUR_MS, hour_before_ms],
            ),
            // The migration timeline and the users live as long as the hourly rollups they
            // are read with; an actor's number goes with its user.
            (
                "DELETE FROM role_changes WHERE ts_ms < ?",
                vec![hour_before_ms],
            ),
            (
                "DELETE FROM audit_users WHERE last_seen_ms < ?",
                vec![hour_before_ms],
            ),
            (
                "DELETE FROM audit_actor_ids WHERE actor_id NOT IN (SELECT actor_id FROM audit_users)",
                vec![],
            ),
            (
                "DELETE FROM auth_rollup WHERE span_ms = ? AND bucket_ms < ?",
                vec![MINUTE_MS, minute_before_ms],
            ),
            (
                "DELETE FROM auth_rollup WHERE span_ms >= ? AND bucket_ms < ?",
                vec![HOUR_MS, hour_before_ms],
            ),
            (
                "DELETE FROM auth_sessions WHERE last_ms < ?",
                vec![raw_before_ms],
            ),
        ];
        let mut n = 0;
        for (text, binds) in jobs {
            let sql = self.sql(text);
            let q = query_with(&sql, binds);
            n += q.execute(&self.pool).await?.rows_affected();
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::PgSchema;

    fn ev(ts: i64, actor: String) -> AuditEvent {
        AuditEvent {
            ts_ms: ts,
            actor_id: actor,
            actor_role: "viewer".into(),
            action: "resource.view".into(),
            category: "viewer_actions".into(),
            resource: None,
            outcome: "success".into(),
            session_id: None,
            details: None,
            duration_ms: None,
            provider: None,
            auth: None,
            source: EventSource::Ingest,
        }
    }

    /// Writers (several Pulse instances on one PostgreSQL) updating the same buckets at once
    /// neither deadlock nor lose an actor.
    async fn concurrent_writers_keep_every_actor(store: &Store) {
        let ts = 1_900_000_000_000;
        let mut tasks = Vec::new();
        for w in 0..8 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                for b in 0..5 {
                    let batch: Vec<AuditEvent> = (0..40)
                        .map(|i| {
                            let mut e = ev(ts + i * 1000, format!("w{w}-b{b}-u{i}"));
                            // Even writers share action rows (lock order matters); odd ones
                            // each have their own action in one shared category, so only the
                            // actor set's row lock keeps them from overwriting each other.
                            if w % 2 == 1 {
                                e.action = format!("custom.w{w}");
                                e.category = "other".into();
                            }
                            e
                        })
                        .collect();
                    s.insert_audits(&batch).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let day = ts - ts.rem_euclid(DAY_MS);
        for (res, from) in [
            (Resolution::Minute, ts - ts.rem_euclid(MINUTE_MS)),
            (Resolution::Hour, ts - ts.rem_euclid(HOUR_MS)),
            (Resolution::Day, day),
        ] {
            let n = store
                .audit_actors(&[(res, from, from + 2 * res.bucket_ms())])
                .await
                .unwrap();
            assert_eq!(n[&("viewer".to_string(), String::new())], 8 * 5 * 40);
            assert_eq!(
                n[&("viewer".to_string(), "viewer_actions".to_string())],
                800
            );
            assert_eq!(n[&("viewer".to_string(), "other".to_string())], 800);
        }
    }

    #[tokio::test]
    async fn concurrent_writers_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&format!("sqlite://{}/a.db", dir.path().display()))
            .await
            .unwrap();
        concurrent_writers_keep_every_actor(&s).await;
    }

    #[tokio::test]
    async fn concurrent_writers_on_postgres() {
        let Some(pg) = PgSchema::create("actors").await else {
            return;
        };
        concurrent_writers_keep_every_actor(&pg.store).await;
        pg.drop().await;
    }
}

/// Which of Pulse's own audit events the admin page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnAuditFilter {
    All,
    /// Logins, logouts, user and token changes.
    Access,
    /// Anything not successful (denied reads, failed logins).
    Refused,
}

/// One row of `SELECT {AUDIT_COLS}, id`: its cursor `(ts_ms, id)` and the event.
fn cursor_and_event(r: &sqlx::any::AnyRow) -> Result<((i64, i64), AuditEvent), StoreError> {
    let details: Option<String> = r.try_get(8)?;
    let source: String = r.try_get(9)?;
    let cursor = (r.try_get(0)?, r.try_get(12)?);
    Ok((
        cursor,
        AuditEvent {
            ts_ms: r.try_get(0)?,
            actor_id: r.try_get(1)?,
            actor_role: r.try_get(2)?,
            action: r.try_get(3)?,
            category: r.try_get(4)?,
            resource: r.try_get(5)?,
            outcome: r.try_get(6)?,
            session_id: r.try_get(7)?,
            details: details.and_then(|d| serde_json::from_str(&d).ok()),
            duration_ms: r.try_get(10)?,
            provider: r.try_get(11)?,
            // Rollup labels are resolved at ingest; a read-back row is only shown.
            auth: None,
            source: EventSource::parse(&source),
        },
    ))
}
