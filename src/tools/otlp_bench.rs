//! OTLP throughput: MCP tool-call spans sent the way an exporter sends them (protobuf over
//! OTLP/HTTP, or OTLP/gRPC), 4 clients, into SQLite through the batching writer.

use super::harness::{serve_for_bench, BenchResult, TOKEN};
use crate::store::RequestEvent;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub enum Transport {
    Http,
    Grpc,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::Http => "OTLP/HTTP protobuf",
            Transport::Grpc => "OTLP/gRPC",
        }
    }
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

/// One export per `batch` events: each event as the span a gateway would emit for it.
fn exports(events: &[RequestEvent], batch: usize) -> Vec<ExportTraceServiceRequest> {
    let now_ns = crate::model::now_ms() as u64 * 1_000_000;
    events
        .chunks(batch)
        .enumerate()
        .map(|(b, chunk)| {
            let spans = chunk
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let n = (b * batch + i) as u64;
                    let start = now_ns - 60_000_000_000 + n * 1000;
                    let mut attributes = vec![
                        kv("mcp.method.name", &e.route),
                        kv("enduser.id", e.user_id.as_deref().unwrap_or("u")),
                    ];
                    if let Some(t) = &e.tool {
                        attributes.push(kv("gen_ai.tool.name", t));
                    }
                    if let Some(s) = &e.server {
                        attributes.push(kv("mcp.server.name", s));
                    }
                    if let Some(r) = &e.role {
                        attributes.push(kv("enduser.role", r));
                    }
                    Span {
                        trace_id: [n.to_be_bytes(), [7; 8]].concat(),
                        span_id: n.to_be_bytes().to_vec(),
                        name: e.route.clone(),
                        kind: 2,
                        start_time_unix_nano: start,
                        end_time_unix_nano: start + (e.duration_ms * 1_000_000.0) as u64,
                        status: (e.status >= 500).then(|| Status {
                            code: status::StatusCode::Error as i32,
                            ..Default::default()
                        }),
                        attributes,
                        ..Default::default()
                    }
                })
                .collect();
            ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![kv("service.name", "bench-gateway")],
                        ..Default::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            }
        })
        .collect()
}

/// Sends every event as a span over `transport`; the time until all are acknowledged (each
/// acknowledgement comes after the commit).
pub async fn spans(
    dir: &Path,
    events: &[RequestEvent],
    batch: usize,
    transport: Transport,
) -> BenchResult<Duration> {
    let (state, addr, server) = serve_for_bench(dir, "otlp.db", batch).await?;
    let all = exports(events, batch);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..4 {
        let mine: Vec<ExportTraceServiceRequest> =
            all.iter().skip(lane).step_by(4).cloned().collect();
        match transport {
            Transport::Http => {
                // Encoded up front: the figure is Pulse's, not the client's encoder's.
                let bodies: Vec<Vec<u8>> = mine.iter().map(|m| m.encode_to_vec()).collect();
                let url = format!("http://{addr}/v1/traces");
                let client = reqwest::Client::new();
                tasks.spawn(async move {
                    for body in bodies {
                        let r = client
                            .post(&url)
                            .bearer_auth(TOKEN)
                            .header("content-type", "application/x-protobuf")
                            .body(body)
                            .send()
                            .await?;
                        if r.status() != 200 {
                            return Err(format!("OTLP/HTTP answered {}", r.status()).into());
                        }
                    }
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                });
            }
            Transport::Grpc => {
                let mut client = TraceServiceClient::connect(format!("http://{addr}"))
                    .await?
                    .max_encoding_message_size(64 << 20);
                tasks.spawn(async move {
                    for export in mine {
                        let mut req = tonic::Request::new(export);
                        req.metadata_mut()
                            .insert("authorization", format!("Bearer {TOKEN}").parse()?);
                        let answer = client.export(req).await?.into_inner();
                        if answer.partial_success.is_some() {
                            return Err("OTLP/gRPC rejected spans".into());
                        }
                    }
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                });
            }
        }
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let took = started.elapsed();
    let stored = state.store.count_request_events().await?;
    server.abort();
    state.writer.shutdown().await;
    if stored != events.len() as i64 {
        return Err(format!("{stored} events stored of {} spans sent", events.len()).into());
    }
    Ok(took)
}
