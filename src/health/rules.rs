//! The status rules, as pure functions: latency thresholds, flap damping, overall status and
//! health score. Nothing here does I/O, so every rule is tested directly.

use crate::model::Status;
use std::time::Duration;

/// Applies the latency thresholds to a check that otherwise succeeded.
///
/// Tested from the worst threshold down, so a slow check can reach unhealthy (seed 000 tested
/// `> 500 ms` before `> 1000 ms` and never could).
pub fn apply_latency(
    status: Status,
    latency: Duration,
    degraded_after: Option<Duration>,
    timeout: Duration,
) -> Status {
    if status == Status::Unhealthy || status == Status::Unknown {
        return status;
    }
    if latency > timeout {
        Status::Unhealthy
    } else if degraded_after.is_some_and(|d| latency > d) {
        Status::Degraded
    } else {
        status
    }
}

/// Flap damping for one component.
///
/// The first result sets the status straight away (there is nothing to protect yet). After
/// that the status leaves healthy only after `failure_threshold` consecutive non-healthy
/// results, and returns to healthy only after `success_threshold` consecutive healthy ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Damper {
    pub status: Status,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
}

impl Damper {
    pub fn observe(
        &mut self,
        raw: Status,
        failure_threshold: u32,
        success_threshold: u32,
    ) -> Status {
        if raw == Status::Healthy {
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            self.consecutive_failures = 0;
        } else {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            self.consecutive_successes = 0;
        }
        self.status = if self.status == Status::Unknown {
            raw
        } else if raw == Status::Healthy {
            if self.status == Status::Healthy || self.consecutive_successes >= success_threshold {
                Status::Healthy
            } else {
                self.status
            }
        } else if self.status != Status::Healthy || self.consecutive_failures >= failure_threshold {
            // Already failing (or the run is long enough): follow the latest failure's severity.
            raw
        } else {
            Status::Healthy
        };
        self.status
    }
}

/// How long to wait before the next run: the short confirm interval while a failure has been
/// seen but the damped status has not yet followed it, else the normal interval.
pub fn next_delay(damper: &Damper, interval: Duration, confirm_interval: Duration) -> Duration {
    if damper.consecutive_failures > 0 && damper.status == Status::Healthy {
        confirm_interval
    } else {
        interval
    }
}

/// Counts by status, ignoring components never checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub healthy: usize,
    pub degraded: usize,
    pub unhealthy: usize,
    pub unknown: usize,
}

impl Counts {
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Counts {
        let mut c = Counts::default();
        for s in statuses {
            match s {
                Status::Healthy => c.healthy += 1,
                Status::Degraded => c.degraded += 1,
                Status::Unhealthy => c.unhealthy += 1,
                Status::Unknown => c.unknown += 1,
            }
        }
        c
    }

    pub fn total(&self) -> usize {
        self.healthy + self.degraded + self.unhealthy + self.unknown
    }
}

/// The system's status from its components' `(status, critical)` pairs (seed 000
/// `_calculate_overall_status`): unhealthy if a critical component is unhealthy or more than
/// two are; degraded if any is unhealthy or more than one is degraded; unknown if none has
/// been checked; healthy otherwise.
pub fn overall_status(components: &[(Status, bool)]) -> Status {
    let counts = Counts::of(components.iter().map(|(s, _)| *s));
    if counts.total() == counts.unknown {
        return Status::Unknown;
    }
    let critical_down = components
        .iter()
        .any(|(s, critical)| *critical && *s == Status::Unhealthy);
    if critical_down || counts.unhealthy > 2 {
        Status::Unhealthy
    } else if counts.unhealthy > 0 || counts.degraded > 1 {
        Status::Degraded
    } else {
        Status::Healthy
    }
}

