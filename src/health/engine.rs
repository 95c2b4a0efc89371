//! The engine: runs each component's check on its own jittered interval under a concurrency
//! cap, guards every run with a timeout and panic isolation, applies the rules, stores the
//! result and keeps the latest snapshot in memory so readers never wait on a check.

use super::checks::{self, CheckContext, CheckOutcome};
use super::rules::{self, Counts, Damper};
use super::watch;
use crate::config::ComponentConfig;
use crate::metrics::Metrics;
use crate::model::{
    mcp_group_status, rfc3339_ms, CheckRecord, ComponentDetail, ComponentHealth, ComponentType,
    HealthSummary, Status, MCP_GROUP,
};
use crate::store::{NewCheckResult, Store};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

/// How many results the detail view shows.
pub const HISTORY_LIMIT: i64 = 50;

/// How many recent latencies each component keeps for its p95.
const LATENCY_WINDOW: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("no component named `{0}`")]
    UnknownComponent(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

#[derive(Debug, Clone, Default)]
struct ComponentState {
    damper: Damper,
    last: Option<CheckRecord>,
    /// MCP servers: the last tool-list hash seen and when it last changed.
    tools_hash: Option<String>,
    tools_changed_ms: Option<i64>,
    /// Latencies of the most recent runs, oldest first.
    latencies: VecDeque<f64>,
}

impl ComponentState {
    /// Notes a reported tool-list hash; marks `tools_changed_at` in the details once the list
    /// differs from the one seen before.
    fn track_tools(&mut self, details: &mut Value, now: i64) {
        let Some(hash) = details.get("tools_hash").and_then(Value::as_str) else {
            return;
        };
        if self.tools_hash.as_deref().is_some_and(|prev| prev != hash) {
            self.tools_changed_ms = Some(now);
        }
        self.tools_hash = Some(hash.to_string());
        if let Some(at) = self.tools_changed_ms {
            details["tools_changed_at"] = json!(rfc3339_ms(at));
            details["tools_changed_at_ms"] = json!(at);
        }
    }

    fn push_latency(&mut self, ms: f64) {
        if self.latencies.len() == LATENCY_WINDOW {
            self.latencies.pop_front();
        }
        self.latencies.push_back(ms);
    }

    /// Nearest-rank p95 of the recent runs.
    fn p95(&self) -> Option<f64> {
        if self.latencies.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = self.latencies.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        let rank = ((v.len() as f64) * 0.95).ceil() as usize;
        v.get(rank.saturating_sub(1)).copied()
    }

    /// Picks up where the previous run left off: recent latencies and the tool-list baseline,
    /// so a restart neither forgets the p95 nor hides a tool change made while Pulse was down.
    fn restore(&mut self, history_newest_first: &[CheckRecord]) {
        for r in history_newest_first.iter().rev() {
            self.push_latency(r.response_time_ms);
        }
        let with_hash = history_newest_first
            .iter()
            .find(|r| r.details.get("tools_hash").is_some());
        if let Some(r) = with_hash {
            self.tools_hash = r.details["tools_hash"].as_str().map(str::to_string);
            self.tools_changed_ms = r.details.get("tools_changed_at_ms").and_then(Value::as_i64);
        }
    }
}

struct Inner {
    components: Vec<ComponentConfig>,
    state: RwLock<HashMap<String, ComponentState>>,
    /// Bumped after every change to `state`: readers that shape the snapshot (the Overview)
    /// keep their answer while it is unchanged.
    changes: AtomicU64,
    ctx: CheckContext,
    metrics: Metrics,
    permits: Semaphore,
    started: Instant,
    /// The derived group components: `mcp_servers` when any `mcp` component exists, and
    /// one per configured `group`.
    groups: Vec<Group>,
    /// Whether networked components get a connection watch between checks (`watch.rs`).
    watch: bool,
    /// One lock per component, held while its check runs, with when its last check ended:
    /// a "Check now" waits for a running check and reuses a fresh result (`COALESCE`).
    running: HashMap<String, Arc<tokio::sync::Mutex<Option<Instant>>>>,
    /// A "Check now" within this long of the component's last check returns that check's
    /// result instead of running another: clicks and scripts cannot run checks faster.
    coalesce: Duration,
}

/// A derived component: the health ratio of its members.
#[derive(Debug, Clone)]
struct Group {
    /// The derived component's name.
    name: String,
    /// What the group is called in messages (`MCP servers`, `auth components`).
    noun: String,
    members: Vec<String>,
}

impl Group {
    fn is_mcp(&self) -> bool {
        self.name == MCP_GROUP
    }

    fn all(components: &[ComponentConfig]) -> Vec<Group> {
        let mut groups = Vec::new();
        let servers: Vec<String> = components
            .iter()
            .filter(|c| c.check.kind() == crate::config::Kind::Mcp)
            .map(|c| c.name.clone())
            .collect();
        if !servers.is_empty() {
            groups.push(Group {
                name: MCP_GROUP.to_string(),
                noun: "MCP servers".to_string(),
                members: servers,
            });
        }
        for c in components {
            let Some(g) = &c.group else { continue };
            let name = crate::model::group_component(g);
            match groups.iter_mut().find(|x| x.name == name) {
                Some(x) => x.members.push(c.name.clone()),
                None => groups.push(Group {
                    name,
                    noun: format!("{g} components"),
                    members: vec![c.name.clone()],
                }),
            }
        }
        groups
    }
}

#[derive(Clone)]
pub struct HealthEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HealthEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthEngine")
            .field("components", &self.inner.components.len())
            .finish()
    }
}

