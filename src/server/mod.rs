//! Wiring: builds the router (`app`) from the state, and runs Pulse (`serve`).

pub mod assets;
pub mod listener;

use crate::config::{Config, LogFormat};
use crate::health::HealthEngine;
use crate::ingest::selftraffic::SelfTraffic;
use crate::ingest::Writer;
use crate::metrics::{self, Metrics};
use crate::state::AppState;
use crate::store::Store;
use crate::ui::{shell, App};
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot read the Leptos site options: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Rules(#[from] crate::access::rules::RulesError),
    #[error("first-run admin: {0}")]
    Users(#[from] crate::access::users::UserError),
}

/// The whole HTTP surface for a state, without a socket, so tests can drive it with `oneshot`.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let router = Router::new()
        .merge(crate::api::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(assets::files_or_not_found);
    layered(router, state)
}

/// What the OTLP listener (`[otlp] grpc_addr`) serves: the OTLP routes alone (gRPC and HTTP),
/// behind the same guard, limits and metrics as the main port.
pub fn otlp_app(state: AppState) -> Router {
    let paths = crate::api::otlp::paths();
    let router = crate::api::table()
        .into_iter()
        .filter(|r| paths.contains(&r.path))
        .fold(Router::new(), |r, route| r.route(route.path, route.handler));
    layered(router, state)
}

/// Every layer a request passes: the guard, self-instrumentation, panics, timeouts, metrics,
/// security headers, compression, request ids and tracing.
fn layered(router: Router<AppState>, state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let limits = state.config.server.clone();
    let auth = state.config.auth.clone();
    let router = router
        // The one permission check, inside the self-audit so it sees who was let in or not.
        .layer(axum::middleware::from_fn_with_state(
            state.access.clone(),
            crate::access::guard::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            SelfTraffic {
                writer: state.writer.clone(),
                enabled: state.config.traffic.self_instrument,
                exclude: Arc::new(state.config.traffic.self_exclude.clone()),
                audit: state.config.audit.self_audit.then(|| {
                    (
                        state.config.audit.self_role.clone(),
                        state.categories.clone(),
                    )
                }),
                anonymous: Arc::default(),
                anonymous_per_minute: state.config.audit.anonymous_per_minute,
            },
            crate::ingest::selftraffic::record,
        ))
        // Inside the metrics layer, so a panic or a timeout is counted as the 500/503 it becomes.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ));
    crate::access::headers::apply(router, &auth)
        // Pages, JSON and text; files the build compressed are sent as they are (brotli 11),
        // event streams never (the default predicate leaves them alone).
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id = %id, method = %req.method(), uri = %req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// A panic in a handler or a render becomes a logged 500, never a dropped connection.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %detail, "a request panicked");
    crate::api::ApiError::Internal("a request panicked".into()).into_response()
}

/// The Leptos site options: `Leptos.toml` when present, with any `LEPTOS_*` variable (such as
/// those cargo-leptos or `make` set) overriding its keys; else the environment alone. Reading
/// the file whenever it exists keeps keys no variable names, such as `hash-files`.
pub fn leptos_options() -> Result<LeptosOptions, ServeError> {
    let path = std::path::Path::new("Leptos.toml");
    let conf = if path.exists() {
        get_configuration(Some("Leptos.toml"))
    } else {
        get_configuration(None)
    };
    conf.map(|c| c.leptos_options)
        .map_err(|e| ServeError::Leptos(e.to_string()))
}

pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PULSE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Builds the state for a config: opens the store and creates the health engine.
pub async fn build_state(
    config: Config,
    leptos_options: LeptosOptions,
) -> Result<AppState, ServeError> {
    let store = Store::connect(&config.database_url).await?;
    let metrics = Metrics::new()?;
    // Ingest and checks write through their own pool: readers cannot starve them.
    let writer = Writer::start(store.for_background(), metrics.clone(), &config.traffic);
    let engine = HealthEngine::new(
        config.components.clone(),
        store.for_background(),
        metrics.clone(),
        config.health.max_concurrent_checks,
    )
    .with_check_now_interval(config.health.check_now_min_interval)
    .with_watch(config.health.watch_connections);
    if let Err(e) = engine.restore().await {
        tracing::warn!(error = %e, "could not restore recent check history; starting fresh");
    }
    let access = crate::access::guard::Access {
        identifier: crate::access::principal::Identifier::new(
            store.clone(),
            Arc::new(config.auth.clone()),
            Arc::new(config.traffic.clone()),
        ),
        rules: Arc::new(crate::access::rules::Rules::build(&crate::api::rules())?),
        limits: Arc::new(crate::access::limits::Limits::new(&config.auth)),
        metrics: metrics.clone(),
        stylesheet: crate::site::stylesheet_href(&leptos_options).into(),
    };
    let alerts = crate::alerts::engine::Alerts::new(
        config.alerts.clone(),
        store.for_background(),
        engine.clone(),
        config.audit.clone(),
        config.traffic.sample_interval,
        metrics.clone(),
    );
    if let Err(e) = alerts.restore().await {
        tracing::warn!(error = %e, "could not restore alert states; starting fresh");
    }
    Ok(AppState {
        alerts,
        access,
        leptos_options,
        engine,
        metrics,
        categories: Arc::new(
            crate::audit::Categories::new(&config.audit.categories).with_auth_labels(
                crate::audit::auth::AuthLabels::new(
                    &config.auth_monitoring.providers,
                    &config.auth_monitoring.methods,
                ),
            ),
        ),
        pages: crate::analytics::recent::PageCache::new(std::time::Duration::from_secs(2)),
        otlp: Arc::new(crate::otlp::Receiver::new(&config.otlp)),
        config: Arc::new(config),
        store,
        writer,
    })
}

/// Runs Pulse until SIGINT/SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let mut leptos_options = leptos_options()?;
    leptos_options.site_addr = config.addr;
    let addr = config.addr;
    // Each connection takes a descriptor; the soft limit is often 1,024 while the hard one
    // allows far more.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let retention = config.health.history_retention;
    tracing::info!(config = %config.source, database = %crate::redact::redact_url(&config.database_url), components = config.components.len(), "starting Pulse");
    let state = build_state(config, leptos_options).await?;
    first_run_admin(&state).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Bind {
            addr: addr.to_string(),
            reason: e.to_string(),
        })?;
    let otlp_listener = match state.config.otlp.grpc_addr {
        Some(otlp_addr) => {
            let l = tokio::net::TcpListener::bind(otlp_addr)
                .await
                .map_err(|e| ServeError::Bind {
                    addr: format!("{otlp_addr} ([otlp] grpc_addr; \"\" switches it off)"),
                    reason: e.to_string(),
                })?;
            tracing::info!("OTLP/gRPC (and OTLP/HTTP) on {otlp_addr}");
            Some(l)
        }
        None => None,
    };
    // Checks start once the socket is bound, so the self-check can reach us.
    let checks = state.engine.spawn(retention);
    let background = crate::jobs::spawn(
        state.store.for_background(),
        state.metrics.clone(),
        &state.config,
        state.access.limits.clone(),
    );
    let alerting = state.alerts.spawn();
    tracing::info!("listening on http://{addr}");
    let store = state.store.clone();
    let writer = state.writer.clone();
    let settings = state.config.server.clone();
    let otlp = match otlp_listener {
        Some(l) => {
            let (router, settings) = (otlp_app(state.clone()), settings.clone());
            Some(tokio::spawn(async move {
                listener::serve(l, router, &settings, shutdown_signal()).await
            }))
        }
        None => None,
    };
    listener::serve(listener, app(state), &settings, shutdown_signal()).await;
    if let Some(task) = otlp {
        let _ = task.await;
    }
    drop(checks);
    drop(background);
    drop(alerting);
    // Every accepted event is committed before the database closes.
    writer.shutdown().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Never an open admin: with no users, `admin` gets `PULSE_ADMIN_PASSWORD` or a generated
