//! The alert evaluator: every `evaluation_interval` each rule's instances are sampled from
//! live data and stepped (the pure `rules::step`); state changes, transitions and the
//! notifications they cause are written in one transaction, then the channel workers are woken.
//! Instances are remembered in the store, so a restart resumes firing alerts without telling
//! anyone twice.

use super::minutes::MinuteCache;
use super::notify::{self, Metadata, Notification};
use super::rules::{step, Instance, Notice, State};
use super::sources::{Labels, Reader};
use crate::config::{AlertRule, AlertSettings, AuditSettings, Channel};
use crate::health::HealthEngine;
use crate::metrics::Metrics;
use crate::model::rfc3339_ms;
use crate::store::alerts::{AlertWrites, OutboxItem, StoredInstance, Transition};
use crate::store::silences::StoredWindow;
use crate::store::{Store, StoreError};
use crate::suppression::{Maintenance, MaintenanceSpec, Silence};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};

/// Alertmanager forgets a firing alert unless it is re-sent; Pulse re-sends this often.
const AM_REFRESH_MS: i64 = 60_000;

#[derive(Clone)]
pub struct Alerts {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Alerts")
    }
}

pub(super) struct Inner {
    pub(super) settings: AlertSettings,
    pub(super) store: Store,
    pub(super) engine: HealthEngine,
    pub(super) audit: AuditSettings,
    pub(super) sample_interval: Duration,
    pub(super) metrics: Metrics,
    pub(super) state: Mutex<HashMap<String, Tracked>>,
    /// Recent minutes of traffic kept between ticks (only ticks take it).
    pub(super) minutes: Mutex<MinuteCache>,
    /// When each channel was last sent a test notification (one key per configured channel).
    pub(super) last_test: Mutex<HashMap<String, i64>>,
    pub(super) wake: Arc<Notify>,
    pub(super) client: reqwest::Client,
    /// Each rule's position in `settings.rules`, by name (built once; names are unique).
    pub(super) rule_index: HashMap<String, usize>,
    /// Every component's name and the components it depends on.
    pub(super) depends_on: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
pub(super) struct Tracked {
    pub(super) rule: String,
    pub(super) labels: Labels,
    pub(super) inst: Instance,
    /// When the instance was last sent to Alertmanager channels (memory only: after a
    /// restart the first tick re-sends, which Alertmanager deduplicates).
    pub(super) am_sent_ms: i64,
    /// Why this firing alert is not being notified (a silence, a window, a dependency).
    pub(super) suppressed_by: Option<String>,
}

/// One instance's step this tick, before suppression is applied.
struct Stepped<'a> {
    rule: &'a AlertRule,
    id: String,
    labels: Labels,
    prev: Tracked,
    next: Instance,
    notice: Notice,
}

/// The stable id of a rule × label set (the same after a restart; receivers dedupe by it).
pub fn alert_id(rule: &str, labels: &Labels) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    for (k, v) in labels {
        h.update([0]);
        h.update(k.as_bytes());
        h.update([1]);
        h.update(v.as_bytes());
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn labels_json(labels: &Labels) -> String {
    let map: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

pub(super) fn labels_of(json: &str) -> Labels {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).unwrap_or_default();
    let mut l: Labels = map
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect();
    l.sort();
    l
}

fn state_of(s: &str) -> State {
    match s {
        "pending" => State::Pending,
        "firing" => State::Firing,
        "resolved" => State::Resolved,
        "no_data" => State::NoData,
        _ => State::Inactive,
    }
}

fn notice_word(n: Notice) -> &'static str {
    match n {
        Notice::None => "none",
        Notice::Firing => "firing",
        Notice::FiringInCooldown => "recorded",
        Notice::Repeat => "repeat",
        Notice::Resolved => "resolved",
    }
}

/// Two instances equal but for the last value: not worth a write.
fn same_but_value(a: &Instance, b: &Instance) -> bool {
    Instance { value: None, ..*a } == Instance { value: None, ..*b }
}

