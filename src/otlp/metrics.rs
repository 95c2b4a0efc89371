//! MCP duration histograms to latency rollups: `mcp.server.operation.duration` and
//! `mcp.client.operation.duration` data points (per method, tool, server) become pre-aggregated
//! requests, their buckets re-bucketed onto Pulse's fixed histogram. Delta points are taken as
//! they come; cumulative ones are differenced against the series' previous point (the first
//! point of a series that began before Pulse did is only a baseline). Folding is opt-in
//! (`[otlp] fold_duration_metrics`); otherwise, and for every other metric, points are counted
//! and skipped.

use super::attrs::field::{ERROR, FIELDS, ROLE, ROUTE, SERVER, TOOL};
use super::attrs::Attrs;
use super::{Limits, Tally};
use crate::config::OtlpSettings;
use crate::events::Measured;
use crate::latency::{bucket_of, Agg, BUCKETS};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, HistogramDataPoint};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// The OpenTelemetry MCP conventions' duration histograms.
pub const DURATION_METRICS: [&str; 2] = [
    "mcp.server.operation.duration",
    "mcp.client.operation.duration",
];
/// Cumulative series remembered; beyond it the memory starts afresh (points become baselines).
const MAX_SERIES: usize = 10_000;
const DELTA: i32 = 1;
const CUMULATIVE: i32 = 2;

pub struct MetricMapper {
    names: HashMap<String, (usize, usize)>,
    fold: bool,
    /// Pulse's start: a cumulative series that began after it has been seen whole.
    started_ns: u64,
    last: Mutex<HashMap<u64, Prior>>,
}

/// A cumulative series' previous point.
#[derive(Clone)]
struct Prior {
    start: u64,
    count: u64,
    sum: f64,
    buckets: Vec<u64>,
}

#[derive(Debug, Default)]
pub struct MappedMetrics {
    pub measured: Vec<Measured>,
    pub tally: Tally,
}

