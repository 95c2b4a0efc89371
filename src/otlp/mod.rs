//! OpenTelemetry in: OTLP exports (protobuf or OTLP/JSON) decoded and mapped to Pulse's events —
//! MCP spans to request events, audit-shaped log records to audit events, MCP duration
//! histograms to rollups (when switched on) — with a tally of what was accepted, skipped or rejected and why.

pub mod attrs;
pub mod auth_spans;
pub mod logs;
pub mod metrics;
pub mod nesting;
pub mod skeleton;
pub mod spans;

pub use crate::fields::Limits;
use crate::metrics::{Metrics, OtlpSignal};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// The span and log mappers, built once from `[otlp]`.
pub struct Receiver {
    pub spans: spans::SpanMapper,
    pub auth_spans: auth_spans::AuthSpanMapper,
    pub logs: logs::LogMapper,
    pub metrics: metrics::MetricMapper,
    /// Exports read and decoded at once: each may hold up to `ingest.max_batch` items in
    /// memory, so their number is bounded too (the others wait, within the request timeout).
    /// A permit is let go once the export is mapped, before the commit is waited for.
    pub decoding: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Exports decoded at the same time.
const DECODING_AT_ONCE: usize = 8;

impl Receiver {
    pub fn new(s: &crate::config::OtlpSettings) -> Receiver {
        Receiver {
            spans: spans::SpanMapper::new(s),
            auth_spans: auth_spans::AuthSpanMapper::new(s),
            logs: logs::LogMapper::new(s),
            metrics: metrics::MetricMapper::new(s),
            decoding: std::sync::Arc::new(tokio::sync::Semaphore::new(DECODING_AT_ONCE)),
        }
    }
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receiver")
    }
}

/// Reasons listed in a partial-success message; the count says how many more there were.
const REASONS_SHOWN: usize = 5;

/// How an export's items fared, and the words an exporter is told (OTLP `partial_success`).
#[derive(Debug, Default)]
pub struct Tally {
    pub accepted: u64,
    /// Not an MCP operation (spans), not an audit event (log records), not an MCP duration
    /// histogram (data points).
    pub skipped: u64,
    /// An MCP span inside another MCP span of the same trace: counted once, by the outer one.
    pub nested: u64,
    pub rejected: u64,
    reasons: Vec<String>,
    unknown_roles: u64,
    unknown_role_example: Option<String>,
}

impl Tally {
    pub fn reject(&mut self, name: &str, reason: String) {
        self.rejected += 1;
        if self.reasons.len() < REASONS_SHOWN && !self.reasons.iter().any(|r| r.ends_with(&reason))
        {
            self.reasons
                .push(format!("`{}` {reason}", crate::model::shown(name)));
        }
    }

    /// Adds another mapper's tally of the same export (its reasons while there is room).
    pub fn absorb(&mut self, other: Tally) {
        self.accepted += other.accepted;
        self.skipped += other.skipped;
        self.nested += other.nested;
        self.rejected += other.rejected;
        for r in other.reasons {
            if self.reasons.len() < REASONS_SHOWN {
                self.reasons.push(r);
            }
        }
        self.unknown_roles += other.unknown_roles;
        if self.unknown_role_example.is_none() {
            self.unknown_role_example = other.unknown_role_example;
        }
    }

    pub fn note_unknown_role(&mut self, role: &str) {
        self.unknown_roles += 1;
        if self.unknown_role_example.is_none() {
            self.unknown_role_example = Some(role.to_string());
        }
    }

    /// What the exporter is told: empty when everything was taken as sent. `item` names one
    /// item (`span`, `log record`, `data point`).
    pub fn message(&self, item: &str) -> String {
        let mut parts = Vec::new();
        if self.rejected > 0 {
            let more = self.rejected.saturating_sub(self.reasons.len() as u64);
            let mut text = format!(
                "{} {item}(s) rejected: {}",
                self.rejected,
                self.reasons.join("; ")
            );
            if more > 0 {
                text.push_str(&format!("; and {more} more"));
            }
            parts.push(text);
        }
        if let Some(example) = &self.unknown_role_example {
            parts.push(format!(
                "{} {item}(s) stored without a role: `{example}` is not a role ({})",
                self.unknown_roles,
                crate::model::ROLES.join(", ")
            ));
        }
        parts.join(". ")
    }

