//! Component kinds: what each kind checks (`CheckSpec`), the keys it takes, its defaults and
//! one small validator per kind. Adding a kind means a variant here and the check that runs it.

use super::{expand_env, ConfigError, Secret};
use crate::model::{ComponentType, Status};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// How a kind validator reports a bad key: `(key under the component, reason)`.
pub(super) type KeyError<'a> = dyn Fn(&str, String) -> ConfigError + 'a;

/// A component as written: the keys every component shares (validated in `components`) and
/// every kind's own keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComponent {
    pub(super) name: Option<String>,
    pub(super) kind: Option<String>,
    #[serde(rename = "type")]
    pub(super) component_type: Option<String>,
    pub(super) critical: Option<bool>,
    pub(super) interval: Option<String>,
    pub(super) timeout: Option<String>,
    pub(super) degraded_after: Option<String>,
    pub(super) failure_threshold: Option<u32>,
    pub(super) success_threshold: Option<u32>,
    pub(super) confirm_interval: Option<String>,
    pub(super) depends_on: Option<Vec<String>>,
    pub(super) group: Option<String>,
    pub(super) url: Option<String>,
    pub(super) headers: Option<std::collections::BTreeMap<String, String>>,
    pub(super) protocol_version: Option<String>,
    pub(super) list_tools: Option<bool>,
    pub(super) auth_required_status: Option<String>,
    pub(super) expected_status: Option<u16>,
    pub(super) body_contains: Option<String>,
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) path: Option<String>,
    pub(super) degraded_percent: Option<f64>,
    pub(super) unhealthy_percent: Option<f64>,
    pub(super) max_failures: Option<u32>,
}

