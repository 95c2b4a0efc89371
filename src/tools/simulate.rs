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

/// What each role does, by weight: its own category's actions mostly, a few shared ones.
const ROLE_ACTIONS: [&[(&str, u32)]; 6] = [
    &[
        ("system.settings.modify", 4),
        ("user.role.assign", 2),
        ("system.backup", 2),
        ("audit.log.view", 5),
        ("audit.retention.manage", 1),
        ("metrics.view", 4),
        ("system.restore", 1),
    ],
    &[
        ("team.user.create", 2),
        ("team.approvals", 5),
        ("server.acl.manage", 3),
        ("user.session.manage", 2),
        ("server.create", 1),
        ("report.generate", 2),
    ],
    &[
        ("server.deploy", 3),
        ("server.configure", 4),
        ("api.key.create", 1),
        ("api.key.use", 6),
        ("development.action", 8),
        ("metrics.view", 2),
    ],
    &[
        ("report.generate", 4),
        ("data.export", 2),
        ("metrics.view", 6),
        ("analytics.query", 8),
    ],
    &[
        ("resource.view", 8),
        ("page.access", 6),
        ("readonly.action", 3),
    ],
    &[
        ("limited.access", 6),
        ("restricted.attempt", 2),
        ("conversion.event", 1),
    ],
];

/// Who changes role in the demo migration: (user, from, to, outcome).
const MIGRATION_PLAN: [(&str, &str, &str, &str); 14] = [
    ("viewer-00", "viewer", "analyst", "success"),
    ("viewer-01", "viewer", "analyst", "success"),
    ("guest-00", "guest", "viewer", "success"),
    ("viewer-02", "viewer", "analyst", "success"),
    ("developer-00", "developer", "manager", "success"),
    ("analyst-00", "analyst", "developer", "failure"),
    ("guest-01", "guest", "viewer", "success"),
    ("viewer-03", "viewer", "analyst", "success"),
    ("guest-02", "guest", "developer", "success"),
    ("analyst-00", "analyst", "developer", "success"),
    ("viewer-04", "viewer", "analyst", "success"),
    ("developer-01", "developer", "manager", "success"),
    ("guest-03", "guest", "viewer", "success"),
    ("viewer-05", "viewer", "analyst", "failure"),
];

