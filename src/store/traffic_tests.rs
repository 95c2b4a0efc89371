//! Rollups against exact computation on random data (SQLite and PostgreSQL), top-N against a
//! full sort, and retention per table.

use super::*;
use crate::events::EventSource;
use crate::latency::{bucket_of, estimate_quantile};

fn random_events(rng: &mut fastrand::Rng, base: i64, n: usize, tag: &str) -> Vec<RequestEvent> {
    let routes = [
        "tools/call",
        "tools/list",
        "resources/read",
        "/api/servers",
        "/api/keys",
    ];
    let tools = ["", "search", "fetch", "summarize"];
    let roles = ["admin", "viewer", "guest", ""];
    (0..n)
        .map(|_| {
            let tool = tools[rng.usize(..tools.len())];
            let role = roles[rng.usize(..roles.len())];
            RequestEvent {
                ts_ms: base + rng.i64(0..3 * HOUR_MS),
                method: if rng.bool() { "POST" } else { "GET" }.into(),
                route: format!("{tag}{}", routes[rng.usize(..routes.len())]),
                tool: (!tool.is_empty()).then(|| tool.to_string()),
                server: Some("srv".into()).filter(|_| !tool.is_empty()),
                status: [200, 200, 200, 201, 404, 500][rng.usize(..6)],
                duration_ms: (rng.f64() * rng.f64() * 2000.0).max(0.1),
                user_id: Some(format!("u{}", rng.u8(..20))),
                role: (!role.is_empty()).then(|| role.to_string()),
                bytes_in: Some(100),
                bytes_out: None,
                client_ip: Some("10.1.2.0".into()),
                user_agent: None,
                session_id: None,
                source: EventSource::Ingest,
            }
        })
        .collect()
}

/// Rollups against exact computation: counts exact, percentiles in the exact value's bucket.
async fn rollups_match_exact(store: &Store, base: i64, tag: &str) {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut all = Vec::new();
    for n in [1500, 2500, 1000] {
        let batch = random_events(&mut rng, base, n, tag);
        store.insert_requests(&batch).await.unwrap();
        all.extend(batch);
    }
    let end = base + 3 * HOUR_MS;
    let minute = store
        .traffic_totals(Resolution::Minute, base, end)
        .await
        .unwrap();
    let hour = store
        .traffic_totals(Resolution::Hour, base, end)
        .await
        .unwrap();
    assert_eq!(minute.count, all.len() as i64);
    assert_eq!(hour.count, minute.count);
    assert_eq!(hour.hist, minute.hist);
    let errors = all.iter().filter(|e| e.status >= 400).count() as i64;
    assert_eq!(minute.errors, errors);
    let sum: f64 = all.iter().map(|e| e.duration_ms).sum();
    assert!((minute.sum_ms - sum).abs() < 1e-6 * sum);

    let mut groups: HashMap<(String, String, String), Vec<f64>> = HashMap::new();
    for e in &all {
        groups
            .entry((
                e.route.clone(),
                e.method.clone(),
                e.tool.clone().unwrap_or_default(),
            ))
            .or_default()
            .push(e.duration_ms);
    }
    let endpoints = store
        .traffic_endpoints(Resolution::Minute, base, end)
        .await
        .unwrap();
    assert_eq!(endpoints.len(), groups.len());
    for ep in &endpoints {
        let mut exact = groups[&(ep.route.clone(), ep.method.clone(), ep.tool.clone())].clone();
        assert_eq!(ep.agg.count, exact.len() as i64, "{ep:?}");
        exact.sort_by(f64::total_cmp);
        assert_eq!(ep.agg.min_ms, exact[0]);
        assert_eq!(ep.agg.max_ms, exact[exact.len() - 1]);
        for q in [0.5, 0.95, 0.99] {
            let n = exact.len();
            let want = exact[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
            let got = estimate_quantile(&ep.agg.hist, q, ep.agg.min_ms, ep.agg.max_ms).unwrap();
            assert_eq!(bucket_of(got), bucket_of(want), "{} q={q}", ep.route);
        }
    }
    let series = store
        .traffic_series(Resolution::Hour, base, end)
        .await
        .unwrap();
    assert_eq!(series.len(), 3);
    for (t, a) in series {
        let n = all
            .iter()
            .filter(|e| e.ts_ms >= t && e.ts_ms < t + HOUR_MS)
            .count();
        assert_eq!(a.count, n as i64);
    }
    let day = store
        .traffic_totals(Resolution::Day, base - DAY_MS, end + DAY_MS)
        .await
        .unwrap();
    assert_eq!((day.count, &day.hist), (minute.count, &minute.hist));
    let long = store
        .top_endpoints(
            &Store::plan(Resolution::Hour, base - 2 * DAY_MS, end + 3 * HOUR_MS),
            EndpointOrder::Count,
            1000,
        )
        .await
        .unwrap();
    assert_eq!(long.len(), endpoints.len());
    for ep in &long {
        let n = groups[&(ep.route.clone(), ep.method.clone(), ep.tool.clone())].len();
        assert_eq!(
            ep.agg.count, n as i64,
            "long window mixes hours and days exactly"
        );
    }
    top_n_matches_a_full_sort(store, base, end, &endpoints).await;
    let total = store
        .traffic_totals_long(base - 2 * DAY_MS, end + 3 * HOUR_MS)
        .await
        .unwrap();
    assert_eq!(total.count, all.len() as i64);
    let per_minute = store
        .traffic_series(Resolution::Minute, base, end)
        .await
        .unwrap();
    assert_eq!(
        per_minute.iter().map(|(_, a)| a.count).sum::<i64>(),
        all.len() as i64
    );
}

/// What the database ranks and cuts must equal every endpoint decoded and sorted here, for
/// every order, over minute spans and over mixed hour/day spans.
async fn top_n_matches_a_full_sort(store: &Store, base: i64, end: i64, all: &[EndpointAgg]) {
    let key = |e: &EndpointAgg| {
        (
            e.route.clone(),
            e.method.clone(),
            e.tool.clone(),
            e.server.clone(),
        )
    };
    let rank = |e: &EndpointAgg, order: EndpointOrder| -> (f64, f64) {
        let a = &e.agg;
        match order {
            EndpointOrder::Count => (a.count as f64, 0.0),
            EndpointOrder::Errors => (a.errors as f64, a.errors as f64 / a.count as f64),
            EndpointOrder::Avg => (a.sum_ms / a.count as f64, 0.0),
            EndpointOrder::P95 => (
                estimate_quantile(&a.hist, 0.95, a.min_ms, a.max_ms).unwrap(),
                0.0,
            ),
        }
    };
    for order in [
        EndpointOrder::Count,
        EndpointOrder::Errors,
        EndpointOrder::Avg,
        EndpointOrder::P95,
    ] {
        let mut want = all.to_vec();
        want.sort_by(|a, b| {
            let (ra, rb) = (rank(a, order), rank(b, order));
            rb.0.total_cmp(&ra.0)
                .then(rb.1.total_cmp(&ra.1))
                .then_with(|| key(a).cmp(&key(b)))
        });
        for limit in [1, 3, 7, 1000] {
            for spans in [
                Store::plan(Resolution::Minute, base, end),
                Store::plan(Resolution::Hour, base - 2 * DAY_MS, end + 3 * HOUR_MS),
            ] {
                let got = store.top_endpoints(&spans, order, limit).await.unwrap();
                let expect: Vec<_> = want.iter().take(limit as usize).collect();
                assert_eq!(got.len(), expect.len(), "{order:?} limit {limit}");
                for (g, w) in got.iter().zip(&expect) {
                    assert_eq!(key(g), key(w), "{order:?} limit {limit}");
                    assert_eq!(g.agg.count, w.agg.count);
                    assert_eq!(g.agg.hist, w.agg.hist);
                }
            }
        }
    }
    assert!(store
        .top_endpoints(&[], EndpointOrder::Count, 5)
        .await
        .unwrap()
        .is_empty());
}

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    (store, dir)
}

