//! Rate limits (governor): login attempts per user name and per client address, requests per
//! ingest token. Keys are bounded: quiet ones are forgotten, and a flood of made-up names
//! cannot grow a limiter past `MAX_KEYS` before it is tidied.

use crate::config::AuthSettings;
use crate::permissions::{Principal, Who};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Keys a limiter keeps before it forgets quiet ones early.
const MAX_KEYS: usize = 100_000;

/// The rate limiters: login attempts per user name and per client address, requests per
/// ingest token.
#[derive(Debug)]
pub struct Limits {
    per_user: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
    per_token: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Limits {
    pub fn new(s: &AuthSettings) -> Limits {
        let per_second = NonZeroU32::new(s.ingest_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(s.ingest_per_second.saturating_mul(2).max(1))
            .unwrap_or(NonZeroU32::MIN);
        Limits {
            per_user: RateLimiter::keyed(per_minute(s.login_attempts_per_user)),
            per_address: RateLimiter::keyed(per_minute(s.login_attempts_per_address)),
            per_token: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    fn take(&self, limiter: &DefaultKeyedRateLimiter<String>, key: String) -> Result<(), Duration> {
        if limiter.len() >= MAX_KEYS {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// One login attempt for `name` from `address`; `Err(wait)` when either is over its limit.
    pub fn login(&self, name: &str, address: &str) -> Result<(), Duration> {
        let by_address = self.take(&self.per_address, address.to_string());
        let by_user = self.take(&self.per_user, name.to_lowercase());
        match (by_address, by_user) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(w), _) | (_, Err(w)) => Err(w),
        }
    }

    /// One ingest request by this caller.
    pub fn ingest(&self, p: &Principal) -> Result<(), Duration> {
        let key = match &p.who {
            Who::Token { id: Some(id), .. } => format!("id:{id}"),
            Who::Token { name, .. } => format!("cfg:{name}"),
            _ => return Ok(()),
        };
        self.take(&self.per_token, key)
    }

    /// Forgets quiet keys (the retention job calls this every few minutes).
    pub fn tidy(&self) {
        self.per_user.retain_recent();
        self.per_address.retain_recent();
        self.per_token.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_in_a_minute_waits() {
        let limits = Limits::new(&AuthSettings::default());
        for _ in 0..5 {
            assert!(limits.login("alice", "10.0.0.1").is_ok());
        }
        let wait = limits.login("Alice", "10.0.0.1").expect_err("throttled");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        // Another user from another address is not held back by alice's attempts.
        assert!(limits.login("bob", "10.0.0.2").is_ok());
    }
}
