//! `mcp-pulse bench`: server-rendered pages (`/`, `/requests`, `/roles`) through the router, ten
//! clients at once, as a logged-in admin: requests per second, p50, p99 and page size. Figures
//! only; nothing here asserts a speed.

use super::harness::{percentiles, BenchResult};
use crate::config::Config;
use crate::health::outcome::CheckOutcome;
use crate::permissions::Role;
use axum::body::Body;
use axum::http::Request;
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CLIENTS: usize = 10;
const RUN: Duration = Duration::from_secs(3);

/// Renders the pages over the store in `dir/name` (kept if present) with `components` HTTP
/// components, every one reported healthy except every 100th (so the Overview shows cards).
pub(super) async fn pages(
    dir: &Path,
    name: &str,
    components: usize,
    label: &str,
) -> BenchResult<()> {
    let mut text = format!(
        "database_url = \"sqlite://{}\"\n[ingest]\nself_instrument = false\n[audit]\nself_audit = false\n",
        dir.join(name).display()
    );
    for i in 0..components {
        text.push_str(&format!(
            "[[components]]\nname = \"svc-{i:04}\"\nkind = \"http\"\nurl = \"http://127.0.0.1:9/{i}\"\ninterval = \"1h\"\n"
        ));
    }
    let config = Config::from_sources(Some(("bench", &text)), |_| None)?;
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("mcp-pulse")
        .build();
    let state = crate::server::build_state(config, options).await?;
    for (i, cfg) in state.engine.components().to_vec().iter().enumerate() {
        let outcome = if i % 100 == 99 {
            CheckOutcome::unhealthy("connection refused", serde_json::Value::Null)
        } else {
            CheckOutcome::healthy(serde_json::json!({"status_code": 200}))
        };
        state
            .engine
            .record(cfg, outcome, Duration::from_millis(3))
            .await;
    }
    let cookie = admin_session(&state).await?;
    let router = crate::server::app(state.clone());
    // A gateway keeps sending while people look: a batch committed every second, so figures
    // shared between readers are computed again once a second, as in service.
    let feed = {
        let writer = state.writer.clone();
        tokio::spawn(async move {
            let mut g = crate::tools::simulate::Generator::new(5);
            loop {
                let batch = super::harness::events(&mut g, 20, crate::model::now_ms(), 1_000);
                if writer.submit(batch).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    for page in ["/", "/requests", "/roles"] {
        // Nothing shared yet: what one reader alone waits for.
        let (_, first, _, _) = hammer(&router, page, &cookie, 1, Duration::ZERO).await?;
        let before = state.writer.generation();
        let (rps, p50, p99, bytes) = hammer(&router, page, &cookie, CLIENTS, RUN).await?;
        let commits = state.writer.generation() - before;
        println!(
            "SSR {page:<9} {label:<32} {rps:>7.0} req/s  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  \
             {:>5.0} KB of HTML  (first render {first:.1} ms; {commits} commits meanwhile)",
            bytes as f64 / 1024.0
        );
    }
    feed.abort();
    state.writer.shutdown().await;
    state.store.close().await;
    Ok(())
}

async fn admin_session(state: &crate::state::AppState) -> BenchResult<String> {
    let store = &state.store;
    store
        .create_user("bench-admin", "not-a-password-hash", Role::Admin, 0)
        .await?;
    let user = store
        .user_by_name("bench-admin")
        .await?
        .ok_or("the bench user was not stored")?;
    let id = crate::access::secrets::session_id()?;
    store
        .create_session(
            &crate::access::secrets::digest(&id),
            user.id,
            crate::model::now_ms(),
        )
        .await?;
    Ok(format!("pulse_session={id}"))
}

/// `clients` loops requesting `uri` back to back for `run` (at least once each).
async fn hammer(
    router: &axum::Router,
    uri: &str,
    cookie: &str,
    clients: usize,
    run: Duration,
) -> BenchResult<(f64, f64, f64, usize)> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let router = router.clone();
        let uri = uri.to_string();
        let cookie = cookie.to_string();
        tasks.spawn(async move {
            let mut times = Vec::new();
            let mut bytes = 0;
            while times.is_empty() || started.elapsed() < run {
                let req = Request::get(&uri)
                    .header("cookie", &cookie)
                    .header("host", "127.0.0.1")
                    .body(Body::empty())?;
                let t = Instant::now();
                let resp = router.clone().oneshot(req).await?;
                let status = resp.status();
                let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
                times.push(t.elapsed());
                if !status.is_success() {
                    return Err(format!("{uri}: {status}").into());
                }
                bytes = body.len();
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((times, bytes))
        });
    }
    let mut all = Vec::new();
    let mut bytes = 0;
    while let Some(r) = tasks.join_next().await {
        let (times, b) = r??;
        all.extend(times);
        bytes = b;
    }
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    let (p50, p99) = percentiles(all);
    Ok((rps, p50, p99, bytes))
}
