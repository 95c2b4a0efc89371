//! OTLP at the edge: OTLP/HTTP (`/v1/traces`, `/v1/logs`, `/v1/metrics`; protobuf or JSON,
//! gzip or not) and OTLP/gRPC (the three collector services, on the main port and on
//! `[otlp] grpc_addr`). Both take the ingest tokens, answer only after the commit, and say what
//! they did not take (`partial_success`).

use super::v1::{commit, read_body, time_limits};
use super::{ApiError, ApiRoute};
use crate::audit::AuditLimits;
use crate::ingest::writer::Batch;
use crate::metrics::OtlpSignal;
use crate::otlp::{decode, Encoding, Partial};
use crate::permissions::Permission::Ingest;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::sync::OwnedSemaphorePermit;
use tonic::codec::CompressionEncoding;
use tower::ServiceExt;
use tower_http::decompression::RequestDecompressionLayer;

const TRACES_GRPC: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS_GRPC: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
const METRICS_GRPC: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// The OTLP routes, HTTP and gRPC; all need an ingest token.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        ApiRoute::new("/v1/traces", Ingest, http(http_traces)),
        ApiRoute::new("/v1/logs", Ingest, http(http_logs)),
        ApiRoute::new("/v1/metrics", Ingest, http(http_metrics)),
        ApiRoute::new(TRACES_GRPC, Ingest, post(grpc_traces)),
        ApiRoute::new(LOGS_GRPC, Ingest, post(grpc_logs)),
        ApiRoute::new(METRICS_GRPC, Ingest, post(grpc_metrics)),
    ]
}

/// The paths the OTLP listener (`[otlp] grpc_addr`) serves.
pub fn paths() -> [&'static str; 6] {
    [
        "/v1/traces",
        "/v1/logs",
        "/v1/metrics",
        TRACES_GRPC,
        LOGS_GRPC,
        METRICS_GRPC,
    ]
}

/// An OTLP/HTTP route: a gzip body is inflated as it is read, so the size limit applies to
/// what it inflates to.
fn http<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    post(handler).layer(RequestDecompressionLayer::new())
}

// --- what every transport shares: map, commit, tally ---

async fn take_traces(
    state: &AppState,
    req: ExportTraceServiceRequest,
    decoding: Option<OwnedSemaphorePermit>,
) -> Result<Option<Partial>, ApiError> {
    let mut mapped = state.otlp.spans.map(&req, time_limits(state));
    let auth = state.otlp.auth_spans.map(&req, audit_limits(state));
    drop(req);
    drop(decoding);
    mapped.tally.absorb(auth.tally);
    if !mapped.events.is_empty() || !auth.events.is_empty() {
        let batch = Batch {
            requests: mapped.events,
            audits: auth.events,
            ..Batch::default()
        };
        commit(state, batch).await?;
    }
    mapped.tally.count(&state.metrics, OtlpSignal::Spans);
    Ok(Partial::of(&mapped.tally, "span"))
}

fn audit_limits(state: &AppState) -> AuditLimits<'_> {
    AuditLimits {
        time: time_limits(state),
        max_details_bytes: state.config.audit.max_details_bytes,
        categories: &state.categories,
    }
}

async fn take_logs(
    state: &AppState,
    req: ExportLogsServiceRequest,
    decoding: Option<OwnedSemaphorePermit>,
) -> Result<Option<Partial>, ApiError> {
    let mapped = state.otlp.logs.map(&req, audit_limits(state));
    drop(req);
    drop(decoding);
    if !mapped.events.is_empty() {
        commit(state, Batch::from(mapped.events)).await?;
    }
    mapped.tally.count(&state.metrics, OtlpSignal::LogRecords);
    Ok(Partial::of(&mapped.tally, "log record"))
}

async fn take_metrics(
    state: &AppState,
    req: ExportMetricsServiceRequest,
    decoding: Option<OwnedSemaphorePermit>,
) -> Result<Option<Partial>, ApiError> {
    let mapped = state.otlp.metrics.map(&req, time_limits(state));
    drop(req);
    drop(decoding);
    if !mapped.measured.is_empty() {
        let batch = Batch {
            measured: mapped.measured,
            ..Batch::default()
        };
        commit(state, batch).await?;
    }
    mapped.tally.count(&state.metrics, OtlpSignal::DataPoints);
    Ok(Partial::of(&mapped.tally, "data point"))
}

