//! Retention: every hour, raw events and rollups older than their configured age are deleted
//! (traffic and audit alike), and expired sessions.

use crate::config::TrafficSettings;
use crate::store::Store;

/// Runs until aborted.
pub async fn run(store: Store, settings: TrafficSettings, auth: crate::config::AuthSettings) {
    let ages = [
        settings.raw_retention,
        settings.minute_retention,
        settings.hour_retention,
    ];
    loop {
        let now = crate::model::now_ms();
        let [raw, minute, hour] = ages.map(|a| now - a.as_millis() as i64);
        match store.prune_traffic(raw, minute, hour).await {
            Ok(n) if n.iter().any(|&x| x > 0) => {
                tracing::info!(
                    raw = n[0],
                    minute = n[1],
                    hour = n[2],
                    samples = n[3],
                    day = n[4],
                    "pruned old traffic"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pruning traffic failed"),
        }
        match store.prune_audit(raw, minute, hour).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "pruned old audit data"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pruning audit data failed"),
        }
        // Sessions past either expiry are dead already (the guard checks both); this frees
        // their rows.
        let created = now - auth.session_max.as_millis() as i64;
        let seen = now - auth.session_idle.as_millis() as i64;
        match store.prune_sessions(created, seen).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "pruned expired sessions"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pruning sessions failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}
