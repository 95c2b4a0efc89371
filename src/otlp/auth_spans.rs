//! Authentication spans to audit events: a span named like an auth action (`auth.oauth_flow`,
//! `auth.token_refresh`, `auth.session_validation`, `auth.login`, `auth.mfa_challenge`,
//! `role.change.oauth_sync`) is the audit event of that action, read through the same
//! validation as one posted to `/api/v1/audit`, its duration the span's.
//!
//! | audit field | span attribute (first found) |
//! |---|---|
//! | action | the span's name |
//! | actor_id | `audit.actor_id`, `enduser.id`, `user.id` |
//! | actor_role | `audit.actor_role`, then `[otlp] role_attribute` (`enduser.role`) |
//! | outcome | `auth.outcome`, `audit.outcome`; else `failure` when the span's status is ERROR, else `success` |
//! | provider | `auth.provider`, `oauth.provider`, `audit.provider` |
//! | details.method | `auth.mfa.method`, `auth.method` |
//! | details.flow_type | `auth.flow_type`, `oauth.flow_type` |
//! | session_id | `session.id`, `mcp.session.id`, `audit.session_id` |
//! | duration_ms, ts | the span's end minus start, and its start |

use super::attrs::Attrs;
use super::Tally;
use crate::audit::auth::is_auth_action;
use crate::audit::AuditLimits;
use crate::config::OtlpSettings;
use crate::events::AuditEvent;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const ACTOR: usize = 0;
const ROLE: usize = 1;
const OUTCOME: usize = 2;
const PROVIDER: usize = 3;
const METHOD: usize = 4;
const FLOW: usize = 5;
const SESSION: usize = 6;
const FIELDS: usize = 7;

pub struct AuthSpanMapper {
    names: HashMap<String, (usize, usize)>,
}

/// Audit events from one export's auth spans; `tally` counts only those spans.
#[derive(Debug, Default)]
pub struct MappedAuth {
    pub events: Vec<AuditEvent>,
    pub tally: Tally,
}

impl AuthSpanMapper {
    pub fn new(s: &OtlpSettings) -> AuthSpanMapper {
        let table: [(usize, &[&str]); FIELDS] = [
            (ACTOR, &["audit.actor_id", "enduser.id", "user.id"]),
            (ROLE, &["audit.actor_role", s.role_attribute.as_str()]),
            (OUTCOME, &["auth.outcome", "audit.outcome"]),
            (
                PROVIDER,
                &["auth.provider", "oauth.provider", "audit.provider"],
            ),
            (METHOD, &["auth.mfa.method", "auth.method"]),
            (FLOW, &["auth.flow_type", "oauth.flow_type"]),
            (
                SESSION,
                &["session.id", "mcp.session.id", "audit.session_id"],
            ),
        ];
        AuthSpanMapper {
            names: super::logs::name_table(&table),
        }
    }

    pub fn map(&self, req: &ExportTraceServiceRequest, limits: AuditLimits<'_>) -> MappedAuth {
        let mut out = MappedAuth::default();
        let spans = req
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .filter(|s| is_auth_action(&s.name));
        for span in spans {
            let mut f = Attrs::<FIELDS>::default();
            f.find(&self.names, &span.attributes);
            let mut obj = Map::new();
            obj.insert("action".into(), Value::String(span.name.clone()));
            if span.start_time_unix_nano > 0 {
                obj.insert(
                    "ts".into(),
                    json!(crate::model::rfc3339_ms(
                        (span.start_time_unix_nano / 1_000_000) as i64
                    )),
                );
            }
            if span.end_time_unix_nano >= span.start_time_unix_nano && span.start_time_unix_nano > 0
            {
                let ms = (span.end_time_unix_nano - span.start_time_unix_nano) as f64 / 1e6;
                obj.insert("duration_ms".into(), json!((ms * 1000.0).round() / 1000.0));
            }
            for (field, key) in [
                (ACTOR, "actor_id"),
                (ROLE, "actor_role"),
                (PROVIDER, "provider"),
                (SESSION, "session_id"),
            ] {
                if let Some(v) = f.text(field) {
                    obj.insert(key.into(), Value::String(v.into_owned()));
                }
            }
            let failed = span
                .status
                .as_ref()
                .is_some_and(|s| s.code == StatusCode::Error as i32);
            let outcome = f
                .text(OUTCOME)
                .map(|o| o.into_owned())
                .unwrap_or_else(|| if failed { "failure" } else { "success" }.into());
            obj.insert("outcome".into(), Value::String(outcome));
            let mut details = Map::new();
            for (field, key) in [(METHOD, "method"), (FLOW, "flow_type")] {
                if let Some(v) = f.text(field) {
                    details.insert(key.into(), Value::String(v.into_owned()));
                }
            }
            if !details.is_empty() {
                obj.insert("details".into(), Value::Object(details));
            }
            super::logs::take_audit(obj, limits, &span.name, &mut out.events, &mut out.tally);
        }
        out.tally.accepted = out.events.len() as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Categories;
    use crate::otlp::attrs::testkit::s;
    use crate::otlp::Limits;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

    const NOW_MS: i64 = 1_800_000_000_000;

    fn span(
        name: &str,
        ms: u64,
        error: bool,
        attributes: Vec<opentelemetry_proto::tonic::common::v1::KeyValue>,
    ) -> Span {
        let start = (NOW_MS as u64 - 5_000) * 1_000_000;
        Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: name.into(),
            start_time_unix_nano: start,
            end_time_unix_nano: start + ms * 1_000_000,
            attributes,
            status: error.then(|| Status {
                code: StatusCode::Error as i32,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn auth_spans_become_audit_events_with_duration_provider_and_method() {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![
                        span(
                            "auth.oauth_flow",
                            1500,
                            false,
                            vec![
                                s("enduser.id", "alice"),
                                s("enduser.role", "developer"),
                                s("auth.provider", "azure_ad"),
                                s("auth.flow_type", "pkce"),
                            ],
                        ),
                        span(
                            "auth.mfa_challenge",
                            4000,
                            true,
                            vec![
                                s("enduser.id", "bob"),
                                s("enduser.role", "viewer"),
                                s("oauth.provider", "github"),
                                s("auth.mfa.method", "totp"),
                            ],
                        ),
                        // No actor: refused, with the reason.
                        span("auth.login", 10, false, vec![s("enduser.role", "viewer")]),
                        // Not an auth span: left to the MCP mapper.
                        span("tools/call", 10, false, vec![]),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let c = Categories::default();
        let limits = AuditLimits {
            time: Limits {
                now_ms: NOW_MS,
                max_future_ms: 300_000,
                oldest_ms: NOW_MS - 86_400_000,
            },
            max_details_bytes: 4096,
            categories: &c,
        };
        let m = AuthSpanMapper::new(&OtlpSettings::default()).map(&req, limits);
        assert_eq!((m.tally.accepted, m.tally.rejected), (2, 1));
        assert!(m.tally.message("span").contains("actor_id is required"));
        let oauth = &m.events[0];
        assert_eq!(oauth.category, "auth_events");
        assert_eq!(oauth.duration_ms, Some(1500.0));
        assert_eq!(oauth.outcome, "success");
        let key = oauth.auth.clone().unwrap();
        assert_eq!(
            (key.provider.as_str(), key.method.as_str()),
            ("azure_ad", "pkce")
        );
        let mfa = &m.events[1];
        assert_eq!(mfa.outcome, "failure", "an ERROR span is a failed step");
        assert_eq!(mfa.auth.clone().unwrap().method, "totp");
        assert_eq!(mfa.source, crate::events::EventSource::Otlp);
    }
}
