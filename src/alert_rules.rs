//! Alert evaluation as a pure function (a leaf: config validates rules into these types and
//! `alerts` runs them): one instance of a rule (a rule × label set), its
//! previous state and this tick's sample → its next state and what to tell people. Prometheus
//! semantics (inactive → pending → firing → resolved) plus the seeds' cooldown and
//! Alertmanager's repeat interval; no clock, store or network here, so every scenario is a test.

use std::time::Duration;

/// How a rule compares its metric with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    pub const ALL: [Op; 6] = [Op::Gt, Op::Ge, Op::Lt, Op::Le, Op::Eq, Op::Ne];

    pub fn parse(text: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            // Metrics such as `component_unhealthy` are 0/1; a float's noise must not hide them.
            Op::Eq => (value - threshold).abs() < 1e-9,
            Op::Ne => (value - threshold).abs() >= 1e-9,
        }
    }
}

/// What a rule does when its metric has no data this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoData {
    /// Shown as `no_data`; a firing alert keeps firing (missing data is not a recovery).
    #[default]
    Show,
    /// Counted as the condition holding.
    Alerting,
    /// Counted as the condition not holding.
    Ok,
}

/// The parts of a rule that decide its instances' transitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub op: Op,
    pub threshold: f64,
    /// How long the condition must hold before the alert fires.
    pub pending_for: Duration,
    /// How long a firing alert stays firing after the condition stops holding.
    pub keep_firing_for: Duration,
    /// A firing alert is notified again this often.
    pub repeat_interval: Duration,
    /// A new firing this soon after a resolve is recorded, not notified.
    pub cooldown: Duration,
    pub send_resolved: bool,
    pub no_data: NoData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    #[default]
    Inactive,
    Pending,
    Firing,
    /// Was firing; the condition no longer holds.
    Resolved,
    /// The metric had no data (and the rule shows that rather than guessing).
    NoData,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Inactive => "inactive",
            State::Pending => "pending",
            State::Firing => "firing",
            State::Resolved => "resolved",
            State::NoData => "no_data",
        }
    }
}

/// One instance's remembered state, in ms since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Instance {
    pub state: State,
    /// When the condition started holding (pending since, or firing's start of pending).
    pub active_since_ms: Option<i64>,
    /// When the current firing began.
    pub fired_at_ms: Option<i64>,
    /// When the current firing was last notified (`None`: recorded only, in a cooldown).
    pub notified_at_ms: Option<i64>,
    /// When the condition last held (for `keep_firing_for`).
    pub last_true_ms: Option<i64>,
    /// When the instance last resolved (for the cooldown).
    pub resolved_at_ms: Option<i64>,
    /// The last value seen.
    pub value: Option<f64>,
}

/// What this tick means for the people the rule notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Nothing to send.
    None,
    /// The alert began firing: notify.
    Firing,
    /// The alert began firing within the cooldown after a resolve: recorded, not notified.
    FiringInCooldown,
    /// Still firing after `repeat_interval`: notify again.
    Repeat,
    /// Resolved after a notified firing (and `send_resolved`): notify.
    Resolved,
}

