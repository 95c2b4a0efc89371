//! `[health]`: how many checks run at once, how long results are kept, how soon a "Check now"
//! may run again.

use super::{parse_duration, ConfigError};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HealthSettings {
    /// How many checks may run at once across all components.
    pub max_concurrent_checks: usize,
    /// How long check results are kept in the database.
    pub history_retention: Duration,
    /// A "Check now" this soon after a component's last check returns that result.
    pub check_now_min_interval: Duration,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHealth {
    pub(super) max_concurrent_checks: Option<usize>,
    pub(super) history_retention: Option<String>,
    pub(super) check_now_min_interval: Option<String>,
}

pub(super) fn settings(source: &str, raw: &RawHealth) -> Result<HealthSettings, ConfigError> {
    let invalid = |src: &str, key: &str, reason: String| ConfigError::Invalid {
        source_name: src.to_string(),
        key: key.to_string(),
        reason,
    };
    let max_concurrent_checks = raw.max_concurrent_checks.unwrap_or(8);
    if max_concurrent_checks == 0 || max_concurrent_checks > 1024 {
        return Err(invalid(
            source,
            "health.max_concurrent_checks",
            "must be between 1 and 1024".to_string(),
        ));
    }
    let history_retention = match &raw.history_retention {
        Some(t) => parse_duration(t).map_err(|r| invalid(source, "health.history_retention", r))?,
        None => Duration::from_secs(7 * 86_400),
    };
    if history_retention < Duration::from_secs(3600) {
        return Err(invalid(
            source,
            "health.history_retention",
            "must be at least 1h".to_string(),
        ));
    }

    let check_now_min_interval = match &raw.check_now_min_interval {
        Some(t) => {
            parse_duration(t).map_err(|r| invalid(source, "health.check_now_min_interval", r))?
        }
        None => Duration::from_secs(5),
    };
    if check_now_min_interval > Duration::from_secs(3600) {
        return Err(invalid(
            source,
            "health.check_now_min_interval",
            "must be at most 1h".to_string(),
        ));
    }
    Ok(HealthSettings {
        max_concurrent_checks,
        history_retention,
        check_now_min_interval,
    })
}
