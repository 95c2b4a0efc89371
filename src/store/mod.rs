//! Storage: one API over SQLite (default) and PostgreSQL through sqlx `Any`.
//!
//! Backend differences (placeholders, migrations, connection pragmas) live here and nowhere else.
//! Times are epoch milliseconds in integer columns because `Any` decodes only plain scalars.

use crate::model::{CheckRecord, Status};

pub mod access;
pub mod alerts;
pub mod audit;
mod audit_write;
pub mod auth;
mod dialect;
mod rollup;
pub mod silences;
pub(crate) use dialect::{batch_query, insert_rows, query_with, values, AnyQuery, MAX_PARAMS};
pub mod traffic;
pub use crate::events::{AuditEvent, EventSource, RequestEvent};
pub use audit::{ActionCount, ActorSets, MigrationFacts, OwnAuditFilter};
pub use auth::{AuthCount, AuthPoint};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;
pub use traffic::{
    EndpointAgg, EndpointOrder, Resolution, SystemSample, DAY_MS, HOUR_MS, MINUTE_MS,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

impl StoreError {
    /// The database was too busy to answer in time (no free reader connection, or a reader's
    /// statement timeout): the caller should retry, nothing is wrong with the request.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Query(sqlx::Error::PoolTimedOut) => true,
            StoreError::Query(sqlx::Error::Database(e)) => e.code().as_deref() == Some("57014"),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A check result on its way into the database.
#[derive(Debug, Clone)]
pub struct NewCheckResult {
    pub component: String,
    pub record: CheckRecord,
}

/// Figures the database check reports.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreStats {
    pub check_results: i64,
    pub components_with_history: i64,
    pub oldest_result_ms: Option<i64>,
}

/// How long a reader waits for a connection before the request fails with a clear error
/// instead of queueing behind slow readers.
const READ_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Background work (writes that must not be dropped) waits longer for a connection.
const BACKGROUND_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections idle this long are closed. Each SQLite connection keeps its page cache, its
/// prepared statements and a worker thread with its own C heap; after a burst of readers
/// those would otherwise stay for sqlx's default ten minutes.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// PostgreSQL cancels a dashboard query running longer than this (SQLite has no such knob;
/// there the acquire timeout and the request timeout bound a reader).
const READ_STATEMENT_TIMEOUT_MS: u32 = 10_000;

/// `pool` serves whoever holds this handle. `Store::connect` gives it the readers' pool;
/// `for_background` gives the writer, the checks, the sampler and retention a pool of their
/// own, so a burst of slow dashboard reads can never starve ingest or the database check.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    background: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects, creating the SQLite file and its directory when missing, and applies the
    /// backend's migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let (readers, background) = match backend {
            Backend::Sqlite => (4, 2),
            Backend::Postgres => (10, 3),
        };
        // Migrations run on the background pool: no reader statement timeout cuts them short.
        let background = pool_options(backend, background, false)
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        match backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&background)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&background)
                    .await?
            }
        }
        let pool = pool_options(backend, readers, true)
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Store {
            pool,
            background,
            backend,
        })
    }

    /// The same database through the background pool (writes, checks, sampling, retention).
    pub fn for_background(&self) -> Store {
        Store {
            pool: self.background.clone(),
            background: self.background.clone(),
            backend: self.backend,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Row locks for read-modify-write (SQLite's writer already holds the database lock).
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Liveness of the database itself.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        let one: i32 = row
            .try_get::<i32, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v as i32))?;
        if one != 1 {
            return Err(StoreError::Query(sqlx::Error::Protocol(
                "SELECT 1 returned another value".into(),
            )));
        }
        Ok(())
    }

    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT component) AS BIGINT), \
             CAST(MIN(ts_ms) AS BIGINT) FROM check_results",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(StoreStats {
            check_results: row.try_get(0)?,
            components_with_history: row.try_get(1)?,
            oldest_result_ms: row.try_get(2)?,
        })
    }

    /// Stores request and audit events together, atomically.
    pub async fn insert_batch(
        &self,
        requests: &[RequestEvent],
        audits: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.insert_all(requests, &[], audits).await
    }

    /// Stores request events, pre-aggregated requests (rollups only) and audit events together,
    /// atomically.
    pub async fn insert_all(
        &self,
        requests: &[RequestEvent],
        measured: &[crate::events::Measured],
        audits: &[AuditEvent],
    ) -> Result<(), StoreError> {
        if requests.is_empty() && measured.is_empty() && audits.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        self.write_requests(&mut tx, requests, measured).await?;
        self.write_audits(&mut tx, audits).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_audits(&self, audits: &[AuditEvent]) -> Result<(), StoreError> {
        self.insert_batch(&[], audits).await
    }

    /// Stores a batch atomically: raw rows plus every rollup, in one transaction.
    pub async fn insert_requests(&self, events: &[RequestEvent]) -> Result<(), StoreError> {
        self.insert_batch(events, &[]).await
    }

    /// Stores results in one transaction with multi-row INSERTs.
    pub async fn insert_check_results(&self, rows: &[NewCheckResult]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let cols = "component, ts_ms, status, effective_status, response_time_ms, error_message, \
                    details";
        insert_rows(
            &mut tx,
            rows,
            7,
            |n| self.insert_sql("check_results", cols, n),
            |q, r| {
                q.bind(r.component.clone())
                    .bind(r.record.timestamp_ms)
                    .bind(r.record.status.as_str())
                    .bind(r.record.effective_status.as_str())
                    .bind(r.record.response_time_ms)
                    .bind(r.record.error_message.clone())
                    .bind(r.record.details.to_string())
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` results of one component, newest first.
    pub async fn history(
        &self,
        component: &str,
        limit: i64,
    ) -> Result<Vec<CheckRecord>, StoreError> {
        let sql = self.sql(
            "SELECT ts_ms, status, effective_status, response_time_ms, error_message, details \
             FROM check_results WHERE component = ? ORDER BY ts_ms DESC, id DESC LIMIT ?",
        );
        let rows = sqlx::query(&sql)
            .bind(component.to_string())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Deletes results older than `before_ms`; returns how many went.
    pub async fn prune_check_results(&self, before_ms: i64) -> Result<u64, StoreError> {
        let sql = self.sql("DELETE FROM check_results WHERE ts_ms < ?");
        let done = sqlx::query(&sql)
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.background.close().await;
    }
}

/// Pool settings per backend. Readers get a short acquire timeout and, on PostgreSQL, a
/// statement timeout; background work waits longer because its writes must not be dropped.
fn pool_options(backend: Backend, size: u32, reader: bool) -> AnyPoolOptions {
    let opts = AnyPoolOptions::new()
        .max_connections(size)
        .idle_timeout(IDLE_TIMEOUT)
        .acquire_timeout(if reader {
            READ_ACQUIRE_TIMEOUT
        } else {
            BACKGROUND_ACQUIRE_TIMEOUT
        });
    match backend {
        Backend::Sqlite => opts.after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run while the writer commits; busy_timeout waits out
                // brief write locks instead of failing.
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA busy_timeout = 5000")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        }),
        Backend::Postgres if reader => opts.after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::query(&format!(
                    "SET statement_timeout = {READ_STATEMENT_TIMEOUT_MS}"
                ))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }),
        Backend::Postgres => opts,
    }
}

/// `(span = ? AND bucket >= ? AND bucket < ?) OR …` for a list of spans, and its binds.
pub(crate) fn span_filter(spans: &[(Resolution, i64, i64)]) -> (String, Vec<i64>) {
    let mut text = Vec::with_capacity(spans.len());
    let mut binds = Vec::with_capacity(spans.len() * 3);
    for &(res, from, to) in spans {
        text.push("(span_ms = ? AND bucket_ms >= ? AND bucket_ms < ?)");
        binds.extend([res.bucket_ms(), from, to]);
    }
    if text.is_empty() {
        return ("1 = 0".to_string(), binds);
    }
    (format!("({})", text.join(" OR ")), binds)
}

fn record_from_row(row: &AnyRow) -> Result<CheckRecord, StoreError> {
    let status: String = row.try_get(1)?;
    let effective: String = row.try_get(2)?;
    let details: String = row.try_get(5)?;
    Ok(CheckRecord {
        timestamp_ms: row.try_get(0)?,
        status: Status::parse(&status).unwrap_or(Status::Unknown),
        effective_status: Status::parse(&effective).unwrap_or(Status::Unknown),
        response_time_ms: row.try_get(3)?,
        error_message: row.try_get(4)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
    })
}

/// Makes sure the SQLite file can be created: its directory exists and `mode=rwc` is set.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (file, query) = match rest.split_once('?') {
        Some((f, q)) => (f, Some(q)),
        None => (rest, None),
    };
    if !file.is_empty() && file != ":memory:" {
        if let Some(dir) = std::path::Path::new(file).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::DataDir {
                    path: dir.display().to_string(),
                    reason: e.to_string(),
                })?;
            }
        }
    }
    Ok(match query {
        Some(q) if q.contains("mode=") => url.to_string(),
        Some(_) => format!("{url}&mode=rwc"),
        None => format!("{url}?mode=rwc"),
    })
}

/// Test support: a PostgreSQL store in a schema of its own, so tests neither see nor leave
/// rows of other runs in the shared database.
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    pub struct PgSchema {
        pub store: Store,
        admin: sqlx::AnyPool,
        schema: String,
    }

    impl PgSchema {
        /// `None` when `PULSE_TEST_POSTGRES=skip`.
        pub async fn create(tag: &str) -> Option<PgSchema> {
            if std::env::var("PULSE_TEST_POSTGRES").as_deref() == Ok("skip") {
                return None;
            }
            let base = std::env::var("PULSE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
            sqlx::any::install_default_drivers();
            let admin = sqlx::AnyPool::connect(&base)
                .await
                .expect("PostgreSQL at PULSE_TEST_POSTGRES_URL");
            let schema = format!("pulse_t_{tag}_{}_{}", std::process::id(), fastrand::u32(..));
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin)
                .await
                .expect("create schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            let store = Store::connect(&format!("{base}{sep}options[search_path]={schema}"))
                .await
                .expect("store in schema");
            Some(PgSchema {
                store,
                admin,
                schema,
            })
        }

        pub async fn drop(self) {
            self.store.close().await;
            let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
                .execute(&self.admin)
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Rows of every table but sqlx's own bookkeeping, by name.
    async fn table_counts(store: &Store) -> Vec<(String, i64)> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' \
             AND name NOT IN ('pulse_users', 'pulse_tokens') ORDER BY name",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let mut out = Vec::new();
        for n in names {
            let c: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {n}"))
                .fetch_one(&store.pool)
                .await
                .unwrap();
            out.push((n, c));
        }
        out
    }

    /// One of everything Pulse stores, at `ts`, by actors named after `tag` (accounts, users
    /// and tokens, are kept until an admin removes them: not time-series data).
    async fn fill(store: &Store, ts: i64, tag: &str) {
        use alerts::{AlertWrites, Delivery, OutboxItem, StoredInstance, Transition};
        let alert_id = format!("{tag}-alert");
        let text = |s: &str| s.to_string();
        store
            .save_alerts(&AlertWrites {
                instances: vec![StoredInstance {
                    alert_id: alert_id.clone(),
                    rule: text("a rule"),
                    labels: text("{}"),
                    severity: text("high"),
                    state: text("resolved"),
                    active_since_ms: None,
                    fired_at_ms: Some(ts),
                    notified_at_ms: Some(ts),
                    last_true_ms: Some(ts),
                    resolved_at_ms: Some(ts),
                    value: Some(0.0),
                    updated_ms: ts,
                    suppressed_by: None,
                }],
                transitions: vec![Transition {
                    id: 0,
                    ts_ms: ts,
                    alert_id: alert_id.clone(),
                    rule: text("a rule"),
                    labels: text("{}"),
                    severity: text("high"),
                    from_state: text("firing"),
                    to_state: text("resolved"),
                    value: Some(0.0),
                    threshold: 1.0,
                    notice: text("resolved"),
                }],
                outbox: vec![OutboxItem {
                    id: 0,
                    created_ms: ts,
                    channel: text("hook"),
                    alert_id: alert_id.clone(),
                    kind: text("resolved"),
                    payload: text("{}"),
                    attempts: 0,
                    next_ms: 0,
                }],
            })
            .await
            .unwrap();
        store
            .record_test_delivery(&Delivery {
                ts_ms: ts,
                channel: text("hook"),
                alert_id,
                kind: text("test"),
                attempt: 1,
                outcome: text("delivered"),
                status: Some(200),
                detail: text("HTTP 200"),
            })
            .await
            .unwrap();
        store
            .create_silence(&crate::suppression::Silence {
                id: 0,
                matchers: vec![crate::suppression::Matcher::new(
                    "alertname",
                    crate::suppression::MatchOp::Eq,
                    "a rule",
                )],
                starts_ms: ts,
                ends_ms: ts + MINUTE_MS,
                created_by: text("ann"),
                comment: text("upgrade"),
                created_ms: ts,
            })
            .await
            .unwrap();
        let w = store.create_window("{}", "ann", ts).await.unwrap();
        store.expire_window(w, ts).await.unwrap();
        let user = format!("{tag}-user");
        store
            .create_user(&user, "hash", crate::permissions::Role::Viewer, ts)
            .await
            .unwrap();
        let id = store.user_by_name(&user).await.unwrap().unwrap().id;
        store
            .create_session(&format!("{tag}-session"), id, ts)
            .await
            .unwrap();
        let request = RequestEvent {
            ts_ms: ts,
            method: "POST".into(),
            route: "tools/call".into(),
            tool: Some("search".into()),
            server: Some("docs".into()),
            status: 200,
            duration_ms: 12.0,
            user_id: Some(format!("{tag}-user")),
            role: Some("viewer".into()),
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: EventSource::Ingest,
        };
        let audit = |action: &str, category: &str, details| AuditEvent {
            ts_ms: ts,
            actor_id: format!("{tag}-actor"),
            actor_role: "viewer".into(),
            action: action.into(),
            category: category.into(),
            resource: None,
            outcome: "success".into(),
            session_id: Some(format!("{tag}-session")),
            details,
            duration_ms: None,
            provider: None,
            auth: None,
            source: EventSource::Ingest,
        };
        store
            .insert_batch(
                &[request],
                &[
                    audit("resource.view", "viewer_actions", None),
                    audit(
                        "role.change.manual",
                        "role_migration",
                        Some(json!({"from": "viewer", "to": "analyst"})),
                    ),
                    AuditEvent {
                        duration_ms: Some(9.0),
                        provider: Some("github".into()),
                        auth: Some(crate::events::AuthKey {
                            provider: "github".into(),
                            method: String::new(),
                        }),
                        ..audit("auth.session_validation", "auth_events", None)
                    },
                ],
            )
            .await
            .unwrap();
        store
            .insert_check_results(&[NewCheckResult {
                component: "db".into(),
                record: record(ts, Status::Healthy),
            }])
            .await
            .unwrap();
        store
            .insert_system_sample(&SystemSample {
                ts_ms: ts,
                cpu_pct: 1.0,
                memory_used_bytes: 1,
                memory_total_bytes: 2,
                disk_pct: 3.0,
            })
            .await
            .unwrap();
    }

    async fn prune_all(store: &Store, before: i64) {
        store
            .prune_alerts(before, &["a rule".to_string()])
            .await
            .unwrap();
        store.prune_check_results(before).await.unwrap();
        store.prune_traffic(before, before, before).await.unwrap();
        store.prune_audit(before, before, before).await.unwrap();
        store.prune_sessions(before, before).await.unwrap();
    }

    #[tokio::test]
    async fn every_table_has_a_retention_rule_that_keeps_what_is_recent() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
            .await
            .unwrap();
        let now = crate::model::now_ms();
        fill(&store, now - 40 * DAY_MS, "old").await;
        fill(&store, now - HOUR_MS, "new").await;
        let full = table_counts(&store).await;
        assert!(full.len() >= 18, "{full:?}");
        for (table, n) in &full {
            assert!(*n > 0, "the fill left {table} empty");
        }
        // Past the cut-off everything old goes and everything recent stays.
        prune_all(&store, now - 10 * DAY_MS).await;
        for ((table, before), (_, after)) in full.iter().zip(table_counts(&store).await) {
            assert!(after > 0, "{table} lost its recent rows");
            assert!(
                after < *before,
                "{table} kept its old rows ({before} → {after})"
            );
        }
        // And with the cut-off in the future, no table keeps anything: a table without a rule
        // fails here.
        prune_all(&store, now + 2 * DAY_MS).await;
        for (table, n) in table_counts(&store).await {
            assert_eq!(n, 0, "{table} has no retention rule");
        }
    }

    fn record(ts: i64, status: Status) -> CheckRecord {
        CheckRecord {
            timestamp_ms: ts,
            status,
            effective_status: status,
            response_time_ms: 1.5,
            error_message: (status == Status::Unhealthy).then(|| "boom".to_string()),
            details: json!({"n": ts}),
        }
    }

    async fn exercise(store: &Store, prefix: &str) {
        store.ping().await.unwrap();
        let a = format!("{prefix}-a");
        let rows: Vec<_> = (0..1200)
            .map(|i| NewCheckResult {
                component: if i % 2 == 0 {
                    a.clone()
                } else {
                    format!("{prefix}-b")
                },
                record: record(
                    1_000 + i,
                    if i % 3 == 0 {
                        Status::Unhealthy
                    } else {
                        Status::Healthy
                    },
                ),
            })
            .collect();
        store.insert_check_results(&rows).await.unwrap();
        let h = store.history(&a, 50).await.unwrap();
        assert_eq!(h.len(), 50);
        assert_eq!(h[0].timestamp_ms, 1_000 + 1198, "newest first");
        assert!(h.windows(2).all(|w| w[0].timestamp_ms > w[1].timestamp_ms));
        assert_eq!(h[0].details, json!({"n": 1198 + 1000}));
        let unhealthy = h.iter().find(|r| r.status == Status::Unhealthy).unwrap();
        assert_eq!(unhealthy.error_message.as_deref(), Some("boom"));
        assert!(store.stats().await.unwrap().check_results >= 1200);
        let gone = store.prune_check_results(1_000 + 600).await.unwrap();
        assert!(gone >= 600);
        let h = store.history(&a, 1000).await.unwrap();
        assert!(h.iter().all(|r| r.timestamp_ms >= 1_600));
    }

    #[tokio::test]
    async fn sqlite_file_is_created_migrated_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/dir/pulse.db", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        assert!(dir.path().join("nested/dir/pulse.db").exists());
        exercise(&store, "sq").await;
        store.close().await;
        // Reopening an existing file applies no migration twice and keeps the data.
        let store = Store::connect(&url).await.unwrap();
        assert!(store.stats().await.unwrap().check_results > 0);
    }

    #[tokio::test]
    async fn postgres_round_trips_when_available() {
        // PostgreSQL runs on developer machines and CI; PULSE_TEST_POSTGRES=skip opts out elsewhere.
        let Some(pg) = testing::PgSchema::create("round").await else {
            return;
        };
        exercise(&pg.store, &format!("pg{}", std::process::id())).await;
        pg.drop().await;
    }

    #[tokio::test]
    async fn readers_holding_every_connection_starve_neither_writes_nor_the_database_check() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
            .await
            .unwrap();
        // Every reader connection busy, as with slow dashboard queries piling up.
        let mut held = Vec::new();
        for _ in 0..store.pool.options().get_max_connections() {
            held.push(store.pool.acquire().await.unwrap());
        }
        let background = store.for_background();
        background.ping().await.unwrap();
        background
            .insert_check_results(&[NewCheckResult {
                component: "svc".into(),
                record: record(1_000, Status::Healthy),
            }])
            .await
            .unwrap();
        assert_eq!(background.stats().await.unwrap().check_results, 1);
        // One more reader is refused with a retryable error instead of waiting forever.
        let started = std::time::Instant::now();
        let err = store.stats().await.unwrap_err();
        assert!(err.is_busy(), "{err}");
        assert!(started.elapsed() < READ_ACQUIRE_TIMEOUT * 2);
        drop(held);
        assert_eq!(store.stats().await.unwrap().check_results, 1);
    }
}