/// password, printed once on the console and written to a 0600 file beside the database.
async fn first_run_admin(state: &AppState) -> Result<(), ServeError> {
    use crate::access::users::{ensure_admin, FirstRun};
    let dir = crate::config::data_dir(&state.config.database_url);
    let from_env = std::env::var("PULSE_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    match ensure_admin(&state.store, &dir, from_env).await? {
        FirstRun::HasUsers => {}
        FirstRun::FromEnvironment => {
            tracing::info!("created the user `admin` with the password from PULSE_ADMIN_PASSWORD")
        }
        FirstRun::Generated { password, file } => {
            // On the console only, not through the log pipeline (logs get shipped and kept).
            eprintln!(
                "\n  Pulse created the user `admin` with the password:\n\n      {password}\n\n  \
                 It is also in {} (mode 0600). Log in at /login and change it:\n  \
                 mcp-pulse user passwd admin\n",
                file.display()
            );
            tracing::warn!(file = %file.display(), "created the user `admin` with a generated password (printed above, and in the file)");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    /// Run from the crate root (as `cargo test` and `make test` do, the latter with
    /// `LEPTOS_OUTPUT_NAME` set): the site options come from `Leptos.toml`, hashed names included,
    /// or pages would link files the build never wrote.
    #[test]
    fn site_options_keep_leptos_toml_whatever_the_environment_sets() {
        let o = super::leptos_options().unwrap();
        assert!(o.hash_files, "hash-files from Leptos.toml");
        assert_eq!(&*o.output_name, "mcp-pulse");
        assert_eq!(&*o.site_pkg_dir, "pkg");
    }
}
