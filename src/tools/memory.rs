//! Memory figures for `bench`: the streamed audit export's RSS growth, and the soak (a
//! separate `serve` process under 200 polling dashboards and 3,000 events/s).

use super::harness::{bench_router, remove_db, BenchResult, TOKEN};
use super::simulate::Generator;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Memory of the streamed audit export: ~100 MB of audit events (4 KB details each) read back
/// through the router while a sampler records this process's RSS.
pub(super) async fn export_memory(dir: &Path) -> BenchResult<()> {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    const EVENTS: usize = 25_000;
    println!("\n## Audit export of {EVENTS} events with 4 KB details each (streamed)");
    remove_db(&dir.join("export.db"));
    let (state, router) = bench_router(dir, "export.db", "").await?;
    let pad = "x".repeat(3_900);
    for chunk in 0..EVENTS / 1_000 {
        let batch: Vec<serde_json::Value> = (0..1_000)
            .map(|i| {
                serde_json::json!({"actor_id": format!("u{}", (chunk * 1_000 + i) % 300),
                    "actor_role": "analyst", "action": "resource.view", "outcome": "success",
                    "details": {"pad": pad}})
            })
            .collect();
        let req = Request::post("/api/v1/audit")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from(serde_json::Value::Array(batch).to_string()))?;
        let resp = router.clone().oneshot(req).await?;
        if !resp.status().is_success() {
            return Err(format!("audit ingest: {}", resp.status()).into());
        }
    }
    let me = std::process::id();
    let before = rss_mb(me);
    let peak = std::sync::Arc::new(std::sync::Mutex::new(before));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let now = rss_mb(me);
                if let Ok(mut p) = peak.lock() {
                    *p = p.max(now);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let started = Instant::now();
    let req = Request::get("/api/v1/audit/export?timeframe=1h&limit=100000")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())?;
    let resp = router.clone().oneshot(req).await?;
    let status = resp.status();
    let mut body = resp.into_body();
    let mut bytes = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            bytes += data.len();
        }
    }
    let took = started.elapsed();
    sampler.abort();
    let peak = peak.lock().map(|p| *p).unwrap_or(before);
    println!(
        "status {status}; {:.1} MB in {:.2} s; RSS before {before:.1} MB, peak {peak:.1} MB (+{:.1} MB)",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        peak - before
    );
    state.writer.shutdown().await;
    state.store.close().await;
    Ok(())
}

fn rss_mb(pid: u32) -> f64 {
    proc_kb(&format!("/proc/{pid}/status"), "VmRSS:") / 1024.0
}

/// RSS split into heap and stacks (anonymous), mapped files and shared memory (SQLite's
/// `-shm` index), so a figure that does not come back down says which of them held on.
fn rss_parts(pid: u32) -> String {
    let status = format!("/proc/{pid}/status");
    let mb = |key| proc_kb(&status, key) / 1024.0;
    format!(
        "anon {:.1}, file {:.1}, shmem {:.1} MB",
        mb("RssAnon:"),
        mb("RssFile:"),
        mb("RssShmem:")
    )
}

/// A `key: N kB` line of a /proc file, in kB (0 when absent).
fn proc_kb(path: &str, key: &str) -> f64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Memory under dashboard polling: a separate `serve` process (this binary), 200 clients
/// calling the Overview's `get_health` server function back to back and 3,000 events/s posted,
/// for `length`; RSS printed every 10 s, then after 30 s idle.
pub(super) async fn soak(dir: &Path, length: Duration) -> BenchResult<()> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let db = dir.join("soak.db");
    remove_db(&db);
    // 50 components, as in the measurement the issue reports: cheap TCP checks of our own port.
    let mut text = format!(
        "addr = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{}\"\n[ingest]\ntokens = [\"{TOKEN}\"]\n",
        db.display()
    );
    for i in 0..50 {
        text.push_str(&format!(
            "[[components]]\nname = \"c{i}\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {port}\ninterval = \"10s\"\n"
        ));
    }
    let conf = dir.join("soak.toml");
    std::fs::write(&conf, text)?;
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--config"])
        .arg(&conf)
        .env("PULSE_LOG", "warn")
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or("the server did not start")?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{base}/health/live"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "\n## Memory soak: 200 polling dashboards + 3000 events/s for {}",
        humantime::format_duration(length)
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_mb(pid);
    println!("idle RSS {idle:.1} MB ({})", rss_parts(pid));
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let mut tasks = spawn_load(&client, &base, &stop, &calls);
    let started = Instant::now();
    let mut peak = idle;
    while started.elapsed() < length {
        tokio::time::sleep(Duration::from_secs(10).min(length)).await;
        let rss = rss_mb(pid);
        peak = peak.max(rss);
        println!(
            "t={:>4} s  RSS {rss:>6.1} MB ({})  get_health calls so far {}",
            started.elapsed().as_secs(),
            rss_parts(pid),
            calls.load(Ordering::Relaxed)
        );
    }
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    tokio::time::sleep(Duration::from_secs(30)).await;
    let after = rss_mb(pid);
    println!(
        "peak RSS {peak:.1} MB; after 30 s idle {after:.1} MB ({:+.0} % against idle; {})",
        (after - idle) / idle * 100.0,
        rss_parts(pid)
    );
    let _ = child.kill().await;
    Ok(())
}

/// The soak's load: 200 clients calling `get_health` back to back and one posting 300 events
/// every 100 ms, until `stop`; `calls` counts answered polls.
fn spawn_load(
    client: &reqwest::Client,
    base: &str,
    stop: &Arc<AtomicBool>,
    calls: &Arc<AtomicU64>,
) -> tokio::task::JoinSet<()> {
    use leptos::server_fn::ServerFn;
    let mut tasks = tokio::task::JoinSet::new();
    let path = crate::ui::data::GetHealth::PATH;
    for _ in 0..200 {
        let (client, url, stop, calls) = (
            client.clone(),
            format!("{base}{path}"),
            stop.clone(),
            calls.clone(),
        );
        tasks.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("")
                    .send()
                    .await;
                if let Ok(r) = r {
                    let _ = r.bytes().await;
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    {
        let (client, url, stop) = (
            client.clone(),
            format!("{base}/api/v1/requests"),
            stop.clone(),
        );
        tasks.spawn(async move {
            let mut g = Generator::new(5);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let now = crate::model::now_ms();
                let batch: Vec<serde_json::Value> = (0..300).map(|_| g.event(now)).collect();
                let _ = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .json(&batch)
                    .send()
                    .await;
            }
        });
    }
    tasks
}
