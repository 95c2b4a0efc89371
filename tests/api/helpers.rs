//! The harness every test module shares: a real router over a real SQLite file in a temp dir.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use mcp_pulse::config::Config;
use mcp_pulse::permissions::Role;
use mcp_pulse::server::{app, build_state};
use mcp_pulse::state::AppState;
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "ingest-token-0123456789";
pub const READ_TOKEN: &str = "read-token-0123456789ab";

/// Leptos keeps process-wide state (its executor, route generation) that does not tolerate
/// several test runtimes rendering at once: about one run in eight hung. Production runs one
/// runtime, so the tests take turns.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Harness {
    pub router: axum::Router,
    pub state: AppState,
    _dir: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Ingest and read tokens, the database component, and `extra` config lines.
pub async fn harness(extra: &str) -> Harness {
    bare_harness(&format!(
        "[ingest]\ntokens = [\"{TOKEN}\"]\nread_tokens = [\"{READ_TOKEN}\"]\n{extra}\n\
         [[components]]\nname = \"db\"\nkind = \"database\"\n"
    ))
    .await
}

/// Only `config` (no tokens, no components unless it names them).
pub async fn bare_harness(config: &str) -> Harness {
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "database_url = \"sqlite://{}/pulse.db\"\n{config}",
        dir.path().display()
    );
    let config = Config::from_sources(Some(("test.toml", &text)), |_| None).unwrap();
    let options = LeptosOptions::builder().output_name("mcp-pulse").build();
    let state = build_state(config, options).await.unwrap();
    Harness {
        router: app(state.clone()),
        state,
        _dir: dir,
        _turn: turn,
    }
}

impl Harness {
    /// A harness over a state the test built itself (its own data directory), holding `turn`.
    pub fn from_state(state: AppState, turn: tokio::sync::MutexGuard<'static, ()>) -> Harness {
        Harness {
            router: app(state.clone()),
            state,
            _dir: tempfile::tempdir().unwrap(),
            _turn: turn,
        }
    }

    /// A session cookie (`pulse_session=…`) of a user in `role`, created on first use (named
    /// after the role). The password is never used: the session is made directly.
    pub async fn session(&self, role: Role) -> String {
        let store = &self.state.store;
        let name = format!("{role}-user");
        store
            .create_user(&name, "not-a-password-hash", role, 0)
            .await
            .unwrap();
        let user = store.user_by_name(&name).await.unwrap().unwrap();
        let id = mcp_pulse::access::secrets::session_id().unwrap();
        store
            .create_session(
                &mcp_pulse::access::secrets::digest(&id),
                user.id,
                mcp_pulse::model::now_ms(),
            )
            .await
            .unwrap();
        format!("pulse_session={id}")
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A request as a logged-in admin (no token, no content type); the body as text.
pub async fn call(h: &Harness, method: &str, uri: &str) -> (StatusCode, String) {
    let cookie = h.session(Role::Admin).await;
    call_with(h, method, uri, &[("cookie", &cookie)]).await
}

/// A request with these headers only; the body as text.
pub async fn call_with(
    h: &Harness,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let (s, body, _) = call_full(h, method, uri, headers).await;
    (s, body)
}

/// A request with these headers only; status, body as text and response headers.
pub async fn call_full(
    h: &Harness,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String, axum::http::HeaderMap) {
    request(h, method, uri, headers, Body::empty()).await
}

/// A request with these headers and body; status, body as text and response headers.
pub async fn request(
    h: &Harness,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> (StatusCode, String, axum::http::HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(body).unwrap();
    let resp = h.router.clone().oneshot(req).await.unwrap();
    let headers = resp.headers().clone();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    )
}

/// `call`, the body parsed as JSON (or kept as a JSON string when it is not).
pub async fn json(h: &Harness, method: &str, uri: &str) -> (StatusCode, Value) {
    let (s, body) = call(h, method, uri).await;
    (
        s,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

pub async fn send(
    h: &Harness,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Body,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = h
        .router
        .clone()
        .oneshot(
            req.header("content-type", "application/json")
                .body(body)
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v, headers)
}

pub async fn post(h: &Harness, events: &Value, token: Option<&str>) -> (StatusCode, Value) {
    post_to(h, "/api/v1/requests", events, token).await
}

pub async fn post_to(
    h: &Harness,
    path: &str,
    events: &Value,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let (s, v, _) = send(h, "POST", path, token, Body::from(events.to_string())).await;
    (s, v)
}

pub async fn get(h: &Harness, uri: &str) -> (StatusCode, Value) {
    let (s, v, _) = send(h, "GET", uri, Some(READ_TOKEN), Body::empty()).await;
    (s, v)
}

/// Serves the real router on a real socket with short timeouts.
pub async fn serve_on_socket(
    router: axum::Router,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = mcp_pulse::config::ServerSettings {
        header_timeout: std::time::Duration::from_millis(500),
        body_timeout: std::time::Duration::from_millis(500),
        request_timeout: std::time::Duration::from_secs(5),
        write_timeout: std::time::Duration::from_secs(2),
        max_connections: 64,
        shutdown_grace: std::time::Duration::from_millis(500),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        mcp_pulse::server::listener::serve(listener, router, &settings, async {
            let _ = stopped.await;
        })
        .await
    });
    (addr, stop, task)
}
