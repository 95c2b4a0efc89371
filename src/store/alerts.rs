//! Alerting's tables: instance states, transitions, the notification outbox and delivery
//! attempts, plus the filtered traffic window alert rules read. The evaluator writes one tick's
//! changes in one transaction, so a restart sees every instance as it was told to people.

use super::{insert_rows, Store, StoreError};
use crate::latency::Agg;
use sqlx::any::AnyRow;
use sqlx::Row;

/// An alert instance as stored (times in ms since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInstance {
    pub alert_id: String,
    pub rule: String,
    /// A JSON object of the instance's labels.
    pub labels: String,
    pub severity: String,
    pub state: String,
    pub active_since_ms: Option<i64>,
    pub fired_at_ms: Option<i64>,
    pub notified_at_ms: Option<i64>,
    pub last_true_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    pub value: Option<f64>,
    pub updated_ms: i64,
    /// Why a firing alert was not notified (`silence 3`, `maintenance db upgrade`,
    /// `dependency gateway-db`).
    pub suppressed_by: Option<String>,
}

/// One state change of an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub id: i64,
    pub ts_ms: i64,
    pub alert_id: String,
    pub rule: String,
    pub labels: String,
    pub severity: String,
    pub from_state: String,
    pub to_state: String,
    pub value: Option<f64>,
    pub threshold: f64,
    /// What people were told: `firing`, `resolved`, `repeat`, `recorded` (cooldown) or `none`.
    pub notice: String,
}

/// A notification waiting for (or done with) delivery to one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub created_ms: i64,
    pub channel: String,
    pub alert_id: String,
    /// `firing`, `resolved`, `repeat`, `refresh` (Alertmanager keep-alive) or `test`.
    pub kind: String,
    /// The notification as JSON (never a secret: those are added when sending).
    pub payload: String,
    pub attempts: i64,
    pub next_ms: i64,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub ts_ms: i64,
    pub channel: String,
    pub alert_id: String,
    pub kind: String,
    pub attempt: i64,
    /// `delivered`, `failed` (will retry) or `gave_up`.
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i64>,
    pub detail: String,
}

/// One tick's writes.
#[derive(Debug, Default)]
pub struct AlertWrites {
    pub instances: Vec<StoredInstance>,
    pub transitions: Vec<Transition>,
    pub outbox: Vec<OutboxItem>,
}

impl AlertWrites {
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty() && self.transitions.is_empty() && self.outbox.is_empty()
    }
}

const INSTANCE_COLS: &str = "alert_id, rule, labels, severity, state, active_since_ms, \
    fired_at_ms, notified_at_ms, last_true_ms, resolved_at_ms, value, updated_ms, suppressed_by";
const TRANSITION_COLS: &str =
    "ts_ms, alert_id, rule, labels, severity, from_state, to_state, value, threshold, notice";
const OUTBOX_COLS: &str = "created_ms, channel, alert_id, kind, payload, attempts, next_ms, done";
const DELIVERY_COLS: &str = "ts_ms, channel, alert_id, kind, attempt, outcome, status, detail";

/// A window's traffic for one (server, tool, route, role); absent values are empty.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRow {
    pub server: String,
    pub tool: String,
    pub route: String,
    pub role: String,
    pub agg: Agg,
}

impl WindowRow {
    /// Whether every selector (`server`, `tool`, `route`, `role` = value) picks this row; any
    /// other selector name picks nothing.
    pub fn selected_by(&self, selectors: &[(String, String)]) -> bool {
        selectors.iter().all(|(k, v)| match k.as_str() {
            "server" => &self.server == v,
            "tool" => &self.tool == v,
            "route" => &self.route == v,
            "role" => &self.role == v,
            _ => false,
        })
    }
}

