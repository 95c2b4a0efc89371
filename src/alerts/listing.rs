//! What people read and change about alerts: the active list, history, channels with their
//! deliveries, silences and maintenance windows, and test notifications. The evaluator
//! (`engine`) owns the states; this reads them and the store.

use super::engine::{labels_of, Alerts};
use super::notify::{self, Metadata, Notification};
use super::rules::State;
use super::view::{
    ActiveAlert, AlertTransition, AlertsOverview, ChannelView, DeliveryView, MatcherView,
    SilenceView, WindowView,
};
use crate::model::rfc3339_ms;
use crate::store::alerts::{Delivery, OutboxItem};
use crate::store::StoreError;
use crate::suppression::{Maintenance, MaintenanceSpec, Silence};

impl Alerts {
    /// Instances that are pending, firing or without data: firing first, worst first.
    pub async fn active(&self) -> Vec<ActiveAlert> {
        let state = self.inner.state.lock().await;
        let mut out: Vec<ActiveAlert> = state
            .iter()
            .filter(|(_, t)| matches!(t.inst.state, State::Pending | State::Firing | State::NoData))
            .filter_map(|(id, t)| {
                let rule = self.rule(&t.rule)?;
                Some(ActiveAlert {
                    alert_id: id.clone(),
                    rule: rule.name.clone(),
                    description: rule.description.clone(),
                    severity: rule.severity.clone(),
                    state: t.inst.state.as_str().to_string(),
                    labels: t.labels.clone(),
                    metric: rule.metric.clone(),
                    op: rule.condition.op.as_str().to_string(),
                    value: t.inst.value,
                    threshold: rule.condition.threshold,
                    since_ms: match t.inst.state {
                        State::Firing => t.inst.fired_at_ms,
                        _ => t.inst.active_since_ms,
                    },
                    notified: t.inst.notified_at_ms.is_some(),
                    suppressed_by: t.suppressed_by.clone(),
                })
            })
            .collect();
        let rank = |s: &str| match s {
            "firing" => 0,
            "pending" => 1,
            _ => 2,
        };
        out.sort_by(|a, b| {
            rank(&a.state)
                .cmp(&rank(&b.state))
                .then(
                    super::view::severity_rank(&b.severity)
                        .cmp(&super::view::severity_rank(&a.severity)),
                )
                .then(a.rule.cmp(&b.rule))
                .then(a.labels.cmp(&b.labels))
        });
        out
    }

    /// The channels with their latest delivery and queue length.
    pub async fn channels(&self) -> Result<Vec<ChannelView>, StoreError> {
        let last = self.inner.store.last_deliveries().await?;
        let pending = self.inner.store.pending_notifications().await?;
        Ok(self
            .inner
            .settings
            .channels
            .iter()
            .map(|c| ChannelView {
                name: c.name.clone(),
                kind: c.kind.clone(),
                target: target_of(&c.url),
                last: last.iter().find(|d| d.channel == c.name).map(delivery_view),
                pending: pending
                    .iter()
                    .find(|(n, _)| n == &c.name)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            })
            .collect())
    }

