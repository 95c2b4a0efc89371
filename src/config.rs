//! Typed configuration: a TOML file overlaid by `PULSE_*` environment variables, validated once
//! at start so a bad value stops Pulse with a message naming the source, the key and the reason.

use crate::model::ComponentType;
use serde::Deserialize;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the default config file is looked for when neither `--config` nor `PULSE_CONFIG` names one.
pub const DEFAULT_CONFIG_FILE: &str = "pulse.toml";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pulse.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const DEFAULT_CONFIRM_INTERVAL: Duration = Duration::from_secs(2);

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything Pulse needs to run, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the config came from, or `built-in defaults`.
    pub source: String,
    pub addr: SocketAddr,
    pub database_url: String,
    pub log_format: LogFormat,
    pub health: HealthSettings,
    pub traffic: TrafficSettings,
    pub audit: AuditSettings,
    pub server: ServerSettings,
    pub components: Vec<ComponentConfig>,
}

/// How long Pulse waits on a client, and how many it serves at once: every peer can stall.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Time to send a request's headers; on HTTP/1 also how long an idle keep-alive
    /// connection is kept.
    pub header_timeout: Duration,
    /// Longest wait for the next piece of a request body.
    pub body_timeout: Duration,
    /// Longest time from a request's headers to its response's head.
    pub request_timeout: Duration,
    /// A response write that makes no progress this long closes the connection.
    pub write_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM, connections still open this long are dropped (accepted ingest is
    /// committed regardless).
    pub shutdown_grace: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Audit ingest and the role views: extra categories, latency targets, rate limits, and
/// Pulse's audit of its own use.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    pub max_details_bytes: usize,
    /// Categories added to (or actions moved within) the seed's table.
    pub categories: Vec<(String, Vec<String>)>,
    pub self_audit: bool,
    /// The role Pulse's own users act in.
    pub self_role: String,
    /// p95 latency target per role, ms, in `model::ROLES` order.
    pub targets_ms: [f64; 6],
    /// Requests per minute allowed per user, per role, in `model::ROLES` order.
    pub rate_limits_rpm: [u32; 6],
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            max_details_bytes: 4096,
            categories: Vec::new(),
            self_audit: true,
            self_role: "analyst".to_string(),
            targets_ms: [100.0, 150.0, 200.0, 250.0, 300.0, 500.0],
            rate_limits_rpm: [1000, 750, 500, 250, 100, 20],
        }
    }
}

/// Request ingest, the batching writer, self-instrumentation, retention and the system sampler.
#[derive(Debug, Clone)]
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
    pub flush_interval: Duration,
    /// Events further in the future than this are rejected (clock skew allowance).
    pub max_future: Duration,
    pub self_instrument: bool,
    /// Path prefixes of Pulse's own requests that are not recorded.
    pub self_exclude: Vec<String>,
    pub raw_retention: Duration,
    pub minute_retention: Duration,
    pub hour_retention: Duration,
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

#[derive(Debug, Clone)]
pub struct HealthSettings {
    /// How many checks may run at once across all components.
    pub max_concurrent_checks: usize,
    /// How long check results are kept in the database.
    pub history_retention: Duration,
    /// A "Check now" this soon after a component's last check returns that result.
    pub check_now_min_interval: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentConfig {
    pub name: String,
    pub component_type: ComponentType,
    pub critical: bool,
    pub interval: Duration,
    pub timeout: Duration,
    /// Latency above which a successful check counts as degraded.
    pub degraded_after: Option<Duration>,
    pub failure_threshold: u32,
    pub success_threshold: u32,
    /// After a failure, the check re-runs this soon (not after `interval`) until the failure
    /// threshold decides, so an outage is declared in seconds.
    pub confirm_interval: Duration,
    pub check: CheckSpec,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckSpec {
    /// Pulse's own store.
    Database,
    Disk {
        path: PathBuf,
        degraded_percent: f64,
        unhealthy_percent: f64,
    },
    Memory {
        degraded_percent: f64,
        unhealthy_percent: f64,
    },
    Http {
        url: String,
        expected_status: u16,
        body_contains: Option<String>,
    },
    Tcp {
        host: String,
        port: u16,
    },
    /// A PostgreSQL server (e.g. the gateway's), not Pulse's own store.
    Postgres {
        url: String,
    },
    Redis {
        url: String,
    },
    /// An MCP server over Streamable HTTP.
    Mcp {
        url: String,
        headers: Vec<(String, Secret)>,
        protocol_version: Option<String>,
        list_tools: bool,
        /// Status for a server that answers 401/403: degraded by default, or unhealthy.
        auth_required_status: crate::model::Status,
    },
}

/// A header value that may carry a credential: never printed.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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

impl CheckSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            CheckSpec::Database => "database",
            CheckSpec::Disk { .. } => "disk",
            CheckSpec::Memory { .. } => "memory",
            CheckSpec::Http { .. } => "http",
            CheckSpec::Tcp { .. } => "tcp",
            CheckSpec::Postgres { .. } => "postgres",
            CheckSpec::Redis { .. } => "redis",
            CheckSpec::Mcp { .. } => "mcp",
        }
    }
}

