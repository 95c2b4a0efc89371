//! Spans to request events: which spans are MCP operations, and what each says (method, tool,
//! server, user, role, status, duration) through the alias table of `[otlp]`.

use super::attrs::Attrs;
use super::nesting::{key, Link, Nesting};
use super::{Limits, Tally};
use crate::config::OtlpSettings;
use crate::events::{EventSource, RequestEvent};
use crate::fields::text_problem;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{status::StatusCode, Span};
use std::collections::HashMap;
use std::sync::Mutex;

use super::attrs::field::*;

/// The longest operation stored, as for posted events: an hour.
const MAX_DURATION_MS: f64 = 3_600_000.0;

/// Maps spans by the configured names; built once at start.
pub struct SpanMapper {
    names: HashMap<String, (usize, usize)>,
    span_routes: HashMap<String, String>,
    /// What earlier exports held, to count each operation once.
    seen: Mutex<Nesting>,
}

/// Request events from one export, and what became of every span.
#[derive(Debug, Default)]
pub struct MappedSpans {
    pub events: Vec<RequestEvent>,
    pub tally: Tally,
}

impl SpanMapper {
    pub fn new(s: &OtlpSettings) -> SpanMapper {
        let names = super::attrs::alias_names(s);
        SpanMapper {
            names,
            span_routes: s
                .span_routes
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
            seen: Mutex::default(),
        }
    }

