//! The one permission check. Every request passes [`guard`] (host name, cross-site writes,
//! who the caller is, what the path needs); every server function starts with
//! `state::authorized`, which applies the same table (`permissions::server_fn_permission`)
//! when a page renders it on the server without an HTTP request of its own.

use super::limits::Limits;
use super::principal::{Identifier, IdentifyError};
use super::rules::{Rule, Rules};
use crate::metrics::Metrics;
use crate::permissions::{Permission, Principal};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// Everything the guard and the login handlers share.
#[derive(Clone, Debug)]
pub struct Access {
    pub identifier: Identifier,
    pub rules: Arc<Rules>,
    pub limits: Arc<Limits>,
    /// Refused ingest is counted (`pulse_ingest_rejected_total`).
    pub metrics: Metrics,
    /// The stylesheet's URL (hashed by the build) for the page that refuses a role.
    pub stylesheet: Arc<str>,
}

/// Probes answer whatever the `Host`: orchestrators call them by pod address or service name,
/// and they reveal nothing a rebinding page could use.
fn is_probe(path: &str) -> bool {
    matches!(path, "/health/live" | "/health/ready")
}

/// The host name of a request (`Host` header, else the URI's authority), without the port.
pub fn host_name(req: &Request) -> Option<String> {
    let raw = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()))?;
    Some(strip_port(&raw).to_ascii_lowercase())
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:3000
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// A state-changing request from a browser must come from Pulse's own pages: `Sec-Fetch-Site`
/// (when sent) must not be cross-site, and `Origin` (else `Referer`) must name this host.
/// Requests with none of these (curl, gateways posting events) are not from a browser page.
fn cross_site(req: &Request, host: Option<&str>) -> Option<&'static str> {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return Some("a cross-site request may not change anything");
        }
    }
    let named = |v: &HeaderValue| -> Option<String> {
        let text = v.to_str().ok()?;
        let url = url::Url::parse(text).ok()?;
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        Some(host.to_ascii_lowercase())
    };
    let from = h
        .get(header::ORIGIN)
        .map(|v| (v, "Origin"))
        .or_else(|| h.get(header::REFERER).map(|v| (v, "Referer")));
    match (from, host) {
        (None, _) => None,
        (Some((v, _)), Some(host)) if named(v).as_deref() == Some(host) => None,
        (Some((_, "Origin")), _) => Some("the Origin is not this site"),
        (Some(_), _) => Some("the Referer is not this site"),
    }
}

fn json_error(code: StatusCode, message: String) -> Response {
    (
        code,
        Json(json!({"error": message, "status": code.as_u16()})),
    )
        .into_response()
}

/// The answer to a caller the path is not for: anonymous visitors of a page go to the login
/// page (and come back after it), other anonymous callers get 401, known callers 403.
fn refuse(req: &Request, access: &Access, principal: &Principal, perm: Permission) -> Response {
    let rules = &access.rules;
    let path = req.uri().path();
    let page = req.method() == Method::GET && rules.is_page(path);
    let needs = perm
        .min_role()
        .map(|r| format!("the {r} role or higher"))
        .unwrap_or_else(|| "a token with the ingest scope".to_string());
    if principal.is_anonymous() {
        if page {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let to = format!("/login?next={}", urlencode(next));
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, to)],
                "log in to see this page",
            )
                .into_response();
        }
        let mut resp = json_error(
            StatusCode::UNAUTHORIZED,
            format!("this needs {needs}: log in or send a valid bearer token"),
        );
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    let role = principal
        .role
        .map(|r| r.as_str())
        .unwrap_or("an ingest token");
    if page {
        return (
            StatusCode::FORBIDDEN,
            Html(forbidden_page(role, &needs, &access.stylesheet)),
        )
            .into_response();
    }
    json_error(
        StatusCode::FORBIDDEN,
        format!("{role} may not do this; it needs {needs}"),
    )
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A page of its own (not a blank one) for a logged-in user whose role may not see a page.
fn forbidden_page(role: &str, needs: &str, stylesheet: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Not allowed · Pulse</title>\
         <link rel=\"stylesheet\" href=\"{stylesheet}\"></head><body>\
         <header class=\"topbar\"><a class=\"brand\" href=\"/\">◉ Pulse</a></header>\
         <main class=\"page\"><section class=\"empty not-found\" data-testid=\"forbidden\">\
         <p class=\"big\" aria-hidden=\"true\">403</p><h1>Not allowed</h1>\
         <p>Your role ({role}) may not see this page; it needs {needs}.</p>\
         <p><a class=\"btn\" href=\"/\">Back to the overview</a></p>\
         </section></main></body></html>"
    )
}

