//! The one application state, shared by axum handlers and Leptos server functions, and how
//! server functions reach it (after the permission check).

use crate::config::Config;
use crate::health::HealthEngine;
use crate::ingest::Writer;
use crate::metrics::Metrics;
use crate::permissions::{Permission, Principal};
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
    /// The dashboard's figures (real time, roles, requests), shared by every reader for a
    /// few seconds.
    pub pages: crate::analytics::recent::PageCache,
    /// Who callers are and what they may do (the guard, logins, rate limits).
    pub access: crate::access::guard::Access,
    /// Alert rules' instances and the channels that tell people.
    pub alerts: crate::alerts::engine::Alerts,
    /// What OTLP spans and log records mean to Pulse (`[otlp]`).
    pub otlp: Arc<crate::otlp::Receiver>,
}

impl AppState {
    /// Records one event in Pulse's own audit log (when `audit.self_audit` is on): logins,
    /// logouts, user and token changes.
    pub fn audit_self(
        &self,
        actor: String,
        role: &str,
        action: (&'static str, &'static str),
        resource: String,
    ) {
        if !self.config.audit.self_audit {
            return;
        }
        let ev = crate::audit::self_event(
            crate::model::now_ms(),
            actor,
            role,
            action,
            resource,
            &self.categories,
        );
        self.writer.record_self(vec![ev]);
    }
}

/// How server functions reach the state: it is provided as Leptos context on every request.
pub fn app_state() -> Result<AppState, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("application state is missing"))
}

/// The caller the guard recorded on a request, or an anonymous visitor when none was.
pub fn principal_of(ext: Option<&axum::http::Extensions>, state: &AppState) -> Principal {
    ext.and_then(|e| e.get::<Principal>().cloned())
        .unwrap_or_else(|| Principal::anonymous(state.config.auth.anonymous))
}

/// Whether a request's caller holds `perm` (for handlers that show more to some callers,
/// like `/health`).
pub fn request_allows(ext: &axum::http::Extensions, state: &AppState, perm: Permission) -> bool {
    principal_of(Some(ext), state).allows(perm)
}

/// What every server function starts with: the state and the caller, if the caller may call
/// `name` (the table in `permissions`); otherwise a 401/403 naming what is needed.
pub fn authorized(
    name: &'static str,
) -> Result<(AppState, Principal), leptos::prelude::ServerFnError> {
    use leptos::prelude::*;
    let state = app_state()?;
    let parts = use_context::<axum::http::request::Parts>();
    let principal = principal_of(parts.as_ref().map(|p| &p.extensions), &state);
    let perm = crate::permissions::server_fn_permission(name);
    if principal.allows(perm) {
        return Ok((state, principal));
    }
    let code = if principal.is_anonymous() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::FORBIDDEN
    };
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(code);
    }
    let needs = perm.min_role().map(|r| r.as_str()).unwrap_or("ingest");
    Err(ServerFnError::new(format!(
        "not allowed: this needs the {needs} role or higher"
    )))
}
