//! What the figure runs share: their result type, the ingest token, a fresh SQLite file and
//! Pulse's state and router over it.

use crate::config::Config;
use std::path::Path;
use std::time::Duration;

pub(super) type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The token the router-level runs ingest and read with.
pub(super) const TOKEN: &str = "bench-token-0123456789";

/// Removes a SQLite database and its WAL files.
pub(super) fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Pulse's state and router over `dir/name` (kept if present), no components, one ingest
/// token, its own traffic and audit off; `ingest_extra` adds lines to `[ingest]`.
pub(super) async fn bench_router(
    dir: &Path,
    name: &str,
    ingest_extra: &str,
) -> BenchResult<(crate::state::AppState, axum::Router)> {
    let text = format!(
        "database_url = \"sqlite://{}\"\ncomponents = []\n[ingest]\ntokens = [\"{TOKEN}\"]\n\
         self_instrument = false\n{ingest_extra}[audit]\nself_audit = false\n\
         [auth]\ningest_per_second = 1000000\n",
        dir.join(name).display()
    );
    let config = Config::from_sources(Some(("bench", &text)), |_| None)?;
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("mcp-pulse")
        .build();
    let state = crate::server::build_state(config, options).await?;
    let router = crate::server::app(state.clone());
    Ok((state, router))
}

/// The median and 99th percentile of some timings, in ms.
pub(super) fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |q: f64| {
        let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.99))
}

/// `n` valid events spread over the `span_ms` before `now`, as ingest would store them.
pub(super) fn events(
    g: &mut super::simulate::Generator,
    n: usize,
    now: i64,
    span_ms: i64,
) -> Vec<crate::store::RequestEvent> {
    let json: Vec<serde_json::Value> = (0..n)
        .map(|i| g.event(now - span_ms + (i as i64 * span_ms / n.max(1) as i64)))
        .collect();
    let limits = crate::ingest::Limits {
        now_ms: now + 1,
        max_future_ms: 60_000,
        oldest_ms: now - span_ms - 1,
    };
    crate::ingest::validate_batch(&json, limits).unwrap_or_default()
}

/// Pulse on a loopback socket over a fresh `dir/name`, tuned for bulk ingest in batches of
/// `batch`.
pub(super) async fn serve_for_bench(
    dir: &Path,
    name: &str,
    batch: usize,
) -> BenchResult<(
    crate::state::AppState,
    std::net::SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    remove_db(&dir.join(name));
    let (state, router) = bench_router(
        dir,
        name,
        &format!(
            "max_batch = {batch}\nflush_rows = 20000\nflush_interval = \"20ms\"\n\
             queue_events = 1000000\nmax_body_bytes = 67108864\n"
        ),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((state, addr, server))
}
