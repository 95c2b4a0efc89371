//! Gauges that need a query: `pulse_role_active_users` (distinct actors per role, last 24 h)
//! and `active_sessions_by_provider` (sessions validated in the last 15 minutes).

use crate::analytics::service::Frame;
use crate::metrics::Metrics;
use crate::model::ROLES;
use crate::span::Span;
use crate::store::Store;

/// Keeps the gauges current, recomputed every minute. Runs until aborted.
pub async fn run(store: Store, metrics: Metrics) {
    loop {
        refresh(&store, &metrics).await;
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}

/// Recomputes `pulse_role_active_users` (distinct actors per role over the last 24 hours) and
/// `active_sessions_by_provider` once.
pub async fn refresh(store: &Store, metrics: &Metrics) {
    let w = Frame::last(crate::model::now_ms(), Span::H24);
    match store.audit_actors(&w.spans).await {
        Ok(actors) => {
            for role in ROLES {
                let n = actors
                    .get(&(role.to_string(), String::new()))
                    .copied()
                    .unwrap_or(0);
                metrics.set_role_active_users(role, n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "counting active users failed"),
    }
    let now = crate::model::now_ms();
    match store
        .auth_active_sessions(now - crate::analytics::auth::ACTIVE_SESSION_MS, now)
        .await
    {
        Ok(by_provider) => metrics.auth.set_sessions(&by_provider),
        Err(e) => tracing::warn!(error = %e, "counting active sessions failed"),
    }
}
