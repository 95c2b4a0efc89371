//! The check kinds: each probes one thing once and says what it saw. Timing, timeouts, damping
//! and storage are the engine's business.

use crate::config::CheckSpec;
use crate::model::Status;
use crate::store::Store;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;

pub use super::outcome::{describe_error, CheckOutcome};

/// What checks may use: Pulse's own store and a shared HTTP client.
#[derive(Clone)]
pub struct CheckContext {
    pub store: Store,
    pub http: reqwest::Client,
}

impl CheckContext {
    pub fn new(store: Store) -> Self {
        CheckContext {
            store,
            http: http_client(),
        }
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        // Each check opens its own connection, so a dead server cannot hide behind a pooled one.
        .pool_max_idle_per_host(0)
        .user_agent(concat!("mcp-pulse/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap_or_default()
}

pub async fn run(
    spec: &CheckSpec,
    ctx: &CheckContext,
    timeout: std::time::Duration,
) -> CheckOutcome {
    match spec {
        CheckSpec::Database => database(&ctx.store).await,
        CheckSpec::RoleSync { max_failures } => role_sync(&ctx.store, *max_failures).await,
        CheckSpec::Disk {
            path,
            degraded_percent,
            unhealthy_percent,
        } => {
            let path = path.clone();
            let (d, u) = (*degraded_percent, *unhealthy_percent);
            blocking(move || disk(&path, d, u)).await
        }
        CheckSpec::Memory {
            degraded_percent,
            unhealthy_percent,
        } => {
            let (d, u) = (*degraded_percent, *unhealthy_percent);
            blocking(move || memory(d, u)).await
        }
        CheckSpec::Http {
            url,
            expected_status,
            body_contains,
        } => {
            http(
                &ctx.http,
                url,
                *expected_status,
                body_contains.as_deref(),
                timeout,
            )
            .await
        }
        CheckSpec::Tcp { host, port } => tcp(host, *port).await,
        CheckSpec::Postgres { url } => postgres(url).await,
        CheckSpec::Redis { url } => redis_check(url).await,
        CheckSpec::Mcp {
            url,
            headers,
            protocol_version,
            list_tools,
            auth_required_status,
        } => {
            super::mcp::Probe {
                client: &ctx.http,
                url,
                headers,
                protocol_version: protocol_version.as_deref(),
                list_tools: *list_tools,
                auth_required_status: *auth_required_status,
                // Stop a little before the engine's guard so the probe can say "timeout" itself.
                deadline: Instant::now() + timeout.mul_f64(0.95),
            }
            .run()
            .await
        }
    }
}

/// sysinfo reads /proc synchronously; keep it off the async workers.
async fn blocking(f: impl FnOnce() -> CheckOutcome + Send + 'static) -> CheckOutcome {
    match tokio::task::spawn_blocking(f).await {
        Ok(o) => o,
        Err(e) => CheckOutcome::unhealthy(format!("check task failed: {e}"), Value::Null),
    }
}

async fn database(store: &Store) -> CheckOutcome {
    let started = Instant::now();
    if let Err(e) = store.ping().await {
        return CheckOutcome::unhealthy(format!("SELECT 1 failed: {e}"), json!({}));
    }
    let ping_ms = started.elapsed().as_secs_f64() * 1000.0;
    let stats_started = Instant::now();
    match store.stats().await {
        Ok(s) => CheckOutcome::healthy(json!({
            "backend": format!("{:?}", store.backend()).to_lowercase(),
            "ping_ms": round2(ping_ms),
            "stats_query_ms": round2(stats_started.elapsed().as_secs_f64() * 1000.0),
            "check_results_rows": s.check_results,
            "components_with_history": s.components_with_history,
            "oldest_result": s.oldest_result_ms.map(crate::model::rfc3339_ms),
        })),
        Err(e) => CheckOutcome::unhealthy(
            format!("stats query failed: {e}"),
            json!({"ping_ms": round2(ping_ms)}),
        ),
    }
}

use crate::latency::round2;

/// Role sync as the gateway reports it: `role.change.oauth_sync` audit events of the last 15
/// minutes (minute rollups), unhealthy past `max` failures.
async fn role_sync(store: &Store, max: u32) -> CheckOutcome {
    let (syncs, failures) = match store
        .recent_auth(crate::audit::auth::ROLE_SYNC, crate::model::now_ms(), 15)
        .await
    {
        Ok(n) => n,
        Err(e) => {
            return CheckOutcome::unhealthy(format!("reading role syncs failed: {e}"), json!({}))
        }
    };
    let details = json!({
        "syncs_last_15m": syncs,
        "failures_last_15m": failures,
        "max_failures": max,
    });
    if failures > i64::from(max) {
        CheckOutcome::unhealthy(
            format!("{failures} role syncs failed in the last 15 minutes (at most {max} allowed)"),
            details,
        )
    } else {
        CheckOutcome::healthy(details)
    }
}

/// Judges a resource's usage against its thresholds; `details` gains the figures.
fn usage_outcome(
    what: &str,
    used_pct: f64,
    degraded: f64,
    unhealthy: f64,
    mut details: Value,
) -> CheckOutcome {
    let status = if used_pct >= unhealthy {
        Status::Unhealthy
    } else if used_pct >= degraded {
        Status::Degraded
    } else {
        Status::Healthy
    };
    details["used_percent"] = json!(used_pct);
    details["degraded_percent"] = json!(degraded);
    details["unhealthy_percent"] = json!(unhealthy);
    CheckOutcome {
        status,
        message: (status != Status::Healthy).then(|| {
            format!("{what} {used_pct}% used (degraded at {degraded}%, unhealthy at {unhealthy}%)")
        }),
        details,
    }
}

pub use crate::host::{disk_space, DiskSpace};

pub fn disk(path: &Path, degraded: f64, unhealthy: f64) -> CheckOutcome {
    let space = match disk_space(path) {
        Ok(s) => s,
        Err(message) => {
            return CheckOutcome::unhealthy(message, json!({"path": path.display().to_string()}))
        }
    };
    let details = json!({
        "path": space.path,
        "mount_point": space.mount_point,
        "total_bytes": space.total,
        "available_bytes": space.available,
    });
    usage_outcome("disk", space.used_pct(), degraded, unhealthy, details)
}

pub fn memory(degraded: f64, unhealthy: f64) -> CheckOutcome {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    let total = sys.total_memory();
    if total == 0 {
        return CheckOutcome::unhealthy("system reports zero memory", json!({}));
    }
    let used = sys.used_memory();
    let used_pct = round2(used as f64 * 100.0 / total as f64);
    let details = json!({
        "total_bytes": total,
        "used_bytes": used,
        "available_bytes": sys.available_memory(),
    });
    usage_outcome("memory", used_pct, degraded, unhealthy, details)
}

async fn http(
    client: &reqwest::Client,
    url: &str,
    expected: u16,
    body_contains: Option<&str>,
    timeout: std::time::Duration,
) -> CheckOutcome {
    let resp = match client.get(url).timeout(timeout).send().await {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "request timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            return CheckOutcome::unhealthy(
                format!("{what}: {}", describe_error(&e)),
                json!({"url": url}),
            );
        }
    };
    let code = resp.status().as_u16();
    let mut details = json!({"url": url, "status_code": code, "expected_status": expected});
    if code != expected {
        return CheckOutcome::unhealthy(format!("HTTP {code}, expected {expected}"), details);
    }
    if let Some(needle) = body_contains {
        let body = match resp.text().await {
            Ok(b) => b,
            Err(e) => {
                return CheckOutcome::unhealthy(
                    format!("reading body failed: {}", describe_error(&e)),
                    details,
                )
            }
        };
        details["body_bytes"] = json!(body.len());
        if !body.contains(needle) {
            return CheckOutcome::unhealthy(
                format!("response body does not contain {needle:?}"),
                details,
            );
        }
    }
    CheckOutcome::healthy(details)
}

async fn tcp(host: &str, port: u16) -> CheckOutcome {
    let target = format!("{host}:{port}");
    match tokio::net::TcpStream::connect((host, port)).await {
        Ok(stream) => {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            CheckOutcome::healthy(json!({"target": target, "peer": peer}))
        }
        Err(e) => CheckOutcome::unhealthy(
            format!("connect to {target} failed: {e}"),
            json!({"target": target}),
        ),
    }
}

/// Share of `max_connections` in use above which a PostgreSQL server counts as degraded.
const PG_CONNECTIONS_DEGRADED: f64 = 0.9;

async fn postgres(url: &str) -> CheckOutcome {
    use sqlx::{Connection, Row};
    let shown = crate::redact::redact_url(url);
    let started = Instant::now();
    let mut conn = match sqlx::PgConnection::connect(url).await {
        Ok(c) => c,
        Err(e) => {
            return CheckOutcome::unhealthy(
                format!("connect failed: {}", describe_error(&e)).replace(url, &shown),
                json!({"url": shown}),
            )
        }
    };
    let connect_ms = round2(started.elapsed().as_secs_f64() * 1000.0);
    let query_started = Instant::now();
    let row = sqlx::query(
        "SELECT 1::int4, current_setting('server_version'), \
         (SELECT count(*) FROM pg_stat_activity)::int8, \
         current_setting('max_connections')::int8, \
         pg_database_size(current_database())::int8",
    )
    .fetch_one(&mut conn)
    .await;
    let _ = conn.close().await;
    let row = match row {
        Ok(r) => r,
        Err(e) => {
            return CheckOutcome::unhealthy(
                format!("query failed: {}", describe_error(&e)),
                json!({"url": shown, "connect_ms": connect_ms}),
            )
        }
    };
    let get = || -> Result<(String, i64, i64, i64), sqlx::Error> {
        Ok((
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        ))
    };
    let (version, connections, max_connections, size) = match get() {
        Ok(v) => v,
        Err(e) => {
            return CheckOutcome::unhealthy(format!("unexpected reply: {e}"), json!({"url": shown}))
        }
    };
    let share = connections as f64 / max_connections.max(1) as f64;
    let details = json!({
        "url": shown,
        "server_version": version,
        "connections": connections,
        "max_connections": max_connections,
        "connections_percent": round2(share * 100.0),
        "database_size_bytes": size,
        "connect_ms": connect_ms,
        "query_ms": round2(query_started.elapsed().as_secs_f64() * 1000.0),
    });
    if share > PG_CONNECTIONS_DEGRADED {
        CheckOutcome {
            status: Status::Degraded,
            message: Some(format!(
                "{connections} of {max_connections} connections in use (over {:.0}%)",
                PG_CONNECTIONS_DEGRADED * 100.0
            )),
            details,
        }
    } else {
        CheckOutcome::healthy(details)
    }
}

/// Picks `field:value` lines out of Redis `INFO` output.
fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

async fn redis_check(url: &str) -> CheckOutcome {
    let shown = crate::redact::redact_url(url);
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        CheckOutcome::unhealthy(
            format!("{what}: {e}").replace(url, &shown),
            json!({"url": shown}),
        )
    };
    let client = match redis::Client::open(url) {
        Ok(c) => c,
        Err(e) => return fail("invalid URL", &e),
    };
    let started = Instant::now();
    let mut con = match client.get_multiplexed_async_connection().await {
        Ok(c) => c,
        Err(e) => return fail("connect failed", &e),
    };
    let connect_ms = round2(started.elapsed().as_secs_f64() * 1000.0);
    let pong: String = match redis::cmd("PING").query_async(&mut con).await {
        Ok(p) => p,
        Err(e) => return fail("PING failed", &e),
    };
    // A write and read back on a key of Pulse's own that expires by itself (seed 000).
    let key = format!("pulse:health:{}", uuid::Uuid::new_v4());
    let token = uuid::Uuid::new_v4().to_string();
    let set: Result<(), _> = redis::cmd("SET")
        .arg(&key)
        .arg(&token)
        .arg("EX")
        .arg(10)
        .query_async(&mut con)
        .await;
    if let Err(e) = set {
        return fail("SET failed", &e);
    }
    let got: Option<String> = match redis::cmd("GET").arg(&key).query_async(&mut con).await {
        Ok(v) => v,
        Err(e) => return fail("GET failed", &e),
    };
    let _: Result<i64, _> = redis::cmd("DEL").arg(&key).query_async(&mut con).await;
    if got.as_deref() != Some(token.as_str()) {
        return CheckOutcome::unhealthy(
            "SET/GET round trip returned another value",
            json!({"url": shown}),
        );
    }
    let info: String = match redis::cmd("INFO").query_async(&mut con).await {
        Ok(i) => i,
        Err(e) => return fail("INFO failed", &e),
    };
    let num = |f: &str| info_field(&info, f).and_then(|v| v.parse::<u64>().ok());
    let (hits, misses) = (num("keyspace_hits"), num("keyspace_misses"));
    let hit_rate = match (hits, misses) {
        (Some(h), Some(m)) if h + m > 0 => Some(round2(h as f64 * 100.0 / (h + m) as f64)),
        _ => None,
    };
    CheckOutcome::healthy(json!({
        "url": shown,
        "ping": pong,
        "redis_version": info_field(&info, "redis_version"),
        "connected_clients": num("connected_clients"),
        "used_memory_human": info_field(&info, "used_memory_human"),
        "keyspace_hits": hits,
        "keyspace_misses": misses,
        "hit_rate_percent": hit_rate,
        "connect_ms": connect_ms,
        "round_trip_ms": round2(started.elapsed().as_secs_f64() * 1000.0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::test_support::closed_port;
    use axum::routing::get;
    use std::time::Duration;

    async fn local_server() -> String {
        let app = axum::Router::new()
            .route("/ok", get(|| async { "all systems go" }))
            .route(
                "/teapot",
                get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "short and stout") }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn client() -> reqwest::Client {
        http_client()
    }

    const T: Duration = Duration::from_secs(3);

    #[tokio::test]
    async fn http_check_against_a_real_server() {
        let base = local_server().await;
        let ok = http(&client(), &format!("{base}/ok"), 200, Some("systems go"), T).await;
        assert_eq!(ok.status, Status::Healthy, "{ok:?}");
        assert_eq!(ok.details["status_code"], 200);

        let wrong_body = http(&client(), &format!("{base}/ok"), 200, Some("meltdown"), T).await;
        assert_eq!(wrong_body.status, Status::Unhealthy);
        assert!(wrong_body.message.unwrap().contains("meltdown"));

        let teapot = http(&client(), &format!("{base}/teapot"), 200, None, T).await;
        assert_eq!(teapot.status, Status::Unhealthy);
        assert_eq!(teapot.message.as_deref(), Some("HTTP 418, expected 200"));

        let expected = http(&client(), &format!("{base}/teapot"), 418, None, T).await;
        assert_eq!(expected.status, Status::Healthy);

        let slow = http(
            &client(),
            &format!("{base}/slow"),
            200,
            None,
            Duration::from_millis(200),
        )
        .await;
        assert_eq!(slow.status, Status::Unhealthy);
        assert!(slow.message.unwrap().contains("timed out"));
    }

    #[tokio::test]
    async fn http_check_reports_refused_connections_and_tls_errors() {
        let port = closed_port();
        let refused = http(
            &client(),
            &format!("http://127.0.0.1:{port}/"),
            200,
            None,
            T,
        )
        .await;
        assert_eq!(refused.status, Status::Unhealthy);
        assert!(refused.message.unwrap().starts_with("connection failed"));

        // Speaking TLS to a plain-HTTP server fails the handshake, which must be named.
        let base = local_server().await.replace("http://", "https://");
        let tls = http(&http_client(), &format!("{base}/ok"), 200, None, T).await;
        assert_eq!(tls.status, Status::Unhealthy);
        let msg = tls.message.unwrap();
        assert!(msg.contains("TLS error"), "{msg}");
    }

    #[tokio::test]
    async fn tcp_check_open_and_closed_ports() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = tcp("127.0.0.1", port).await;
        assert_eq!(open.status, Status::Healthy);
        drop(listener);
        let closed = tcp("127.0.0.1", port).await;
        assert_eq!(closed.status, Status::Unhealthy);
        assert!(closed
            .message
            .unwrap()
            .contains(&format!("127.0.0.1:{port}")));
    }

    #[test]
    fn disk_check_on_a_temp_dir() {
        let dir = tempfile::tempdir().unwrap();
        let fine = disk(dir.path(), 99.99, 100.0);
        assert_eq!(fine.status, Status::Healthy, "{fine:?}");
        let used = fine.details["used_percent"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&used));
        assert!(fine.details["total_bytes"].as_u64().unwrap() > 0);

        // Any real filesystem holding files is more than 0% used.
        let degraded = disk(dir.path(), 0.0, 100.0);
        assert_eq!(degraded.status, Status::Degraded);
        assert!(degraded.message.unwrap().contains("% used"));
        let unhealthy = disk(dir.path(), 0.0, 0.000_001);
        assert_eq!(unhealthy.status, Status::Unhealthy);

        let missing = disk(&dir.path().join("nope"), 80.0, 90.0);
        assert_eq!(missing.status, Status::Unhealthy);
        assert!(missing.message.unwrap().contains("not accessible"));
    }

    #[tokio::test]
    async fn postgres_check_against_the_local_server() {
        let url = std::env::var("PULSE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let ok = postgres(&url).await;
        assert_eq!(ok.status, Status::Healthy, "{ok:?}");
        assert!(ok.details["server_version"].as_str().unwrap().len() > 1);
        assert!(ok.details["connections"].as_i64().unwrap() >= 1);
        assert!(ok.details["max_connections"].as_i64().unwrap() >= 1);
        assert!(ok.details["database_size_bytes"].as_i64().unwrap() > 0);

        let down = postgres(&format!(
            "postgres://pulse:s3cret@127.0.0.1:{}/x",
            closed_port()
        ))
        .await;
        assert_eq!(down.status, Status::Unhealthy);
        let msg = down.message.unwrap();
        assert!(msg.starts_with("connect failed"), "{msg}");
        assert!(!msg.contains("s3cret") && !down.details.to_string().contains("s3cret"));
    }

    #[tokio::test]
    async fn redis_check_against_the_local_server() {
        let url = std::env::var("PULSE_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
        let ok = redis_check(&url).await;
        assert_eq!(ok.status, Status::Healthy, "{ok:?}");
        assert_eq!(ok.details["ping"], "PONG");
        assert!(ok.details["connected_clients"].as_u64().unwrap() >= 1);
        assert!(ok.details["used_memory_human"].is_string());

        let down = redis_check(&format!("redis://:s3cret@127.0.0.1:{}", closed_port())).await;
        assert_eq!(down.status, Status::Unhealthy);
        assert!(down
            .message
            .as_deref()
            .unwrap()
            .starts_with("connect failed"));
        assert!(!down.details.to_string().contains("s3cret"));
    }

    #[test]
    fn redis_info_fields() {
        let info = "# Server\r\nredis_version:7.0.15\r\nconnected_clients:3\r\n";
        assert_eq!(info_field(info, "redis_version"), Some("7.0.15"));
        assert_eq!(info_field(info, "connected_clients"), Some("3"));
        assert_eq!(info_field(info, "connected"), None);
    }

    #[test]
    fn memory_check_reads_the_host() {
        let m = memory(80.0, 100.0);
        assert!(m.details["total_bytes"].as_u64().unwrap() > 0);
        let forced = memory(0.0, 100.0);
        assert_ne!(forced.status, Status::Healthy);
    }

    #[tokio::test]
    async fn database_check_reports_row_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
            .await
            .unwrap();
        let out = database(&store).await;
        assert_eq!(out.status, Status::Healthy, "{out:?}");
        assert_eq!(out.details["check_results_rows"], 0);
        assert_eq!(out.details["backend"], "sqlite");
        store.close().await;
        let closed = database(&store).await;
        assert_eq!(closed.status, Status::Unhealthy);
    }
}
