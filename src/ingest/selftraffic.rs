//! Pulse's own HTTP traffic, recorded through the same writer as ingested events
//! (`server = "pulse"`); probes, `/metrics` and static files are left out by default.

use super::Writer;
use crate::store::{EventSource, RequestEvent};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct SelfTraffic {
    pub writer: Writer,
    pub enabled: bool,
    pub exclude: Arc<Vec<String>>,
}

pub async fn record(State(st): State<SelfTraffic>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !st.enabled || st.exclude.iter().any(|p| path.starts_with(p.as_str())) {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_string();
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let bytes_in = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    // Route patterns, never raw paths: bounded, and no identifiers from URLs.
    let route = crate::metrics::route_label(matched.as_ref(), status);
    st.writer.record_self(RequestEvent {
        ts_ms: crate::model::now_ms(),
        method,
        route,
        tool: None,
        server: Some("pulse".to_string()),
        status,
        duration_ms: (started.elapsed().as_secs_f64() * 1e5).round() / 100.0,
        user_id: None,
        role: None,
        bytes_in,
        bytes_out: None,
        client_ip: None,
        user_agent: None,
        source: EventSource::SelfTraffic,
    });
    resp
}
