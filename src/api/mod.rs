//! The JSON and text HTTP surface: health summary, Kubernetes probes, component drill-down and
//! Prometheus metrics; `v1` adds traffic ingest and analytics. Errors are mapped to HTTP here,
//! once; clients never see internals.

pub mod v1;

use crate::health::{EngineError, HealthEngine};
use crate::metrics::Metrics;
use crate::model::Status;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    #[error("{total} problem(s) in the events; nothing was stored")]
    Invalid {
        problems: Vec<crate::ingest::Problem>,
        total: usize,
    },
    #[error("{0}")]
    Unavailable(String),
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
        resp
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health/components/{name}", get(component))
        .route("/health/components/{name}/check", post(check_now))
        .route("/metrics", get(metrics))
        .merge(v1::routes())
}

#[derive(Debug, Deserialize)]
struct HealthQuery {
    detailed: Option<String>,
}

async fn health(
    State(engine): State<HealthEngine>,
    Query(q): Query<HealthQuery>,
) -> Result<Response, ApiError> {
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
    let summary = engine.summary();
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