// --- OTLP/HTTP ---

/// The body's encoding from its `Content-Type`, or 415 naming the two OTLP/HTTP defines.
fn encoding(state: &AppState, headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Encoding::of(ct).ok_or_else(|| {
        state.metrics.ingest_rejected("invalid");
        ApiError::UnsupportedMediaType(
            "OTLP/HTTP takes Content-Type application/x-protobuf or application/json".into(),
        )
    })
}

async fn read<T: crate::otlp::Export>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    signal: OtlpSignal,
) -> Result<(Encoding, T), (Encoding, ApiError)> {
    // Until the encoding is known, errors are written as JSON.
    let enc = encoding(state, headers).map_err(|e| (Encoding::Json, e))?;
    let bytes = read_body(state, headers, body)
        .await
        .map_err(|e| (enc, e))?;
    within_limits(state, signal, enc, &bytes).map_err(|e| (enc, e))?;
    let msg = decode::<T>(enc, &bytes).map_err(|reason| {
        state.metrics.ingest_rejected("invalid");
        (enc, ApiError::BadRequest(reason))
    })?;
    Ok((enc, msg))
}

/// Refuses an export with more items than an ingest batch may hold, or more attributes than
/// `ATTRIBUTES_PER_ITEM` per allowed item, counted on a pass that keeps nothing: a few bytes
/// per empty item on the wire would otherwise be hundreds in memory once decoded.
fn within_limits(
    state: &AppState,
    signal: OtlpSignal,
    enc: Encoding,
    bytes: &[u8],
) -> Result<(), ApiError> {
    const ATTRIBUTES_PER_ITEM: usize = 32;
    let Some((items, attributes)) = crate::otlp::skeleton::counts(signal, enc, bytes) else {
        return Ok(());
    };
    let max = state.config.traffic.max_batch;
    let what = match signal {
        OtlpSignal::Spans => "spans",
        OtlpSignal::LogRecords => "log records",
        OtlpSignal::DataPoints => "data points",
    };
    if items > max {
        state.metrics.ingest_rejected("batch_too_large");
        return Err(ApiError::TooLarge(format!(
            "{items} {what} in one export; at most {max} (ingest.max_batch) are accepted"
        )));
    }
    if attributes > max * ATTRIBUTES_PER_ITEM {
        state.metrics.ingest_rejected("batch_too_large");
        return Err(ApiError::TooLarge(format!(
            "{attributes} attributes in one export; at most {} are accepted",
            max * ATTRIBUTES_PER_ITEM
        )));
    }
    Ok(())
}

/// `google.rpc.Status`, the body of an OTLP/HTTP error (OTLP spec, "Failures").
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The gRPC code that goes with an HTTP status (the table of the gRPC HTTP mapping).
fn grpc_code(status: StatusCode) -> tonic::Code {
    match status.as_u16() {
        400 | 415 | 422 => tonic::Code::InvalidArgument,
        401 => tonic::Code::Unauthenticated,
        403 => tonic::Code::PermissionDenied,
        404 => tonic::Code::NotFound,
        413 | 429 => tonic::Code::ResourceExhausted,
        503 => tonic::Code::Unavailable,
        _ => tonic::Code::Internal,
    }
}

/// An error as OTLP/HTTP writes it: the status, and a `Status` message in the request's encoding.
fn failed(enc: Encoding, e: ApiError) -> Response {
    // Display gives the client-facing words (never an internal detail).
    let message = e.to_string();
    let mut resp = e.into_response();
    let code = grpc_code(resp.status()) as i32;
    let body = match enc {
        Encoding::Protobuf => RpcStatus { code, message }.encode_to_vec(),
        Encoding::Json => serde_json::json!({"code": code, "message": message})
            .to_string()
            .into_bytes(),
    };
    *resp.body_mut() = Body::from(body);
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(enc.content_type()),
    );
    resp
}

