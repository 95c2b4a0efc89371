//! A first, cheap pass over an export that counts its items (spans, log records, data points)
//! and their attributes without keeping them, so an export of millions of empty items — a few
//! bytes each on the wire, hundreds in memory — is refused before it is decoded. One set of
//! shapes serves both encodings: prost reads them by the OTLP messages' field numbers (every
//! other field skipped), serde by OTLP/JSON's names (every other key ignored).

use prost::Message;
use serde::Deserialize;

/// An item whose content is skipped: decoding it keeps nothing.
#[derive(Clone, PartialEq, Message, Deserialize)]
struct Nothing {}

/// An export of spans or log records, down to each item's attributes (field `$attrs` of the
/// item: 9 in `Span`, 6 in `LogRecord`). Scopes and items are field 2, resources field 1, in
/// both signals; the JSON names are the signal's own.
macro_rules! items_export {
    ($export:ident, $resource:ident, $scope:ident, $item:ident, $attrs:literal,
     $resources:literal, $scopes:literal, $items:literal) => {
        #[derive(Clone, PartialEq, Message, Deserialize)]
        struct $item {
            #[prost(message, repeated, tag = $attrs)]
            #[serde(default)]
            attributes: Vec<Nothing>,
        }

        #[derive(Clone, PartialEq, Message, Deserialize)]
        struct $scope {
            #[prost(message, repeated, tag = "2")]
            #[serde(default, rename = $items)]
            items: Vec<$item>,
        }

        #[derive(Clone, PartialEq, Message, Deserialize)]
        struct $resource {
            #[prost(message, repeated, tag = "2")]
            #[serde(default, rename = $scopes)]
            scopes: Vec<$scope>,
        }

        #[derive(Clone, PartialEq, Message, Deserialize)]
        struct $export {
            #[prost(message, repeated, tag = "1")]
            #[serde(default, rename = $resources)]
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

items_export!(
    SpanExport,
    SpanResource,
    SpanScope,
    SpanItem,
    "9",
    "resourceSpans",
    "scopeSpans",
    "spans"
);
items_export!(
    LogExport,
    LogResource,
    LogScope,
    LogItem,
    "6",
    "resourceLogs",
    "scopeLogs",
    "logRecords"
);

/// A metric's data points, whatever its kind (gauge 5, sum 7, histogram 9, exponential
/// histogram 10, summary 11; `data_points` is field 1 of each).
#[derive(Clone, PartialEq, Message, Deserialize)]
struct Points {
    #[prost(message, repeated, tag = "1")]
    #[serde(default, rename = "dataPoints")]
    points: Vec<Nothing>,
}

#[derive(Clone, PartialEq, Message, Deserialize)]
struct MetricItem {
    #[prost(message, optional, tag = "5")]
    gauge: Option<Points>,
    #[prost(message, optional, tag = "7")]
    sum: Option<Points>,
    #[prost(message, optional, tag = "9")]
    histogram: Option<Points>,
    #[prost(message, optional, tag = "10")]
    #[serde(rename = "exponentialHistogram")]
    exponential: Option<Points>,
    #[prost(message, optional, tag = "11")]
    summary: Option<Points>,
}

#[derive(Clone, PartialEq, Message, Deserialize)]
struct MetricScope {
    #[prost(message, repeated, tag = "2")]
    #[serde(default)]
    metrics: Vec<MetricItem>,
}

#[derive(Clone, PartialEq, Message, Deserialize)]
struct MetricResource {
    #[prost(message, repeated, tag = "2")]
    #[serde(default, rename = "scopeMetrics")]
    scopes: Vec<MetricScope>,
}

#[derive(Clone, PartialEq, Message, Deserialize)]
struct MetricExport {
    #[prost(message, repeated, tag = "1")]
    #[serde(default, rename = "resourceMetrics")]
    resources: Vec<MetricResource>,
}

impl MetricExport {
    fn counts(&self) -> (usize, usize) {
        let points = self
            .resources
            .iter()
            .flat_map(|r| &r.scopes)
            .flat_map(|s| &s.metrics)
            .flat_map(|m| [&m.gauge, &m.sum, &m.histogram, &m.exponential, &m.summary])
            .filter_map(|p| p.as_ref())
            .map(|p| p.points.len())
            .sum();
        (points, 0)
    }
}

/// Reads a shape in the export's encoding; `None` when the body does not parse at all.
fn read<T: Message + Default + serde::de::DeserializeOwned>(
    enc: super::Encoding,
    bytes: &[u8],
) -> Option<T> {
    match enc {
        super::Encoding::Protobuf => T::decode(bytes).ok(),
        super::Encoding::Json => serde_json::from_slice(bytes).ok(),
    }
}

/// What one export holds: items (spans, log records or data points) and attributes (of spans
/// and log records). `None` when the body does not parse at all (the real decoder then names
/// what is wrong).
pub fn counts(
    signal: crate::metrics::OtlpSignal,
    enc: super::Encoding,
    bytes: &[u8],
) -> Option<(usize, usize)> {
    use crate::metrics::OtlpSignal::{DataPoints, LogRecords, Spans};
    match signal {
        Spans => read::<SpanExport>(enc, bytes).map(|e| e.counts()),
        LogRecords => read::<LogExport>(enc, bytes).map(|e| e.counts()),
        DataPoints => read::<MetricExport>(enc, bytes).map(|e| e.counts()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::OtlpSignal::{LogRecords, Spans};
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
        let pb = super::super::Encoding::Protobuf;
        assert_eq!(counts(Spans, pb, &spans.encode_to_vec()), Some((3, 3)));
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
        assert_eq!(counts(LogRecords, pb, &logs.encode_to_vec()), Some((1, 1)));
        assert_eq!(counts(Spans, pb, &[0xff, 0xff]), None);
        let j = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a"},{"key":"b"}]},{}]}]}]}"#;
        assert_eq!(counts(Spans, super::super::Encoding::Json, j), Some((2, 2)));
    }
}
