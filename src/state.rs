//! The one application state, shared by axum handlers and Leptos server functions.

use crate::config::Config;
use crate::health::HealthEngine;
use crate::ingest::Writer;
use crate::metrics::Metrics;
use crate::store::Store;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub engine: HealthEngine,
    pub metrics: Metrics,
    pub config: Arc<Config>,
    pub store: Store,
    pub writer: Writer,
    /// Action → category, built once from the seed's table and config.
    pub categories: Arc<crate::audit::Categories>,
    /// The real-time traffic figures, shared by every reader for a few seconds.
    pub realtime: crate::analytics::service::RealTimeCache,
    /// Who callers are and what they may do (the guard, logins, rate limits).
    pub access: crate::access::guard::Access,
}

/// How server functions reach the state: it is provided as Leptos context on every request.
pub fn app_state() -> Result<AppState, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("application state is missing"))
}
