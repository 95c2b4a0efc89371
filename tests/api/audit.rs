//! Audit ingest, the role views and Pulse's audit of itself, through the real router and a
//! real SQLite file.

use super::helpers::*;
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const QUIET: &str = "[audit]\nself_audit = false\n";

fn audit(actor: &str, role: &str, action: &str, outcome: &str) -> Value {
    json!({"actor_id": actor, "actor_role": role, "action": action, "outcome": outcome})
}

async fn post_audit(h: &Harness, events: &Value, token: Option<&str>) -> (StatusCode, Value) {
    post_to(h, "/api/v1/audit", events, token).await
}

fn metric(view: &Value, role: &str, name: &str) -> f64 {
    let card = view["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == role)
        .unwrap();
    card["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap()["value"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn audit_ingest_checks_tokens_and_rejects_whole_batches() {
    let h = harness(QUIET).await;
    let batch = json!([audit("a1", "admin", "system.backup", "success")]);
    assert_eq!(
        post_audit(&h, &batch, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_audit(&h, &batch, Some(READ_TOKEN)).await.0,
        StatusCode::FORBIDDEN,
        "read tokens cannot write"
    );
    let bad = json!([
        audit("a1", "admin", "system.backup", "success"),
        audit("a2", "root", "system.backup", "success"),
        {"actor_id": "a3", "actor_role": "guest", "action": "limited.access", "outcome": "success",
         "details": "not an object"},
        {"actor_id": "a4", "actor_role": "guest", "action": "x", "outcome": "success",
         "details": {"blob": "x".repeat(5000)}},
    ]);
    let (s, v) = post_audit(&h, &bad, Some(TOKEN)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["problem_count"], 3);
    let fields: Vec<(i64, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["index"].as_i64().unwrap(),
                p["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(fields.contains(&(1, "actor_role".into())));
    assert!(fields.contains(&(2, "details".into())));
    assert!(fields.contains(&(3, "details".into())));
    let (s, _) = post_audit(&h, &json!({"not": "an array"}), Some(TOKEN)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.state.store.count_audit_events().await.unwrap(),
        0,
        "nothing stored"
    );
    let (s, v) = post_audit(&h, &batch, Some(TOKEN)).await;
    assert_eq!((s, v["accepted"].as_i64()), (StatusCode::OK, Some(1)));
    assert_eq!(h.state.store.count_audit_events().await.unwrap(), 1);
}

#[tokio::test]
async fn an_acknowledged_batch_shows_in_every_role_view() {
    let h = harness(QUIET).await;
    let mut events = vec![
        audit("g1", "guest", "limited.access", "success"),
        audit("g1", "guest", "restricted.attempt", "denied"),
        audit("g2", "guest", "limited.access", "success"),
        audit("n1", "analyst", "report.generate", "success"),
        audit("n1", "analyst", "coffee.brew", "success"),
        audit("root", "admin", "role.migration.start", "success"),
    ];
    let mut change = audit("g2", "guest", "role.change.manual", "success");
    change["details"] = json!({"from": "guest", "to": "viewer"});
    events.push(change);
    let (s, v) = post_audit(&h, &json!(events), Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Requests with roles feed performance and rate limits.
    let reqs: Vec<Value> = (0..25)
        .map(|i| {
            json!({"method": "POST", "route": "tools/call", "status": 200,
                        "duration_ms": if i < 5 { 900.0 } else { 50.0 },
                        "role": "guest", "user_id": "g1"})
        })
        .collect();
    assert_eq!(post(&h, &json!(reqs), Some(TOKEN)).await.0, StatusCode::OK);

    let (s, m) = get(&h, "/api/v1/roles/metrics?timeframe=1h").await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["timeframe"], "1h");
    assert_eq!(metric(&m, "guest", "activeUsers"), 2.0);
    assert_eq!(metric(&m, "guest", "limitedActions"), 2.0);
    assert_eq!(metric(&m, "guest", "restrictedAttempts"), 1.0);
    assert_eq!(metric(&m, "guest", "conversionRate"), 50.0);
    assert_eq!(metric(&m, "analyst", "reportsGenerated"), 1.0);

    let (_, a) = get(&h, "/api/v1/roles/actions").await;
    assert_eq!(a["timeframe"], "24h", "24h is the default");
    let rows = a["rows"].as_array().unwrap();
    let other = rows
        .iter()
        .find(|r| r["category"] == "other")
        .expect("unknown actions are kept as `other`");
    assert_eq!(
        (other["role"].as_str(), other["action_count"].as_i64()),
        (Some("analyst"), Some(1))
    );
    let guest = rows
        .iter()
        .find(|r| r["role"] == "guest" && r["category"] == "guest_actions")
        .unwrap();
    assert_eq!(guest["unique_users"], 2);
    assert_eq!(guest["denied"], 1);

    let (_, p) = get(&h, "/api/v1/roles/performance?timeframe=7d").await;
    let guest = &p["roles"][5];
    assert_eq!(
        (guest["role"].as_str(), guest["requests"].as_i64()),
        (Some("guest"), Some(25))
    );
    assert_eq!(guest["target_ms"], 500.0);
    assert_eq!(guest["over_target_pct"], 20.0);
    assert_eq!(guest["breach"], true, "p95 of 900 ms is over 500 ms");

    let (_, r) = get(&h, "/api/v1/roles/rate-limits").await;
    let guest = &r["roles"][5];
    assert_eq!(guest["busiest_user"], "g1");
    assert!(guest["busiest_pct"].as_f64().unwrap() >= 125.0, "{guest}");
    assert_eq!(r["users_over"][0]["user_id"], "g1");

    let (_, mig) = get(&h, "/api/v1/roles/migration?timeframe=30d").await;
    assert_eq!(mig["status"]["state"], "complete");
    assert_eq!(mig["status"]["migrated_users"], 1);
    assert_eq!(
        mig["changes"][0],
        json!({"from": "guest", "to": "viewer", "count": 1})
    );
    assert_eq!(mig["timeline"][0]["cumulative_total"], 1);

    let (s, e) = get(&h, "/api/v1/audit/export?timeframe=1h&limit=3").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(e["count"], 3);
    // Newest first: the batch's last event, with its category and details.
    assert_eq!(e["events"][0]["action"], "role.change.manual");
    assert_eq!(e["events"][0]["category"], "role_migration");
    assert_eq!(e["events"][0]["details"]["to"], "viewer");
}

#[tokio::test]
async fn timeframes_and_views_are_validated() {
    let h = harness(QUIET).await;
    for view in [
        "metrics",
        "actions",
        "performance",
        "rate-limits",
        "migration",
    ] {
        for bad in [
            "",
            "2h",
            "30D",
            "24h'%20OR%201=1--",
            "1h;DROP%20TABLE%20audit_events",
        ] {
            let (s, v) = get(&h, &format!("/api/v1/roles/{view}?timeframe={bad}")).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{view} {bad}: {v}");
            assert!(v["error"].as_str().unwrap().contains("1h, 24h, 7d, 30d"));
        }
        let (s, _) = get(&h, &format!("/api/v1/roles/{view}?window=1h")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "unknown parameter");
        let (s, _, _) = send(
            &h,
            "GET",
            &format!("/api/v1/roles/{view}"),
            None,
            Body::empty(),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        get(&h, "/api/v1/roles/secrets").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&h, "/api/v1/audit/export?limit=0").await.0,
        StatusCode::BAD_REQUEST
    );
    // Still there after the injection attempts.
    assert_eq!(h.state.store.count_audit_events().await.unwrap(), 0);
}

#[tokio::test]
async fn pulse_audits_its_own_pages_and_api_reads() {
    let h = harness("").await;
    // A page view is attributed to the logged-in user and their role.
    let analyst = h.session(mcp_pulse::permissions::Role::Analyst).await;
    let (s, _) = call_with(&h, "GET", "/roles", &[("cookie", &analyst)]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        get(&h, "/api/v1/roles/metrics?timeframe=1h").await.0,
        StatusCode::OK
    );
    let (s, _, _) = send(&h, "GET", "/api/v1/roles/actions", None, Body::empty()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Self events are queued without waiting; give the writer its flush interval.
    let mut events = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, e) = get(&h, "/api/v1/audit/export?timeframe=1h").await;
        if e["count"].as_i64().unwrap_or(0) >= 3 {
            events = e;
            break;
        }
    }
    let list = events["events"].as_array().expect("self-audit events");
    let view = list.iter().find(|e| e["action"] == "metrics.view").unwrap();
    assert_eq!(view["actor_id"], "analyst-user");
    assert_eq!(view["actor_role"], "analyst");
    assert_eq!(view["resource"], "/roles");
    let query = list
        .iter()
        .find(|e| e["action"] == "analytics.query" && e["outcome"] == "success")
        .unwrap();
    assert!(query["actor_id"].as_str().unwrap().starts_with("token:"));
    assert!(!query["actor_id"].as_str().unwrap().contains(READ_TOKEN));
    // The path only: a query string may carry secrets.
    assert_eq!(query["resource"], "/api/v1/roles/metrics");
    let refused = list
        .iter()
        .find(|e| e["outcome"] == "denied")
        .expect("a refused read is logged");
    assert_eq!(
        (refused["actor_id"].as_str(), refused["action"].as_str()),
        (Some("anonymous"), Some("analytics.query"))
    );
    // Pulse's readers are not the gateway's users.
    let (_, m) = get(&h, "/api/v1/roles/migration").await;
    assert_eq!(m["status"]["total_users"], 0);
    // The export itself is logged as data.export, and counted in Prometheus.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, e) = get(&h, "/api/v1/audit/export?timeframe=1h").await;
    assert!(e["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "data.export"));
    let (_, text, _) = send(&h, "GET", "/metrics", None, Body::empty()).await;
    let text = text.as_str().unwrap().to_string();
    assert!(
        text.contains("pulse_role_actions_total{category=\"analyst_actions\",role=\"analyst\"}"),
        "{text}"
    );
    assert!(text.contains("pulse_role_active_users{role=\"guest\"} 0"));
}
