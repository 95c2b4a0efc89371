//! `/api/v1/alerts`: the active alerts, their history and test notifications. Inputs are
//! checked here and refused with a 400 naming the field.

use super::v1::{json, only, store_error, Params};
use super::ApiError;
use crate::alerts::listing::TestRefused;
use crate::model::shown;
use crate::state::{principal_of, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use serde_json::json;

pub fn routes() -> Vec<super::ApiRoute> {
    use super::ApiRoute as R;
    use crate::permissions::Permission::{Analytics, Manage, Operate};
    vec![
        R::new("/api/v1/alerts", Analytics, get(active)),
        R::new("/api/v1/alerts/history", Analytics, get(history)),
        R::new("/api/v1/alerts/test", Operate, post(test)),
        R::new("/api/v1/alerts/silences", Analytics, get(silences)),
        R::new(
            "/api/v1/alerts/silences/create",
            Manage,
            post(create_silence),
        ),
        R::new(
            "/api/v1/alerts/silences/{id}/expire",
            Manage,
            post(expire_silence),
        ),
        R::new("/api/v1/alerts/maintenance", Analytics, get(windows)),
        R::new(
            "/api/v1/alerts/maintenance/create",
            Manage,
            post(create_window),
        ),
        R::new(
            "/api/v1/alerts/maintenance/{id}/expire",
            Manage,
            post(expire_window),
        ),
    ]
}

async fn active(
    State(state): State<AppState>,
    axum::extract::Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &[])?;
    let active = state.alerts.active().await;
    let banner = crate::alerts::view::AlertBanner::of(&active);
    Ok(Json(json!({
        "firing": banner.firing,
        "worst_severity": banner.worst,
        "alerts": active,
    }))
    .into_response())
}

/// States a transition can lead to (the `state` filter).
const STATES: [&str; 5] = ["inactive", "pending", "firing", "resolved", "no_data"];

async fn history(
    State(state): State<AppState>,
    axum::extract::Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["rule", "state", "before", "limit"])?;
    let rule = params.get("rule").map(String::as_str);
    if let Some(r) = rule {
        if state.alerts.rule(r).is_none() {
            return Err(ApiError::BadRequest(format!(
                "`rule`: no rule is named `{}`",
                shown(r)
            )));
        }
    }
    let to_state = params.get("state").map(String::as_str);
    if let Some(s) = to_state {
        if !STATES.contains(&s) {
            return Err(ApiError::BadRequest(format!(
                "`state` must be one of {}, not `{}`",
                STATES.join(", "),
                shown(s)
            )));
        }
    }
    let before = match params.get("before") {
        None => None,
        Some(c) => Some(crate::model::parse_cursor(c).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`before` must be a cursor `ts.id` from a previous page, not `{}`",
                shown(c)
            ))
        })?),
    };
    let limit = match params.get("limit") {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "`limit` must be an integer from 1 to 1000, not `{}`",
                    shown(l)
                )))
            }
        },
    };
    json(
        state
            .alerts
            .history(before, rule, to_state, limit)
            .await
            .map(|h| json!({"transitions": h})),
    )
}

