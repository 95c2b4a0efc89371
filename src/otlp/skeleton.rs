//! A first, cheap pass over a protobuf export that counts its items (spans, log records, data
//! points) and their attributes without keeping them, so an export of millions of empty items —
//! a few bytes each on the wire, hundreds in memory — is refused before it is decoded.
//! The types mirror the OTLP messages' field numbers; every other field is skipped by prost.

use prost::Message;

/// An item whose content is skipped: decoding it keeps nothing.
#[derive(Clone, PartialEq, Message)]
struct Nothing {}

/// An export of spans or log records, down to each item's attributes (field `$attrs` of the
/// item: 9 in `Span`, 6 in `LogRecord`). Scopes and items are field 2, resources field 1, in
/// both signals.
macro_rules! items_export {
    ($export:ident, $resource:ident, $scope:ident, $item:ident, $attrs:literal) => {
        #[derive(Clone, PartialEq, Message)]
        struct $item {
            #[prost(message, repeated, tag = $attrs)]
            attributes: Vec<Nothing>,
        }

        #[derive(Clone, PartialEq, Message)]
        struct $scope {
            #[prost(message, repeated, tag = "2")]
            items: Vec<$item>,
        }

        #[derive(Clone, PartialEq, Message)]
        struct $resource {
            #[prost(message, repeated, tag = "2")]
            scopes: Vec<$scope>,
        }

        #[derive(Clone, PartialEq, Message)]
        struct $export {
            #[prost(message, repeated, tag = "1")]
            resources: Vec<$resource>,
        }

        impl $export {
            fn counts(&self) -> (usize, usize) {
                self.resources
                    .iter()
                    .flat_map(|r| &r.scopes)
                    .flat_map(|s| &s.items)
                    .fold((0, 0), |(n, a), i| (n + 1, a + i.attributes.len()))
            }
        }
    };
}

items_export!(SpanExport, SpanResource, SpanScope, SpanItem, "9");
items_export!(LogExport, LogResource, LogScope, LogItem, "6");

/// A metric's data points, whatever its kind (gauge 5, sum 7, histogram 9, exponential
/// histogram 10, summary 11; `data_points` is field 1 of each).
#[derive(Clone, PartialEq, Message)]
struct Points {
    #[prost(message, repeated, tag = "1")]
    points: Vec<Nothing>,
}

#[derive(Clone, PartialEq, Message)]
struct MetricItem {
    #[prost(message, optional, tag = "5")]
    gauge: Option<Points>,
    #[prost(message, optional, tag = "7")]
    sum: Option<Points>,
    #[prost(message, optional, tag = "9")]
    histogram: Option<Points>,
    #[prost(message, optional, tag = "10")]
    exponential: Option<Points>,
    #[prost(message, optional, tag = "11")]
    summary: Option<Points>,
}

#[derive(Clone, PartialEq, Message)]
struct MetricScope {
    #[prost(message, repeated, tag = "2")]
    metrics: Vec<MetricItem>,
}

#[derive(Clone, PartialEq, Message)]
struct MetricResource {
    #[prost(message, repeated, tag = "2")]
    scopes: Vec<MetricScope>,
}

#[derive(Clone, PartialEq, Message)]
struct MetricExport {
    #[prost(message, repeated, tag = "1")]
    resources: Vec<MetricResource>,
}

/// Spans and their attributes in a trace export; `None` if it does not even parse.
pub fn count_spans(bytes: &[u8]) -> Option<(usize, usize)> {
    SpanExport::decode(bytes).ok().map(|e| e.counts())
}

/// Log records and their attributes in a logs export; `None` if it does not even parse.
pub fn count_log_records(bytes: &[u8]) -> Option<(usize, usize)> {
    LogExport::decode(bytes).ok().map(|e| e.counts())
}

/// Data points of a metrics export; `None` if it does not even parse.
pub fn count_points(bytes: &[u8]) -> Option<usize> {
    let e = MetricExport::decode(bytes).ok()?;
    Some(
        e.resources
            .iter()
            .flat_map(|r| &r.scopes)
            .flat_map(|s| &s.metrics)
            .map(|m| {
                [&m.gauge, &m.sum, &m.histogram, &m.exponential, &m.summary]
                    .iter()
                    .filter_map(|p| p.as_ref())
                    .map(|p| p.points.len())
                    .sum::<usize>()
            })
            .sum(),
    )
}

