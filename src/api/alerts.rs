//! `/api/v1/alerts`: the active alerts, their history and test notifications. Inputs are
//! checked here and refused with a 400 naming the field.

use super::v1::{json, only, Params};
use super::ApiError;
use crate::model::shown;
use crate::state::{principal_of, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use serde_json::json;

pub fn routes() -> Vec<super::ApiRoute> {
    use super::ApiRoute as R;
    use crate::permissions::Permission::{Analytics, Operate};
    vec![
        R::new("/api/v1/alerts", Analytics, get(active)),
        R::new("/api/v1/alerts/history", Analytics, get(history)),
        R::new("/api/v1/alerts/test", Operate, post(test)),
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

/// A history cursor `ts.id`, as the previous page's last row gives it.
pub fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (ts, id) = text.split_once('.')?;
    Some((ts.parse().ok()?, id.parse().ok()?))
}

async fn history(
    State(state): State<AppState>,
    axum::extract::Query(params): Params,
) -> Result<Response, ApiError> {
    only(&params, &["rule", "state", "before", "limit"])?;
    let rule = params.get("rule").map(String::as_str);
    if let Some(r) = rule {
        if !state.alerts.settings().rules.iter().any(|x| x.name == r) {
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
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
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
        Some(d) => {
            Ok(Json(json!({"delivered": d.outcome == "delivered", "attempt": d})).into_response())
        }
        None => Err(ApiError::NotFound(format!(
            "`channel`: no channel is named `{}`",
            shown(&req.channel)
        ))),
    }
}
