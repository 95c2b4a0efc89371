//! Prometheus metrics: the registry, the per-request middleware and the component gauges.

mod auth;

use crate::model::Status;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::time::{Duration, Instant};

/// Cloned into every request's state: one pointer, not sixteen metric handles.
#[derive(Clone)]
pub struct Metrics(std::sync::Arc<Series>);

pub struct Series {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    component_status: IntGaugeVec,
    component_up: IntGaugeVec,
    check_duration: HistogramVec,
    health_score: Gauge,
    ingested: IntCounterVec,
    ingest_rejected: IntCounterVec,
    ingest_batch: prometheus::Histogram,
    queue_depth: prometheus::IntGauge,
    role_actions: IntCounterVec,
    role_active_users: IntGaugeVec,
    endpoints_folded: prometheus::IntCounter,
    alerts: IntGaugeVec,
    alert_notifications: IntCounterVec,
    /// `pulse_otlp_spans_total`, `..._log_records_total`, `..._data_points_total`.
    otlp: [IntCounterVec; 3],
    /// Seed 000's authentication series.
    pub auth: auth::AuthSeries,
}

impl std::ops::Deref for Metrics {
    type Target = Series;
    fn deref(&self) -> &Series {
        &self.0
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// Why ingest refuses a request (the `reason` label).
pub const REJECT_REASONS: [&str; 6] = [
    "unauthorized",
    "body_too_large",
    "batch_too_large",
    "invalid",
    "queue_full",
    "store_error",
];

/// The OTLP signals Pulse receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpSignal {
    Spans = 0,
    LogRecords = 1,
    DataPoints = 2,
}

/// What became of an OTLP item.
pub const OTLP_OUTCOMES: [&str; 4] = ["accepted", "skipped", "nested", "rejected"];

/// Latency buckets in seconds, from sub-millisecond local calls to slow remote checks.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let r = Registrar(Registry::new());
        let http_requests = r.add(counter_vec(
            "http_requests_total",
            "HTTP requests served by Pulse.",
            &["method", "route", "status"],
        )?)?;
        let http_duration = r.add(histogram_vec(
            "http_request_duration_seconds",
            "Time to produce HTTP responses, by matched route.",
            &["method", "route"],
        )?)?;
        let component_status = r.add(gauge_vec(
            "pulse_component_status",
            "1 for the component's current (damped) status, 0 for the others.",
            &["component", "status"],
        )?)?;
        let component_up = r.add(gauge_vec(
            "pulse_component_up",
            "1 when the component is healthy or degraded, 0 otherwise.",
            &["component"],
        )?)?;
        let check_duration = r.add(histogram_vec(
            "pulse_check_duration_seconds",
            "Duration of health check runs.",
            &["component"],
        )?)?;
        let health_score = r.add(Gauge::with_opts(Opts::new(
            "pulse_health_score",
            "Overall health score, 0-100.",
        ))?)?;
        r.add(gauge_vec(
            "pulse_build_info",
            "Build information; always 1.",
            &["version"],
        )?)?
        .with_label_values(&[env!("CARGO_PKG_VERSION")])
        .set(1);
        let ingested = r.add(counter_vec(
            "pulse_ingested_events_total",
            "Request events committed to the store, by kind (ingest, self).",
            &["kind"],
        )?)?;
        let ingest_rejected = r.add(counter_vec(
            "pulse_ingest_rejected_total",
            "Ingest requests refused, by reason.",
            &["reason"],
        )?)?;
        let ingest_batch = r.add(prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "pulse_ingest_batch_size",
                "Events per accepted ingest request.",
            )
            .buckets(vec![
                1.0, 10.0, 100.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 50000.0,
            ]),
        )?)?;
        let queue_depth = r.add(prometheus::IntGauge::with_opts(Opts::new(
            "pulse_writer_queue_depth",
            "Events accepted but not yet committed by the batching writer.",
        ))?)?;
        // Both label sets are bounded: roles are validated and categories come from config.
        let role_actions = r.add(counter_vec(
            "pulse_role_actions_total",
            "Audit events committed, by actor role and action category.",
            &["role", "category"],
        )?)?;
        let role_active_users = r.add(gauge_vec(
            "pulse_role_active_users",
            "Distinct actors with audit events in the last 24 hours, by role.",
            &["role"],
        )?)?;
        let endpoints_folded = r.add(prometheus::IntCounter::with_opts(Opts::new(
            "pulse_endpoints_folded_total",
            "Request events stored as route `other` because their day already had \
             ingest.max_endpoints_per_day distinct endpoints.",
        ))?)?;
        // Bounded: states and severities are fixed lists, channels come from config.
        let alerts = r.add(gauge_vec(
            "pulse_alerts",
            "Alert instances by state and severity.",
            &["state", "severity"],
        )?)?;
        let alert_notifications = r.add(counter_vec(
            "pulse_alert_notifications_total",
            "Notification delivery attempts by channel and outcome (delivered, failed, gave_up).",
            &["channel", "outcome"],
        )?)?;
        // Bounded: a fixed list of outcomes per signal.
        let otlp_counter = |signal: &str| {
            r.add(counter_vec(
                &format!("pulse_otlp_{signal}_total"),
                &format!(
                    "OTLP {} received, by outcome (accepted; skipped: not an MCP operation or \
                     audit event; nested: inside another MCP span of the same trace; rejected).",
                    signal.replace('_', " ")
                ),
                &["outcome"],
            )?)
        };
        let otlp = [
            otlp_counter("spans")?,
            otlp_counter("log_records")?,
            otlp_counter("data_points")?,
        ];
        let auth = auth::AuthSeries::new(&r)?;
        let m = Metrics(std::sync::Arc::new(Series {
            auth,
            otlp,
            alerts,
            alert_notifications,
            endpoints_folded,
            registry: r.0,
            http_requests,
            http_duration,
            component_status,
            component_up,
            check_duration,
            health_score,
            ingested,
            ingest_rejected,
            ingest_batch,
            queue_depth,
            role_actions,
            role_active_users,
        }));
        m.prime();
        Ok(m)
    }

    /// Series of bounded label sets start at zero, so a rate or an alert sees them before
    /// their first event.
    fn prime(&self) {
        for reason in REJECT_REASONS {
            self.ingest_rejected.with_label_values(&[reason]).inc_by(0);
        }
        for series in &self.otlp {
            for outcome in OTLP_OUTCOMES {
                series.with_label_values(&[outcome]).inc_by(0);
            }
        }
        for kind in ["ingest", "self", "audit", "otlp"] {
            self.ingested.with_label_values(&[kind]).inc_by(0);
        }
        for role in crate::model::ROLES {
            self.role_active_users.with_label_values(&[role]).set(0);
        }
        self.auth.prime();
    }

    /// Sets every (state, severity) pair, zero where no instance is in it.
    pub fn set_alerts(&self, counts: &std::collections::HashMap<(&str, &str), i64>) {
        for state in ["pending", "firing", "no_data"] {
            for sev in crate::model::SEVERITIES {
                let n = counts.get(&(state, sev)).copied().unwrap_or(0);
                self.alerts.with_label_values(&[state, sev]).set(n);
            }
        }
    }

    /// `channel` is a configured channel's name and `outcome` one of three words.
    pub fn alert_notification(&self, channel: &str, outcome: &str) {
        self.alert_notifications
            .with_label_values(&[channel, outcome])
            .inc();
    }

    /// Each configured channel's series start at zero.
    pub fn prime_channels(&self, channels: &[String]) {
        for c in channels {
            for outcome in ["delivered", "failed", "gave_up"] {
                self.alert_notifications
                    .with_label_values(&[c.as_str(), outcome])
                    .inc_by(0);
            }
        }
    }

    /// Counts OTLP items of one signal by outcome (one of [`OTLP_OUTCOMES`]).
    pub fn otlp(&self, signal: OtlpSignal, outcome: &'static str, n: u64) {
        if n > 0 {
            self.otlp[signal as usize]
                .with_label_values(&[outcome])
                .inc_by(n);
        }
    }

    pub fn ingested(&self, kind: &str, n: usize) {
        self.ingested.with_label_values(&[kind]).inc_by(n as u64);
    }

    /// `reason` is one of `REJECT_REASONS`, so the label set stays bounded.
    pub fn ingest_rejected(&self, reason: &'static str) {
        self.ingest_rejected.with_label_values(&[reason]).inc();
    }

    pub fn role_actions(&self, events: &[crate::events::AuditEvent]) {
        let mut counts: std::collections::HashMap<(&str, &str), u64> =
            std::collections::HashMap::new();
        for e in events {
            *counts.entry((&e.actor_role, &e.category)).or_default() += 1;
        }
        for ((role, category), n) in counts {
            self.role_actions
                .with_label_values(&[role, category])
                .inc_by(n);
        }
    }

    pub fn set_role_active_users(&self, role: &str, n: i64) {
        self.role_active_users.with_label_values(&[role]).set(n);
    }

    pub fn endpoints_folded(&self, n: usize) {
        self.endpoints_folded.inc_by(n as u64);
    }

    pub fn ingest_batch(&self, n: usize) {
        self.ingest_batch.observe(n as f64);
    }

    pub fn set_queue_depth(&self, n: usize) {
        self.queue_depth.set(n as i64);
    }

    /// Sets the status gauges so exactly one status per component reads 1.
    pub fn set_component_status(&self, component: &str, status: Status) {
        for s in Status::ALL {
            self.component_status
                .with_label_values(&[capped(component), s.as_str()])
                .set(i64::from(s == status));
        }
        let up = matches!(status, Status::Healthy | Status::Degraded);
        self.component_up
            .with_label_values(&[capped(component)])
            .set(i64::from(up));
    }

    pub fn observe_check(&self, component: &str, took: Duration) {
        self.check_duration
            .with_label_values(&[capped(component)])
            .observe(took.as_secs_f64());
    }

    pub fn set_health_score(&self, score: f64) {
        self.health_score.set(score);
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let route = capped(route);
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// The registry in Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Route label for a request: the matched pattern, never the raw URI, so label sets stay
/// bounded. Requests no route matched are static files when served, else `unmatched`.
pub fn route_label(matched: Option<&MatchedPath>, status: u16) -> String {
    match matched {
        Some(p) => p.as_str().to_string(),
        None if status == 404 => "unmatched".to_string(),
        None => "static".to_string(),
    }
}

/// Longest label value Pulse writes: every label already comes from a bounded set, and this
/// keeps one oversized value (a long component name, say) from bloating every scrape.
pub const MAX_LABEL_CHARS: usize = 128;

fn capped(v: &str) -> &str {
    match v.char_indices().nth(MAX_LABEL_CHARS) {
        Some((i, _)) => &v[..i],
        None => v,
    }
}

/// Middleware counting and timing every request.
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let method = crate::model::method_label(req.method().as_str());
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let route = route_label(matched.as_ref(), status);
    metrics.observe_request(method, &route, status, started.elapsed());
    resp
}
/// Registers each collector as it is made, and hands it back.
struct Registrar(Registry);

impl Registrar {
    fn add<T: prometheus::core::Collector + Clone + 'static>(
        &self,
        c: T,
    ) -> Result<T, prometheus::Error> {
        self.0.register(Box::new(c.clone()))?;
        Ok(c)
    }
}

fn counter_vec(
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntCounterVec, prometheus::Error> {
    IntCounterVec::new(Opts::new(name, help), labels)
}

fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec, prometheus::Error> {
    IntGaugeVec::new(Opts::new(name, help), labels)
}

/// Latency histograms share `BUCKETS`.
fn histogram_vec(
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<HistogramVec, prometheus::Error> {
    HistogramVec::new(
        HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()),
        labels,
    )
}
