//! Writing audit events: the raw rows, action counts, acting-user sets, sessions, users and
//! role changes, inside the batch's transaction (`Store::insert_batch`).

use super::audit::{decode_set, AUDIT_COLS};
use super::traffic::{DAY_MS, HOUR_MS, MINUTE_MS};
use super::{batch_query, insert_rows, MAX_PARAMS};
use super::{values, Store, StoreError};
use crate::events::{role_after, role_change, AuditEvent, MIGRATION_START};
use roaring::RoaringBitmap;
use sqlx::Row;
use std::collections::HashMap;

const AUDIT_PARAMS: usize = 12;
const SPANS: [i64; 3] = [MINUTE_MS, HOUR_MS, DAY_MS];
/// Actor sets are read, merged and written back per chunk; the read is one OR of keys, which
/// the planners handle well at hundreds of keys, not at the thousands `MAX_PARAMS` allows.
const SET_CHUNK: usize = 500;

impl Store {
    pub(super) async fn write_audits(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        insert_rows(
            tx,
            events,
            AUDIT_PARAMS,
            |n| self.insert_sql("audit_events", AUDIT_COLS, n),
            |q, e| {
                q.bind(e.ts_ms)
                    .bind(e.actor_id.clone())
                    .bind(e.actor_role.clone())
                    .bind(e.action.clone())
                    .bind(e.category.clone())
                    .bind(e.resource.clone())
                    .bind(e.outcome.clone())
                    .bind(e.session_id.clone())
                    .bind(e.details.as_ref().map(|d| d.to_string()))
                    .bind(e.source.as_str())
                    .bind(e.duration_ms)
                    .bind(e.provider.clone())
            },
        )
        .await?;

        // Action counts: one row per key and bucket for each span, summed in memory first.
        let mut actions: HashMap<(i64, i64, &str, &str, &str, &str), i64> = HashMap::new();
        for e in events {
            for span in SPANS {
                let b = e.ts_ms - e.ts_ms.rem_euclid(span);
                *actions
                    .entry((span, b, &e.actor_role, &e.category, &e.action, &e.outcome))
                    .or_default() += 1;
            }
        }
        // Every upsert goes in key order, so concurrent writers lock rows in the same order
        // and cannot deadlock.
        let mut rows: Vec<_> = actions.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let cols = [
            "span_ms",
            "bucket_ms",
            "role",
            "category",
            "action",
            "outcome",
        ];
        insert_rows(
            tx,
            &rows,
            7,
            |n| self.add_counts_sql("audit_action_rollup", &cols, n),
            |q, ((span, b, role, cat, action, outcome), n)| {
                q.bind(*span)
                    .bind(*b)
                    .bind(role.to_string())
                    .bind(cat.to_string())
                    .bind(action.to_string())
                    .bind(outcome.to_string())
                    .bind(*n)
            },
        )
        .await?;
        self.write_actor_sets(tx, events).await?;
        self.write_sessions(tx, events).await?;
        self.write_users(tx, events).await?;
        self.write_auth(tx, events).await?;
        self.write_role_changes(tx, events).await
    }

