//! Traffic analytics: the shapes the APIs and pages show (the latency histogram they are built
//! from lives in the leaf `latency`). Server-side queries live in `service`.

use serde::{Deserialize, Serialize};

pub mod auth;
#[cfg(feature = "ssr")]
pub mod auth_service;
#[cfg(feature = "ssr")]
pub mod recent;
pub mod roles;
#[cfg(feature = "ssr")]
pub mod roles_service;
#[cfg(feature = "ssr")]
pub mod service;

pub use crate::latency::{bucket_of, estimate_quantile, round2, Agg, BUCKETS, BUCKET_BOUNDS_MS};

/// How the endpoint table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    #[default]
    Count,
    Errors,
    Avg,
    P95,
}

impl SortBy {
    pub const ALL: [SortBy; 4] = [SortBy::Count, SortBy::Errors, SortBy::Avg, SortBy::P95];
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Count => "count",
            SortBy::Errors => "errors",
            SortBy::Avg => "avg",
            SortBy::P95 => "p95",
        }
    }
    pub fn parse(s: &str) -> Option<SortBy> {
        SortBy::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The store's ranking for this column.
    #[cfg(feature = "ssr")]
    pub fn order(self) -> crate::store::EndpointOrder {
        use crate::store::EndpointOrder;
        match self {
            SortBy::Count => EndpointOrder::Count,
            SortBy::Errors => EndpointOrder::Errors,
            SortBy::Avg => EndpointOrder::Avg,
            SortBy::P95 => EndpointOrder::P95,
        }
    }
}

/// One endpoint (route + method, with MCP server and tool when the events named them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointStat {
    pub route: String,
    pub method: String,
    pub server: Option<String>,
    pub tool: Option<String>,
    pub count: i64,
    pub errors: i64,
    pub error_pct: f64,
    pub avg_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Totals of a span of time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Totals {
    pub requests: i64,
    pub errors: i64,
    pub error_rate_pct: f64,
    pub avg_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The host's latest sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SystemNow {
    pub ts_ms: i64,
    pub cpu_pct: f64,
    pub memory_pct: f64,
    pub memory_used_bytes: i64,
    pub memory_total_bytes: i64,
    pub disk_pct: f64,
}

/// `GET /api/v1/analytics/real-time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RealTime {
    pub last_hour: Totals,
    pub last_minute: Totals,
    pub requests_per_minute: f64,
    pub requests_per_second: f64,
    pub system: Option<SystemNow>,
    pub top_endpoints: Vec<EndpointStat>,
    pub slowest_endpoints: Vec<EndpointStat>,
    pub generated_at_ms: i64,
}

/// One bucket of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub ts_ms: i64,
    pub requests: i64,
    pub errors: i64,
    pub error_rate_pct: f64,
    pub avg_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub cpu_pct: Option<f64>,
    pub memory_pct: Option<f64>,
}

/// `GET /api/v1/analytics/trends`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Trends {
    pub hours: u32,
    /// Bucket width: 60 000 (minutes) up to 6 h, 3 600 000 (hours) beyond.
    pub bucket_ms: i64,
    pub points: Vec<TrendPoint>,
    pub generated_at_ms: i64,
}

/// `GET /api/v1/analytics/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub period: String,
    pub totals: Totals,
    pub system: Option<SystemNow>,
    pub trends: Trends,
}

/// `GET /api/v1/analytics/endpoints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Endpoints {
    pub window: String,
    pub sort: String,
    pub endpoints: Vec<EndpointStat>,
    pub generated_at_ms: i64,
}

/// The Requests page: endpoints in the chosen order, and the slowest of all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RequestsPage {
    pub endpoints: Endpoints,
    pub slowest: Vec<EndpointStat>,
    /// Where request events came from, since this Pulse process started.
    #[serde(default)]
    pub sources: Vec<SourceCount>,
    /// The OTLP/gRPC listener's address (`[otlp] grpc_addr`), for the "Connect a gateway" panel.
    #[serde(default)]
    pub otlp_grpc: Option<String>,
}

/// Request events committed from one source (`ingest`: the JSON API, `otlp`, `self`: Pulse's
/// own traffic) since the process started, and when the last one was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SourceCount {
    pub source: String,
    pub events: u64,
    pub last_ms: Option<i64>,
}

/// Axis label of a trend bucket: `HH:MM` for minutes, `MM-DD HH:00` for hours (UTC).
pub fn bucket_label(ts_ms: i64, bucket_ms: i64) -> String {
    let fmt = if bucket_ms >= 3_600_000 {
        "%m-%d %H:00"
    } else {
        "%H:%M"
    };
    chrono::DateTime::from_timestamp_millis(ts_ms)
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}
