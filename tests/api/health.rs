//! Health, probes, metrics and the server-rendered dashboard: the whole router (`app(state)`)
//! in-process with real SQLite and real checks.

use super::helpers::{bare_harness as harness, call, closed_port, json};
use axum::http::StatusCode;

fn two_components(port: u16, critical: bool) -> String {
    format!(
        r#"
        [[components]]
        name = "db"
        kind = "database"
        [[components]]
        name = "upstream"
        kind = "tcp"
        host = "127.0.0.1"
        port = {port}
        critical = {critical}
        "#
    )
}

#[tokio::test]
async fn ready_is_503_until_checked_then_follows_status() {
    let h = harness(&two_components(closed_port(), true)).await;
    let (code, body) = json(&h, "GET", "/health/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["reason"], "no component has been checked yet");
    assert_eq!(call(&h, "GET", "/health/live").await.0, StatusCode::OK);

    let (code, _) = json(&h, "POST", "/health/components/db/check").await;
    assert_eq!(code, StatusCode::OK);
    let (code, body) = json(&h, "GET", "/health/ready").await;
    assert_eq!(code, StatusCode::OK, "{body}");

    // The critical upstream is down: the system is unhealthy and not ready.
    let (code, c) = json(&h, "POST", "/health/components/upstream/check").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(c["status"], "unhealthy");
    let (code, body) = json(&h, "GET", "/health/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["reason"], "unhealthy: upstream (critical)");
}

#[tokio::test]
async fn a_non_critical_failure_degrades_but_stays_ready() {
    let h = harness(&two_components(closed_port(), false)).await;
    call(&h, "POST", "/health/components/db/check").await;
    call(&h, "POST", "/health/components/upstream/check").await;
    let (code, body) = json(&h, "GET", "/health/ready").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["overall_status"], "degraded");
}

#[tokio::test]
async fn health_summary_has_the_documented_shape() {
    let h = harness(&two_components(closed_port(), false)).await;
    call(&h, "POST", "/health/components/db/check").await;
    let (code, body) = json(&h, "GET", "/health").await;
    assert_eq!(code, StatusCode::OK);
    for key in [
        "overall_status",
        "components",
        "healthy_components",
        "total_components",
        "health_score",
        "last_check",
        "uptime_seconds",
    ] {
        assert!(body.get(key).is_some(), "missing {key} in {body}");
    }
    assert_eq!(body["total_components"], 2);
    assert_eq!(body["healthy_components"], 1);
    assert_eq!(body["health_score"], 50.0);
    let db = &body["components"][0];
    assert_eq!(db["component"], "db");
    assert_eq!(db["component_type"], "database");
    assert_eq!(db["status"], "healthy");
    assert!(db["response_time_ms"].as_f64().unwrap() >= 0.0);
    assert!(db["details"]["check_results_rows"].is_number());
    assert!(db["error_message"].is_null());
    assert!(
        body["components"][1]["timestamp"].is_null(),
        "never checked"
    );

    let (code, brief) = json(&h, "GET", "/health?detailed=false").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(brief.as_object().unwrap().len(), 2, "{brief}");
    assert!(brief.get("overall_status").is_some());

    let (code, err) = json(&h, "GET", "/health?detailed=maybe").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(err["error"].as_str().unwrap().contains("maybe"));
}

#[tokio::test]
async fn component_detail_and_404() {
    // Three checks in a row: each must run, so "Check now" may not reuse the last one here.
    let h = harness(&format!(
        "[health]\ncheck_now_min_interval = \"0s\"\n{}",
        two_components(closed_port(), false)
    ))
    .await;
    for _ in 0..3 {
        call(&h, "POST", "/health/components/upstream/check").await;
    }
    let (code, d) = json(&h, "GET", "/health/components/upstream").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(d["history"].as_array().unwrap().len(), 3);
    assert_eq!(d["component"]["status"], "unhealthy");
    assert!(d["history"][0]["error_message"]
        .as_str()
        .unwrap()
        .contains("connect to 127.0.0.1"));

    let (code, e) = json(&h, "GET", "/health/components/nope").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["error"], "no component named `nope`");
    let (code, _) = json(&h, "POST", "/health/components/nope/check").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_expose_component_and_request_series() {
    let h = harness(&two_components(closed_port(), false)).await;
    call(&h, "POST", "/health/components/db/check").await;
    call(&h, "POST", "/health/components/upstream/check").await;
    call(&h, "GET", "/health/components/db").await;
    call(&h, "GET", "/health/components/upstream").await;
    let (code, text) = call(&h, "GET", "/metrics").await;
    assert_eq!(code, StatusCode::OK);
    for line in [
        "pulse_component_status{component=\"db\",status=\"healthy\"} 1",
        "pulse_component_status{component=\"db\",status=\"unhealthy\"} 0",
        "pulse_component_status{component=\"upstream\",status=\"unhealthy\"} 1",
        "pulse_component_up{component=\"db\"} 1",
        "pulse_component_up{component=\"upstream\"} 0",
        "pulse_check_duration_seconds_count{component=\"db\"} 1",
        "pulse_build_info{version=\"0.1.0\"} 1",
        "pulse_health_score 50",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
    // Routes are labelled by pattern, never by the raw URI.
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/health/components/{name}\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(!text.contains("route=\"/health/components/db\""));
    let (code, _) = call(&h, "GET", "/no/such/thing").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (_, text) = call(&h, "GET", "/metrics").await;
    assert!(
        text.contains("route=\"unmatched\",status=\"404\""),
        "unknown paths share one label: {text}"
    );
    assert!(!text.contains("/no/such/thing"));
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn dashboard_is_server_rendered_with_real_data() {
    let h = harness(&two_components(closed_port(), true)).await;
    call(&h, "POST", "/health/components/db/check").await;
    call(&h, "POST", "/health/components/upstream/check").await;
    let (code, html) = call(&h, "GET", "/").await;
    assert_eq!(code, StatusCode::OK);
    assert!(html.contains("data-component=\"db\""), "{html}");
    assert!(html.contains("data-status=\"unhealthy\""));
    assert!(html.contains("1 of 2 components healthy"));
    assert!(html.contains("/echarts.min.js"));

    let (code, html) = call(&h, "GET", "/components/db").await;
    assert_eq!(code, StatusCode::OK);
    assert!(html.contains("response-chart"));

    let (code, html) = call(&h, "GET", "/components/ghost").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(html.contains("No component is named"));
    let (code, _) = call(&h, "GET", "/no/such/page").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_overview_follows_every_check_at_once() {
    // The unfiltered Overview is shared between renders: a check recorded a moment after
    // one render must show in the next, not when the shared answer ages out.
    let h = harness(&two_components(closed_port(), true)).await;
    let (_, html) = call(&h, "GET", "/").await;
    assert!(html.contains("0 of 2 components healthy"), "{html}");
    call(&h, "POST", "/health/components/db/check").await;
    let (_, html) = call(&h, "GET", "/").await;
    assert!(html.contains("1 of 2 components healthy"), "{html}");
    call(&h, "POST", "/health/components/upstream/check").await;
    let (_, html) = call(&h, "GET", "/").await;
    assert!(html.contains("data-status=\"unhealthy\""), "{html}");
    // A filtered view is its own answer, not the shared one.
    let (_, html) = call(&h, "GET", "/?status=unhealthy").await;
    assert!(html.contains("1 of 2 components match"), "{html}");
    assert!(!html.contains("data-component=\"db\""), "{html}");
}
