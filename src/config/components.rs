//! `[[components]]`: what every component shares (name, type, interval, timeout, thresholds),
//! validated here; what its kind adds is validated in `kinds`.

use super::kinds::{CheckSpec, KeyError, Kind, RawComponent};
use super::{parse_duration, ConfigError, Keys};
use crate::model::ComponentType;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

const DEFAULT_CONFIRM_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ComponentConfig {
    pub name: String,
    pub component_type: ComponentType,
    pub critical: bool,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub interval: Duration,
    #[serde(serialize_with = "crate::config::view::duration")]
    pub timeout: Duration,
    /// Latency above which a successful check counts as degraded.
    #[serde(serialize_with = "crate::config::view::option_duration")]
    pub degraded_after: Option<Duration>,
    pub failure_threshold: u32,
    pub success_threshold: u32,
    /// After a failure, the check re-runs this soon (not after `interval`) until the failure
    /// threshold decides, so an outage is declared in seconds.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub confirm_interval: Duration,
    /// Components this one needs: while one of them is down (its unhealthy alert firing),
    /// this one's alerts are suppressed.
    pub depends_on: Vec<String>,
    /// The group this component counts in (`auth`: the derived `authentication_system`).
    pub group: Option<String>,
    pub check: CheckSpec,
}

impl ComponentConfig {
    /// Strings this component's check could echo that are credentials: URL passwords and
    /// secret query values, header values (and a `Bearer <token>`'s token alone).
    pub fn secrets(&self) -> Vec<String> {
        match &self.check {
            CheckSpec::Http { url, .. }
            | CheckSpec::Postgres { url }
            | CheckSpec::Redis { url } => crate::redact::url_secrets(url),
            CheckSpec::Mcp { url, headers, .. } => {
                let mut s = crate::redact::url_secrets(url);
                for (_, v) in headers {
                    s.push(v.0.clone());
                    if let Some((_, t)) = v.0.split_once(' ') {
                        s.push(t.to_string());
                    }
                }
                s
            }
            CheckSpec::Database
            | CheckSpec::Disk { .. }
            | CheckSpec::Memory { .. }
            | CheckSpec::RoleSync { .. }
            | CheckSpec::Tcp { .. } => Vec::new(),
        }
    }
}

/// Every component, in order; names are unique.
pub(super) fn validate_all(
    source: &str,
    list: Vec<RawComponent>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<ComponentConfig>, ConfigError> {
    let mut out: Vec<ComponentConfig> = Vec::with_capacity(list.len());
    for (i, rc) in list.into_iter().enumerate() {
        let c = validate(source, i, rc, env)?;
        if out.iter().any(|o| o.name == c.name) {
            return Err(ConfigError::Invalid {
                source_name: source.to_string(),
                key: format!("components[{i}].name"),
                reason: format!("`{}` is used by an earlier component", c.name),
            });
        }
        out.push(c);
    }
    for (i, c) in out.iter().enumerate() {
        // A group's derived component is a component too: its name must be free.
        if let Some(g) = &c.group {
            let derived = crate::model::group_component(g);
            if out.iter().any(|o| o.name == derived) || derived == crate::model::MCP_GROUP {
                return Err(ConfigError::Invalid {
                    source_name: source.to_string(),
                    key: format!("components[{i}].group"),
                    reason: format!(
                        "group `{g}` stands for the derived component `{derived}`, \
                         which is already a component's name"
                    ),
                });
            }
        }
        for d in &c.depends_on {
            if d == &c.name || !out.iter().any(|o| &o.name == d) {
                return Err(ConfigError::Invalid {
                    source_name: source.to_string(),
                    key: format!("components[{i}].depends_on"),
                    reason: format!("`{d}` is not another component's name"),
                });
            }
        }
    }
    Ok(out)
}

fn validate(
    source: &str,
    index: usize,
    rc: RawComponent,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ComponentConfig, ConfigError> {
    let keys = Keys::new(source, format!("components[{index}]."));
    let err = |key: &str, reason: String| keys.invalid(key, reason);
    let dur = |key: &str, v: &Option<String>, default: Duration| keys.duration(key, v, default);
    let name = name(&rc, &err)?;
    let kind = kind(&rc, &err)?;

    let interval = dur("interval", &rc.interval, Duration::from_secs(30))?;
    if interval < Duration::from_secs(1) || interval > Duration::from_secs(86_400) {
        return Err(err("interval", "must be between 1s and 24h".into()));
    }
    let default_timeout = kind.default_timeout().min(interval);
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
    let default_degraded = kind.default_degraded_after().filter(|d| *d < timeout);
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
    let failure_threshold = threshold(rc.failure_threshold, 3, "failure_threshold", &err)?;
    let success_threshold = threshold(rc.success_threshold, 2, "success_threshold", &err)?;
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

    let check = kind.check(&rc, &err, env)?;

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
        None => kind.default_type(),
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
        depends_on: rc.depends_on.clone().unwrap_or_default(),
        group: group(&rc, &err)?,
        check,
    })
}

/// Consecutive results before a status changes: 1 to 100.
fn threshold(v: Option<u32>, default: u32, key: &str, err: &KeyError) -> Result<u32, ConfigError> {
    let n = v.unwrap_or(default);
    if !(1..=100).contains(&n) {
        return Err(err(key, "must be between 1 and 100".into()));
    }
    Ok(n)
}

/// 1-64 characters of a-z, 0-9, '-' and '_', not the MCP group's name.
fn name(rc: &RawComponent, err: &KeyError) -> Result<String, ConfigError> {
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
    Ok(name)
}

/// 1-32 characters of a-z, 0-9 and '_'.
fn group(rc: &RawComponent, err: &KeyError) -> Result<Option<String>, ConfigError> {
    let Some(g) = &rc.group else {
        return Ok(None);
    };
    let ok = !g.is_empty()
        && g.len() <= 32
        && g.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(err(
            "group",
            format!(
                "`{}` must be 1-32 characters of a-z, 0-9 and '_', such as auth",
                crate::model::shown(g)
            ),
        ));
    }
    Ok(Some(g.clone()))
}

/// A known kind, and none of the other kinds' keys.
fn kind(rc: &RawComponent, err: &KeyError) -> Result<Kind, ConfigError> {
    let kind_name = rc
        .kind
        .clone()
        .ok_or_else(|| err("kind", format!("is required (one of {})", Kind::names())))?;
    let kind = Kind::parse(&kind_name).ok_or_else(|| {
        err(
            "kind",
            format!("`{kind_name}` is not one of {}", Kind::names()),
        )
    })?;
    for (key, is_set) in rc.kind_keys() {
        if is_set && !kind.keys().contains(&key) {
            return Err(err(key, format!("does not apply to kind `{kind}`")));
        }
    }
    Ok(kind)
}

/// With no components configured, Pulse watches itself so a fresh install shows real cards.
pub(super) fn defaults(addr: SocketAddr, database_url: &str) -> Vec<ComponentConfig> {
    let local = match addr.ip() {
        ip if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        _ => addr,
    };
    let base =
        |name: &str, check: CheckSpec, critical: bool, degraded_ms: Option<u64>| ComponentConfig {
            name: name.to_string(),
            component_type: check.kind().default_type(),
            critical,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            degraded_after: degraded_ms.map(Duration::from_millis),
            failure_threshold: 3,
            success_threshold: 2,
            confirm_interval: DEFAULT_CONFIRM_INTERVAL,
            depends_on: Vec::new(),
            group: None,
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
                path: super::data_dir(database_url),
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
