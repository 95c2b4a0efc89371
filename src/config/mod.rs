//! Typed configuration: a TOML file overlaid by `PULSE_*` environment variables, validated once
//! at start so a bad value stops Pulse with a message naming the source, the key and the reason.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod alerts;
mod audit;
mod auth;
mod auth_monitoring;
mod components;
mod health;
mod kinds;
mod otlp;
mod server;
mod traffic;
mod view;

pub use alerts::{AlertRule, AlertSettings, Channel};
pub use audit::AuditSettings;
pub use auth::{AuthSettings, CookieSecure};
pub use auth_monitoring::AuthMonitorSettings;
pub use components::ComponentConfig;
pub use health::HealthSettings;
pub use kinds::{CheckSpec, Kind};
pub use otlp::{Aliases, OtlpSettings};
pub use server::ServerSettings;
pub use traffic::{TrafficSettings, MIN_TOKEN_LEN};

/// Where the default config file is looked for when neither `--config` nor `PULSE_CONFIG` names one.
pub const DEFAULT_CONFIG_FILE: &str = "pulse.toml";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pulse.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: cannot read: {reason}")]
    Read { source_name: String, reason: String },
    #[error("{source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: key `{key}`: {reason}")]
    Invalid {
        source_name: String,
        key: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything Pulse needs to run, validated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    /// The file the config came from, or `built-in defaults`.
    pub source: String,
    pub addr: SocketAddr,
    #[serde(serialize_with = "redacted_url")]
    pub database_url: String,
    pub log_format: LogFormat,
    pub health: HealthSettings,
    pub traffic: TrafficSettings,
    pub audit: AuditSettings,
    pub server: ServerSettings,
    pub auth: AuthSettings,
    pub alerts: AlertSettings,
    pub otlp: OtlpSettings,
    pub auth_monitoring: AuthMonitorSettings,
    pub components: Vec<ComponentConfig>,
}

/// A top-level setting: the environment variable when set, else the file's key, else the
/// default; errors name whichever was used.
struct Setting {
    source: String,
    key: &'static str,
    text: String,
}

impl Setting {
    fn of(
        file_source: &str,
        file_value: Option<String>,
        default: &str,
        file_key: &'static str,
        env_key: &'static str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Setting {
        match env(env_key) {
            Some(text) => Setting {
                source: "environment".to_string(),
                key: env_key,
                text,
            },
            None => Setting {
                source: file_source.to_string(),
                key: file_key,
                text: file_value.unwrap_or_else(|| default.to_string()),
            },
        }
    }

    fn invalid(&self, reason: String) -> ConfigError {
        ConfigError::Invalid {
            source_name: self.source.clone(),
            key: self.key.to_string(),
            reason,
        }
    }
}

/// Reads one section's keys: values parsed or defaulted, errors naming the file and the full
/// key (`prefix` + key, e.g. `server.` or `components[2].`).
pub(super) struct Keys<'a> {
    source: &'a str,
    prefix: String,
}

impl<'a> Keys<'a> {
    pub(super) fn new(source: &'a str, prefix: impl Into<String>) -> Keys<'a> {
        Keys {
            source,
            prefix: prefix.into(),
        }
    }

    pub(super) fn invalid(&self, key: &str, reason: String) -> ConfigError {
        ConfigError::Invalid {
            source_name: self.source.to_string(),
            key: format!("{}{key}", self.prefix),
            reason,
        }
    }

    /// A duration, or `default` when absent.
    pub(super) fn duration(
        &self,
        key: &str,
        v: &Option<String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            Some(t) => parse_duration(t).map_err(|r| self.invalid(key, r)),
            None => Ok(default),
        }
    }

    /// A duration (the default when absent) of at least `min`.
    pub(super) fn at_least(
        &self,
        key: &str,
        v: &Option<String>,
        default: Duration,
        min: Duration,
    ) -> Result<Duration, ConfigError> {
        let value = self.duration(key, v, default)?;
        if value < min {
            return Err(self.invalid(
                key,
                format!("must be at least {}", humantime::format_duration(min)),
            ));
        }
        Ok(value)
    }

    /// A count (the default when absent) from 1 to `max`.
    pub(super) fn count(
        &self,
        key: &str,
        v: Option<usize>,
        default: usize,
        max: usize,
    ) -> Result<usize, ConfigError> {
        let value = v.unwrap_or(default);
        if value == 0 || value > max {
            return Err(self.invalid(key, format!("must be between 1 and {max}")));
        }
        Ok(value)
    }
}

/// A header value that may carry a credential: never printed.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Shown as the mask wherever config is shown (the admin's configuration view).
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::redact::MASK)
    }
}

/// A URL as config views show it: credentials masked.
pub(crate) fn redacted_url<S: serde::Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::redact::redact_url(url))
}

/// Header name → value pairs as written (values may use `${NAME}`), checked as HTTP headers;
/// `err` names the key (`headers.<name>`) of the first bad one.
fn parse_headers(
    written: Option<&std::collections::BTreeMap<String, String>>,
    env: &dyn Fn(&str) -> Option<String>,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Vec<(String, Secret)>, ConfigError> {
    let mut headers = Vec::new();
    for (name, value) in written.into_iter().flatten() {
        let key = format!("headers.{name}");
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(err(&key, "is not a valid header name".into()));
        }
        let value = expand_env(value, env).map_err(|r| err(&key, r))?;
        if reqwest::header::HeaderValue::from_str(&value).is_err() {
            return Err(err(
                &key,
                "has characters a header value cannot carry".into(),
            ));
        }
        headers.push((name.clone(), Secret(value)));
    }
    Ok(headers)
}

