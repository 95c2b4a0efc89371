//! The evaluator's memory of recent minutes of traffic: a tick re-reads only the minutes whose
//! request count moved since the last tick (the current one, a late batch's), so a thousand
//! rules over hour windows cost a few minutes of rows instead of every window's rows again.

use crate::latency::Agg;
use crate::store::alerts::WindowRow;
use crate::store::{Store, StoreError, MINUTE_MS};
use std::collections::HashMap;

/// Windows longer than this are read from the store each tick, never kept.
const MAX_SPAN_MS: i64 = 3 * 60 * MINUTE_MS;
/// Rows (minute × server × tool × route × role) kept at most, about 300 bytes each; a store
/// with more keys than this falls back to reading each window.
const MAX_ROWS: usize = 50_000;
/// After a fallback the cache rests this long before trying again.
const REST_MS: i64 = 10 * MINUTE_MS;
/// Unchanged minutes between changed ones are read along when the gap is this small: one
/// query instead of several.
const JOIN_GAP_MS: i64 = 5 * MINUTE_MS;

/// A window `[from, to)` in ms.
pub type Span = (i64, i64);

struct Minute {
    count: i64,
    rows: Vec<WindowRow>,
}

#[derive(Default)]
pub struct MinuteCache {
    minutes: HashMap<i64, Minute>,
    rest_until_ms: i64,
}

/// What a tick got for its windows: those it could build from minutes, and those left for the
/// caller to read whole.
pub struct Windows {
    pub built: HashMap<Span, Vec<WindowRow>>,
    pub left: Vec<Span>,
}

impl MinuteCache {
    /// The windows `[from, to)` (minute-aligned), built from kept minutes plus those read now.
    pub async fn windows(
        &mut self,
        store: &Store,
        wanted: &[Span],
        now_ms: i64,
    ) -> Result<Windows, StoreError> {
        let (short, mut left): (Vec<Span>, Vec<Span>) = wanted
            .iter()
            .partition(|(from, to)| to - from <= MAX_SPAN_MS && now_ms >= self.rest_until_ms);
        let ranges = disjoint(&short);
        let counts = futures::future::try_join_all(
            ranges
                .iter()
                .map(|&(from, to)| store.minute_counts(from, to)),
        )
        .await?;
        let counts: HashMap<i64, i64> = counts.into_iter().flatten().collect();
        let mut stale: Vec<i64> = counts
            .iter()
            .filter(|(b, c)| self.minutes.get(b).is_none_or(|m| m.count != **c))
            .map(|(b, _)| *b)
            .collect();
        stale.sort_unstable();
        let runs = runs(&stale);
        let read = futures::future::try_join_all(
            runs.iter()
                .map(|&(from, to)| store.traffic_minute_rows(from, to, MAX_ROWS + 1)),
        )
        .await?;
        let kept: usize = counts
            .keys()
            .filter_map(|b| self.minutes.get(b))
            .map(|m| m.rows.len())
            .sum();
        let fresh: usize = read.iter().map(Vec::len).sum();
        if kept + fresh > MAX_ROWS {
            tracing::info!(
                rows = kept + fresh,
                "too many traffic keys to keep minutes for alert windows; reading windows whole"
            );
            *self = MinuteCache {
                minutes: HashMap::new(),
                rest_until_ms: now_ms + REST_MS,
            };
            left.extend(short);
            return Ok(Windows {
                built: HashMap::new(),
                left,
            });
        }
        let mut old = std::mem::take(&mut self.minutes);
        let mut by_minute: HashMap<i64, Vec<WindowRow>> = HashMap::new();
        for (bucket, row) in read.into_iter().flatten() {
            by_minute.entry(bucket).or_default().push(row);
        }
        for (bucket, count) in counts {
            let rows = match by_minute.remove(&bucket) {
                Some(rows) => rows,
                // Changed but gone by the time it was read (pruned): empty.
                None if stale.binary_search(&bucket).is_ok() => Vec::new(),
                None => old.remove(&bucket).map(|m| m.rows).unwrap_or_default(),
            };
            self.minutes.insert(bucket, Minute { count, rows });
        }
        let built = short
            .iter()
            .map(|&(from, to)| ((from, to), self.window(from, to)))
            .collect();
        Ok(Windows { built, left })
    }