/// The next state of `prev` given this tick's `sample` (`None`: no data) at `now_ms`.
pub fn step(
    rule: &Condition,
    prev: &Instance,
    sample: Option<f64>,
    now_ms: i64,
) -> (Instance, Notice) {
    let holds = match sample {
        Some(v) if v.is_finite() => Some(rule.op.holds(v, rule.threshold)),
        _ => match rule.no_data {
            NoData::Show => None,
            NoData::Alerting => Some(true),
            NoData::Ok => Some(false),
        },
    };
    let mut next = *prev;
    if sample.is_some() {
        next.value = sample;
    }
    match holds {
        None => {
            // A firing alert keeps firing (and reminding) through missing data; anything else
            // shows that nothing is known.
            if prev.state == State::Firing {
                // The notice first: it updates `next`, which the tuple would otherwise copy before.
                let notice = repeat_due(rule, &mut next, now_ms);
                return (next, notice);
            }
            next.state = State::NoData;
            next.active_since_ms = None;
            (next, Notice::None)
        }
        Some(true) => {
            next.last_true_ms = Some(now_ms);
            if prev.state == State::Firing {
                // The notice first: it updates `next`, which the tuple would otherwise copy before.
                let notice = repeat_due(rule, &mut next, now_ms);
                return (next, notice);
            }
            let since = match prev.state {
                State::Pending => prev.active_since_ms.unwrap_or(now_ms),
                _ => now_ms,
            };
            next.active_since_ms = Some(since);
            if now_ms.saturating_sub(since) < ms(rule.pending_for) {
                next.state = State::Pending;
                return (next, Notice::None);
            }
            next.state = State::Firing;
            next.fired_at_ms = Some(now_ms);
            let in_cooldown = prev
                .resolved_at_ms
                .is_some_and(|r| now_ms.saturating_sub(r) < ms(rule.cooldown));
            if in_cooldown {
                next.notified_at_ms = None;
                (next, Notice::FiringInCooldown)
            } else {
                next.notified_at_ms = Some(now_ms);
                (next, Notice::Firing)
            }
        }
        Some(false) => match prev.state {
            State::Firing => {
                let kept = prev
                    .last_true_ms
                    .is_some_and(|t| now_ms.saturating_sub(t) < ms(rule.keep_firing_for));
                if kept {
                    // The notice first: it updates `next`, which the tuple would otherwise copy before.
                    let notice = repeat_due(rule, &mut next, now_ms);
                    return (next, notice);
                }
                next.state = State::Resolved;
                next.resolved_at_ms = Some(now_ms);
                next.active_since_ms = None;
                let notify = rule.send_resolved && prev.notified_at_ms.is_some();
                (
                    next,
                    if notify {
                        Notice::Resolved
                    } else {
                        Notice::None
                    },
                )
            }
            State::Resolved => (next, Notice::None),
            State::Inactive | State::Pending | State::NoData => {
                next.state = State::Inactive;
                next.active_since_ms = None;
                (next, Notice::None)
            }
        },
    }
}

