//! OTLP in, proven with real exporters: the OpenTelemetry Python SDK over HTTP/protobuf and
//! gRPC, the JS SDK over HTTP/JSON; and bad input refused or partly taken, never dropped silently.

use super::helpers::*;
use axum::body::Body;
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};
use std::path::Path;
use tokio::process::Command;

/// The project's Python with the OpenTelemetry SDK and exporters (scripts/bootstrap.sh).
const PYTHON: &str = ".tools/otel/bin/python";

/// Runs the exporter without blocking the runtime that serves it.
async fn python_export(args: &[&str]) {
    assert!(
        Path::new(PYTHON).exists(),
        "{PYTHON} is missing: run scripts/bootstrap.sh"
    );
    let out = Command::new(PYTHON)
        .arg("tests/support/otlp_export.py")
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "the Python exporter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The endpoints row of a tool: (count, errors, server).
async fn tool_row(h: &Harness, tool: &str) -> Option<Value> {
    let (s, e) = get(
        h,
        "/api/v1/analytics/endpoints?window=1h&sort=count&limit=50",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    e["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["tool"] == tool)
        .cloned()
}

/// A tool's requests and errors over every endpoint row it has (server, method).
async fn tool_totals(h: &Harness, tool: &str) -> (i64, i64) {
    let (_, e) = get(
        h,
        "/api/v1/analytics/endpoints?window=1h&sort=count&limit=100",
    )
    .await;
    e["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["tool"] == tool)
        .fold((0, 0), |(c, r), x| {
            (
                c + x["count"].as_i64().unwrap(),
                r + x["errors"].as_i64().unwrap(),
            )
        })
}

async fn metric(h: &Harness, series: &str) -> f64 {
    let (_, text) = call_with(h, "GET", "/metrics", &[]).await;
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} not in /metrics"))
}

#[tokio::test]
async fn real_exporters_deliver_mcp_spans_over_http_grpc_and_json_with_exact_counts() {
    let h = harness("self_instrument = false\n[audit]\nself_audit = false").await;
    let (addr, stop, task) = serve_on_socket(h.router.clone()).await;
    // The OTLP listener of `[otlp] grpc_addr` serves its own router: the same guard.
    let (otlp_addr, otlp_stop, otlp_task) =
        serve_on_socket(mcp_pulse::server::otlp_app(h.state.clone())).await;
    let base = format!("http://{addr}");

    // HTTP/protobuf: 7 tool calls (2 failed), each with a nested client span and a database
    // span; and 3 audit log records.
    python_export(&[
        "--protocol",
        "http",
        "--endpoint",
        &base,
        "--token",
        TOKEN,
        "--tool",
        "py-http-tool",
        "--count",
        "7",
        "--errors",
        "2",
        "--role",
        "analyst",
        "--nested",
        "--logs",
        "3",
    ])
    .await;
    let row = tool_row(&h, "py-http-tool").await.expect("the HTTP spans");
    assert_eq!(row["count"], 7, "{row}");
    assert_eq!(row["errors"], 2, "{row}");
    assert_eq!(row["route"], "tools/call");
    assert_eq!(row["server"], "py-gateway", "the resource's service.name");
    assert_eq!(h.state.store.count_audit_events().await.unwrap(), 3);

    // gRPC on the OTLP listener, and on the main port.
    let otlp_base = format!("http://{otlp_addr}");
    python_export(&[
        "--protocol",
        "grpc",
        "--endpoint",
        &otlp_base,
        "--token",
        TOKEN,
        "--tool",
        "py-grpc-tool",
        "--count",
        "5",
        "--errors",
        "1",
    ])
    .await;
    python_export(&[
        "--protocol",
        "grpc",
        "--endpoint",
        &base,
        "--token",
        TOKEN,
        "--tool",
        "py-grpc-tool",
        "--count",
        "4",
    ])
    .await;
    let row = tool_row(&h, "py-grpc-tool").await.expect("the gRPC spans");
    assert_eq!(
        (row["count"].as_i64(), row["errors"].as_i64()),
        (Some(9), Some(1)),
        "{row}"
    );

    // OTLP/JSON as the JS SDK writes it (hex ids, int64 as strings, enums as numbers).
    let out = Command::new("node")
        .arg("tests/support/otlp_json_export.cjs")
        .args([base.as_str(), TOKEN, "js-json-tool", "4"])
        .env("NODE_PATH", "end2end/node_modules")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "the JS exporter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = tool_row(&h, "js-json-tool").await.expect("the JSON spans");
    assert_eq!(
        (row["count"].as_i64(), row["errors"].as_i64()),
        (Some(4), Some(1)),
        "{row}"
    );
    assert_eq!(row["server"], "js-gateway");

    // A wrong token is refused by both transports, and nothing more is stored.
    let refused = Command::new(PYTHON)
        .arg("tests/support/otlp_export.py")
        .args([
            "--protocol",
            "grpc",
            "--endpoint",
            &otlp_base,
            "--token",
            "not-the-token-0123456789",
            "--tool",
            "py-grpc-tool",
            "--count",
            "1",
        ])
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let row = tool_row(&h, "py-grpc-tool").await.unwrap();
    assert_eq!(row["count"], 9);

    assert_eq!(
        metric(&h, "pulse_otlp_spans_total{outcome=\"accepted\"}").await,
        20.0
    );
    assert_eq!(
        metric(&h, "pulse_otlp_spans_total{outcome=\"nested\"}").await,
        7.0
    );
    assert_eq!(
        metric(&h, "pulse_otlp_spans_total{outcome=\"skipped\"}").await,
        16.0
    );
    assert_eq!(
        metric(&h, "pulse_otlp_log_records_total{outcome=\"accepted\"}").await,
        3.0
    );
    assert_eq!(
        metric(&h, "pulse_ingested_events_total{kind=\"otlp\"}").await,
        20.0
    );

    let _ = stop.send(());
    let _ = otlp_stop.send(());
    let _ = task.await;
    let _ = otlp_task.await;
}

#[tokio::test]
async fn auth_spans_from_the_python_sdk_are_authentication_events() {
    let h = harness("self_instrument = false\n[audit]\nself_audit = false").await;
    let (addr, stop, task) = serve_on_socket(h.router.clone()).await;
    // Three OAuth flows (azure_ad, pkce, ~20 ms) and three failed MFA challenges (github,
    // totp), beside one MCP tool call.
    python_export(&[
        "--protocol",
        "http",
        "--endpoint",
        &format!("http://{addr}"),
        "--token",
        TOKEN,
        "--tool",
        "py-auth-tool",
        "--count",
        "1",
        "--auth",
        "6",
    ])
    .await;
    let (s, v) = get(&h, "/api/v1/auth/summary?timeframe=1h").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["totals"]["total"], 6, "{v}");
    assert_eq!(v["totals"]["failed"], 3);
    let of = |action: &str| {
        v["event_types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["action"] == action)
            .cloned()
            .unwrap()
    };
    let oauth = of("auth.oauth_flow");
    assert_eq!(
        (oauth["count"].as_i64(), oauth["failed"].as_i64()),
        (Some(3), Some(0))
    );
    let p95 = oauth["p95_ms"].as_f64().unwrap();
    assert!(
        (15.0..1000.0).contains(&p95),
        "the span's own duration: {p95}"
    );
    let mfa = of("auth.mfa_challenge");
    assert_eq!(
        (mfa["count"].as_i64(), mfa["failed"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(v["mfa"]["by_method"][0]["method"], "totp");
    let providers: Vec<(&str, i64)> = v["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["provider"].as_str().unwrap(),
                p["failed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(providers, [("github", 3), ("azure_ad", 0)]);
    // The tool call is still a request; the auth spans are accepted, not skipped.
    assert_eq!(
        tool_row(&h, "py-auth-tool").await.expect("the tool call")["count"],
        1
    );
    assert_eq!(
        metric(&h, "pulse_otlp_spans_total{outcome=\"accepted\"}").await,
        7.0
    );
    let _ = stop.send(());
    let _ = task.await;
}

#[tokio::test]
async fn duration_histograms_fold_into_the_rollups_when_switched_on() {
    let h = harness("self_instrument = false\n[otlp]\nfold_duration_metrics = true").await;
    let (addr, stop, task) = serve_on_socket(h.router.clone()).await;
    // 6 recorded (2 failed), flushed, then 1 more: cumulative points differenced.
    python_export(&[
        "--protocol",
        "http",
        "--endpoint",
        &format!("http://{addr}"),
        "--token",
        TOKEN,
        "--tool",
        "py-metric-tool",
        "--count",
        "0",
        "--metrics",
        "6",
        "--errors",
        "2",
    ])
    .await;
    assert_eq!(tool_totals(&h, "py-metric-tool").await, (7, 2));
    let (_, e) = get(
        &h,
        "/api/v1/analytics/endpoints?window=1h&sort=count&limit=50",
    )
    .await;
    let ok = e["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["tool"] == "py-metric-tool")
        .cloned()
        .unwrap();
    // Three 300 ms recordings among seven: p95 sits in the 200-500 ms bucket of the advised
    // bounds, re-bucketed onto Pulse's.
    let p95 = ok["p95_ms"].as_f64().unwrap();
    assert!((200.0..=500.0).contains(&p95), "{ok}");
    assert_eq!(ok["server"], "py-gateway");
    assert_eq!(
        h.state.store.count_request_events().await.unwrap(),
        0,
        "no raw rows"
    );
    assert!(metric(&h, "pulse_otlp_data_points_total{outcome=\"accepted\"}").await >= 2.0);
    let _ = stop.send(());
    let _ = task.await;
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

fn now_ns() -> u64 {
    mcp_pulse::model::now_ms() as u64 * 1_000_000
}

fn mcp_span(i: u32, tool: &str) -> Span {
    let start = now_ns() - 1_000_000_000;
    Span {
        trace_id: [i.to_be_bytes().as_slice(), &[1; 12]].concat(),
        span_id: [i.to_be_bytes().as_slice(), &[2; 4]].concat(),
        name: "tools/call".into(),
        start_time_unix_nano: start,
        end_time_unix_nano: start + 3_000_000,
        attributes: vec![
            kv("mcp.method.name", "tools/call"),
            kv("gen_ai.tool.name", tool),
        ],
        ..Default::default()
    }
}

fn export(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "hand-made")],
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

async fn post_otlp(
    h: &Harness,
    body: Vec<u8>,
    content_type: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/traces")
        .header("content-type", content_type)
        .header("authorization", format!("Bearer {TOKEN}"));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = h
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

/// `google.rpc.Status` as OTLP/HTTP error bodies carry it.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

#[tokio::test]
async fn bad_otlp_input_is_refused_or_partly_taken_and_never_dropped_silently() {
    let h = harness("").await;
    let pb = "application/x-protobuf";
    let good = export(vec![mcp_span(1, "ok-tool")]).encode_to_vec();

    // No token, a wrong content type, garbage: refused, nothing stored.
    let (s, _, _) = request(
        &h,
        "POST",
        "/v1/traces",
        &[("content-type", pb)],
        Body::from(good.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = post_otlp(&h, good.clone(), "text/plain", &[]).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(String::from_utf8_lossy(&body).contains("application/x-protobuf"));
    let (s, body) = post_otlp(&h, vec![0xff; 64], pb, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let status = RpcStatus::decode(body.as_slice()).expect("a google.rpc.Status body");
    assert_eq!(status.code, 3, "INVALID_ARGUMENT");
    assert!(
        status.message.contains("not a valid OTLP protobuf"),
        "{}",
        status.message
    );
    let (s, body) = post_otlp(
        &h,
        b"{\"resourceSpans\": 7}".to_vec(),
        "application/json",
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("not valid OTLP/JSON"),
        "{v}"
    );
    // 10 MB: over the body limit, as declared and as streamed.
    let (s, _) = post_otlp(&h, vec![0; 10 << 20], pb, &[]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // A gzip bomb: 10 MB of zeros in a few KB is cut off at the limit too.
    let bomb = {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 10 << 20]).unwrap();
        z.finish().unwrap()
    };
    assert!(bomb.len() < 64 << 10);
    let (s, _) = post_otlp(&h, bomb, pb, &[("content-encoding", "gzip")]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // Many empty spans (two bytes each on the wire, hundreds once decoded): counted first and
    // refused before decoding, in either encoding.
    let empty_spans = export((0..20_000).map(|_| Span::default()).collect()).encode_to_vec();
    assert!(empty_spans.len() < 64 << 10);
    let (s, body) = post_otlp(&h, empty_spans, pb, &[]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let status = RpcStatus::decode(body.as_slice()).unwrap();
    assert!(
        status.message.contains("20000 spans in one export"),
        "{}",
        status.message
    );
    let json_spans = format!(
        "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{}]}}]}}]}}",
        vec!["{}"; 20_000].join(",")
    );
    let (s, _) = post_otlp(&h, json_spans.into_bytes(), "application/json", &[]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(tool_row(&h, "ok-tool").await, None, "nothing stored so far");

    // JSON with ids of the wrong length: that span is rejected and said so; the good one kept.
    let start = now_ns() - 1_000_000_000;
    let json_body = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "0102", "spanId": "0102030405060708", "name": "a",
         "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 1_000_000).to_string(),
         "attributes": [{"key": "mcp.method.name", "value": {"stringValue": "tools/call"}},
                        {"key": "gen_ai.tool.name", "value": {"stringValue": "ok-tool"}}]},
        {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "b",
         "kind": 2, "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 2_000_000).to_string(),
         "attributes": [{"key": "mcp.method.name", "value": {"stringValue": "tools/call"}},
                        {"key": "gen_ai.tool.name", "value": {"stringValue": "ok-tool"}},
                        {"key": "http.response.status_code", "value": {"intValue": "503"}}]}
    ]}]}]});
    let (s, body) = post_otlp(
        &h,
        json_body.to_string().into_bytes(),
        "application/json",
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    // int64 may be written as a number or a string (OTLP/JSON decoders take both).
    assert_eq!(
        v["partialSuccess"]["rejectedSpans"]
            .to_string()
            .trim_matches('"'),
        "1",
        "{v}"
    );
    assert!(
        v["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("trace id must be 16 bytes"),
        "{v}"
    );
    assert_eq!(tool_totals(&h, "ok-tool").await, (1, 1));

    // gzip protobuf, one span with 1,000 attributes: taken, and a full success has no
    // partial_success.
    let mut wide = mcp_span(2, "ok-tool");
    wide.attributes
        .extend((0..1000).map(|i| kv(&format!("attr.{i}"), "x")));
    let gz = {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&export(vec![wide]).encode_to_vec()).unwrap();
        z.finish().unwrap()
    };
    let (s, body) = post_otlp(&h, gz, pb, &[("content-encoding", "gzip")]).await;
    assert_eq!(s, StatusCode::OK);
    let resp = ExportTraceServiceResponse::decode(body.as_slice()).unwrap();
    assert_eq!(resp.partial_success, None);
    assert_eq!(tool_totals(&h, "ok-tool").await, (2, 1));
}

#[tokio::test]
async fn grpc_exports_are_counted_before_they_are_decoded() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let h = harness("").await;
    let (addr, stop, task) = serve_on_socket(mcp_pulse::server::otlp_app(h.state.clone())).await;
    let mut client = TraceServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let call = |spans: Vec<Span>| {
        let mut req = tonic::Request::new(export(spans));
        req.metadata_mut()
            .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
        req
    };
    let refused = client
        .export(call((0..20_000).map(|_| Span::default()).collect()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    assert!(
        refused.message().contains("20000 spans"),
        "{}",
        refused.message()
    );
    let ok = client
        .export(call(vec![mcp_span(1, "grpc-tool")]))
        .await
        .unwrap();
    assert_eq!(ok.into_inner().partial_success, None);
    assert_eq!(tool_totals(&h, "grpc-tool").await, (1, 0));
    let _ = stop.send(());
    let _ = task.await;
}

#[tokio::test]
async fn distinct_tool_names_beyond_the_cap_fold_into_other() {
    let h = harness("max_endpoints_per_day = 50\nself_instrument = false").await;
    // 20,000 distinct tool names in four exports: the rollups keep 50 endpoints and `other`.
    for batch in 0..4u32 {
        let spans = (0..5000u32)
            .map(|i| mcp_span(batch * 5000 + i, &format!("tool-{}", batch * 5000 + i)))
            .collect();
        let (s, body) = post_otlp(
            &h,
            export(spans).encode_to_vec(),
            "application/x-protobuf",
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            ExportTraceServiceResponse::decode(body.as_slice())
                .unwrap()
                .partial_success,
            None
        );
    }
    let (_, e) = get(
        &h,
        "/api/v1/analytics/endpoints?window=1h&sort=count&limit=100",
    )
    .await;
    let list = e["endpoints"].as_array().unwrap();
    let other = list
        .iter()
        .find(|x| x["route"] == "other")
        .expect("an `other` row");
    assert_eq!(other["count"], 20_000 - 50);
    assert_eq!(list.len(), 51, "50 endpoints and other");
    assert_eq!(metric(&h, "pulse_endpoints_folded_total").await, 19_950.0);
}
