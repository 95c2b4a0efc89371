//! Request events, their minute/hour rollups and host samples: the traffic side of the store.
//!
//! Every write lands raw rows and both rollups in one transaction, so a committed batch is
//! visible to every reader at once and an acknowledged batch is never half-stored.

use super::rollup::{add_measured, bucket_totals, coarsen, role_totals, rollup, RollKey};
use super::{insert_rows, query_with, AnyQuery};
use super::{Store, StoreError};
use crate::events::{Measured, RequestEvent};
use crate::latency::{Agg, BUCKETS, BUCKET_BOUNDS_MS};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// Which rollup table a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    pub fn table(self) -> &'static str {
        match self {
            Resolution::Minute => "request_minute",
            Resolution::Hour => "request_hour",
            Resolution::Day => "request_day",
        }
    }
    /// The table with one row per bucket over all keys (totals and trends read it).
    pub fn totals_table(self) -> &'static str {
        match self {
            Resolution::Minute => "request_minute_total",
            Resolution::Hour => "request_hour_total",
            Resolution::Day => "request_day",
        }
    }
    pub fn bucket_ms(self) -> i64 {
        match self {
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
            Resolution::Day => DAY_MS,
        }
    }
}

/// One endpoint's aggregate over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointAgg {
    pub route: String,
    pub method: String,
    pub server: String,
    pub tool: String,
    pub agg: Agg,
}

/// How `top_endpoints` ranks endpoints (biggest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointOrder {
    Count,
    /// Errors, then error share.
    Errors,
    Avg,
    P95,
}

/// A host sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemSample {
    pub ts_ms: i64,
    pub cpu_pct: f64,
    pub memory_used_bytes: i64,
    pub memory_total_bytes: i64,
    pub disk_pct: f64,
}

pub(crate) const EVENT_COLS: &str =
    "ts_ms, method, route, tool, server, status, duration_ms, user_id, \
                          role, bytes_in, bytes_out, client_ip, user_agent, source, session_id";
pub(crate) const EVENT_PARAMS: usize = 15;
const KEY_COLS: &str = "bucket_ms, route, method, status_class, role, server, tool";

fn hist_cols() -> Vec<String> {
    (0..BUCKETS).map(|i| format!("h{i:02}")).collect()
}

/// `CAST(SUM(h00) AS BIGINT), …`: sums come back as plain integers on both backends.
pub(super) fn agg_select() -> String {
    agg_select_named(false)
}

/// `agg_select`, with each sum named (`c, e, s, mn, mx, h00…`) when `named`, so an outer query
/// can order by them.
fn agg_select_named(named: bool) -> String {
    let alias = |a: &str| {
        if named {
            format!(" AS {a}")
        } else {
            String::new()
        }
    };
    let mut s = format!(
        "CAST(SUM(count) AS BIGINT){}, CAST(SUM(errors) AS BIGINT){}, SUM(sum_ms){}, \
         MIN(min_ms){}, MAX(max_ms){}",
        alias("c"),
        alias("e"),
        alias("s"),
        alias("mn"),
        alias("mx")
    );
    for h in hist_cols() {
        s.push_str(&format!(", CAST(SUM({h}) AS BIGINT){}", alias(&h)));
    }
    s
}

/// Reads the columns `agg_select` produced, starting at `at`.
pub(super) fn agg_from_row(row: &AnyRow, at: usize) -> Result<Agg, StoreError> {
    let count: Option<i64> = row.try_get(at)?;
    let mut hist = Vec::with_capacity(BUCKETS);
    for i in 0..BUCKETS {
        hist.push(row.try_get::<Option<i64>, _>(at + 5 + i)?.unwrap_or(0));
    }
    Ok(Agg {
        count: count.unwrap_or(0),
        errors: row.try_get::<Option<i64>, _>(at + 1)?.unwrap_or(0),
        sum_ms: row.try_get::<Option<f64>, _>(at + 2)?.unwrap_or(0.0),
        min_ms: row.try_get::<Option<f64>, _>(at + 3)?.unwrap_or(0.0),
        max_ms: row.try_get::<Option<f64>, _>(at + 4)?.unwrap_or(0.0),
        hist,
    })
}

