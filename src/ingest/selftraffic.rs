//! Pulse's own HTTP traffic, recorded through the same writer as ingested events
//! (`server = "pulse"`; probes, `/metrics` and static files are left out by default), and its
//! audit of its own use: page views and API reads become audit events (seed 000 §7.1).

use super::writer::Batch;
use super::Writer;
use crate::audit::{self_action, self_event, self_kind, Categories};
use crate::permissions::Principal;
use crate::store::{EventSource, RequestEvent};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct SelfTraffic {
    pub writer: Writer,
    pub enabled: bool,
    pub exclude: Arc<Vec<String>>,
    /// `Some` when Pulse audits its own use: the role its users act in, and the categories.
    pub audit: Option<(String, Arc<Categories>)>,
    /// Audit events of readers without a valid token this minute, and how many a minute may
    /// have (`audit.anonymous_per_minute`).
    pub anonymous: Arc<Mutex<(i64, u32)>>,
    pub anonymous_per_minute: u32,
}

impl SelfTraffic {
    /// Whether one more anonymous audit event fits in this minute's allowance.
    fn allow_anonymous(&self, now_ms: i64) -> bool {
        let minute = now_ms.div_euclid(60_000);
        let mut slot = self.anonymous.lock().unwrap_or_else(|e| e.into_inner());
        if slot.0 != minute {
            *slot = (minute, 0);
        }
        slot.1 += 1;
        slot.1 <= self.anonymous_per_minute
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
    let method = crate::model::method_label(req.method().as_str());
    let matched = req.extensions().get::<MatchedPath>().cloned();
    // The path only: a query string can carry a token or other secrets.
    let resource = audit.map(|_| path.clone());
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
            method: method.to_string(),
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
            session_id: None,
            source: EventSource::SelfTraffic,
        });
    }
    if let (Some((self_role, categories)), Some(resource)) = (audit, resource) {
        if let Some(action) = self_action(method, &path, status) {
            // The guard put the caller on the response: a user by name and role, a token by
            // its name; anonymous readers within the per-minute allowance.
            let caller = resp.extensions().get::<Principal>();
            let named = caller.filter(|p| !p.is_anonymous());
            let who = match named {
                Some(p) => Some((p.actor(), p.role.map(|r| r.as_str()).unwrap_or(self_role))),
                None if st.allow_anonymous(now) => Some(("anonymous".to_string(), "guest")),
                None => None,
            };
            if let Some((who, role)) = who {
                batch
                    .audits
                    .push(self_event(now, who, role, action, resource, categories));
            }
        }
    }
    if !batch.is_empty() {
        st.writer.record_self(batch);
    }
    resp
}
