//! Authentication monitoring (seed 000) through the real router: auth events in through the
//! audit ingest, the summary's every figure on a hand-made batch, thresholds, the provider
//! filter, bad input, and the Prometheus series.

use super::helpers::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

const QUIET: &str = "[audit]\nself_audit = false\n";

fn ts(ms_ago: i64) -> String {
    mcp_pulse::model::rfc3339_ms(mcp_pulse::model::now_ms() - ms_ago)
}

#[allow(clippy::too_many_arguments)]
fn ev(
    action: &str,
    outcome: &str,
    ms: Option<f64>,
    provider: Option<&str>,
    details: Value,
    session: Option<&str>,
    ago_ms: i64,
) -> Value {
    let mut e = json!({"ts": ts(ago_ms), "actor_id": "u1", "actor_role": "developer",
        "action": action, "outcome": outcome, "details": details});
    if let Some(ms) = ms {
        e["duration_ms"] = json!(ms);
    }
    if let Some(p) = provider {
        e["provider"] = json!(p);
    }
    if let Some(s) = session {
        e["session_id"] = json!(s);
    }
    e
}

/// The known batch: 22 auth events now (3 failed), 2 role syncs (1 failed), and 5 logins in
/// the hour before.
fn known_batch() -> Vec<Value> {
    let now = 30_000;
    let none = json!({});
    let mut b = vec![
        ev(
            "auth.oauth_flow",
            "success",
            Some(1000.0),
            Some("azure_ad"),
            json!({"flow_type": "authorization_code"}),
            None,
            now,
        ),
        ev(
            "auth.oauth_flow",
            "success",
            Some(1200.0),
            Some("azure_ad"),
            json!({"flow_type": "authorization_code"}),
            None,
            now,
        ),
        ev(
            "auth.oauth_flow",
            "failure",
            Some(3000.0),
            Some("github"),
            json!({"flow_type": "pkce"}),
            None,
            now,
        ),
        ev(
            "auth.oauth_flow",
            "success",
            Some(800.0),
            Some("github"),
            json!({"flow_type": "pkce"}),
            None,
            now,
        ),
        ev(
            "auth.token_refresh",
            "success",
            Some(100.0),
            Some("azure_ad"),
            none.clone(),
            None,
            now,
        ),
        ev(
            "auth.token_refresh",
            "success",
            Some(200.0),
            Some("azure_ad"),
            none.clone(),
            None,
            now,
        ),
        ev(
            "auth.token_refresh",
            "success",
            Some(300.0),
            Some("azure_ad"),
            none.clone(),
            None,
            now,
        ),
        ev(
            "auth.login",
            "success",
            None,
            Some("github"),
            none.clone(),
            None,
            now,
        ),
        ev(
            "auth.login",
            "success",
            None,
            Some("github"),
            none.clone(),
            None,
            now,
        ),
        ev(
            "auth.mfa_challenge",
            "success",
            Some(4000.0),
            Some("azure_ad"),
            json!({"method": "totp"}),
            None,
            now,
        ),
        ev(
            "auth.mfa_challenge",
            "failure",
            Some(9000.0),
            Some("azure_ad"),
            json!({"method": "totp"}),
            None,
            now,
        ),
        ev(
            "auth.mfa_challenge",
            "success",
            Some(2000.0),
            Some("azure_ad"),
            json!({"method": "webauthn"}),
            None,
            now,
        ),
        ev(
            "role.change.oauth_sync",
            "success",
            Some(150.0),
            Some("azure_ad"),
            none.clone(),
            None,
            now,
        ),
        ev(
            "role.change.oauth_sync",
            "failure",
            Some(150.0),
            Some("azure_ad"),
            none.clone(),
            None,
            now,
        ),
    ];
    for i in 1..=9 {
        let sid = format!("s{i}");
        b.push(ev(
            "auth.session_validation",
            "success",
            Some(10.0),
            Some("azure_ad"),
            none.clone(),
            Some(&sid),
            now,
        ));
    }
    b.push(ev(
        "auth.session_validation",
        "denied",
        Some(10.0),
        Some("azure_ad"),
        none.clone(),
        Some("s10"),
        now,
    ));
    for _ in 0..5 {
        b.push(ev(
            "auth.login",
            "success",
            None,
            Some("github"),
            none.clone(),
            None,
            90 * 60_000,
        ));
    }
    b
}

fn row<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {list}"))
}

