//! Folding request events into rollup rows, in memory and pure: minute rows from events, hour
//! and day rows from the finer ones, per-bucket and per-role totals. The store writes what
//! these return; the tests here pin the arithmetic without a database.

use crate::events::{Measured, RequestEvent};
use crate::latency::{bucket_of, Agg, BUCKETS};
use std::collections::HashMap;

/// `(bucket, route, method, status class, role, server, tool)`; absent role/server/tool are "".
pub(super) type RollKey = (i64, String, String, i32, String, String, String);

/// Re-buckets rollups into a coarser resolution: hours come from minutes and days from
/// hours, so each event is folded once.
pub(super) fn coarsen(finer: &HashMap<RollKey, Agg>, bucket: i64) -> HashMap<RollKey, Agg> {
    let mut out: HashMap<RollKey, Agg> = HashMap::with_capacity(finer.len());
    for (k, a) in finer {
        let mut key = k.clone();
        key.0 = k.0 - k.0.rem_euclid(bucket);
        match out.get_mut(&key) {
            Some(acc) => acc.merge(a),
            None => {
                out.insert(key, a.clone());
            }
        }
    }
    out
}

/// One aggregate per bucket over all keys.
pub(super) fn bucket_totals(rows: &HashMap<RollKey, Agg>) -> HashMap<i64, Agg> {
    let mut out: HashMap<i64, Agg> = HashMap::new();
    for (k, a) in rows {
        out.entry(k.0).or_default().merge(a);
    }
    out
}

/// One aggregate per (bucket, role) of rows carrying a role.
pub(super) fn role_totals(
    rows: &HashMap<RollKey, Agg>,
    span: i64,
) -> Vec<((i64, i64, String), Agg)> {
    let mut out: HashMap<(i64, &str), Agg> = HashMap::new();
    for (k, a) in rows.iter().filter(|(k, _)| !k.4.is_empty()) {
        out.entry((k.0, k.4.as_str())).or_default().merge(a);
    }
    out.into_iter()
        .map(|((bucket, role), a)| ((span, bucket, role.to_string()), a))
        .collect()
}

/// Folds events into rollup rows for one resolution.
pub(super) fn rollup(events: &[RequestEvent], bucket: i64) -> HashMap<RollKey, Agg> {
    let mut out: HashMap<RollKey, Agg> = HashMap::new();
    for e in events {
        let key = (
            e.ts_ms - e.ts_ms.rem_euclid(bucket),
            e.route.clone(),
            e.method.clone(),
            i32::from(e.status / 100),
            e.role.clone().unwrap_or_default(),
            e.server.clone().unwrap_or_default(),
            e.tool.clone().unwrap_or_default(),
        );
        let a = out.entry(key).or_insert_with(|| Agg {
            min_ms: f64::INFINITY,
            max_ms: f64::NEG_INFINITY,
            hist: vec![0; BUCKETS],
            ..Agg::default()
        });
        a.count += 1;
        a.errors += i64::from(e.status >= 400);
        a.sum_ms += e.duration_ms;
        a.min_ms = a.min_ms.min(e.duration_ms);
        a.max_ms = a.max_ms.max(e.duration_ms);
        a.hist[bucket_of(e.duration_ms)] += 1;
    }
    out
}

/// Adds pre-aggregated requests to rollup rows of one resolution.
pub(super) fn add_measured(rows: &mut HashMap<RollKey, Agg>, measured: &[Measured], bucket: i64) {
    for m in measured {
        let key = (
            m.ts_ms - m.ts_ms.rem_euclid(bucket),
            m.route.clone(),
            m.method.clone(),
            i32::from(m.status / 100),
            m.role.clone().unwrap_or_default(),
            m.server.clone().unwrap_or_default(),
            m.tool.clone().unwrap_or_default(),
        );
        rows.entry(key).or_default().merge(&m.agg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventSource;
    use crate::store::{DAY_MS, HOUR_MS, MINUTE_MS};

    fn ev(ts_ms: i64, route: &str, status: u16, ms: f64, role: Option<&str>) -> RequestEvent {
        RequestEvent {
            ts_ms,
            method: "POST".into(),
            route: route.into(),
            tool: None,
            server: None,
            status,
            duration_ms: ms,
            user_id: None,
            role: role.map(str::to_string),
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: EventSource::Ingest,
        }
    }

    #[test]
    fn events_fold_by_bucket_and_key() {
        let t = 10 * HOUR_MS;
        let events = [
            ev(t + 1_000, "/a", 200, 10.0, Some("admin")),
            ev(t + 59_000, "/a", 503, 30.0, Some("admin")),
            ev(t + 60_000, "/a", 200, 20.0, Some("admin")),
            ev(t + 2_000, "/a", 404, 5.0, Some("admin")),
        ];
        let m = rollup(&events, MINUTE_MS);
        assert_eq!(m.len(), 4, "two minutes × status classes 2, 4, 5");
        let key = |b: i64, class: i32| {
            (
                b,
                "/a".to_string(),
                "POST".to_string(),
                class,
                "admin".to_string(),
                String::new(),
                String::new(),
            )
        };
        let ok = &m[&key(t, 2)];
        assert_eq!(
            (ok.count, ok.errors, ok.sum_ms, ok.min_ms, ok.max_ms),
            (1, 0, 10.0, 10.0, 10.0)
        );
        let bad = &m[&key(t, 5)];
        assert_eq!((bad.count, bad.errors), (1, 1));
        assert_eq!(bad.hist[bucket_of(30.0)], 1);
        assert_eq!(bad.hist.iter().sum::<i64>(), 1);
        assert_eq!(m[&key(t, 4)].errors, 1);
        assert_eq!(m[&key(t + MINUTE_MS, 2)].count, 1);
    }

    #[test]
    fn coarser_rows_equal_folding_the_events_directly() {
        let base = 400 * DAY_MS;
        let events: Vec<RequestEvent> = (0..2_000)
            .map(|i| {
                let role = ["admin", "guest", ""][i % 3];
                ev(
                    base + (i as i64 * 7_919_123) % (3 * DAY_MS),
                    ["/a", "/b", "/c"][i % 5 % 3],
                    [200, 201, 404, 500][i % 4],
                    (i % 97) as f64 * 3.5,
                    (!role.is_empty()).then_some(role),
                )
            })
            .collect();
        let minutes = rollup(&events, MINUTE_MS);
        let hours = coarsen(&minutes, HOUR_MS);
        let days = coarsen(&hours, DAY_MS);
        let same = |a: &HashMap<RollKey, Agg>, b: &HashMap<RollKey, Agg>| {
            assert_eq!(a.len(), b.len());
            for (k, x) in a {
                let y = &b[k];
                assert_eq!(
                    (x.count, x.errors, &x.hist),
                    (y.count, y.errors, &y.hist),
                    "{k:?}"
                );
                assert!((x.sum_ms - y.sum_ms).abs() < 1e-6);
                assert_eq!((x.min_ms, x.max_ms), (y.min_ms, y.max_ms));
            }
        };
        same(&hours, &rollup(&events, HOUR_MS));
        same(&days, &rollup(&events, DAY_MS));
        let totals = bucket_totals(&days);
        assert_eq!(totals.values().map(|a| a.count).sum::<i64>(), 2_000);
        let roles = role_totals(&days, DAY_MS);
        let with_role = events.iter().filter(|e| e.role.is_some()).count() as i64;
        assert_eq!(roles.iter().map(|(_, a)| a.count).sum::<i64>(), with_role);
        assert!(roles
            .iter()
            .all(|((span, _, role), _)| *span == DAY_MS && !role.is_empty()));
    }
}