const KINDS: [&str; 8] = [
    "database", "disk", "memory", "http", "tcp", "postgres", "redis", "mcp",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    addr: Option<String>,
    database_url: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    health: RawHealth,
    #[serde(default)]
    ingest: RawIngest,
    #[serde(default)]
    retention: RawRetention,
    #[serde(default)]
    sampler: RawSampler,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    roles: RawRoles,
    #[serde(default)]
    server: RawServer,
    components: Option<Vec<RawComponent>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    header_timeout: Option<String>,
    body_timeout: Option<String>,
    request_timeout: Option<String>,
    write_timeout: Option<String>,
    max_connections: Option<usize>,
    shutdown_grace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    max_details_bytes: Option<usize>,
    self_audit: Option<bool>,
    self_role: Option<String>,
    categories: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoles {
    targets_ms: Option<std::collections::BTreeMap<String, f64>>,
    rate_limits_rpm: Option<std::collections::BTreeMap<String, u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIngest {
    tokens: Option<Vec<String>>,
    read_tokens: Option<Vec<String>>,
    max_body_bytes: Option<usize>,
    max_batch: Option<usize>,
    queue_events: Option<usize>,
    flush_rows: Option<usize>,
    flush_interval: Option<String>,
    max_future: Option<String>,
    self_instrument: Option<bool>,
    self_exclude: Option<Vec<String>>,
    max_endpoints_per_day: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    raw_events: Option<String>,
    minute_rollups: Option<String>,
    hourly_rollups: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSampler {
    interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    max_concurrent_checks: Option<usize>,
    history_retention: Option<String>,
    check_now_min_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    name: Option<String>,
    kind: Option<String>,
    #[serde(rename = "type")]
    component_type: Option<String>,
    critical: Option<bool>,
    interval: Option<String>,
    timeout: Option<String>,
    degraded_after: Option<String>,
    failure_threshold: Option<u32>,
    success_threshold: Option<u32>,
    confirm_interval: Option<String>,
    url: Option<String>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    protocol_version: Option<String>,
    list_tools: Option<bool>,
    auth_required_status: Option<String>,
    expected_status: Option<u16>,
    body_contains: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    path: Option<String>,
    degraded_percent: Option<f64>,
    unhealthy_percent: Option<f64>,
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
        let invalid = |src: &str, key: &str, reason: String| ConfigError::Invalid {
            source_name: src.to_string(),
            key: key.to_string(),
            reason,
        };

        let (addr_src, addr_text) = match env("PULSE_ADDR") {
            Some(v) => ("environment".to_string(), v),
            None => (
                source.clone(),
                raw.addr.clone().unwrap_or_else(|| DEFAULT_ADDR.to_string()),
            ),
        };
        let addr_key = if addr_src == "environment" {
            "PULSE_ADDR"
        } else {
            "addr"
        };
        let addr: SocketAddr = addr_text.parse().map_err(|_| {
            invalid(
                &addr_src,
                addr_key,
                format!("`{addr_text}` is not an IP:port address such as 127.0.0.1:3000"),
            )
        })?;

        let (db_src, database_url) = match env("PULSE_DATABASE_URL") {
            Some(v) => ("environment".to_string(), v),
            None => (
                source.clone(),
                raw.database_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            ),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            let key = if db_src == "environment" {
                "PULSE_DATABASE_URL"
            } else {
                "database_url"
            };
            return Err(invalid(
                &db_src,
                key,
                "must start with sqlite:, postgres:// or postgresql://".to_string(),
            ));
        }

        let (lf_src, lf_key, lf_text) = match env("PULSE_LOG_FORMAT") {
            Some(v) => ("environment".to_string(), "PULSE_LOG_FORMAT", v),
            None => (
                source.clone(),
                "log_format",
                raw.log_format.clone().unwrap_or_else(|| "pretty".into()),
            ),
        };
        let log_format = match lf_text.as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    &lf_src,
                    lf_key,
                    format!("`{other}` is not one of pretty, json"),
                ))
            }
        };

        let max_concurrent_checks = raw.health.max_concurrent_checks.unwrap_or(8);
        if max_concurrent_checks == 0 || max_concurrent_checks > 1024 {
            return Err(invalid(
                &source,
                "health.max_concurrent_checks",
                "must be between 1 and 1024".to_string(),
            ));
        }
        let history_retention = match &raw.health.history_retention {
            Some(t) => {
                parse_duration(t).map_err(|r| invalid(&source, "health.history_retention", r))?
            }
            None => Duration::from_secs(7 * 86_400),
        };
        if history_retention < Duration::from_secs(3600) {
            return Err(invalid(
                &source,
                "health.history_retention",
                "must be at least 1h".to_string(),
            ));
        }

        let check_now_min_interval = match &raw.health.check_now_min_interval {
            Some(t) => parse_duration(t)
                .map_err(|r| invalid(&source, "health.check_now_min_interval", r))?,
            None => Duration::from_secs(5),
        };
        if check_now_min_interval > Duration::from_secs(3600) {
            return Err(invalid(
                &source,
                "health.check_now_min_interval",
                "must be at most 1h".to_string(),
            ));
        }
        let traffic = traffic_settings(&source, &raw, &env)?;
        let audit = audit_settings(&source, &raw)?;
        let server = server_settings(&source, &raw.server)?;

        let components = match raw.components {
            Some(list) => {
                let mut out = Vec::with_capacity(list.len());
                let mut seen = HashSet::new();
                for (i, rc) in list.into_iter().enumerate() {
                    let c = validate_component(&source, i, rc, &env)?;
                    if !seen.insert(c.name.clone()) {
                        return Err(invalid(
                            &source,
                            &format!("components[{i}].name"),
                            format!("`{}` is used by an earlier component", c.name),
                        ));
                    }
                    out.push(c);
                }
                out
            }
            None => default_components(addr, &database_url),
        };

        Ok(Config {
            source,
            addr,
            database_url,
            log_format,
            health: HealthSettings {
                max_concurrent_checks,
                history_retention,
                check_now_min_interval,
            },
            traffic,
            audit,
            server,
            components,
        })
    }
}