#[tokio::test]
async fn sqlite_rollups_match_exact_computation() {
    let (store, _dir) = sqlite().await;
    rollups_match_exact(&store, 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS, "").await;
    assert_eq!(store.count_request_events().await.unwrap(), 5000);
}

#[tokio::test]
async fn postgres_rollups_match_exact_computation() {
    let Some(pg) = crate::store::testing::PgSchema::create("rollups").await else {
        return;
    };
    let base = 631_152_000_000;
    rollups_match_exact(&pg.store, base, "t").await;
    pg.drop().await;
}

#[tokio::test]
async fn retention_drops_each_table_at_its_own_age() {
    let (store, _dir) = sqlite().await;
    let mut rng = fastrand::Rng::with_seed(1);
    let base = 100 * HOUR_MS;
    store
        .insert_requests(&random_events(&mut rng, base, 300, ""))
        .await
        .unwrap();
    let sample = |ts| SystemSample {
        ts_ms: ts,
        cpu_pct: 10.0,
        memory_used_bytes: 1,
        memory_total_bytes: 4,
        disk_pct: 50.0,
    };
    store.insert_system_sample(&sample(base)).await.unwrap();
    store
        .insert_system_sample(&sample(base + 2 * HOUR_MS))
        .await
        .unwrap();
    // Raw rows before base+1h go; minute rollups before base+2h; hourly rollups stay.
    let gone = store
        .prune_traffic(base + HOUR_MS, base + 2 * HOUR_MS, base)
        .await
        .unwrap();
    assert!(
        gone[0] > 50 && gone[1] > 50 && gone[2] == 0 && gone[3] == 1,
        "{gone:?}"
    );
    let left = store.count_request_events().await.unwrap();
    assert_eq!(left as u64, 300 - gone[0]);
    let minutes = store
        .traffic_totals(Resolution::Minute, 0, i64::MAX)
        .await
        .unwrap();
    let hours = store
        .traffic_totals(Resolution::Hour, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(hours.count, 300, "hourly rollups keep the full history");
    assert!(minutes.count < 300 && minutes.count > 0);
    assert_eq!(
        store.latest_system_sample().await.unwrap().unwrap().ts_ms,
        base + 2 * HOUR_MS
    );
}
