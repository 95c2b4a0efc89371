//! The host sampler: CPU, memory and disk every `sample_interval` into the store, for the
//! overview cards and the performance charts (seed 000 `record_system_metrics`).

use crate::host::disk_space;
use crate::store::{Store, SystemSample};
use std::path::PathBuf;
use std::time::Duration;

/// Takes one sample. CPU usage needs two readings apart, so the caller keeps `sys` between calls.
pub fn sample(sys: &mut sysinfo::System, disk_path: &std::path::Path, now_ms: i64) -> SystemSample {
    sys.refresh_cpu_usage();
    sys.refresh_memory();
    SystemSample {
        ts_ms: now_ms,
        cpu_pct: f64::from(sys.global_cpu_usage()),
        memory_used_bytes: i64::try_from(sys.used_memory()).unwrap_or(i64::MAX),
        memory_total_bytes: i64::try_from(sys.total_memory()).unwrap_or(i64::MAX),
        disk_pct: disk_space(disk_path).map(|d| d.used_pct()).unwrap_or(0.0),
    }
}

/// Runs until dropped (the task is aborted with the server's task set).
pub async fn run(store: Store, interval: Duration, disk_path: PathBuf) {
    let mut sys = sysinfo::System::new();
    sys.refresh_cpu_usage();
    // The first CPU reading needs a baseline; sysinfo asks for at least this much between two.
    tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(Duration::from_millis(500))).await;
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        let now = crate::model::now_ms();
        // Reading /proc takes microseconds; not worth a blocking-pool hop.
        let s = sample(&mut sys, &disk_path, now);
        if let Err(e) = store.insert_system_sample(&s).await {
            tracing::warn!(error = %e, "storing a system sample failed");
        }
    }
}