/// What one tick did, for tests and the benchmark.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TickReport {
    pub instances: usize,
    pub transitions: usize,
    pub notifications: usize,
    /// Rules whose data could not be read this tick (their instances were left as they were).
    pub unreadable: usize,
    /// Where the tick's time went, in ms: suppressions read, windows read ahead, the rules'
    /// own reads, the stored changes (for the bench and the debug log).
    pub phases_ms: [f64; 4],
}

impl Alerts {
    pub fn new(
        settings: AlertSettings,
        store: Store,
        engine: HealthEngine,
        audit: AuditSettings,
        sample_interval: Duration,
        metrics: Metrics,
    ) -> Alerts {
        metrics.prime_channels(
            &settings
                .channels
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
        );
        let depends_on = engine
            .components()
            .iter()
            .map(|c| (c.name.clone(), c.depends_on.clone()))
            .collect();
        let rule_index = settings
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        Alerts {
            inner: Arc::new(Inner {
                rule_index,
                depends_on,
                settings,
                store,
                engine,
                audit,
                sample_interval,
                metrics,
                state: Mutex::new(HashMap::new()),
                minutes: Mutex::new(MinuteCache::default()),
                last_test: Mutex::new(HashMap::new()),
                wake: Arc::new(Notify::new()),
                client: notify::client(),
            }),
        }
    }

    pub fn settings(&self) -> &AlertSettings {
        &self.inner.settings
    }

    /// Loads the remembered instances (of rules still configured).
    pub async fn restore(&self) -> Result<usize, StoreError> {
        let stored = self.inner.store.alert_instances().await?;
        let mut state = self.inner.state.lock().await;
        for s in stored {
            if self.rule(&s.rule).is_none() {
                continue;
            }
            state.insert(
                s.alert_id.clone(),
                Tracked {
                    rule: s.rule,
                    labels: labels_of(&s.labels),
                    inst: Instance {
                        state: state_of(&s.state),
                        active_since_ms: s.active_since_ms,
                        fired_at_ms: s.fired_at_ms,
                        notified_at_ms: s.notified_at_ms,
                        last_true_ms: s.last_true_ms,
                        resolved_at_ms: s.resolved_at_ms,
                        value: s.value,
                    },
                    am_sent_ms: 0,
                    suppressed_by: s.suppressed_by,
                },
            );
        }
        let n = state.len();
        self.publish_counts(&state);
        Ok(n)
    }

    /// The silences and maintenance windows in effect at `now_ms` (config and API).
    async fn suppressions(
        &self,
        now_ms: i64,
    ) -> Result<(Vec<Silence>, Vec<Maintenance>), StoreError> {
        let silences = self
            .inner
            .store
            .silences(now_ms)
            .await?
            .into_iter()
            .filter(|s| s.active_at(now_ms))
            .collect();
        let mut windows: Vec<Maintenance> = self.inner.settings.maintenance.clone();
        windows.extend(self.stored_windows().await?.into_iter().map(|(_, m)| m));
        windows.retain(|w| w.open_at(now_ms));
        Ok((silences, windows))
    }

    /// The windows made through the API, each with its validated form. Validated when
    /// posted; a window naming a component since removed from config is skipped.
    pub(super) async fn stored_windows(
        &self,
    ) -> Result<Vec<(StoredWindow, Maintenance)>, StoreError> {
        let names: Vec<&str> = self.inner.depends_on.keys().map(String::as_str).collect();
        Ok(self
            .inner
            .store
            .windows()
            .await?
            .into_iter()
            .filter_map(|w| {
                let spec = serde_json::from_str::<MaintenanceSpec>(&w.spec).ok()?;
                let m = spec.validate(&names).ok()?;
                Some((w, m))
            })
            .collect())
    }

    /// Why an alert with these labels is not to be notified now, if it is not.
    fn suppressed(
        &self,
        rule: &AlertRule,
        labels: &Labels,
        silences: &[Silence],
        windows: &[Maintenance],
        down: &HashSet<String>,
    ) -> Option<String> {
        if let Some(s) = silences
            .iter()
            .find(|s| s.matches(&rule.name, &rule.severity, labels))
        {
            return Some(format!("silence {}", s.id));
        }
        if let Some(w) = windows.iter().find(|w| w.covers(labels)) {
            return Some(format!("maintenance {}", w.name));
        }
        let component = labels
            .iter()
            .find(|(k, _)| k == "component")
            .map(|(_, v)| v)?;
        let root = self
            .inner
            .depends_on
            .get(component)?
            .iter()
            .find(|d| down.contains(*d))?;
        Some(format!("dependency {root}"))
    }