/// One realistic event at `ts_ms`.
pub struct Generator {
    rng: fastrand::Rng,
    /// Users whose role changed (the demo migration), so later events carry the new role.
    changed: std::collections::HashMap<String, &'static str>,
    migrated: usize,
    users_per_role: u32,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: fastrand::Rng::with_seed(seed),
            changed: std::collections::HashMap::new(),
            migrated: 0,
            users_per_role: 12,
        }
    }

    /// A larger population (the benchmark's), `n` users per role.
    pub fn with_users(mut self, n: u32) -> Generator {
        self.users_per_role = n.max(1);
        self
    }

    /// A user, weighted by role (developers and viewers dominate; guests are few), with the
    /// role they hold now.
    fn user(&mut self) -> (String, usize) {
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
        let user = format!(
            "{}-{:02}",
            ROLE_TARGETS[role_i].0,
            self.rng.u32(0..self.users_per_role)
        );
        let now = self
            .changed
            .get(&user)
            .and_then(|r| ROLE_TARGETS.iter().position(|(x, _)| x == r))
            .unwrap_or(role_i);
        (user, now)
    }

    /// An audit event consistent with the actor's role: mostly its own category's actions,
    /// some denied attempts by guests, sessions of up to 15 minutes.
    pub fn audit_event(&mut self, ts_ms: i64) -> Value {
        let (user, role_i) = self.user();
        let role = ROLE_TARGETS[role_i].0;
        let actions = ROLE_ACTIONS[role_i];
        let mut pick = self.rng.u32(0..actions.iter().map(|(_, w)| w).sum::<u32>());
        let mut action = actions[0].0;
        for (a, w) in actions {
            if pick < *w {
                action = a;
                break;
            }
            pick -= w;
        }
        let outcome = if action == "restricted.attempt" {
            "denied"
        } else if self.rng.f64() < 0.02 {
            "failure"
        } else {
            "success"
        };
        json!({
            "ts": crate::model::rfc3339_ms(ts_ms),
            "actor_id": user,
            "actor_role": role,
            "action": action,
            "resource": format!("/{}/{}", action.split('.').next().unwrap_or("x"), self.rng.u8(0..40)),
            "outcome": outcome,
            "session_id": format!("{user}-{}", ts_ms / 900_000),
        })
    }

    /// An authentication event (seed 000's types, with duration and provider). During an
    /// `outage` the `github` provider fails most attempts, slowly.
    pub fn auth_event(&mut self, ts_ms: i64, outage: bool) -> Value {
        let (user, role_i) = self.user();
        let kinds: [(&str, u32, f64, f64); 6] = [
            ("auth.session_validation", 40, 4.0, 30.0),
            ("auth.token_refresh", 25, 60.0, 320.0),
            ("auth.login", 12, 150.0, 600.0),
            ("auth.oauth_flow", 12, 450.0, 1600.0),
            ("auth.mfa_challenge", 8, 1500.0, 9000.0),
            ("role.change.oauth_sync", 3, 80.0, 400.0),
        ];
        let mut pick = self.rng.u32(0..kinds.iter().map(|k| k.1).sum::<u32>());
        let mut kind = kinds[0];
        for k in kinds {
            if pick < k.1 {
                kind = k;
                break;
            }
            pick -= k.1;
        }
        let (action, _, lo, hi) = kind;
        let provider = match self.rng.u32(0..10) {
            0..=4 => "azure_ad",
            5..=7 => "github",
            _ => "google",
        };
        let down = outage && provider == "github";
        let fail_p = if down { 0.6 } else { 0.03 };
        let failed = self.rng.f64() < fail_p;
        let mut ms = lo + (hi - lo) * self.rng.f64();
        if down {
            ms *= 4.0;
        }
        let outcome = if failed && action == "auth.session_validation" && !down {
            "denied"
        } else if failed {
            "failure"
        } else {
            "success"
        };
        let details = match action {
            "auth.mfa_challenge" => {
                let methods = ["totp", "webauthn", "push", "sms"];
                json!({"method": methods[self.rng.usize(0..methods.len())]})
            }
            "auth.oauth_flow" => {
                let flows = ["authorization_code", "pkce", "refresh_token"];
                json!({"flow_type": flows[self.rng.usize(0..flows.len())]})
            }
            _ => json!({}),
        };
        json!({
            "ts": crate::model::rfc3339_ms(ts_ms),
            "actor_id": user,
            "actor_role": ROLE_TARGETS[role_i].0,
            "action": action,
            "outcome": outcome,
            "session_id": format!("{user}-{}", ts_ms / 900_000),
            "duration_ms": (ms * 100.0).round() / 100.0,
            "provider": provider,
            "details": details,
        })
    }

    /// The demo migration: the start marker, then the next planned change on each call;
    /// `None` once the plan is done.
    pub fn migration_step(&mut self, ts_ms: i64) -> Option<Value> {
        let step = self.migrated;
        self.migrated += 1;
        if step == 0 {
            return Some(json!({
                "ts": crate::model::rfc3339_ms(ts_ms), "actor_id": "admin-00",
                "actor_role": "admin", "action": "role.migration.start", "outcome": "success",
                "details": {"plan": "6-role hierarchy"},
            }));
        }
        let (user, from, to, outcome) = *MIGRATION_PLAN.get(step - 1)?;
        if outcome == "success" {
            self.changed.insert(user.to_string(), to);
        }
        Some(json!({
            "ts": crate::model::rfc3339_ms(ts_ms), "actor_id": user, "actor_role": from,
            "action": "role.migration.complete", "outcome": outcome,
            "details": {"from": from, "to": to},
        }))
    }

    /// Latency around a fraction of the role's target with a long tail (log-normal-ish).
    fn latency(&mut self, target: f64, heavy: f64) -> f64 {
        let u: f64 = (0..4).map(|_| self.rng.f64()).sum::<f64>() / 4.0; // ~normal on [0,1]
        let base = target * heavy * (0.2 + 0.45 * u);
        let tail = if self.rng.f64() < 0.03 {
            target * (1.0 + 3.0 * self.rng.f64())
        } else {
            0.0
        };
        ((base + tail) * 100.0).round() / 100.0
    }

    pub fn event(&mut self, ts_ms: i64) -> Value {
        let (user, role_i) = self.user();
        let (role, target) = ROLE_TARGETS[role_i];
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
                "browser" => 1.5,
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
    let base = opts.url.trim_end_matches('/');
    let endpoint = format!("{base}/api/v1/requests");
    let audit_endpoint = format!("{base}/api/v1/audit");
    let mut generator = Generator::new(fastrand::u64(..));
    let started = Instant::now();
    let tick = Duration::from_millis(250);
    let mut interval = tokio::time::interval(tick);
    let mut accepted: u64 = 0;
    let mut last_report = Instant::now();
    let mut carry = 0.0f64;
    // The migration starts after 20 s, so users seen before it make a "before" distribution.
    let mut next_step = Instant::now() + Duration::from_secs(20);
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
        // One audit event per five requests, and a migration step every 5 s.
        let mut audits: Vec<Value> = (0..n.div_ceil(5))
            .map(|_| generator.audit_event(now))
            .collect();
        // Auth events as often as audit events; github has a 10 s outage every minute.
        let outage = secs % 60 >= 40 && secs % 60 < 50;
        audits.extend((0..n.div_ceil(5)).map(|_| generator.auth_event(now, outage)));
        if Instant::now() >= next_step {
            audits.extend(generator.migration_step(now));
            next_step += Duration::from_secs(5);
        }
        post(&client, &audit_endpoint, &opts.token, &audits).await?;
        accepted += post(&client, &endpoint, &opts.token, &batch).await?;
        if last_report.elapsed() >= Duration::from_secs(5) {
            println!(
                "simulate: {accepted} request events accepted in {:.0} s ({:.0}/s)",
                started.elapsed().as_secs_f64(),
                accepted as f64 / started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    println!("simulate: done, {accepted} request events accepted");
    Ok(accepted)
}

/// Posts one batch, waiting out back-pressure (503); returns how many events were accepted.
async fn post(
    client: &reqwest::Client,
    endpoint: &str,
    token: &str,
    batch: &[Value],
) -> Result<u64, SimulateError> {
    if batch.is_empty() {
        return Ok(0);
    }
    loop {
        let resp = client
            .post(endpoint)
            .bearer_auth(token)
            .json(&batch)
            .send()
            .await
            .map_err(|e| SimulateError::Unreachable {
                url: endpoint.to_string(),
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
        return Ok(batch.len() as u64);
    }
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

    #[test]
    fn audit_events_and_the_migration_pass_audit_validation() {
        use crate::audit::{validate_audit_batch, AuditLimits, Categories};
        let mut g = Generator::new(5);
        let now = crate::model::now_ms();
        let mut events: Vec<Value> = (0..3000).map(|_| g.audit_event(now)).collect();
        events.extend(std::iter::from_fn(|| g.migration_step(now)));
        let auth: Vec<Value> = (0..2000).map(|i| g.auth_event(now, i >= 1000)).collect();
        let categories = Categories::default();
        let limits = AuditLimits {
            time: Limits {
                now_ms: now,
                max_future_ms: 0,
                oldest_ms: now - 1000,
            },
            max_details_bytes: 4096,
            categories: &categories,
        };
        let auth = validate_audit_batch(&auth, limits).expect("valid auth events");
        assert!(auth
            .iter()
            .all(|e| e.auth.is_some() && e.duration_ms.is_some()));
        let github_failures = |part: &[crate::events::AuditEvent]| {
            part.iter()
                .filter(|e| e.provider.as_deref() == Some("github") && e.outcome == "failure")
                .count()
        };
        assert!(
            github_failures(&auth[1000..]) > 5 * github_failures(&auth[..1000]).max(1),
            "the outage shows as github failures"
        );
        let ok = validate_audit_batch(&events, limits).expect("valid audit events");
        assert_eq!(ok.len(), 3000 + 1 + MIGRATION_PLAN.len());
        let share = |cat: &str| ok.iter().filter(|e| e.category == cat).count() as f64 / 3000.0;
        // Every role's own category shows up, and little falls through to `other`.
        for cat in [
            "admin_actions",
            "developer_actions",
            "viewer_actions",
            "guest_actions",
        ] {
            assert!(share(cat) > 0.01, "{cat}");
        }
        assert!(share("other") < 0.2);
        assert!(ok
            .iter()
            .any(|e| e.actor_role == "guest" && e.outcome == "denied"));
        // After the migration, migrated users act in their new role.
        assert_eq!(g.changed.get("viewer-00").copied(), Some("analyst"));
        assert_eq!(
            g.changed.get("viewer-05"),
            None,
            "a failed change keeps the role"
        );
    }
}