#[tokio::test]
async fn the_summary_gives_every_seed_figure_for_a_known_batch() {
    let h = harness(QUIET).await;
    let (s, v) = post_to(&h, "/api/v1/audit", &json!(known_batch()), Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (s, v) = get(&h, "/api/v1/auth/summary?timeframe=1h").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["timeframe"], "1h");
    assert_eq!(v["totals"]["total"], 22);
    assert_eq!(v["totals"]["successful"], 19);
    assert_eq!(v["totals"]["failed"], 3);
    assert_eq!(v["totals"]["success_rate"], 0.8636);
    assert_eq!(v["previous"]["total"], 5, "the hour before: five logins");

    let types = &v["event_types"];
    let oauth = row(types, "action", "auth.oauth_flow");
    assert_eq!(
        (oauth["count"].as_i64(), oauth["failed"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(oauth["avg_ms"], 1500.0);
    // The slowest of four is the p95; the histogram estimate lands on it (clamped to the max).
    assert_eq!(oauth["p95_ms"], 3000.0);
    assert_eq!(oauth["threshold_ms"], 2000.0);
    let refresh = row(types, "action", "auth.token_refresh");
    assert_eq!(
        (refresh["count"].as_i64(), refresh["avg_ms"].as_f64()),
        (Some(3), Some(200.0))
    );
    assert_eq!(refresh["p95_ms"], 300.0);
    let sessions = row(types, "action", "auth.session_validation");
    assert_eq!(
        (sessions["count"].as_i64(), sessions["failed"].as_i64()),
        (Some(10), Some(1))
    );
    let login = row(types, "action", "auth.login");
    assert_eq!(
        (login["count"].as_i64(), login["previous_count"].as_i64()),
        (Some(2), Some(5))
    );
    assert_eq!(
        login["avg_ms"],
        Value::Null,
        "no login said how long it took"
    );

    assert_eq!(v["mfa"]["challenges"], 3);
    assert_eq!(v["mfa"]["failed"], 1);
    assert_eq!(
        v["mfa"]["challenge_rate"], 1.5,
        "three challenges for two logins"
    );
    let totp = row(&v["mfa"]["by_method"], "method", "totp");
    assert_eq!(
        (totp["challenges"].as_i64(), totp["failed"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        row(&v["mfa"]["by_method"], "method", "webauthn")["failed"],
        0
    );

    assert_eq!(v["role_sync"]["syncs"], 2);
    assert_eq!(v["role_sync"]["failures"], 1);
    assert_eq!(v["role_sync"]["failures_last_15m"], 1);

    let azure = row(&v["providers"], "provider", "azure_ad");
    assert_eq!(
        (azure["total"].as_i64(), azure["failed"].as_i64()),
        (Some(18), Some(2))
    );
    assert_eq!(azure["active_sessions"], 9);
    let github = row(&v["providers"], "provider", "github");
    assert_eq!(
        (github["total"].as_i64(), github["failed"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(github["failure_rate"], 0.25);

    assert_eq!(
        v["active_sessions"], 9,
        "nine sessions validated; the denied one is not"
    );
    assert_eq!(v["session_health"], 0.9);

    let breaches: Vec<&str> = v["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        breaches,
        ["failure_rate", "oauth_flow_p95", "session_health"]
    );
    assert_eq!(v["thresholds"]["max_token_refresh_ms"], 500.0);

    // One point per minute of the hour, and the batch's events in one of the last ones.
    let series = v["series"].as_array().unwrap();
    assert_eq!(series.len(), 60);
    let counted: i64 = series.iter().map(|p| p["total"].as_i64().unwrap()).sum();
    assert_eq!(counted, 22);

    // One provider.
    let (s, g) = get(&h, "/api/v1/auth/summary?timeframe=1h&provider=github").await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(
        (
            g["totals"]["total"].as_i64(),
            g["totals"]["failed"].as_i64()
        ),
        (Some(4), Some(1))
    );
    assert_eq!(g["provider"], "github");
    assert_eq!(g["active_sessions"], 0);
    assert_eq!(g["previous"]["total"], 5);

    // 24 h holds both hours.
    let (_, d) = get(&h, "/api/v1/auth/summary?timeframe=24h").await;
    assert_eq!(d["totals"]["total"], 27);
    assert_eq!(d["series"].as_array().unwrap().len(), 24);
    // A week is charted by day: seven points holding everything.
    let (_, w) = get(&h, "/api/v1/auth/summary?timeframe=7d").await;
    assert_eq!(w["bucket_ms"], 86_400_000);
    let days = w["series"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(
        days.iter()
            .map(|p| p["total"].as_i64().unwrap())
            .sum::<i64>(),
        27
    );
}

#[tokio::test]
async fn thresholds_come_from_config() {
    let h = harness(&format!(
        "{QUIET}[auth_monitoring]\nmax_failure_rate = 0.2\nmax_oauth_flow_ms = 5000\n\
         min_session_health = 0.85\nproviders = [\"corp_sso\"]\n"
    ))
    .await;
    let mut batch = known_batch();
    batch.push(ev(
        "auth.login",
        "success",
        None,
        Some("corp_sso"),
        json!({}),
        None,
        30_000,
    ));
    let (s, v) = post_to(&h, "/api/v1/audit", &json!(batch), Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = get(&h, "/api/v1/auth/summary?timeframe=1h").await;
    assert_eq!(
        v["breaches"],
        json!([]),
        "every figure within the configured limits"
    );
    assert_eq!(row(&v["providers"], "provider", "corp_sso")["total"], 1);
    let (s, _) = get(&h, "/api/v1/auth/summary?timeframe=1h&provider=corp_sso").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let h = harness(QUIET).await;
    let batch = json!([
        ev(
            "auth.login",
            "success",
            Some(12.0),
            Some("github"),
            json!({}),
            None,
            1000
        ),
        ev(
            "auth.login",
            "success",
            Some(-3.0),
            Some("github"),
            json!({}),
            None,
            1000
        ),
        ev(
            "auth.mfa_challenge",
            "failure",
            Some(10.0),
            Some("git hub"),
            json!({"method": ["totp"]}),
            None,
            1000
        ),
    ]);
    let (s, v) = post_to(&h, "/api/v1/audit", &batch, Some(TOKEN)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<(i64, &str)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["index"].as_i64().unwrap(), p["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [(1, "duration_ms"), (2, "provider"), (2, "details.method")]
    );
    assert_eq!(h.state.store.count_audit_events().await.unwrap(), 0);
    let (_, v) = get(&h, "/api/v1/auth/summary").await;
    assert_eq!(v["totals"]["total"], 0, "nothing partial was stored");
    assert_eq!(v["timeframe"], "24h", "the default timeframe");

    for (uri, needle) in [
        ("/api/v1/auth/summary?timeframe=2h", "timeframe"),
        ("/api/v1/auth/summary?provider=made_up_idp", "provider"),
        ("/api/v1/auth/summary?bogus=1", "bogus"),
    ] {
        let (s, v) = get(&h, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v.to_string().contains(needle), "{uri}: {v}");
    }
    let (s, _, _) = send(
        &h,
        "GET",
        "/api/v1/auth/summary",
        None,
        axum::body::Body::empty(),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "token-protected like the other analytics"
    );
}

#[tokio::test]
async fn prometheus_shows_the_seed_series_with_bounded_labels() {
    let h = harness(QUIET).await;
    let mut batch = known_batch();
    // A provider and a method nobody listed are `other`, not new label values.
    batch.push(ev(
        "auth.mfa_challenge",
        "failure",
        Some(50.0),
        Some("idp-7f3a9"),
        json!({"method": "carrier_pigeon"}),
        None,
        1000,
    ));
    let (s, v) = post_to(&h, "/api/v1/audit", &json!(batch), Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, text) = call(&h, "GET", "/metrics").await;
    assert_eq!(s, StatusCode::OK);
    let value = |series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no {series}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        value(r#"auth_requests_total{auth_type="oauth_flow",provider="github",status="failure"}"#),
        1.0
    );
    assert_eq!(
        value(r#"auth_requests_total{auth_type="login",provider="github",status="success"}"#),
        7.0
    );
    assert_eq!(
        value(
            r#"auth_requests_total{auth_type="session_validation",provider="azure_ad",status="failure"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            r#"oauth_flows_total{flow_type="authorization_code",provider="azure_ad",status="success"}"#
        ),
        2.0
    );
    assert_eq!(
        value(r#"token_refresh_total{provider="azure_ad",status="success"}"#),
        3.0
    );
    assert_eq!(
        value(r#"mfa_challenges_total{method="totp",status="failure"}"#),
        1.0
    );
    assert_eq!(
        value(r#"mfa_challenges_total{method="other",status="failure"}"#),
        1.0
    );
    assert_eq!(
        value(
            r#"auth_request_duration_seconds_count{auth_type="token_refresh",provider="azure_ad"}"#
        ),
        3.0
    );
    assert_eq!(
        value(r#"rbac_checks_total{permission="auth_events",role="developer",status="denied"}"#),
        1.0
    );
    assert!(!text.contains("idp-7f3a9") && !text.contains("carrier_pigeon"));
    // The active-session gauge is recomputed by the gauges job (every minute).
    mcp_pulse::jobs::gauges::refresh(&h.state.store, &h.state.metrics).await;
    let (_, text) = call(&h, "GET", "/metrics").await;
    let gauge = text
        .lines()
        .find(|l| l.starts_with(r#"active_sessions_by_provider{provider="azure_ad"}"#))
        .unwrap_or_else(|| panic!("no session gauge in\n{text}"));
    assert!(gauge.ends_with(" 9"), "{gauge}");
    assert!(text.contains(r#"provider="other""#));
}
