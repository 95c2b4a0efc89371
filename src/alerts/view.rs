//! What the Alerts page, the Overview banner and `/api/v1/alerts` show: plain shapes shared by
//! the server and the browser.

use serde::{Deserialize, Serialize};

pub use crate::model::SEVERITIES;

/// The rank of a severity (higher is worse); unknown words rank lowest.
pub fn severity_rank(s: &str) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(0)
}

/// One alert instance that is not at rest (pending, firing or without data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveAlert {
    pub alert_id: String,
    pub rule: String,
    pub description: String,
    pub severity: String,
    /// `pending`, `firing` or `no_data`.
    pub state: String,
    pub labels: Vec<(String, String)>,
    pub metric: String,
    pub op: String,
    pub value: Option<f64>,
    pub threshold: f64,
    /// When the condition began to hold (pending) or the alert fired (firing), ms.
    pub since_ms: Option<i64>,
    /// False while a firing began inside the cooldown or under a suppression.
    pub notified: bool,
    /// Why it is not notified: `silence 3`, `maintenance <name>`, `dependency <component>`.
    pub suppressed_by: Option<String>,
}

/// A state change, as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertTransition {
    pub id: i64,
    pub ts_ms: i64,
    pub alert_id: String,
    pub rule: String,
    pub labels: Vec<(String, String)>,
    pub severity: String,
    pub from_state: String,
    pub to_state: String,
    pub value: Option<f64>,
    pub threshold: f64,
    /// `firing`, `resolved`, `repeat`, `recorded` or `none`.
    pub notice: String,
}

/// A delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub ts_ms: i64,
    pub channel: String,
    pub alert_id: String,
    pub kind: String,
    pub attempt: i64,
    pub outcome: String,
    pub status: Option<i64>,
    pub detail: String,
}

/// A configured channel, without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    pub name: String,
    pub kind: String,
    /// Scheme, host and port only (paths can hold tokens, as Slack's do).
    pub target: String,
    pub last: Option<DeliveryView>,
    /// Notifications waiting for delivery (retries included).
    pub pending: i64,
}

/// A silence as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceView {
    pub id: i64,
    /// `name`, `op` (`=`, `!=`, `=~`, `!~`) and `value`.
    pub matchers: Vec<MatcherView>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub created_by: String,
    pub comment: String,
    /// Running now (not yet started, or ended, otherwise).
    pub active: bool,
}

/// One matcher of a silence as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatcherView {
    pub name: String,
    pub op: String,
    pub value: String,
}

impl std::fmt::Display for MatcherView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.name, self.op, self.value)
    }
}

/// A maintenance window as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowView {
    /// `None` for a window from the config file (it ends there, not here).
    pub id: Option<i64>,
    pub name: String,
    /// Empty: every alert.
    pub components: Vec<String>,
    /// `2026-12-24 22:00 → 2026-12-25 02:00 UTC` or `sat, sun 02:00 for 1h (UTC+01:00)`.
    pub schedule: String,
    pub open: bool,
    pub comment: String,
    pub created_by: String,
}

/// Everything the Alerts page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsOverview {
    pub active: Vec<ActiveAlert>,
    pub history: Vec<AlertTransition>,
    pub channels: Vec<ChannelView>,
    pub silences: Vec<SilenceView>,
    pub windows: Vec<WindowView>,
    pub rules: usize,
    pub evaluation_interval_secs: u64,
    pub generated_at_ms: i64,
}

/// The Overview's banner: how many alerts fire and the worst severity among them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertBanner {
    pub firing: usize,
    pub worst: Option<String>,
}

impl AlertBanner {
    pub fn of(active: &[ActiveAlert]) -> AlertBanner {
        let firing: Vec<&ActiveAlert> = active.iter().filter(|a| a.state == "firing").collect();
        AlertBanner {
            firing: firing.len(),
            worst: firing
                .iter()
                .max_by_key(|a| severity_rank(&a.severity))
                .map(|a| a.severity.clone()),
        }
    }
}

/// A value without float noise: at most two decimals, none when whole.
pub fn number(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}
