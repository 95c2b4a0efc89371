//! Background jobs: the host sampler, retention, the query-backed gauges and rate-limit tidying. They run beside
//! the server and stop when the set is dropped.

pub mod gauges;
pub mod retention;
pub mod sampler;

/// Starts every background job on the background pool; dropping the set aborts them.
pub fn spawn(
    store: crate::store::Store,
    metrics: crate::metrics::Metrics,
    config: &crate::config::Config,
    limits: std::sync::Arc<crate::access::limits::Limits>,
) -> tokio::task::JoinSet<()> {
    let settings = &config.traffic;
    let disk_path = crate::config::data_dir(&config.database_url);
    let mut set = tokio::task::JoinSet::new();
    set.spawn(sampler::run(
        store.clone(),
        settings.sample_interval,
        disk_path,
    ));
    set.spawn(retention::run(
        store.clone(),
        settings.clone(),
        config.auth.clone(),
    ));
    // Rate-limit keys of quiet users, addresses and tokens are forgotten.
    set.spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(300)).await;
            limits.tidy();
        }
    });
    set.spawn(gauges::run(store, metrics));
    set
}
