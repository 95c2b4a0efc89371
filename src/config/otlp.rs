//! `[otlp]`: the OpenTelemetry receiver — its gRPC listener, which attribute carries a role,
//! and the attribute names (aliases) and span names that say what an MCP operation is.

use super::{ConfigError, Keys};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Where OTLP/gRPC is served when nothing says otherwise: the port every exporter defaults to.
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:4317";

/// Attribute names per Pulse field, tried in order; the first one a span carries wins.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Aliases {
    /// The MCP method (`tools/call`): the route.
    pub route: Vec<String>,
    pub tool: Vec<String>,
    pub server: Vec<String>,
    pub user: Vec<String>,
    pub session: Vec<String>,
    pub client_address: Vec<String>,
    /// Attributes whose presence marks the operation as failed (`error.type`, JSON-RPC codes).
    pub error: Vec<String>,
    /// An HTTP status the span carries; used as the status when present.
    pub http_status: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Aliases {
    /// The OpenTelemetry MCP conventions first, then what gateways emit in their own words
    /// (ContextForge's `tool.name`, FastMCP's `tool_name`, ...).
    fn default() -> Self {
        Aliases {
            route: names(&["mcp.method.name", "rpc.method"]),
            tool: names(&[
                "gen_ai.tool.name",
                "mcp.tool.name",
                "tool.name",
                "tool_name",
            ]),
            server: names(&["mcp.server.name", "gateway.name", "server.name"]),
            user: names(&["user.id", "enduser.id", "jwt.sub", "user.email"]),
            session: names(&["mcp.session.id", "session.id"]),
            client_address: names(&["client.address"]),
            error: names(&["error.type", "rpc.response.status_code", "exception.type"]),
            http_status: names(&["http.response.status_code", "http.status_code"]),
        }
    }
}

