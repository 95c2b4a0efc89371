//! Log records to audit events: a record carrying `audit.action` is an audit event, read
//! through the same validation as one posted to `/api/v1/audit`; other records are skipped.
//!
//! | audit field | log record attribute (first found) |
//! |---|---|
//! | action | `audit.action` |
//! | actor_id | `audit.actor_id`, `enduser.id`, `user.id` |
//! | actor_role | `audit.actor_role`, then `[otlp] role_attribute` (`enduser.role`) |
//! | outcome | `audit.outcome`, `event.outcome` |
//! | resource | `audit.resource` |
//! | session_id | `audit.session_id`, `session.id`, `mcp.session.id` |
//! | details | `audit.details` (a map, or a JSON object as a string) |
//! | duration_ms | `audit.duration_ms` (a number) |
//! | provider | `audit.provider`, `auth.provider` |
//! | ts | the record's time, else its observed time |

use super::attrs::{json, text, Attrs};
use super::Tally;
use crate::audit::{validate_audit_batch, AuditLimits};
use crate::config::OtlpSettings;
use crate::events::{AuditEvent, EventSource};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use serde_json::{Map, Value};
use std::collections::HashMap;

const ACTION: usize = 0;
const ACTOR: usize = 1;
const ROLE: usize = 2;
const OUTCOME: usize = 3;
const RESOURCE: usize = 4;
const SESSION: usize = 5;
const DETAILS: usize = 6;
const DURATION: usize = 7;
const PROVIDER: usize = 8;
const FIELDS: usize = 9;

pub struct LogMapper {
    names: HashMap<String, (usize, usize)>,
}

#[derive(Debug, Default)]
pub struct MappedLogs {
    pub events: Vec<AuditEvent>,
    pub tally: Tally,
}

/// Attribute name → (field, rank) from a table of fields and their names, best first.
pub(super) fn name_table(table: &[(usize, &[&str])]) -> HashMap<String, (usize, usize)> {
    let mut names = HashMap::new();
    for (field, list) in table {
        for (rank, n) in list.iter().enumerate() {
            names.entry(n.to_string()).or_insert((*field, rank));
        }
    }
    names
}

/// One audit event built from OTLP, through the audit validator: kept as an OTLP event, or
/// rejected under `name` with every problem said.
pub(super) fn take_audit(
    obj: Map<String, Value>,
    limits: AuditLimits<'_>,
    name: &str,
    events: &mut Vec<AuditEvent>,
    tally: &mut Tally,
) {
    match validate_audit_batch(&[Value::Object(obj)], limits) {
        Ok(valid) => events.extend(valid.into_iter().map(|mut e| {
            e.source = EventSource::Otlp;
            e
        })),
        Err(problems) => {
            let reason = problems
                .iter()
                .map(|p| format!("{} {}", p.field, p.reason))
                .collect::<Vec<_>>()
                .join(", ");
            tally.reject(name, reason);
        }
    }
}

impl LogMapper {
    pub fn new(s: &OtlpSettings) -> LogMapper {
        let table: [(usize, &[&str]); FIELDS] = [
            (ACTION, &["audit.action"]),
            (ACTOR, &["audit.actor_id", "enduser.id", "user.id"]),
            (ROLE, &["audit.actor_role", s.role_attribute.as_str()]),
            (OUTCOME, &["audit.outcome", "event.outcome"]),
            (RESOURCE, &["audit.resource"]),
            (
                SESSION,
                &["audit.session_id", "session.id", "mcp.session.id"],
            ),
            (DETAILS, &["audit.details"]),
            (DURATION, &["audit.duration_ms"]),
            (PROVIDER, &["audit.provider", "auth.provider"]),
        ];
        LogMapper {
            names: name_table(&table),
        }
    }