fn server_settings(source: &str, raw: &RawServer) -> Result<ServerSettings, ConfigError> {
    let d = ServerSettings::default();
    let invalid = |key: &str, reason: String| ConfigError::Invalid {
        source_name: source.to_string(),
        key: format!("server.{key}"),
        reason,
    };
    // Zero would disable a guard and hours would make it meaningless: both are refused.
    let dur = |key: &str, v: &Option<String>, default: Duration| {
        let value = match v {
            Some(t) => parse_duration(t).map_err(|r| invalid(key, r))?,
            None => default,
        };
        if value < Duration::from_millis(100) || value > Duration::from_secs(600) {
            return Err(invalid(key, "must be between 100ms and 10m".to_string()));
        }
        Ok(value)
    };
    let max_connections = raw.max_connections.unwrap_or(d.max_connections);
    if !(1..=100_000).contains(&max_connections) {
        return Err(invalid(
            "max_connections",
            "must be between 1 and 100000".to_string(),
        ));
    }
    Ok(ServerSettings {
        header_timeout: dur("header_timeout", &raw.header_timeout, d.header_timeout)?,
        body_timeout: dur("body_timeout", &raw.body_timeout, d.body_timeout)?,
        request_timeout: dur("request_timeout", &raw.request_timeout, d.request_timeout)?,
        write_timeout: dur("write_timeout", &raw.write_timeout, d.write_timeout)?,
        max_connections,
        shutdown_grace: dur("shutdown_grace", &raw.shutdown_grace, d.shutdown_grace)?,
    })
}

fn audit_settings(source: &str, raw: &RawConfig) -> Result<AuditSettings, ConfigError> {
    let d = AuditSettings::default();
    let invalid = |key: String, reason: String| ConfigError::Invalid {
        source_name: source.to_string(),
        key,
        reason,
    };
    let roles = crate::model::ROLES;
    let max_details_bytes = raw.audit.max_details_bytes.unwrap_or(d.max_details_bytes);
    if !(2..=65_536).contains(&max_details_bytes) {
        return Err(invalid(
            "audit.max_details_bytes".into(),
            "must be between 2 and 65536".into(),
        ));
    }
    let self_role = raw.audit.self_role.clone().unwrap_or(d.self_role);
    if !roles.contains(&self_role.as_str()) {
        return Err(invalid(
            "audit.self_role".into(),
            format!("`{self_role}` is not one of {}", roles.join(", ")),
        ));
    }
    let mut categories = Vec::new();
    for (name, actions) in raw.audit.categories.iter().flatten() {
        let key = format!("audit.categories.{name}");
        let ok_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_name || name == crate::model::OTHER {
            return Err(invalid(
                key,
                "a category name is lowercase letters, digits and `_`, and not `other`".into(),
            ));
        }
        if let Some(bad) = actions.iter().find(|a| !crate::events::valid_action(a)) {
            return Err(invalid(
                key,
                format!("`{bad}` is not an action name such as user.role.assign"),
            ));
        }
        categories.push((name.clone(), actions.clone()));
    }
    let mut targets_ms = d.targets_ms;
    for (role, ms) in raw.roles.targets_ms.iter().flatten() {
        let key = format!("roles.targets_ms.{role}");
        let Some(i) = roles.iter().position(|r| r == role) else {
            return Err(invalid(
                key,
                format!("not a role; roles are {}", roles.join(", ")),
            ));
        };
        if !ms.is_finite() || *ms <= 0.0 || *ms > 600_000.0 {
            return Err(invalid(
                key,
                "must be a number of ms from 0 to 600000".into(),
            ));
        }
        targets_ms[i] = *ms;
    }
    let mut rate_limits_rpm = d.rate_limits_rpm;
    for (role, rpm) in raw.roles.rate_limits_rpm.iter().flatten() {
        let key = format!("roles.rate_limits_rpm.{role}");
        let Some(i) = roles.iter().position(|r| r == role) else {
            return Err(invalid(
                key,
                format!("not a role; roles are {}", roles.join(", ")),
            ));
        };
        if *rpm == 0 {
            return Err(invalid(key, "must be at least 1".into()));
        }
        rate_limits_rpm[i] = *rpm;
    }
    Ok(AuditSettings {
        max_details_bytes,
        categories,
        self_audit: raw.audit.self_audit.unwrap_or(d.self_audit),
        self_role,
        targets_ms,
        rate_limits_rpm,
    })
}