impl Store {
    /// Requests in `[from, to)` of the minute rollup, summed per (server, tool, route, role):
    /// one read per window serves every rule's selectors (the evaluator merges the rows a
    /// selector picks). Rows are bounded by the endpoint cap times the roles.
    pub async fn traffic_window_rows(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<WindowRow>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT server, tool, route, role, {} FROM {} WHERE bucket_ms >= ? AND bucket_ms < ? \
             GROUP BY server, tool, route, role",
            super::traffic::agg_select(),
            super::Resolution::Minute.table()
        ));
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WindowRow {
                    server: r.try_get(0)?,
                    tool: r.try_get(1)?,
                    route: r.try_get(2)?,
                    role: r.try_get(3)?,
                    agg: super::traffic::agg_from_row(r, 4)?,
                })
            })
            .collect()
    }

    /// Each minute's request count in `[from, to)`. Rollups and these totals are written in one
    /// transaction and counts only grow, so an unchanged count means an unchanged minute: the
    /// evaluator re-reads only the minutes whose count moved.
    pub async fn minute_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let sql = self.sql(
            "SELECT bucket_ms, CAST(count AS BIGINT) FROM request_minute_total \
             WHERE bucket_ms >= ? AND bucket_ms < ?",
        );
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Requests in `[from, to)` per minute and (server, tool, route, role), at most `limit`
    /// rows (the caller learns it hit the limit from the length).
    pub async fn traffic_minute_rows(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<(i64, WindowRow)>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT bucket_ms, server, tool, route, role, {} FROM {} \
             WHERE bucket_ms >= ? AND bucket_ms < ? \
             GROUP BY bucket_ms, server, tool, route, role LIMIT ?",
            super::traffic::agg_select(),
            super::Resolution::Minute.table()
        ));
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    WindowRow {
                        server: r.try_get(1)?,
                        tool: r.try_get(2)?,
                        route: r.try_get(3)?,
                        role: r.try_get(4)?,
                        agg: super::traffic::agg_from_row(r, 5)?,
                    },
                ))
            })
            .collect()
    }

    /// Denied audit events per role in `[from, to)` of the minute rollup.
    pub async fn denied_by_role(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = self.sql(
            "SELECT role, CAST(SUM(count) AS BIGINT) FROM audit_action_rollup \
             WHERE span_ms = ? AND bucket_ms >= ? AND bucket_ms < ? AND outcome = 'denied' \
             GROUP BY role",
        );
        let rows = sqlx::query(&sql)
            .bind(super::MINUTE_MS)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Every stored instance (the evaluator's memory after a restart).
    pub async fn alert_instances(&self) -> Result<Vec<StoredInstance>, StoreError> {
        let sql = format!("SELECT {INSTANCE_COLS} FROM alert_instances");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(instance_from_row).collect()
    }

    /// One tick's instance changes, transitions and new notifications, in one transaction.
    pub async fn save_alerts(&self, w: &AlertWrites) -> Result<(), StoreError> {
        if w.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let mut instances: Vec<&StoredInstance> = w.instances.iter().collect();
        // Upserts lock rows in key order on every writer.
        instances.sort_by(|a, b| a.alert_id.cmp(&b.alert_id));
        let update = INSTANCE_COLS
            .split(", ")
            .skip(1)
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        insert_rows(
            &mut tx,
            &instances,
            13,
            |n| {
                format!(
                    "{} ON CONFLICT (alert_id) DO UPDATE SET {update}",
                    self.insert_sql("alert_instances", INSTANCE_COLS, n)
                )
            },
            |q, i| {
                q.bind(i.alert_id.clone())
                    .bind(i.rule.clone())
                    .bind(i.labels.clone())
                    .bind(i.severity.clone())
                    .bind(i.state.clone())
                    .bind(i.active_since_ms)
                    .bind(i.fired_at_ms)
                    .bind(i.notified_at_ms)
                    .bind(i.last_true_ms)
                    .bind(i.resolved_at_ms)
                    .bind(i.value)
                    .bind(i.updated_ms)
                    .bind(i.suppressed_by.clone())
            },
        )
        .await?;
        insert_rows(
            &mut tx,
            &w.transitions,
            10,
            |n| self.insert_sql("alert_transitions", TRANSITION_COLS, n),
            |q, t| {
                q.bind(t.ts_ms)
                    .bind(t.alert_id.clone())
                    .bind(t.rule.clone())
                    .bind(t.labels.clone())
                    .bind(t.severity.clone())
                    .bind(t.from_state.clone())
                    .bind(t.to_state.clone())
                    .bind(t.value)
                    .bind(t.threshold)
                    .bind(t.notice.clone())
            },
        )
        .await?;
        self.insert_outbox(&mut tx, &w.outbox).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_outbox(
        &self,
        conn: &mut sqlx::AnyConnection,
        items: &[OutboxItem],
    ) -> Result<(), StoreError> {
        insert_rows(
            conn,
            items,
            8,
            |n| self.insert_sql("alert_outbox", OUTBOX_COLS, n),
            |q, o| {
                q.bind(o.created_ms)
                    .bind(o.channel.clone())
                    .bind(o.alert_id.clone())
                    .bind(o.kind.clone())
                    .bind(o.payload.clone())
                    .bind(o.attempts)
                    .bind(o.next_ms)
                    .bind(0_i64)
            },
        )
        .await
    }

    /// Queues notifications outside an evaluation (a test notification).
    pub async fn enqueue_notifications(&self, items: &[OutboxItem]) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.insert_outbox(&mut conn, items).await
    }

    /// A channel's notifications due by `now_ms`, oldest first.
    pub async fn due_notifications(
        &self,
        channel: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = self.sql(
            "SELECT id, created_ms, channel, alert_id, kind, payload, attempts, next_ms \
             FROM alert_outbox WHERE channel = ? AND done = 0 AND next_ms <= ? \
             ORDER BY id LIMIT ?",
        );
        let rows = sqlx::query(&sql)
            .bind(channel.to_string())
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxItem {
                    id: r.try_get(0)?,
                    created_ms: r.try_get(1)?,
                    channel: r.try_get(2)?,
                    alert_id: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    payload: r.try_get(5)?,
                    attempts: r.try_get(6)?,
                    next_ms: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Records an attempt and either closes the notification or schedules its next try.
    pub async fn record_delivery(
        &self,
        outbox_id: i64,
        d: &Delivery,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        self.insert_delivery(&mut tx, d).await?;
        let sql =
            self.sql("UPDATE alert_outbox SET attempts = ?, next_ms = ?, done = ? WHERE id = ?");
        sqlx::query(&sql)
            .bind(d.attempt)
            .bind(retry_at_ms.unwrap_or(d.ts_ms))
            .bind(i64::from(retry_at_ms.is_none()))
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an attempt made outside the outbox (a test notification).
    pub async fn record_test_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.insert_delivery(&mut conn, d).await
    }

    async fn insert_delivery(
        &self,
        conn: &mut sqlx::AnyConnection,
        d: &Delivery,
    ) -> Result<(), StoreError> {
        let sql = self.sql(&format!(
            "INSERT INTO alert_deliveries ({DELIVERY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ));
        sqlx::query(&sql)
            .bind(d.ts_ms)
            .bind(d.channel.clone())
            .bind(d.alert_id.clone())
            .bind(d.kind.clone())
            .bind(d.attempt)
            .bind(d.outcome.clone())
            .bind(d.status)
            .bind(d.detail.clone())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// How many notifications still wait for delivery, per channel.
    pub async fn pending_notifications(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel, CAST(COUNT(*) AS BIGINT) FROM alert_outbox WHERE done = 0 GROUP BY channel",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The newest attempt per channel.
    pub async fn last_deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM alert_deliveries WHERE id IN \
             (SELECT MAX(id) FROM alert_deliveries GROUP BY channel)"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Attempts, newest first, optionally of one alert.
    pub async fn deliveries(
        &self,
        alert_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let filter = if alert_id.is_some() {
            "WHERE alert_id = ? "
        } else {
            ""
        };
        let sql = self.sql(&format!(
            "SELECT {DELIVERY_COLS} FROM alert_deliveries {filter}ORDER BY id DESC LIMIT ?"
        ));
        let mut q = sqlx::query(&sql);
        if let Some(a) = alert_id {
            q = q.bind(a.to_string());
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Transitions newest first, older than the cursor `(ts, id)`, optionally of one rule or
    /// into one state.
    pub async fn alert_history(
        &self,
        before: Option<(i64, i64)>,
        rule: Option<&str>,
        to_state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Transition>, StoreError> {
        let (bts, bid) = before.unwrap_or((i64::MAX, i64::MAX));
        let mut filter = String::new();
        if rule.is_some() {
            filter.push_str(" AND rule = ?");
        }
        if to_state.is_some() {
            filter.push_str(" AND to_state = ?");
        }
        let sql = self.sql(&format!(
            "SELECT id, {TRANSITION_COLS} FROM alert_transitions \
             WHERE (ts_ms < ? OR (ts_ms = ? AND id < ?)){filter} \
             ORDER BY ts_ms DESC, id DESC LIMIT ?"
        ));
        let mut q = sqlx::query(&sql).bind(bts).bind(bts).bind(bid);
        if let Some(r) = rule {
            q = q.bind(r.to_string());
        }
        if let Some(s) = to_state {
            q = q.bind(s.to_string());
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Transition {
                    id: r.try_get(0)?,
                    ts_ms: r.try_get(1)?,
                    alert_id: r.try_get(2)?,
                    rule: r.try_get(3)?,
                    labels: r.try_get(4)?,
                    severity: r.try_get(5)?,
                    from_state: r.try_get(6)?,
                    to_state: r.try_get(7)?,
                    value: r.try_get(8)?,
                    threshold: r.try_get(9)?,
                    notice: r.try_get(10)?,
                })
            })
            .collect()
    }

    /// Drops history, attempts and notifications older than `before_ms` (one still waiting
    /// that long belongs to a channel no longer configured), and instances at rest that are
    /// of a rule no longer configured or unchanged since then. Pending and firing instances
    /// are kept whatever their age.
    pub async fn prune_alerts(&self, before_ms: i64, rules: &[String]) -> Result<u64, StoreError> {
        let mut n = 0;
        for sql in [
            "DELETE FROM alert_transitions WHERE ts_ms < ?",
            "DELETE FROM alert_deliveries WHERE ts_ms < ?",
            "DELETE FROM alert_outbox WHERE created_ms < ?",
            "DELETE FROM alert_silences WHERE ends_ms < ?",
            "DELETE FROM alert_maintenance WHERE expired_ms < ?",
        ] {
            n += sqlx::query(&self.sql(sql))
                .bind(before_ms)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        for inst in self.alert_instances().await? {
            let at_rest = !matches!(inst.state.as_str(), "firing" | "pending");
            let stale = !rules.contains(&inst.rule) || inst.updated_ms < before_ms;
            if at_rest && stale {
                n += sqlx::query(&self.sql("DELETE FROM alert_instances WHERE alert_id = ?"))
                    .bind(inst.alert_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
            }
        }
        Ok(n)
    }
}

fn instance_from_row(r: &AnyRow) -> Result<StoredInstance, StoreError> {
    Ok(StoredInstance {
        alert_id: r.try_get(0)?,
        rule: r.try_get(1)?,
        labels: r.try_get(2)?,
        severity: r.try_get(3)?,
        state: r.try_get(4)?,
        active_since_ms: r.try_get(5)?,
        fired_at_ms: r.try_get(6)?,
        notified_at_ms: r.try_get(7)?,
        last_true_ms: r.try_get(8)?,
        resolved_at_ms: r.try_get(9)?,
        value: r.try_get(10)?,
        updated_ms: r.try_get(11)?,
        suppressed_by: r.try_get(12)?,
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        ts_ms: r.try_get(0)?,
        channel: r.try_get(1)?,
        alert_id: r.try_get(2)?,
        kind: r.try_get(3)?,
        attempt: r.try_get(4)?,
        outcome: r.try_get(5)?,
        status: r.try_get(6)?,
        detail: r.try_get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, state: &str, value: Option<f64>, at: i64) -> StoredInstance {
        StoredInstance {
            alert_id: id.to_string(),
            rule: "r".to_string(),
            labels: r#"{"component":"db"}"#.to_string(),
            severity: "high".to_string(),
            state: state.to_string(),
            active_since_ms: Some(at),
            fired_at_ms: (state == "firing").then_some(at),
            notified_at_ms: None,
            last_true_ms: Some(at),
            resolved_at_ms: None,
            value,
            updated_ms: at,
            suppressed_by: None,
        }
    }

    fn transition(id: &str, at: i64, to: &str) -> Transition {
        Transition {
            id: 0,
            ts_ms: at,
            alert_id: id.to_string(),
            rule: "r".to_string(),
            labels: "{}".to_string(),
            severity: "high".to_string(),
            from_state: "inactive".to_string(),
            to_state: to.to_string(),
            value: None,
            threshold: 1.0,
            notice: "none".to_string(),
        }
    }

    /// Every alert table read and written, on one backend.
    async fn round_trip(store: &Store) {
        let outbox = |channel: &str, at: i64| OutboxItem {
            id: 0,
            created_ms: at,
            channel: channel.to_string(),
            alert_id: "a1".to_string(),
            kind: "firing".to_string(),
            payload: "{}".to_string(),
            attempts: 0,
            next_ms: 0,
        };
        store
            .save_alerts(&AlertWrites {
                instances: vec![instance("a1", "pending", None, 1_000)],
                transitions: vec![transition("a1", 1_000, "pending")],
                outbox: Vec::new(),
            })
            .await
            .unwrap();
        // The same instance again: an upsert, not a second row.
        store
            .save_alerts(&AlertWrites {
                instances: vec![instance("a1", "firing", Some(2.5), 2_000)],
                transitions: vec![transition("a1", 2_000, "firing")],
                outbox: vec![outbox("hook", 2_000), outbox("am", 2_000)],
            })
            .await
            .unwrap();
        let all = store.alert_instances().await.unwrap();
        assert_eq!(all, [instance("a1", "firing", Some(2.5), 2_000)]);
        let due = store.due_notifications("hook", 5_000, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        let d = |outcome: &str, attempt: i64, at: i64| Delivery {
            ts_ms: at,
            channel: "hook".to_string(),
            alert_id: "a1".to_string(),
            kind: "firing".to_string(),
            attempt,
            outcome: outcome.to_string(),
            status: Some(503),
            detail: "HTTP 503".to_string(),
        };
        // A failure schedules a retry; nothing is due before it.
        store
            .record_delivery(due[0].id, &d("failed", 1, 3_000), Some(8_000))
            .await
            .unwrap();
        assert!(store
            .due_notifications("hook", 7_999, 10)
            .await
            .unwrap()
            .is_empty());
        let again = store.due_notifications("hook", 8_000, 10).await.unwrap();
        assert_eq!(again[0].attempts, 1);
        store
            .record_delivery(again[0].id, &d("delivered", 2, 8_000), None)
            .await
            .unwrap();
        assert!(store
            .due_notifications("hook", i64::MAX, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store.pending_notifications().await.unwrap(),
            [("am".to_string(), 1)]
        );
        let last = store.last_deliveries().await.unwrap();
        assert_eq!(last, [d("delivered", 2, 8_000)]);
        // History pages newest first by (ts, id).
        let h = store.alert_history(None, None, None, 1).await.unwrap();
        assert_eq!(h[0].to_state, "firing");
        let older = store
            .alert_history(Some((h[0].ts_ms, h[0].id)), Some("r"), None, 10)
            .await
            .unwrap();
        assert_eq!(older.len(), 1);
        assert_eq!(older[0].to_state, "pending");
        let only = store
            .alert_history(None, None, Some("pending"), 10)
            .await
            .unwrap();
        assert_eq!(only.len(), 1);
        // A firing instance outlives every cut-off; the rest goes.
        store.prune_alerts(i64::MAX, &[]).await.unwrap();
        assert_eq!(store.alert_instances().await.unwrap().len(), 1);
        assert!(store
            .alert_history(None, None, None, 10)
            .await
            .unwrap()
            .is_empty());
        assert!(store.deliveries(None, 10).await.unwrap().is_empty());
        assert!(store.pending_notifications().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn alert_state_round_trips_on_sqlite_and_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/a.db", dir.path().display()))
            .await
            .unwrap();
        round_trip(&store).await;
        let Some(pg) = crate::store::testing::PgSchema::create("alerts").await else {
            return;
        };
        round_trip(&pg.store).await;
        pg.drop().await;
    }

    #[tokio::test]
    async fn a_windows_traffic_is_read_once_and_picked_by_selectors() {
        use crate::events::RequestEvent;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let ev = |server: &str, status: u16, ms: f64| RequestEvent {
            ts_ms: 120_000,
            method: "POST".into(),
            route: "tools/call".into(),
            tool: Some("search".into()),
            server: Some(server.into()),
            status,
            duration_ms: ms,
            user_id: None,
            role: None,
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: crate::events::EventSource::Ingest,
        };
        store
            .insert_batch(
                &[ev("a", 200, 10.0), ev("a", 500, 20.0), ev("b", 200, 30.0)],
                &[],
            )
            .await
            .unwrap();
        let rows = store.traffic_window_rows(0, 180_000).await.unwrap();
        let pick = |sel: &[(&str, &str)]| {
            let sel: Vec<(String, String)> = sel
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let mut a = Agg::default();
            for r in rows.iter().filter(|r| r.selected_by(&sel)) {
                a.merge(&r.agg);
            }
            (a.count, a.errors)
        };
        assert_eq!(pick(&[]), (3, 1));
        assert_eq!(pick(&[("server", "a")]), (2, 1));
        assert_eq!(pick(&[("server", "a"), ("tool", "search")]), (2, 1));
        assert_eq!(pick(&[("tool", "fetch")]), (0, 0));
        // A name that is not a selector picks nothing.
        assert_eq!(pick(&[("1=1; --", "a")]), (0, 0));
        assert!(store
            .traffic_window_rows(180_000, 240_000)
            .await
            .unwrap()
            .is_empty());
    }
}
