//! `mcp-pulse bench`: prints ingest throughput (HTTP, writer, bare INSERT loop) and analytics
//! query latency (rollups vs a naive GROUP BY over raw rows) at the given sizes. Figures only;
//! nothing here asserts a speed.

use super::harness::{
    bench_router, events, percentiles, remove_db, serve_for_bench, BenchResult, TOKEN,
};
use super::simulate::Generator;
use crate::analytics::{service, SortBy};
use crate::config::TrafficSettings;
use crate::ingest::{Limits, Writer};
use crate::metrics::Metrics;
use crate::span::Span;
use crate::store::traffic::{bind_request, EVENT_COLS, EVENT_PARAMS};
use crate::store::{RequestEvent, Store};
use std::path::Path;
use std::time::{Duration, Instant};

const DAY_MS: i64 = 86_400_000;

async fn fresh(dir: &Path, name: &str) -> BenchResult<(Store, String)> {
    let path = dir.join(name);
    remove_db(&path);
    let url = format!("sqlite://{}", path.display());
    Ok((Store::connect(&url).await?, url))
}

fn rate(n: usize, took: Duration) -> String {
    format!("{:>10.0} events/s", n as f64 / took.as_secs_f64())
}

/// The baseline: the same rows, multi-row INSERTs in transactions of `chunk`, no rollups.
async fn bare_loop(url: &str, events: &[RequestEvent], chunk: usize) -> BenchResult<Duration> {
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&pool)
        .await?;
    let started = Instant::now();
    for part in events.chunks(chunk) {
        let mut tx = pool.begin().await?;
        for rows in part.chunks(2000) {
            let sql = format!(
                "INSERT INTO request_events ({EVENT_COLS}) VALUES {}",
                crate::store::values(EVENT_PARAMS, rows.len())
            );
            let q = rows
                .iter()
                .fold(sqlx::query(&sql), |q, e| bind_request(q, e));
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let took = started.elapsed();
    pool.close().await;
    Ok(took)
}

async fn through_writer(
    store: Store,
    events: &[RequestEvent],
    batch: usize,
) -> BenchResult<Duration> {
    let settings = TrafficSettings {
        flush_rows: 20_000,
        flush_interval: Duration::from_millis(20),
        queue_events: 1_000_000,
        ..TrafficSettings::default()
    };
    let writer = Writer::start(store, Metrics::new()?, &settings);
    let batches: Vec<Vec<RequestEvent>> = events.chunks(batch).map(|c| c.to_vec()).collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..4 {
        let w = writer.clone();
        let mine: Vec<Vec<RequestEvent>> = batches.iter().skip(lane).step_by(4).cloned().collect();
        tasks.spawn(async move {
            for b in mine {
                w.submit(b).await?;
            }
            Ok::<_, crate::ingest::WriterError>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let took = started.elapsed();
    writer.shutdown().await;
    Ok(took)
}

async fn through_http(
    dir: &Path,
    events: &[RequestEvent],
    n: usize,
    batch: usize,
) -> BenchResult<Duration> {
    let (state, addr, server) = serve_for_bench(dir, "http.db", batch).await?;
    // Bodies are prepared up front: the figure is Pulse's, not the client's JSON encoder's.
    let bodies: Vec<Vec<u8>> = events
        .iter()
        .take(n)
        .collect::<Vec<_>>()
        .chunks(batch)
        .map(|c| {
            let v: Vec<serde_json::Value> = c
                .iter()
                .map(|e| {
                    serde_json::json!({"ts": crate::model::rfc3339_ms(crate::model::now_ms()),
                        "method": e.method, "route": e.route, "tool": e.tool, "server": e.server,
                        "status": e.status, "duration_ms": e.duration_ms, "user_id": e.user_id,
                        "role": e.role, "bytes_in": e.bytes_in, "bytes_out": e.bytes_out,
                        "client_ip": "10.0.0.1", "user_agent": e.user_agent})
                })
                .collect();
            serde_json::to_vec(&v).unwrap_or_default()
        })
        .collect();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/requests");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..4 {
        let mine: Vec<Vec<u8>> = bodies.iter().skip(lane).step_by(4).cloned().collect();
        let client = client.clone();
        let url = url.clone();
        tasks.spawn(async move {
            for body in mine {
                let r = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if r.status() != 200 {
                    return Err(format!("ingest answered {}", r.status()).into());
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let took = started.elapsed();
    server.abort();
    state.writer.shutdown().await;
    Ok(took)
}

async fn time_query<F, Fut, T>(runs: usize, mut f: F) -> BenchResult<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::store::StoreError>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(f().await?);
        times.push(started.elapsed());
    }
    Ok(percentiles(times))
}

/// Only the memory soak, in `dir`.
pub async fn soak_only(dir: &Path, length: Duration) -> BenchResult<()> {
    std::fs::create_dir_all(dir)?;
    super::memory::soak(dir, length).await
}

pub async fn run(
    dir: &Path,
    throughput_events: usize,
    sizes: &[usize],
    audit_sizes: &[usize],
    soak_for: Duration,
) -> BenchResult<()> {
    std::fs::create_dir_all(dir)?;
    let now = crate::model::now_ms();
    let mut g = Generator::new(11);
    // The CPU's name, as Linux reports it (elsewhere: unknown).
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "# Pulse benchmark, {} ({} cores, {cpu}), release {}",
        chrono::DateTime::from_timestamp_millis(now)
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        env!("CARGO_PKG_VERSION"),
    );
    println!(
        "\n## Server-rendered pages, {} clients through the router",
        10
    );
    for n in [50usize, 100, 1000] {
        let name = format!("ssr{n}.db");
        remove_db(&dir.join(&name));
        super::ssr_bench::pages(dir, &name, n, &format!("{n} components, empty store")).await?;
        remove_db(&dir.join(&name));
    }
    println!("\n## Ingest throughput, {throughput_events} events into SQLite, batches of 5000");
    let evs = events(&mut g, throughput_events, now, 3_600_000);
    let (_, url) = fresh(dir, "bare.db").await?;
    let bare = bare_loop(&url, &evs, 20_000).await?;
    println!(
        "bare sqlx multi-row INSERT loop (raw rows only): {}",
        rate(evs.len(), bare)
    );
    let (store, _) = fresh(dir, "writer.db").await?;
    let writer = through_writer(store.clone(), &evs, 5000).await?;
    store.close().await;
    println!(
        "batching writer (raw rows + minute, hour and day rollups): {}  ({:.0} % of bare)",
        rate(evs.len(), writer),
        bare.as_secs_f64() / writer.as_secs_f64() * 100.0
    );
    let http = through_http(dir, &evs, evs.len(), 5000).await?;
    println!(
        "HTTP end to end (POST /api/v1/requests, 4 clients): {}",
        rate(evs.len(), http)
    );
    for transport in [
        super::otlp_bench::Transport::Http,
        super::otlp_bench::Transport::Grpc,
    ] {
        let took = super::otlp_bench::spans(dir, &evs, 5000, transport).await?;
        println!(
            "OTLP end to end ({}, spans of MCP tool calls, 4 clients): {}",
            transport.label(),
            rate(evs.len(), took).replace("events/s", "spans/s")
        );
    }
    let size = std::fs::metadata(dir.join("writer.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(dir.join("writer.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "storage: {:.0} bytes per stored event (raw row + its share of rollups, SQLite file)",
        size as f64 / evs.len() as f64
    );

    for &n in sizes {
        println!("\n## Queries at {n} stored events (spread over 7 days)");
        let (store, _) = fresh(dir, &format!("q{n}.db")).await?;
        let fill = Instant::now();
        let mut left = n;
        let chunk = 50_000;
        let mut i = 0i64;
        while left > 0 {
            let take = left.min(chunk);
            // Each chunk covers its slice of the week, oldest first.
            let slice_end = now - 7 * DAY_MS + (i + 1) * (7 * DAY_MS) * chunk as i64 / n as i64;
            let span = (7 * DAY_MS) * take as i64 / n as i64;
            let part = events(&mut g, take, slice_end.min(now), span.max(1));
            store.insert_requests(&part).await?;
            left -= take;
            i += 1;
        }
        println!("filled in {:.1} s", fill.elapsed().as_secs_f64());
        let s = &store;
        let runs = 30;
        let (p50, p99) = time_query(runs, || service::real_time(s, now)).await?;
        println!("real-time (rollups):              p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || service::trends(s, now, 24)).await?;
        println!("trends 24h (rollups):             p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || service::trends(s, now, 168)).await?;
        println!("trends 7d (rollups):              p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (e50, e99) = time_query(runs, || {
            service::endpoints(s, now, Span::D7, SortBy::P95, 100)
        })
        .await?;
        println!("endpoints 7d (rollups):           p50 {e50:>8.2} ms  p99 {e99:>8.2} ms");
        let (n50, n99) = time_query(5, || s.naive_endpoint_counts(now - 7 * DAY_MS)).await?;
        println!("endpoints 7d (naive GROUP BY raw): p50 {n50:>8.2} ms  p99 {n99:>8.2} ms  ({:.0}x slower at p50)", n50 / e50);
        // 200 ticks (50 minutes of service): with 30, p99 was simply the slowest one.
        super::alert_bench::alert_tick(dir, &format!("q{n}.db"), 200, n / (7 * 24 * 60)).await?;
        super::ssr_bench::pages(
            dir,
            &format!("q{n}.db"),
            50,
            &format!("50 components, {n} events"),
        )
        .await?;
        store.close().await;
        remove_db(&dir.join(format!("q{n}.db")));
    }
    for &n in audit_sizes.iter().filter(|&&n| n > 0) {
        roles(dir, n, now).await?;
    }
    println!(
        "\n## 100 000 distinct routes posted over the last hour, then reads through the router"
    );
    for cap in [1_000, 1_000_000] {
        distinct_routes(dir, cap).await?;
    }
    super::memory::export_memory(dir).await?;
    if !soak_for.is_zero() {
        super::memory::soak(dir, soak_for).await?;
    }
    Ok(())
}

/// Posts 100 000 events with 100 000 distinct routes through `POST /api/v1/requests`, then
/// times the reads whose cost used to grow with distinct endpoints: real-time, 7-day endpoints
/// and the Overview's server render (all through the router, no socket).
async fn distinct_routes(dir: &Path, cap: usize) -> BenchResult<()> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let name = format!("routes{cap}.db");
    remove_db(&dir.join(&name));
    let (state, router) =
        bench_router(dir, &name, &format!("max_endpoints_per_day = {cap}\n")).await?;
    let now = crate::model::now_ms();
    let started = Instant::now();
    for chunk in 0..20 {
        let batch: Vec<serde_json::Value> = (0..5_000)
            .map(|i| {
                let n = chunk * 5_000 + i;
                serde_json::json!({
                    "ts": crate::model::rfc3339_ms(now - 3_500_000 + n as i64 * 30),
                    "method": "POST", "route": format!("/made-up/{n}"), "status": 200,
                    "duration_ms": (n % 500) as f64,
                })
            })
            .collect();
        let req = Request::post("/api/v1/requests")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from(serde_json::Value::Array(batch).to_string()))?;
        let resp = router.clone().oneshot(req).await?;
        if !resp.status().is_success() {
            return Err(format!("ingest: {}", resp.status()).into());
        }
    }
    let posted = started.elapsed();
    let mut line = format!(
        "max_endpoints_per_day {cap:>7}: posted in {:.1} s;",
        posted.as_secs_f64()
    );
    for (what, uri, token) in [
        ("real-time", "/api/v1/analytics/real-time", true),
        (
            "endpoints 7d",
            "/api/v1/analytics/endpoints?window=7d&sort=p95",
            true,
        ),
        ("Overview SSR", "/", false),
    ] {
        let mut times = Vec::new();
        for _ in 0..20 {
            let mut req = Request::get(uri);
            if token {
                req = req.header("authorization", format!("Bearer {TOKEN}"));
            }
            let started = Instant::now();
            let resp = router.clone().oneshot(req.body(Body::empty())?).await?;
            let status = resp.status();
            axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            times.push(started.elapsed());
            if !status.is_success() {
                return Err(format!("{uri}: {status}").into());
            }
        }
        let (p50, p99) = percentiles(times);
        line.push_str(&format!(" {what} p50 {p50:.1} ms p99 {p99:.1} ms;"));
    }
    // The API answer above is shared between readers; this is what computing it costs.
    let (p50, p99) = time_query(20, || service::real_time(&state.store, now)).await?;
    line.push_str(&format!(
        " real-time uncached p50 {p50:.1} ms p99 {p99:.1} ms"
    ));
    println!("{line}");
    state.writer.shutdown().await;
    state.store.close().await;
    Ok(())
}

/// The role views and the auth summary at `n` audit events over 30 days (3000 users, one in
/// four an auth event with a provider outage now and then, a request event per ten audit
/// events, the demo migration), every timeframe.
async fn roles(dir: &Path, n: usize, now: i64) -> BenchResult<()> {
    use crate::analytics::roles_service as rs;
    use crate::audit::{validate_audit_batch, AuditLimits, Categories};
    println!(
        "\n## Role views and the auth summary at {n} stored audit events (30 days, 3000 users)"
    );
    let name = format!("roles{n}.db");
    let (store, _) = fresh(dir, &name).await?;
    let mut g = Generator::new(17).with_users(500);
    let categories = Categories::default();
    let span = 30 * DAY_MS;
    let fill = Instant::now();
    let chunk = 50_000;
    let mut done = 0;
    while done < n {
        let take = chunk.min(n - done);
        let from = now - span + span * done as i64 / n as i64;
        let step = span / n as i64;
        let mut json: Vec<serde_json::Value> = (0..take)
            .map(|i| {
                let ts = from + i as i64 * step.max(1);
                if i % 4 == 0 {
                    g.auth_event(ts, i % 1000 < 50)
                } else {
                    g.audit_event(ts)
                }
            })
            .collect();
        if done == n / 2 {
            json.extend(std::iter::from_fn(|| g.migration_step(from)));
        }
        let limits = AuditLimits {
            time: Limits {
                now_ms: now + 1,
                max_future_ms: 60_000,
                oldest_ms: now - span - 1,
            },
            max_details_bytes: 4096,
            categories: &categories,
        };
        let audits = validate_audit_batch(&json, limits)
            .map_err(|p| format!("generated audit events are invalid: {:?}", p.first()))?;
        let requests = events(
            &mut g,
            take / 10,
            from + take as i64 * step,
            take as i64 * step,
        );
        store.insert_batch(&requests, &audits).await?;
        done += take;
    }
    let took = fill.elapsed();
    println!(
        "filled in {:.1} s ({})",
        took.as_secs_f64(),
        rate(n, took).trim()
    );
    let settings = crate::config::AuditSettings::default();
    let auth = crate::config::AuthMonitorSettings::default();
    let (s, set, cats) = (&store, &settings, &categories);
    let runs = 20;
    for tf in crate::span::TIMEFRAMES.allowed.iter().copied() {
        let t = tf.as_str();
        let (p50, p99) = time_query(runs, || rs::metrics(s, now, tf)).await?;
        println!("{t:>3} metrics (2 windows):    p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || rs::actions(s, cats, now, tf)).await?;
        println!("{t:>3} actions:                p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || rs::performance(s, set, now, tf)).await?;
        println!("{t:>3} performance:            p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || rs::rate_limits(s, set, now, tf)).await?;
        println!("{t:>3} rate-limits:            p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || rs::migration(s, now, tf)).await?;
        println!("{t:>3} migration:              p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || rs::page(s, set, cats, now, tf)).await?;
        println!("{t:>3} whole Roles page:       p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
        let (p50, p99) = time_query(runs, || {
            crate::analytics::auth_service::summary(s, now, tf, None, &auth)
        })
        .await?;
        println!("{t:>3} auth summary:           p50 {p50:>8.2} ms  p99 {p99:>8.2} ms");
    }
    store.close().await;
    api_timings(dir, &name).await?;
    // The pages over this audit log (the issue's `/roles` at 10M audit events).
    super::ssr_bench::pages(dir, &name, 50, &format!("50 components, {n} audit events")).await?;
    remove_db(&dir.join(&name));
    Ok(())
}

/// The same database through the real router: `GET /api/v1/roles/{view}` with a token,
/// JSON encoding included (no socket).
async fn api_timings(dir: &Path, name: &str) -> BenchResult<()> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let (state, router) = bench_router(dir, name, "").await?;
    let runs = 20;
    for tf in crate::span::TIMEFRAMES.allowed.iter().copied() {
        let mut worst = (0.0f64, "");
        for view in [
            "metrics",
            "actions",
            "performance",
            "rate-limits",
            "migration",
        ] {
            let uri = format!("/api/v1/roles/{view}?timeframe={}", tf.as_str());
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let req = Request::get(&uri)
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .body(Body::empty())?;
                let started = Instant::now();
                let resp = router.clone().oneshot(req).await?;
                let status = resp.status();
                let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
                times.push(started.elapsed());
                if !status.is_success() {
                    return Err(
                        format!("{uri}: {status} {}", String::from_utf8_lossy(&body)).into(),
                    );
                }
            }
            let (_, p99) = percentiles(times);
            if p99 > worst.0 {
                worst = (p99, view);
            }
        }
        println!(
            "{:>3} GET /api/v1/roles/* over HTTP routing: slowest view p99 {:>8.2} ms ({})",
            tf.as_str(),
            worst.0,
            worst.1
        );
    }
    state.writer.shutdown().await;
    state.store.close().await;
    Ok(())
}
