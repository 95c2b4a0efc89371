//! The fixed latency histogram every rollup carries, its aggregate, and percentile estimation
//! from it: a leaf below storage, analytics and checks alike.

/// Upper bounds (ms) of the latency histogram buckets; the last bucket is open-ended.
/// Dense where MCP latency targets sit (100-500 ms) so p95 against a target is meaningful.
pub const BUCKET_BOUNDS_MS: [f64; 21] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0, 500.0,
    750.0, 1000.0, 1500.0, 2500.0, 5000.0, 10000.0,
];
/// Number of histogram buckets (the bounds plus the open-ended one).
pub const BUCKETS: usize = BUCKET_BOUNDS_MS.len() + 1;

/// The bucket a latency falls in.
pub fn bucket_of(ms: f64) -> usize {
    BUCKET_BOUNDS_MS
        .iter()
        .position(|&b| ms <= b)
        .unwrap_or(BUCKET_BOUNDS_MS.len())
}

/// Estimates the `q` quantile (0..=1) from bucket counts, interpolating linearly inside the
/// bucket that holds the rank and clamping to the observed min and max. The estimate always
/// lies in the same bucket as the exact value.
pub fn estimate_quantile(hist: &[i64], q: f64, min: f64, max: f64) -> Option<f64> {
    let total: i64 = hist.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0i64;
    for (i, &n) in hist.iter().enumerate() {
        if n <= 0 {
            continue;
        }
        if seen + n >= rank {
            let lo = if i == 0 { 0.0 } else { BUCKET_BOUNDS_MS[i - 1] };
            let hi = BUCKET_BOUNDS_MS.get(i).copied().unwrap_or(max.max(lo));
            let lo = lo.max(min);
            let hi = hi.min(max).max(lo);
            let frac = (rank - seen) as f64 / n as f64;
            return Some(lo + (hi - lo) * frac);
        }
        seen += n;
    }
    Some(max)
}

/// Aggregated traffic of some slice of time: what every table row and chart point is built from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Agg {
    pub count: i64,
    pub errors: i64,
    pub sum_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub hist: Vec<i64>,
}

impl Agg {
    /// Adds another aggregate of the same shape (an empty one adopts the other's).
    pub fn merge(&mut self, o: &Agg) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = o.clone();
            return;
        }
        self.count += o.count;
        self.errors += o.errors;
        self.sum_ms += o.sum_ms;
        self.min_ms = self.min_ms.min(o.min_ms);
        self.max_ms = self.max_ms.max(o.max_ms);
        for (a, b) in self.hist.iter_mut().zip(&o.hist) {
            *a += b;
        }
    }

    pub fn error_pct(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            round2(self.errors as f64 * 100.0 / self.count as f64)
        }
    }
    pub fn avg_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| round2(self.sum_ms / self.count as f64))
    }
    pub fn quantile(&self, q: f64) -> Option<f64> {
        estimate_quantile(&self.hist, q, self.min_ms, self.max_ms).map(round2)
    }

    /// Share of observations slower than `ms`, %: buckets wholly above it, plus a linear part of
    /// the bucket it falls inside. Exact when `ms` is a bucket bound (every seed target is).
    pub fn share_above(&self, ms: f64) -> f64 {
        if self.count <= 0 {
            return 0.0;
        }
        let mut above = 0.0;
        for (i, &n) in self.hist.iter().enumerate() {
            let lo = if i == 0 { 0.0 } else { BUCKET_BOUNDS_MS[i - 1] };
            let hi = BUCKET_BOUNDS_MS
                .get(i)
                .copied()
                .unwrap_or(self.max_ms.max(lo));
            if lo >= ms {
                above += n as f64;
            } else if hi > ms {
                above += n as f64 * (hi - ms) / (hi - lo);
            }
        }
        round2(above * 100.0 / self.count as f64)
    }
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_upper_inclusive() {
        assert_eq!(bucket_of(0.2), 0);
        assert_eq!(bucket_of(1.0), 0);
        assert_eq!(bucket_of(1.01), 1);
        assert_eq!(bucket_of(100.0), 8);
        assert_eq!(bucket_of(99_999.0), BUCKETS - 1);
    }

    #[test]
    fn quantiles_land_in_the_exact_values_bucket() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let n = rng.usize(1..2000);
            let mut v: Vec<f64> = (0..n)
                .map(|_| (rng.f64() * rng.f64() * 3000.0).max(0.05))
                .collect();
            let mut hist = vec![0i64; BUCKETS];
            for &x in &v {
                hist[bucket_of(x)] += 1;
            }
            v.sort_by(f64::total_cmp);
            let (min, max) = (v[0], v[n - 1]);
            for q in [0.5, 0.95, 0.99] {
                let exact = v[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
                let est = estimate_quantile(&hist, q, min, max).unwrap();
                assert_eq!(
                    bucket_of(est),
                    bucket_of(exact),
                    "q={q} exact={exact} est={est}"
                );
                assert!(est >= min && est <= max);
            }
        }
        assert_eq!(estimate_quantile(&[0; BUCKETS], 0.5, 0.0, 0.0), None);
    }
}
