//! `[server]`: timeouts and the connection cap that keep a stalled peer from holding Pulse.

use super::{ConfigError, Keys};
use serde::Deserialize;
use std::time::Duration;

/// How long Pulse waits on a client, and how many it serves at once: every peer can stall.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServerSettings {
    /// Time to send a request's headers; on HTTP/1 also how long an idle keep-alive
    /// connection is kept.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub header_timeout: Duration,
    /// Longest wait for the next piece of a request body.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub body_timeout: Duration,
    /// Longest time from a request's headers to its response's head.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub request_timeout: Duration,
    /// A response write that makes no progress this long closes the connection.
    #[serde(serialize_with = "crate::config::view::duration")]
    pub write_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM, connections still open this long are dropped (accepted ingest is
    /// committed regardless).
    #[serde(serialize_with = "crate::config::view::duration")]
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) header_timeout: Option<String>,
    pub(super) body_timeout: Option<String>,
    pub(super) request_timeout: Option<String>,
    pub(super) write_timeout: Option<String>,
    pub(super) max_connections: Option<usize>,
    pub(super) shutdown_grace: Option<String>,
    /// Read by the auth section (`AuthSettings::allowed_hosts`).
    pub(super) allowed_hosts: Option<Vec<String>>,
}

pub(super) fn settings(source: &str, raw: &RawServer) -> Result<ServerSettings, ConfigError> {
    let d = ServerSettings::default();
    let k = Keys::new(source, "server.");
    // Zero would disable a guard and hours would make it meaningless: both are refused.
    let dur = |key: &str, v: &Option<String>, default: Duration| {
        let value = k.duration(key, v, default)?;
        if value < Duration::from_millis(100) || value > Duration::from_secs(600) {
            return Err(k.invalid(key, "must be between 100ms and 10m".to_string()));
        }
        Ok(value)
    };
    let max_connections = raw.max_connections.unwrap_or(d.max_connections);
    if !(1..=100_000).contains(&max_connections) {
        return Err(k.invalid(
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