/// Replaces `${NAME}` with the environment variable's value; an unset variable is an error.
fn expand_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "has an unclosed ${".to_string())?;
        let name = &after[..end];
        let value = env(name).ok_or_else(|| format!("refers to ${{{name}}}, which is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    addr: Option<String>,
    database_url: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    health: health::RawHealth,
    #[serde(default)]
    ingest: traffic::RawIngest,
    #[serde(default)]
    retention: traffic::RawRetention,
    #[serde(default)]
    sampler: traffic::RawSampler,
    #[serde(default)]
    audit: audit::RawAudit,
    #[serde(default)]
    roles: audit::RawRoles,
    #[serde(default)]
    server: server::RawServer,
    #[serde(default)]
    auth: auth::RawAuth,
    #[serde(default)]
    metrics: auth::RawMetrics,
    #[serde(default)]
    alerts: alerts::RawAlerts,
    #[serde(default)]
    otlp: otlp::RawOtlp,
    #[serde(default)]
    auth_monitoring: auth_monitoring::RawAuthMonitoring,
    components: Option<Vec<kinds::RawComponent>>,
}

impl Config {
    /// Loads the config the way `mcp-pulse serve` does: `--config`, else `PULSE_CONFIG`, else
    /// `pulse.toml` when present, else built-in defaults; then `PULSE_*` variables on top.
    pub fn load(cli_path: Option<&Path>) -> Result<Config, ConfigError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let path: Option<PathBuf> = match cli_path {
            Some(p) => Some(p.to_path_buf()),
            None => match env("PULSE_CONFIG") {
                Some(p) => Some(PathBuf::from(p)),
                None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
            },
        };
        let file = match path {
            Some(p) => {
                let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Read {
                    source_name: p.display().to_string(),
                    reason: e.to_string(),
                })?;
                Some((p.display().to_string(), text))
            }
            None => None,
        };
        Config::from_sources(file.as_ref().map(|(n, t)| (n.as_str(), t.as_str())), env)
    }

    /// Builds a config from an optional `(name, toml text)` and an environment lookup.
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let (source, raw) = match file {
            Some((name, text)) => {
                let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
                    source_name: name.to_string(),
                    message: e.to_string().trim_end().to_string(),
                })?;
                (name.to_string(), raw)
            }
            None => ("built-in defaults".to_string(), RawConfig::default()),
        };

        let addr = {
            let v = Setting::of(
                &source,
                raw.addr.clone(),
                DEFAULT_ADDR,
                "addr",
                "PULSE_ADDR",
                &env,
            );
            v.text.parse::<SocketAddr>().map_err(|_| {
                v.invalid(format!(
                    "`{}` is not an IP:port address such as 127.0.0.1:3000",
                    v.text
                ))
            })?
        };
        let database_url = {
            let v = Setting::of(
                &source,
                raw.database_url.clone(),
                DEFAULT_DATABASE_URL,
                "database_url",
                "PULSE_DATABASE_URL",
                &env,
            );
            if !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| v.text.starts_with(p))
            {
                return Err(
                    v.invalid("must start with sqlite:, postgres:// or postgresql://".to_string())
                );
            }
            v.text
        };
        let log_format = {
            let v = Setting::of(
                &source,
                raw.log_format.clone(),
                "pretty",
                "log_format",
                "PULSE_LOG_FORMAT",
                &env,
            );
            match v.text.as_str() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                other => return Err(v.invalid(format!("`{other}` is not one of pretty, json"))),
            }
        };

        let health = health::settings(&source, &raw.health)?;
        let traffic = traffic::settings(&source, &raw.ingest, &raw.retention, &raw.sampler, &env)?;
        let audit = audit::settings(&source, &raw.audit, &raw.roles)?;
        let server = server::settings(&source, &raw.server)?;
        let auth = auth::settings(
            &source,
            &raw.auth,
            &raw.metrics,
            &raw.server.allowed_hosts,
            addr,
            &env,
        )?;
        let components = match raw.components {
            Some(list) => components::validate_all(&source, list, &env)?,
            None => components::defaults(addr, &database_url),
        };
        let alerts = alerts::settings(&source, &raw.alerts, &env, addr, &components)?;
        let otlp = otlp::settings(&source, &raw.otlp, &env)?;
        let auth_monitoring = auth_monitoring::settings(&source, &raw.auth_monitoring)?;

        Ok(Config {
            source,
            addr,
            database_url,
            log_format,
            health,
            traffic,
            audit,
            server,
            auth,
            alerts,
            otlp,
            auth_monitoring,
            components,
        })
    }
}

/// Parses `"30s"`, `"1m 30s"`, `"250ms"`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration such as \"30s\" or \"250ms\" ({e})"))
}

/// The directory holding the SQLite file, or `.` for a server database.
pub fn data_dir(database_url: &str) -> PathBuf {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return PathBuf::from(".");
    };
    let rest = rest.trim_start_matches("//");
    let file = rest.split('?').next().unwrap_or("");
    if file.is_empty() || file == ":memory:" {
        return PathBuf::from(".");
    }
    match Path::new(file).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests;