    /// One window's rows summed per (server, tool, route, role).
    fn window(&self, from: i64, to: i64) -> Vec<WindowRow> {
        let mut sums: HashMap<(&str, &str, &str, &str), Agg> = HashMap::new();
        for (_, m) in self.minutes.iter().filter(|(b, _)| (from..to).contains(*b)) {
            for r in &m.rows {
                sums.entry((&r.server, &r.tool, &r.route, &r.role))
                    .or_default()
                    .merge(&r.agg);
            }
        }
        sums.into_iter()
            .map(|((server, tool, route, role), agg)| WindowRow {
                server: server.to_string(),
                tool: tool.to_string(),
                route: route.to_string(),
                role: role.to_string(),
                agg,
            })
            .collect()
    }
}

/// Overlapping or touching windows joined, in order.
fn disjoint(windows: &[Span]) -> Vec<Span> {
    let mut w = windows.to_vec();
    w.sort_unstable();
    let mut out: Vec<Span> = Vec::new();
    for (from, to) in w {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

/// Sorted minute buckets as ranges to read, small gaps read along.
fn runs(buckets: &[i64]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for &b in buckets {
        match out.last_mut() {
            Some(last) if b - last.1 <= JOIN_GAP_MS => last.1 = b + MINUTE_MS,
            _ => out.push((b, b + MINUTE_MS)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_join_when_they_overlap_or_touch() {
        assert_eq!(
            disjoint(&[(5, 9), (0, 3), (3, 4), (8, 12), (20, 30)]),
            vec![(0, 4), (5, 12), (20, 30)]
        );
    }

    #[test]
    fn changed_minutes_are_read_in_runs_small_gaps_along() {
        let m = MINUTE_MS;
        assert_eq!(
            runs(&[0, m, 3 * m, 20 * m]),
            vec![(0, 4 * m), (20 * m, 21 * m)]
        );
        assert!(runs(&[]).is_empty());
    }

    fn event(ts_ms: i64, server: &str, status: u16, ms: f64) -> crate::events::RequestEvent {
        crate::events::RequestEvent {
            ts_ms,
            method: "POST".into(),
            route: "tools/call".into(),
            tool: Some("search".into()),
            server: Some(server.into()),
            status,
            duration_ms: ms,
            user_id: None,
            role: None,
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: crate::events::EventSource::Ingest,
        }
    }

    fn sorted(mut rows: Vec<WindowRow>) -> Vec<(String, i64, i64, Vec<i64>)> {
        rows.sort_by(|a, b| a.server.cmp(&b.server));
        rows.into_iter()
            .map(|r| (r.server, r.agg.count, r.agg.errors, r.agg.hist))
            .collect()
    }

    #[tokio::test]
    async fn kept_minutes_give_the_same_windows_as_reading_them_whole_through_late_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let m = MINUTE_MS;
        let base = 1_000 * m;
        let first: Vec<_> = (0..30)
            .map(|i| {
                event(
                    base + i * m / 3,
                    ["a", "b"][i as usize % 2],
                    200,
                    5.0 + i as f64,
                )
            })
            .collect();
        store.insert_batch(&first, &[]).await.unwrap();
        let now = base + 10 * m;
        let wanted = [
            (now - 5 * m, now),
            (now - 10 * m, now),
            (now - 4 * m, now - 2 * m),
        ];
        let mut cache = MinuteCache::default();
        async fn check(cache: &mut MinuteCache, store: &Store, wanted: &[(i64, i64)], now: i64) {
            let w = cache.windows(store, wanted, now).await.unwrap();
            assert!(w.left.is_empty());
            for &(from, to) in wanted {
                let whole = store.traffic_window_rows(from, to).await.unwrap();
                assert!(!whole.is_empty());
                assert_eq!(sorted(w.built[&(from, to)].clone()), sorted(whole));
            }
        }
        check(&mut cache, &store, &wanted, now).await;
        assert_eq!(cache.minutes.len(), 10);
        // A late batch lands in minutes already kept, one new server among them; the next
        // tick must see it though nothing else changed.
        let late = [
            event(base + 2 * m + 7, "c", 500, 900.0),
            event(base + 7 * m + 7, "a", 500, 1.0),
        ];
        store.insert_batch(&late, &[]).await.unwrap();
        check(&mut cache, &store, &wanted, now).await;
        let c = cache.windows(&store, &wanted, now).await.unwrap();
        let whole: i64 = c.built[&(now - 10 * m, now)]
            .iter()
            .map(|r| r.agg.count)
            .sum();
        assert_eq!(whole, 32);
        // A window longer than the kept span is left for the caller.
        let long = [(now - 4 * 60 * m, now)];
        let w = cache.windows(&store, &long, now).await.unwrap();
        assert_eq!(w.left, long.to_vec());
        store.close().await;
    }
}