/// Tokens from the environment (comma-separated) replace the file's list.
fn tokens(
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

fn traffic_settings(
    source: &str,
    raw: &RawConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<TrafficSettings, ConfigError> {
    let d = TrafficSettings::default();
    let invalid = |key: &str, reason: String| ConfigError::Invalid {
        source_name: source.to_string(),
        key: key.to_string(),
        reason,
    };
    let dur = |key: &str, v: &Option<String>, default: Duration, min: Duration| {
        let value = match v {
            Some(t) => parse_duration(t).map_err(|r| invalid(key, r))?,
            None => default,
        };
        if value < min {
            return Err(invalid(
                key,
                format!("must be at least {}", humantime::format_duration(min)),
            ));
        }
        Ok(value)
    };
    let count = |key: &str, v: Option<usize>, default: usize, max: usize| {
        let value = v.unwrap_or(default);
        if value == 0 || value > max {
            return Err(invalid(key, format!("must be between 1 and {max}")));
        }
        Ok(value)
    };
    let i = &raw.ingest;
    let r = &raw.retention;
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
        max_body_bytes: count(
            "ingest.max_body_bytes",
            i.max_body_bytes,
            d.max_body_bytes,
            256 << 20,
        )?,
        max_batch: count("ingest.max_batch", i.max_batch, d.max_batch, 1_000_000)?,
        queue_events: count(
            "ingest.queue_events",
            i.queue_events,
            d.queue_events,
            50_000_000,
        )?,
        flush_rows: count("ingest.flush_rows", i.flush_rows, d.flush_rows, 1_000_000)?,
        flush_interval: dur(
            "ingest.flush_interval",
            &i.flush_interval,
            d.flush_interval,
            Duration::from_millis(1),
        )?,
        max_future: dur(
            "ingest.max_future",
            &i.max_future,
            d.max_future,
            Duration::ZERO,
        )?,
        max_endpoints_per_day: count(
            "ingest.max_endpoints_per_day",
            i.max_endpoints_per_day,
            d.max_endpoints_per_day,
            1_000_000,
        )?,
        self_instrument: i.self_instrument.unwrap_or(d.self_instrument),
        self_exclude: i.self_exclude.clone().unwrap_or(d.self_exclude),
        raw_retention: dur("retention.raw_events", &r.raw_events, d.raw_retention, hour)?,
        minute_retention: dur(
            "retention.minute_rollups",
            &r.minute_rollups,
            d.minute_retention,
            hour,
        )?,
        hour_retention: dur(
            "retention.hourly_rollups",
            &r.hourly_rollups,
            d.hour_retention,
            hour,
        )?,
        sample_interval: dur(
            "sampler.interval",
            &raw.sampler.interval,
            d.sample_interval,
            Duration::from_secs(1),
        )?,
    };
    if settings.queue_events < settings.max_batch {
        return Err(invalid(
            "ingest.queue_events",
            format!("must be at least ingest.max_batch ({})", settings.max_batch),
        ));
    }
    Ok(settings)
}

/// Parses `"30s"`, `"1m 30s"`, `"250ms"`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration such as \"30s\" or \"250ms\" ({e})"))
}