/// A firing instance's reminder, when `repeat_interval` has passed since the last notice (a
/// firing recorded in a cooldown is not reminded: it was never announced).
fn repeat_due(rule: &Condition, next: &mut Instance, now_ms: i64) -> Notice {
    let every = ms(rule.repeat_interval);
    match next.notified_at_ms {
        Some(last) if every > 0 && now_ms.saturating_sub(last) >= every => {
            next.notified_at_ms = Some(now_ms);
            Notice::Repeat
        }
        _ => Notice::None,
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000;
    const T0: i64 = 1_800_000_000_000;

    fn rule() -> Condition {
        Condition {
            op: Op::Gt,
            threshold: 85.0,
            pending_for: Duration::from_secs(120),
            keep_firing_for: Duration::ZERO,
            repeat_interval: Duration::from_secs(4 * 3600),
            cooldown: Duration::from_secs(300),
            send_resolved: true,
            no_data: NoData::Show,
        }
    }

    /// Runs samples 15 s apart from T0; returns the notices and the last instance.
    fn run(rule: &Condition, samples: &[Option<f64>]) -> (Vec<Notice>, Instance) {
        let mut inst = Instance::default();
        let mut notices = Vec::new();
        for (i, s) in samples.iter().enumerate() {
            let (next, n) = step(rule, &inst, *s, T0 + i as i64 * 15 * S);
            inst = next;
            notices.push(n);
        }
        (notices, inst)
    }

    #[test]
    fn operators_compare_as_written() {
        assert!(Op::parse(">").unwrap().holds(2.0, 1.0));
        assert!(!Op::parse(">=").unwrap().holds(0.5, 1.0));
        assert!(Op::parse("<").unwrap().holds(0.5, 0.8));
        assert!(Op::parse("<=").unwrap().holds(0.8, 0.8));
        assert!(Op::parse("==").unwrap().holds(1.0, 1.0));
        assert!(Op::parse("!=").unwrap().holds(0.0, 1.0));
        assert_eq!(Op::parse("=>"), None);
        assert_eq!(Op::parse(""), None);
    }

    #[test]
    fn pending_becomes_firing_only_after_for() {
        // 2 min = 8 ticks of 15 s: fires on the ninth sample above the threshold.
        let (n, inst) = run(&rule(), &[Some(90.0); 9]);
        assert!(n[..8].iter().all(|x| *x == Notice::None), "{n:?}");
        assert_eq!(n[8], Notice::Firing);
        assert_eq!(inst.state, State::Firing);
        // A dip before `for` starts the wait over.
        let mut s = vec![Some(90.0); 7];
        s.push(Some(50.0));
        s.extend([Some(90.0); 8]);
        let (n, inst) = run(&rule(), &s);
        assert!(n.iter().all(|x| *x == Notice::None), "{n:?}");
        assert_eq!(inst.state, State::Pending);
    }

    #[test]
    fn zero_for_fires_at_once_and_resolves_with_a_notice() {
        let r = Condition {
            pending_for: Duration::ZERO,
            ..rule()
        };
        let (n, inst) = run(&r, &[Some(10.0), Some(90.0), Some(10.0)]);
        assert_eq!(n, vec![Notice::None, Notice::Firing, Notice::Resolved]);
        assert_eq!(inst.state, State::Resolved);
        assert_eq!(inst.resolved_at_ms, Some(T0 + 30 * S));
        let quiet = Condition {
            send_resolved: false,
            ..r
        };
        let (n, _) = run(&quiet, &[Some(90.0), Some(10.0)]);
        assert_eq!(n, vec![Notice::Firing, Notice::None]);
    }

    #[test]
    fn flapping_inside_the_cooldown_notifies_once() {
        let r = Condition {
            pending_for: Duration::ZERO,
            ..rule()
        };
        // Fire, resolve, fire again 15 s later (within 5 min): recorded, not notified; its
        // resolve is not announced either. After the cooldown a firing notifies again.
        let mut s = vec![Some(90.0), Some(10.0), Some(90.0), Some(10.0)];
        s.extend(vec![Some(10.0); 20]);
        s.push(Some(90.0));
        let (n, inst) = run(&r, &s);
        let sent: Vec<_> = n.iter().filter(|x| **x != Notice::None).collect();
        assert_eq!(
            sent,
            vec![
                &Notice::Firing,
                &Notice::Resolved,
                &Notice::FiringInCooldown,
                &Notice::Firing
            ]
        );
        assert_eq!(inst.state, State::Firing);
    }

    #[test]
    fn a_firing_alert_is_repeated_after_the_repeat_interval() {
        let r = Condition {
            pending_for: Duration::ZERO,
            repeat_interval: Duration::from_secs(60),
            ..rule()
        };
        // Fires at tick 0; repeats at 60 s and 120 s, not between.
        let (n, _) = run(&r, &[Some(90.0); 9]);
        let at: Vec<_> = n
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != Notice::None)
            .map(|(i, x)| (i, *x))
            .collect();
        assert_eq!(
            at,
            vec![
                (0, Notice::Firing),
                (4, Notice::Repeat),
                (8, Notice::Repeat)
            ]
        );
    }

    #[test]
    fn keep_firing_for_bridges_short_recoveries() {
        let r = Condition {
            pending_for: Duration::ZERO,
            keep_firing_for: Duration::from_secs(30),
            ..rule()
        };
        let (n, inst) = run(
            &r,
            &[
                Some(90.0),
                Some(10.0),
                Some(90.0),
                Some(10.0),
                Some(10.0),
                Some(10.0),
            ],
        );
        assert_eq!(
            n,
            vec![
                Notice::Firing,
                Notice::None,
                Notice::None,
                Notice::None,
                Notice::Resolved,
                Notice::None
            ]
        );
        assert_eq!(inst.state, State::Resolved);
    }

    #[test]
    fn missing_data_is_shown_not_fired_and_does_not_resolve() {
        let r = Condition {
            pending_for: Duration::ZERO,
            ..rule()
        };
        let (n, inst) = run(&r, &[None, None]);
        assert!(n.iter().all(|x| *x == Notice::None));
        assert_eq!(inst.state, State::NoData);
        // Firing, then the data stops: still firing, no resolve notice.
        let (n, inst) = run(&r, &[Some(90.0), None, None]);
        assert_eq!(n, vec![Notice::Firing, Notice::None, Notice::None]);
        assert_eq!(inst.state, State::Firing);
        assert_eq!(inst.value, Some(90.0));
        // Configured otherwise, missing data counts as the condition holding.
        let alerting = Condition {
            no_data: NoData::Alerting,
            ..r.clone()
        };
        assert_eq!(run(&alerting, &[None]).0, vec![Notice::Firing]);
        let ok = Condition {
            no_data: NoData::Ok,
            ..r
        };
        assert_eq!(run(&ok, &[None]).1.state, State::Inactive);
        // NaN is no data, not a value.
        assert_eq!(run(&rule(), &[Some(f64::NAN)]).1.state, State::NoData);
    }
}
