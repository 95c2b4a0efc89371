//! Where each alert metric comes from: the health engine's snapshot, the traffic rollups, the
//! host sampler's latest sample and the role views. Never a number written in code (seed 000's
//! monitor fed constants). One `Reader` serves one tick and reads each source at most once
//! per distinct question, so a thousand rules over the same metric cost one query.

use super::minutes::MinuteCache;
use crate::analytics::roles_service;
use crate::config::{AlertRule, AuditSettings};
use crate::health::HealthEngine;
use crate::latency::Agg;
use crate::model::{mcp_group_status, HealthSummary, Status, ROLES};
use crate::store::alerts::WindowRow;
use crate::store::{Resolution, Store, StoreError, SystemSample, MINUTE_MS};
use std::collections::HashMap;

/// An instance's labels, sorted by name.
pub type Labels = Vec<(String, String)>;

/// One instance's sample: its labels and the value (`None`: no data).
pub type Sample = (Labels, Option<f64>);

pub struct Reader<'a> {
    store: &'a Store,
    engine: &'a HealthEngine,
    audit: &'a AuditSettings,
    /// A host sample older than this is no data (the sampler stopped).
    stale_ms: i64,
    now: i64,
    summary: Option<HealthSummary>,
    system: Option<Option<SystemSample>>,
    traffic: HashMap<(i64, i64), Vec<WindowRow>>,
    roles: HashMap<i64, HashMap<String, Agg>>,
    denied: HashMap<i64, Vec<(String, i64)>>,
    rates: Option<Vec<(String, f64)>>,
}

