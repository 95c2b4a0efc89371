//! Server functions the dashboard calls. They read the engine's in-memory snapshot (or the
//! store for history), never run checks on a read.

use crate::model::{ComponentDetail, ComponentHealth, HealthSummary};
use leptos::prelude::*;

#[server]
pub async fn get_health() -> Result<HealthSummary, ServerFnError> {
    let state = crate::state::app_state()?;
    Ok(state.engine.summary())
}

/// `None` when no component has that name.
#[server]
pub async fn get_component(name: String) -> Result<Option<ComponentDetail>, ServerFnError> {
    use crate::health::EngineError;
    let state = crate::state::app_state()?;
    match state.engine.detail(&name).await {
        Ok(d) => Ok(Some(d)),
        Err(EngineError::UnknownComponent(_)) => Ok(None),
        Err(e) => {
            tracing::error!(error = %e, component = %name, "loading component detail failed");
            Err(ServerFnError::new("could not load the component's history"))
        }
    }
}

#[server]
pub async fn run_check(name: String) -> Result<ComponentHealth, ServerFnError> {
    let state = crate::state::app_state()?;
    state
        .engine
        .check_now(&name)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}
