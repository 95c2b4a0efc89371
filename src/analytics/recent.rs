//! Figures many readers ask for at once (every open dashboard polls them), computed once per
//! store generation (the writer's commit count) and at most a few seconds old.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Slot<V> = Arc<tokio::sync::Mutex<Option<(Instant, u64, Arc<V>)>>>;

/// One answer per key, shared until a batch commits or `ttl` passes. Readers that arrive while
/// it is being computed wait for that answer instead of starting another; a reader after a
/// commit sees the commit. Keys must come from a closed set (a timeframe, a sort order), never
/// from raw input: each one keeps its answer.
pub struct Recent<K, V> {
    ttl: Duration,
    slots: Arc<Mutex<HashMap<K, Slot<V>>>>,
}

impl<K, V> Clone for Recent<K, V> {
    fn clone(&self) -> Self {
        Recent {
            ttl: self.ttl,
            slots: self.slots.clone(),
        }
    }
}

impl<K, V> std::fmt::Debug for Recent<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recent").field("ttl", &self.ttl).finish()
    }
}

impl<K: Eq + Hash + Clone, V> Recent<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Recent {
            ttl,
            slots: Arc::default(),
        }
    }

    /// The answer for `key` at `generation`, computing it with `make` when there is none fresh.
    pub async fn get<E, F, Fut>(&self, key: K, generation: u64, make: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = {
            // Poisoned only if a holder panicked mid-insert; the map is still sound.
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(key).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((at, g, v)) = slot.as_ref() {
            if *g == generation && at.elapsed() < self.ttl {
                return Ok(v.clone());
            }
        }
        let v = Arc::new(make().await?);
        *slot = Some((Instant::now(), generation, v.clone()));
        Ok(v)
    }
}

/// The dashboard's shared answers, one per page and (closed) choice of window.
#[derive(Clone, Debug)]
pub struct PageCache {
    pub realtime: Recent<(), super::RealTime>,
    pub role_summary: Recent<(), super::roles::RoleSummary>,
    pub roles: Recent<crate::span::Span, super::roles::RolesPage>,
    pub requests: Recent<(crate::span::Span, super::SortBy), super::RequestsPage>,
    /// The unfiltered Overview, with details (`true`) or statuses only, keyed by the health
    /// engine's generation rather than the writer's.
    pub overview: Recent<bool, crate::overview::OverviewData>,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            realtime: Recent::new(ttl),
            role_summary: Recent::new(ttl),
            roles: Recent::new(ttl),
            requests: Recent::new(ttl),
            overview: Recent::new(ttl),
        }
    }

    /// The real-time figures (the Overview's cards and `GET /api/v1/analytics/real-time`).
    pub async fn real_time(
        &self,
        store: &crate::store::Store,
        generation: u64,
    ) -> Result<Arc<super::RealTime>, crate::store::StoreError> {
        self.realtime
            .get((), generation, || {
                super::service::real_time(store, crate::model::now_ms())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_computation_per_generation_and_key_until_it_expires() {
        let cache: Recent<u8, usize> = Recent::new(Duration::from_millis(200));
        let runs = AtomicUsize::new(0);
        let make = || async { Ok::<_, ()>(runs.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(*cache.get(1, 0, make).await.unwrap(), 1);
        assert_eq!(*cache.get(1, 0, make).await.unwrap(), 1, "shared");
        assert_eq!(*cache.get(2, 0, make).await.unwrap(), 2, "another key");
        assert_eq!(*cache.get(1, 1, make).await.unwrap(), 3, "a commit");
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(*cache.get(1, 1, make).await.unwrap(), 4, "expired");
    }

    #[tokio::test]
    async fn a_failure_is_not_kept() {
        let cache: Recent<(), u8> = Recent::new(Duration::from_secs(60));
        assert!(cache.get((), 0, || async { Err("down") }).await.is_err());
        assert_eq!(
            *cache
                .get((), 0, || async { Ok::<_, &str>(7) })
                .await
                .unwrap(),
            7
        );
    }

    #[tokio::test]
    async fn readers_arriving_together_share_one_computation() {
        let cache: Recent<(), usize> = Recent::new(Duration::from_secs(60));
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, runs) = (cache.clone(), runs.clone());
                tokio::spawn(async move {
                    cache
                        .get((), 0, || async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok::<_, ()>(runs.fetch_add(1, Ordering::SeqCst))
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(*t.await.unwrap().unwrap(), 0);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
