//! The edges an attacker reaches first: label and key cardinality, forged audit actors,
//! secrets in health details, check storms, echoed input, streamed exports, and a real socket
//! that stalls.

use super::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

async fn metrics_text(h: &Harness) -> String {
    let (_, text, _) = send(h, "GET", "/metrics", None, Body::empty()).await;
    text.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn made_up_methods_are_one_label_and_one_stored_method() {
    let h = harness("").await;
    let before = metrics_text(&h).await.len();
    for i in 0..10_000 {
        let method =
            Method::from_bytes(format!("X{i:05}{}", "Z".repeat(i % 50)).as_bytes()).unwrap();
        let req = Request::builder()
            .method(method)
            .uri("/health/live")
            .body(Body::empty())
            .unwrap();
        let resp = h.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let text = metrics_text(&h).await;
    assert!(!text.contains("X00001"), "a made-up method became a label");
    assert!(
        text.contains(
            "http_requests_total{method=\"other\",route=\"/health/live\",status=\"405\"} 10000"
        ),
        "{text}"
    );
    // A few new series (other × /health/live), never one per method: under 8 KB more.
    assert!(
        text.len() < before + 8 * 1024,
        "/metrics grew from {before} to {} bytes",
        text.len()
    );
    // Self-traffic leaves them out too (probes are excluded) and ingest folds methods.
    let (s, _) = post(
        &h,
        &json!([{"method": "BREW", "route": "tools/call", "status": 200, "duration_ms": 1.0}]),
        Some(TOKEN),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, e) = get(&h, "/api/v1/analytics/endpoints?window=1h").await;
    let methods: Vec<&str> = e["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["method"].as_str())
        .collect();
    assert!(
        methods.contains(&"other") && !methods.contains(&"BREW"),
        "{methods:?}"
    );
}

#[tokio::test]
async fn random_tokens_do_not_become_users_and_queries_stay_out_of_the_log() {
    let h = harness("").await;
    for i in 0..300 {
        let (s, _, _) = send(
            &h,
            "GET",
            &format!("/api/v1/roles/metrics?timeframe=1h&token=secret-{i}"),
            Some(&format!("forged-token-{i:04}-0123456789")),
            Body::empty(),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Let the writer commit the self-audit, then read as a valid reader.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, m) = get(&h, "/api/v1/roles/metrics?timeframe=1h").await;
    let analysts = m["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "analyst")
        .unwrap()["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "activeUsers")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert!(analysts <= 1.0, "forged tokens made {analysts} analysts");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, export) = get(&h, "/api/v1/audit/export?timeframe=1h&limit=1000").await;
    let events = export["events"].as_array().unwrap();
    // Refused readers are rate-limited: a crowd of them cannot flood the log.
    let denied = events.iter().filter(|e| e["outcome"] == "denied").count();
    assert!(denied > 0 && denied <= 60, "{denied} denied events logged");
    for e in events {
        let actor = e["actor_id"].as_str().unwrap();
        assert!(
            actor == "anonymous" || e["outcome"] != "denied",
            "a refused token was named: {actor}"
        );
        assert!(
            !e.to_string().contains("secret-"),
            "a query string was stored: {e}"
        );
    }
}

#[tokio::test]
async fn no_component_kind_shows_its_credentials() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let components = format!(
        r#"
        [[components]]
        name = "api"
        kind = "http"
        url = "http://alice:hunter2-http@127.0.0.1:{port}/status?api_key=k-abcdef123&x=1"
        [[components]]
        name = "gw-db"
        kind = "postgres"
        url = "postgres://pulse:hunter2-pg@127.0.0.1:{port}/gw?password=hunter3-pg"
        [[components]]
        name = "cache"
        kind = "redis"
        url = "redis://:hunter2-redis@127.0.0.1:{port}"
        [[components]]
        name = "mcp"
        kind = "mcp"
        url = "http://127.0.0.1:{port}/mcp?access_token=tok-abcdef123"
        headers = {{ Authorization = "Bearer sk-live-abcdef123" }}
        [[components]]
        name = "tcp"
        kind = "tcp"
        host = "127.0.0.1"
        port = {port}
        "#
    );
    let h = harness(&components).await;
    for name in ["api", "gw-db", "cache", "mcp", "tcp"] {
        let (s, _) = call(&h, "POST", &format!("/health/components/{name}/check")).await;
        assert_eq!(s, StatusCode::OK, "{name}");
    }
    let secrets = [
        "hunter2-http",
        "k-abcdef123",
        "hunter2-pg",
        "hunter3-pg",
        "hunter2-redis",
        "tok-abcdef123",
        "sk-live-abcdef123",
    ];
    // As an admin, who sees every detail: still no credential.
    let mut pages = vec![call(&h, "GET", "/health").await.1];
    for name in ["api", "gw-db", "cache", "mcp"] {
        pages.push(
            send(
                &h,
                "GET",
                &format!("/health/components/{name}"),
                None,
                Body::empty(),
            )
            .await
            .1
            .to_string(),
        );
        pages.push(
            send(
                &h,
                "GET",
                &format!("/components/{name}"),
                None,
                Body::empty(),
            )
            .await
            .1
            .to_string(),
        );
    }
    for page in &pages {
        for s in secrets {
            assert!(!page.contains(s), "`{s}` shown in {page}");
        }
    }
    // The URLs are still there, redacted, so an operator can tell which is which.
    assert!(pages[0].contains("alice:***@127.0.0.1"), "{}", pages[0]);
    assert!(pages[0].contains("api_key=***"), "{}", pages[0]);
}

#[tokio::test]
async fn concurrent_check_now_runs_one_check() {
    let h = harness("").await;
    let cookie = h.session(mcp_pulse::permissions::Role::Developer).await;
    let calls = (0..20).map(|_| {
        let router = h.router.clone();
        let cookie = cookie.clone();
        async move {
            let req = Request::builder()
                .method("POST")
                .uri("/health/components/db/check")
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }
    });
    for s in futures::future::join_all(calls).await {
        assert_eq!(s, StatusCode::OK);
    }
    let (_, d) = json(&h, "GET", "/health/components/db").await;
    let history = d["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "20 clicks ran {} checks", history.len());
}

#[tokio::test]
async fn rejected_input_is_echoed_short_and_ids_refuse_bidi_characters() {
    let h = harness("").await;
    let long = "A".repeat(50_000);
    let (s, v) = get(&h, &format!("/api/v1/roles/metrics?timeframe={long}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v.to_string().len() < 1_000,
        "echoed {} bytes",
        v.to_string().len()
    );
    let (s, v) = get(&h, &format!("/api/v1/analytics/trends?hours={long}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v.to_string().len() < 1_000);
    let (s, v) = get(&h, &format!("/api/v1/analytics/endpoints?{long}=1")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v.to_string().len() < 1_000);
    let (s, v) = post_to(
        &h,
        "/api/v1/audit",
        &json!([{"actor_id": "admin\u{202E}nimda", "actor_role": "admin",
                 "action": "user.role.assign", "outcome": "success"}]),
        Some(TOKEN),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["problems"][0]["field"], "actor_id");
}

#[tokio::test]
async fn the_audit_export_streams_every_event_once_in_pages() {
    let h = harness("[audit]\nself_audit = false").await;
    let events: Vec<Value> = (0..1_234)
        .map(|i| {
            json!({"actor_id": format!("u{i}"), "actor_role": "viewer", "action": "resource.view",
                   "outcome": "success", "details": {"n": i}})
        })
        .collect();
    let (s, _) = post_to(&h, "/api/v1/audit", &Value::Array(events), Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = get(&h, "/api/v1/audit/export?timeframe=1h&limit=100000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(e["count"], 1_234);
    let mut seen: Vec<i64> = e["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["details"]["n"].as_i64().unwrap())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        1_234,
        "an event was repeated or lost across pages"
    );
    let (_, e) = get(&h, "/api/v1/audit/export?timeframe=1h&limit=700").await;
    assert_eq!(e["count"], 700);
    assert_eq!(e["events"].as_array().unwrap().len(), 700);
}

/// Reads until the server closes the connection; returns what it sent, or None if it kept the
/// connection open for `wait`.
async fn read_until_closed(s: &mut tokio::net::TcpStream, wait: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    match tokio::time::timeout(wait, s.read_to_end(&mut buf)).await {
        Ok(_) => Some(String::from_utf8_lossy(&buf).into_owned()),
        Err(_) => {
            eprintln!(
                "still open after {wait:?}; received {:?}",
                String::from_utf8_lossy(&buf)
            );
            None
        }
    }
}

#[tokio::test]
async fn stalled_clients_are_disconnected_and_shutdown_has_a_deadline() {
    use tokio::io::AsyncWriteExt;
    // The body timeout belongs to the router (config), the others to the listener.
    let h = harness("[server]\nbody_timeout = \"500ms\"").await;
    let (addr, stop, task) = serve_on_socket(h.router.clone()).await;
    // Half-open: headers never finish.
    let mut partial = tokio::net::TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut partial, Duration::from_secs(5))
            .await
            .is_some(),
        "a half-open request was kept past the header timeout"
    );
    // Idle keep-alive after one answered request.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(
        answered
            .as_deref()
            .is_some_and(|t| t.starts_with("HTTP/1.1 200")),
        "{answered:?}"
    );
    // A body that stops arriving.
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /api/v1/requests HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{{\"method\""
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|t| t.starts_with("HTTP/1.1 400")),
        "{answer:?}"
    );
    // Shutdown: a connection that never finishes its request does not hold the server.
    let mut holder = tokio::net::TcpStream::connect(addr).await.unwrap();
    holder
        .write_all(b"POST /api/v1/requests HTTP/1.1\r\n")
        .await
        .unwrap();
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("shutdown waited past its deadline")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting"
    );
}

#[tokio::test]
async fn server_function_input_errors_are_4xx() {
    let h = harness("").await;
    use leptos::server_fn::ServerFn;
    use mcp_pulse::ui::data::{GetEndpoints, GetRoles, GetTrends};
    let cookie = h.session(mcp_pulse::permissions::Role::Analyst).await;
    for uri in [GetEndpoints::PATH, GetTrends::PATH, GetRoles::PATH] {
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "window=x{0}&sort=count&hours=999&timeframe=x{0}",
                "Q".repeat(5000)
            )))
            .unwrap();
        let resp = h.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert!(body.len() < 1_000, "{uri} echoed {} bytes", body.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_component_page_renders_never_panic() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // Panics in leptos' detached render tasks never reach a response, so count them directly.
    let panics = Arc::new(AtomicUsize::new(0));
    let previous = Arc::new(std::panic::take_hook());
    std::panic::set_hook(Box::new({
        let (panics, previous) = (panics.clone(), previous.clone());
        move |info| {
            if info.to_string().contains("disposed") {
                panics.fetch_add(1, Ordering::SeqCst);
            }
            previous(info)
        }
    }));
    let h = harness("").await;
    send(
        &h,
        "POST",
        "/health/components/db/check",
        None,
        Body::empty(),
    )
    .await;
    let cookie = h.session(mcp_pulse::permissions::Role::Viewer).await;
    for _ in 0..250 {
        let renders = (0..8).map(|_| {
            let router = h.router.clone();
            let cookie = cookie.clone();
            async move {
                let req = Request::get("/components/db")
                    .header("cookie", cookie)
                    .body(Body::empty())
                    .unwrap();
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                resp.into_body().collect().await.unwrap();
                status
            }
        });
        for s in futures::future::join_all(renders).await {
            assert_eq!(s, StatusCode::OK);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(panics.load(Ordering::SeqCst), 0, "renders panicked");
}

#[tokio::test]
async fn the_anonymous_allowance_follows_the_config() {
    for (allowance, low, high) in [(5, 5, 10), (0, 0, 0)] {
        let h = harness(&format!("[audit]\nanonymous_per_minute = {allowance}\n")).await;
        for i in 0..20 {
            let (s, _, _) = send(
                &h,
                "GET",
                "/api/v1/roles/metrics",
                Some(&format!("forged-token-{i:04}-0123456789")),
                Body::empty(),
            )
            .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_, export) = get(&h, "/api/v1/audit/export?timeframe=1h&limit=1000").await;
        let anonymous = export["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor_id"] == "anonymous")
            .count();
        // Twenty refused reads; at most `allowance` a minute are logged (twice that if the
        // reads straddle a minute boundary).
        assert!(
            (low..=high).contains(&anonymous),
            "allowance {allowance}: {anonymous} anonymous events"
        );
    }
}
