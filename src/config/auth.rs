//! `[auth]`, `[metrics]` and `[server] allowed_hosts`: who may use Pulse without logging in,
//! how long sessions last, how fast logins may be retried, which host names Pulse answers to,
//! and the token Prometheus sends.

use super::{ConfigError, Keys, Secret, Setting};
use crate::permissions::Role;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;

/// Whether the session cookie carries `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieSecure {
    /// When the request came over https (`X-Forwarded-Proto: https` from a proxy).
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuthSettings {
    /// The role of a visitor who has not logged in (`None`: nothing but the login page).
    pub anonymous: Option<Role>,
    /// A session unused this long ends.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub session_idle: Duration,
    /// A session ends this long after login, used or not.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub session_max: Duration,
    pub cookie_secure: CookieSecure,
    /// Login attempts allowed per user name per minute before the backoff.
    pub login_attempts_per_user: u32,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_address: u32,
    /// Requests each ingest token may make per second (bursts of twice that).
    pub ingest_per_second: u32,
    /// Host names (without port) Pulse answers to besides IP literals; `*` allows any.
    pub allowed_hosts: Vec<String>,
    /// When set, `/metrics` needs `Authorization: Bearer` with this token.
    pub metrics_token: Option<Secret>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            anonymous: Some(Role::Guest),
            session_idle: Duration::from_secs(12 * 3600),
            session_max: Duration::from_secs(7 * 86_400),
            cookie_secure: CookieSecure::Auto,
            login_attempts_per_user: 5,
            login_attempts_per_address: 30,
            ingest_per_second: 200,
            allowed_hosts: vec!["localhost".to_string()],
            metrics_token: None,
        }
    }
}

impl AuthSettings {
    /// Whether `host` (a `Host` header's name, without the port) is one Pulse answers to.
    /// IP literals always are: DNS rebinding needs a name that resolves to Pulse, and a page
    /// whose origin is Pulse's own address is same-origin anyway.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host.trim_end_matches('.');
        name.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok()
            || self
                .allowed_hosts
                .iter()
                .any(|h| h == "*" || h.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    pub(super) anonymous: Option<String>,
    pub(super) session_idle: Option<String>,
    pub(super) session_max: Option<String>,
    pub(super) cookie_secure: Option<String>,
    pub(super) login_attempts_per_user: Option<usize>,
    pub(super) login_attempts_per_address: Option<usize>,
    pub(super) ingest_per_second: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) bearer_token: Option<String>,
}

pub(super) fn settings(
    source: &str,
    raw: &RawAuth,
    metrics: &RawMetrics,
    allowed_hosts: &Option<Vec<String>>,
    addr: SocketAddr,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AuthSettings, ConfigError> {
    let d = AuthSettings::default();
    let k = Keys::new(source, "auth.");
    let anonymous = {
        let v = Setting::of(
            source,
            raw.anonymous.clone(),
            "guest",
            "auth.anonymous",
            "PULSE_AUTH_ANONYMOUS",
            env,
        );
        match v.text.as_str() {
            "guest" => Some(Role::Guest),
            "none" => None,
            other => {
                return Err(v.invalid(format!(
                    "`{}` is not one of guest, none",
                    crate::model::shown(other)
                )))
            }
        }
    };
    let session_idle = k.at_least(
        "session_idle",
        &raw.session_idle,
        d.session_idle,
        Duration::from_secs(60),
    )?;
    let session_max = k.at_least(
        "session_max",
        &raw.session_max,
        d.session_max,
        Duration::from_secs(60),
    )?;
    if session_max > Duration::from_secs(90 * 86_400) {
        return Err(k.invalid("session_max", "must be at most 90d".to_string()));
    }
    let cookie_secure = match raw.cookie_secure.as_deref() {
        None | Some("auto") => CookieSecure::Auto,
        Some("true") => CookieSecure::Always,
        Some("false") => CookieSecure::Never,
        Some(other) => {
            return Err(k.invalid(
                "cookie_secure",
                format!(
                    "`{}` is not one of auto, true, false",
                    crate::model::shown(other)
                ),
            ))
        }
    };
    let count = |key: &str, v: Option<usize>, default: u32, max: usize| {
        k.count(key, v, default as usize, max).map(|n| n as u32)
    };
    let mut hosts = vec!["localhost".to_string()];
    if !addr.ip().is_unspecified() {
        hosts.push(addr.ip().to_string());
    }
    for (i, h) in allowed_hosts.iter().flatten().enumerate() {
        let valid = h == "*"
            || (!h.is_empty()
                && h.len() <= 253
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
        if !valid {
            return Err(ConfigError::Invalid {
                source_name: source.to_string(),
                key: format!("server.allowed_hosts[{i}]"),
                reason: "must be a host name (letters, digits, dots, dashes; no port) or *"
                    .to_string(),
            });
        }
        hosts.push(h.to_ascii_lowercase());
    }
    let metrics_token = super::traffic::tokens(
        source,
        &metrics.bearer_token.clone().map(|t| vec![t]),
        "metrics.bearer_token",
        "PULSE_METRICS_TOKEN",
        env,
    )?
    .into_iter()
    .next();
    Ok(AuthSettings {
        anonymous,
        session_idle,
        session_max,
        cookie_secure,
        login_attempts_per_user: count(
            "login_attempts_per_user",
            raw.login_attempts_per_user,
            d.login_attempts_per_user,
            1000,
        )?,
        login_attempts_per_address: count(
            "login_attempts_per_address",
            raw.login_attempts_per_address,
            d.login_attempts_per_address,
            10_000,
        )?,
        ingest_per_second: count(
            "ingest_per_second",
            raw.ingest_per_second,
            d.ingest_per_second,
            1_000_000,
        )?,
        allowed_hosts: hosts,
        metrics_token,
    })
}
