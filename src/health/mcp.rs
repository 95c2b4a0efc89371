//! The `mcp` check: a client of the MCP Streamable HTTP transport that performs the 2025
//! lifecycle (initialize, initialized, ping, tools/list, session end) and names what went wrong.

use super::outcome::{describe_error, CheckOutcome};
use crate::model::Status;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub use crate::model::MCP_VERSIONS as KNOWN_VERSIONS;
const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// What the probe concluded, as shown in the result details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    AuthRequired,
    VersionMismatch,
    SessionExpired,
    ProtocolError,
    Unreachable,
    Timeout,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::AuthRequired => "auth_required",
            Verdict::VersionMismatch => "version_mismatch",
            Verdict::SessionExpired => "session_expired",
            Verdict::ProtocolError => "protocol_error",
            Verdict::Unreachable => "unreachable",
            Verdict::Timeout => "timeout",
        }
    }

    /// A server that wants credentials is up but not usable by Pulse: `auth_required` decides
    /// (degraded unless configured otherwise).
    pub fn status(self, auth_required: Status) -> Status {
        match self {
            Verdict::Ok => Status::Healthy,
            Verdict::AuthRequired => auth_required,
            _ => Status::Unhealthy,
        }
    }
}

#[derive(Debug)]
struct Failure {
    verdict: Verdict,
    message: String,
}

fn fail(verdict: Verdict, message: impl Into<String>) -> Failure {
    Failure {
        verdict,
        message: message.into(),
    }
}

pub struct Probe<'a> {
    pub client: &'a reqwest::Client,
    pub url: &'a str,
    pub headers: &'a [(String, crate::config::Secret)],
    pub protocol_version: Option<&'a str>,
    pub list_tools: bool,
    pub auth_required_status: Status,
    pub deadline: Instant,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    message: Option<Value>,
}