    /// Evaluates every rule once at `now_ms`.
    pub async fn tick(&self, now_ms: i64) -> Result<TickReport, StoreError> {
        let inner = &self.inner;
        let ms_since = |t: std::time::Instant| t.elapsed().as_secs_f64() * 1000.0;
        let clock = std::time::Instant::now();
        let mut phases = [0.0f64; 4];
        let (silences, windows) = self.suppressions(now_ms).await?;
        phases[0] = ms_since(clock);
        let at = std::time::Instant::now();
        let mut reader = Reader::new(
            &inner.store,
            &inner.engine,
            &inner.audit,
            inner.sample_interval,
            now_ms,
        );
        let mut minutes = inner.minutes.lock().await;
        if let Err(e) = reader.prefetch(&inner.settings.rules, &mut minutes).await {
            // Each rule reads its own window below instead.
            tracing::warn!(error = %e, "reading alert windows ahead failed");
        }
        drop(minutes);
        phases[1] = ms_since(at);
        let mut state = inner.state.lock().await;
        let mut report = TickReport::default();
        // First every instance steps; then suppression, which needs to know which
        // components' own unhealthy alerts fire after this tick (dependencies).
        let mut stepped: Vec<Stepped> = Vec::new();
        // Known instances grouped by rule once, so each rule finds its own without a scan of
        // every instance.
        let mut known: HashMap<String, Vec<(String, Labels)>> = HashMap::new();
        for (id, t) in state.iter() {
            known
                .entry(t.rule.clone())
                .or_default()
                .push((id.clone(), t.labels.clone()));
        }
        for rule in &inner.settings.rules {
            let at = std::time::Instant::now();
            let read = reader.read(rule).await;
            phases[2] += ms_since(at);
            let samples = match read {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(rule = %rule.name, error = %e, "reading an alert rule's data failed");
                    report.unreadable += 1;
                    continue;
                }
            };
            let mut samples: Vec<(String, Labels, Option<f64>)> = samples
                .into_iter()
                .map(|(l, v)| (alert_id(&rule.name, &l), l, v))
                .collect();
            // Instances seen before but not sampled now (a label set that vanished) get no data.
            let sampled: HashSet<String> = samples.iter().map(|s| s.0.clone()).collect();
            for (id, labels) in known.remove(&rule.name).unwrap_or_default() {
                if !sampled.contains(&id) {
                    samples.push((id, labels, None));
                }
            }
            for (id, labels, value) in samples {
                let prev = state.get(&id).cloned().unwrap_or_else(|| Tracked {
                    rule: rule.name.clone(),
                    labels: labels.clone(),
                    inst: Instance::default(),
                    am_sent_ms: 0,
                    suppressed_by: None,
                });
                let (next, notice) = step(&rule.condition, &prev.inst, value, now_ms);
                stepped.push(Stepped {
                    rule,
                    id,
                    labels,
                    prev,
                    next,
                    notice,
                });
            }
        }
        let down: HashSet<String> = stepped
            .iter()
            .filter(|s| s.rule.metric == "component_unhealthy" && s.next.state == State::Firing)
            .filter_map(|s| s.labels.iter().find(|(k, _)| k == "component"))
            .map(|(_, v)| v.clone())
            .collect();
        let mut writes = AlertWrites::default();
        let mut updated: Vec<(String, Tracked)> = Vec::with_capacity(stepped.len());
        for s in stepped {
            report.instances += 1;
            let rule = s.rule;
            let (mut next, mut notice) = (s.next, s.notice);
            let reason = self.suppressed(rule, &s.labels, &silences, &windows, &down);
            let mut word = notice_word(notice);
            match notice {
                // Begun under a silence, in a window or below a failed dependency: recorded.
                Notice::Firing if reason.is_some() => {
                    next.notified_at_ms = None;
                    notice = Notice::FiringInCooldown;
                    word = "suppressed";
                }
                // No reminders while suppressed.
                Notice::Repeat if reason.is_some() => {
                    next.notified_at_ms = s.prev.inst.notified_at_ms;
                    notice = Notice::None;
                    word = "none";
                }
                // The suppression ended and the alert still fires: tell people now.
                Notice::None
                    if next.state == State::Firing
                        && next.notified_at_ms.is_none()
                        && s.prev.suppressed_by.is_some()
                        && reason.is_none() =>
                {
                    next.notified_at_ms = Some(now_ms);
                    notice = Notice::Firing;
                    word = "firing";
                }
                _ => {}
            }
            let suppressed_by = if next.state == State::Firing {
                reason
            } else {
                None
            };
            let mut t = Tracked {
                inst: next,
                suppressed_by: suppressed_by.clone(),
                ..s.prev.clone()
            };
            let id = s.id;
            let labels = s.labels;
            let prev = s.prev;
            // Moves between inactive and no data (a quiet metric, a start) are not history.
            let quiet = |st: State| matches!(st, State::Inactive | State::NoData);
            let moved =
                next.state != prev.inst.state && !(quiet(next.state) && quiet(prev.inst.state));
            if moved || word != "none" {
                writes.transitions.push(Transition {
                    id: 0,
                    ts_ms: now_ms,
                    alert_id: id.clone(),
                    rule: rule.name.clone(),
                    labels: labels_json(&labels),
                    severity: rule.severity.clone(),
                    from_state: prev.inst.state.as_str().to_string(),
                    to_state: next.state.as_str().to_string(),
                    value: next.value,
                    threshold: rule.condition.threshold,
                    notice: match &suppressed_by {
                        Some(r) if word == "suppressed" => format!("suppressed: {r}"),
                        _ => word.to_string(),
                    },
                });
            }
            let kind = match notice {
                Notice::Firing => Some("firing"),
                Notice::Repeat => Some("repeat"),
                Notice::Resolved => Some("resolved"),
                Notice::None | Notice::FiringInCooldown => None,
            };
            for ch in self.channels_of(rule) {
                let k = match kind {
                    Some(k) => k,
                    // Alertmanager hears about a notified firing alert every minute, or it
                    // would resolve it by itself.
                    None if ch.kind == "alertmanager"
                        && next.state == State::Firing
                        && next.notified_at_ms.is_some()
                        && now_ms - prev.am_sent_ms >= AM_REFRESH_MS =>
                    {
                        "refresh"
                    }
                    None => continue,
                };
                if ch.kind == "alertmanager" {
                    t.am_sent_ms = now_ms;
                }
                let n = self.notification(rule, &id, &labels, &next, k, now_ms);
                writes.outbox.push(OutboxItem {
                    id: 0,
                    created_ms: now_ms,
                    channel: ch.name.clone(),
                    alert_id: id.clone(),
                    kind: k.to_string(),
                    payload: serde_json::to_string(&n).unwrap_or_default(),
                    attempts: 0,
                    // Due at once, whatever clock the evaluation ran on.
                    next_ms: 0,
                });
            }
            let known = state.contains_key(&id);
            if !known || !same_but_value(&next, &prev.inst) || suppressed_by != prev.suppressed_by {
                writes.instances.push(StoredInstance {
                    alert_id: id.clone(),
                    rule: rule.name.clone(),
                    labels: labels_json(&labels),
                    severity: rule.severity.clone(),
                    state: next.state.as_str().to_string(),
                    active_since_ms: next.active_since_ms,
                    fired_at_ms: next.fired_at_ms,
                    notified_at_ms: next.notified_at_ms,
                    last_true_ms: next.last_true_ms,
                    resolved_at_ms: next.resolved_at_ms,
                    value: next.value,
                    updated_ms: now_ms,
                    suppressed_by,
                });
            }
            updated.push((id, t));
        }
        report.transitions = writes.transitions.len();
        report.notifications = writes.outbox.len();
        // Memory follows the store: if the write fails, the next tick steps from the old state
        // and makes the same decisions again.
        let at = std::time::Instant::now();
        inner.store.save_alerts(&writes).await?;
        phases[3] = ms_since(at);
        report.phases_ms = phases;
        tracing::debug!(
            total_ms = ms_since(clock),
            suppressions_ms = phases[0],
            windows_ms = phases[1],
            reads_ms = phases[2],
            save_ms = phases[3],
            "alert tick"
        );
        for (id, t) in updated {
            state.insert(id, t);
        }
        self.publish_counts(&state);
        drop(state);
        if !writes.outbox.is_empty() {
            inner.wake.notify_waiters();
        }
        Ok(report)
    }

    fn channels_of<'a>(&'a self, rule: &'a AlertRule) -> impl Iterator<Item = &'a Channel> + 'a {
        self.inner
            .settings
            .channels
            .iter()
            .filter(move |c| rule.channels.is_empty() || rule.channels.contains(&c.name))
    }

    fn notification(
        &self,
        rule: &AlertRule,
        id: &str,
        labels: &Labels,
        inst: &Instance,
        kind: &str,
        now_ms: i64,
    ) -> Notification {
        let resolved = kind == "resolved";
        Notification {
            alert_id: id.to_string(),
            name: rule.name.clone(),
            description: rule.description.clone(),
            severity: rule.severity.clone(),
            status: if resolved { "resolved" } else { "firing" }.to_string(),
            repeat: kind == "repeat",
            test: false,
            triggered_at: rfc3339_ms(inst.fired_at_ms.unwrap_or(now_ms)),
            resolved_at: resolved.then(|| rfc3339_ms(inst.resolved_at_ms.unwrap_or(now_ms))),
            labels: labels.iter().cloned().collect(),
            metadata: Metadata {
                metric: rule.metric.clone(),
                value: inst.value,
                op: rule.condition.op.as_str().to_string(),
                threshold: rule.condition.threshold,
            },
            url: format!("{}/alerts#alert-{id}", self.inner.settings.external_url),
        }
    }

    /// The configured rule of this name.
    pub fn rule(&self, name: &str) -> Option<&AlertRule> {
        let i = *self.inner.rule_index.get(name)?;
        self.inner.settings.rules.get(i)
    }

    fn publish_counts(&self, state: &HashMap<String, Tracked>) {
        let mut counts: HashMap<(&str, &str), i64> = HashMap::new();
        for t in state.values() {
            if let Some(r) = self.rule(&t.rule) {
                *counts
                    .entry((t.inst.state.as_str(), r.severity.as_str()))
                    .or_default() += 1;
            }
        }
        self.inner.metrics.set_alerts(&counts);
    }

    /// Starts the evaluation loop and one delivery worker per channel; dropping the set stops
    /// them.
    pub fn spawn(&self) -> tokio::task::JoinSet<()> {
        let mut set = self.spawn_delivery();
        let me = self.clone();
        set.spawn(async move {
            let mut tick = tokio::time::interval(me.inner.settings.evaluation_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.tick(crate::model::now_ms()).await {
                    tracing::warn!(error = %e, "storing an alert evaluation failed; retrying next tick");
                }
            }
        });
        let me = self.clone();
        set.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                let rules: Vec<String> = me
                    .inner
                    .settings
                    .rules
                    .iter()
                    .map(|r| r.name.clone())
                    .collect();
                let before = crate::model::now_ms() - 30 * 86_400_000;
                if let Err(e) = me.inner.store.prune_alerts(before, &rules).await {
                    tracing::warn!(error = %e, "pruning alert history failed");
                }
            }
        });
        set
    }

    /// Only the channel workers (tests drive the ticks on a clock of their own).
    pub fn spawn_delivery(&self) -> tokio::task::JoinSet<()> {
        let mut set = tokio::task::JoinSet::new();
        for ch in &self.inner.settings.channels {
            set.spawn(notify::worker(
                self.inner.store.clone(),
                ch.clone(),
                self.inner.client.clone(),
                self.inner.wake.clone(),
                self.inner.metrics.clone(),
            ));
        }
        set
    }
}