/// The middleware: host, cross-site writes, identity, permission; the caller rides on the
/// request (for handlers and server functions) and on the response (for the self-audit).
pub async fn guard(State(access): State<Access>, mut req: Request, next: Next) -> Response {
    let access = &access;
    let settings = access.identifier.settings();
    let path = req.uri().path().to_string();
    let host = host_name(&req);
    if !is_probe(&path) {
        if let Some(h) = &host {
            if !settings.host_allowed(h) {
                return json_error(
                    StatusCode::MISDIRECTED_REQUEST,
                    format!(
                        "this server does not answer to the host `{}`; add it to [server] allowed_hosts",
                        crate::model::shown(h)
                    ),
                );
            }
        }
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        if let Some(why) = cross_site(&req, host.as_deref()) {
            return json_error(StatusCode::FORBIDDEN, why.to_string());
        }
    }
    let rule = access.rules.lookup(&path);
    if rule == Rule::Metrics {
        if let Some(token) = &settings.metrics_token {
            let sent = crate::auth::bearer(req.headers());
            if sent.is_some_and(|t| crate::auth::token_matches(t, std::slice::from_ref(token))) {
                return next.run(req).await;
            }
        }
    }
    let now = crate::model::now_ms();
    let principal = match access.identifier.identify(req.headers(), now).await {
        Ok(p) => p,
        Err(IdentifyError::BadToken) => {
            if rule == Rule::Need(Permission::Ingest) {
                access.metrics.ingest_rejected("unauthorized");
            }
            let mut resp = json_error(
                StatusCode::UNAUTHORIZED,
                IdentifyError::BadToken.to_string(),
            );
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
        Err(IdentifyError::Store(e)) => {
            tracing::error!(error = %e, "identifying a caller failed");
            let mut resp = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot check who you are right now; try again".to_string(),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return resp;
        }
    };
    let perm = match rule {
        Rule::Need(p) => p,
        Rule::Metrics if settings.metrics_token.is_some() => Permission::Details,
        Rule::Metrics => Permission::Public,
    };
    let mut resp = if !principal.allows(perm) {
        if perm == Permission::Ingest {
            access.metrics.ingest_rejected("unauthorized");
        }
        refuse(&req, access, &principal, perm)
    } else if perm == Permission::Ingest {
        match access.limits.ingest(&principal) {
            Ok(()) => {
                req.extensions_mut().insert(principal.clone());
                next.run(req).await
            }
            Err(wait) => {
                access.metrics.ingest_rejected("rate_limited");
                too_many(wait, "this token sends more requests than allowed")
            }
        }
    } else {
        req.extensions_mut().insert(principal.clone());
        next.run(req).await
    };
    resp.extensions_mut().insert(principal);
    resp
}

/// 429 with `Retry-After` in whole seconds (at least 1).
pub fn too_many(wait: std::time::Duration, why: &str) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut resp = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        format!("{why}; retry in {secs} s"),
    );
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Whether a request's cookie would need `Secure`.
pub fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_from_host_names() {
        assert_eq!(strip_port("localhost:3000"), "localhost");
        assert_eq!(strip_port("[::1]:3000"), "::1");
        assert_eq!(strip_port("example.com"), "example.com");
    }
}