impl Probe<'_> {
    fn remaining(&self) -> Result<Duration, Failure> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| fail(Verdict::Timeout, "timed out"))
    }

    fn header_map(
        &self,
        session: Option<&str>,
        version: Option<&str>,
    ) -> Result<HeaderMap, Failure> {
        let mut map = HeaderMap::new();
        map.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (k, v) in self.headers {
            // Values may hold credentials: the error names the header, never the value.
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| fail(Verdict::ProtocolError, format!("invalid header name {k:?}")))?;
            let value = HeaderValue::from_str(&v.0).map_err(|_| {
                fail(
                    Verdict::ProtocolError,
                    format!("invalid value for header {k:?}"),
                )
            })?;
            map.insert(name, value);
        }
        if let Some(s) = session {
            if let Ok(v) = HeaderValue::from_str(s) {
                map.insert(SESSION_HEADER, v);
            }
        }
        if let Some(v) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
            map.insert(VERSION_HEADER, v);
        }
        Ok(map)
    }

    fn transport_error(e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            fail(Verdict::Timeout, "timed out")
        } else if e.is_connect() {
            fail(
                Verdict::Unreachable,
                format!("connection failed: {}", describe_error(e)),
            )
        } else {
            fail(
                Verdict::ProtocolError,
                format!("request failed: {}", describe_error(e)),
            )
        }
    }

    /// POSTs one JSON-RPC message; for requests, returns the reply carrying the same id, from
    /// a JSON body or an SSE stream.
    async fn post(
        &self,
        body: Value,
        session: Option<&str>,
        version: Option<&str>,
    ) -> Result<Reply, Failure> {
        let id = body.get("id").cloned();
        let resp = self
            .client
            .post(self.url)
            .headers(self.header_map(session, version)?)
            .timeout(self.remaining()?)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| Self::transport_error(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let is_sse = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let text = resp.text().await.map_err(|e| Self::transport_error(&e))?;
        let message = match (&id, status.is_success()) {
            (Some(id), true) => Some(find_reply(&text, is_sse, id)?),
            _ => None,
        };
        Ok(Reply {
            status,
            headers,
            message,
        })
    }

    fn check_status(reply: &Reply, in_session: bool, what: &str) -> Result<(), Failure> {
        match reply.status {
            s if s.is_success() => Ok(()),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(fail(
                Verdict::AuthRequired,
                format!(
                    "{what}: HTTP {} (credentials required or refused)",
                    s_code(reply.status)
                ),
            )),
            StatusCode::NOT_FOUND if in_session => Err(fail(
                Verdict::SessionExpired,
                format!("{what}: HTTP 404, the server no longer knows the session"),
            )),
            StatusCode::BAD_REQUEST if in_session => Err(fail(
                Verdict::VersionMismatch,
                format!("{what}: HTTP 400 on the protocol version header"),
            )),
            s => Err(fail(
                Verdict::ProtocolError,
                format!("{what}: HTTP {}", s_code(s)),
            )),
        }
    }

    pub async fn run(&self) -> CheckOutcome {
        let mut details = json!({"url": self.url});
        match self.lifecycle(&mut details).await {
            Ok(()) => {
                details["verdict"] = json!(Verdict::Ok.as_str());
                CheckOutcome::healthy(details)
            }
            Err(f) => {
                details["verdict"] = json!(f.verdict.as_str());
                CheckOutcome {
                    status: f.verdict.status(self.auth_required_status),
                    message: Some(f.message),
                    details,
                }
            }
        }
    }

    /// Newer revisions answer a stateless `server/discover`; older servers reply with an error
    /// or a 4xx, which sends the probe down the 2025 handshake instead.
    async fn discover(&self) -> Result<Option<Value>, Failure> {
        let reply = self
            .post(
                json!({"jsonrpc": "2.0", "id": 0, "method": "server/discover", "params": {}}),
                None,
                None,
            )
            .await;
        let reply = match reply {
            Ok(r) => r,
            Err(f) if f.verdict == Verdict::ProtocolError => return Ok(None),
            Err(f) => return Err(f),
        };
        if matches!(
            reply.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            Self::check_status(&reply, false, "server/discover")?;
        }
        Ok(reply
            .message
            .and_then(|m| m.get("result").cloned())
            .filter(|r| r.get("protocolVersion").is_some_and(Value::is_string)))
    }

    async fn lifecycle(&self, details: &mut Value) -> Result<(), Failure> {
        let started = Instant::now();
        if let Some(found) = self.discover().await? {
            details["discovery"] = json!("server/discover");
            return self.stateless(found, details, started).await;
        }
        details["discovery"] = json!("initialize");
        let offered = self.protocol_version.unwrap_or(KNOWN_VERSIONS[0]);
        let init = self
            .post(
                json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                    "protocolVersion": offered,
                    "capabilities": {},
                    "clientInfo": {"name": "mcp-pulse", "version": env!("CARGO_PKG_VERSION")},
                }}),
                None,
                None,
            )
            .await?;
        Self::check_status(&init, false, "initialize")?;
        let result = rpc_result(init.message.as_ref(), "initialize")?;
        let version = result
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                fail(
                    Verdict::ProtocolError,
                    "initialize: no protocolVersion in the result",
                )
            })?
            .to_string();
        let acceptable = match self.protocol_version {
            Some(pinned) => version == pinned,
            None => KNOWN_VERSIONS.contains(&version.as_str()),
        };
        if !acceptable {
            return Err(fail(
                Verdict::VersionMismatch,
                format!(
                    "server chose protocol {version}, Pulse speaks {}",
                    KNOWN_VERSIONS.join(", ")
                ),
            ));
        }
        describe_server(details, result, &version);
        let session = init
            .headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        details["session"] = json!(session.is_some());
        let s = session.as_deref();
        let v = Some(version.as_str());

        let note = self
            .post(
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                s,
                v,
            )
            .await?;
        Self::check_status(&note, s.is_some(), "notifications/initialized")?;
        let handshake_ms = ms(started.elapsed());

        self.exercise(details, s, v, handshake_ms, started).await
    }

    /// A server found by discovery: no session, the version header on every request.
    async fn stateless(
        &self,
        found: Value,
        details: &mut Value,
        started: Instant,
    ) -> Result<(), Failure> {
        let version = found
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        describe_server(details, &found, &version);
        details["session"] = json!(false);
        let handshake_ms = ms(started.elapsed());
        self.exercise(details, None, Some(version.as_str()), handshake_ms, started)
            .await
    }

    /// ping, tools/list and the session's end, after discovery or the handshake.
    async fn exercise(
        &self,
        details: &mut Value,
        s: Option<&str>,
        v: Option<&str>,
        handshake_ms: f64,
        started: Instant,
    ) -> Result<(), Failure> {
        let ping_started = Instant::now();
        let ping = self
            .post(json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}), s, v)
            .await?;
        Self::check_status(&ping, s.is_some(), "ping")?;
        rpc_result(ping.message.as_ref(), "ping")?;
        let ping_ms = ms(ping_started.elapsed());
        let mut latency = json!({"handshake_ms": handshake_ms, "ping_ms": ping_ms});

        if self.list_tools {
            let tools_started = Instant::now();
            let mut cursor: Option<String> = None;
            let mut tools: Vec<Value> = Vec::new();
            for page in 0..100 {
                let params = match &cursor {
                    Some(c) => json!({"cursor": c}),
                    None => json!({}),
                };
                let r = self
                    .post(json!({"jsonrpc": "2.0", "id": 3 + page, "method": "tools/list", "params": params}), s, v)
                    .await?;
                Self::check_status(&r, s.is_some(), "tools/list")?;
                let res = rpc_result(r.message.as_ref(), "tools/list")?;
                let list = res
                    .get("tools")
                    .and_then(Value::as_array)
                    .ok_or_else(|| fail(Verdict::ProtocolError, "tools/list: no tools array"))?;
                tools.extend(list.iter().cloned());
                cursor = res
                    .get("nextCursor")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if cursor.is_none() {
                    break;
                }
            }
            details["tool_count"] = json!(tools.len());
            details["tools_hash"] = json!(tools_hash(&tools));
            latency["tools_ms"] = json!(ms(tools_started.elapsed()));
        }
        if let Some(sid) = s {
            // Ending the session politely; a server may answer 405 when it does not allow it.
            let _ = self
                .client
                .delete(self.url)
                .headers(self.header_map(Some(sid), v)?)
                .timeout(self.remaining().unwrap_or(Duration::from_millis(1)))
                .send()
                .await;
        }
        latency["total_ms"] = json!(ms(started.elapsed()));
        details["latency"] = latency;
        Ok(())
    }
}

