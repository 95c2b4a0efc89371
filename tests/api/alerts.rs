//! Alerting end to end with real receivers on loopback: a real HTTP component goes down, its
//! rule fires, a signed webhook arrives (retried while the receiver fails), the alert shows in
//! the API, a restart sends nothing twice, and the resolve arrives; Debian's Alertmanager
//! receives and resolves Pulse's alerts; an SMTP sink gets the mails.

use super::helpers::{Harness, SERIAL};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use hmac::{Hmac, Mac};
use leptos::prelude::LeptosOptions;
use mcp_pulse::config::Config;
use mcp_pulse::server::build_state;
use serde_json::Value;
use sha2::Sha256;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the hook received: headers and body of each request.
type Received = Vec<(HeaderMap, Vec<u8>)>;

/// A loopback HTTP peer: `/health` answers `health` (the watched component), `/hook` records
/// what it is sent and answers `hook`.
#[derive(Clone, Default)]
struct Peer {
    health: Arc<AtomicU16>,
    db: Arc<AtomicU16>,
    hook: Arc<AtomicU16>,
    got: Arc<Mutex<Received>>,
}

impl Peer {
    async fn start() -> (Peer, u16) {
        let peer = Peer::default();
        peer.health.store(200, Ordering::SeqCst);
        peer.db.store(200, Ordering::SeqCst);
        peer.hook.store(200, Ordering::SeqCst);
        let router = axum::Router::new()
            .route(
                "/health",
                get(|State(p): State<Peer>| async move {
                    StatusCode::from_u16(p.health.load(Ordering::SeqCst)).unwrap()
                }),
            )
            .route(
                "/db",
                get(|State(p): State<Peer>| async move {
                    StatusCode::from_u16(p.db.load(Ordering::SeqCst)).unwrap()
                }),
            )
            .route(
                "/hook",
                post(
                    |State(p): State<Peer>, headers: HeaderMap, body: axum::body::Bytes| async move {
                        let code = p.hook.load(Ordering::SeqCst);
                        p.got.lock().unwrap().push((headers, body.to_vec()));
                        StatusCode::from_u16(code).unwrap()
                    },
                ),
            )
            .with_state(peer.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(l, router).await });
        (peer, port)
    }

    fn received(&self) -> Received {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests have reached the hook.
    async fn wait_for(&self, n: usize, within: Duration) -> Received {
        let end = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() > end {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn config(port: u16, extra: &str) -> String {
    format!(
        r#"
[ingest]
tokens = ["{token}"]
read_tokens = ["{read}"]

[health]
check_now_min_interval = "0s"

[[components]]
name = "docs-api"
kind = "http"
url = "http://127.0.0.1:{port}/health"
failure_threshold = 1
success_threshold = 1

[alerts]
evaluation_interval = "15s"
external_url = "https://pulse.example.org"

[[alerts.channels]]
name = "ops-webhook"
kind = "webhook"
url = "http://127.0.0.1:{port}/hook"
secret = "{SECRET}"
headers = {{ "X-Team" = "ops" }}

[[alerts.rules]]
name = "docs-api down"
metric = "component_unhealthy"
component = "docs-api"
op = "=="
threshold = 1
for = "0s"
severity = "high"
channels = ["ops-webhook"]
{extra}
"#,
        token = super::helpers::TOKEN,
        read = super::helpers::READ_TOKEN,
    )
}

async fn state_at(dir: &std::path::Path, text: &str) -> mcp_pulse::state::AppState {
    let text = format!(
        "database_url = \"sqlite://{}/pulse.db\"\n{text}",
        dir.display()
    );
    let config = Config::from_sources(Some(("test.toml", &text)), |_| None).unwrap();
    let options = LeptosOptions::builder().output_name("mcp-pulse").build();
    build_state(config, options).await.unwrap()
}

fn verify_standard_signature(headers: &HeaderMap, body: &[u8]) {
    let id = headers["webhook-id"].to_str().unwrap();
    let ts = headers["webhook-timestamp"].to_str().unwrap();
    let sig = headers["webhook-signature"].to_str().unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let want = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(sig, want, "the signature verifies with the secret");
    let age = mcp_pulse::model::now_ms() / 1000 - ts.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "the timestamp is now: {age}");
}

async fn api(h: &Harness, uri: &str) -> Value {
    let (code, body) = super::helpers::get(h, uri).await;
    assert_eq!(code, StatusCode::OK, "{uri}: {body}");
    body
}

#[tokio::test]
async fn a_component_outage_reaches_a_signed_webhook_once_and_its_resolve_follows() {
    let (peer, port) = Peer::start().await;
    let text = config(port, "");
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let state = state_at(dir.path(), &text).await;
    let h = Harness::from_state(state.clone(), turn);
    let _workers = state.alerts.spawn_delivery();
    let t0 = mcp_pulse::model::now_ms();

    // Healthy: nothing fires, nothing is sent.
    state.engine.check_now("docs-api").await.unwrap();
    state.alerts.tick(t0).await.unwrap();
    assert_eq!(api(&h, "/api/v1/alerts").await["firing"], 0);

    // The component fails, and the receiver is down too: the alert fires at once (`for` 0s)
    // and the delivery is retried.
    peer.health.store(503, Ordering::SeqCst);
    peer.hook.store(503, Ordering::SeqCst);
    state.engine.check_now("docs-api").await.unwrap();
    let r = state.alerts.tick(t0 + 15_000).await.unwrap();
    assert_eq!((r.transitions, r.notifications), (1, 1), "{r:?}");
    let active = api(&h, "/api/v1/alerts").await;
    assert_eq!(active["firing"], 1, "{active}");
    assert_eq!(active["worst_severity"], "high");
    let a = &active["alerts"][0];
    assert_eq!(a["rule"], "docs-api down");
    assert_eq!(a["labels"], serde_json::json!([["component", "docs-api"]]));
    assert_eq!(
        (a["value"].as_f64(), a["threshold"].as_f64()),
        (Some(1.0), Some(1.0))
    );
    let first = peer.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(first.len(), 1, "one attempt reached the failing receiver");

    // The receiver recovers; the retry (5 s backoff) delivers the same message id.
    peer.hook.store(200, Ordering::SeqCst);
    let got = peer.wait_for(2, Duration::from_secs(12)).await;
    assert_eq!(got.len(), 2, "the notification was retried");
    let (headers, body) = &got[1];
    assert_eq!(
        headers["webhook-id"], first[0].0["webhook-id"],
        "a retry keeps its id"
    );
    verify_standard_signature(headers, body);
    assert_eq!(headers["x-team"], "ops", "custom headers are sent");
    let n: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(n["name"], "docs-api down");
    assert_eq!(n["status"], "firing");
    assert_eq!(n["severity"], "high");
    assert_eq!(n["labels"]["component"], "docs-api");
    assert_eq!(n["metadata"]["value"], 1.0);
    assert_eq!(n["metadata"]["threshold"], 1.0);
    assert!(n["resolved_at"].is_null());
    let id = n["alert_id"].as_str().unwrap().to_string();
    assert_eq!(
        n["url"],
        format!("https://pulse.example.org/alerts#alert-{id}")
    );
    let hist = api(&h, "/api/v1/alerts/history").await;
    assert_eq!(hist["transitions"][0]["to_state"], "firing", "{hist}");
    assert_eq!(hist["transitions"][0]["notice"], "firing");

    // A restart while firing: the new process resumes the alert and tells no one again.
    drop(_workers);
    let again = state_at(dir.path(), &text).await;
    let _workers = again.alerts.spawn_delivery();
    again.engine.check_now("docs-api").await.unwrap();
    let r = again.alerts.tick(t0 + 30_000).await.unwrap();
    // (Pulse's own traffic may move the default error-rate rule from no data to inactive.)
    assert_eq!(r.notifications, 0, "{r:?}");
    let docs = again
        .alerts
        .history(None, Some("docs-api down"), None, 10)
        .await
        .unwrap();
    assert_eq!(
        docs.len(),
        1,
        "still the one transition to firing: {docs:?}"
    );
    assert_eq!(again.alerts.active().await[0].state, "firing");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(peer.received().len(), 2, "no duplicate after the restart");

    // Recovery: one resolve notice.
    peer.health.store(200, Ordering::SeqCst);
    again.engine.check_now("docs-api").await.unwrap();
    let r = again.alerts.tick(t0 + 45_000).await.unwrap();
    assert_eq!(r.notifications, 1, "{r:?}");
    let got = peer.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 3);
    let (headers, body) = &got[2];
    verify_standard_signature(headers, body);
    let n: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(n["status"], "resolved");
    assert_eq!(n["alert_id"], id.as_str());
    assert!(n["resolved_at"].is_string());
    assert!(again
        .alerts
        .active()
        .await
        .iter()
        .all(|a| a.state != "firing"));

    // The channel's last delivery and the attempts are on record, without the secret.
    let page = again.alerts.overview().await.unwrap();
    let ch = &page.channels[0];
    assert_eq!(
        ch.last.as_ref().map(|d| d.outcome.as_str()),
        Some("delivered")
    );
    assert_eq!(ch.target, format!("http://127.0.0.1:{port}"));
    assert_eq!(ch.pending, 0);
    let text = format!("{page:?}");
    assert!(!text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    let attempts = again.store.deliveries(None, 10).await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|d| d.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["delivered", "delivered", "failed"],
        "newest first"
    );
    assert_eq!(attempts[2].status, Some(503));
}

#[tokio::test]
async fn the_alerts_api_checks_its_input_and_the_test_notification_reports_its_result() {
    let (peer, port) = Peer::start().await;
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let second = format!(
        "[[alerts.channels]]\nname = \"second-webhook\"\nkind = \"webhook\"\n\
         url = \"http://127.0.0.1:{port}/hook\"\n"
    );
    let state = state_at(dir.path(), &config(port, &second)).await;
    let h = Harness::from_state(state, turn);
    for (uri, field) in [
        ("/api/v1/alerts/history?state=burning", "state"),
        ("/api/v1/alerts/history?rule=nope", "rule"),
        ("/api/v1/alerts/history?before=abc", "before"),
        ("/api/v1/alerts/history?limit=0", "limit"),
        ("/api/v1/alerts?x=1", "x"),
    ] {
        let (code, body) = super::helpers::get(&h, uri).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            body["error"].as_str().unwrap().contains(field),
            "{uri}: {body}"
        );
    }
    let cookie = h.session(mcp_pulse::permissions::Role::Developer).await;
    let send = |body: &'static str| {
        let cookie = cookie.clone();
        let router = h.router.clone();
        async move {
            use tower::ServiceExt;
            let req = axum::http::Request::post("/api/v1/alerts/test")
                .header("cookie", cookie)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap();
            let resp = router.oneshot(req).await.unwrap();
            let code = resp.status();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                code,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    let (code, body) = send(r#"{"channel": "ops-webhook"}"#).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["delivered"], true);
    let got = peer.received();
    assert_eq!(got.len(), 1);
    let n: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(n["test"], true, "clearly marked as a test");
    verify_standard_signature(&got[0].0, &got[0].1);
    // A second test to the same channel at once is refused, not sent: nothing floods a receiver.
    let (code, body) = send(r#"{"channel": "ops-webhook"}"#).await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("try again in"),
        "{body}"
    );
    assert_eq!(peer.received().len(), 1);
    // A receiver that fails: the answer says so with its status.
    peer.hook.store(500, Ordering::SeqCst);
    let (_, body) = send(r#"{"channel": "second-webhook"}"#).await;
    assert_eq!(body["delivered"], false);
    assert_eq!(body["attempt"]["status"], 500);
    let (code, body) = send(r#"{"channel": "pager"}"#).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
    let (code, _) = send(r#"{"chanel": "ops-webhook"}"#).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

/// A child process killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    super::helpers::closed_port()
}

async fn wait_until(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + within;
    while !ok() {
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Debian's Alertmanager on a loopback port, with a config that routes nowhere.
async fn alertmanager(dir: &std::path::Path) -> (Child, u16) {
    let port = free_port();
    let cfg = dir.join("am.yml");
    std::fs::write(
        &cfg,
        "route:\n  receiver: none\nreceivers:\n  - name: none\n",
    )
    .unwrap();
    let child = std::process::Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("prometheus-alertmanager runs (scripts/bootstrap.sh installs it)");
    let child = Child(child);
    let url = format!("http://127.0.0.1:{port}/-/ready");
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "Alertmanager did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, port)
}

async fn am_alerts(port: u16) -> Vec<Value> {
    reqwest::get(format!("http://127.0.0.1:{port}/api/v2/alerts"))
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap()
}

#[tokio::test]
async fn alertmanager_receives_pulses_alert_and_its_resolve() {
    let (peer, port) = Peer::start().await;
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_am, am_port) = alertmanager(dir.path()).await;
    let text = config(port, "").replace(
        "channels = [\"ops-webhook\"]",
        "channels = [\"am\"]\n\n[[alerts.channels]]\nname = \"am\"\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:AMPORT\"",
    );
    // The channel table must come after the rule's keys end; TOML allows it anywhere at top level.
    let text = text.replace("AMPORT", &am_port.to_string());
    let state = state_at(dir.path(), &text).await;
    let _h = Harness::from_state(state.clone(), turn);
    let _workers = state.alerts.spawn_delivery();
    let t0 = mcp_pulse::model::now_ms();
    peer.health.store(503, Ordering::SeqCst);
    state.engine.check_now("docs-api").await.unwrap();
    state.alerts.tick(t0).await.unwrap();
    let mut seen = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.is_empty() && tokio::time::Instant::now() < end {
        seen = am_alerts(am_port).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
    let a = &seen[0];
    assert_eq!(a["labels"]["alertname"], "docs-api down");
    assert_eq!(a["labels"]["severity"], "high");
    assert_eq!(a["labels"]["component"], "docs-api");
    assert_eq!(a["status"]["state"], "active");
    assert_eq!(a["annotations"]["value"], "1");
    assert!(a["generatorURL"]
        .as_str()
        .unwrap()
        .contains("/alerts#alert-"));
    // Recovery: the resolve sets endsAt, and Alertmanager no longer lists it.
    peer.health.store(200, Ordering::SeqCst);
    state.engine.check_now("docs-api").await.unwrap();
    state.alerts.tick(t0 + 15_000).await.unwrap();
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.is_empty() && tokio::time::Instant::now() < end {
        seen = am_alerts(am_port).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.is_empty(), "resolved in Alertmanager: {seen:?}");
    assert!(
        peer.received().is_empty(),
        "the webhook channel was not chosen"
    );
}

#[tokio::test]
async fn an_smtp_server_receives_the_alert_mail_and_the_resolve_mail() {
    let (peer, port) = Peer::start().await;
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let maildir = dir.path().join("mail");
    let child = std::process::Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{smtp_port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3-aiosmtpd runs (scripts/bootstrap.sh installs it)");
    let _smtp = Child(child);
    wait_until("the SMTP sink", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_ok()
    })
    .await;
    let text = config(port, "").replace(
        "channels = [\"ops-webhook\"]",
        &format!(
            "channels = [\"mail\"]\n\n[[alerts.channels]]\nname = \"mail\"\nkind = \"email\"\n\
             url = \"smtp://127.0.0.1:{smtp_port}\"\nfrom = \"pulse@example.org\"\n\
             to = [\"ops@example.org\", \"oncall@example.org\"]"
        ),
    );
    let state = state_at(dir.path(), &text).await;
    let _h = Harness::from_state(state.clone(), turn);
    let _workers = state.alerts.spawn_delivery();
    let t0 = mcp_pulse::model::now_ms();
    let mails = || -> Vec<String> {
        let mut out: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(maildir.join("new"))
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        (
                            e.metadata().and_then(|m| m.modified()).unwrap(),
                            std::fs::read_to_string(e.path()).unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out.into_iter().map(|(_, m)| m).collect()
    };
    peer.health.store(503, Ordering::SeqCst);
    state.engine.check_now("docs-api").await.unwrap();
    state.alerts.tick(t0).await.unwrap();
    wait_until("the alert mail", Duration::from_secs(10), || {
        mails().len() == 1
    })
    .await;
    peer.health.store(200, Ordering::SeqCst);
    state.engine.check_now("docs-api").await.unwrap();
    state.alerts.tick(t0 + 15_000).await.unwrap();
    wait_until("the resolve mail", Duration::from_secs(10), || {
        mails().len() == 2
    })
    .await;
    let got = mails();
    let fired = &got[0];
    assert!(fired.contains("Subject: [HIGH] docs-api down"), "{fired}");
    assert!(fired.contains("From: pulse@example.org"), "{fired}");
    assert!(fired.contains("ops@example.org") && fired.contains("oncall@example.org"));
    assert!(fired.contains("multipart/alternative"), "{fired}");
    assert!(fired.contains("Content-Type: text/plain"), "{fired}");
    assert!(fired.contains("Content-Type: text/html"), "{fired}");
    assert!(fired.contains("component: docs-api"), "{fired}");
    let resolved = &got[1];
    assert!(
        resolved.contains("Subject: [RESOLVED] docs-api down"),
        "{resolved}"
    );
    assert!(resolved.contains("Resolved at:"), "{resolved}");
    // The attempt is recorded just after the server's answer.
    let mut last = None;
    for _ in 0..50 {
        let channels = state.alerts.channels().await.unwrap();
        last = channels
            .iter()
            .find(|c| c.name == "mail")
            .and_then(|c| c.last.clone());
        if last.as_ref().is_some_and(|d| d.kind == "resolved") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = last.expect("a delivery is recorded");
    assert_eq!((d.outcome.as_str(), d.status), ("delivered", Some(250)));
}

/// The hook's notifications as JSON, in arrival order.
fn bodies(peer: &Peer) -> Vec<Value> {
    peer.received()
        .iter()
        .map(|(_, b)| serde_json::from_slice(b).unwrap())
        .collect()
}

async fn manager_post(h: &Harness, cookie: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let (code, text, _) = super::helpers::request(
        h,
        "POST",
        uri,
        &[("cookie", cookie), ("content-type", "application/json")],
        axum::body::Body::from(body.to_string()),
    )
    .await;
    (code, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn silences_windows_and_dependencies_hold_back_new_alerts_but_not_earlier_resolves() {
    let (peer, port) = Peer::start().await;
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    // docs-api depends on gateway-db; one rule watches every component.
    let text = config(port, "")
        .replace(
            "success_threshold = 1\n",
            "success_threshold = 1\ndepends_on = [\"gateway-db\"]\n\n[[components]]\nname = \"gateway-db\"\nkind = \"http\"\nurl = \"http://127.0.0.1:PORT/db\"\nfailure_threshold = 1\nsuccess_threshold = 1\n",
        )
        .replace("PORT", &port.to_string())
        .replace("name = \"docs-api down\"", "name = \"down\"")
        .replace("component = \"docs-api\"\n", "");
    let state = state_at(dir.path(), &text).await;
    let h = Harness::from_state(state.clone(), turn);
    let _workers = state.alerts.spawn_delivery();
    let manager = h.session(mcp_pulse::permissions::Role::Manager).await;
    let check = || async {
        state.engine.check_now("docs-api").await.unwrap();
        state.engine.check_now("gateway-db").await.unwrap();
        state.alerts.tick(mcp_pulse::model::now_ms()).await.unwrap()
    };
    let firing_of = |component: &str| {
        bodies(&peer)
            .into_iter()
            .filter(|n| n["labels"]["component"] == component && n["status"] == "firing")
            .count()
    };

    // 1. A silence on docs-api: its outage is recorded, shown as suppressed, not sent.
    let (code, body) = manager_post(
        &h,
        &manager,
        "/api/v1/alerts/silences/create",
        // Alertmanager's matcher syntax; the expression must match the whole component name.
        r#"{"matchers": ["alertname=down", "component=~\"docs-.*\""], "duration": "1h", "comment": "deploying docs"}"#,
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let silence = body["id"].as_i64().unwrap();
    peer.health.store(503, Ordering::SeqCst);
    let r = check().await;
    assert_eq!(r.notifications, 0, "{r:?}");
    let active = state.alerts.active().await;
    let docs = active.iter().find(|a| a.labels[0].1 == "docs-api").unwrap();
    assert_eq!(docs.state, "firing");
    assert_eq!(
        docs.suppressed_by.as_deref(),
        Some(format!("silence {silence}").as_str())
    );
    let hist = state
        .alerts
        .history(None, Some("down"), Some("firing"), 5)
        .await
        .unwrap();
    assert_eq!(hist[0].notice, format!("suppressed: silence {silence}"));
    // Expired while the outage goes on: now it is sent.
    let (code, _) = manager_post(
        &h,
        &manager,
        &format!("/api/v1/alerts/silences/{silence}/expire"),
        "",
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let r = check().await;
    assert_eq!(r.notifications, 1, "{r:?}");
    peer.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(firing_of("docs-api"), 1);

    // 2. A maintenance window opened after it fired: the resolve of that earlier alert still
    //    goes out; a new outage of docs-api inside the window is held back.
    let now = mcp_pulse::model::now_ms();
    let window = format!(
        r#"{{"name": "docs upgrade", "components": ["docs-api"], "start": "{}", "end": "{}"}}"#,
        mcp_pulse::model::rfc3339_ms(now - 60_000),
        mcp_pulse::model::rfc3339_ms(now + 3_600_000)
    );
    let (code, body) =
        manager_post(&h, &manager, "/api/v1/alerts/maintenance/create", &window).await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let window_id = body["id"].as_i64().unwrap();
    peer.health.store(200, Ordering::SeqCst);
    check().await;
    let got = peer.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        bodies(&peer)[1]["status"],
        "resolved",
        "the earlier alert's resolve"
    );
    peer.health.store(503, Ordering::SeqCst);
    let r = check().await;
    assert_eq!(r.notifications, 0, "{r:?}");
    let docs = state.alerts.active().await;
    assert_eq!(
        docs.iter()
            .find(|a| a.labels[0].1 == "docs-api")
            .unwrap()
            .suppressed_by
            .as_deref(),
        Some("maintenance docs upgrade")
    );
    let (code, _) = manager_post(
        &h,
        &manager,
        &format!("/api/v1/alerts/maintenance/{window_id}/expire"),
        "",
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    peer.health.store(200, Ordering::SeqCst);
    check().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        peer.received().len(),
        2,
        "an alert never announced has no resolve notice"
    );

    // 3. gateway-db down, docs-api down behind it: only the root is sent; when the root
    //    recovers and docs-api still fails, docs-api is sent then.
    peer.db.store(503, Ordering::SeqCst);
    peer.health.store(503, Ordering::SeqCst);
    let r = check().await;
    assert_eq!(r.notifications, 1, "{r:?}");
    peer.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(firing_of("gateway-db"), 1);
    let docs = state.alerts.active().await;
    assert_eq!(
        docs.iter()
            .find(|a| a.labels[0].1 == "docs-api")
            .unwrap()
            .suppressed_by
            .as_deref(),
        Some("dependency gateway-db")
    );
    peer.db.store(200, Ordering::SeqCst);
    let r = check().await;
    assert_eq!(
        r.notifications, 2,
        "gateway-db resolved, docs-api released: {r:?}"
    );
    peer.wait_for(5, Duration::from_secs(5)).await;
    assert_eq!(firing_of("docs-api"), 2);

    // Bad input: named fields, nothing stored.
    for (uri, body, field) in [
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": {}, "duration": "1h", "comment": "x"}"#,
            "matchers",
        ),
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": {"alertname": "down"}, "duration": "1h", "comment": ""}"#,
            "comment",
        ),
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": {"alertname": "down"}, "comment": "x"}"#,
            "duration",
        ),
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": {"alertname": "down"}, "ends_at": "2020-01-01T00:00:00Z", "comment": "x"}"#,
            "ends_at",
        ),
        (
            "/api/v1/alerts/maintenance/create",
            r#"{"name": "x", "components": ["nope"], "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}"#,
            "components",
        ),
        (
            "/api/v1/alerts/maintenance/create",
            r#"{"name": "x", "at": "02:00", "duration": "1h", "timezone": "Mars/Olympus"}"#,
            "timezone",
        ),
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": ["alertname=~.*"], "duration": "1h", "comment": "would silence everything"}"#,
            "matchers",
        ),
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": ["alertname=~(unclosed"], "duration": "1h", "comment": "x"}"#,
            "matchers",
        ),
        (
            "/api/v1/alerts/silences/create",
            r#"{"matchers": ["no operator here"], "duration": "1h", "comment": "x"}"#,
            "matchers",
        ),
        ("/api/v1/alerts/silences/abc/expire", "", "id"),
    ] {
        let (code, body) = manager_post(&h, &manager, uri, body).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(field),
            "{uri}: {body}"
        );
    }
    let (code, _) = manager_post(&h, &manager, "/api/v1/alerts/silences/999/expire", "").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let listed = api(&h, "/api/v1/alerts/silences").await;
    assert_eq!(listed["silences"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["silences"][0]["created_by"], "manager-user");
    assert_eq!(
        listed["silences"][0]["matchers"][1],
        serde_json::json!({"name": "component", "op": "=~", "value": "docs-.*"}),
        "{listed}"
    );
    let listed = api(&h, "/api/v1/alerts/maintenance").await;
    assert!(
        listed["windows"].as_array().unwrap().is_empty(),
        "expired: {listed}"
    );
    // A developer may not silence.
    let dev = h.session(mcp_pulse::permissions::Role::Developer).await;
    let (code, _) = manager_post(
        &h,
        &dev,
        "/api/v1/alerts/silences/create",
        r#"{"matchers": {"alertname": "down"}, "duration": "1h", "comment": "x"}"#,
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_real_outage_reaches_the_webhook_through_the_scheduler_and_the_evaluator() {
    let (peer, port) = Peer::start().await;
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let text = config(port, "")
        .replace(
            "evaluation_interval = \"15s\"",
            "evaluation_interval = \"1s\"",
        )
        .replace(
            "failure_threshold = 1\n",
            "failure_threshold = 1\ninterval = \"1s\"\ntimeout = \"500ms\"\n",
        );
    let state = state_at(dir.path(), &text).await;
    let _h = Harness::from_state(state.clone(), turn);
    // The real loops: scheduled checks, evaluation every second, delivery.
    let _checks = state.engine.spawn(Duration::from_secs(3600));
    let _alerting = state.alerts.spawn();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(peer.received().is_empty(), "healthy: nothing sent");
    let stopped = tokio::time::Instant::now();
    peer.health.store(503, Ordering::SeqCst);
    // `for` is 0s and evaluation runs every second: the alert is due within two intervals of
    // the check that sees the failure. The bound here is generous; the figure is printed.
    let got = peer.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "the outage reached the webhook");
    println!(
        "outage → webhook: {:.1} s (check interval 1 s, evaluation interval 1 s)",
        stopped.elapsed().as_secs_f64()
    );
    let n: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(
        (n["name"].as_str(), n["status"].as_str()),
        (Some("docs-api down"), Some("firing"))
    );
}

#[tokio::test]
async fn a_stalled_receiver_holds_up_only_its_own_channel() {
    let (peer, port) = Peer::start().await;
    // Accepts connections and never answers.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stall_port = stall.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = stall.accept().await {
            held.push(sock);
        }
    });
    let turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let text = config(port, "").replace(
        "channels = [\"ops-webhook\"]",
        &format!(
            "channels = [\"stalled\", \"ops-webhook\"]\n\n[[alerts.channels]]\nname = \"stalled\"\n\
             kind = \"webhook\"\nurl = \"http://127.0.0.1:{stall_port}/hook\""
        ),
    );
    let state = state_at(dir.path(), &text).await;
    let _h = Harness::from_state(state.clone(), turn);
    let _workers = state.alerts.spawn_delivery();
    peer.health.store(503, Ordering::SeqCst);
    state.engine.check_now("docs-api").await.unwrap();
    let started = tokio::time::Instant::now();
    let r = state.alerts.tick(mcp_pulse::model::now_ms()).await.unwrap();
    assert_eq!(r.notifications, 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "evaluation does not wait for delivery"
    );
    let got = peer.wait_for(1, Duration::from_secs(3)).await;
    assert_eq!(got.len(), 1, "the other channel was not held up");
    // The stalled attempt ends at the per-attempt timeout and is scheduled again.
    let mut failed = None;
    for _ in 0..150 {
        let d = state.store.deliveries(None, 10).await.unwrap();
        failed = d.into_iter().find(|d| d.channel == "stalled");
        if failed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = failed.expect("the stalled attempt is recorded");
    assert_eq!(failed.outcome, "failed");
    assert_eq!(failed.detail, "no answer within 10 s");
    let ch = state.alerts.channels().await.unwrap();
    let stalled = ch.iter().find(|c| c.name == "stalled").unwrap();
    assert_eq!(stalled.pending, 1, "still waiting for a retry");
}
