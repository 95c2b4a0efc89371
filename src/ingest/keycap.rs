//! The per-day cap on distinct endpoints: a route, tool or server name is a rollup key, and
//! keys come from outside. Beyond `cap` distinct `(route, method, server, tool)` per UTC day,
//! new ones are stored as `other`, so no client can make the rollups (and every read of
//! them) grow without bound.

use crate::events::Measured;
use crate::model::OTHER;
use crate::store::{RequestEvent, Store, DAY_MS};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

/// Days whose key sets are kept in memory: events may be posted back to the raw retention.
const DAYS_KEPT: usize = 10;

/// What the cap reads and rewrites of an event (or an aggregate of events).
pub trait Endpoint {
    fn ts_ms(&self) -> i64;
    /// Route, method, server and tool, as stored.
    fn key(&self) -> (&str, &str, &str, &str);
    fn fold_to_other(&mut self);
}

macro_rules! endpoint {
    ($t:ty) => {
        impl Endpoint for $t {
            fn ts_ms(&self) -> i64 {
                self.ts_ms
            }
            fn key(&self) -> (&str, &str, &str, &str) {
                (
                    &self.route,
                    &self.method,
                    self.server.as_deref().unwrap_or(""),
                    self.tool.as_deref().unwrap_or(""),
                )
            }
            fn fold_to_other(&mut self) {
                self.route = OTHER.to_string();
                self.server = self.server.as_ref().map(|_| OTHER.to_string());
                self.tool = self.tool.as_ref().map(|_| OTHER.to_string());
            }
        }
    };
}
endpoint!(RequestEvent);
endpoint!(Measured);

pub struct KeyCap {
    cap: usize,
    days: BTreeMap<i64, HashSet<u64>>,
}

fn key_hash(route: &str, method: &str, server: &str, tool: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (route, method, server, tool).hash(&mut h);
    h.finish()
}

impl KeyCap {
    pub fn new(cap: usize) -> Self {
        KeyCap {
            cap,
            days: BTreeMap::new(),
        }
    }

    /// Rewrites events whose endpoint would exceed its day's cap to `other` (route, and the
    /// server and tool when set); returns how many were folded.
    pub async fn fold<E: Endpoint>(&mut self, store: &Store, events: &mut [E]) -> usize {
        let mut folded = 0;
        for e in events.iter_mut() {
            let day = e.ts_ms() - e.ts_ms().rem_euclid(DAY_MS);
            if !self.days.contains_key(&day) {
                let set = self.load(store, day).await;
                self.days.insert(day, set);
                while self.days.len() > DAYS_KEPT {
                    self.days.pop_first();
                }
            }
            let Some(set) = self.days.get_mut(&day) else {
                continue;
            };
            let (route, method, server, tool) = e.key();
            let key = key_hash(route, method, server, tool);
            if set.contains(&key) || route == OTHER {
                continue;
            }
            if set.len() < self.cap {
                set.insert(key);
                continue;
            }
            e.fold_to_other();
            folded += 1;
        }
        folded
    }

    /// The keys a day already has in the store (after a restart, or an old day posted to).
    async fn load(&self, store: &Store, day: i64) -> HashSet<u64> {
        match store.endpoint_keys_of_day(day, self.cap as i64).await {
            Ok(keys) => keys
                .iter()
                .map(|(r, m, s, t)| key_hash(r, m, s, t))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the day's endpoints; counting afresh");
                HashSet::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventSource;

    fn ev(ts_ms: i64, route: &str, tool: Option<&str>) -> RequestEvent {
        RequestEvent {
            ts_ms,
            method: "POST".into(),
            route: route.into(),
            tool: tool.map(str::to_string),
            server: Some("docs".into()),
            status: 200,
            duration_ms: 5.0,
            user_id: None,
            role: None,
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: EventSource::Ingest,
        }
    }

    #[tokio::test]
    async fn endpoints_beyond_the_days_cap_fold_into_other_and_the_cap_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = Store::connect(&url).await.unwrap();
        let day = 400 * DAY_MS;
        let mut cap = KeyCap::new(3);
        let mut batch: Vec<RequestEvent> = (0..6)
            .map(|i| ev(day + i, "tools/call", Some(&format!("tool-{i}"))))
            .collect();
        batch.push(ev(day + 10, "tools/call", Some("tool-1")));
        assert_eq!(cap.fold(&store, &mut batch).await, 3);
        let tools: Vec<_> = batch.iter().map(|e| e.tool.clone().unwrap()).collect();
        assert_eq!(
            tools,
            ["tool-0", "tool-1", "tool-2", "other", "other", "other", "tool-1"]
        );
        assert!(batch[3..6]
            .iter()
            .all(|e| e.route == "other" && e.server.as_deref() == Some("other")));
        // The next day has a cap of its own.
        let mut next = vec![ev(day + DAY_MS, "tools/call", Some("tool-9"))];
        assert_eq!(cap.fold(&store, &mut next).await, 0);
        // After a restart the stored day is full already.
        store.insert_requests(&batch).await.unwrap();
        let mut fresh = KeyCap::new(3);
        let mut later = vec![
            ev(day + 20, "tools/call", Some("tool-2")),
            ev(day + 21, "tools/call", Some("tool-7")),
        ];
        assert_eq!(fresh.fold(&store, &mut later).await, 1);
        assert_eq!(later[0].tool.as_deref(), Some("tool-2"));
        assert_eq!(later[1].tool.as_deref(), Some("other"));
    }
}
