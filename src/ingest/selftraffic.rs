//! Pulse's own HTTP traffic, recorded through the same writer as ingested events
//! (`server = "pulse"`; probes, `/metrics` and static files are left out by default), and its
//! audit of its own use: page views and API reads become audit events (seed 000 §7.1).

use super::writer::Batch;
use super::Writer;
use crate::audit::{self_action, self_event, self_kind, Categories};
use crate::store::{EventSource, RequestEvent};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct SelfTraffic {
    pub writer: Writer,
    pub enabled: bool,
    pub exclude: Arc<Vec<String>>,
    /// `Some` when Pulse audits its own use: the role its users act in, and the categories.
    pub audit: Option<(String, Arc<Categories>)>,
}

/// Who is reading: `token:<8 hex of the token's SHA-256>` with a bearer token, `dashboard` for
/// pages, `anonymous` for API calls without one.
fn actor(req: &Request) -> String {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim());
    match token {
        Some(t) if !t.is_empty() => {
            let digest = Sha256::digest(t.as_bytes());
            let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            format!("token:{hex}")
        }
        _ if req.uri().path().starts_with("/api/") => "anonymous".to_string(),
        _ => "dashboard".to_string(),
    }
}

pub async fn record(State(st): State<SelfTraffic>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let traffic = st.enabled && !st.exclude.iter().any(|p| path.starts_with(p.as_str()));
    // Only requests that can be audited pay for naming the reader and the resource.
    let audit = st
        .audit
        .as_ref()
        .filter(|_| self_kind(req.method().as_str(), &path).is_some());
    if !traffic && audit.is_none() {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_string();
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let who = audit.map(|_| {
        let resource = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| path.clone());
        (actor(&req), resource)
    });
    let bytes_in = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let now = crate::model::now_ms();
    let mut batch = Batch::default();
    if traffic {
        // Route patterns, never raw paths: bounded, and no identifiers from URLs.
        let route = crate::metrics::route_label(matched.as_ref(), status);
        batch.requests.push(RequestEvent {
            ts_ms: now,
            method: method.clone(),
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
    }
    if let (Some((role, categories)), Some((who, resource))) = (audit, who) {
        if let Some(action) = self_action(&method, &path, status) {
            batch
                .audits
                .push(self_event(now, who, role, action, resource, categories));
        }
    }
    if !batch.is_empty() {
        st.writer.record_self(batch);
    }
    resp
}