fn points(data: &Option<Data>) -> usize {
    match data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

impl MetricMapper {
    pub fn new(s: &OtlpSettings) -> MetricMapper {
        MetricMapper {
            names: super::attrs::alias_names(s),
            fold: s.fold_duration_metrics,
            started_ns: crate::model::now_ms() as u64 * 1_000_000,
            last: Mutex::default(),
        }
    }

    pub fn map(&self, req: &ExportMetricsServiceRequest, limits: Limits) -> MappedMetrics {
        let mut out = MappedMetrics::default();
        for rm in &req.resource_metrics {
            let (on_resource, service) =
                super::attrs::on_resource(&self.names, rm.resource.as_ref());
            let service = service.map(|s| s.into_owned());
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    let n = points(&m.data) as u64;
                    if !self.fold || !DURATION_METRICS.contains(&m.name.as_str()) {
                        out.tally.skipped += n;
                        continue;
                    }
                    let Some(Data::Histogram(h)) = &m.data else {
                        for _ in 0..n {
                            out.tally
                                .reject(&m.name, "must be an explicit-bucket histogram".into());
                        }
                        continue;
                    };
                    let scale = if m.unit == "ms" { 1.0 } else { 1000.0 };
                    for p in &h.data_points {
                        let series = (&m.name, &service, format!("{:?}", p.attributes));
                        match self.point(
                            p,
                            h.aggregation_temporality,
                            series,
                            &on_resource,
                            service.as_deref(),
                            scale,
                            limits,
                        ) {
                            Ok(Some(measured)) => {
                                out.tally.accepted += 1;
                                out.measured.push(measured);
                            }
                            Ok(None) => out.tally.skipped += 1,
                            Err(reason) => out.tally.reject(&m.name, reason),
                        }
                    }
                }
            }
        }
        out
    }

    /// One data point as requests of one minute, `None` when it adds nothing (a baseline, or
    /// no new operations).
    #[allow(clippy::too_many_arguments)]
    fn point(
        &self,
        p: &HistogramDataPoint,
        temporality: i32,
        series: impl Hash,
        on_resource: &Attrs<'_, FIELDS>,
        service: Option<&str>,
        scale: f64,
        limits: Limits,
    ) -> Result<Option<Measured>, String> {
        let mut f = Attrs::<FIELDS>::default();
        f.find(&self.names, &p.attributes);
        f.fill_from(on_resource);
        let route = f
            .text(ROUTE)
            .ok_or("needs an MCP method attribute (mcp.method.name)")?;
        let bounds = &p.explicit_bounds;
        if p.bucket_counts.len() != bounds.len() + 1
            || bounds.iter().any(|b| !b.is_finite())
            || bounds.windows(2).any(|w| w[0] >= w[1])
        {
            return Err("needs ascending finite bounds and one more bucket than bounds".into());
        }
        if p.bucket_counts.iter().sum::<u64>() != p.count {
            return Err("bucket counts do not add up to the count".into());
        }
        let ts_ms = (p.time_unix_nano / 1_000_000) as i64;
        if ts_ms > limits.now_ms + limits.max_future_ms || ts_ms < limits.oldest_ms {
            return Err("its time is outside what Pulse keeps".into());
        }
        let sum = p.sum.unwrap_or(0.0);
        let (count, sum, buckets, exact) = match temporality {
            DELTA => (p.count, sum, p.bucket_counts.clone(), true),
            CUMULATIVE => {
                let mut h = std::hash::DefaultHasher::new();
                series.hash(&mut h);
                let key = h.finish();
                let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
                if last.len() >= MAX_SERIES && !last.contains_key(&key) {
                    last.clear();
                }
                let now = Prior {
                    start: p.start_time_unix_nano,
                    count: p.count,
                    sum,
                    buckets: p.bucket_counts.clone(),
                };
                let before = last.insert(key, now);
                match before {
                    Some(b)
                        if b.start == p.start_time_unix_nano
                            && b.buckets.len() == p.bucket_counts.len()
                            && b.count <= p.count =>
                    {
                        let buckets: Vec<u64> = p
                            .bucket_counts
                            .iter()
                            .zip(&b.buckets)
                            .map(|(n, o)| n.saturating_sub(*o))
                            .collect();
                        (p.count - b.count, sum - b.sum, buckets, false)
                    }
                    // A series Pulse saw begin (or one that restarted since): all of it is new.
                    _ if p.start_time_unix_nano >= self.started_ns => {
                        (p.count, sum, p.bucket_counts.clone(), true)
                    }
                    _ => return Ok(None),
                }
            }
            _ => return Err("needs delta or cumulative temporality".into()),
        };
        if count == 0 {
            return Ok(None);
        }
        // Each bucket's operations at its middle (the last, open one at 1.5 × its lower bound).
        let mut hist = vec![0i64; BUCKETS];
        let (mut lo_ms, mut hi_ms) = (f64::INFINITY, f64::NEG_INFINITY);
        for (i, &n) in buckets.iter().enumerate().filter(|(_, n)| **n > 0) {
            let lower = if i == 0 { 0.0 } else { bounds[i - 1].max(0.0) } * scale;
            let upper = bounds.get(i).map(|b| b * scale).unwrap_or(lower * 2.0);
            hist[bucket_of((lower + upper) / 2.0)] += n as i64;
            lo_ms = lo_ms.min(lower);
            hi_ms = hi_ms.max(upper);
        }
        let (min_ms, max_ms) = match (exact, p.min, p.max) {
            (true, Some(lo), Some(hi)) => (lo * scale, hi * scale),
            _ => (lo_ms, hi_ms),
        };
        let failed = f.text(ERROR).is_some_and(|v| !v.is_empty());
        let checked = |v: Option<std::borrow::Cow<'_, str>>, max: usize| {
            v.filter(|t| !t.is_empty() && crate::fields::text_problem(t, max).is_none())
                .map(|t| t.into_owned())
        };
        let route = checked(Some(route), 256).ok_or("the MCP method is not a valid name")?;
        Ok(Some(Measured {
            ts_ms,
            method: "POST".into(),
            route,
            tool: checked(f.text(TOOL), 128),
            server: checked(f.text(SERVER), 128).or(service.map(str::to_string)),
            status: if failed { 500 } else { 200 },
            role: f
                .text(ROLE)
                .and_then(|r| super::attrs::role_of(&r))
                .map(str::to_string),
            agg: Agg {
                count: count as i64,
                errors: if failed { count as i64 } else { 0 },
                sum_ms: (sum * scale).max(0.0),
                min_ms,
                max_ms,
                hist,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::metrics::v1::{
        Histogram, Metric, ResourceMetrics, ScopeMetrics,
    };

    const NOW_MS: i64 = 1_800_000_000_000;

    fn limits() -> Limits {
        Limits {
            now_ms: NOW_MS,
            max_future_ms: 300_000,
            oldest_ms: NOW_MS - 86_400_000,
        }
    }

    use crate::otlp::attrs::testkit::s;

    fn export(
        name: &str,
        temporality: i32,
        start: u64,
        points: Vec<(u64, Vec<u64>, f64)>,
    ) -> ExportMetricsServiceRequest {
        let data_points = points
            .into_iter()
            .map(|(t, buckets, sum)| HistogramDataPoint {
                attributes: vec![
                    s("mcp.method.name", "tools/call"),
                    s("gen_ai.tool.name", "search"),
                ],
                start_time_unix_nano: start,
                time_unix_nano: t,
                count: buckets.iter().sum(),
                sum: Some(sum),
                bucket_counts: buckets,
                explicit_bounds: vec![0.01, 0.1, 1.0],
                ..Default::default()
            })
            .collect();
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: None,
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: name.into(),
                        unit: "s".into(),
                        data: Some(Data::Histogram(Histogram {
                            data_points,
                            aggregation_temporality: temporality,
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn mapper(fold: bool) -> MetricMapper {
        MetricMapper::new(&OtlpSettings {
            fold_duration_metrics: fold,
            ..OtlpSettings::default()
        })
    }

    const T: u64 = (NOW_MS as u64 - 60_000) * 1_000_000;

    #[test]
    fn delta_points_become_requests_with_their_buckets() {
        let m = mapper(true).map(
            &export(
                DURATION_METRICS[0],
                DELTA,
                T - 1,
                vec![(T, vec![2, 3, 0, 1], 2.5)],
            ),
            limits(),
        );
        assert_eq!(m.tally.accepted, 1);
        let r = &m.measured[0];
        assert_eq!(
            (r.route.as_str(), r.tool.as_deref()),
            ("tools/call", Some("search"))
        );
        assert_eq!(r.agg.count, 6);
        assert_eq!(r.agg.sum_ms, 2500.0);
        // 0-10 ms → 5 ms, 10-100 ms → 55 ms, above 1 s → 1.5 s.
        assert_eq!(r.agg.hist[bucket_of(5.0)], 2);
        assert_eq!(r.agg.hist[bucket_of(55.0)], 3);
        assert_eq!(r.agg.hist[bucket_of(1500.0)], 1);
        assert_eq!((r.agg.min_ms, r.agg.max_ms), (0.0, 2000.0));
    }

    #[test]
    fn cumulative_points_are_differenced_and_old_series_start_as_baselines() {
        let fresh = mapper(true);
        // A series that began after Pulse started: its first point counts whole.
        let after = fresh.started_ns + 1;
        let e = export(
            DURATION_METRICS[1],
            CUMULATIVE,
            after,
            vec![(T, vec![1, 1, 0, 0], 0.06)],
        );
        assert_eq!(fresh.map(&e, limits()).measured[0].agg.count, 2);
        let e = export(
            DURATION_METRICS[1],
            CUMULATIVE,
            after,
            vec![(T + 1, vec![1, 4, 0, 0], 0.2)],
        );
        let second = fresh.map(&e, limits());
        assert_eq!(second.measured[0].agg.count, 3);
        assert!((second.measured[0].agg.sum_ms - 140.0).abs() < 1e-6);
        // One that began before Pulse: the first point is a baseline only.
        let old = mapper(true);
        let e = export(
            DURATION_METRICS[0],
            CUMULATIVE,
            1,
            vec![(T, vec![5, 5, 5, 5], 9.0)],
        );
        let first = old.map(&e, limits());
        assert_eq!((first.tally.accepted, first.tally.skipped), (0, 1));
    }

    #[test]
    fn off_by_default_other_metrics_skipped_and_bad_points_named() {
        let e = export(
            DURATION_METRICS[0],
            DELTA,
            T - 1,
            vec![(T, vec![1, 0, 0, 0], 0.001)],
        );
        let off = mapper(false).map(&e, limits());
        assert_eq!((off.tally.accepted, off.tally.skipped), (0, 1));
        let other = mapper(true).map(
            &export(
                "http.server.duration",
                DELTA,
                T - 1,
                vec![(T, vec![1, 0, 0, 0], 0.001)],
            ),
            limits(),
        );
        assert_eq!(other.tally.skipped, 1);
        let mut bad = export(
            DURATION_METRICS[0],
            DELTA,
            T - 1,
            vec![(T, vec![1, 0, 0, 0], 0.001)],
        );
        if let Some(Data::Histogram(h)) =
            &mut bad.resource_metrics[0].scope_metrics[0].metrics[0].data
        {
            h.data_points[0].explicit_bounds = vec![1.0, 0.1, 0.01];
        }
        let m = mapper(true).map(&bad, limits());
        assert_eq!(m.tally.rejected, 1);
        assert!(
            m.tally.message("data point").contains("ascending"),
            "{}",
            m.tally.message("data point")
        );
    }
}