use crate::model::now_ms;

/// Runs one check future with a timeout, in its own task so a panic is caught rather than
/// taking the scheduler down with it.
pub async fn guarded<F>(timeout: Duration, fut: F) -> CheckOutcome
where
    F: Future<Output = CheckOutcome> + Send + 'static,
{
    let handle = tokio::spawn(async move { tokio::time::timeout(timeout, fut).await });
    match handle.await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_elapsed)) => CheckOutcome::unhealthy(
            format!(
                "check timed out after {}",
                humantime::format_duration(timeout)
            ),
            json!({"timeout_ms": timeout.as_millis() as u64}),
        ),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            CheckOutcome::unhealthy(format!("check panicked: {msg}"), Value::Null)
        }
        Err(e) => CheckOutcome::unhealthy(format!("check was cancelled: {e}"), Value::Null),
    }
}

impl HealthEngine {
    pub fn new(
        components: Vec<ComponentConfig>,
        store: Store,
        metrics: Metrics,
        max_concurrent: usize,
    ) -> HealthEngine {
        let state = components
            .iter()
            .map(|c| (c.name.clone(), ComponentState::default()))
            .collect();
        for c in &components {
            metrics.set_component_status(&c.name, Status::Unknown);
        }
        let groups = Group::all(&components);
        for g in &groups {
            metrics.set_component_status(&g.name, Status::Unknown);
        }
        let running = components
            .iter()
            .map(|c| (c.name.clone(), Arc::default()))
            .collect();
        HealthEngine {
            inner: Arc::new(Inner {
                running,
                coalesce: Duration::ZERO,
                components,
                state: RwLock::new(state),
                ctx: CheckContext::new(store),
                metrics,
                permits: Semaphore::new(max_concurrent.max(1)),
                started: Instant::now(),
                changes: AtomicU64::new(0),
                groups,
                watch: false,
            }),
        }
    }