impl<'a> Reader<'a> {
    pub fn new(
        store: &'a Store,
        engine: &'a HealthEngine,
        audit: &'a AuditSettings,
        sample_interval: std::time::Duration,
        now: i64,
    ) -> Reader<'a> {
        Reader {
            store,
            engine,
            audit,
            stale_ms: (sample_interval.as_millis() as i64 * 3).max(60_000),
            now,
            summary: None,
            system: None,
            traffic: HashMap::new(),
            roles: HashMap::new(),
            denied: HashMap::new(),
            rates: None,
        }
    }

    /// The rule's window `[from, to)`: it ends with the current (partial) minute.
    fn span(&self, rule: &AlertRule) -> (i64, i64) {
        let to = self.now - self.now.rem_euclid(MINUTE_MS) + MINUTE_MS;
        (to - rule.window.as_millis() as i64, to)
    }

    /// Reads every traffic window the rules need at once: short ones built from `minutes`
    /// (which reads only what changed), long ones side by side on the reader pool.
    pub async fn prefetch(
        &mut self,
        rules: &[AlertRule],
        minutes: &mut MinuteCache,
    ) -> Result<(), StoreError> {
        let mut wanted: Vec<(i64, i64)> = Vec::new();
        for r in rules {
            let (from, to) = self.span(r);
            match r.metric.as_str() {
                "error_rate_percent" | "p95_ms" | "requests_per_minute" => wanted.push((from, to)),
                "regression" => {
                    let base = r.baseline.as_millis() as i64;
                    wanted.extend([(from, to), (from - base, to - base)]);
                }
                _ => {}
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        wanted.retain(|w| !self.traffic.contains_key(w));
        let windows = minutes.windows(self.store, &wanted, self.now).await?;
        self.traffic.extend(windows.built);
        let store = self.store;
        let read = windows.left.into_iter().map(|(from, to)| async move {
            store
                .traffic_window_rows(from, to)
                .await
                .map(|rows| ((from, to), rows))
        });
        self.traffic
            .extend(futures::future::try_join_all(read).await?);
        Ok(())
    }

    /// The rule's instances and their values now.
    pub async fn read(&mut self, rule: &AlertRule) -> Result<Vec<Sample>, StoreError> {
        let (from, to) = self.span(rule);
        let elapsed_min = ((self.now - from) as f64 / MINUTE_MS as f64).max(1.0 / 60.0);
        let selector = |key: &str| {
            rule.selectors
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let traffic_labels: Labels = {
            let mut l: Labels = rule
                .selectors
                .iter()
                .filter(|(k, _)| k != "component")
                .cloned()
                .collect();
            l.sort();
            l
        };
        Ok(match rule.metric.as_str() {
            "cpu_percent" | "memory_percent" | "disk_percent" => {
                let s = self.system().await?;
                let v = s.map(|s| match rule.metric.as_str() {
                    "cpu_percent" => s.cpu_pct,
                    "disk_percent" => s.disk_pct,
                    _ if s.memory_total_bytes > 0 => {
                        s.memory_used_bytes as f64 * 100.0 / s.memory_total_bytes as f64
                    }
                    _ => f64::NAN,
                });
                vec![(Vec::new(), v.filter(|v| v.is_finite()))]
            }
            "error_rate_percent" | "p95_ms" | "requests_per_minute" => {
                let a = self.traffic(from, to, &traffic_labels).await?;
                let v = match rule.metric.as_str() {
                    "error_rate_percent" => (a.count > 0).then(|| a.error_pct()),
                    "p95_ms" => a.quantile(0.95),
                    _ => Some(a.count as f64 / elapsed_min),
                };
                vec![(traffic_labels, v)]
            }
            "regression" => {
                let base = rule.baseline.as_millis() as i64;
                let now_p95 = self
                    .traffic(from, to, &traffic_labels)
                    .await?
                    .quantile(0.95);
                let then_p95 = self
                    .traffic(from - base, to - base, &traffic_labels)
                    .await?
                    .quantile(0.95);
                let v = match (now_p95, then_p95) {
                    (Some(n), Some(t)) if t > 0.0 => Some(n / t),
                    _ => None,
                };
                vec![(traffic_labels, v)]
            }
            "component_unhealthy" | "component_degraded" => {
                let want = if rule.metric == "component_unhealthy" {
                    Status::Unhealthy
                } else {
                    Status::Degraded
                };
                let only = selector("component");
                self.summary()
                    .components
                    .iter()
                    .filter(|c| only.as_ref().is_none_or(|o| o == &c.component))
                    .map(|c| {
                        let v = (c.status != Status::Unknown)
                            .then(|| f64::from(u8::from(c.status == want)));
                        (vec![("component".to_string(), c.component.clone())], v)
                    })
                    .collect()
            }
            "mcp_servers_health_ratio" => {
                let components = &self.summary().components;
                // Without MCP servers configured the rule has nothing to watch (no instance,
                // rather than a `no_data` that would never change).
                if !components.iter().any(|c| c.kind == "mcp") {
                    return Ok(Vec::new());
                }
                let v = mcp_group_status(components)
                    .map(|(_, healthy, total)| healthy as f64 / total as f64);
                vec![(Vec::new(), v)]
            }
            "auth_system_health_ratio" => {
                // The derived `authentication_system` (components in group `auth`): none
                // configured, nothing to watch.
                let summary = self.summary();
                let Some(g) = summary
                    .components
                    .iter()
                    .find(|c| c.component == crate::model::AUTH_GROUP)
                else {
                    return Ok(Vec::new());
                };
                let v = (g.status != Status::Unknown)
                    .then(|| g.details.get("ratio").and_then(serde_json::Value::as_f64))
                    .flatten();
                vec![(Vec::new(), v)]
            }
            "role_p95_over_target" => {
                let targets = self.audit.targets_ms;
                let by_role = self.roles(from, to).await?;
                per_role(selector("role"), |i, role| {
                    let p95 = by_role.get(role).and_then(|a| a.quantile(0.95))?;
                    Some(p95 / targets[i])
                })
            }
            "role_rate_limit_percent" => {
                let rates = self.rates().await?;
                per_role(selector("role"), |_, role| {
                    Some(
                        rates
                            .iter()
                            .find(|(r, _)| r == role)
                            .map(|(_, p)| *p)
                            .unwrap_or(0.0),
                    )
                })
            }
            "audit_denied" => {
                let denied = self.denied(from, to).await?;
                per_role(selector("role"), |_, role| {
                    Some(
                        denied
                            .iter()
                            .find(|(r, _)| r == role)
                            .map(|(_, n)| *n as f64)
                            .unwrap_or(0.0),
                    )
                })
            }
            // Config validation admits only the metrics above.
            _ => Vec::new(),
        })
    }

    fn summary(&mut self) -> &HealthSummary {
        self.summary.get_or_insert_with(|| self.engine.summary())
    }

    async fn system(&mut self) -> Result<Option<SystemSample>, StoreError> {
        if self.system.is_none() {
            let s = self.store.latest_system_sample().await?;
            let fresh = s.filter(|s| self.now - s.ts_ms <= self.stale_ms);
            self.system = Some(fresh);
        }
        Ok(self.system.clone().flatten())
    }

    /// The window's traffic under the selectors: the window is read once per tick, then
    /// each selector's rows are merged here.
    async fn traffic(&mut self, from: i64, to: i64, sel: &Labels) -> Result<Agg, StoreError> {
        if !self.traffic.contains_key(&(from, to)) {
            let rows = self.store.traffic_window_rows(from, to).await?;
            self.traffic.insert((from, to), rows);
        }
        let mut a = Agg::default();
        for r in self.traffic[&(from, to)]
            .iter()
            .filter(|r| r.selected_by(sel))
        {
            a.merge(&r.agg);
        }
        Ok(a)
    }

    // The role reads below are each made once per tick and lent to every rule that asks.

    async fn roles(&mut self, from: i64, to: i64) -> Result<&HashMap<String, Agg>, StoreError> {
        if !self.roles.contains_key(&from) {
            let r = self
                .store
                .traffic_roles(&[(Resolution::Minute, from, to)])
                .await?;
            self.roles.insert(from, r);
        }
        Ok(&self.roles[&from])
    }

    async fn denied(&mut self, from: i64, to: i64) -> Result<&[(String, i64)], StoreError> {
        if !self.denied.contains_key(&from) {
            let d = self.store.denied_by_role(from, to).await?;
            self.denied.insert(from, d);
        }
        Ok(&self.denied[&from])
    }

    /// The busiest user's share of each role's rate limit over the last 60 s.
    async fn rates(&mut self) -> Result<&[(String, f64)], StoreError> {
        if self.rates.is_none() {
            let view =
                roles_service::rate_limits(self.store, self.audit, self.now, crate::span::Span::H1)
                    .await?;
            self.rates = Some(
                view.roles
                    .into_iter()
                    .map(|r| (r.role, r.busiest_pct))
                    .collect(),
            );
        }
        Ok(self.rates.as_deref().unwrap_or_default())
    }
}

/// One instance per role (or only the selected one), labelled `role`.
fn per_role(only: Option<String>, value: impl Fn(usize, &str) -> Option<f64>) -> Vec<Sample> {
    ROLES
        .iter()
        .enumerate()
        .filter(|(_, r)| only.as_deref().is_none_or(|o| o == **r))
        .map(|(i, r)| (vec![("role".to_string(), r.to_string())], value(i, r)))
        .collect()
}
