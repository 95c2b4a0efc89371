//! `mcp-pulse bench`: one alert evaluation tick of 1,000 rules over a filled store, timed.
//! Figures only; nothing here asserts a speed.

use super::harness::{bench_router, percentiles, BenchResult};
use std::path::Path;
use std::time::Instant;

const SERVERS: [&str; 4] = ["docs", "github", "warehouse", "browser"];
const TOOLS: [&str; 12] = [
    "search",
    "fetch_page",
    "summarize",
    "create_issue",
    "list_pull_requests",
    "get_file",
    "search_code",
    "query",
    "describe_table",
    "list_tables",
    "navigate",
    "screenshot",
];
const WINDOWS: [&str; 4] = ["1m", "5m", "15m", "1h"];

/// 1,000 rules over every kind of metric, their selectors and windows varied the way a large
/// deployment's would be (per server, per tool, per role, host, components).
fn rules() -> String {
    let mut out = String::new();
    for i in 0..1000usize {
        let w = WINDOWS[i % WINDOWS.len()];
        let (metric, selector) = match i % 10 {
            0 => (
                "error_rate_percent",
                format!("server = \"{}\"", SERVERS[i / 10 % 4]),
            ),
            1 => ("p95_ms", format!("tool = \"{}\"", TOOLS[i / 10 % 12])),
            2 => (
                "requests_per_minute",
                format!("tool = \"{}\"", TOOLS[i / 10 % 12]),
            ),
            3 => (
                "regression",
                format!("server = \"{}\"", SERVERS[i / 10 % 4]),
            ),
            4 => ("error_rate_percent", String::new()),
            5 => ("role_p95_over_target", String::new()),
            6 => ("role_rate_limit_percent", String::new()),
            7 => ("audit_denied", String::new()),
            8 => ("component_unhealthy", String::new()),
            _ => ("cpu_percent", String::new()),
        };
        out.push_str(&format!(
            "[[alerts.rules]]\nname = \"rule {i}\"\nmetric = \"{metric}\"\n{selector}\n\
             op = \">\"\nthreshold = 1e12\nwindow = \"{w}\"\n"
        ));
    }
    out
}

/// Times `runs` ticks of 1,000 rules over the store in `dir/name` (already filled).
pub(super) async fn alert_tick(
    dir: &Path,
    name: &str,
    runs: usize,
    events_per_minute: usize,
) -> BenchResult<()> {
    // The rules follow `[ingest]`'s keys as tables of their own.
    let (state, _) = bench_router(dir, name, &rules()).await?;
    let alerts = &state.alerts;
    let now = crate::model::now_ms();
    let first = Instant::now();
    let r = alerts.tick(now).await?;
    let first = first.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::with_capacity(runs);
    // Live traffic between ticks, as the fill's rate (about 1 000 a minute at 10M over 7 days):
    // each tick finds the current minute changed, as it would in service.
    let mut g = crate::tools::simulate::Generator::new(23);
    let per_tick = (events_per_minute * 15 / 60).max(1);
    let mut phases: [Vec<std::time::Duration>; 4] = Default::default();
    for i in 0..runs {
        let at = now + (i as i64 + 1) * 15_000;
        let live = super::harness::events(&mut g, per_tick, at, 15_000);
        state.store.insert_batch(&live, &[]).await?;
        let started = Instant::now();
        let r = std::hint::black_box(alerts.tick(at).await?);
        times.push(started.elapsed());
        for (p, ms) in phases.iter_mut().zip(r.phases_ms) {
            p.push(std::time::Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let (p50, p99) = percentiles(times);
    println!(
        "alert tick, {} rules ({} instances): first {first:.1} ms (stores every instance), \
         then p50 {p50:>8.2} ms  p99 {p99:>8.2} ms ({per_tick} new events before each)",
        alerts.settings().rules.len(),
        r.instances
    );
    let names = ["suppressions", "windows read ahead", "rule reads", "save"];
    let line: Vec<String> = names
        .iter()
        .zip(phases)
        .map(|(n, v)| {
            let (p50, p99) = percentiles(v);
            format!("{n} p50 {p50:.2} / p99 {p99:.2} ms")
        })
        .collect();
    println!("  of which: {}", line.join("; "));
    state.store.close().await;
    Ok(())
}