    pub fn count(&self, metrics: &Metrics, signal: OtlpSignal) {
        metrics.otlp(signal, "accepted", self.accepted);
        metrics.otlp(signal, "skipped", self.skipped);
        metrics.otlp(signal, "nested", self.nested);
        metrics.otlp(signal, "rejected", self.rejected);
    }
}

/// An export whose items could not all be taken: rejected, and the message for the exporter.
pub struct Partial {
    pub rejected: i64,
    pub message: String,
}

impl Partial {
    /// `None` when there is nothing to tell (full success has no `partial_success`).
    pub fn of(tally: &Tally, item: &str) -> Option<Partial> {
        let message = tally.message(item);
        (tally.rejected > 0 || !message.is_empty()).then_some(Partial {
            rejected: tally.rejected as i64,
            message,
        })
    }
}

/// The OTLP messages Pulse decodes.
pub trait Export: prost::Message + Default + serde::de::DeserializeOwned {}
impl Export for ExportTraceServiceRequest {}
impl Export for ExportLogsServiceRequest {}
impl Export for ExportMetricsServiceRequest {}

/// The two encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// From a `Content-Type`; `None` for anything OTLP/HTTP does not define.
    pub fn of(content_type: &str) -> Option<Encoding> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Decodes an export; the error says what was wrong without echoing the body.
pub fn decode<T: Export>(encoding: Encoding, bytes: &[u8]) -> Result<T, String> {
    match encoding {
        Encoding::Protobuf => T::decode(bytes)
            .map_err(|e| format!("the body is not a valid OTLP protobuf message: {e}")),
        Encoding::Json => serde_json::from_slice(bytes).map_err(|e| {
            // serde_json's messages name a position and the expectation, not the input.
            format!("the body is not valid OTLP/JSON: {e}")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_pick_the_encoding() {
        assert_eq!(
            Encoding::of("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::of("Application/JSON; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::of("text/plain"), None);
        assert_eq!(Encoding::of(""), None);
    }

    #[test]
    fn garbage_is_refused_in_either_encoding() {
        let e = decode::<ExportTraceServiceRequest>(Encoding::Protobuf, &[0xff, 0xff, 0xff])
            .err()
            .unwrap();
        assert!(e.contains("not a valid OTLP protobuf"), "{e}");
        let e = decode::<ExportTraceServiceRequest>(Encoding::Json, b"{\"resourceSpans\": 3}")
            .err()
            .unwrap();
        assert!(e.contains("not valid OTLP/JSON"), "{e}");
        // Hex ids of the wrong length decode (the length is checked per span, later)...
        let ok: ExportTraceServiceRequest = decode(
            Encoding::Json,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abcd","spanId":"0102030405060708","startTimeUnixNano":"1","endTimeUnixNano":"2","kind":2}]}]}]}"#,
        )
        .unwrap();
        let span = &ok.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.trace_id, vec![0xab, 0xcd]);
        assert_eq!(span.kind, 2);
        assert_eq!(span.end_time_unix_nano, 2);
        // ...and ids that are not hex are refused.
        assert!(decode::<ExportTraceServiceRequest>(
            Encoding::Json,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,
        )
        .is_err());
    }

    #[test]
    fn the_message_lists_a_few_reasons_and_counts_the_rest() {
        let mut t = Tally::default();
        for i in 0..8 {
            t.reject("s", format!("reason {i}"));
        }
        t.reject("s", "reason 0".into());
        let m = t.message("span");
        assert!(m.starts_with("9 span(s) rejected: `s` reason 0;"), "{m}");
        assert!(m.ends_with("and 4 more"), "{m}");
        assert!(Partial::of(&Tally::default(), "span").is_none());
    }
}