/// Health score 0-100: `(healthy·100 + degraded·50) / total` (seeds 003/004). Zero components
/// score zero rather than a flattering 100.
pub fn health_score(counts: Counts) -> f64 {
    let total = counts.total();
    if total == 0 {
        return 0.0;
    }
    let raw = (counts.healthy as f64 * 100.0 + counts.degraded as f64 * 50.0) / total as f64;
    (raw * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn latency_thresholds_are_ordered_worst_first() {
        let t = MS(1000);
        let d = Some(MS(500));
        assert_eq!(apply_latency(Healthy, MS(100), d, t), Healthy);
        assert_eq!(
            apply_latency(Healthy, MS(500), d, t),
            Healthy,
            "at the threshold is fine"
        );
        assert_eq!(apply_latency(Healthy, MS(501), d, t), Degraded);
        assert_eq!(apply_latency(Healthy, MS(1001), d, t), Unhealthy);
        assert_eq!(apply_latency(Healthy, MS(5000), None, t), Unhealthy);
        assert_eq!(
            apply_latency(Degraded, MS(10), d, t),
            Degraded,
            "a degraded result stays"
        );
        assert_eq!(apply_latency(Unhealthy, MS(1), d, t), Unhealthy);
    }

    fn run(d: &mut Damper, seq: &[Status]) -> Vec<Status> {
        seq.iter().map(|s| d.observe(*s, 3, 2)).collect()
    }

    #[test]
    fn first_result_is_taken_at_once() {
        let mut d = Damper::default();
        assert_eq!(d.observe(Unhealthy, 3, 2), Unhealthy);
        let mut d = Damper::default();
        assert_eq!(d.observe(Healthy, 3, 2), Healthy);
    }

    #[test]
    fn failures_must_repeat_before_status_drops() {
        let mut d = Damper::default();
        let got = run(
            &mut d,
            &[Healthy, Unhealthy, Unhealthy, Unhealthy, Unhealthy],
        );
        assert_eq!(got, [Healthy, Healthy, Healthy, Unhealthy, Unhealthy]);
        assert_eq!(d.consecutive_failures, 4);
    }

    #[test]
    fn a_single_blip_is_absorbed() {
        let mut d = Damper::default();
        let got = run(
            &mut d,
            &[Healthy, Unhealthy, Healthy, Degraded, Unhealthy, Healthy],
        );
        assert!(got.iter().all(|s| *s == Healthy), "{got:?}");
    }

    #[test]
    fn recovery_needs_consecutive_successes() {
        let mut d = Damper::default();
        run(&mut d, &[Unhealthy]);
        let got = run(&mut d, &[Healthy, Unhealthy, Healthy, Healthy, Healthy]);
        assert_eq!(got, [Unhealthy, Unhealthy, Unhealthy, Healthy, Healthy]);
    }

    #[test]
    fn while_failing_status_follows_severity() {
        let mut d = Damper::default();
        let got = run(&mut d, &[Degraded, Unhealthy, Degraded]);
        assert_eq!(got, [Degraded, Unhealthy, Degraded]);
    }

    #[test]
    fn thresholds_of_one_follow_every_result() {
        let mut d = Damper::default();
        let got: Vec<_> = [Healthy, Unhealthy, Healthy, Degraded]
            .iter()
            .map(|s| d.observe(*s, 1, 1))
            .collect();
        assert_eq!(got, [Healthy, Unhealthy, Healthy, Degraded]);
    }

    #[test]
    fn failures_are_confirmed_quickly_then_the_interval_resumes() {
        let (interval, confirm) = (Duration::from_secs(30), Duration::from_secs(2));
        let mut d = Damper::default();
        let delays: Vec<_> = [
            Healthy, Unhealthy, Unhealthy, Unhealthy, Unhealthy, Healthy, Healthy,
        ]
        .iter()
        .map(|s| {
            d.observe(*s, 3, 2);
            next_delay(&d, interval, confirm)
        })
        .collect();
        assert_eq!(
            delays,
            [interval, confirm, confirm, interval, interval, interval, interval]
        );
        // A blip that clears goes back to the normal pace at once.
        let mut d = Damper::default();
        d.observe(Healthy, 3, 2);
        d.observe(Degraded, 3, 2);
        assert_eq!(next_delay(&d, interval, confirm), confirm);
        d.observe(Healthy, 3, 2);
        assert_eq!(next_delay(&d, interval, confirm), interval);
    }

    #[test]
    fn overall_status_rules() {
        assert_eq!(overall_status(&[]), Unknown);
        assert_eq!(
            overall_status(&[(Unknown, true), (Unknown, false)]),
            Unknown
        );
        assert_eq!(
            overall_status(&[(Healthy, true), (Unknown, false)]),
            Healthy
        );
        assert_eq!(
            overall_status(&[(Healthy, true), (Degraded, false)]),
            Healthy
        );
        assert_eq!(
            overall_status(&[(Degraded, true), (Degraded, false)]),
            Degraded
        );
        assert_eq!(
            overall_status(&[(Healthy, true), (Unhealthy, false)]),
            Degraded
        );
        assert_eq!(
            overall_status(&[(Unhealthy, true), (Healthy, false)]),
            Unhealthy
        );
        assert_eq!(
            overall_status(&[(Unhealthy, false), (Unhealthy, false), (Healthy, true)]),
            Degraded
        );
        assert_eq!(
            overall_status(&[(Unhealthy, false), (Unhealthy, false), (Unhealthy, false)]),
            Unhealthy
        );
    }

    #[test]
    fn score_weights_degraded_half() {
        let c = Counts::of([Healthy, Healthy, Degraded, Unhealthy]);
        assert_eq!(health_score(c), 62.5);
        assert_eq!(health_score(Counts::of([Healthy])), 100.0);
        assert_eq!(health_score(Counts::of([Unknown, Healthy])), 50.0);
        assert_eq!(health_score(Counts::default()), 0.0);
        assert_eq!(health_score(Counts::of([Healthy, Healthy, Degraded])), 83.3);
    }
}
