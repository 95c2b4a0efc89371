//! Request events, their minute/hour rollups and host samples: the traffic side of the store.
//!
//! Every write lands raw rows and both rollups in one transaction, so a committed batch is
//! visible to every reader at once and an acknowledged batch is never half-stored.

use super::rollup::{bucket_totals, coarsen, role_totals, rollup, RollKey};
use super::{insert_rows, query_with, AnyQuery};
use super::{Store, StoreError};
use crate::events::RequestEvent;
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

const EVENT_COLS: &str = "ts_ms, method, route, tool, server, status, duration_ms, user_id, \
                          role, bytes_in, bytes_out, client_ip, user_agent, source";
const EVENT_PARAMS: usize = 14;
const KEY_COLS: &str = "bucket_ms, route, method, status_class, role, server, tool";

fn hist_cols() -> Vec<String> {
    (0..BUCKETS).map(|i| format!("h{i:02}")).collect()
}

/// `CAST(SUM(h00) AS BIGINT), …`: sums come back as plain integers on both backends.
fn agg_select() -> String {
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
fn agg_from_row(row: &AnyRow, at: usize) -> Result<Agg, StoreError> {
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

/// What `bind_agg` binds: count, errors, sum, min, max and the histogram.
const AGG_PARAMS: usize = 5 + BUCKETS;

/// Binds an aggregate's columns in the order `upsert_sql` lists them.
fn bind_agg<'q>(q: AnyQuery<'q>, a: &Agg) -> AnyQuery<'q> {
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
        let hist = hist_cols();
        let per_row = keys + AGG_PARAMS;
        let mut text = format!(
            "INSERT INTO {table} ({key_cols}, count, errors, sum_ms, min_ms, max_ms, {}) VALUES ",
            hist.join(", ")
        );
        text.push_str(&super::values(per_row, rows));
        let (least, greatest) = self.least_greatest();
        text.push_str(&format!(
            " ON CONFLICT ({key_cols}) DO UPDATE SET count = {table}.count + excluded.count, \
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
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        insert_rows(
            tx,
            events,
            EVENT_PARAMS,
            |n| self.insert_sql("request_events", EVENT_COLS, n),
            |q, e| {
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
            },
        )
        .await?;
        let minutes = rollup(events, MINUTE_MS);
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
mod tests {
    use super::*;
    use crate::events::EventSource;
    use crate::latency::{bucket_of, estimate_quantile};

    fn random_events(rng: &mut fastrand::Rng, base: i64, n: usize, tag: &str) -> Vec<RequestEvent> {
        let routes = [
            "tools/call",
            "tools/list",
            "resources/read",
            "/api/servers",
            "/api/keys",
        ];
        let tools = ["", "search", "fetch", "summarize"];
        let roles = ["admin", "viewer", "guest", ""];
        (0..n)
            .map(|_| {
                let tool = tools[rng.usize(..tools.len())];
                let role = roles[rng.usize(..roles.len())];
                RequestEvent {
                    ts_ms: base + rng.i64(0..3 * HOUR_MS),
                    method: if rng.bool() { "POST" } else { "GET" }.into(),
                    route: format!("{tag}{}", routes[rng.usize(..routes.len())]),
                    tool: (!tool.is_empty()).then(|| tool.to_string()),
                    server: Some("srv".into()).filter(|_| !tool.is_empty()),
                    status: [200, 200, 200, 201, 404, 500][rng.usize(..6)],
                    duration_ms: (rng.f64() * rng.f64() * 2000.0).max(0.1),
                    user_id: Some(format!("u{}", rng.u8(..20))),
                    role: (!role.is_empty()).then(|| role.to_string()),
                    bytes_in: Some(100),
                    bytes_out: None,
                    client_ip: Some("10.1.2.0".into()),
                    user_agent: None,
                    source: EventSource::Ingest,
                }
            })
            .collect()
    }

    /// Rollups against exact computation: counts exact, percentiles in the exact value's bucket.
    async fn rollups_match_exact(store: &Store, base: i64, tag: &str) {
        let mut rng = fastrand::Rng::with_seed(42);
        let mut all = Vec::new();
        for n in [1500, 2500, 1000] {
            let batch = random_events(&mut rng, base, n, tag);
            store.insert_requests(&batch).await.unwrap();
            all.extend(batch);
        }
        let end = base + 3 * HOUR_MS;
        let minute = store
            .traffic_totals(Resolution::Minute, base, end)
            .await
            .unwrap();
        let hour = store
            .traffic_totals(Resolution::Hour, base, end)
            .await
            .unwrap();
        assert_eq!(minute.count, all.len() as i64);
        assert_eq!(hour.count, minute.count);
        assert_eq!(hour.hist, minute.hist);
        let errors = all.iter().filter(|e| e.status >= 400).count() as i64;
        assert_eq!(minute.errors, errors);
        let sum: f64 = all.iter().map(|e| e.duration_ms).sum();
        assert!((minute.sum_ms - sum).abs() < 1e-6 * sum);

        let mut groups: HashMap<(String, String, String), Vec<f64>> = HashMap::new();
        for e in &all {
            groups
                .entry((
                    e.route.clone(),
                    e.method.clone(),
                    e.tool.clone().unwrap_or_default(),
                ))
                .or_default()
                .push(e.duration_ms);
        }
        let endpoints = store
            .traffic_endpoints(Resolution::Minute, base, end)
            .await
            .unwrap();
        assert_eq!(endpoints.len(), groups.len());
        for ep in &endpoints {
            let mut exact = groups[&(ep.route.clone(), ep.method.clone(), ep.tool.clone())].clone();
            assert_eq!(ep.agg.count, exact.len() as i64, "{ep:?}");
            exact.sort_by(f64::total_cmp);
            assert_eq!(ep.agg.min_ms, exact[0]);
            assert_eq!(ep.agg.max_ms, exact[exact.len() - 1]);
            for q in [0.5, 0.95, 0.99] {
                let n = exact.len();
                let want = exact[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
                let got = estimate_quantile(&ep.agg.hist, q, ep.agg.min_ms, ep.agg.max_ms).unwrap();
                assert_eq!(bucket_of(got), bucket_of(want), "{} q={q}", ep.route);
            }
        }
        let series = store
            .traffic_series(Resolution::Hour, base, end)
            .await
            .unwrap();
        assert_eq!(series.len(), 3);
        for (t, a) in series {
            let n = all
                .iter()
                .filter(|e| e.ts_ms >= t && e.ts_ms < t + HOUR_MS)
                .count();
            assert_eq!(a.count, n as i64);
        }
        let day = store
            .traffic_totals(Resolution::Day, base - DAY_MS, end + DAY_MS)
            .await
            .unwrap();
        assert_eq!((day.count, &day.hist), (minute.count, &minute.hist));
        let long = store
            .top_endpoints(
                &Store::plan(Resolution::Hour, base - 2 * DAY_MS, end + 3 * HOUR_MS),
                EndpointOrder::Count,
                1000,
            )
            .await
            .unwrap();
        assert_eq!(long.len(), endpoints.len());
        for ep in &long {
            let n = groups[&(ep.route.clone(), ep.method.clone(), ep.tool.clone())].len();
            assert_eq!(
                ep.agg.count, n as i64,
                "long window mixes hours and days exactly"
            );
        }
        top_n_matches_a_full_sort(store, base, end, &endpoints).await;
        let total = store
            .traffic_totals_long(base - 2 * DAY_MS, end + 3 * HOUR_MS)
            .await
            .unwrap();
        assert_eq!(total.count, all.len() as i64);
        let per_minute = store
            .traffic_series(Resolution::Minute, base, end)
            .await
            .unwrap();
        assert_eq!(
            per_minute.iter().map(|(_, a)| a.count).sum::<i64>(),
            all.len() as i64
        );
    }

    /// What the database ranks and cuts must equal every endpoint decoded and sorted here, for
    /// every order, over minute spans and over mixed hour/day spans.
    async fn top_n_matches_a_full_sort(store: &Store, base: i64, end: i64, all: &[EndpointAgg]) {
        let key = |e: &EndpointAgg| {
            (
                e.route.clone(),
                e.method.clone(),
                e.tool.clone(),
                e.server.clone(),
            )
        };
        let rank = |e: &EndpointAgg, order: EndpointOrder| -> (f64, f64) {
            let a = &e.agg;
            match order {
                EndpointOrder::Count => (a.count as f64, 0.0),
                EndpointOrder::Errors => (a.errors as f64, a.errors as f64 / a.count as f64),
                EndpointOrder::Avg => (a.sum_ms / a.count as f64, 0.0),
                EndpointOrder::P95 => (
                    estimate_quantile(&a.hist, 0.95, a.min_ms, a.max_ms).unwrap(),
                    0.0,
                ),
            }
        };
        for order in [
            EndpointOrder::Count,
            EndpointOrder::Errors,
            EndpointOrder::Avg,
            EndpointOrder::P95,
        ] {
            let mut want = all.to_vec();
            want.sort_by(|a, b| {
                let (ra, rb) = (rank(a, order), rank(b, order));
                rb.0.total_cmp(&ra.0)
                    .then(rb.1.total_cmp(&ra.1))
                    .then_with(|| key(a).cmp(&key(b)))
            });
            for limit in [1, 3, 7, 1000] {
                for spans in [
                    Store::plan(Resolution::Minute, base, end),
                    Store::plan(Resolution::Hour, base - 2 * DAY_MS, end + 3 * HOUR_MS),
                ] {
                    let got = store.top_endpoints(&spans, order, limit).await.unwrap();
                    let expect: Vec<_> = want.iter().take(limit as usize).collect();
                    assert_eq!(got.len(), expect.len(), "{order:?} limit {limit}");
                    for (g, w) in got.iter().zip(&expect) {
                        assert_eq!(key(g), key(w), "{order:?} limit {limit}");
                        assert_eq!(g.agg.count, w.agg.count);
                        assert_eq!(g.agg.hist, w.agg.hist);
                    }
                }
            }
        }
        assert!(store
            .top_endpoints(&[], EndpointOrder::Count, 5)
            .await
            .unwrap()
            .is_empty());
    }

    async fn sqlite() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn sqlite_rollups_match_exact_computation() {
        let (store, _dir) = sqlite().await;
        rollups_match_exact(&store, 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS, "").await;
        assert_eq!(store.count_request_events().await.unwrap(), 5000);
    }

    #[tokio::test]
    async fn postgres_rollups_match_exact_computation() {
        let Some(pg) = crate::store::testing::PgSchema::create("rollups").await else {
            return;
        };
        let base = 631_152_000_000;
        rollups_match_exact(&pg.store, base, "t").await;
        pg.drop().await;
    }

    #[tokio::test]
    async fn retention_drops_each_table_at_its_own_age() {
        let (store, _dir) = sqlite().await;
        let mut rng = fastrand::Rng::with_seed(1);
        let base = 100 * HOUR_MS;
        store
            .insert_requests(&random_events(&mut rng, base, 300, ""))
            .await
            .unwrap();
        let sample = |ts| SystemSample {
            ts_ms: ts,
            cpu_pct: 10.0,
            memory_used_bytes: 1,
            memory_total_bytes: 4,
            disk_pct: 50.0,
        };
        store.insert_system_sample(&sample(base)).await.unwrap();
        store
            .insert_system_sample(&sample(base + 2 * HOUR_MS))
            .await
            .unwrap();
        // Raw rows before base+1h go; minute rollups before base+2h; hourly rollups stay.
        let gone = store
            .prune_traffic(base + HOUR_MS, base + 2 * HOUR_MS, base)
            .await
            .unwrap();
        assert!(
            gone[0] > 50 && gone[1] > 50 && gone[2] == 0 && gone[3] == 1,
            "{gone:?}"
        );
        let left = store.count_request_events().await.unwrap();
        assert_eq!(left as u64, 300 - gone[0]);
        let minutes = store
            .traffic_totals(Resolution::Minute, 0, i64::MAX)
            .await
            .unwrap();
        let hours = store
            .traffic_totals(Resolution::Hour, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!(hours.count, 300, "hourly rollups keep the full history");
        assert!(minutes.count < 300 && minutes.count > 0);
        assert_eq!(
            store.latest_system_sample().await.unwrap().unwrap().ts_ms,
            base + 2 * HOUR_MS
        );
    }
}
