//! Builds the analytics answers from the store's rollups (never from raw rows).

use super::*;
use crate::span::Span;
use crate::store::{EndpointAgg, EndpointOrder, Resolution, Store, StoreError, HOUR_MS, MINUTE_MS};

pub(crate) fn floor_to(ts: i64, bucket: i64) -> i64 {
    ts - ts.rem_euclid(bucket)
}

/// Windows up to 6 h read minutes; longer ones read hours.
pub(crate) fn resolution_for(hours: u32) -> Resolution {
    if hours <= 6 {
        Resolution::Minute
    } else {
        Resolution::Hour
    }
}

/// `[from, to)` covering the last `hours`, aligned to the resolution's buckets, current bucket
/// included.
pub(crate) fn range(now: i64, hours: u32, res: Resolution) -> (i64, i64) {
    let b = res.bucket_ms();
    let to = floor_to(now, b) + b;
    (to - i64::from(hours) * HOUR_MS, to)
}

/// A span resolved against a clock: `[from, to)`, the rollup resolution it reads and the
/// rollup spans that cover it.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub from: i64,
    pub to: i64,
    pub res: Resolution,
    pub spans: Vec<(Resolution, i64, i64)>,
}

impl Frame {
    /// The last `span` up to `now`, current bucket included.
    pub fn last(now: i64, span: Span) -> Frame {
        let res = resolution_for(span.hours());
        let (from, to) = range(now, span.hours(), res);
        Frame::between(res, from, to)
    }

    /// `[from, to)` at `res`.
    pub fn between(res: Resolution, from: i64, to: i64) -> Frame {
        Frame {
            from,
            to,
            res,
            spans: Store::plan(res, from, to),
        }
    }

    /// The frame of equal length just before this one (for trend arrows).
    pub fn previous(&self) -> Frame {
        let len = self.to - self.from;
        Frame::between(self.res, self.from - len, self.from)
    }
}

pub fn totals(a: &Agg) -> Totals {
    Totals {
        requests: a.count,
        errors: a.errors,
        error_rate_pct: a.error_pct(),
        avg_ms: a.avg_ms(),
        p50_ms: a.quantile(0.50),
        p95_ms: a.quantile(0.95),
        p99_ms: a.quantile(0.99),
    }
}

fn endpoint(e: &EndpointAgg) -> EndpointStat {
    let a = &e.agg;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    EndpointStat {
        route: e.route.clone(),
        method: e.method.clone(),
        server: some(&e.server),
        tool: some(&e.tool),
        count: a.count,
        errors: a.errors,
        error_pct: a.error_pct(),
        avg_ms: a.avg_ms(),
        p50_ms: a.quantile(0.50),
        p95_ms: a.quantile(0.95),
        p99_ms: a.quantile(0.99),
        max_ms: (a.count > 0).then(|| round2(a.max_ms)),
    }
}

fn system_now(s: crate::store::SystemSample) -> SystemNow {
    SystemNow {
        ts_ms: s.ts_ms,
        cpu_pct: round2(s.cpu_pct),
        memory_pct: if s.memory_total_bytes > 0 {
            round2(s.memory_used_bytes as f64 * 100.0 / s.memory_total_bytes as f64)
        } else {
            0.0
        },
        memory_used_bytes: s.memory_used_bytes,
        memory_total_bytes: s.memory_total_bytes,
        disk_pct: round2(s.disk_pct),
    }
}

pub async fn real_time(store: &Store, now: i64) -> Result<RealTime, StoreError> {
    let last_hour = Frame::last(now, Span::H1);
    let hour = store
        .traffic_totals(last_hour.res, last_hour.from, last_hour.to)
        .await?;
    // The last full minute: the current one is still filling.
    let minute_start = floor_to(now, MINUTE_MS) - MINUTE_MS;
    let minute = store
        .traffic_totals(Resolution::Minute, minute_start, minute_start + MINUTE_MS)
        .await?;
    let (top, slowest) = tokio::try_join!(
        store.top_endpoints(&last_hour.spans, EndpointOrder::Count, 10),
        store.top_endpoints(&last_hour.spans, EndpointOrder::P95, 10),
    )?;
    Ok(RealTime {
        requests_per_minute: round2(hour.count as f64 / 60.0),
        requests_per_second: round2(minute.count as f64 / 60.0),
        last_hour: totals(&hour),
        last_minute: totals(&minute),
        system: store.latest_system_sample().await?.map(system_now),
        top_endpoints: top.iter().map(endpoint).collect(),
        slowest_endpoints: slowest.iter().map(endpoint).collect(),
        generated_at_ms: now,
    })
}

/// Trend buckets over the last `hours` (1..=720), every bucket present (zero when quiet).
pub async fn trends(store: &Store, now: i64, hours: u32) -> Result<Trends, StoreError> {
    let res = resolution_for(hours);
    let b = res.bucket_ms();
    let (from, to) = range(now, hours, res);
    let series = store.traffic_series(res, from, to).await?;
    let system = store.system_series(b, from, to).await?;
    let mut by_bucket: std::collections::HashMap<i64, Agg> = series.into_iter().collect();
    let sys: std::collections::HashMap<i64, (f64, f64)> =
        system.into_iter().map(|(t, c, m)| (t, (c, m))).collect();
    let mut points = Vec::with_capacity(((to - from) / b) as usize);
    let mut t = from;
    while t < to {
        let a = by_bucket.remove(&t).unwrap_or_default();
        let s = sys.get(&t);
        points.push(TrendPoint {
            ts_ms: t,
            requests: a.count,
            errors: a.errors,
            error_rate_pct: a.error_pct(),
            avg_ms: a.avg_ms(),
            p50_ms: a.quantile(0.50),
            p95_ms: a.quantile(0.95),
            cpu_pct: s.map(|s| round2(s.0)),
            memory_pct: s.map(|s| round2(s.1)),
        });
        t += b;
    }
    Ok(Trends {
        hours,
        bucket_ms: b,
        points,
        generated_at_ms: now,
    })
}

pub async fn summary(store: &Store, now: i64, period: Span) -> Result<Summary, StoreError> {
    let f = Frame::last(now, period);
    let agg = match f.res {
        Resolution::Minute => store.traffic_totals(f.res, f.from, f.to).await?,
        _ => store.traffic_totals_long(f.from, f.to).await?,
    };
    Ok(Summary {
        period: period.as_str().to_string(),
        totals: totals(&agg),
        system: store.latest_system_sample().await?.map(system_now),
        trends: trends(store, now, period.hours()).await?,
    })
}

pub async fn endpoints(
    store: &Store,
    now: i64,
    window: Span,
    sort: SortBy,
    limit: usize,
) -> Result<Endpoints, StoreError> {
    let rows = store
        .top_endpoints(&Frame::last(now, window).spans, sort.order(), limit as i64)
        .await?;
    let list: Vec<EndpointStat> = rows.iter().map(endpoint).collect();
    Ok(Endpoints {
        window: window.as_str().to_string(),
        sort: sort.as_str().to_string(),
        endpoints: list,
        generated_at_ms: now,
    })
}

/// The Requests page: up to 100 endpoints in `sort` order and the 10 slowest by p95, read
/// side by side.
pub async fn requests_page(
    store: &Store,
    now: i64,
    window: Span,
    sort: SortBy,
) -> Result<RequestsPage, StoreError> {
    let (endpoints, slowest) = tokio::try_join!(
        endpoints(store, now, window, sort, 100),
        endpoints(store, now, window, SortBy::P95, 10),
    )?;
    Ok(RequestsPage {
        endpoints,
        slowest: slowest.endpoints,
        ..RequestsPage::default()
    })
}