impl Aliases {
    /// Each field with its names, in a fixed order (the mapper indexes fields by position).
    pub fn fields(&self) -> [(&'static str, &[String]); 8] {
        [
            ("route", &self.route),
            ("tool", &self.tool),
            ("server", &self.server),
            ("user", &self.user),
            ("session", &self.session),
            ("client_address", &self.client_address),
            ("error", &self.error),
            ("http_status", &self.http_status),
        ]
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OtlpSettings {
    /// OTLP/gRPC listener; `None` when switched off (`grpc_addr = ""`).
    pub grpc_addr: Option<SocketAddr>,
    /// The attribute naming the caller's role (one of the six; anything else is no role).
    pub role_attribute: String,
    pub aliases: Aliases,
    /// Span names that are MCP operations without `mcp.method.name`, and the method each is
    /// (ContextForge's `tool.invoke` is a `tools/call`).
    pub span_routes: BTreeMap<String, String>,
    /// Fold `mcp.{server,client}.operation.duration` histograms into the request rollups. Off
    /// by default: a gateway that exports traces too would be counted twice.
    pub fold_duration_metrics: bool,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        OtlpSettings {
            grpc_addr: DEFAULT_GRPC_ADDR.parse().ok(),
            role_attribute: "enduser.role".into(),
            aliases: Aliases::default(),
            span_routes: [
                ("tool.invoke", "tools/call"),
                ("prompt.render", "prompts/get"),
                ("resource.read", "resources/read"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            fold_duration_metrics: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOtlp {
    grpc_addr: Option<String>,
    role_attribute: Option<String>,
    #[serde(default)]
    aliases: RawAliases,
    span_routes: Option<BTreeMap<String, String>>,
    fold_duration_metrics: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAliases {
    route: Option<Vec<String>>,
    tool: Option<Vec<String>>,
    server: Option<Vec<String>>,
    user: Option<Vec<String>>,
    session: Option<Vec<String>>,
    client_address: Option<Vec<String>>,
    error: Option<Vec<String>>,
    http_status: Option<Vec<String>>,
}

const MAX_NAMES: usize = 32;
const MAX_NAME_LEN: usize = 128;

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.len() <= MAX_NAME_LEN && n.chars().all(|c| c.is_ascii_graphic())
}

pub(super) fn settings(
    source: &str,
    raw: &RawOtlp,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<OtlpSettings, ConfigError> {
    let d = OtlpSettings::default();
    let k = Keys::new(source, "otlp.");
    let grpc_addr = match env("PULSE_OTLP_GRPC_ADDR").or_else(|| raw.grpc_addr.clone()) {
        None => d.grpc_addr,
        Some(text) if text.trim().is_empty() => None,
        Some(text) => Some(text.trim().parse::<SocketAddr>().map_err(|_| {
            k.invalid(
                "grpc_addr",
                format!(
                    "`{}` is not an IP:port address such as {DEFAULT_GRPC_ADDR} (\"\" switches gRPC off)",
                    crate::model::shown(&text)
                ),
            )
        })?),
    };
    let role_attribute = raw
        .role_attribute
        .clone()
        .unwrap_or(d.role_attribute.clone());
    if !valid_name(&role_attribute) {
        return Err(k.invalid(
            "role_attribute",
            format!("must be an attribute name of 1 to {MAX_NAME_LEN} printable characters"),
        ));
    }
    // Names given in config are tried before the built-in ones, so a vendor's shape can be
    // added without losing the conventions.
    let merge = |key: &str, given: &Option<Vec<String>>, builtin: &[String]| {
        let mut out: Vec<String> = Vec::new();
        for (i, n) in given.iter().flatten().enumerate() {
            if !valid_name(n) {
                return Err(k.invalid(
                    &format!("aliases.{key}[{i}]"),
                    format!(
                        "must be an attribute name of 1 to {MAX_NAME_LEN} printable characters"
                    ),
                ));
            }
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        for n in builtin {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        if out.len() > MAX_NAMES {
            return Err(k.invalid(
                &format!("aliases.{key}"),
                format!("at most {MAX_NAMES} names (built-in ones included)"),
            ));
        }
        Ok(out)
    };
    let a = &raw.aliases;
    let b = &d.aliases;
    let aliases = Aliases {
        route: merge("route", &a.route, &b.route)?,
        tool: merge("tool", &a.tool, &b.tool)?,
        server: merge("server", &a.server, &b.server)?,
        user: merge("user", &a.user, &b.user)?,
        session: merge("session", &a.session, &b.session)?,
        client_address: merge("client_address", &a.client_address, &b.client_address)?,
        error: merge("error", &a.error, &b.error)?,
        http_status: merge("http_status", &a.http_status, &b.http_status)?,
    };
    let mut span_routes = d.span_routes;
    for (name, route) in raw.span_routes.iter().flatten() {
        let key = format!("span_routes.{name}");
        if !valid_name(name)
            || route.is_empty()
            || route.len() > 256
            || route.chars().any(char::is_control)
        {
            return Err(k.invalid(
                &key,
                "needs a span name and an MCP method such as \"tools/call\"".into(),
            ));
        }
        span_routes.insert(name.clone(), route.clone());
    }
    if span_routes.len() > 64 {
        return Err(k.invalid("span_routes", "at most 64 span names".into()));
    }
    Ok(OtlpSettings {
        grpc_addr,
        role_attribute,
        aliases,
        span_routes,
        fold_duration_metrics: raw.fold_duration_metrics.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<OtlpSettings, ConfigError> {
        #[derive(Deserialize)]
        struct Doc {
            #[serde(default)]
            otlp: RawOtlp,
        }
        let doc: Doc = toml::from_str(text).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        settings("pulse.toml", &doc.otlp, &|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_listen_on_the_standard_port_and_know_the_conventions() {
        let s = parse("", &[]).unwrap();
        assert_eq!(s.grpc_addr, Some("127.0.0.1:4317".parse().unwrap()));
        assert_eq!(s.role_attribute, "enduser.role");
        assert_eq!(s.aliases.tool[0], "gen_ai.tool.name");
        assert_eq!(s.span_routes["tool.invoke"], "tools/call");
    }

    #[test]
    fn given_aliases_come_first_and_the_built_in_ones_stay() {
        let s = parse(
            "[otlp]\ngrpc_addr = \"\"\n[otlp.aliases]\ntool = [\"acme.tool\", \"tool.name\"]\n[otlp.span_routes]\n\"acme.call\" = \"tools/call\"",
            &[],
        )
        .unwrap();
        assert_eq!(s.grpc_addr, None, "an empty address switches gRPC off");
        assert_eq!(
            s.aliases.tool,
            [
                "acme.tool",
                "tool.name",
                "gen_ai.tool.name",
                "mcp.tool.name",
                "tool_name"
            ]
        );
        assert_eq!(s.span_routes["acme.call"], "tools/call");
        assert_eq!(s.span_routes.len(), 4);
        let env = parse("", &[("PULSE_OTLP_GRPC_ADDR", "0.0.0.0:14317")]).unwrap();
        assert_eq!(env.grpc_addr, Some("0.0.0.0:14317".parse().unwrap()));
    }

    #[test]
    fn bad_values_are_named() {
        for (text, key) in [
            ("[otlp]\ngrpc_addr = \"localhost\"", "otlp.grpc_addr"),
            ("[otlp]\nrole_attribute = \"\"", "otlp.role_attribute"),
            (
                "[otlp.aliases]\nuser = [\"ok\", \"has space\"]",
                "otlp.aliases.user[1]",
            ),
            ("[otlp.span_routes]\n\"x\" = \"\"", "otlp.span_routes.x"),
        ] {
            match parse(text, &[]) {
                Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
