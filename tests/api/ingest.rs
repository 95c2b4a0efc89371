//! Request ingest and analytics through the real router and a real SQLite file; and the real
//! binary killed with SIGKILL after acknowledged batches.

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use super::helpers::*;

fn event(route: &str, status: u16, ms: f64) -> Value {
    json!({"method": "POST", "route": route, "status": status, "duration_ms": ms,
           "role": "developer", "server": "docs", "tool": "search", "client_ip": "198.51.100.23"})
}

async fn ingested(h: &Harness) -> i64 {
    // Only posted events: Pulse's own requests are recorded too, under server "pulse".
    let rt = h
        .state
        .store
        .traffic_endpoints(mcp_pulse::store::Resolution::Minute, 0, i64::MAX)
        .await
        .unwrap();
    rt.iter()
        .filter(|e| e.server != "pulse")
        .map(|e| e.agg.count)
        .sum()
}

#[tokio::test]
async fn ingest_requires_a_valid_token_and_stores_nothing_without_one() {
    let h = harness("").await;
    let batch = json!([event("tools/call", 200, 10.0)]);
    let (s, body, headers) = send(
        &h,
        "POST",
        "/api/v1/requests",
        None,
        Body::from(batch.to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body["status"], 401);
    // A read token is known but may not write: 403, not 401.
    assert_eq!(
        post(&h, &batch, Some(READ_TOKEN)).await.0,
        StatusCode::FORBIDDEN
    );
    for wrong in ["nope", &TOKEN[..TOKEN.len() - 1]] {
        assert_eq!(
            post(&h, &batch, Some(wrong)).await.0,
            StatusCode::UNAUTHORIZED,
            "{wrong}"
        );
    }
    let (s, _, _) = send(
        &h,
        "GET",
        "/api/v1/analytics/real-time",
        None,
        Body::empty(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "analytics need a token too");
    assert_eq!(ingested(&h).await, 0);
    assert_eq!(post(&h, &batch, Some(TOKEN)).await.0, StatusCode::OK);
    assert_eq!(
        get(&h, "/api/v1/analytics/real-time").await.0,
        StatusCode::OK,
        "read token reads"
    );
    let (_, m, _) = send(&h, "GET", "/metrics", None, Body::empty()).await;
    let text = m.as_str().unwrap();
    assert!(
        // The four refused posts; a refused analytics read is not an ingest rejection.
        text.contains("pulse_ingest_rejected_total{reason=\"unauthorized\"} 4"),
        "{text}"
    );
    assert!(text.contains("pulse_ingested_events_total{kind=\"ingest\"} 1"));
}

#[tokio::test]
async fn an_acknowledged_batch_is_already_stored_and_shows_in_the_analytics() {
    let h = harness("").await;
    let mut batch = Vec::new();
    for i in 0..30 {
        batch.push(event(
            "tools/call",
            if i % 10 == 0 { 500 } else { 200 },
            20.0 + i as f64,
        ));
    }
    for _ in 0..5 {
        batch.push(
            json!({"method": "GET", "route": "/api/servers", "status": 200, "duration_ms": 3.5}),
        );
    }
    let (s, body) = post(&h, &Value::Array(batch), Some(TOKEN)).await;
    assert_eq!((s, &body), (StatusCode::OK, &json!({"accepted": 35})));
    // The answer came after the commit: the rows are there now, not eventually.
    assert_eq!(ingested(&h).await, 35);

    let (s, e) = get(
        &h,
        "/api/v1/analytics/endpoints?window=1h&sort=count&limit=10",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let list = e["endpoints"].as_array().unwrap();
    let call = list.iter().find(|x| x["route"] == "tools/call").unwrap();
    assert_eq!(call["count"], 30);
    assert_eq!(call["errors"], 3);
    assert_eq!(call["error_pct"], 10.0);
    assert_eq!(call["tool"], "search");
    assert_eq!(call["server"], "docs");
    let p95 = call["p95_ms"].as_f64().unwrap();
    assert!(
        (35.0..=50.0).contains(&p95),
        "p95 {p95} in the 35-50 ms bucket"
    );
    let servers = list.iter().find(|x| x["route"] == "/api/servers").unwrap();
    assert_eq!(servers["count"], 5);
    assert_eq!(servers["tool"], Value::Null);

    let (_, rt) = get(&h, "/api/v1/analytics/real-time").await;
    assert!(rt["last_hour"]["requests"].as_i64().unwrap() >= 35);
    assert_eq!(rt["top_endpoints"][0]["route"], "tools/call");
    let (_, t) = get(&h, "/api/v1/analytics/trends?hours=2").await;
    assert_eq!(t["bucket_ms"], 60_000);
    assert_eq!(t["points"].as_array().unwrap().len(), 120);
    let (_, t) = get(&h, "/api/v1/analytics/trends?hours=24").await;
    assert_eq!(t["bucket_ms"], 3_600_000);
    assert_eq!(t["points"].as_array().unwrap().len(), 24);
    let last_hour: i64 = t["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_i64().unwrap())
        .sum();
    assert!(last_hour >= 35);
    let (s, sum) = get(&h, "/api/v1/analytics/summary?period=7d").await;
    assert_eq!(s, StatusCode::OK);
    assert!(sum["totals"]["requests"].as_i64().unwrap() >= 35);
    assert_eq!(sum["trends"]["points"].as_array().unwrap().len(), 168);
}

#[tokio::test]
async fn one_bad_event_rejects_the_whole_batch_with_details() {
    let h = harness("").await;
    let mut bad = event("tools/call", 200, 5.0);
    bad["role"] = json!("root");
    bad["duration_ms"] = json!(-3);
    let batch = json!([event("a", 200, 1.0), bad, event("b", 200, 1.0)]);
    let (s, body) = post(&h, &batch, Some(TOKEN)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problem_count"], 2);
    let problems = body["problems"].as_array().unwrap();
    assert!(problems.iter().all(|p| p["index"] == 1));
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"role") && fields.contains(&"duration_ms"),
        "{fields:?}"
    );
    assert_eq!(ingested(&h).await, 0, "nothing of the batch was stored");

    let future = json!([{"ts": "2099-01-01T00:00:00Z", "method": "GET", "route": "r", "status": 200, "duration_ms": 1}]);
    assert_eq!(
        post(&h, &future, Some(TOKEN)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let ancient = json!([{"ts": "2001-01-01T00:00:00Z", "method": "GET", "route": "r", "status": 200, "duration_ms": 1}]);
    assert_eq!(
        post(&h, &ancient, Some(TOKEN)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for garbage in ["{\"not\": \"an array\"}", "[1, 2", "null"] {
        let (s, v, _) = send(
            &h,
            "POST",
            "/api/v1/requests",
            Some(TOKEN),
            Body::from(garbage),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{garbage}: {v}");
    }
    assert_eq!(ingested(&h).await, 0);
}

#[tokio::test]
async fn body_and_batch_limits_answer_413() {
    let h = harness("max_body_bytes = 4000\nmax_batch = 10\nqueue_events = 100").await;
    let eleven = Value::Array((0..11).map(|_| event("x", 200, 1.0)).collect());
    let (s, body) = post(&h, &eleven, Some(TOKEN)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("at most 10"));
    let mut big = event("x", 200, 1.0);
    big["user_agent"] = json!("a".repeat(500));
    let heavy = Value::Array((0..10).map(|_| big.clone()).collect());
    assert_eq!(
        post(&h, &heavy, Some(TOKEN)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(ingested(&h).await, 0);
    let ten = Value::Array((0..10).map(|_| event("x", 200, 1.0)).collect());
    assert_eq!(post(&h, &ten, Some(TOKEN)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn analytics_parameters_are_validated() {
    let h = harness("").await;
    for uri in [
        "/api/v1/analytics/trends?hours=0",
        "/api/v1/analytics/trends?hours=169",
        "/api/v1/analytics/trends?hours=abc",
        "/api/v1/analytics/trends?hour=3",
        "/api/v1/analytics/summary?period=2h",
        "/api/v1/analytics/summary?period=1h%27%3B%20DROP%20TABLE%20request_events%3B--",
        "/api/v1/analytics/endpoints?window=2d",
        "/api/v1/analytics/endpoints?sort=name",
        "/api/v1/analytics/endpoints?limit=101",
        "/api/v1/analytics/endpoints?limit=0",
    ] {
        let (s, body) = get(&h, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains('`'),
            "{uri}: names the parameter"
        );
    }
    for uri in [
        "/api/v1/analytics/trends?hours=168",
        "/api/v1/analytics/summary?period=30d",
        "/api/v1/analytics/endpoints?window=7d&sort=p95&limit=100",
    ] {
        assert_eq!(get(&h, uri).await.0, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn pulse_records_its_own_requests_but_not_probes() {
    let h = harness("flush_interval = \"10ms\"").await;
    for _ in 0..3 {
        get(&h, "/api/v1/analytics/real-time").await;
        send(&h, "GET", "/health/live", None, Body::empty()).await;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let eps = h
            .state
            .store
            .traffic_endpoints(mcp_pulse::store::Resolution::Minute, 0, i64::MAX)
            .await
            .unwrap();
        let own: Vec<_> = eps.iter().filter(|e| e.server == "pulse").collect();
        if own.iter().map(|e| e.agg.count).sum::<i64>() >= 3 || Instant::now() > deadline {
            assert!(
                own.iter()
                    .any(|e| e.route == "/api/v1/analytics/real-time" && e.agg.count == 3),
                "{own:?}"
            );
            assert!(
                !own.iter().any(|e| e.route.starts_with("/health")),
                "probes are excluded"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the real binary, posts batches, kills it with SIGKILL, restarts it and counts.
#[tokio::test]
async fn acknowledged_events_survive_kill_9() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("pulse.toml");
    std::fs::write(
        &config,
        format!(
            "addr = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{}/pulse.db\"\n\
             [otlp]\ngrpc_addr = \"\"\n\
             [ingest]\ntokens = [\"{TOKEN}\"]\nself_instrument = false\n\
             [[components]]\nname = \"db\"\nkind = \"database\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mcp-pulse"))
            .args(["serve", "--config"])
            .arg(&config)
            .env_remove("PULSE_ADDR")
            .env("PULSE_LOG", "warn")
            .spawn()
            .unwrap()
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let wait_up = || async {
        let deadline = Instant::now() + Duration::from_secs(30);
        while client
            .get(format!("{base}/health/live"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "Pulse did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let mut child = start();
    wait_up().await;
    let mut acked = 0i64;
    for b in 0..20 {
        let batch: Vec<Value> = (0..500)
            .map(|i| event(&format!("r{}", (b * 500 + i) % 7), 200, 2.0))
            .collect();
        let resp = client
            .post(format!("{base}/api/v1/requests"))
            .bearer_auth(TOKEN)
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        acked += v["accepted"].as_i64().unwrap();
    }
    child.kill().unwrap(); // SIGKILL: no graceful shutdown, no flush.
    child.wait().unwrap();
    let mut child = start();
    wait_up().await;
    let resp = client
        .get(format!(
            "{base}/api/v1/analytics/endpoints?window=1h&limit=100"
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    let stored: i64 = v["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_i64().unwrap())
        .sum();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acked, 10_000);
    assert_eq!(
        stored, acked,
        "every acknowledged event is there after kill -9"
    );
}