/// A success answer in the request's encoding.
fn answer<M: prost::Message + serde::Serialize>(enc: Encoding, msg: &M) -> Response {
    let body = match enc {
        Encoding::Protobuf => msg.encode_to_vec(),
        Encoding::Json => match serde_json::to_value(msg) {
            Ok(mut v) => {
                // Full success is `{}`: an absent partial_success, not `null`.
                if let Some(obj) = v.as_object_mut() {
                    obj.retain(|_, x| !x.is_null());
                }
                v.to_string().into_bytes()
            }
            Err(e) => return failed(enc, ApiError::Internal(e.to_string())),
        },
    };
    (
        [(header::CONTENT_TYPE, enc.content_type())],
        Body::from(body),
    )
        .into_response()
}

async fn http_traces(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Ok(decoding) = state.otlp.decoding.clone().acquire_owned().await else {
        return failed(
            Encoding::Json,
            ApiError::Unavailable("Pulse is shutting down".into()),
        );
    };
    let (enc, req) =
        match read::<ExportTraceServiceRequest>(&state, &headers, body, OtlpSignal::Spans).await {
            Ok(x) => x,
            Err((enc, e)) => return failed(enc, e),
        };
    match take_traces(&state, req, Some(decoding)).await {
        Ok(partial) => answer(enc, &trace_response(partial)),
        Err(e) => failed(enc, e),
    }
}

async fn http_logs(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Ok(decoding) = state.otlp.decoding.clone().acquire_owned().await else {
        return failed(
            Encoding::Json,
            ApiError::Unavailable("Pulse is shutting down".into()),
        );
    };
    let (enc, req) = match read::<ExportLogsServiceRequest>(
        &state,
        &headers,
        body,
        OtlpSignal::LogRecords,
    )
    .await
    {
        Ok(x) => x,
        Err((enc, e)) => return failed(enc, e),
    };
    match take_logs(&state, req, Some(decoding)).await {
        Ok(partial) => answer(enc, &logs_response(partial)),
        Err(e) => failed(enc, e),
    }
}

async fn http_metrics(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Ok(decoding) = state.otlp.decoding.clone().acquire_owned().await else {
        return failed(
            Encoding::Json,
            ApiError::Unavailable("Pulse is shutting down".into()),
        );
    };
    let (enc, req) =
        match read::<ExportMetricsServiceRequest>(&state, &headers, body, OtlpSignal::DataPoints)
            .await
        {
            Ok(x) => x,
            Err((enc, e)) => return failed(enc, e),
        };
    match take_metrics(&state, req, Some(decoding)).await {
        Ok(partial) => answer(enc, &metrics_response(partial)),
        Err(e) => failed(enc, e),
    }
}

fn trace_response(p: Option<Partial>) -> ExportTraceServiceResponse {
    ExportTraceServiceResponse {
        partial_success: p.map(|p| ExportTracePartialSuccess {
            rejected_spans: p.rejected,
            error_message: p.message,
        }),
    }
}

fn logs_response(p: Option<Partial>) -> ExportLogsServiceResponse {
    ExportLogsServiceResponse {
        partial_success: p.map(|p| ExportLogsPartialSuccess {
            rejected_log_records: p.rejected,
            error_message: p.message,
        }),
    }
}

fn metrics_response(p: Option<Partial>) -> ExportMetricsServiceResponse {
    ExportMetricsServiceResponse {
        partial_success: p.map(|p| ExportMetricsPartialSuccess {
            rejected_data_points: p.rejected,
            error_message: p.message,
        }),
    }
}

// --- OTLP/gRPC ---

/// The decoding permit of a gRPC request, handed through tonic to the service, which lets it
/// go once the export is mapped.
#[derive(Clone)]
struct DecodingPermit(std::sync::Arc<std::sync::Mutex<Option<OwnedSemaphorePermit>>>);

impl DecodingPermit {
    fn take<T>(request: &tonic::Request<T>) -> Option<OwnedSemaphorePermit> {
        request
            .extensions()
            .get::<DecodingPermit>()
            .and_then(|p| p.0.lock().unwrap_or_else(|e| e.into_inner()).take())
    }
}