/// Reads `route, method, server, tool` and the `agg_select` columns after them.
fn endpoint_from_row(r: &AnyRow) -> Result<EndpointAgg, StoreError> {
    Ok(EndpointAgg {
        route: r.try_get(0)?,
        method: r.try_get(1)?,
        server: r.try_get(2)?,
        tool: r.try_get(3)?,
        agg: agg_from_row(r, 4)?,
    })
}

/// Binds one request event's columns in `EVENT_COLS` order.
pub(crate) fn bind_request<'q>(q: AnyQuery<'q>, e: &RequestEvent) -> AnyQuery<'q> {
    q.bind(e.ts_ms)
        .bind(e.method.clone())
        .bind(e.route.clone())
        .bind(e.tool.clone())
        .bind(e.server.clone())
        .bind(i32::from(e.status))
        .bind(e.duration_ms)
        .bind(e.user_id.clone())
        .bind(e.role.clone())
        .bind(e.bytes_in)
        .bind(e.bytes_out)
        .bind(e.client_ip.clone())
        .bind(e.user_agent.clone())
        .bind(e.source.as_str())
        .bind(e.session_id.clone())
}

/// What `bind_agg` binds: count, errors, sum, min, max and the histogram.
pub(super) const AGG_PARAMS: usize = 5 + BUCKETS;

/// Binds an aggregate's columns in the order `upsert_sql` lists them.
pub(super) fn bind_agg<'q>(q: AnyQuery<'q>, a: &Agg) -> AnyQuery<'q> {
    let mut q = q
        .bind(a.count)
        .bind(a.errors)
        .bind(a.sum_ms)
        .bind(a.min_ms)
        .bind(a.max_ms);
    for &h in &a.hist {
        q = q.bind(h);
    }
    q
}

impl Store {
    fn upsert_sql(&self, table: &str, key_cols: &str, keys: usize, rows: usize) -> String {
        self.upsert_agg_sql(table, key_cols, keys, None, rows)
    }

