//! Server functions the dashboard calls. They read the engine's in-memory snapshot (or the
//! store for history), never run checks on a read.

use crate::model::{ComponentDetail, ComponentHealth, HealthSummary};
use leptos::prelude::*;

/// A choice a server function takes (a span, a sort order): the page passes the typed value;
/// on the wire it is its name, kept as sent until the function checks it, so a bad or forged
/// value is a 400 naming what is accepted (a value that failed to deserialize would be the
/// server-function layer's 500).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Arg<T> {
    name: String,
    #[serde(skip)]
    kind: std::marker::PhantomData<T>,
}

impl From<crate::span::Span> for Arg<crate::span::Span> {
    fn from(s: crate::span::Span) -> Self {
        Arg {
            name: s.as_str().to_string(),
            kind: std::marker::PhantomData,
        }
    }
}

impl From<crate::analytics::SortBy> for Arg<crate::analytics::SortBy> {
    fn from(s: crate::analytics::SortBy) -> Self {
        Arg {
            name: s.as_str().to_string(),
            kind: std::marker::PhantomData,
        }
    }
}

impl Arg<crate::span::Span> {
    /// The span, if `view` accepts it.
    pub fn within(&self, view: &crate::span::Spans) -> Result<crate::span::Span, String> {
        view.parse(Some(&self.name))
    }
}

impl Arg<crate::analytics::SortBy> {
    pub fn sort(&self) -> Result<crate::analytics::SortBy, String> {
        crate::analytics::SortBy::parse(&self.name)
            .ok_or_else(|| format!("unknown sort `{}`", crate::model::shown(&self.name)))
    }
}

/// How server functions refuse input: a 4xx status (never 500 for the caller's mistake) and a
/// message that echoes at most a short, printable prefix of what was sent.
#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;

    pub fn shown(input: &str) -> String {
        crate::model::shown(input)
    }

    pub fn refuse(status: axum::http::StatusCode, message: String) -> ServerFnError {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(status);
        }
        ServerFnError::new(message)
    }

    pub fn bad(message: String) -> ServerFnError {
        refuse(axum::http::StatusCode::BAD_REQUEST, message)
    }

    /// A failure on our side: the cause goes to the log, the browser gets "could not load
    /// {what}" and a 500, never the internal text.
    pub fn failed<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ServerFnError {
        move |e| {
            tracing::error!(error = %e, "loading {what} failed");
            refuse(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("could not load {what}"),
            )
        }
    }
}

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

/// Runs (or, within a few seconds of the last, reuses) a component's check.
#[server]
pub async fn run_check(name: String) -> Result<ComponentHealth, ServerFnError> {
    use crate::health::EngineError;
    let state = crate::state::app_state()?;
    match state.engine.check_now(&name).await {
        Ok(c) => Ok(c),
        Err(EngineError::UnknownComponent(_)) => Err(ssr::refuse(
            axum::http::StatusCode::NOT_FOUND,
            format!("no component named `{}`", ssr::shown(&name)),
        )),
        Err(e) => {
            tracing::error!(error = %e, component = %ssr::shown(&name), "check now failed");
            Err(ServerFnError::new("the check could not be recorded"))
        }
    }
}

/// Traffic right now: the overview's cards.
#[server]
pub async fn get_realtime() -> Result<crate::analytics::RealTime, ServerFnError> {
    let state = crate::state::app_state()?;
    state
        .realtime
        .get(
            &state.store,
            state.writer.generation(),
            crate::model::now_ms(),
        )
        .await
        .map(|r| (*r).clone())
        .map_err(ssr::failed("traffic figures"))
}

/// Endpoints over a window, sorted, and the slowest; unknown window or sort names are errors,
/// not defaults.
#[server]
pub async fn get_endpoints(
    window: Arg<crate::span::Span>,
    sort: Arg<crate::analytics::SortBy>,
) -> Result<crate::analytics::RequestsPage, ServerFnError> {
    let state = crate::state::app_state()?;
    let window = window.within(&crate::span::WINDOWS).map_err(ssr::bad)?;
    let sort = sort.sort().map_err(ssr::bad)?;
    crate::analytics::service::requests_page(&state.store, crate::model::now_ms(), window, sort)
        .await
        .map_err(ssr::failed("endpoints"))
}

#[server]
pub async fn get_trends(hours: u32) -> Result<crate::analytics::Trends, ServerFnError> {
    let state = crate::state::app_state()?;
    let hours = crate::span::trend_hours(hours).map_err(ssr::bad)?;
    crate::analytics::service::trends(&state.store, crate::model::now_ms(), hours)
        .await
        .map_err(ssr::failed("trends"))
}

/// Everything the Roles page shows, for one timeframe.
#[server]
pub async fn get_roles(
    timeframe: Arg<crate::span::Span>,
) -> Result<crate::analytics::roles::RolesPage, ServerFnError> {
    let state = crate::state::app_state()?;
    let tf = timeframe
        .within(&crate::span::TIMEFRAMES)
        .map_err(ssr::bad)?;
    crate::analytics::roles_service::page(
        &state.store,
        &state.config.audit,
        &state.categories,
        crate::model::now_ms(),
        tf,
    )
    .await
    .map_err(ssr::failed("role analytics"))
}

/// The Overview's Roles table (last 24 h).
#[server]
pub async fn get_role_summary() -> Result<crate::analytics::roles::RoleSummary, ServerFnError> {
    let state = crate::state::app_state()?;
    crate::analytics::roles_service::summary(
        &state.store,
        &state.config.audit,
        crate::model::now_ms(),
    )
    .await
    .map_err(ssr::failed("the role summary"))
}
