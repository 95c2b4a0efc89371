//! `[ingest]`, `[retention]` and `[sampler]`: tokens, batch and queue limits, the writer's
//! flush, self-instrumentation, how long rows are kept and how often the host is sampled.

use super::{ConfigError, Keys, Secret};
use serde::Deserialize;
use std::time::Duration;

/// Request ingest, the batching writer, self-instrumentation, retention and the system sampler.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrafficSettings {
    /// Bearer tokens that may post events (and read analytics).
    pub ingest_tokens: Vec<Secret>,
    /// Bearer tokens that may only read analytics.
    pub read_tokens: Vec<Secret>,
    pub max_body_bytes: usize,
    pub max_batch: usize,
    /// Events accepted but not yet committed; beyond it ingest answers 503.
    pub queue_events: usize,
    pub flush_rows: usize,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub flush_interval: Duration,
    /// Events further in the future than this are rejected (clock skew allowance).
    #[serde(serialize_with = "crate::config::view::duration")]
    pub max_future: Duration,
    pub self_instrument: bool,
    /// Path prefixes of Pulse's own requests that are not recorded.
    pub self_exclude: Vec<String>,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub raw_retention: Duration,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub minute_retention: Duration,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub hour_retention: Duration,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub sample_interval: Duration,
    /// Distinct `(route, method, server, tool)` per UTC day; more are stored as `other`.
    pub max_endpoints_per_day: usize,
}

impl Default for TrafficSettings {
    fn default() -> Self {
        TrafficSettings {
            ingest_tokens: Vec::new(),
            read_tokens: Vec::new(),
            max_body_bytes: 5 * 1024 * 1024,
            max_batch: 10_000,
            queue_events: 200_000,
            flush_rows: 5_000,
            flush_interval: Duration::from_millis(100),
            max_future: Duration::from_secs(300),
            self_instrument: true,
            self_exclude: [
                "/metrics",
                "/health",
                "/pkg/",
                "/favicon",
                "/echarts.min.js",
                "/style/",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            raw_retention: Duration::from_secs(7 * 86_400),
            minute_retention: Duration::from_secs(30 * 86_400),
            hour_retention: Duration::from_secs(400 * 86_400),
            sample_interval: Duration::from_secs(15),
            max_endpoints_per_day: 1000,
        }
    }
}

/// Shortest accepted bearer token: long enough that guessing is hopeless.
pub const MIN_TOKEN_LEN: usize = 16;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIngest {
    pub(super) tokens: Option<Vec<String>>,
    pub(super) read_tokens: Option<Vec<String>>,
    pub(super) max_body_bytes: Option<usize>,
    pub(super) max_batch: Option<usize>,
    pub(super) queue_events: Option<usize>,
    pub(super) flush_rows: Option<usize>,
    pub(super) flush_interval: Option<String>,
    pub(super) max_future: Option<String>,
    pub(super) self_instrument: Option<bool>,
    pub(super) self_exclude: Option<Vec<String>>,
    pub(super) max_endpoints_per_day: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub(super) raw_events: Option<String>,
    pub(super) minute_rollups: Option<String>,
    pub(super) hourly_rollups: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSampler {
    pub(super) interval: Option<String>,
}

/// Tokens from the environment (comma-separated) replace the file's list.
pub(super) fn tokens(
    source: &str,
    file: &Option<Vec<String>>,
    file_key: &str,
    env_key: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Secret>, ConfigError> {
    let (src, key, list): (String, String, Vec<String>) = match env(env_key) {
        Some(v) => (
            "environment".into(),
            env_key.into(),
            v.split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        ),
        None => (
            source.into(),
            file_key.into(),
            file.clone().unwrap_or_default(),
        ),
    };
    for (i, t) in list.iter().enumerate() {
        if t.len() < MIN_TOKEN_LEN || !t.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ConfigError::Invalid {
                source_name: src,
                key: format!("{key}[{i}]"),
                reason: format!(
                    "a token must be at least {MIN_TOKEN_LEN} printable characters without spaces"
                ),
            });
        }
    }
    Ok(list.into_iter().map(Secret).collect())
}

pub(super) fn settings(
    source: &str,
    i: &RawIngest,
    r: &RawRetention,
    sampler: &RawSampler,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<TrafficSettings, ConfigError> {
    let d = TrafficSettings::default();
    let k = Keys::new(source, "");
    let hour = Duration::from_secs(3600);
    let settings = TrafficSettings {
        ingest_tokens: tokens(
            source,
            &i.tokens,
            "ingest.tokens",
            "PULSE_INGEST_TOKENS",
            env,
        )?,
        read_tokens: tokens(
            source,
            &i.read_tokens,
            "ingest.read_tokens",
            "PULSE_READ_TOKENS",
            env,
        )?,
        max_body_bytes: k.count(
            "ingest.max_body_bytes",
            i.max_body_bytes,
            d.max_body_bytes,
            256 << 20,
        )?,
        max_batch: k.count("ingest.max_batch", i.max_batch, d.max_batch, 1_000_000)?,
        queue_events: k.count(
            "ingest.queue_events",
            i.queue_events,
            d.queue_events,
            50_000_000,
        )?,
        flush_rows: k.count("ingest.flush_rows", i.flush_rows, d.flush_rows, 1_000_000)?,
        flush_interval: k.at_least(
            "ingest.flush_interval",
            &i.flush_interval,
            d.flush_interval,
            Duration::from_millis(1),
        )?,
        max_future: k.at_least(
            "ingest.max_future",
            &i.max_future,
            d.max_future,
            Duration::ZERO,
        )?,
        max_endpoints_per_day: k.count(
            "ingest.max_endpoints_per_day",
            i.max_endpoints_per_day,
            d.max_endpoints_per_day,
            1_000_000,
        )?,
        self_instrument: i.self_instrument.unwrap_or(d.self_instrument),
        self_exclude: i.self_exclude.clone().unwrap_or(d.self_exclude),
        raw_retention: k.at_least("retention.raw_events", &r.raw_events, d.raw_retention, hour)?,
        minute_retention: k.at_least(
            "retention.minute_rollups",
            &r.minute_rollups,
            d.minute_retention,
            hour,
        )?,
        hour_retention: k.at_least(
            "retention.hourly_rollups",
            &r.hourly_rollups,
            d.hour_retention,
            hour,
        )?,
        sample_interval: k.at_least(
            "sampler.interval",
            &sampler.interval,
            d.sample_interval,
            Duration::from_secs(1),
        )?,
    };
    if settings.queue_events < settings.max_batch {
        return Err(k.invalid(
            "ingest.queue_events",
            format!("must be at least ingest.max_batch ({})", settings.max_batch),
        ));
    }
    Ok(settings)
}