    /// Sets how soon after a check a "Check now" reuses it (`health.check_now_min_interval`);
    /// only before the engine is shared.
    pub fn with_check_now_interval(mut self, d: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.coalesce = d;
        }
        self
    }

    /// Turns the connection watch on (`health.watch_connections`); only before the engine is
    /// shared.
    pub fn with_watch(mut self, on: bool) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.watch = on;
        }
        self
    }

    pub fn store(&self) -> &Store {
        &self.inner.ctx.store
    }

    pub fn components(&self) -> &[ComponentConfig] {
        &self.inner.components
    }

    fn config(&self, name: &str) -> Result<&ComponentConfig, EngineError> {
        self.inner
            .components
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| EngineError::UnknownComponent(name.to_string()))
    }

    /// Loads each component's recent history so p95 and the tool-list baseline survive a
    /// restart. Called once before the checks start.
    pub async fn restore(&self) -> Result<(), EngineError> {
        for cfg in &self.inner.components {
            let history = self
                .store()
                .history(&cfg.name, LATENCY_WINDOW as i64)
                .await?;
            self.change_state(&cfg.name, |st| st.restore(&history));
        }
        Ok(())
    }

    /// Runs one component's check now, records it and returns the component's new state.
    /// For a derived group, every member is checked.
    pub async fn check_now(&self, name: &str) -> Result<ComponentHealth, EngineError> {
        if let Some(g) = self.group(name) {
            let servers: Vec<ComponentConfig> = self
                .inner
                .components
                .iter()
                .filter(|c| g.members.contains(&c.name))
                .cloned()
                .collect();
            futures::future::join_all(
                servers
                    .iter()
                    .map(|c| self.run_coalesced(c, self.inner.coalesce)),
            )
            .await;
        } else {
            let cfg = self.config(name)?.clone();
            self.run_coalesced(&cfg, self.inner.coalesce).await;
        }
        self.component(name)
            .ok_or_else(|| EngineError::UnknownComponent(name.to_string()))
    }

    fn group(&self, name: &str) -> Option<&Group> {
        self.inner.groups.iter().find(|g| g.name == name)
    }

    /// Runs a check unless one ended within `fresh` (then that result stands); waits for a
    /// check of the same component that is running.
    async fn run_coalesced(&self, cfg: &ComponentConfig, fresh: Duration) {
        let Some(lock) = self.inner.running.get(&cfg.name) else {
            return;
        };
        let mut last = lock.lock().await;
        if last.is_some_and(|t| t.elapsed() < fresh) {
            return;
        }
        self.run_check(cfg).await;
        *last = Some(Instant::now());
    }

    /// A scheduled check: never skipped, but never alongside a manual one.
    async fn run_one(&self, cfg: &ComponentConfig) {
        self.run_coalesced(cfg, Duration::ZERO).await
    }

    async fn run_check(&self, cfg: &ComponentConfig) {
        let span =
            tracing::info_span!("check", component = %cfg.name, kind = cfg.check.kind().as_str());
        async {
            // The permit bounds how many checks hit the network and disks at once.
            let _permit = self.inner.permits.acquire().await;
            let started = Instant::now();
            let spec = cfg.check.clone();
            let ctx = self.inner.ctx.clone();
            let timeout = cfg.timeout;
            let outcome = guarded(
                timeout,
                async move { checks::run(&spec, &ctx, timeout).await },
            )
            .await;
            let took = started.elapsed();
            self.record(cfg, outcome, took).await;
        }
        .instrument(span)
        .await
    }

    /// Applies the rules to an outcome, updates the snapshot and metrics, and stores it.
    pub async fn record(&self, cfg: &ComponentConfig, outcome: CheckOutcome, took: Duration) {
        let raw = rules::apply_latency(outcome.status, took, cfg.degraded_after, cfg.timeout);
        // Before anything is kept, shown or logged: no credential of any kind survives.
        let secrets = cfg.secrets();
        let mut message = outcome
            .message
            .map(|m| crate::redact::redact_text(&m, &secrets));
        let mut details = outcome.details;
        crate::redact::redact_json(&mut details, &secrets);
        if raw == Status::Degraded
            && outcome.status == Status::Healthy
            && details.get("verdict").is_some()
        {
            details["verdict"] = json!("slow");
        }
        if raw != outcome.status && message.is_none() {
            message = Some(format!(
                "slow response: {} ms (degraded after {} ms)",
                took.as_millis(),
                cfg.degraded_after
                    .map(|d| d.as_millis())
                    .unwrap_or_default()
            ));
        }
        let record = self.change_state(&cfg.name, |st| {
            let effective = st
                .damper
                .observe(raw, cfg.failure_threshold, cfg.success_threshold);
            let now = now_ms();
            st.track_tools(&mut details, now);
            let record = CheckRecord {
                timestamp_ms: now,
                status: raw,
                effective_status: effective,
                response_time_ms: (took.as_secs_f64() * 1e5).round() / 100.0,
                error_message: message,
                details,
            };
            st.push_latency(record.response_time_ms);
            st.last = Some(record.clone());
            record
        });
        let groups: Vec<(String, CheckRecord)> = self
            .inner
            .groups
            .iter()
            .filter(|g| g.members.contains(&cfg.name))
            .filter_map(|g| Some((g.name.clone(), self.record_group(g, record.timestamp_ms)?)))
            .collect();
        let m = &self.inner.metrics;
        m.set_component_status(&cfg.name, record.effective_status);
        m.observe_check(&cfg.name, took);
        m.set_health_score(self.health_score());
        match raw {
            Status::Healthy => {
                tracing::debug!(status = %raw, ms = record.response_time_ms, "check done")
            }
            _ => tracing::warn!(
                status = %raw,
                effective = %record.effective_status,
                ms = record.response_time_ms,
                error = record.error_message.as_deref().unwrap_or(""),
                "check not healthy"
            ),
        }
        let mut rows = vec![NewCheckResult {
            component: cfg.name.clone(),
            record,
        }];
        rows.extend(
            groups
                .into_iter()
                .map(|(component, record)| NewCheckResult { component, record }),
        );
        if let Err(e) = self.store().insert_check_results(&rows).await {
            tracing::error!(error = %e, "storing check result failed");
        }
    }

    /// Recomputes a derived group from its members' damped statuses and keeps it as a result
    /// of its own (history, chart, detail page like any component).
    fn record_group(&self, g: &Group, now: i64) -> Option<CheckRecord> {
        let members: Vec<ComponentHealth> = {
            let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
            self.inner
                .components
                .iter()
                .filter(|c| g.members.contains(&c.name))
                .map(|c| self.health_of(c, state.get(&c.name)))
                .collect()
        };
        let (status, healthy, total) = if g.is_mcp() {
            mcp_group_status(&members)?
        } else {
            let checked = members.iter().filter(|m| m.status != Status::Unknown);
            let total = checked.clone().count();
            let healthy = checked.filter(|m| m.status == Status::Healthy).count();
            if total == 0 {
                return None;
            }
            let status = crate::model::ratio_status(healthy as f64 / total as f64);
            (status, healthy, total)
        };
        let slowest = members
            .iter()
            .filter_map(|m| m.response_time_ms)
            .fold(0.0, f64::max);
        let statuses: serde_json::Map<String, Value> = members
            .iter()
            .map(|m| (m.component.clone(), json!(m.status)))
            .collect();
        let ratio = healthy as f64 / total as f64;
        let (healthy_at, degraded_at) = if g.is_mcp() { (90, 70) } else { (95, 80) };
        let details = if g.is_mcp() {
            json!({
                "healthy_servers": healthy,
                "checked_servers": total,
                "ratio": (ratio * 1000.0).round() / 1000.0,
                "servers": statuses,
            })
        } else {
            json!({
                "healthy_components": healthy,
                "checked_components": total,
                "ratio": (ratio * 1000.0).round() / 1000.0,
                "components": statuses,
            })
        };
        let record = CheckRecord {
            timestamp_ms: now,
            status,
            effective_status: status,
            response_time_ms: slowest,
            error_message: (status != Status::Healthy).then(|| {
                format!(
                    "{healthy} of {total} {} healthy ({:.0} %; healthy needs {healthy_at} %, degraded {degraded_at} %)",
                    g.noun,
                    ratio * 100.0
                )
            }),
            details,
        };
        self.change_state(&g.name, |st| {
            st.damper.status = status;
            st.push_latency(record.response_time_ms);
            st.last = Some(record.clone());
        });
        self.inner.metrics.set_component_status(&g.name, status);
        Some(record)
    }

    /// A derived group as a component: not critical, never checked on its own.
    fn group_health(&self, g: &Group, st: Option<&ComponentState>) -> ComponentHealth {
        let last = st.and_then(|s| s.last.as_ref());
        let interval = self
            .inner
            .components
            .iter()
            .filter(|c| g.members.contains(&c.name))
            .map(|c| c.interval.as_secs_f64())
            .fold(f64::INFINITY, f64::min);
        ComponentHealth {
            component: g.name.clone(),
            component_type: if g.is_mcp() {
                ComponentType::ExternalService
            } else {
                ComponentType::Application
            },
            kind: if g.is_mcp() { "mcp_group" } else { "group" }.to_string(),
            critical: false,
            status: st.map(|s| s.damper.status).unwrap_or_default(),
            response_time_ms: last.map(|l| l.response_time_ms),
            timestamp: last.map(|l| rfc3339_ms(l.timestamp_ms)),
            details: last.map(|l| l.details.clone()).unwrap_or(Value::Null),
            error_message: last.and_then(|l| l.error_message.clone()),
            last_result_status: last.map(|l| l.status).unwrap_or_default(),
            consecutive_failures: 0,
            consecutive_successes: 0,
            interval_secs: if interval.is_finite() { interval } else { 0.0 },
            timeout_ms: 0.0,
            degraded_after_ms: None,
            p95_ms: st.and_then(ComponentState::p95),
        }
    }

    fn health_of(&self, cfg: &ComponentConfig, st: Option<&ComponentState>) -> ComponentHealth {
        let last = st.and_then(|s| s.last.as_ref());
        let damper = st.map(|s| s.damper.clone()).unwrap_or_default();
        ComponentHealth {
            component: cfg.name.clone(),
            component_type: cfg.component_type,
            kind: cfg.check.kind().as_str().to_string(),
            critical: cfg.critical,
            status: damper.status,
            response_time_ms: last.map(|l| l.response_time_ms),
            timestamp: last.map(|l| rfc3339_ms(l.timestamp_ms)),
            details: last.map(|l| l.details.clone()).unwrap_or(Value::Null),
            error_message: last.and_then(|l| l.error_message.clone()),
            last_result_status: last.map(|l| l.status).unwrap_or_default(),
            consecutive_failures: damper.consecutive_failures,
            consecutive_successes: damper.consecutive_successes,
            interval_secs: cfg.interval.as_secs_f64(),
            timeout_ms: cfg.timeout.as_secs_f64() * 1000.0,
            degraded_after_ms: cfg.degraded_after.map(|d| d.as_secs_f64() * 1000.0),
            p95_ms: st.and_then(ComponentState::p95),
        }
    }

    pub fn component(&self, name: &str) -> Option<ComponentHealth> {
        let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = self.group(name) {
            return Some(self.group_health(g, state.get(name)));
        }
        let cfg = self.config(name).ok()?;
        Some(self.health_of(cfg, state.get(name)))
    }

    /// The health score alone, without building the whole summary.
    fn health_score(&self) -> f64 {
        let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
        let groups = self.inner.groups.iter().map(|g| g.name.as_str());
        let statuses = self
            .inner
            .components
            .iter()
            .map(|c| c.name.as_str())
            .chain(groups)
            .map(|name| state.get(name).map(|s| s.damper.status).unwrap_or_default());
        rules::health_score(Counts::of(statuses))
    }

    /// Every change to a component's state goes through here, so `generation` counts it.
    fn change_state<R>(&self, name: &str, f: impl FnOnce(&mut ComponentState) -> R) -> R {
        let r = {
            let mut state = self.inner.state.write().unwrap_or_else(|p| p.into_inner());
            f(state.entry(name.to_string()).or_default())
        };
        self.inner.changes.fetch_add(1, Ordering::Release);
        r
    }

    /// Counts changes to the components' state: equal figures mean an equal `summary` (but
    /// for its clock fields, uptime and when it was made).
    pub fn generation(&self) -> u64 {
        self.inner.changes.load(Ordering::Acquire)
    }

    pub fn uptime_seconds(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }

    /// The current snapshot; reads memory only.
    pub fn summary(&self) -> HealthSummary {
        let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
        let mut components: Vec<ComponentHealth> = self
            .inner
            .components
            .iter()
            .map(|c| self.health_of(c, state.get(&c.name)))
            .collect();
        for g in &self.inner.groups {
            components.push(self.group_health(g, state.get(&g.name)));
        }
        let last_check = state
            .values()
            .filter_map(|s| s.last.as_ref().map(|l| l.timestamp_ms))
            .max();
        drop(state);
        let pairs: Vec<(Status, bool)> =
            components.iter().map(|c| (c.status, c.critical)).collect();
        let counts = Counts::of(pairs.iter().map(|p| p.0));
        HealthSummary {
            overall_status: rules::overall_status(&pairs),
            healthy_components: counts.healthy,
            degraded_components: counts.degraded,
            unhealthy_components: counts.unhealthy,
            total_components: counts.total(),
            health_score: rules::health_score(counts),
            components,
            last_check: last_check.map(rfc3339_ms),
            uptime_seconds: self.uptime_seconds(),
            generated_at_ms: now_ms(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// A component with its recent history from the database.
    pub async fn detail(&self, name: &str) -> Result<ComponentDetail, EngineError> {
        let component = self
            .component(name)
            .ok_or_else(|| EngineError::UnknownComponent(name.to_string()))?;
        let history = self.store().history(name, HISTORY_LIMIT).await?;
        let availability_pct = (!history.is_empty()).then(|| {
            let up = history
                .iter()
                .filter(|r| matches!(r.status, Status::Healthy | Status::Degraded))
                .count();
            (up as f64 * 1000.0 / history.len() as f64).round() / 10.0
        });
        Ok(ComponentDetail {
            component,
            history,
            availability_pct,
            generated_at_ms: now_ms(),
        })
    }

    fn next_delay(&self, cfg: &ComponentConfig) -> Duration {
        let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
        match state.get(&cfg.name) {
            Some(st) => rules::next_delay(&st.damper, cfg.interval, cfg.confirm_interval),
            None => cfg.interval,
        }
    }

    /// Starts one loop per component plus the retention job; the set aborts them when dropped.
    pub fn spawn(&self, retention: Duration) -> JoinSet<()> {
        let mut set = JoinSet::new();
        // One watch per distinct server, however many components it serves: a thousand
        // components on one host must not hold a thousand of its connections.
        let mut watched: HashMap<(String, u16), watch::Watched> = HashMap::new();
        for cfg in self.inner.components.clone() {
            let engine = self.clone();
            let alarm = Arc::new(Notify::new());
            if let Some(key) = self.inner.watch.then(|| watch::endpoint(&cfg)).flatten() {
                let w = watched.entry(key).or_insert_with(|| watch::Watched {
                    names: Vec::new(),
                    connect_timeout: cfg.timeout,
                    alarms: Vec::new(),
                });
                w.names.push(cfg.name.clone());
                w.connect_timeout = w.connect_timeout.min(cfg.timeout);
                w.alarms.push(alarm.clone());
            }
            set.spawn(async move {
                // Spread first runs so components configured together do not fire together.
                let first = fastrand::u64(0..=cfg.interval.as_millis().min(1000) as u64);
                tokio::time::sleep(Duration::from_millis(first)).await;
                loop {
                    engine.run_one(&cfg).await;
                    let delay = engine.next_delay(&cfg);
                    let delay = if delay == cfg.interval {
                        jittered(delay)
                    } else {
                        delay
                    };
                    // The watch cuts the wait short when the server goes away.
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = alarm.notified() => {}
                    }
                }
            });
        }
        for ((host, port), w) in watched {
            set.spawn(watch::run(host, port, w));
        }
        let store = self.store().clone();
        set.spawn(async move {
            loop {
                let cutoff = now_ms() - retention.as_millis() as i64;
                match store.prune_check_results(cutoff).await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned old check results"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "pruning check results failed"),
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        });
        set
    }
}

/// The interval ±10 %, so checks drift apart instead of bunching.
fn jittered(interval: Duration) -> Duration {
    let ms = interval.as_millis() as f64;
    Duration::from_millis((ms * (0.9 + fastrand::f64() * 0.2)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CheckSpec;
    use crate::health::test_support::closed_port;
    use crate::model::ComponentType;

    async fn engine_with(components: Vec<ComponentConfig>) -> (HealthEngine, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/p.db", dir.path().display()))
            .await
            .unwrap();
        let engine = HealthEngine::new(components, store, Metrics::new().unwrap(), 4);
        (engine, dir)
    }

    fn comp(name: &str, check: CheckSpec, critical: bool) -> ComponentConfig {
        ComponentConfig {
            name: name.into(),
            component_type: ComponentType::Network,
            critical,
            interval: Duration::from_secs(1),
            timeout: Duration::from_millis(500),
            degraded_after: None,
            failure_threshold: 3,
            success_threshold: 2,
            confirm_interval: Duration::from_millis(200),
            depends_on: Vec::new(),
            group: None,
            check,
        }
    }

    #[tokio::test]
    async fn timeouts_and_panics_become_unhealthy_results() {
        let slow = guarded(Duration::from_millis(50), async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            CheckOutcome::healthy(Value::Null)
        })
        .await;
        assert_eq!(slow.status, Status::Unhealthy);
        assert_eq!(slow.message.as_deref(), Some("check timed out after 50ms"));

        let boom = guarded(Duration::from_secs(1), async {
            if std::hint::black_box(true) {
                panic!("kaboom");
            }
            CheckOutcome::healthy(Value::Null)
        })
        .await;
        assert_eq!(boom.status, Status::Unhealthy);
        assert_eq!(boom.message.as_deref(), Some("check panicked: kaboom"));
    }

    #[tokio::test]
    async fn a_hung_check_does_not_stall_others() {
        // One listener that accepts and never answers: the http check hangs until its timeout.
        let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hung_port = hung.local_addr().unwrap().port();
        let db = comp("db", CheckSpec::Database, true);
        let mut slow = comp(
            "slow",
            CheckSpec::Http {
                url: format!("http://127.0.0.1:{hung_port}/"),
                expected_status: 200,
                body_contains: None,
            },
            false,
        );
        slow.timeout = Duration::from_secs(3);
        let (engine, _dir) = engine_with(vec![db, slow]).await;
        let e2 = engine.clone();
        let hung_task = tokio::spawn(async move { e2.check_now("slow").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let db = engine.check_now("db").await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "db check waited on the hung one"
        );
        assert_eq!(db.status, Status::Healthy);
        let slow = hung_task.await.unwrap().unwrap();
        assert_eq!(slow.status, Status::Unhealthy);
        assert!(slow.error_message.unwrap().contains("timed out"));
        drop(hung);
    }

    #[tokio::test]
    async fn failing_critical_component_turns_the_system_unhealthy_and_is_stored() {
        let db = comp("db", CheckSpec::Database, false);
        let api = comp(
            "api",
            CheckSpec::Tcp {
                host: "127.0.0.1".into(),
                port: closed_port(),
            },
            true,
        );
        let (engine, _dir) = engine_with(vec![db, api]).await;
        assert_eq!(engine.summary().overall_status, Status::Unknown);
        engine.check_now("db").await.unwrap();
        let s = engine.summary();
        assert_eq!(
            s.overall_status,
            Status::Healthy,
            "unchecked components are ignored"
        );
        assert_eq!(s.health_score, 50.0);

        let api = engine.check_now("api").await.unwrap();
        assert_eq!(api.status, Status::Unhealthy);
        assert!(api
            .error_message
            .as_deref()
            .unwrap()
            .contains("connect to 127.0.0.1"));
        let s = engine.summary();
        assert_eq!(s.overall_status, Status::Unhealthy);
        assert_eq!((s.healthy_components, s.total_components), (1, 2));

        engine.check_now("api").await.unwrap();
        let d = engine.detail("api").await.unwrap();
        assert_eq!(d.history.len(), 2);
        assert_eq!(d.availability_pct, Some(0.0));
        assert!(matches!(
            engine.detail("nope").await,
            Err(EngineError::UnknownComponent(_))
        ));
    }

    #[tokio::test]
    async fn damping_holds_status_until_failures_repeat() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tcp = comp(
            "svc",
            CheckSpec::Tcp {
                host: "127.0.0.1".into(),
                port,
            },
            false,
        );
        let (engine, _dir) = engine_with(vec![tcp]).await;
        assert_eq!(
            engine.check_now("svc").await.unwrap().status,
            Status::Healthy
        );
        drop(listener);
        for _ in 0..2 {
            let c = engine.check_now("svc").await.unwrap();
            assert_eq!(c.status, Status::Healthy, "damped");
            assert_eq!(c.last_result_status, Status::Unhealthy, "raw result shown");
        }
        let c = engine.check_now("svc").await.unwrap();
        assert_eq!(c.status, Status::Unhealthy);
        assert_eq!(c.consecutive_failures, 3);
    }

    #[tokio::test]
    async fn scheduler_confirms_a_failure_at_the_short_interval() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut svc = comp(
            "svc",
            CheckSpec::Tcp {
                host: "127.0.0.1".into(),
                port,
            },
            false,
        );
        svc.interval = Duration::from_secs(2);
        let (engine, _dir) = engine_with(vec![svc]).await;
        let set = engine.spawn(Duration::from_secs(3600));
        let wait_for = |want: Status| {
            let engine = engine.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(15);
                while engine.summary().overall_status != want && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                engine.summary().overall_status
            }
        };
        assert_eq!(wait_for(Status::Healthy).await, Status::Healthy);
        drop(listener);
        assert_eq!(
            wait_for(Status::Degraded).await,
            Status::Degraded,
            "one unhealthy of one"
        );
        // The status is published before its row is committed (and dropping the scheduler
        // would cancel that write): wait for the row first, bounded.
        let deadline = Instant::now() + Duration::from_secs(5);
        let (h, failures) = loop {
            let h = engine.detail("svc").await.unwrap().history;
            let failures: Vec<i64> = h
                .iter()
                .filter(|r| r.status == Status::Unhealthy)
                .map(|r| r.timestamp_ms)
                .collect();
            if failures.len() >= 3 || Instant::now() >= deadline {
                break (h, failures);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        drop(set);
        assert_eq!(failures.len(), 3, "{h:?}");
        // Three failures spaced by the 200 ms confirm interval, not the 2 s (±10 %) interval.
        let span = failures[0] - failures[2];
        assert!(span < 1_800, "failures spread over {span} ms");
    }

    #[tokio::test]
    async fn a_changed_tool_list_is_marked_and_kept_in_history() {
        let (engine, _dir) = engine_with(vec![comp("db", CheckSpec::Database, false)]).await;
        let cfg = engine.components()[0].clone();
        let outcome =
            |hash: &str| CheckOutcome::healthy(json!({"verdict": "ok", "tools_hash": hash}));
        for hash in ["aaa", "aaa"] {
            engine
                .record(&cfg, outcome(hash), Duration::from_millis(1))
                .await;
            assert!(engine
                .component("db")
                .unwrap()
                .details
                .get("tools_changed_at")
                .is_none());
        }
        engine
            .record(&cfg, outcome("bbb"), Duration::from_millis(1))
            .await;
        let changed = engine.component("db").unwrap().details["tools_changed_at"].clone();
        assert!(changed.is_string());
        engine
            .record(&cfg, outcome("bbb"), Duration::from_millis(1))
            .await;
        assert_eq!(
            engine.component("db").unwrap().details["tools_changed_at"],
            changed,
            "kept"
        );
        let h = engine.detail("db").await.unwrap().history;
        assert_eq!(
            h.iter()
                .filter(|r| r.details.get("tools_changed_at").is_some())
                .count(),
            2
        );
    }

    fn mcp(name: &str) -> ComponentConfig {
        let mut c = comp(
            name,
            CheckSpec::Mcp {
                url: format!("http://127.0.0.1:{}/mcp", closed_port()),
                headers: vec![],
                protocol_version: None,
                list_tools: true,
                auth_required_status: Status::Degraded,
            },
            false,
        );
        c.failure_threshold = 1;
        c.success_threshold = 1;
        c
    }

    #[tokio::test]
    async fn mcp_servers_group_follows_the_seed_thresholds_and_has_history() {
        let servers: Vec<ComponentConfig> = (0..4).map(|i| mcp(&format!("m{i}"))).collect();
        let mut all = servers.clone();
        all.push(comp("db", CheckSpec::Database, false));
        let (engine, _dir) = engine_with(all).await;
        let group = engine.component(MCP_GROUP).unwrap();
        assert_eq!(group.status, Status::Unknown, "nothing checked yet");
        assert_eq!(
            engine.summary().total_components,
            6,
            "four servers, db and the group"
        );
        let ok = || CheckOutcome::healthy(json!({"verdict": "ok"}));
        for s in &servers {
            engine.record(s, ok(), Duration::from_millis(3)).await;
        }
        assert_eq!(engine.component(MCP_GROUP).unwrap().status, Status::Healthy);
        // 3 of 4 = 0.75: degraded; 2 of 4: unhealthy.
        let down = || CheckOutcome::unhealthy("connection refused", Value::Null);
        engine
            .record(&servers[0], down(), Duration::from_millis(3))
            .await;
        let g = engine.component(MCP_GROUP).unwrap();
        assert_eq!(g.status, Status::Degraded);
        assert_eq!(g.details["healthy_servers"], 3);
        assert!(g
            .error_message
            .unwrap()
            .starts_with("3 of 4 MCP servers healthy"));
        engine
            .record(&servers[1], down(), Duration::from_millis(3))
            .await;
        assert_eq!(
            engine.component(MCP_GROUP).unwrap().status,
            Status::Unhealthy
        );
        let summary = engine.summary();
        let listed = summary.components.iter().find(|c| c.component == MCP_GROUP);
        assert_eq!(listed.map(|c| c.status), Some(Status::Unhealthy));
        // The group has a detail page with its own history, newest first.
        let d = engine.detail(MCP_GROUP).await.unwrap();
        assert_eq!(d.history.len(), 6);
        assert_eq!(d.history[0].status, Status::Unhealthy);
        assert_eq!(d.history[1].status, Status::Degraded);
        // "Check now" on the group checks every server (here all refuse connections).
        let g = engine.check_now(MCP_GROUP).await.unwrap();
        assert_eq!(g.details["healthy_servers"], 0);
        assert!(engine.component("db").unwrap().p95_ms.is_none());
    }

    #[tokio::test]
    async fn the_auth_group_reports_its_health_ratio_with_the_seed_thresholds() {
        let member = |name: &str, check: CheckSpec| ComponentConfig {
            group: Some("auth".into()),
            failure_threshold: 1,
            success_threshold: 1,
            ..comp(name, check, false)
        };
        let members = vec![
            member("oauth-proxy", CheckSpec::Database),
            member("session-store", CheckSpec::Database),
            member("auth-backend", CheckSpec::Database),
            member("role-sync", CheckSpec::RoleSync { max_failures: 2 }),
        ];
        let mut all = members.clone();
        all.push(comp("db", CheckSpec::Database, false));
        let (engine, _dir) = engine_with(all).await;
        let auth = crate::model::AUTH_GROUP;
        assert_eq!(engine.component(auth).unwrap().status, Status::Unknown);
        assert!(
            engine.component(MCP_GROUP).is_none(),
            "no MCP servers, no MCP group"
        );
        let ok = || CheckOutcome::healthy(json!({}));
        for m in &members {
            engine.record(m, ok(), Duration::from_millis(3)).await;
        }
        let g = engine.component(auth).unwrap();
        assert_eq!((g.status, g.kind.as_str()), (Status::Healthy, "group"));
        assert_eq!(g.details["ratio"], 1.0);
        // One of four down is 0.75: below the seed's 0.80, so unhealthy (not merely degraded).
        let down = || CheckOutcome::unhealthy("role syncs failing", Value::Null);
        engine
            .record(&members[3], down(), Duration::from_millis(3))
            .await;
        let g = engine.component(auth).unwrap();
        assert_eq!(g.status, Status::Unhealthy);
        assert_eq!(g.details["healthy_components"], 3);
        assert!(g
            .error_message
            .unwrap()
            .starts_with("3 of 4 auth components healthy"));
        let d = engine.detail(auth).await.unwrap();
        assert_eq!(d.history.len(), 5, "the group has its own history");
        assert_eq!(d.history[0].status, Status::Unhealthy);
        // "Check now" runs every member: role sync reads the store (no failures: healthy).
        let g = engine.check_now(auth).await.unwrap();
        assert_eq!(g.status, Status::Healthy, "{:?}", g.details);
        let rs = engine.component("role-sync").unwrap();
        assert_eq!(rs.details["failures_last_15m"], 0);
    }

    #[tokio::test]
    async fn role_sync_turns_unhealthy_past_its_failures_in_fifteen_minutes() {
        let rs = ComponentConfig {
            group: Some("auth".into()),
            ..comp("role-sync", CheckSpec::RoleSync { max_failures: 1 }, false)
        };
        let (engine, _dir) = engine_with(vec![rs.clone()]).await;
        let sync = |minutes_ago: i64, outcome: &str| crate::events::AuditEvent {
            ts_ms: now_ms() - minutes_ago * 60_000,
            actor_id: "u".into(),
            actor_role: "viewer".into(),
            action: crate::audit::auth::ROLE_SYNC.into(),
            category: "role_migration".into(),
            resource: None,
            outcome: outcome.into(),
            session_id: None,
            details: None,
            duration_ms: None,
            provider: None,
            auth: Some(Default::default()),
            source: crate::events::EventSource::Ingest,
        };
        // Two failures, but one of them 40 minutes ago: one counts, at the limit.
        let events = vec![sync(1, "failure"), sync(40, "failure"), sync(2, "success")];
        engine.store().insert_audits(&events).await.unwrap();
        let c = engine.check_now("role-sync").await.unwrap();
        assert_eq!(c.last_result_status, Status::Healthy, "{:?}", c.details);
        assert_eq!(c.details["failures_last_15m"], 1);
        assert_eq!(c.details["syncs_last_15m"], 2);
        engine
            .store()
            .insert_audits(&[sync(0, "failure")])
            .await
            .unwrap();
        let c = engine.check_now("role-sync").await.unwrap();
        assert_eq!(c.last_result_status, Status::Unhealthy);
        assert!(c
            .error_message
            .unwrap()
            .contains("2 role syncs failed in the last 15 minutes"));
    }

    #[tokio::test]
    async fn no_group_without_mcp_servers() {
        let (engine, _dir) = engine_with(vec![comp("db", CheckSpec::Database, false)]).await;
        assert!(engine.component(MCP_GROUP).is_none());
        assert!(matches!(
            engine.check_now(MCP_GROUP).await,
            Err(EngineError::UnknownComponent(_))
        ));
    }

    #[tokio::test]
    async fn p95_and_the_tool_baseline_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/p.db", dir.path().display());
        let server = mcp("m");
        let outcome =
            |hash: &str| CheckOutcome::healthy(json!({"verdict": "ok", "tools_hash": hash}));
        {
            let store = Store::connect(&url).await.unwrap();
            let engine = HealthEngine::new(vec![server.clone()], store, Metrics::new().unwrap(), 2);
            for ms in 1..=20u64 {
                engine
                    .record(&server, outcome("aaa"), Duration::from_millis(ms))
                    .await;
            }
            let p95 = engine.component("m").unwrap().p95_ms.unwrap();
            assert!(
                (19.0..20.5).contains(&p95),
                "p95 of 1..=20 ms is 19 ms, got {p95}"
            );
            engine.store().close().await;
        }
        let store = Store::connect(&url).await.unwrap();
        let engine = HealthEngine::new(vec![server.clone()], store, Metrics::new().unwrap(), 2);
        engine.restore().await.unwrap();
        assert!(
            engine.component("m").unwrap().p95_ms.is_some(),
            "p95 restored"
        );
        // The tool list changed while Pulse was down: the first check after restart says so.
        engine
            .record(&server, outcome("bbb"), Duration::from_millis(1))
            .await;
        assert!(engine.component("m").unwrap().details["tools_changed_at"].is_string());
    }

    #[tokio::test]
    async fn scheduler_runs_checks_on_their_own() {
        let (engine, _dir) = engine_with(vec![comp("db", CheckSpec::Database, true)]).await;
        let set = engine.spawn(Duration::from_secs(3600));
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine.summary().overall_status == Status::Unknown && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(engine.summary().overall_status, Status::Healthy);
        drop(set);
    }
}