/// A small JSON body (at most 16 KiB), or a 400 saying what shape was expected.
fn small_json<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, ApiError> {
    if body.len() > 16 * 1024 {
        return Err(ApiError::TooLarge("the body is larger than 16 KiB".into()));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be {shape}: {e}")))
}

async fn silences(
    State(state): State<AppState>,
    axum::extract::Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &[])?;
    json(
        state
            .alerts
            .silences()
            .await
            .map(|s| json!({"silences": s})),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSilence {
    matchers: MatchersIn,
    /// RFC 3339; default now.
    starts_at: Option<String>,
    /// RFC 3339, or `duration` from the start.
    ends_at: Option<String>,
    duration: Option<String>,
    comment: String,
}

/// `{"alertname": "…", "component": "…"}` (equality), or a list of Alertmanager-style matchers:
/// `["alertname=…", "component=~docs-.*"]`. `alertname` is the rule's name.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum MatchersIn {
    Equal(std::collections::BTreeMap<String, String>),
    List(Vec<String>),
}

const SILENCE_SHAPE: &str = r#"{"matchers": {"alertname": "…", "component": "…"} (or ["alertname=…", "component=~docs-.*"]), "duration": "2h" (or "ends_at"), "comment": "why"}"#;

async fn create_silence(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: NewSilence = small_json(&body, SILENCE_SHAPE)?;
    use crate::suppression::{MatchOp, Matcher};
    let matchers: Vec<Matcher> = match req.matchers {
        MatchersIn::Equal(m) => m
            .into_iter()
            .map(|(k, v)| Matcher::new(k, MatchOp::Eq, v))
            .collect(),
        MatchersIn::List(l) => l
            .iter()
            .map(|t| {
                Matcher::parse(t).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "`matchers`: `{}` is not name=value, name!=value, name=~regex or name!~regex",
                        shown(t)
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let now = crate::model::now_ms();
    let starts_ms = match &req.starts_at {
        Some(v) => crate::suppression::rfc3339("starts_at", v).map_err(field_error)?,
        None => now,
    };
    let ends_ms = match (&req.ends_at, &req.duration) {
        (Some(v), None) => crate::suppression::rfc3339("ends_at", v).map_err(field_error)?,
        (None, Some(d)) => {
            let d = humantime::parse_duration(d).map_err(|_| {
                ApiError::BadRequest(format!(
                    "`duration` must be a duration such as \"2h\", not `{}`",
                    shown(d)
                ))
            })?;
            starts_ms.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "`ends_at` or `duration` (one of them) is required".into(),
            ))
        }
    };
    let s = crate::suppression::Silence::new(
        matchers,
        (starts_ms, ends_ms),
        now,
        principal_of(Some(&ext), &state).actor(),
        &req.comment,
    )
    .map_err(field_error)?;
    let id = state.alerts.create_silence(&s).await.map_err(store_error)?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// A field's validation error as the 400 naming it.
fn field_error((field, reason): crate::suppression::FieldError) -> ApiError {
    ApiError::BadRequest(format!("`{field}` {reason}"))
}

fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "`id` must be a positive integer, not `{}`",
            shown(text)
        ))
    })
}

async fn expire_silence(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if state.alerts.expire_silence(id).await.map_err(store_error)? {
        Ok(Json(json!({"expired": id})).into_response())
    } else {
        Err(ApiError::NotFound(format!(
            "no running silence has id {id}"
        )))
    }
}

async fn windows(
    State(state): State<AppState>,
    axum::extract::Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &[])?;
    json(state.alerts.windows().await.map(|w| json!({"windows": w})))
}

async fn create_window(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let spec: crate::suppression::MaintenanceSpec = small_json(
        &body,
        r#"{"name": "…", "components": ["…"], "start": "…", "end": "…"} or {"name": "…", "weekdays": ["sat"], "at": "02:00", "duration": "1h", "timezone": "UTC"}"#,
    )?;
    let by = principal_of(Some(&ext), &state).actor();
    match state.alerts.create_window(&spec, &by).await {
        Ok(id) => Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id}))).into_response()),
        Err(Ok(e)) => Err(field_error(e)),
        Err(Err(e)) => Err(store_error(e)),
    }
}

async fn expire_window(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if state.alerts.expire_window(id).await.map_err(store_error)? {
        Ok(Json(json!({"expired": id})).into_response())
    } else {
        Err(ApiError::NotFound(format!(
            "no open maintenance window has id {id}"
        )))
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TestRequest {
    channel: String,
}

/// Sends a test notification to one channel and answers with the attempt.
async fn test(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if body.len() > 4096 {
        return Err(ApiError::TooLarge(
            "the body is larger than 4096 bytes".into(),
        ));
    }
    let req: TestRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!("the body must be {{\"channel\": \"<name>\"}}: {e}"))
    })?;
    let by = principal_of(Some(&ext), &state).actor();
    match state.alerts.send_test(&req.channel, &by).await {
        Ok(d) => {
            Ok(Json(json!({"delivered": d.outcome == "delivered", "attempt": d})).into_response())
        }
        Err(TestRefused::UnknownChannel) => Err(ApiError::NotFound(format!(
            "`channel`: no channel is named `{}`",
            shown(&req.channel)
        ))),
        Err(TestRefused::TooSoon { retry_after_s }) => Err(ApiError::TooMany(
            format!("a test went to this channel moments ago; try again in {retry_after_s} s"),
            retry_after_s,
        )),
    }
}
