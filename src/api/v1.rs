//! `/api/v1`: request ingest and the traffic analytics, behind bearer tokens.

use super::ApiError;
use crate::analytics::roles_service;
use crate::analytics::{service, SortBy};
use crate::audit::{validate_audit_batch, AuditLimits};
use crate::ingest::writer::Batch;
use crate::ingest::{listed, validate_batch, Limits, WriterError};
use crate::model::{now_ms, shown};
use crate::span::{self, Span, Spans, PERIODS, TIMEFRAMES, WINDOWS};
use crate::state::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use futures::StreamExt;
use std::collections::HashMap;

/// The `/api/v1` routes and what each needs (the guard enforces it; see `access`).
pub fn routes() -> Vec<super::ApiRoute> {
    use super::ApiRoute as R;
    use crate::permissions::Permission::{Analytics, Ingest};
    vec![
        R::new("/api/v1/requests", Ingest, post(ingest)),
        R::new("/api/v1/analytics/real-time", Analytics, get(real_time)),
        R::new("/api/v1/analytics/trends", Analytics, get(trends)),
        R::new("/api/v1/analytics/summary", Analytics, get(summary)),
        R::new("/api/v1/analytics/endpoints", Analytics, get(endpoints)),
        R::new("/api/v1/audit", Ingest, post(ingest_audit)),
        R::new("/api/v1/audit/export", Analytics, get(audit_export)),
        R::new("/api/v1/roles/{view}", Analytics, get(roles)),
        R::new("/api/v1/auth/summary", Analytics, get(auth_summary)),
    ]
}

/// Reads a request body within the ingest size limit (and the server's body timeout).
pub(super) async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, ApiError> {
    let t = &state.config.traffic;
    let too_large = || {
        state.metrics.ingest_rejected("body_too_large");
        ApiError::TooLarge(format!(
            "the body is larger than {} bytes",
            t.max_body_bytes
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > t.max_body_bytes) {
        return Err(too_large());
    }
    match to_bytes(body, t.max_body_bytes).await {
        Ok(b) => Ok(b),
        Err(e) if is_length_limit(&e) => Err(too_large()),
        // The body stalled (the server's body timeout), the client went away, or a compressed
        // body did not decompress.
        Err(_) => {
            state.metrics.ingest_rejected("invalid");
            Err(ApiError::BadRequest(
                "the request body did not arrive in time or could not be read".into(),
            ))
        }
    }
}

/// Reads a posted JSON array within the size and count limits.
async fn read_array(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let t = &state.config.traffic;
    let bytes = read_body(state, headers, body).await?;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).map_err(|e| {
        state.metrics.ingest_rejected("invalid");
        ApiError::BadRequest(format!("the body must be a JSON array of events: {e}"))
    })?;
    if items.len() > t.max_batch {
        state.metrics.ingest_rejected("batch_too_large");
        return Err(ApiError::TooLarge(format!(
            "{} events in one request; at most {} are accepted",
            items.len(),
            t.max_batch
        )));
    }
    Ok(items)
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Times an event may carry: up to `max_future` ahead, back to the raw-event retention.
pub(super) fn time_limits(state: &AppState) -> Limits {
    let t = &state.config.traffic;
    let now = now_ms();
    Limits {
        now_ms: now,
        max_future_ms: t.max_future.as_millis() as i64,
        oldest_ms: now - t.raw_retention.as_millis() as i64,
    }
}

fn invalid(state: &AppState, problems: Vec<crate::ingest::Problem>) -> ApiError {
    state.metrics.ingest_rejected("invalid");
    let (problems, total) = listed(problems);
    ApiError::Invalid { problems, total }
}

/// Hands a validated batch to the writer and returns once it is committed.
pub(super) async fn commit(state: &AppState, batch: Batch) -> Result<usize, ApiError> {
    let n = batch.len();
    match state.writer.submit(batch).await {
        Ok(stored) => {
            state.metrics.ingest_batch(n);
            Ok(stored)
        }
        Err(WriterError::QueueFull) => {
            state.metrics.ingest_rejected("queue_full");
            Err(ApiError::Unavailable(
                "the write queue is full; retry shortly".into(),
            ))
        }
        Err(WriterError::Closed) => Err(ApiError::Unavailable("Pulse is shutting down".into())),
        Err(WriterError::Store(e)) => Err(ApiError::Internal(e)),
    }
}

/// Stores a validated batch and answers with how many events were accepted.
async fn store_batch(state: &AppState, batch: Batch) -> Result<Response, ApiError> {
    let stored = commit(state, batch).await?;
    Ok(Json(serde_json::json!({"accepted": stored})).into_response())
}

async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let items = read_array(&state, &headers, body).await?;
    let events = validate_batch(&items, time_limits(&state)).map_err(|p| invalid(&state, p))?;
    store_batch(&state, events.into()).await
}

async fn ingest_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let items = read_array(&state, &headers, body).await?;
    let limits = AuditLimits {
        time: time_limits(&state),
        max_details_bytes: state.config.audit.max_details_bytes,
        categories: &state.categories,
    };
    let events = validate_audit_batch(&items, limits).map_err(|p| invalid(&state, p))?;
    store_batch(&state, events.into()).await
}