    /// The batch's actors' numbers, assigning new ones.
    async fn actor_numbers(
        &self,
        tx: &mut sqlx::AnyConnection,
        actors: &[&str],
    ) -> Result<HashMap<String, u32>, StoreError> {
        let mut out = HashMap::with_capacity(actors.len());
        for chunk in actors.chunks(MAX_PARAMS / 2) {
            let sql = self.sql(&format!(
                "INSERT INTO audit_actor_ids (actor_id) VALUES {} ON CONFLICT (actor_id) DO NOTHING",
                values(1, chunk.len())
            ));
            let mut q = batch_query(&sql);
            for a in chunk {
                q = q.bind(a.to_string());
            }
            q.execute(&mut *tx).await?;
            let sql = self.sql(&format!(
                "SELECT num, actor_id FROM audit_actor_ids WHERE actor_id IN ({})",
                vec!["?"; chunk.len()].join(", ")
            ));
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q.bind(a.to_string());
            }
            for r in q.fetch_all(&mut *tx).await? {
                let num: i64 = r.try_get(0)?;
                let num = u32::try_from(num).map_err(|_| {
                    StoreError::Query(sqlx::Error::Protocol("actor numbers exhausted".into()))
                })?;
                out.insert(r.try_get(1)?, num);
            }
        }
        Ok(out)
    }

    /// Adds the batch's actors to the per-bucket sets: read, union, write back, under a row
    /// lock on PostgreSQL (SQLite's writer already holds the database lock) so concurrent
    /// writers never lose an actor.
    async fn write_actor_sets(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut names: Vec<&str> = events.iter().map(|e| e.actor_id.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let nums = self.actor_numbers(tx, &names).await?;
        let mut sets: HashMap<(i64, i64, &str, &str), RoaringBitmap> = HashMap::new();
        for e in events {
            let Some(&n) = nums.get(&e.actor_id) else {
                continue;
            };
            for span in SPANS {
                let b = e.ts_ms - e.ts_ms.rem_euclid(span);
                sets.entry((span, b, &e.actor_role, &e.category))
                    .or_default()
                    .insert(n);
            }
        }
        let mut keys: Vec<_> = sets.keys().copied().collect();
        keys.sort_unstable();
        for chunk in keys.chunks(SET_CHUNK) {
            let sql = self.sql(&format!(
                "INSERT INTO audit_actor_sets (span_ms, bucket_ms, role, category, actors) \
                 VALUES {} ON CONFLICT (span_ms, bucket_ms, role, category) DO NOTHING",
                values(5, chunk.len())
            ));
            let mut q = batch_query(&sql);
            for (span, b, role, cat) in chunk {
                q = q
                    .bind(*span)
                    .bind(*b)
                    .bind(role.to_string())
                    .bind(cat.to_string())
                    .bind(Vec::<u8>::new());
            }
            q.execute(&mut *tx).await?;
            let lock = self.for_update();
            let sql = self.sql(&format!(
                "SELECT span_ms, bucket_ms, role, category, actors FROM audit_actor_sets WHERE {}{lock}",
                vec!["(span_ms = ? AND bucket_ms = ? AND role = ? AND category = ?)"; chunk.len()]
                    .join(" OR ")
            ));
            let mut q = sqlx::query(&sql);
            for (span, b, role, cat) in chunk {
                q = q
                    .bind(*span)
                    .bind(*b)
                    .bind(role.to_string())
                    .bind(cat.to_string());
            }
            let mut merged = Vec::with_capacity(chunk.len());
            for r in q.fetch_all(&mut *tx).await? {
                let key: (i64, i64, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                let mut set = decode_set(&r.try_get::<Vec<u8>, _>(4)?)?;
                if let Some(add) = sets.get(&(key.0, key.1, key.2.as_str(), key.3.as_str())) {
                    set |= add;
                }
                let mut bytes = Vec::with_capacity(set.serialized_size());
                set.serialize_into(&mut bytes)
                    .map_err(|e| StoreError::Query(sqlx::Error::Protocol(e.to_string())))?;
                merged.push((key, bytes));
            }
            merged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let sql = self.sql(&format!(
                "INSERT INTO audit_actor_sets (span_ms, bucket_ms, role, category, actors) \
                 VALUES {} ON CONFLICT (span_ms, bucket_ms, role, category) \
                 DO UPDATE SET actors = excluded.actors",
                values(5, merged.len())
            ));
            let mut q = batch_query(&sql);
            for ((span, b, role, cat), bytes) in merged {
                q = q.bind(span).bind(b).bind(role).bind(cat).bind(bytes);
            }
            q.execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// Sessions and their rollup: each session counts once, in the bucket it began in, with
    /// its span (first to last event). A batch that extends a session moves its contribution
    /// (read under a row lock, so concurrent writers agree).
    async fn write_sessions(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let sessions = sessions_of(events);
        let mut rows: Vec<_> = sessions.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let lock = self.for_update();
        // (span, bucket, role) → (sessions, total ms) to add.
        let mut deltas: HashMap<(i64, i64, String), (i64, i64)> = HashMap::new();
        let mut add = |role: &str, first: i64, last: i64, sign: i64| {
            for span in SPANS {
                let d = deltas
                    .entry((span, first - first.rem_euclid(span), role.to_string()))
                    .or_default();
                d.0 += sign;
                d.1 += sign * (last - first);
            }
        };
        for chunk in rows.chunks_mut(MAX_PARAMS / 5) {
            let sql = self.sql(&format!(
                "SELECT session_id, role, first_ms, last_ms FROM audit_sessions \
                 WHERE session_id IN ({}) ORDER BY session_id{lock}",
                vec!["?"; chunk.len()].join(", ")
            ));
            let mut q = sqlx::query(&sql);
            for (sid, _) in chunk.iter() {
                q = q.bind(sid.to_string());
            }
            let mut old: HashMap<String, (String, i64, i64)> = HashMap::new();
            for r in q.fetch_all(&mut *tx).await? {
                old.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
            }
            for (sid, s) in chunk.iter_mut() {
                if let Some((role, first, last)) = old.get(*sid) {
                    add(role, *first, *last, -1);
                    if *first <= s.2 {
                        s.0 = role.clone();
                        s.2 = *first;
                    }
                    s.3 = s.3.max(*last);
                }
                add(&s.0, s.2, s.3, 1);
            }
            let sql = self.sql(&format!(
                "INSERT INTO audit_sessions (session_id, role, actor_id, first_ms, last_ms) \
                 VALUES {} ON CONFLICT (session_id) DO UPDATE SET role = excluded.role, \
                 first_ms = excluded.first_ms, last_ms = excluded.last_ms",
                values(5, chunk.len())
            ));
            let mut q = batch_query(&sql);
            for (sid, (role, actor, first, last)) in chunk.iter() {
                q = q
                    .bind(sid.to_string())
                    .bind(role.clone())
                    .bind(actor.to_string())
                    .bind(*first)
                    .bind(*last);
            }
            q.execute(&mut *tx).await?;
        }
        let mut rows: Vec<_> = deltas.into_iter().filter(|(_, d)| *d != (0, 0)).collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let sql_for = |n| {
            self.sql(&format!(
                "INSERT INTO audit_session_rollup (span_ms, bucket_ms, role, sessions, total_ms) \
                 VALUES {} ON CONFLICT (span_ms, bucket_ms, role) DO UPDATE SET \
                 sessions = audit_session_rollup.sessions + excluded.sessions, \
                 total_ms = audit_session_rollup.total_ms + excluded.total_ms",
                values(5, n)
            ))
        };
        insert_rows(
            tx,
            &rows,
            5,
            sql_for,
            |q, ((span, bucket, role), (n, total))| {
                q.bind(*span)
                    .bind(*bucket)
                    .bind(role.clone())
                    .bind(*n)
                    .bind(*total)
            },
        )
        .await?;
        Ok(())
    }

    async fn write_users(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        struct U {
            first_ms: i64,
            first_role: String,
            last_ms: i64,
            role: String,
            changed_ms: Option<i64>,
        }
        let mut users: HashMap<&str, U> = HashMap::new();
        // Pulse's own readers are not the gateway's users: they stay out of the users table.
        for e in events.iter().filter(|e| e.source.is_external()) {
            let after = role_after(e);
            let changed = (role_change(e).is_some() && e.outcome == "success").then_some(e.ts_ms);
            let u = users.entry(&e.actor_id).or_insert_with(|| U {
                first_ms: e.ts_ms,
                first_role: e.actor_role.clone(),
                last_ms: e.ts_ms,
                role: after.clone(),
                changed_ms: changed,
            });
            if e.ts_ms < u.first_ms {
                u.first_ms = e.ts_ms;
                u.first_role = e.actor_role.clone();
            }
            // Ties go to the later event in the batch, as they arrived.
            if e.ts_ms >= u.last_ms {
                u.last_ms = e.ts_ms;
                u.role = after;
            }
            if let Some(c) = changed {
                u.changed_ms = Some(u.changed_ms.map_or(c, |m| m.max(c)));
            }
        }
        let (least, greatest) = self.least_greatest();
        let mut rows: Vec<_> = users.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let sql_for = |n| {
            self.sql(&format!(
                "INSERT INTO audit_users (actor_id, role, first_role, first_seen_ms, last_seen_ms, \
                 changed_ms) VALUES {} ON CONFLICT (actor_id) DO UPDATE SET \
                 role = CASE WHEN excluded.last_seen_ms >= audit_users.last_seen_ms \
                        THEN excluded.role ELSE audit_users.role END, \
                 first_role = CASE WHEN excluded.first_seen_ms < audit_users.first_seen_ms \
                        THEN excluded.first_role ELSE audit_users.first_role END, \
                 first_seen_ms = {least}(audit_users.first_seen_ms, excluded.first_seen_ms), \
                 last_seen_ms = {greatest}(audit_users.last_seen_ms, excluded.last_seen_ms), \
                 changed_ms = CASE WHEN excluded.changed_ms IS NULL THEN audit_users.changed_ms \
                        WHEN audit_users.changed_ms IS NULL THEN excluded.changed_ms \
                        ELSE {greatest}(audit_users.changed_ms, excluded.changed_ms) END",
                values(6, n)
            ))
        };
        insert_rows(tx, &rows, 6, sql_for, |q, (actor, u)| {
            q.bind(actor.to_string())
                .bind(u.role.clone())
                .bind(u.first_role.clone())
                .bind(u.first_ms)
                .bind(u.last_ms)
                .bind(u.changed_ms)
        })
        .await?;
        Ok(())
    }

    /// Role changes, and migration starts as marks (`from = to = ''`) the migration view finds.
    async fn write_role_changes(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let rows: Vec<(&AuditEvent, String, String)> = events
            .iter()
            .filter_map(|e| {
                if e.action == MIGRATION_START {
                    Some((e, String::new(), String::new()))
                } else {
                    role_change(e).map(|(f, t)| (e, f, t))
                }
            })
            .collect();
        let cols = "ts_ms, actor_id, from_role, to_role, action, outcome";
        insert_rows(
            tx,
            &rows,
            6,
            |n| self.insert_sql("role_changes", cols, n),
            |q, (e, from, to)| {
                q.bind(e.ts_ms)
                    .bind(e.actor_id.clone())
                    .bind(from.clone())
                    .bind(to.clone())
                    .bind(e.action.clone())
                    .bind(e.outcome.clone())
            },
        )
        .await?;
        Ok(())
    }
}

/// The batch's sessions: id → (role, actor, first, last); a session's role is the one it
/// began in.
fn sessions_of(events: &[AuditEvent]) -> HashMap<&str, (String, &str, i64, i64)> {
    let mut sessions: HashMap<&str, (String, &str, i64, i64)> = HashMap::new();
    for e in events {
        let Some(sid) = e.session_id.as_deref() else {
            continue;
        };
        let s =
            sessions
                .entry(sid)
                .or_insert((e.actor_role.clone(), &e.actor_id, e.ts_ms, e.ts_ms));
        if e.ts_ms < s.2 {
            s.0 = e.actor_role.clone();
            s.2 = e.ts_ms;
        }
        s.3 = s.3.max(e.ts_ms);
    }
    sessions
}
