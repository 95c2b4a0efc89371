//! `[auth_monitoring]`: seed 000's authentication thresholds, the provider and method names
//! kept as labels beyond the built-in ones.

use super::ConfigError;
use serde::Deserialize;

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuthMonitorSettings {
    /// Provider names kept as themselves in rollups and metrics, beyond the built-in ones.
    pub providers: Vec<String>,
    /// MFA methods and OAuth flow types kept as themselves, beyond the built-in ones.
    pub methods: Vec<String>,
    /// Failed share of auth events above which the window is flagged (0-1).
    pub max_failure_rate: f64,
    /// p95 of OAuth flows above which the window is flagged, ms.
    pub max_oauth_flow_ms: f64,
    /// p95 of token refreshes above which the window is flagged, ms.
    pub max_token_refresh_ms: f64,
    /// Successful share of session validations below which the window is flagged (0-1).
    pub min_session_health: f64,
}

impl Default for AuthMonitorSettings {
    fn default() -> Self {
        AuthMonitorSettings {
            providers: Vec::new(),
            methods: Vec::new(),
            max_failure_rate: 0.10,
            max_oauth_flow_ms: 2000.0,
            max_token_refresh_ms: 500.0,
            min_session_health: 0.95,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuthMonitoring {
    providers: Option<Vec<String>>,
    methods: Option<Vec<String>>,
    max_failure_rate: Option<f64>,
    max_oauth_flow_ms: Option<f64>,
    max_token_refresh_ms: Option<f64>,
    min_session_health: Option<f64>,
}

/// More names than this would make the label sets (and every read of them) large.
const MAX_NAMES: usize = 64;

pub(super) fn settings(
    source: &str,
    raw: &RawAuthMonitoring,
) -> Result<AuthMonitorSettings, ConfigError> {
    let d = AuthMonitorSettings::default();
    let invalid = |key: &str, reason: &str| ConfigError::Invalid {
        source_name: source.to_string(),
        key: format!("auth_monitoring.{key}"),
        reason: reason.to_string(),
    };
    let names = |key: &str, list: &Option<Vec<String>>| -> Result<Vec<String>, ConfigError> {
        let list = list.clone().unwrap_or_default();
        if list.len() > MAX_NAMES {
            return Err(invalid(key, &format!("at most {MAX_NAMES} names")));
        }
        for n in &list {
            let ok = !n.is_empty()
                && n.len() <= 64
                && n != crate::model::OTHER
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !ok {
                return Err(invalid(
                    key,
                    &format!(
                        "`{}` is not a name of letters, digits, `_`, `-` or `.` (and not `other`)",
                        crate::model::shown(n)
                    ),
                ));
            }
        }
        Ok(list)
    };
    let share = |key: &str, v: Option<f64>, def: f64| -> Result<f64, ConfigError> {
        match v {
            None => Ok(def),
            Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
            Some(_) => Err(invalid(key, "must be a share from 0 to 1, such as 0.1")),
        }
    };
    let ms = |key: &str, v: Option<f64>, def: f64| -> Result<f64, ConfigError> {
        match v {
            None => Ok(def),
            Some(x) if x > 0.0 && x <= 600_000.0 => Ok(x),
            Some(_) => Err(invalid(key, "must be a number of ms from 0 to 600000")),
        }
    };
    Ok(AuthMonitorSettings {
        providers: names("providers", &raw.providers)?,
        methods: names("methods", &raw.methods)?,
        max_failure_rate: share("max_failure_rate", raw.max_failure_rate, d.max_failure_rate)?,
        max_oauth_flow_ms: ms(
            "max_oauth_flow_ms",
            raw.max_oauth_flow_ms,
            d.max_oauth_flow_ms,
        )?,
        max_token_refresh_ms: ms(
            "max_token_refresh_ms",
            raw.max_token_refresh_ms,
            d.max_token_refresh_ms,
        )?,
        min_session_health: share(
            "min_session_health",
            raw.min_session_health,
            d.min_session_health,
        )?,
    })
}