    /// Upserts rows of keys, an optional counter summed on conflict (bound after the keys),
    /// and an aggregate (bound with [`bind_agg`]).
    pub(super) fn upsert_agg_sql(
        &self,
        table: &str,
        key_cols: &str,
        keys: usize,
        counter: Option<&str>,
        rows: usize,
    ) -> String {
        let hist = hist_cols();
        let per_row = keys + usize::from(counter.is_some()) + AGG_PARAMS;
        let counter_col = counter.map(|c| format!("{c}, ")).unwrap_or_default();
        let mut text = format!(
            "INSERT INTO {table} ({key_cols}, {counter_col}count, errors, sum_ms, min_ms, max_ms, {}) VALUES ",
            hist.join(", ")
        );
        text.push_str(&super::values(per_row, rows));
        let (least, greatest) = self.least_greatest();
        let counter_set = counter
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}, "))
            .unwrap_or_default();
        text.push_str(&format!(
            " ON CONFLICT ({key_cols}) DO UPDATE SET {counter_set}count = {table}.count + excluded.count, \
             errors = {table}.errors + excluded.errors, sum_ms = {table}.sum_ms + excluded.sum_ms, \
             min_ms = {least}({table}.min_ms, excluded.min_ms), \
             max_ms = {greatest}({table}.max_ms, excluded.max_ms)"
        ));
        for h in &hist {
            text.push_str(&format!(", {h} = {table}.{h} + excluded.{h}"));
        }
        self.sql(&text)
    }

    /// Writes request events and their rollups inside the caller's transaction.
    pub(super) async fn write_requests(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[RequestEvent],
        measured: &[Measured],
    ) -> Result<(), StoreError> {
        if events.is_empty() && measured.is_empty() {
            return Ok(());
        }
        if !events.is_empty() {
            insert_rows(
                tx,
                events,
                EVENT_PARAMS,
                |n| self.insert_sql("request_events", EVENT_COLS, n),
                bind_request,
            )
            .await?;
        }
        let mut minutes = rollup(events, MINUTE_MS);
        add_measured(&mut minutes, measured, MINUTE_MS);
        let hours = coarsen(&minutes, HOUR_MS);
        let days = coarsen(&hours, DAY_MS);
        let totals = [
            ("request_minute_total", bucket_totals(&minutes)),
            ("request_hour_total", bucket_totals(&hours)),
        ];
        let role_rows: Vec<((i64, i64, String), Agg)> =
            [(MINUTE_MS, &minutes), (HOUR_MS, &hours), (DAY_MS, &days)]
                .into_iter()
                .flat_map(|(span, map)| role_totals(map, span))
                .collect();
        for (res, map) in [
            (Resolution::Minute, minutes),
            (Resolution::Hour, hours),
            (Resolution::Day, days),
        ] {
            // Key order: concurrent writers (several instances on PostgreSQL) lock rows in the
            // same order and cannot deadlock.
            let mut rows: Vec<(RollKey, Agg)> = map.into_iter().collect();
            rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            insert_rows(
                tx,
                &rows,
                7 + AGG_PARAMS,
                |n| self.upsert_sql(res.table(), KEY_COLS, 7, n),
                |q, ((bucket, route, method, class, role, server, tool), a)| {
                    let q = q
                        .bind(*bucket)
                        .bind(route.clone())
                        .bind(method.clone())
                        .bind(*class)
                        .bind(role.clone())
                        .bind(server.clone())
                        .bind(tool.clone());
                    bind_agg(q, a)
                },
            )
            .await?;
        }
        self.write_role_totals(tx, &role_rows).await?;
        for (table, map) in totals {
            let mut rows: Vec<(i64, Agg)> = map.into_iter().collect();
            rows.sort_unstable_by_key(|r| r.0);
            insert_rows(
                tx,
                &rows,
                1 + AGG_PARAMS,
                |n| self.upsert_sql(table, "bucket_ms", 1, n),
                |q, (bucket, a)| bind_agg(q.bind(*bucket), a),
            )
            .await?;
        }
        self.write_user_minutes(tx, events).await
    }

    /// Per (span, bucket, role) totals: what the role views' latency reads.
    async fn write_role_totals(
        &self,
        tx: &mut sqlx::AnyConnection,
        rows: &[((i64, i64, String), Agg)],
    ) -> Result<(), StoreError> {
        let mut rows: Vec<&((i64, i64, String), Agg)> = rows.iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        insert_rows(
            tx,
            &rows,
            3 + AGG_PARAMS,
            |n| self.upsert_sql("request_role_rollup", "span_ms, bucket_ms, role", 3, n),
            |q, ((span, bucket, role), a)| {
                bind_agg(q.bind(*span).bind(*bucket).bind(role.clone()), a)
            },
        )
        .await?;
        Ok(())
    }

    /// Requests per (minute, role, user): what rate-limit usage reads.
    async fn write_user_minutes(
        &self,
        tx: &mut sqlx::AnyConnection,
        events: &[RequestEvent],
    ) -> Result<(), StoreError> {
        let mut counts: HashMap<(i64, &str, &str), i64> = HashMap::new();
        for e in events {
            if let (Some(role), Some(user)) = (&e.role, &e.user_id) {
                let bucket = e.ts_ms - e.ts_ms.rem_euclid(MINUTE_MS);
                *counts.entry((bucket, role, user)).or_default() += 1;
            }
        }
        let mut rows: Vec<_> = counts.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        insert_rows(
            tx,
            &rows,
            4,
            |n| self.add_counts_sql("request_user_minute", &["bucket_ms", "role", "user_id"], n),
            |q, ((bucket, role, user), n)| {
                q.bind(*bucket)
                    .bind(role.to_string())
                    .bind(user.to_string())
                    .bind(*n)
            },
        )
        .await?;
        Ok(())
    }

    /// Everything in `[from, to)` of one rollup table, summed.
    pub async fn traffic_totals(
        &self,
        res: Resolution,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Agg, StoreError> {
        let sql = self.sql(&format!(
            "SELECT {} FROM {} WHERE bucket_ms >= ? AND bucket_ms < ?",
            agg_select(),
            res.totals_table()
        ));
        let row = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(&self.pool)
            .await?;
        agg_from_row(&row, 0)
    }

    /// Per endpoint (route, method, server, tool) in `[from, to)`.
    pub async fn traffic_endpoints(
        &self,
        res: Resolution,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EndpointAgg>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT route, method, server, tool, {} FROM {} WHERE bucket_ms >= ? AND bucket_ms < ? \
             GROUP BY route, method, server, tool",
            agg_select(),
            res.table()
        ));
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// The distinct endpoint keys `(route, method, server, tool)` of one day's rollup, at most
    /// `limit` of them (the cap only needs to know whether the day is full).
    pub async fn endpoint_keys_of_day(
        &self,
        day_ms: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let sql = self.sql(
            "SELECT DISTINCT route, method, server, tool FROM request_day \
             WHERE bucket_ms = ? AND route <> ? LIMIT ?",
        );
        let rows = sqlx::query(&sql)
            .bind(day_ms)
            .bind(crate::model::OTHER)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect()
    }

    /// Per role over the spans `plan` gives; requests without a role are left out.
    pub async fn traffic_roles(
        &self,
        spans: &[(Resolution, i64, i64)],
    ) -> Result<HashMap<String, Agg>, StoreError> {
        let (filter, binds) = super::span_filter(spans);
        let sql = self.sql(&format!(
            "SELECT role, {} FROM request_role_rollup WHERE {filter} GROUP BY role",
            agg_select()
        ));
        let q = query_with(&sql, binds);
        let mut out = HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            out.insert(r.try_get(0)?, agg_from_row(&r, 1)?);
        }
        Ok(out)
    }

    /// The spans a window is read from: minutes for a minute-aligned window, otherwise hour
    /// edges and whole days.
    pub fn plan(res: Resolution, from_ms: i64, to_ms: i64) -> Vec<(Resolution, i64, i64)> {
        match res {
            Resolution::Minute => vec![(Resolution::Minute, from_ms, to_ms)],
            _ => Self::spans(from_ms, to_ms),
        }
    }

    /// Splits an hour-aligned `[from, to)` into hour edges and whole days, so long windows read
    /// one row per day instead of twenty-four.
    fn spans(from_ms: i64, to_ms: i64) -> Vec<(Resolution, i64, i64)> {
        let day_start = from_ms + (DAY_MS - from_ms.rem_euclid(DAY_MS)) % DAY_MS;
        let day_end = to_ms - to_ms.rem_euclid(DAY_MS);
        if from_ms.rem_euclid(HOUR_MS) != 0
            || to_ms.rem_euclid(HOUR_MS) != 0
            || day_start >= day_end
        {
            return vec![(Resolution::Hour, from_ms, to_ms)];
        }
        let mut out = Vec::with_capacity(3);
        if from_ms < day_start {
            out.push((Resolution::Hour, from_ms, day_start));
        }
        out.push((Resolution::Day, day_start, day_end));
        if day_end < to_ms {
            out.push((Resolution::Hour, day_end, to_ms));
        }
        out
    }

    /// Totals over an hour-aligned window, from hourly and daily rollups.
    pub async fn traffic_totals_long(&self, from_ms: i64, to_ms: i64) -> Result<Agg, StoreError> {
        let mut total = Agg::default();
        for (res, f, t) in Self::spans(from_ms, to_ms) {
            total.merge(&self.traffic_totals(res, f, t).await?);
        }
        Ok(total)
    }

    /// The first `limit` endpoints of the spans `plan` gives, in `order`, biggest first and
    /// ties by name. Grouping, ranking and the cut happen in the database, so a window with
    /// many distinct endpoints costs one scan and `limit` rows, not every endpoint decoded and
    /// sorted here.
    pub async fn top_endpoints(
        &self,
        spans: &[(Resolution, i64, i64)],
        order: EndpointOrder,
        limit: i64,
    ) -> Result<Vec<EndpointAgg>, StoreError> {
        let cols = format!(
            "route, method, server, tool, count, errors, sum_ms, min_ms, max_ms, {}",
            hist_cols().join(", ")
        );
        let mut parts = Vec::with_capacity(spans.len());
        let mut binds = Vec::with_capacity(spans.len() * 2 + 1);
        for &(res, from, to) in spans {
            parts.push(format!(
                "SELECT {cols} FROM {} WHERE bucket_ms >= ? AND bucket_ms < ?",
                res.table()
            ));
            binds.extend([from, to]);
        }
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let sums = agg_select_named(true);
        let real = self.real();
        let key = match order {
            EndpointOrder::Count => "c DESC".to_string(),
            EndpointOrder::Errors => format!("e DESC, CAST(e AS {real}) / c DESC"),
            EndpointOrder::Avg => "s / c DESC".to_string(),
            EndpointOrder::P95 => format!("{} DESC", self.quantile_sql(95)),
        };
        let by_name = self.bytewise();
        let sql = self.sql(&format!(
            "SELECT route, method, server, tool, c, e, s, mn, mx, {hist} FROM (\
             SELECT route, method, server, tool, {sums} FROM ({union}) spans \
             GROUP BY route, method, server, tool) g \
             ORDER BY {key}, route{by_name}, method{by_name}, tool{by_name}, server{by_name} \
             LIMIT ?",
            hist = hist_cols().join(", "),
            union = parts.join(" UNION ALL "),
        ));
        binds.push(limit.max(0));
        let q = query_with(&sql, binds);
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(endpoint_from_row)
            .collect()
    }

    /// `estimate_quantile(hist, pct / 100, mn, mx)` over the columns `c, mn, mx, h00…` as one
    /// SQL expression, computed in the same order of operations so SQL and Rust agree to the
    /// last bit: the first bucket whose running count reaches the rank, interpolated linearly
    /// inside it and clamped to the observed min and max.
    fn quantile_sql(&self, pct: i64) -> String {
        let (least, greatest) = self.least_greatest();
        let real = self.real();
        let hist = hist_cols();
        // ceil(pct/100 · c) in integers: what the f64 product gives for every count < 2^50.
        let rank = format!("(({pct} * c + 99) / 100)");
        let mut out = String::from("CASE");
        let mut seen = String::from("0");
        for (i, h) in hist.iter().enumerate() {
            let lo_bound = if i == 0 { 0.0 } else { BUCKET_BOUNDS_MS[i - 1] };
            let lo = format!("{greatest}(CAST({lo_bound:?} AS {real}), mn)");
            let hi = match BUCKET_BOUNDS_MS.get(i) {
                Some(b) => format!("{greatest}({least}(CAST({b:?} AS {real}), mx), {lo})"),
                None => format!("{greatest}(mx, {lo})"),
            };
            let through = format!("{seen} + {h}");
            out.push_str(&format!(
                " WHEN {h} > 0 AND {through} >= {rank} THEN {lo} + ({hi} - {lo}) * \
                 (CAST({rank} - ({seen}) AS {real}) / {h})"
            ));
            seen = through;
        }
        out.push_str(" ELSE mx END");
        out
    }
    /// Per bucket in `[from, to)`, oldest first.
    pub async fn traffic_series(
        &self,
        res: Resolution,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, Agg)>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT bucket_ms, {} FROM {} WHERE bucket_ms >= ? AND bucket_ms < ? \
             GROUP BY bucket_ms ORDER BY bucket_ms",
            agg_select(),
            res.totals_table()
        ));
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, agg_from_row(r, 1)?)))
            .collect()
    }

    /// The naive way, for comparison in the benchmark: group the raw rows.
    pub async fn naive_endpoint_counts(
        &self,
        from_ms: i64,
    ) -> Result<Vec<(String, String, i64, f64)>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT route, method, CAST(COUNT(*) AS BIGINT), CAST(AVG(duration_ms) AS {}) \
             FROM request_events WHERE ts_ms >= ? GROUP BY route, method",
            self.real()
        ));
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect()
    }

    pub async fn count_request_events(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM request_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn insert_system_sample(&self, s: &SystemSample) -> Result<(), StoreError> {
        let sql = self.sql(
            "INSERT INTO system_samples (ts_ms, cpu_pct, memory_used_bytes, memory_total_bytes, disk_pct) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (ts_ms) DO NOTHING",
        );
        sqlx::query(&sql)
            .bind(s.ts_ms)
            .bind(s.cpu_pct)
            .bind(s.memory_used_bytes)
            .bind(s.memory_total_bytes)
            .bind(s.disk_pct)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn latest_system_sample(&self) -> Result<Option<SystemSample>, StoreError> {
        let row = sqlx::query(
            "SELECT ts_ms, cpu_pct, memory_used_bytes, memory_total_bytes, disk_pct \
             FROM system_samples ORDER BY ts_ms DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SystemSample {
                ts_ms: r.try_get(0)?,
                cpu_pct: r.try_get(1)?,
                memory_used_bytes: r.try_get(2)?,
                memory_total_bytes: r.try_get(3)?,
                disk_pct: r.try_get(4)?,
            })
        })
        .transpose()
    }

    /// Average CPU and memory % per bucket in `[from, to)`.
    pub async fn system_series(
        &self,
        bucket_ms: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, f64, f64)>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT (ts_ms / ?) * ?, AVG(cpu_pct), \
             AVG(CAST(memory_used_bytes AS {}) * 100.0 / memory_total_bytes) \
             FROM system_samples WHERE ts_ms >= ? AND ts_ms < ? AND memory_total_bytes > 0 \
             GROUP BY 1 ORDER BY 1",
            self.real()
        ));
        let rows = sqlx::query(&sql)
            .bind(bucket_ms)
            .bind(bucket_ms)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Deletes what is past retention; returns rows deleted per table.
    pub async fn prune_traffic(
        &self,
        raw_before_ms: i64,
        minute_before_ms: i64,
        hour_before_ms: i64,
    ) -> Result<[u64; 10], StoreError> {
        let mut out = [0u64; 10];
        let jobs = [
            ("DELETE FROM request_events WHERE ts_ms < ?", raw_before_ms),
            (
                "DELETE FROM request_minute WHERE bucket_ms < ?",
                minute_before_ms,
            ),
            (
                "DELETE FROM request_hour WHERE bucket_ms < ?",
                hour_before_ms,
            ),
            // Samples feed the same charts as minute rollups and go with them.
            (
                "DELETE FROM system_samples WHERE ts_ms < ?",
                minute_before_ms,
            ),
            (
                "DELETE FROM request_day WHERE bucket_ms < ?",
                hour_before_ms,
            ),
            (
                "DELETE FROM request_minute_total WHERE bucket_ms < ?",
                minute_before_ms,
            ),
            (
                "DELETE FROM request_hour_total WHERE bucket_ms < ?",
                hour_before_ms,
            ),
            (
                "DELETE FROM request_user_minute WHERE bucket_ms < ?",
                minute_before_ms,
            ),
            (
                "DELETE FROM request_role_rollup WHERE span_ms = 60000 AND bucket_ms < ?",
                minute_before_ms,
            ),
            (
                "DELETE FROM request_role_rollup WHERE span_ms > 60000 AND bucket_ms < ?",
                hour_before_ms,
            ),
        ];
        for (i, (text, before)) in jobs.into_iter().enumerate() {
            let sql = self.sql(text);
            out[i] = sqlx::query(&sql)
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "traffic_tests.rs"]
mod tests;
