//! The JSON and text HTTP surface: health summary, Kubernetes probes, component drill-down and
//! Prometheus metrics; `v1` adds traffic ingest and analytics. Errors are mapped to HTTP here,
//! once; clients never see internals.

pub mod alerts;
pub mod otlp;
pub mod session;
pub mod v1;

use crate::access::rules::Rule;
use crate::health::{EngineError, HealthEngine};
use crate::metrics::Metrics;
use crate::model::Status;
use crate::permissions::Permission;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal error")]
    Internal(String),
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{total} problem(s) in the events; nothing was stored")]
    Invalid {
        problems: Vec<crate::ingest::Problem>,
        total: usize,
    },
    #[error("{0}")]
    Unavailable(String),
    /// Too soon after the same request; retry after this many seconds.
    #[error("{0}")]
    TooMany(String, u64),
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownComponent(name) => ApiError::NotFound(format!(
                "no component named `{}`",
                crate::model::shown(&name)
            )),
            EngineError::Store(inner) => ApiError::Internal(inner.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // One match: status, the client-facing message, and the extra header some answers need.
        let (code, message, extra) = match &self {
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone(), None),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone(), None),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone(), None),
            ApiError::UnsupportedMediaType(m) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, m.clone(), None)
            }
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                self.to_string(),
                Some((header::WWW_AUTHENTICATE, "Bearer")),
            ),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, self.to_string(), None),
            ApiError::Unavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                m.clone(),
                Some((header::RETRY_AFTER, "1")),
            ),
            ApiError::TooMany(m, _) => (StatusCode::TOO_MANY_REQUESTS, m.clone(), None),
            ApiError::Internal(detail) => {
                // The detail goes to the log; the client gets a generic message.
                tracing::error!(error = %detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log".to_string(),
                    None,
                )
            }
        };
        let mut body = json!({"error": message, "status": code.as_u16()});
        if let ApiError::Invalid { problems, total } = &self {
            body["problems"] = json!(problems);
            body["problem_count"] = json!(total);
        }
        let mut resp = (code, Json(body)).into_response();
        if let Some((name, value)) = extra {
            resp.headers_mut()
                .insert(name, axum::http::HeaderValue::from_static(value));
        }
        if let ApiError::TooMany(_, after) = &self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(*after));
        }
        resp
    }
}

/// A route, its handler and what it needs: declared together so no route exists without a
/// permission rule.
pub struct ApiRoute {
    pub path: &'static str,
    pub rule: Rule,
    pub handler: MethodRouter<AppState>,
}

impl ApiRoute {
    pub fn new(path: &'static str, perm: Permission, handler: MethodRouter<AppState>) -> Self {
        ApiRoute {
            path,
            rule: Rule::Need(perm),
            handler,
        }
    }
}

/// Every JSON/text route: probes, health, checks, metrics, login, and `/api/v1`.
pub fn table() -> Vec<ApiRoute> {
    use Permission::{Details, Operate, Public, Status};
    let mut all = vec![
        ApiRoute::new("/health", Status, get(health)),
        ApiRoute::new("/health/live", Public, get(live)),
        ApiRoute::new("/health/ready", Public, get(ready)),
        ApiRoute::new("/health/components/{name}", Details, get(component)),
        ApiRoute::new("/health/components/{name}/check", Operate, post(check_now)),
        ApiRoute {
            path: "/metrics",
            rule: Rule::Metrics,
            handler: get(metrics),
        },
        ApiRoute::new("/auth/login", Public, post(crate::api::session::login)),
        ApiRoute::new("/auth/logout", Public, post(crate::api::session::logout)),
    ];
    all.extend(v1::routes());
    all.extend(alerts::routes());
    all.extend(otlp::routes());
    all
}

/// The routes of [`table`] as a router.
pub fn routes() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |r, route| r.route(route.path, route.handler))
}

/// The rules of [`table`], for the guard.
pub fn rules() -> Vec<(&'static str, Rule)> {
    table().iter().map(|r| (r.path, r.rule)).collect()
}

#[derive(Debug, Deserialize)]
struct HealthQuery {
    detailed: Option<String>,
}

async fn health(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
    Query(q): Query<HealthQuery>,
) -> Result<Response, ApiError> {
    let engine = &state.engine;
    let detailed = match q.detailed.as_deref() {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "detailed must be true or false, not `{}`",
                crate::model::shown(other)
            )))
        }
    };
    let mut summary = engine.summary();
    // Error texts and details need a viewer (or a read token): anonymous callers get what a
    // public status page shows.
    if !crate::state::request_allows(&ext, &state, Permission::Details) {
        summary = summary.statuses_only();
    }
    if detailed {
        Ok(Json(summary).into_response())
    } else {
        Ok(Json(json!({
            "overall_status": summary.overall_status,
            "uptime_seconds": summary.uptime_seconds,
        }))
        .into_response())
    }
}

async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "alive"}))
}

async fn ready(State(engine): State<HealthEngine>) -> Response {
    let s = engine.summary();
    let (code, reason) = match s.overall_status {
        Status::Healthy => (StatusCode::OK, "all checks pass".to_string()),
        Status::Degraded => (StatusCode::OK, "degraded but serving".to_string()),
        Status::Unknown => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no component has been checked yet".to_string(),
        ),
        Status::Unhealthy => {
            let down: Vec<String> = s
                .components
                .iter()
                .filter(|c| c.status == Status::Unhealthy)
                .map(|c| {
                    if c.critical {
                        format!("{} (critical)", c.component)
                    } else {
                        c.component.clone()
                    }
                })
                .collect();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("unhealthy: {}", down.join(", ")),
            )
        }
    };
    (
        code,
        Json(json!({
            "ready": code == StatusCode::OK,
            "overall_status": s.overall_status,
            "reason": reason,
        })),
    )
        .into_response()
}

async fn component(
    State(engine): State<HealthEngine>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(engine.detail(&name).await?).into_response())
}

async fn check_now(
    State(engine): State<HealthEngine>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(engine.check_now(&name).await?).into_response())
}

async fn metrics(State(metrics): State<Metrics>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}