fn validate_component(
    source: &str,
    index: usize,
    rc: RawComponent,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ComponentConfig, ConfigError> {
    let err = |key: &str, reason: String| ConfigError::Invalid {
        source_name: source.to_string(),
        key: format!("components[{index}].{key}"),
        reason,
    };
    let name = rc
        .name
        .clone()
        .ok_or_else(|| err("name", "is required".into()))?;
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(err(
            "name",
            format!("`{name}` must be 1-64 characters of a-z, 0-9, '-' and '_'"),
        ));
    }
    if name == crate::model::MCP_GROUP {
        return Err(err(
            "name",
            format!("`{name}` is reserved for the derived group of all MCP servers"),
        ));
    }
    let kind = rc
        .kind
        .clone()
        .ok_or_else(|| err("kind", format!("is required (one of {})", KINDS.join(", "))))?;
    if !KINDS.contains(&kind.as_str()) {
        return Err(err(
            "kind",
            format!("`{kind}` is not one of {}", KINDS.join(", ")),
        ));
    }

    // Keys that belong to another kind are errors: a typo'd or misplaced key must not be ignored.
    let allowed: &[&str] = match kind.as_str() {
        "database" => &[],
        "disk" => &["path", "degraded_percent", "unhealthy_percent"],
        "memory" => &["degraded_percent", "unhealthy_percent"],
        "http" => &["url", "expected_status", "body_contains"],
        "postgres" | "redis" => &["url"],
        "mcp" => &[
            "url",
            "headers",
            "protocol_version",
            "list_tools",
            "auth_required_status",
        ],
        _ => &["host", "port"],
    };
    let present = [
        ("url", rc.url.is_some()),
        ("headers", rc.headers.is_some()),
        ("protocol_version", rc.protocol_version.is_some()),
        ("list_tools", rc.list_tools.is_some()),
        ("auth_required_status", rc.auth_required_status.is_some()),
        ("expected_status", rc.expected_status.is_some()),
        ("body_contains", rc.body_contains.is_some()),
        ("host", rc.host.is_some()),
        ("port", rc.port.is_some()),
        ("path", rc.path.is_some()),
        ("degraded_percent", rc.degraded_percent.is_some()),
        ("unhealthy_percent", rc.unhealthy_percent.is_some()),
    ];
    for (key, is_set) in present {
        if is_set && !allowed.contains(&key) {
            return Err(err(key, format!("does not apply to kind `{kind}`")));
        }
    }

    let dur = |key: &str, v: &Option<String>, default: Duration| match v {
        Some(t) => parse_duration(t).map_err(|r| err(key, r)),
        None => Ok(default),
    };
    let interval = dur("interval", &rc.interval, Duration::from_secs(30))?;
    if interval < Duration::from_secs(1) || interval > Duration::from_secs(86_400) {
        return Err(err("interval", "must be between 1s and 24h".into()));
    }
    let default_timeout = match kind.as_str() {
        "http" | "mcp" => Duration::from_secs(10),
        _ => Duration::from_secs(5),
    }
    .min(interval);
    let timeout = dur("timeout", &rc.timeout, default_timeout)?;
    if timeout < Duration::from_millis(10) {
        return Err(err("timeout", "must be at least 10ms".into()));
    }
    if timeout > interval {
        return Err(err(
            "timeout",
            format!(
                "{} is longer than the interval {}",
                humantime::format_duration(timeout),
                humantime::format_duration(interval)
            ),
        ));
    }
    let default_degraded = match kind.as_str() {
        "database" | "tcp" | "postgres" | "redis" => Some(Duration::from_millis(500)),
        "http" | "mcp" => Some(Duration::from_millis(1000)),
        _ => None,
    }
    .filter(|d| *d < timeout);
    let degraded_after = match &rc.degraded_after {
        Some(t) => Some(parse_duration(t).map_err(|r| err("degraded_after", r))?),
        None => default_degraded,
    };
    if let Some(d) = degraded_after {
        if d >= timeout {
            return Err(err(
                "degraded_after",
                format!(
                    "{} must be shorter than the timeout {}",
                    humantime::format_duration(d),
                    humantime::format_duration(timeout)
                ),
            ));
        }
    }
    let failure_threshold = rc.failure_threshold.unwrap_or(3);
    if !(1..=100).contains(&failure_threshold) {
        return Err(err("failure_threshold", "must be between 1 and 100".into()));
    }
    let success_threshold = rc.success_threshold.unwrap_or(2);
    if !(1..=100).contains(&success_threshold) {
        return Err(err("success_threshold", "must be between 1 and 100".into()));
    }
    let confirm_interval = dur(
        "confirm_interval",
        &rc.confirm_interval,
        DEFAULT_CONFIRM_INTERVAL.min(interval),
    )?;
    if confirm_interval < Duration::from_millis(100) || confirm_interval > interval {
        return Err(err(
            "confirm_interval",
            "must be between 100ms and the interval".into(),
        ));
    }

    let percents = |rc: &RawComponent| -> Result<(f64, f64), ConfigError> {
        let d = rc.degraded_percent.unwrap_or(80.0);
        let u = rc.unhealthy_percent.unwrap_or(90.0);
        if !(0.0..=100.0).contains(&d) {
            return Err(err("degraded_percent", "must be between 0 and 100".into()));
        }
        if !(0.0..=100.0).contains(&u) {
            return Err(err("unhealthy_percent", "must be between 0 and 100".into()));
        }
        if d >= u {
            return Err(err(
                "degraded_percent",
                format!("{d} must be below unhealthy_percent {u}"),
            ));
        }
        Ok((d, u))
    };

    let check = match kind.as_str() {
        "database" => CheckSpec::Database,
        "disk" => {
            let (d, u) = percents(&rc)?;
            let path = rc
                .path
                .clone()
                .ok_or_else(|| err("path", "is required for kind `disk`".into()))?;
            if path.is_empty() {
                return Err(err("path", "must not be empty".into()));
            }
            CheckSpec::Disk {
                path: PathBuf::from(path),
                degraded_percent: d,
                unhealthy_percent: u,
            }
        }
        "memory" => {
            let (d, u) = percents(&rc)?;
            CheckSpec::Memory {
                degraded_percent: d,
                unhealthy_percent: u,
            }
        }
        "http" => {
            let url = rc
                .url
                .clone()
                .ok_or_else(|| err("url", "is required for kind `http`".into()))?;
            match reqwest::Url::parse(&url) {
                Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                Ok(u) => {
                    return Err(err(
                        "url",
                        format!("scheme `{}` is not http or https", u.scheme()),
                    ))
                }
                Err(e) => return Err(err("url", format!("`{url}` is not a URL ({e})"))),
            }
            let expected_status = rc.expected_status.unwrap_or(200);
            if !(100..=599).contains(&expected_status) {
                return Err(err("expected_status", "must be between 100 and 599".into()));
            }
            CheckSpec::Http {
                url,
                expected_status,
                body_contains: rc.body_contains.clone(),
            }
        }
        "mcp" => {
            let url = rc
                .url
                .clone()
                .ok_or_else(|| err("url", "is required for kind `mcp`".into()))?;
            match reqwest::Url::parse(&url) {
                Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                _ => return Err(err("url", format!("`{url}` is not an http(s) URL"))),
            }
            if let Some(v) = &rc.protocol_version {
                if !crate::model::MCP_VERSIONS.contains(&v.as_str()) {
                    return Err(err(
                        "protocol_version",
                        format!(
                            "`{v}` is not one of {}",
                            crate::model::MCP_VERSIONS.join(", ")
                        ),
                    ));
                }
            }
            let mut headers = Vec::new();
            for (name, value) in rc.headers.clone().unwrap_or_default() {
                let key = format!("headers.{name}");
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(err(&key, "is not a valid header name".into()));
                }
                let value = expand_env(&value, env).map_err(|r| err(&key, r))?;
                if reqwest::header::HeaderValue::from_str(&value).is_err() {
                    return Err(err(
                        &key,
                        "has characters a header value cannot carry".into(),
                    ));
                }
                headers.push((name, Secret(value)));
            }
            let auth_required_status = match rc.auth_required_status.as_deref() {
                None | Some("degraded") => crate::model::Status::Degraded,
                Some("unhealthy") => crate::model::Status::Unhealthy,
                Some(other) => {
                    return Err(err(
                        "auth_required_status",
                        format!("`{other}` is not one of degraded, unhealthy"),
                    ))
                }
            };
            CheckSpec::Mcp {
                url,
                headers,
                protocol_version: rc.protocol_version.clone(),
                list_tools: rc.list_tools.unwrap_or(true),
                auth_required_status,
            }
        }
        "postgres" | "redis" => {
            let url = rc
                .url
                .clone()
                .ok_or_else(|| err("url", format!("is required for kind `{kind}`")))?;
            let schemes: &[&str] = if kind == "postgres" {
                &["postgres", "postgresql"]
            } else {
                &["redis", "rediss"]
            };
            match reqwest::Url::parse(&url) {
                Ok(u) if schemes.contains(&u.scheme()) => {}
                // The URL may carry a password: never echo it back.
                _ => return Err(err("url", format!("must be a {}:// URL", schemes[0]))),
            }
            if kind == "postgres" {
                CheckSpec::Postgres { url }
            } else {
                CheckSpec::Redis { url }
            }
        }
        _ => {
            let host = rc
                .host
                .clone()
                .ok_or_else(|| err("host", "is required for kind `tcp`".into()))?;
            if host.is_empty() {
                return Err(err("host", "must not be empty".into()));
            }
            let port = rc
                .port
                .ok_or_else(|| err("port", "is required for kind `tcp`".into()))?;
            if port == 0 {
                return Err(err("port", "must be between 1 and 65535".into()));
            }
            CheckSpec::Tcp { host, port }
        }
    };

    let component_type = match &rc.component_type {
        Some(t) => ComponentType::parse(t).ok_or_else(|| {
            err(
                "type",
                format!(
                    "`{t}` is not one of {}",
                    ComponentType::ALL.map(|c| c.as_str()).join(", ")
                ),
            )
        })?,
        None => default_type(&check),
    };

    Ok(ComponentConfig {
        name,
        component_type,
        critical: rc.critical.unwrap_or(false),
        interval,
        timeout,
        degraded_after,
        failure_threshold,
        success_threshold,
        confirm_interval,
        check,
    })
}

