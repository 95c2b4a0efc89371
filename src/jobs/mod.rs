//! Background jobs: the host sampler, retention and the query-backed gauges. They run beside
//! the server and stop when the set is dropped.

pub mod gauges;
pub mod retention;
pub mod sampler;

/// Starts every background job on the background pool; dropping the set aborts them.
pub fn spawn(
    store: crate::store::Store,
    metrics: crate::metrics::Metrics,
    settings: &crate::config::TrafficSettings,
    disk_path: std::path::PathBuf,
) -> tokio::task::JoinSet<()> {
    let mut set = tokio::task::JoinSet::new();
    set.spawn(sampler::run(
        store.clone(),
        settings.sample_interval,
        disk_path,
    ));
    set.spawn(retention::run(store.clone(), settings.clone()));
    set.spawn(gauges::run(store, metrics));
    set
}