/// Copies what a server says of itself (initialize or discovery result) into the details.
fn describe_server(details: &mut Value, result: &Value, version: &str) {
    let info = |key: &str| result.pointer(key).cloned().unwrap_or(Value::Null);
    details["protocol_version"] = json!(version);
    details["server_name"] = info("/serverInfo/name");
    details["server_version"] = info("/serverInfo/version");
}

fn s_code(s: StatusCode) -> u16 {
    s.as_u16()
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// A stable digest of the tool names and input schemas, so a changed tool list shows.
pub fn tools_hash(tools: &[Value]) -> String {
    use sha2::{Digest, Sha256};
    let mut entries: Vec<String> = tools
        .iter()
        .map(|t| {
            format!(
                "{}\u{0}{}",
                t.get("name").and_then(Value::as_str).unwrap_or(""),
                t.get("inputSchema")
                    .map(Value::to_string)
                    .unwrap_or_default()
            )
        })
        .collect();
    entries.sort();
    let digest = Sha256::digest(entries.join("\u{1}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Finds the JSON-RPC message answering `id` in a JSON body or an SSE stream.
fn find_reply(text: &str, is_sse: bool, id: &Value) -> Result<Value, Failure> {
    let candidates: Vec<Value> = if is_sse {
        let mut out = Vec::new();
        let mut data = String::new();
        for line in text.lines().chain(std::iter::once("")) {
            if let Some(d) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            } else if line.trim().is_empty() && !data.is_empty() {
                if let Ok(v) = serde_json::from_str::<Value>(&data) {
                    out.push(v);
                }
                data.clear();
            }
        }
        out
    } else {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(batch)) => batch,
            Ok(v) => vec![v],
            Err(_) => Vec::new(),
        }
    };
    if candidates.is_empty() {
        return Err(fail(Verdict::ProtocolError, "the reply is not JSON-RPC"));
    }
    candidates
        .into_iter()
        .find(|m| m.get("jsonrpc") == Some(&json!("2.0")) && m.get("id") == Some(id))
        .ok_or_else(|| {
            fail(
                Verdict::ProtocolError,
                format!("no JSON-RPC reply with id {id}"),
            )
        })
}

fn rpc_result<'a>(message: Option<&'a Value>, what: &str) -> Result<&'a Value, Failure> {
    let m = message.ok_or_else(|| fail(Verdict::ProtocolError, format!("{what}: empty reply")))?;
    if let Some(err) = m.get("error") {
        let text = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        let lower = text.to_lowercase();
        let verdict = if lower.contains("protocol version") || lower.contains("unsupported version")
        {
            Verdict::VersionMismatch
        } else {
            Verdict::ProtocolError
        };
        return Err(fail(verdict, format!("{what}: server error: {text}")));
    }
    m.get("result").ok_or_else(|| {
        fail(
            Verdict::ProtocolError,
            format!("{what}: reply has neither result nor error"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::State;
    use axum::http::{HeaderMap as AxHeaders, StatusCode as AxStatus};
    use axum::response::{IntoResponse, Response};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Mode {
        Ok,
        JsonReplies,
        Auth,
        Garbage,
        DropSession,
        OldVersion,
        RejectHeader,
        ErrorObject,
        Slow,
        Discover,
    }

    #[derive(Clone)]
    struct Server {
        mode: Arc<Mutex<Mode>>,
        tools: Arc<Mutex<Vec<Value>>>,
        deleted: Arc<Mutex<u32>>,
    }

    fn sse(v: Value) -> Response {
        (
            [("content-type", "text/event-stream")],
            format!("event: message\ndata: {v}\n\n"),
        )
            .into_response()
    }

    async fn handle(State(s): State<Server>, headers: AxHeaders, body: String) -> Response {
        let mode = *s.mode.lock().unwrap();
        let msg: Value = serde_json::from_str(&body).unwrap();
        let method = msg["method"].as_str().unwrap_or("").to_string();
        let id = msg.get("id").cloned();
        let accept = headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
            return (AxStatus::NOT_ACCEPTABLE, "bad accept").into_response();
        }
        let in_session = headers.contains_key(SESSION_HEADER);
        match mode {
            Mode::Auth => return (AxStatus::UNAUTHORIZED, "no").into_response(),
            Mode::Garbage => return "hello there".into_response(),
            Mode::DropSession if in_session && method == "ping" => {
                return (AxStatus::NOT_FOUND, "gone").into_response()
            }
            Mode::RejectHeader if in_session && method == "ping" => {
                return (AxStatus::BAD_REQUEST, "bad version").into_response()
            }
            Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
            _ => {}
        }
        if method == "server/discover" {
            if mode != Mode::Discover {
                let e = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}});
                return sse(e);
            }
            return sse(json!({"jsonrpc": "2.0", "id": id, "result": {
                "protocolVersion": "2025-11-25",
                "serverInfo": {"name": "mock-stateless", "version": "1.0.0"},
            }}));
        }
        if method != "initialize" && !in_session && mode != Mode::Discover {
            return (AxStatus::BAD_REQUEST, "no session").into_response();
        }
        let Some(id) = id else {
            return AxStatus::ACCEPTED.into_response();
        };
        let result = match method.as_str() {
            "initialize" if mode == Mode::ErrorObject => {
                let e = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "Unsupported protocol version"}});
                return sse(e);
            }
            "initialize" => json!({
                "protocolVersion": if mode == Mode::OldVersion { "2023-01-01" } else { msg["params"]["protocolVersion"].as_str().unwrap() },
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "mock-mcp", "version": "9.9.9"},
            }),
            "ping" => json!({}),
            "tools/list" => {
                let tools = s.tools.lock().unwrap().clone();
                // Two pages, to exercise nextCursor.
                if msg["params"]["cursor"].is_null() {
                    json!({"tools": tools[..1], "nextCursor": "page2"})
                } else {
                    json!({"tools": tools[1..]})
                }
            }
            _ => return (AxStatus::NOT_FOUND, "unknown").into_response(),
        };
        let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
        let mut resp = if mode == Mode::JsonReplies {
            axum::Json(reply).into_response()
        } else {
            sse(reply)
        };
        if method == "initialize" {
            resp.headers_mut()
                .insert(SESSION_HEADER, "sess-1".parse().unwrap());
        }
        resp
    }

    async fn start(mode: Mode) -> (String, Server) {
        let server = Server {
            mode: Arc::new(Mutex::new(mode)),
            tools: Arc::new(Mutex::new(vec![
                json!({"name": "echo", "inputSchema": {"type": "object"}}),
                json!({"name": "add", "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}}}}),
            ])),
            deleted: Arc::new(Mutex::new(0)),
        };
        let deleted = server.deleted.clone();
        let app = axum::Router::new()
            .route(
                "/mcp",
                axum::routing::post(handle).delete(move || {
                    let deleted = deleted.clone();
                    async move {
                        *deleted.lock().unwrap() += 1;
                        AxStatus::OK
                    }
                }),
            )
            .with_state(server.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/mcp"), server)
    }

    async fn probe(url: &str, timeout: Duration) -> CheckOutcome {
        let client = super::super::checks::http_client();
        Probe {
            client: &client,
            url,
            headers: &[("x-test".to_string(), crate::config::Secret("1".to_string()))],
            protocol_version: None,
            list_tools: true,
            auth_required_status: Status::Degraded,
            deadline: Instant::now() + timeout,
        }
        .run()
        .await
    }

    const T: Duration = Duration::from_secs(2);

    #[tokio::test]
    async fn a_healthy_server_reports_name_version_and_tools() {
        for mode in [Mode::Ok, Mode::JsonReplies] {
            let (url, server) = start(mode).await;
            let out = probe(&url, T).await;
            assert_eq!(out.status, Status::Healthy, "{mode:?}: {out:?}");
            let d = &out.details;
            assert_eq!(d["verdict"], "ok");
            assert_eq!(d["server_name"], "mock-mcp");
            assert_eq!(d["server_version"], "9.9.9");
            assert_eq!(d["protocol_version"], KNOWN_VERSIONS[0]);
            assert_eq!(d["tool_count"], 2, "both pages counted");
            assert!(d["latency"]["ping_ms"].as_f64().is_some());
            assert!(d["latency"]["tools_ms"].as_f64().is_some());
            assert_eq!(*server.deleted.lock().unwrap(), 1, "session ended");
        }
    }

    #[tokio::test]
    async fn a_server_that_answers_discovery_is_probed_without_a_session() {
        let (url, server) = start(Mode::Discover).await;
        let out = probe(&url, T).await;
        assert_eq!(out.status, Status::Healthy, "{out:?}");
        assert_eq!(out.details["discovery"], "server/discover");
        assert_eq!(out.details["server_name"], "mock-stateless");
        assert_eq!(out.details["session"], false);
        assert_eq!(out.details["tool_count"], 2);
        assert_eq!(*server.deleted.lock().unwrap(), 0, "no session to end");

        let (url, _server) = start(Mode::Ok).await;
        let out = probe(&url, T).await;
        assert_eq!(
            out.details["discovery"], "initialize",
            "fell back to the handshake"
        );
    }

    #[tokio::test]
    async fn a_changed_tool_list_changes_the_hash() {
        let (url, server) = start(Mode::Ok).await;
        let first = probe(&url, T).await.details["tools_hash"].clone();
        assert_eq!(probe(&url, T).await.details["tools_hash"], first, "stable");
        server.tools.lock().unwrap()[1]["inputSchema"] = json!({"type": "object"});
        assert_ne!(probe(&url, T).await.details["tools_hash"], first);
    }

    #[tokio::test]
    async fn each_failure_gets_its_own_verdict() {
        let cases = [
            (Mode::Auth, "auth_required", Status::Degraded),
            (Mode::Garbage, "protocol_error", Status::Unhealthy),
            (Mode::DropSession, "session_expired", Status::Unhealthy),
            (Mode::OldVersion, "version_mismatch", Status::Unhealthy),
            (Mode::RejectHeader, "version_mismatch", Status::Unhealthy),
            (Mode::ErrorObject, "version_mismatch", Status::Unhealthy),
        ];
        for (mode, verdict, status) in cases {
            let (url, _server) = start(mode).await;
            let out = probe(&url, T).await;
            assert_eq!(out.details["verdict"], verdict, "{mode:?}: {out:?}");
            assert_eq!(out.status, status, "{mode:?}");
            assert!(out.message.is_some());
        }
        let (url, _server) = start(Mode::Slow).await;
        let out = probe(&url, Duration::from_millis(300)).await;
        assert_eq!(out.details["verdict"], "timeout", "{out:?}");

        let port = crate::health::test_support::closed_port();
        let out = probe(&format!("http://127.0.0.1:{port}/mcp"), T).await;
        assert_eq!(out.details["verdict"], "unreachable", "{out:?}");
    }

    #[test]
    fn sse_streams_with_several_events_are_read() {
        let text = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}\n\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"id\":5,\n\ndata: \"result\":{}}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"ok\":true}}\n";
        let m = find_reply(text, true, &json!(5)).unwrap();
        assert_eq!(m["result"]["ok"], true);
        assert!(find_reply("nope", false, &json!(1)).is_err());
    }
}