fn default_type(check: &CheckSpec) -> ComponentType {
    match check {
        CheckSpec::Database => ComponentType::Database,
        CheckSpec::Disk { .. } => ComponentType::FileSystem,
        CheckSpec::Memory { .. } => ComponentType::Application,
        CheckSpec::Http { .. } => ComponentType::ExternalService,
        CheckSpec::Tcp { .. } => ComponentType::Network,
        CheckSpec::Postgres { .. } => ComponentType::Database,
        CheckSpec::Redis { .. } => ComponentType::Cache,
        CheckSpec::Mcp { .. } => ComponentType::ExternalService,
    }
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

/// With no components configured, Pulse watches itself so a fresh install shows real cards.
pub fn default_components(addr: SocketAddr, database_url: &str) -> Vec<ComponentConfig> {
    let local = match addr.ip() {
        ip if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        _ => addr,
    };
    let base =
        |name: &str, check: CheckSpec, critical: bool, degraded_ms: Option<u64>| ComponentConfig {
            name: name.to_string(),
            component_type: default_type(&check),
            critical,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            degraded_after: degraded_ms.map(Duration::from_millis),
            failure_threshold: 3,
            success_threshold: 2,
            confirm_interval: DEFAULT_CONFIRM_INTERVAL,
            check,
        };
    let mut liveness = base(
        "pulse-http",
        CheckSpec::Http {
            url: format!("http://{local}/health/live"),
            expected_status: 200,
            body_contains: None,
        },
        false,
        Some(1000),
    );
    liveness.component_type = ComponentType::Application;
    vec![
        base("database", CheckSpec::Database, true, Some(500)),
        base(
            "disk",
            CheckSpec::Disk {
                path: data_dir(database_url),
                degraded_percent: 80.0,
                unhealthy_percent: 90.0,
            },
            false,
            None,
        ),
        base(
            "memory",
            CheckSpec::Memory {
                degraded_percent: 80.0,
                unhealthy_percent: 90.0,
            },
            false,
            None,
        ),
        liveness,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_sources(Some(("pulse.toml", text)), no_env)
    }

    fn err_text(text: &str) -> String {
        load(text)
            .expect_err("config should be rejected")
            .to_string()
    }

    #[test]
    fn defaults_watch_pulse_itself() {
        let c = Config::from_sources(None, no_env).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        let names: Vec<_> = c.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["database", "disk", "memory", "pulse-http"]);
        assert!(c.components[0].critical);
        assert_eq!(
            c.components[1].check,
            CheckSpec::Disk {
                path: PathBuf::from("data"),
                degraded_percent: 80.0,
                unhealthy_percent: 90.0
            }
        );
        match &c.components[3].check {
            CheckSpec::Http { url, .. } => assert_eq!(url, "http://127.0.0.1:3000/health/live"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn env_overrides_file() {
        let env = |k: &str| match k {
            "PULSE_ADDR" => Some("0.0.0.0:8080".to_string()),
            "PULSE_LOG_FORMAT" => Some("json".to_string()),
            _ => None,
        };
        let c = Config::from_sources(Some(("f.toml", "addr = \"127.0.0.1:1\"")), env).unwrap();
        assert_eq!(c.addr.port(), 8080);
        assert_eq!(c.log_format, LogFormat::Json);
        // The self-check must reach Pulse through loopback, not the unspecified address.
        assert!(c.components.iter().any(|c| matches!(&c.check,
            CheckSpec::Http { url, .. } if url == "http://127.0.0.1:8080/health/live")));
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let env = |k: &str| (k == "PULSE_LOG_FORMAT").then(|| "xml".to_string());
        let e = Config::from_sources(None, env).unwrap_err().to_string();
        assert!(e.contains("PULSE_LOG_FORMAT"), "{e}");
        assert!(e.contains("xml"), "{e}");
    }

    #[test]
    fn full_component_parses() {
        let c = load(
            r#"
            [[components]]
            name = "gateway"
            kind = "http"
            critical = true
            interval = "15s"
            timeout = "2s"
            degraded_after = "300ms"
            failure_threshold = 4
            success_threshold = 1
            url = "https://gw.example/health"
            expected_status = 204
            body_contains = "ok"

            [[components]]
            name = "redis"
            kind = "tcp"
            type = "cache"
            host = "127.0.0.1"
            port = 6379
            "#,
        )
        .unwrap();
        assert_eq!(c.components.len(), 2);
        let gw = &c.components[0];
        assert_eq!(gw.interval, Duration::from_secs(15));
        assert_eq!(gw.timeout, Duration::from_secs(2));
        assert_eq!(gw.degraded_after, Some(Duration::from_millis(300)));
        assert_eq!(gw.failure_threshold, 4);
        assert_eq!(gw.confirm_interval, Duration::from_secs(2));
        assert_eq!(gw.component_type, ComponentType::ExternalService);
        assert_eq!(c.components[1].component_type, ComponentType::Cache);
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_key() {
        let e = err_text(
            "[[components]]\nname = \"a\"\nkind = \"tcp\"\nhost = \"x\"\nport = 1\nurll = \"x\"\n",
        );
        assert!(e.starts_with("pulse.toml"), "{e}");
        assert!(e.contains("urll"), "{e}");
        let e = err_text("adress = \"x\"");
        assert!(e.contains("adress"), "{e}");
    }

    #[test]
    fn invalid_values_name_file_key_and_reason() {
        let cases = [
            ("[[components]]\nname = \"Bad Name\"\nkind = \"database\"", "components[0].name"),
            ("[[components]]\nname = \"mcp_servers\"\nkind = \"database\"", "components[0].name"),
            ("[[components]]\nname = \"a\"\nkind = \"ftp\"", "components[0].kind"),
            ("[[components]]\nname = \"a\"\nkind = \"http\"", "components[0].url"),
            ("[[components]]\nname = \"a\"\nkind = \"http\"\nurl = \"ftp://x\"", "components[0].url"),
            ("[[components]]\nname = \"a\"\nkind = \"tcp\"\nhost = \"h\"", "components[0].port"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\ninterval = \"soon\"", "components[0].interval"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\ntimeout = \"1m\"", "components[0].timeout"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\ndegraded_after = \"6s\"", "components[0].degraded_after"),
            ("[[components]]\nname = \"a\"\nkind = \"memory\"\ndegraded_percent = 95.0", "components[0].degraded_percent"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\nport = 5", "components[0].port"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\nfailure_threshold = 0", "components[0].failure_threshold"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\nconfirm_interval = \"1m\"", "components[0].confirm_interval"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\ntype = \"queue\"", "components[0].type"),
            ("[[components]]\nname = \"a\"\nkind = \"database\"\n[[components]]\nname = \"a\"\nkind = \"memory\"", "components[1].name"),
            ("addr = \"localhost\"", "addr"),
            ("database_url = \"mysql://x\"", "database_url"),
            ("[health]\nmax_concurrent_checks = 0", "health.max_concurrent_checks"),
        ];
        for (text, key) in cases {
            let e = err_text(text);
            assert!(e.starts_with("pulse.toml: key `"), "{text}: {e}");
            assert!(
                e.contains(&format!("`{key}`")),
                "{text}: expected key {key} in {e}"
            );
        }
    }

    #[test]
    fn postgres_and_redis_kinds() {
        let c = load(
            "[[components]]\nname = \"gw-db\"\nkind = \"postgres\"\nurl = \"postgres://u:pw@127.0.0.1/db\"\n\
             [[components]]\nname = \"gw-cache\"\nkind = \"redis\"\nurl = \"redis://127.0.0.1:6379\"",
        )
        .unwrap();
        assert_eq!(c.components[0].component_type, ComponentType::Database);
        assert_eq!(c.components[1].component_type, ComponentType::Cache);
        assert_eq!(
            c.components[1].degraded_after,
            Some(Duration::from_millis(500))
        );
        let e = err_text(
            "[[components]]\nname = \"a\"\nkind = \"postgres\"\nurl = \"mysql://u:secret@h/d\"",
        );
        assert!(e.contains("components[0].url"), "{e}");
        assert!(!e.contains("secret"), "the password leaked: {e}");
        let e = err_text("[[components]]\nname = \"a\"\nkind = \"redis\"\nhost = \"h\"");
        assert!(e.contains("components[0].host"), "{e}");
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let env = |k: &str| (k == "MCP_TOKEN").then(|| "t".to_string());
        let example = include_str!("../pulse.example.toml");
        let c = Config::from_sources(Some(("pulse.example.toml", example)), env).unwrap();
        let kinds: Vec<_> = c.components.iter().map(|c| c.check.kind()).collect();
        assert_eq!(
            kinds,
            ["database", "disk", "memory", "http", "tcp", "postgres", "redis", "mcp"]
        );
    }

    #[test]
    fn audit_and_role_settings_are_validated_with_the_key_named() {
        for (text, key) in [
            ("[roles.targets_ms]\nroot = 50", "roles.targets_ms.root"),
            ("[roles.targets_ms]\nguest = -1", "roles.targets_ms.guest"),
            (
                "[roles.rate_limits_rpm]\nviewer = 0",
                "roles.rate_limits_rpm.viewer",
            ),
            ("[audit]\nself_role = \"owner\"", "audit.self_role"),
            ("[audit]\nmax_details_bytes = 1", "audit.max_details_bytes"),
            (
                "[audit.categories]\nother = [\"a.b\"]",
                "audit.categories.other",
            ),
            (
                "[audit.categories]\nOps = [\"a.b\"]",
                "audit.categories.Ops",
            ),
            (
                "[audit.categories]\nops = [\"drop table\"]",
                "audit.categories.ops",
            ),
        ] {
            let e = err_text(text);
            assert!(e.contains(key), "{text}: {e}");
        }
        let c = load(
            "[roles.targets_ms]\nguest = 800\n[roles.rate_limits_rpm]\nadmin = 5000\n\
                      [audit.categories]\nops_actions = [\"incident.ack\"]",
        )
        .unwrap();
        assert_eq!(
            c.audit.targets_ms,
            [100.0, 150.0, 200.0, 250.0, 300.0, 800.0]
        );
        assert_eq!(c.audit.rate_limits_rpm[0], 5000);
        assert_eq!(
            c.audit.categories,
            vec![("ops_actions".to_string(), vec!["incident.ack".to_string()])]
        );
    }

    #[test]
    fn traffic_settings_validate_tokens_limits_and_env() {
        let err = |text: &str, env: &dyn Fn(&str) -> Option<String>| {
            Config::from_sources(Some(("pulse.toml", text)), env)
                .unwrap_err()
                .to_string()
        };
        let none = |_: &str| None;
        let e = err("[ingest]\ntokens = [\"short\"]", &none);
        assert!(e.contains("ingest.tokens[0]") && e.contains("16"), "{e}");
        let e = err("[ingest]\nmax_batch = 500\nqueue_events = 100", &none);
        assert!(e.contains("ingest.queue_events"), "{e}");
        let e = err("[retention]\nraw_events = \"10m\"", &none);
        assert!(e.contains("retention.raw_events"), "{e}");
        let e = err("[ingest]\nflush_interval = \"soon\"", &none);
        assert!(e.contains("ingest.flush_interval"), "{e}");
        let e = err("[ingest]\ntokenz = []", &none);
        assert!(e.contains("tokenz"), "{e}");
        let bad_env =
            |k: &str| (k == "PULSE_INGEST_TOKENS").then(|| "ok-token-0123456789,x".to_string());
        let e = err("", &bad_env);
        assert!(
            e.starts_with("environment") && e.contains("PULSE_INGEST_TOKENS[1]"),
            "{e}"
        );
        let env = |k: &str| {
            (k == "PULSE_INGEST_TOKENS")
                .then(|| " a-token-0123456789ab , b-token-0123456789ab ".to_string())
        };
        let c = Config::from_sources(
            Some((
                "pulse.toml",
                "[ingest]\ntokens = [\"file-token-0123456789\"]",
            )),
            env,
        )
        .unwrap();
        let t: Vec<&str> = c
            .traffic
            .ingest_tokens
            .iter()
            .map(|s| s.0.as_str())
            .collect();
        assert_eq!(
            t,
            ["a-token-0123456789ab", "b-token-0123456789ab"],
            "env replaces the file's list"
        );
        assert_eq!(
            format!("{:?}", c.traffic.ingest_tokens),
            "[***, ***]",
            "never printed"
        );
        let d = Config::from_sources(None, none).unwrap().traffic;
        assert_eq!((d.max_batch, d.max_body_bytes), (10_000, 5 * 1024 * 1024));
        assert!(d.ingest_tokens.is_empty());
    }

    #[test]
    fn mcp_kind_expands_header_variables_and_hides_them() {
        let text = "[[components]]\nname = \"srv\"\nkind = \"mcp\"\nurl = \"http://127.0.0.1:9/mcp\"\n\
                    headers = { Authorization = \"Bearer ${MCP_TOKEN}\" }\nprotocol_version = \"2025-03-26\"";
        let env = |k: &str| (k == "MCP_TOKEN").then(|| "tok-123".to_string());
        let c = Config::from_sources(Some(("pulse.toml", text)), env).unwrap();
        match &c.components[0].check {
            CheckSpec::Mcp {
                headers,
                protocol_version,
                list_tools,
                ..
            } => {
                assert_eq!(headers[0].0, "Authorization");
                assert_eq!(headers[0].1 .0, "Bearer tok-123");
                assert_eq!(protocol_version.as_deref(), Some("2025-03-26"));
                assert!(*list_tools);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            !format!("{:?}", c.components[0]).contains("tok-123"),
            "secret in Debug output"
        );
        let e = Config::from_sources(Some(("pulse.toml", text)), no_env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("components[0].headers.Authorization") && e.contains("MCP_TOKEN"),
            "{e}"
        );
        let e = err_text("[[components]]\nname = \"s\"\nkind = \"mcp\"\nurl = \"http://h/mcp\"\nauth_required_status = \"fine\"");
        assert!(e.contains("components[0].auth_required_status"), "{e}");
        let e = err_text("[[components]]\nname = \"s\"\nkind = \"mcp\"\nurl = \"http://h/mcp\"\nprotocol_version = \"1.0\"");
        assert!(e.contains("components[0].protocol_version"), "{e}");
    }

    #[test]
    fn empty_component_list_means_none() {
        let c = load("components = []").unwrap();
        assert!(c.components.is_empty());
    }

    #[test]
    fn data_dir_follows_the_sqlite_file() {
        assert_eq!(data_dir("sqlite://data/pulse.db"), PathBuf::from("data"));
        assert_eq!(
            data_dir("sqlite:///var/lib/pulse/p.db?mode=rwc"),
            PathBuf::from("/var/lib/pulse")
        );
        assert_eq!(data_dir("sqlite:pulse.db"), PathBuf::from("."));
        assert_eq!(data_dir("postgres://localhost/test"), PathBuf::from("."));
    }
}