/// The same counts for OTLP/JSON, read with serde into shapes that keep nothing of an item but
/// its attributes' number.
mod json {
    use serde::de::IgnoredAny;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        attributes: Vec<IgnoredAny>,
    }

    #[derive(Deserialize)]
    struct Scope {
        #[serde(default, alias = "spans", alias = "logRecords")]
        items: Vec<Item>,
    }

    #[derive(Deserialize)]
    struct Resource {
        #[serde(default, alias = "scopeSpans", alias = "scopeLogs")]
        scopes: Vec<Scope>,
    }

    #[derive(Deserialize)]
    struct Export {
        #[serde(default, alias = "resourceSpans", alias = "resourceLogs")]
        resources: Vec<Resource>,
    }

    #[derive(Deserialize)]
    struct Points {
        #[serde(default, rename = "dataPoints")]
        points: Vec<IgnoredAny>,
    }

    #[derive(Deserialize)]
    struct Metric {
        gauge: Option<Points>,
        sum: Option<Points>,
        histogram: Option<Points>,
        #[serde(rename = "exponentialHistogram")]
        exponential: Option<Points>,
        summary: Option<Points>,
    }

    #[derive(Deserialize)]
    struct MetricScope {
        #[serde(default)]
        metrics: Vec<Metric>,
    }

    #[derive(Deserialize)]
    struct MetricResource {
        #[serde(default, rename = "scopeMetrics")]
        scopes: Vec<MetricScope>,
    }

    #[derive(Deserialize)]
    struct MetricExport {
        #[serde(default, rename = "resourceMetrics")]
        resources: Vec<MetricResource>,
    }

    pub fn items(bytes: &[u8]) -> Option<(usize, usize)> {
        let e: Export = serde_json::from_slice(bytes).ok()?;
        Some(
            e.resources
                .iter()
                .flat_map(|r| &r.scopes)
                .flat_map(|s| &s.items)
                .fold((0, 0), |(n, a), i| (n + 1, a + i.attributes.len())),
        )
    }

    pub fn points(bytes: &[u8]) -> Option<usize> {
        let e: MetricExport = serde_json::from_slice(bytes).ok()?;
        Some(
            e.resources
                .iter()
                .flat_map(|r| &r.scopes)
                .flat_map(|s| &s.metrics)
                .map(|m| {
                    [&m.gauge, &m.sum, &m.histogram, &m.exponential, &m.summary]
                        .iter()
                        .filter_map(|p| p.as_ref())
                        .map(|p| p.points.len())
                        .sum::<usize>()
                })
                .sum(),
        )
    }
}

/// What one export holds, by signal and encoding: items (spans, log records or data points)
/// and attributes (of spans and log records). `None` when the body does not parse at all (the
/// real decoder then names what is wrong).
pub fn counts(
    signal: crate::metrics::OtlpSignal,
    enc: super::Encoding,
    bytes: &[u8],
) -> Option<(usize, usize)> {
    use super::Encoding::{Json, Protobuf};
    use crate::metrics::OtlpSignal::{DataPoints, LogRecords, Spans};
    match (signal, enc) {
        (Spans, Protobuf) => count_spans(bytes),
        (LogRecords, Protobuf) => count_log_records(bytes),
        (DataPoints, Protobuf) => count_points(bytes).map(|n| (n, 0)),
        (Spans | LogRecords, Json) => json::items(bytes),
        (DataPoints, Json) => json::points(bytes).map(|n| (n, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    #[test]
    fn counts_match_the_real_messages() {
        let attr = crate::otlp::attrs::testkit::s("k", "v");
        let spans = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![
                    ScopeSpans {
                        spans: vec![
                            Span {
                                attributes: vec![attr.clone(), attr.clone()],
                                trace_id: vec![1; 16],
                                kind: 2,
                                ..Default::default()
                            },
                            Span::default(),
                        ],
                        ..Default::default()
                    },
                    ScopeSpans {
                        spans: vec![Span {
                            attributes: vec![attr.clone()],
                            ..Default::default()
                        }],
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
        };
        assert_eq!(count_spans(&spans.encode_to_vec()), Some((3, 3)));
        let logs = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        attributes: vec![attr],
                        trace_id: vec![1; 16],
                        severity_number: 9,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        assert_eq!(count_log_records(&logs.encode_to_vec()), Some((1, 1)));
        assert_eq!(count_spans(&[0xff, 0xff]), None);
        let j = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a"},{"key":"b"}]},{}]}]}]}"#;
        assert_eq!(json::items(j), Some((2, 2)));
    }
}