    /// Transitions newest first (`before`: the cursor of the last row seen).
    pub async fn history(
        &self,
        before: Option<(i64, i64)>,
        rule: Option<&str>,
        to_state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AlertTransition>, StoreError> {
        let rows = self
            .inner
            .store
            .alert_history(before, rule, to_state, limit)
            .await?;
        Ok(rows
            .into_iter()
            .map(|t| AlertTransition {
                id: t.id,
                ts_ms: t.ts_ms,
                alert_id: t.alert_id,
                rule: t.rule,
                labels: labels_of(&t.labels),
                severity: t.severity,
                from_state: t.from_state,
                to_state: t.to_state,
                value: t.value,
                threshold: t.threshold,
                notice: t.notice,
            })
            .collect())
    }

    /// Silences not yet ended, and those ended in the last day.
    pub async fn silences(&self) -> Result<Vec<SilenceView>, StoreError> {
        let now = crate::model::now_ms();
        Ok(self
            .inner
            .store
            .silences(now - 86_400_000)
            .await?
            .into_iter()
            .map(|s| SilenceView {
                active: s.active_at(now),
                id: s.id,
                matchers: s
                    .matchers
                    .iter()
                    .map(|m| MatcherView {
                        name: m.name.clone(),
                        op: m.op.as_str().to_string(),
                        value: m.value.clone(),
                    })
                    .collect(),
                starts_ms: s.starts_ms,
                ends_ms: s.ends_ms,
                created_by: s.created_by,
                comment: s.comment,
            })
            .collect())
    }

    /// Stores a silence (made with `Silence::new`, which checks it) and returns its id.
    pub async fn create_silence(&self, s: &Silence) -> Result<i64, StoreError> {
        self.inner.store.create_silence(s).await
    }

    pub async fn expire_silence(&self, id: i64) -> Result<bool, StoreError> {
        self.inner
            .store
            .expire_silence(id, crate::model::now_ms())
            .await
    }

    /// The config file's windows and those made through the API.
    pub async fn windows(&self) -> Result<Vec<WindowView>, StoreError> {
        let now = crate::model::now_ms();
        let view = |id: Option<i64>, m: &Maintenance, by: &str| WindowView {
            id,
            name: m.name.clone(),
            components: m.components.clone(),
            schedule: m.schedule(),
            open: m.open_at(now),
            comment: m.comment.clone(),
            created_by: by.to_string(),
        };
        let mut out: Vec<WindowView> = self
            .inner
            .settings
            .maintenance
            .iter()
            .map(|m| view(None, m, "config"))
            .collect();
        for (w, m) in self.stored_windows().await? {
            out.push(view(Some(w.id), &m, &w.created_by));
        }
        Ok(out)
    }

    /// Validates and stores a window; `Err(Ok(..))` names the field at fault.
    pub async fn create_window(
        &self,
        spec: &MaintenanceSpec,
        by: &str,
    ) -> Result<i64, Result<crate::suppression::FieldError, StoreError>> {
        let names: Vec<&str> = self.inner.depends_on.keys().map(String::as_str).collect();
        spec.validate(&names).map_err(Ok)?;
        let text = serde_json::to_string(spec).unwrap_or_default();
        self.inner
            .store
            .create_window(&text, by, crate::model::now_ms())
            .await
            .map_err(Err)
    }

    pub async fn expire_window(&self, id: i64) -> Result<bool, StoreError> {
        self.inner
            .store
            .expire_window(id, crate::model::now_ms())
            .await
    }

    /// What the Alerts page shows.
    pub async fn overview(&self) -> Result<AlertsOverview, StoreError> {
        Ok(AlertsOverview {
            active: self.active().await,
            history: self.history(None, None, None, 50).await?,
            channels: self.channels().await?,
            silences: self.silences().await?,
            windows: self.windows().await?,
            rules: self.inner.settings.rules.len(),
            evaluation_interval_secs: self.inner.settings.evaluation_interval.as_secs(),
            generated_at_ms: crate::model::now_ms(),
        })
    }

    /// Sends a clearly marked test notification to one channel now (not through the queue)
    /// and records the attempt; refused for an unknown channel or one tested moments ago.
    pub async fn send_test(&self, channel: &str, by: &str) -> Result<DeliveryView, TestRefused> {
        let ch = self
            .inner
            .settings
            .channels
            .iter()
            .find(|c| c.name == channel)
            .ok_or(TestRefused::UnknownChannel)?;
        let now = crate::model::now_ms();
        {
            // One test per channel per TEST_GAP_MS: a button held down or a script in a loop
            // must not flood a receiver (or a pager) in Pulse's name.
            let mut last = self.inner.last_test.lock().await;
            if let Some(at) = last.get(&ch.name) {
                let wait = at + TEST_GAP_MS - now;
                if wait > 0 {
                    return Err(TestRefused::TooSoon {
                        retry_after_s: (wait as u64).div_ceil(1000),
                    });
                }
            }
            last.insert(ch.name.clone(), now);
        }
        let n = Notification {
            alert_id: "test".to_string(),
            name: "Test notification".to_string(),
            description: format!("A test from Pulse, sent by {by}. Nothing is wrong."),
            severity: "low".to_string(),
            status: "firing".to_string(),
            repeat: false,
            test: true,
            triggered_at: rfc3339_ms(now),
            resolved_at: None,
            labels: [("channel".to_string(), ch.name.clone())].into(),
            metadata: Metadata {
                metric: "test".to_string(),
                value: Some(1.0),
                op: ">=".to_string(),
                threshold: 1.0,
            },
            url: format!("{}/alerts", self.inner.settings.external_url),
        };
        let item = OutboxItem {
            id: now,
            created_ms: now,
            channel: ch.name.clone(),
            alert_id: "test".to_string(),
            kind: "test".to_string(),
            payload: serde_json::to_string(&n).unwrap_or_default(),
            attempts: 0,
            next_ms: now,
        };
        let a = notify::attempt(&self.inner.client, ch, &item, now).await;
        let outcome = if a.ok { "delivered" } else { "failed" };
        self.inner.metrics.alert_notification(&ch.name, outcome);
        let d = Delivery {
            ts_ms: now,
            channel: ch.name.clone(),
            alert_id: "test".to_string(),
            kind: "test".to_string(),
            attempt: 1,
            outcome: outcome.to_string(),
            status: a.status,
            detail: a.detail,
        };
        if let Err(e) = self.inner.store.record_test_delivery(&d).await {
            tracing::warn!(error = %e, "recording a test delivery failed");
        }
        Ok(delivery_view(&d))
    }
}

/// Test notifications to one channel are at least this far apart.
pub const TEST_GAP_MS: i64 = 10_000;

/// Why a test notification was not sent.
#[derive(Debug, Clone, PartialEq)]
pub enum TestRefused {
    UnknownChannel,
    TooSoon { retry_after_s: u64 },
}

/// Scheme, host and port of a receiver URL (its path and credentials can be secrets).
fn target_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(unparsable)".to_string(),
    }
}

fn delivery_view(d: &Delivery) -> DeliveryView {
    DeliveryView {
        ts_ms: d.ts_ms,
        channel: d.channel.clone(),
        alert_id: d.alert_id.clone(),
        kind: d.kind.clone(),
        attempt: d.attempt,
        outcome: d.outcome.clone(),
        status: d.status,
        detail: d.detail.clone(),
    }
}