pub(super) type Params = Query<HashMap<String, String>>;

/// Refuses parameters the endpoint does not know, so a typo is an error, not a default.
pub(super) fn only(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::BadRequest(format!(
            "unknown parameter `{}`; accepted: {}",
            shown(k),
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

pub(super) fn store_error(e: crate::store::StoreError) -> ApiError {
    if e.is_busy() {
        tracing::warn!(error = %e, "analytics read shed: database busy");
        return ApiError::Unavailable("the database is busy; try again shortly".into());
    }
    ApiError::Internal(e.to_string())
}

/// An analytics answer as JSON, or the store's failure as a 500.
pub(super) fn json<T: serde::Serialize>(
    answer: Result<T, crate::store::StoreError>,
) -> Result<Response, ApiError> {
    Ok(Json(answer.map_err(store_error)?).into_response())
}

async fn real_time(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &[])?;
    json(
        state
            .pages
            .real_time(&state.store, state.writer.generation())
            .await,
    )
}

/// `hours` as the trends endpoint takes it: an integer 1..=168 (1 when absent).
fn parse_hours(v: Option<&String>) -> Result<u32, ApiError> {
    let Some(v) = v else { return Ok(1) };
    span::parse_trend_hours(v).map_err(ApiError::BadRequest)
}

/// A span parameter of `view` (its default when absent).
fn parse_span(view: &Spans, params: &HashMap<String, String>) -> Result<Span, ApiError> {
    view.parse(params.get(view.param).map(String::as_str))
        .map_err(ApiError::BadRequest)
}

async fn trends(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["hours"])?;
    let hours = parse_hours(params.get("hours"))?;
    json(service::trends(&state.store, now_ms(), hours).await)
}

async fn summary(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["period"])?;
    let period = parse_span(&PERIODS, &params)?;
    json(service::summary(&state.store, now_ms(), period).await)
}

async fn endpoints(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["window", "sort", "limit"])?;
    let window = parse_span(&WINDOWS, &params)?;
    let sort = match params.get("sort") {
        None => SortBy::Count,
        Some(s) => SortBy::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`sort` must be one of count, errors, avg, p95, not `{}`",
                shown(s)
            ))
        })?,
    };
    let limit = match params.get("limit") {
        None => 20,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "`limit` must be an integer from 1 to 100, not `{}`",
                    shown(l)
                )))
            }
        },
    };
    json(service::endpoints(&state.store, now_ms(), window, sort, limit).await)
}

