//! Logging in and out: `POST /auth/login` (a form from `/login`, or JSON from a script),
//! `POST /auth/logout`, and the session cookie.

use crate::access::principal::SESSION_COOKIE;
use crate::access::secrets;
use crate::config::{AuthSettings, CookieSecure};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

/// A login form or JSON body is small; anything bigger is refused before parsing.
const MAX_LOGIN_BODY: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after login: a path on this site only (never `//host` or a scheme).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= 2048
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn client_address(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// A failed or refused login: back to the form with a reason, or a JSON status.
fn login_failed(json: bool, code: StatusCode, reason: &str, next: &str, wait: u64) -> Response {
    if json {
        let mut resp = (
            code,
            Json(json!({"error": crate::permissions::login_message(reason, wait), "status": code.as_u16()})),
        )
            .into_response();
        if code == StatusCode::TOO_MANY_REQUESTS {
            if let Ok(v) = wait.to_string().parse() {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        return resp;
    }
    let mut to = format!("/login?error={reason}");
    if wait > 0 {
        to.push_str(&format!("&wait={wait}"));
    }
    if next != "/" {
        to.push_str("&next=");
        to.extend(url::form_urlencoded::byte_serialize(next.as_bytes()));
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

fn audit(state: &AppState, actor: &str, role: &str, action: &'static str, outcome: &'static str) {
    let actor = actor
        .chars()
        .take(crate::permissions::MAX_NAME_LEN)
        .collect();
    state.audit_self(actor, role, (action, outcome), "/auth".to_string());
}

fn session_cookie(
    settings: &AuthSettings,
    headers: &HeaderMap,
    value: String,
    max_age: i64,
) -> String {
    let secure = match settings.cookie_secure {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => crate::access::guard::over_https(headers),
    };
    cookie::Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}

pub async fn login(State(state): State<AppState>, req: Request) -> Response {
    let address = client_address(&req);
    let (parts, body) = req.into_parts();
    let json = wants_json(&parts.headers);
    let form: Option<LoginForm> = match axum::body::to_bytes(body, MAX_LOGIN_BODY).await {
        Ok(bytes) if json => serde_json::from_slice(&bytes).ok(),
        Ok(bytes) => serde_urlencoded::from_bytes(&bytes).ok(),
        Err(_) => None,
    };
    let Some(form) = form else {
        return login_failed(json, StatusCode::BAD_REQUEST, "missing", "/", 0);
    };
    let next = safe_next(form.next.as_deref());
    let name = form.username.trim().to_string();
    if name.is_empty()
        || form.password.is_empty()
        || name.chars().count() > crate::permissions::MAX_NAME_LEN
    {
        return login_failed(json, StatusCode::BAD_REQUEST, "missing", &next, 0);
    }
    if let Err(wait) = state.access.limits.login(&name, &address) {
        audit(&state, &name, "guest", "auth.login", "denied");
        let secs = wait.as_secs() + 1;
        return login_failed(
            json,
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            &next,
            secs,
        );
    }
    let user = match state.store.user_by_name(&name).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "login: reading the user failed");
            return login_failed(
                json,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                &next,
                0,
            );
        }
    };
    // Verified off the async threads (argon2 takes tens of ms by design); an unknown user
    // costs the same as a wrong password.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| secrets::decoy_hash().to_string());
    let password = form.password;
    let matches = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if matches && !u.disabled => u,
        other => {
            let role = other.map(|u| u.role.as_str()).unwrap_or("guest");
            audit(&state, &name, role, "auth.login", "failure");
            return login_failed(json, StatusCode::UNAUTHORIZED, "invalid", &next, 0);
        }
    };
    let now = crate::model::now_ms();
    let session = match secrets::session_id() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "login: no session id");
            return login_failed(
                json,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                &next,
                0,
            );
        }
    };
    if let Err(e) = state
        .store
        .create_session(&secrets::digest(&session), user.id, now)
        .await
    {
        tracing::error!(error = %e, "login: storing the session failed");
        return login_failed(
            json,
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            &next,
            0,
        );
    }
    if let Err(e) = state.store.touch_login(user.id, now).await {
        tracing::warn!(error = %e, "login: could not record the login time");
    }
    audit(
        &state,
        &user.name,
        user.role.as_str(),
        "auth.login",
        "success",
    );
    let settings = &state.config.auth;
    let cookie = session_cookie(
        settings,
        &parts.headers,
        session,
        settings.session_max.as_secs() as i64,
    );
    let body = if json {
        Json(json!({"name": user.name, "role": user.role})).into_response()
    } else {
        (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response()
    };
    let mut resp = body;
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

pub async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let json = wants_json(req.headers());
    if let Some(id) = crate::access::principal::session_cookie(req.headers()) {
        let digest = secrets::digest(&id);
        if let Ok(Some(s)) = state.store.session(&digest).await {
            audit(&state, &s.name, s.role.as_str(), "auth.logout", "success");
        }
        if let Err(e) = state.store.delete_session(&digest).await {
            tracing::error!(error = %e, "logout: deleting the session failed");
        }
        state.access.identifier.forget(&format!("s:{digest}"));
    }
    let cookie = session_cookie(&state.config.auth, req.headers(), String::new(), 0);
    let mut resp = if json {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/login?bye=1")]).into_response()
    };
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/roles?tf=7d")), "/roles?tf=7d");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