/// The collector services; tonic does the framing, the guard has already checked the token.
#[derive(Clone)]
struct Grpc(AppState);

fn status_of(e: ApiError) -> tonic::Status {
    let message = e.to_string();
    let code = grpc_code(e.into_response().status());
    tonic::Status::new(code, message)
}

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let decoding = DecodingPermit::take(&request);
        let partial = take_traces(&self.0, request.into_inner(), decoding)
            .await
            .map_err(status_of)?;
        Ok(tonic::Response::new(trace_response(partial)))
    }
}

#[tonic::async_trait]
impl LogsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let decoding = DecodingPermit::take(&request);
        let partial = take_logs(&self.0, request.into_inner(), decoding)
            .await
            .map_err(status_of)?;
        Ok(tonic::Response::new(logs_response(partial)))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let decoding = DecodingPermit::take(&request);
        let partial = take_metrics(&self.0, request.into_inner(), decoding)
            .await
            .map_err(status_of)?;
        Ok(tonic::Response::new(metrics_response(partial)))
    }
}

/// Runs one request through a tonic service built for it (building one is a few pointers).
/// Counts a unary gRPC request's items before tonic decodes it (see [`within_limits`]): the
/// body is read (within the size limit), its one length-prefixed message inflated if gzip,
/// counted, and handed on unchanged.
async fn grpc_precheck(
    state: &AppState,
    signal: OtlpSignal,
    req: Request,
) -> Result<Request, Response> {
    use std::io::Read;
    let limit = state.config.traffic.max_body_bytes;
    let refuse = |e: ApiError| status_of(e).into_http::<Body>().into_response();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit + 5).await.map_err(|_| {
        refuse(ApiError::TooLarge(format!(
            "the message is larger than {limit} bytes or did not arrive"
        )))
    })?;
    if bytes.len() >= 5 {
        let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
        let gzip = parts
            .headers
            .get("grpc-encoding")
            .is_some_and(|v| v.as_bytes() == b"gzip");
        if let Some(msg) = bytes.get(5..5 + len) {
            let plain: Option<Vec<u8>> = match (bytes[0], gzip) {
                (0, _) => Some(msg.to_vec()),
                (1, true) => {
                    let mut out = Vec::new();
                    let mut z = flate2::read::GzDecoder::new(msg).take(limit as u64 + 1);
                    match z.read_to_end(&mut out) {
                        Ok(n) if n > limit => {
                            return Err(refuse(ApiError::TooLarge(format!(
                                "the message inflates to more than {limit} bytes"
                            ))))
                        }
                        Ok(_) => Some(out),
                        // tonic names the broken message.
                        Err(_) => None,
                    }
                }
                _ => None,
            };
            if let Some(plain) = plain {
                within_limits(state, signal, Encoding::Protobuf, &plain).map_err(refuse)?;
            }
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

macro_rules! grpc_handler {
    ($name:ident, $server:ident, $signal:expr) => {
        async fn $name(State(state): State<AppState>, req: Request) -> Response {
            let Ok(decoding) = state.otlp.decoding.clone().acquire_owned().await else {
                return status_of(ApiError::Unavailable("Pulse is shutting down".into()))
                    .into_http::<Body>()
                    .into_response();
            };
            let mut req = match grpc_precheck(&state, $signal, req).await {
                Ok(r) => r,
                Err(refused) => return refused,
            };
            req.extensions_mut()
                .insert(DecodingPermit(std::sync::Arc::new(std::sync::Mutex::new(
                    Some(decoding),
                ))));
            let limit = state.config.traffic.max_body_bytes;
            let svc = $server::new(Grpc(state))
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit);
            match svc.oneshot(req).await {
                Ok(resp) => resp.into_response(),
                Err(never) => match never {},
            }
        }
    };
}

grpc_handler!(grpc_traces, TraceServiceServer, OtlpSignal::Spans);
grpc_handler!(grpc_logs, LogsServiceServer, OtlpSignal::LogRecords);
grpc_handler!(grpc_metrics, MetricsServiceServer, OtlpSignal::DataPoints);
