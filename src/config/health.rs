//! `[health]`: how many checks run at once, how long results are kept, how soon a "Check now"
//! may run again, whether connections are watched between checks.

use super::{ConfigError, Keys};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthSettings {
    /// How many checks may run at once across all components.
    pub max_concurrent_checks: usize,
    /// How long check results are kept in the database.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub history_retention: Duration,
    /// A "Check now" this soon after a component's last check returns that result.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub check_now_min_interval: Duration,
    /// Hold an idle connection to each networked component between checks and check at once
    /// when it drops and the server no longer answers.
    pub watch_connections: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHealth {
    pub(super) max_concurrent_checks: Option<usize>,
    pub(super) history_retention: Option<String>,
    pub(super) check_now_min_interval: Option<String>,
    pub(super) watch_connections: Option<bool>,
}

pub(super) fn settings(source: &str, raw: &RawHealth) -> Result<HealthSettings, ConfigError> {
    let k = Keys::new(source, "health.");
    let max_concurrent_checks = raw.max_concurrent_checks.unwrap_or(8);
    if max_concurrent_checks == 0 || max_concurrent_checks > 1024 {
        return Err(k.invalid(
            "max_concurrent_checks",
            "must be between 1 and 1024".to_string(),
        ));
    }
    let history_retention = k.at_least(
        "history_retention",
        &raw.history_retention,
        Duration::from_secs(7 * 86_400),
        Duration::from_secs(3600),
    )?;
    let check_now_min_interval = k.duration(
        "check_now_min_interval",
        &raw.check_now_min_interval,
        Duration::from_secs(5),
    )?;
    if check_now_min_interval > Duration::from_secs(3600) {
        return Err(k.invalid("check_now_min_interval", "must be at most 1h".to_string()));
    }
    Ok(HealthSettings {
        max_concurrent_checks,
        history_retention,
        check_now_min_interval,
        watch_connections: raw.watch_connections.unwrap_or(true),
    })
}
