//! Demo traffic: realistic MCP-gateway request events, posted through the real ingest API
//! (`mcp-pulse simulate`), and the same generator for the benchmark.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Roles with the seed's latency targets (ms); the simulated latency centres below them.
pub const ROLE_TARGETS: [(&str, f64); 6] = [
    ("admin", 100.0),
    ("manager", 150.0),
    ("developer", 200.0),
    ("analyst", 250.0),
    ("viewer", 300.0),
    ("guest", 500.0),
];

const TOOLS: [(&str, &str); 12] = [
    ("docs", "search"),
    ("docs", "fetch_page"),
    ("docs", "summarize"),
    ("github", "create_issue"),
    ("github", "list_pull_requests"),
    ("github", "get_file"),
    ("github", "search_code"),
    ("warehouse", "query"),
    ("warehouse", "describe_table"),
    ("warehouse", "list_tables"),
    ("browser", "navigate"),
    ("browser", "screenshot"),
];

const REST: [(&str, &str); 5] = [
    ("GET", "/api/servers"),
    ("GET", "/api/servers/{id}"),
    ("POST", "/api/servers"),
    ("GET", "/api/keys"),
    ("GET", "/api/audit"),
];

/// One realistic event at `ts_ms`.
pub struct Generator {
    rng: fastrand::Rng,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Latency around a fraction of the role's target with a long tail (log-normal-ish).
    fn latency(&mut self, target: f64, heavy: f64) -> f64 {
        let u: f64 = (0..4).map(|_| self.rng.f64()).sum::<f64>() / 4.0; // ~normal on [0,1]
        let base = target * heavy * (0.35 + 0.6 * u);
        let tail = if self.rng.f64() < 0.03 {
            target * (1.0 + 3.0 * self.rng.f64())
        } else {
            0.0
        };
        ((base + tail) * 100.0).round() / 100.0
    }

    pub fn event(&mut self, ts_ms: i64) -> Value {
        // Developers and viewers dominate; guests are few.
        let weights = [4, 6, 30, 15, 35, 10];
        let mut pick = self.rng.u32(0..weights.iter().sum());
        let mut role_i = 0;
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                role_i = i;
                break;
            }
            pick -= w;
        }
        let (role, target) = ROLE_TARGETS[role_i];
        let user = format!("{role}-{:02}", self.rng.u8(0..12));
        let ip = format!(
            "10.{}.{}.{}",
            role_i,
            self.rng.u8(0..8),
            self.rng.u8(1..250)
        );
        let kind = self.rng.u32(0..100);
        let (method, route, server, tool, heavy, error_rate) = if kind < 60 {
            let (server, tool) = TOOLS[self.rng.usize(0..TOOLS.len())];
            // Browser tools are slow; warehouse queries slower still for analysts.
            let heavy = match server {
                "browser" => 1.8,
                "warehouse" => 1.3,
                _ => 1.0,
            };
            ("POST", "tools/call", Some(server), Some(tool), heavy, 0.025)
        } else if kind < 72 {
            let (server, _) = TOOLS[self.rng.usize(0..TOOLS.len())];
            ("POST", "tools/list", Some(server), None, 0.3, 0.005)
        } else if kind < 84 {
            let (server, _) = TOOLS[self.rng.usize(0..3)];
            ("POST", "resources/read", Some(server), None, 0.6, 0.01)
        } else {
            let (m, r) = REST[self.rng.usize(0..REST.len())];
            (m, r, None, None, 0.4, 0.008)
        };
        let mut status = 200;
        let roll = self.rng.f64();
        if role == "guest" && roll < 0.08 {
            status = 403;
        } else if roll < error_rate {
            status = [500, 502, 504, 429][self.rng.usize(0..4)];
        }
        let mut ev = json!({
            "ts": crate::model::rfc3339_ms(ts_ms),
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": self.latency(target, heavy),
            "user_id": user,
            "role": role,
            "bytes_in": self.rng.u32(200..4000),
            "bytes_out": self.rng.u32(500..60_000),
            "client_ip": ip,
            "user_agent": "mcp-gateway/1.4 (simulated)",
        });
        if let Some(s) = server {
            ev["server"] = json!(s);
        }
        if let Some(t) = tool {
            ev["tool"] = json!(t);
        }
        ev
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Pulse refused the events ({status}): {body}")]
    Refused { status: u16, body: String },
}

pub struct Options {
    pub url: String,
    pub token: String,
    pub rate: u32,
    pub duration: Duration,
}

/// Posts `rate` events per second (with bursts of three times that for 5 s every 30 s) until
/// `duration` has passed; prints progress every 5 s. Returns how many events Pulse accepted.
pub async fn run(opts: Options) -> Result<u64, SimulateError> {
    let client = reqwest::Client::new();
    let endpoint = format!("{}/api/v1/requests", opts.url.trim_end_matches('/'));
    let mut generator = Generator::new(fastrand::u64(..));
    let started = Instant::now();
    let tick = Duration::from_millis(250);
    let mut interval = tokio::time::interval(tick);
    let mut accepted: u64 = 0;
    let mut last_report = Instant::now();
    let mut carry = 0.0f64;
    while started.elapsed() < opts.duration {
        interval.tick().await;
        let secs = started.elapsed().as_secs();
        let burst = if secs % 30 >= 25 { 3.0 } else { 1.0 };
        carry += f64::from(opts.rate) * burst * tick.as_secs_f64();
        let n = carry.floor() as usize;
        carry -= n as f64;
        if n == 0 {
            continue;
        }
        let now = crate::model::now_ms();
        let batch: Vec<Value> = (0..n)
            .map(|i| generator.event(now - (n - i) as i64 * 250 / n as i64))
            .collect();
        loop {
            let resp = client
                .post(&endpoint)
                .bearer_auth(&opts.token)
                .json(&batch)
                .send()
                .await
                .map_err(|e| SimulateError::Unreachable {
                    url: endpoint.clone(),
                    reason: crate::health::checks::describe_error(&e),
                })?;
            let status = resp.status().as_u16();
            if status == 503 {
                // Back-pressure: Pulse asked us to retry shortly.
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            if status != 200 {
                let body = resp.text().await.unwrap_or_default();
                return Err(SimulateError::Refused { status, body });
            }
            accepted += n as u64;
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            println!(
                "simulate: {accepted} events accepted in {:.0} s ({:.0}/s)",
                started.elapsed().as_secs_f64(),
                accepted as f64 / started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    println!("simulate: done, {accepted} events accepted");
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{validate_batch, Limits};

    #[test]
    fn generated_events_pass_ingest_validation_and_follow_role_targets() {
        let mut g = Generator::new(3);
        let now = crate::model::now_ms();
        let events: Vec<Value> = (0..5000).map(|_| g.event(now)).collect();
        let limits = Limits {
            now_ms: now,
            max_future_ms: 0,
            oldest_ms: now - 1000,
        };
        let ok = validate_batch(&events, limits).expect("valid events");
        let median = |role: &str| {
            let mut v: Vec<f64> = ok
                .iter()
                .filter(|e| e.role.as_deref() == Some(role) && e.route == "tools/list")
                .map(|e| e.duration_ms)
                .collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        assert!(
            median("admin") < median("guest"),
            "guests are slower than admins"
        );
        assert!(ok.iter().any(|e| e.tool.is_some()) && ok.iter().any(|e| e.status >= 500));
    }
}