    pub fn map(&self, req: &ExportLogsServiceRequest, limits: AuditLimits<'_>) -> MappedLogs {
        let mut out = MappedLogs::default();
        for rl in &req.resource_logs {
            for sl in &rl.scope_logs {
                for rec in &sl.log_records {
                    let mut f = Attrs::<FIELDS>::default();
                    f.find(&self.names, &rec.attributes);
                    let Some(action) = f.text(ACTION) else {
                        out.tally.skipped += 1;
                        continue;
                    };
                    let nanos = if rec.time_unix_nano > 0 {
                        rec.time_unix_nano
                    } else {
                        rec.observed_time_unix_nano
                    };
                    let mut obj = Map::new();
                    if nanos > 0 {
                        obj.insert(
                            "ts".into(),
                            Value::String(crate::model::rfc3339_ms((nanos / 1_000_000) as i64)),
                        );
                    }
                    obj.insert("action".into(), Value::String(action.clone().into_owned()));
                    for (field, key) in [
                        (ACTOR, "actor_id"),
                        (ROLE, "actor_role"),
                        (OUTCOME, "outcome"),
                        (RESOURCE, "resource"),
                        (SESSION, "session_id"),
                        (PROVIDER, "provider"),
                    ] {
                        if let Some(v) = f.text(field) {
                            obj.insert(key.into(), Value::String(v.into_owned()));
                        }
                    }
                    if let Some(d) = f.value(DURATION) {
                        obj.insert("duration_ms".into(), json(d, 0));
                    }
                    if let Some(d) = f.value(DETAILS) {
                        let details = match text(d) {
                            Some(s) => {
                                serde_json::from_str(&s).unwrap_or(Value::String(s.into_owned()))
                            }
                            None => json(d, 0),
                        };
                        obj.insert("details".into(), details);
                    }
                    take_audit(obj, limits, &action, &mut out.events, &mut out.tally);
                }
            }
        }
        out.tally.accepted = out.events.len() as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Categories;
    use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue, KeyValueList};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

    const NOW_MS: i64 = 1_800_000_000_000;

    use crate::otlp::attrs::testkit::{kv, s};

    fn export(records: Vec<Vec<KeyValue>>) -> ExportLogsServiceRequest {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: records
                        .into_iter()
                        .map(|attributes| LogRecord {
                            time_unix_nano: (NOW_MS as u64 - 1000) * 1_000_000,
                            attributes,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn audit_shaped_records_become_audit_events_and_the_rest_are_skipped() {
        let categories = Categories::new(&[]);
        let limits = AuditLimits {
            time: crate::fields::Limits {
                now_ms: NOW_MS,
                max_future_ms: 300_000,
                oldest_ms: NOW_MS - 86_400_000,
            },
            max_details_bytes: 4096,
            categories: &categories,
        };
        let details = kv(
            "audit.details",
            any_value::Value::KvlistValue(KeyValueList {
                values: vec![s("from", "viewer"), s("to", "analyst")],
            }),
        );
        let m = LogMapper::new(&OtlpSettings::default()).map(
            &export(vec![
                vec![
                    s("audit.action", "role.change.oauth_sync"),
                    s("enduser.id", "alice"),
                    s("enduser.role", "viewer"),
                    s("audit.outcome", "success"),
                    s("session.id", "s-1"),
                    details,
                ],
                vec![s("http.route", "/x")],
                vec![s("audit.action", "user.login"), s("enduser.id", "bob")],
            ]),
            limits,
        );
        assert_eq!(
            (m.tally.accepted, m.tally.skipped, m.tally.rejected),
            (1, 1, 1)
        );
        let e = &m.events[0];
        assert_eq!(e.action, "role.change.oauth_sync");
        assert_eq!(e.category, "role_migration");
        assert_eq!(e.actor_role, "viewer");
        assert_eq!(e.session_id.as_deref(), Some("s-1"));
        assert_eq!(e.details.as_ref().unwrap()["to"], "analyst");
        assert_eq!(e.ts_ms, NOW_MS - 1000);
        assert_eq!(e.source, EventSource::Otlp);
        let msg = m.tally.message("log record");
        assert!(msg.contains("actor_role is required"), "{msg}");
        assert!(msg.contains("outcome is required"), "{msg}");
    }
}