    /// The MCP operations in an export as request events. Spans that are not MCP operations
    /// are skipped. One operation can have several MCP spans (a gateway's server span, its
    /// client call to the server behind it, that server's own span): it is counted once, by
    /// the outermost span of the export (whose status and duration are what the caller saw),
    /// and a span whose relative was counted in a recent export is `nested` too. A span Pulse
    /// cannot store is rejected with its reason.
    pub fn map(&self, req: &ExportTraceServiceRequest, limits: Limits) -> MappedSpans {
        let mut out = MappedSpans::default();
        // Pass one: every span's place in its trace, so inner MCP spans defer to outer ones.
        let links: Vec<Link> = req
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .map(|span| Link {
                key: key(&span.trace_id, &span.span_id),
                parent: (!span.parent_span_id.is_empty())
                    .then(|| key(&span.trace_id, &span.parent_span_id)),
                mcp: self.route_of(span).is_some(),
            })
            .collect();
        let nested = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .judge(&links);
        for rs in &req.resource_spans {
            let (on_resource, service) =
                super::attrs::on_resource(&self.names, rs.resource.as_ref());
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    let Some(route) = self.route_of(span) else {
                        // Auth spans are audit events: `auth_spans` counts them.
                        if !crate::audit::auth::is_auth_action(&span.name) {
                            out.tally.skipped += 1;
                        }
                        continue;
                    };
                    if !nested.is_empty() && nested.contains(&key(&span.trace_id, &span.span_id)) {
                        out.tally.nested += 1;
                        continue;
                    }
                    let mut found = Attrs::<FIELDS>::default();
                    found.find(&self.names, &span.attributes);
                    found.fill_from(&on_resource);
                    match self.event(span, route, &found, service.as_deref(), limits) {
                        Ok((event, unknown_role)) => {
                            if let Some(role) = unknown_role {
                                out.tally.note_unknown_role(&role);
                            }
                            out.events.push(event);
                        }
                        Err(reason) => out.tally.reject(&span.name, reason),
                    }
                }
            }
        }
        out.tally.accepted = out.events.len() as u64;
        out
    }

    /// The MCP method a span is, if it is one: its method attribute, else a known span name.
    fn route_of<'a>(&'a self, span: &'a Span) -> Option<std::borrow::Cow<'a, str>> {
        let mut found = Attrs::<FIELDS>::default();
        found.find_one(&self.names, &span.attributes, ROUTE);
        found
            .text(ROUTE)
            .or_else(|| self.span_routes.get(&span.name).map(|r| r.as_str().into()))
    }

    /// One span as a request event, with the role value it carried when that is not a role.
    fn event(
        &self,
        span: &Span,
        route: std::borrow::Cow<'_, str>,
        f: &Attrs<'_, FIELDS>,
        service: Option<&str>,
        limits: Limits,
    ) -> Result<(RequestEvent, Option<String>), String> {
        if span.trace_id.len() != 16 || span.span_id.len() != 8 {
            return Err(format!(
                "trace id must be 16 bytes and span id 8 (got {} and {})",
                span.trace_id.len(),
                span.span_id.len()
            ));
        }
        if span.start_time_unix_nano == 0 || span.end_time_unix_nano < span.start_time_unix_nano {
            return Err("needs a start time and an end time not before it".into());
        }
        let duration_ms =
            (span.end_time_unix_nano - span.start_time_unix_nano) as f64 / 1_000_000.0;
        if duration_ms > MAX_DURATION_MS {
            return Err("lasts longer than an hour".into());
        }
        // Nanoseconds since 1970 in a u64 divide down to milliseconds that fit an i64.
        let ts_ms = (span.start_time_unix_nano / 1_000_000) as i64;
        if ts_ms > limits.now_ms + limits.max_future_ms {
            return Err("starts in the future (beyond ingest.max_future)".into());
        }
        if ts_ms < limits.oldest_ms {
            return Err("is older than the raw-event retention".into());
        }
        let checked = |name: &str, value: Option<std::borrow::Cow<'_, str>>, max: usize| match value
        {
            Some(v) if !v.is_empty() => match text_problem(&v, max) {
                Some(reason) => Err(format!("{name} {reason}")),
                None => Ok(Some(v.into_owned())),
            },
            _ => Ok(None),
        };
        let route = checked("method", Some(route), 256)?.unwrap_or_default();
        let tool = checked("tool", f.text(TOOL), 128)?;
        let server = checked("server", f.text(SERVER).or(service.map(Into::into)), 128)?;
        let user_id = checked("user", f.text(USER), 128)?;
        let user_agent = checked("user agent", f.text(USER_AGENT), 512)?;
        let session_id = checked("session", f.text(SESSION), 128)?;
        let failed = span
            .status
            .as_ref()
            .is_some_and(|s| s.code == StatusCode::Error as i32)
            || f.text(ERROR).is_some_and(|v| !v.is_empty());
        let http = f
            .int(HTTP_STATUS)
            .filter(|c| (100..=599).contains(c))
            .map(|c| c as u16);
        // A tool error travels in a 200 answer; it is still the operation failing.
        let status = match (failed, http) {
            (true, Some(code)) if code >= 400 => code,
            (true, _) => 500,
            (false, Some(code)) => code,
            (false, None) => 200,
        };
        let (role, unknown_role) = match f.text(ROLE) {
            None => (None, None),
            Some(r) => match super::attrs::role_of(&r) {
                Some(known) => (Some(known.to_string()), None),
                None => (None, Some(crate::model::shown(&r))),
            },
        };
        let client_ip = f
            .text(CLIENT)
            .and_then(|a| a.parse::<std::net::IpAddr>().ok())
            .map(crate::ingest::truncate_ip);
        let method = f
            .text(METHOD)
            .map(|m| crate::model::method_label(&m.to_ascii_uppercase()))
            // MCP's HTTP transport posts every JSON-RPC message.
            .unwrap_or("POST");
        Ok((
            RequestEvent {
                ts_ms,
                method: method.to_string(),
                route,
                tool,
                server,
                status,
                duration_ms,
                user_id,
                role,
                bytes_in: None,
                bytes_out: None,
                client_ip,
                user_agent,
                session_id,
                source: EventSource::Otlp,
            },
            unknown_role,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

    const NOW_MS: i64 = 1_800_000_000_000;
    const T0: u64 = (NOW_MS as u64 - 60_000) * 1_000_000;

    fn limits() -> Limits {
        Limits {
            now_ms: NOW_MS,
            max_future_ms: 300_000,
            oldest_ms: NOW_MS - 7 * 86_400_000,
        }
    }

    use crate::otlp::attrs::testkit::{kv, s};

    fn span(id: u8, name: &str, attrs: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![7; 16],
            span_id: vec![id; 8],
            name: name.into(),
            start_time_unix_nano: T0,
            end_time_unix_nano: T0 + 12_500_000,
            attributes: attrs,
            ..Default::default()
        }
    }

    fn export(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![s("service.name", service)],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn mapper() -> SpanMapper {
        SpanMapper::new(&OtlpSettings::default())
    }

    #[test]
    fn an_mcp_span_becomes_a_request_event() {
        let m = mapper().map(
            &export(
                "gateway",
                vec![span(
                    1,
                    "tools/call search",
                    vec![
                        s("mcp.method.name", "tools/call"),
                        s("gen_ai.tool.name", "search"),
                        s("mcp.server.name", "docs"),
                        s("enduser.id", "u-1"),
                        s("enduser.role", "Analyst"),
                        s("client.address", "203.0.113.9"),
                        s("mcp.session.id", "abc"),
                    ],
                )],
            ),
            limits(),
        );
        assert_eq!(m.tally.accepted, 1);
        let e = &m.events[0];
        assert_eq!(e.route, "tools/call");
        assert_eq!(e.tool.as_deref(), Some("search"));
        assert_eq!(e.server.as_deref(), Some("docs"));
        assert_eq!(e.user_id.as_deref(), Some("u-1"));
        assert_eq!(e.role.as_deref(), Some("analyst"));
        assert_eq!(e.client_ip.as_deref(), Some("203.0.113.0/24"));
        assert_eq!(e.status, 200);
        assert_eq!(e.method, "POST");
        assert_eq!(e.duration_ms, 12.5);
        assert_eq!(e.ts_ms, NOW_MS - 60_000);
        assert_eq!(e.source, EventSource::Otlp);
        assert_eq!(e.session_id.as_deref(), Some("abc"));
    }

    #[test]
    fn aliases_vendor_shapes_and_the_service_name_fill_in() {
        // ContextForge: `tool.invoke` with `tool.name`, no MCP method attribute; the server is
        // the resource's service name.
        let m = mapper().map(
            &export(
                "mcpgateway",
                vec![
                    span(1, "tool.invoke", vec![s("tool.name", "echo")]),
                    span(
                        2,
                        "x",
                        vec![s("rpc.method", "resources/read"), s("tool_name", "t2")],
                    ),
                ],
            ),
            limits(),
        );
        assert_eq!(m.tally.accepted, 2);
        assert_eq!(m.events[0].route, "tools/call");
        assert_eq!(m.events[0].tool.as_deref(), Some("echo"));
        assert_eq!(m.events[0].server.as_deref(), Some("mcpgateway"));
        assert_eq!(m.events[1].route, "resources/read");
        assert_eq!(m.events[1].tool.as_deref(), Some("t2"));
        // The convention's name wins over an alias on the same span.
        let both = mapper().map(
            &export(
                "g",
                vec![span(
                    1,
                    "x",
                    vec![
                        s("tool_name", "alias"),
                        s("mcp.method.name", "tools/call"),
                        s("gen_ai.tool.name", "convention"),
                    ],
                )],
            ),
            limits(),
        );
        assert_eq!(both.events[0].tool.as_deref(), Some("convention"));
    }

    #[test]
    fn failures_are_errors_whatever_carries_them() {
        let call = |extra: Vec<KeyValue>, status: Option<i32>| {
            let mut attrs = vec![s("mcp.method.name", "tools/call")];
            attrs.extend(extra);
            let mut sp = span(1, "x", attrs);
            sp.status = status.map(|code| Status {
                code,
                ..Default::default()
            });
            mapper().map(&export("g", vec![sp]), limits()).events[0].status
        };
        assert_eq!(call(vec![], None), 200);
        assert_eq!(call(vec![], Some(StatusCode::Error as i32)), 500);
        assert_eq!(call(vec![s("error.type", "tool_error")], None), 500);
        assert_eq!(
            call(vec![s("rpc.response.status_code", "-32602")], None),
            500
        );
        assert_eq!(
            call(
                vec![kv(
                    "http.response.status_code",
                    any_value::Value::IntValue(404)
                )],
                None
            ),
            404
        );
        // A tool error inside a 200 answer is still an error.
        assert_eq!(
            call(
                vec![
                    kv("http.response.status_code", any_value::Value::IntValue(200)),
                    s("error.type", "tool_error")
                ],
                None
            ),
            500
        );
    }

    #[test]
    fn other_spans_are_skipped_and_nested_mcp_spans_counted_once() {
        let server = span(1, "tools/call", vec![s("mcp.method.name", "tools/call")]);
        let mut client = span(2, "tools/call", vec![s("mcp.method.name", "tools/call")]);
        client.parent_span_id = vec![1; 8];
        let mut db = span(3, "SELECT", vec![s("db.system", "postgresql")]);
        db.parent_span_id = vec![2; 8];
        let m = mapper().map(
            &export("g", vec![client.clone(), server.clone(), db]),
            limits(),
        );
        assert_eq!(
            (m.tally.accepted, m.tally.nested, m.tally.skipped),
            (1, 1, 1)
        );
        // Exported one span at a time (a simple span processor), child first: still once.
        // The server behind the gateway reports the same call one level further down.
        let mut upstream = span(4, "tools/call", vec![s("mcp.method.name", "tools/call")]);
        upstream.parent_span_id = vec![2; 8];
        let m = mapper();
        let one = |sp: &Span| m.map(&export("g", vec![sp.clone()]), limits()).tally;
        let counted: Vec<(u64, u64)> = [&upstream, &client, &server]
            .iter()
            .map(|sp| {
                let t = one(sp);
                (t.accepted, t.nested)
            })
            .collect();
        assert_eq!(counted, [(1, 0), (0, 1), (0, 1)]);
        // Calls side by side under one non-MCP parent are separate operations.
        let mut a = span(5, "x", vec![s("mcp.method.name", "tools/call")]);
        let mut b = span(6, "x", vec![s("mcp.method.name", "tools/call")]);
        a.parent_span_id = vec![9; 8];
        b.parent_span_id = vec![9; 8];
        assert_eq!((one(&a).accepted, one(&b).accepted), (1, 1));
    }

    #[test]
    fn spans_pulse_cannot_store_are_rejected_with_a_reason_and_the_rest_kept() {
        let good = span(1, "ok", vec![s("mcp.method.name", "tools/call")]);
        let mut short_id = good.clone();
        short_id.trace_id = vec![1; 15];
        let mut backwards = good.clone();
        backwards.end_time_unix_nano = T0 - 1;
        let mut ancient = good.clone();
        ancient.start_time_unix_nano = 1_000_000_000;
        ancient.end_time_unix_nano = 1_000_000_001;
        let long_tool = span(
            2,
            "x",
            vec![
                s("mcp.method.name", "tools/call"),
                s("gen_ai.tool.name", &"t".repeat(200)),
            ],
        );
        let bidi = span(3, "x", vec![s("mcp.method.name", "tools/\u{202e}call")]);
        let odd_role = span(
            4,
            "x",
            vec![
                s("mcp.method.name", "tools/call"),
                s("enduser.role", "root"),
            ],
        );
        let m = mapper().map(
            &export(
                "g",
                vec![
                    good, short_id, backwards, ancient, long_tool, bidi, odd_role,
                ],
            ),
            limits(),
        );
        assert_eq!((m.tally.accepted, m.tally.rejected), (2, 5));
        let msg = m.tally.message("span");
        for part in [
            "trace id must be 16 bytes",
            "end time not before it",
            "older than the raw-event retention",
            "tool must be at most 128",
            "method must not contain control",
            "`root` is not a role",
        ] {
            assert!(msg.contains(part), "{part} in {msg}");
        }
        assert_eq!(m.events[1].role, None, "an unknown role is no role");
    }
}