impl RawComponent {
    /// Every kind-specific key and whether it is set.
    pub(super) fn kind_keys(&self) -> [(&'static str, bool); 13] {
        [
            ("url", self.url.is_some()),
            ("headers", self.headers.is_some()),
            ("protocol_version", self.protocol_version.is_some()),
            ("list_tools", self.list_tools.is_some()),
            ("auth_required_status", self.auth_required_status.is_some()),
            ("expected_status", self.expected_status.is_some()),
            ("body_contains", self.body_contains.is_some()),
            ("host", self.host.is_some()),
            ("port", self.port.is_some()),
            ("path", self.path.is_some()),
            ("degraded_percent", self.degraded_percent.is_some()),
            ("unhealthy_percent", self.unhealthy_percent.is_some()),
            ("max_failures", self.max_failures.is_some()),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Pulse's own store.
    Database,
    Disk,
    Memory,
    Http,
    Tcp,
    /// A PostgreSQL server (e.g. the gateway's), not Pulse's own store.
    Postgres,
    Redis,
    /// An MCP server over Streamable HTTP.
    Mcp,
    /// Role synchronisation from the identity provider, judged by the role-sync failures
    /// audit events reported in the last 15 minutes.
    RoleSync,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Database,
        Kind::Disk,
        Kind::Memory,
        Kind::Http,
        Kind::Tcp,
        Kind::Postgres,
        Kind::Redis,
        Kind::Mcp,
        Kind::RoleSync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Database => "database",
            Kind::Disk => "disk",
            Kind::Memory => "memory",
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Postgres => "postgres",
            Kind::Redis => "redis",
            Kind::Mcp => "mcp",
            Kind::RoleSync => "role_sync",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// `database, disk, …` for error messages.
    pub(super) fn names() -> String {
        Kind::ALL.map(Kind::as_str).join(", ")
    }

    /// The kind-specific keys this kind takes; another kind's key is an error, so a typo'd or
    /// misplaced key is never silently ignored.
    pub(super) fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Database => &[],
            Kind::Disk => &["path", "degraded_percent", "unhealthy_percent"],
            Kind::Memory => &["degraded_percent", "unhealthy_percent"],
            Kind::Http => &["url", "expected_status", "body_contains"],
            Kind::Postgres | Kind::Redis => &["url"],
            Kind::Mcp => &[
                "url",
                "headers",
                "protocol_version",
                "list_tools",
                "auth_required_status",
            ],
            Kind::Tcp => &["host", "port"],
            Kind::RoleSync => &["max_failures"],
        }
    }

    /// Before it is capped at the interval.
    pub(super) fn default_timeout(self) -> Duration {
        match self {
            Kind::Http | Kind::Mcp => Duration::from_secs(10),
            _ => Duration::from_secs(5),
        }
    }

    /// Latency above which a success counts as degraded, unless configured (none for the host
    /// probes, whose latency says nothing).
    pub(super) fn default_degraded_after(self) -> Option<Duration> {
        match self {
            Kind::Database | Kind::Tcp | Kind::Postgres | Kind::Redis => {
                Some(Duration::from_millis(500))
            }
            Kind::Http | Kind::Mcp => Some(Duration::from_millis(1000)),
            Kind::Disk | Kind::Memory | Kind::RoleSync => None,
        }
    }

    /// The card's type when the config does not say.
    pub fn default_type(self) -> ComponentType {
        match self {
            Kind::Database | Kind::Postgres => ComponentType::Database,
            Kind::Disk => ComponentType::FileSystem,
            Kind::Memory | Kind::RoleSync => ComponentType::Application,
            Kind::Http | Kind::Mcp => ComponentType::ExternalService,
            Kind::Tcp => ComponentType::Network,
            Kind::Redis => ComponentType::Cache,
        }
    }

    /// This kind's own keys, validated into what the check needs.
    pub(super) fn check(
        self,
        rc: &RawComponent,
        err: &KeyError,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<CheckSpec, ConfigError> {
        match self {
            Kind::Database => Ok(CheckSpec::Database),
            Kind::Disk => disk(rc, err),
            Kind::Memory => {
                let (degraded_percent, unhealthy_percent) = percents(rc, err)?;
                Ok(CheckSpec::Memory {
                    degraded_percent,
                    unhealthy_percent,
                })
            }
            Kind::Http => http(rc, err, env),
            Kind::Tcp => tcp(rc, err),
            Kind::Postgres => Ok(CheckSpec::Postgres {
                url: server_url(rc, err, env, self, &["postgres", "postgresql"])?,
            }),
            Kind::Redis => Ok(CheckSpec::Redis {
                url: server_url(rc, err, env, self, &["redis", "rediss"])?,
            }),
            Kind::Mcp => mcp(rc, err, env),
            Kind::RoleSync => Ok(CheckSpec::RoleSync {
                max_failures: rc.max_failures.unwrap_or(0),
            }),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "check", rename_all = "lowercase")]
pub enum CheckSpec {
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
        #[serde(serialize_with = "super::redacted_url")]
        url: String,
        expected_status: u16,
        body_contains: Option<String>,
    },
    Tcp {
        host: String,
        port: u16,
    },
    Postgres {
        #[serde(serialize_with = "super::redacted_url")]
        url: String,
    },
    Redis {
        #[serde(serialize_with = "super::redacted_url")]
        url: String,
    },
    Mcp {
        #[serde(serialize_with = "super::redacted_url")]
        url: String,
        headers: Vec<(String, Secret)>,
        protocol_version: Option<String>,
        list_tools: bool,
        /// Status for a server that answers 401/403: degraded by default, or unhealthy.
        auth_required_status: Status,
    },
    /// Unhealthy when more than `max_failures` role syncs failed in the last 15 minutes.
    RoleSync {
        max_failures: u32,
    },
}

impl CheckSpec {
    pub fn kind(&self) -> Kind {
        match self {
            CheckSpec::Database => Kind::Database,
            CheckSpec::Disk { .. } => Kind::Disk,
            CheckSpec::Memory { .. } => Kind::Memory,
            CheckSpec::Http { .. } => Kind::Http,
            CheckSpec::Tcp { .. } => Kind::Tcp,
            CheckSpec::Postgres { .. } => Kind::Postgres,
            CheckSpec::Redis { .. } => Kind::Redis,
            CheckSpec::Mcp { .. } => Kind::Mcp,
            CheckSpec::RoleSync { .. } => Kind::RoleSync,
        }
    }
}

/// `degraded_percent` below `unhealthy_percent`, both 0-100 (defaults 80 and 90).
fn percents(rc: &RawComponent, err: &KeyError) -> Result<(f64, f64), ConfigError> {
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
}

fn required<T: Clone>(
    v: &Option<T>,
    key: &str,
    kind: Kind,
    err: &KeyError,
) -> Result<T, ConfigError> {
    v.clone()
        .ok_or_else(|| err(key, format!("is required for kind `{kind}`")))
}

/// `url` as written and with `${NAME}` replaced from the environment (so a password can stay
/// out of the file). Messages quote the written form, never the expanded one.
fn url(
    rc: &RawComponent,
    kind: Kind,
    err: &KeyError,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String), ConfigError> {
    let written = required(&rc.url, "url", kind, err)?;
    let expanded = expand_env(&written, env).map_err(|r| err("url", r))?;
    Ok((written, expanded))
}

fn disk(rc: &RawComponent, err: &KeyError) -> Result<CheckSpec, ConfigError> {
    let (degraded_percent, unhealthy_percent) = percents(rc, err)?;
    let path = required(&rc.path, "path", Kind::Disk, err)?;
    if path.is_empty() {
        return Err(err("path", "must not be empty".into()));
    }
    Ok(CheckSpec::Disk {
        path: PathBuf::from(path),
        degraded_percent,
        unhealthy_percent,
    })
}

fn http(
    rc: &RawComponent,
    err: &KeyError,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CheckSpec, ConfigError> {
    let (written, url) = url(rc, Kind::Http, err, env)?;
    match reqwest::Url::parse(&url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        Ok(u) => {
            return Err(err(
                "url",
                format!("scheme `{}` is not http or https", u.scheme()),
            ))
        }
        Err(e) => return Err(err("url", format!("`{written}` is not a URL ({e})"))),
    }
    let expected_status = rc.expected_status.unwrap_or(200);
    if !(100..=599).contains(&expected_status) {
        return Err(err("expected_status", "must be between 100 and 599".into()));
    }
    Ok(CheckSpec::Http {
        url,
        expected_status,
        body_contains: rc.body_contains.clone(),
    })
}

fn tcp(rc: &RawComponent, err: &KeyError) -> Result<CheckSpec, ConfigError> {
    let host = required(&rc.host, "host", Kind::Tcp, err)?;
    if host.is_empty() {
        return Err(err("host", "must not be empty".into()));
    }
    let port = required(&rc.port, "port", Kind::Tcp, err)?;
    if port == 0 {
        return Err(err("port", "must be between 1 and 65535".into()));
    }
    Ok(CheckSpec::Tcp { host, port })
}

/// A postgres or redis server's URL in one of `schemes`.
fn server_url(
    rc: &RawComponent,
    err: &KeyError,
    env: &dyn Fn(&str) -> Option<String>,
    kind: Kind,
    schemes: &[&str],
) -> Result<String, ConfigError> {
    let (_, url) = url(rc, kind, err, env)?;
    match reqwest::Url::parse(&url) {
        Ok(u) if schemes.contains(&u.scheme()) => Ok(url),
        // The URL may carry a password: never echo it back.
        _ => Err(err("url", format!("must be a {}:// URL", schemes[0]))),
    }
}

fn mcp(
    rc: &RawComponent,
    err: &KeyError,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CheckSpec, ConfigError> {
    let (written, url) = url(rc, Kind::Mcp, err, env)?;
    match reqwest::Url::parse(&url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        _ => return Err(err("url", format!("`{written}` is not an http(s) URL"))),
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
    let headers = super::parse_headers(rc.headers.as_ref(), env, err)?;
    let auth_required_status = match rc.auth_required_status.as_deref() {
        None | Some("degraded") => Status::Degraded,
        Some("unhealthy") => Status::Unhealthy,
        Some(other) => {
            return Err(err(
                "auth_required_status",
                format!("`{other}` is not one of degraded, unhealthy"),
            ))
        }
    };
    Ok(CheckSpec::Mcp {
        url,
        headers,
        protocol_version: rc.protocol_version.clone(),
        list_tools: rc.list_tools.unwrap_or(true),
        auth_required_status,
    })
}