async fn roles(
    State(state): State<AppState>,
    axum::extract::Path(view): axum::extract::Path<String>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["timeframe"])?;
    let tf = parse_span(&TIMEFRAMES, &params)?;
    let (store, audit, now) = (&state.store, &state.config.audit, now_ms());
    match view.as_str() {
        "metrics" => json(roles_service::metrics(store, now, tf).await),
        "actions" => json(roles_service::actions(store, &state.categories, now, tf).await),
        "performance" => json(roles_service::performance(store, audit, now, tf).await),
        "rate-limits" => json(roles_service::rate_limits(store, audit, now, tf).await),
        "migration" => json(roles_service::migration(store, now, tf).await),
        other => Err(ApiError::NotFound(format!(
            "no role view `{}`; views: metrics, actions, performance, rate-limits, migration",
            shown(other)
        ))),
    }
}

/// Seed 000's authentication summary of a timeframe, optionally for one provider.
async fn auth_summary(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["timeframe", "provider"])?;
    let tf = parse_span(&TIMEFRAMES, &params)?;
    let provider = params.get("provider").map(String::as_str);
    if let Some(p) = provider {
        if !state.categories.auth_labels().is_provider_label(p) {
            return Err(ApiError::BadRequest(format!(
                "`provider` must be a provider Pulse keeps apart (a built-in or \
                 [auth_monitoring] providers name, or `other`), not `{}`",
                shown(p)
            )));
        }
    }
    json(
        crate::analytics::auth_service::summary(
            &state.store,
            now_ms(),
            tf,
            provider,
            &state.config.auth_monitoring,
        )
        .await,
    )
}

/// Raw audit events of a timeframe, newest first (`limit` 1..=100000, default 10000).
async fn audit_export(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["timeframe", "limit"])?;
    let tf = parse_span(&TIMEFRAMES, &params)?;
    let limit = match params.get("limit") {
        None => 10_000,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "`limit` must be an integer from 1 to 100000, not `{}`",
                    shown(l)
                )))
            }
        },
    };
    let now = now_ms();
    let from = now - i64::from(tf.hours()) * 3_600_000;
    // Read and written a page at a time: memory stays flat however large the export.
    let head = format!("{{\"timeframe\":\"{}\",\"events\":[", tf.as_str());
    let pages = futures::stream::unfold(
        ExportCursor {
            store: state.store.clone(),
            before: None,
            left: limit,
            sent: 0,
            done: false,
        },
        move |mut c| async move {
            if c.done {
                return None;
            }
            if c.left == 0 {
                c.done = true;
                let tail = format!("],\"count\":{}}}", c.sent);
                return Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(tail)), c));
            }
            let page = c.left.min(EXPORT_PAGE);
            match c.store.audit_export(from, now + 1, c.before, page).await {
                Ok(rows) => {
                    if (rows.len() as i64) < page {
                        c.left = 0;
                    } else {
                        c.left -= page;
                    }
                    let mut buf = Vec::with_capacity(rows.len() * 256);
                    for (cursor, e) in rows {
                        if c.sent > 0 {
                            buf.push(b',');
                        }
                        c.sent += 1;
                        c.before = Some(cursor);
                        let _ = serde_json::to_writer(&mut buf, &export_event(e));
                    }
                    Some((Ok(axum::body::Bytes::from(buf)), c))
                }
                Err(e) => {
                    // The status is already sent: the body ends unterminated, so a client
                    // cannot mistake it for a complete export.
                    tracing::error!(error = %e, "audit export failed midway");
                    c.done = true;
                    Some((Err(std::io::Error::other("export failed")), c))
                }
            }
        },
    );
    let body =
        futures::stream::once(
            async move { Ok::<_, std::io::Error>(axum::body::Bytes::from(head)) },
        )
        .chain(pages);
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// Events per page of an export.
const EXPORT_PAGE: i64 = 500;

struct ExportCursor {
    store: crate::store::Store,
    before: Option<(i64, i64)>,
    left: i64,
    sent: u64,
    done: bool,
}

fn export_event(e: crate::store::AuditEvent) -> serde_json::Value {
    serde_json::json!({
        "ts": crate::model::rfc3339_ms(e.ts_ms),
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "action": e.action,
        "category": e.category,
        "resource": e.resource,
        "outcome": e.outcome,
        "session_id": e.session_id,
        "details": e.details,
        "duration_ms": e.duration_ms,
        "provider": e.provider,
        "source": e.source.as_str(),
    })
}
