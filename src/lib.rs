//! Pulse: a self-hosted health, traffic and role-analytics dashboard for MCP servers and the
//! gateways in front of them. The crate builds twice: `ssr` (the server binary) and `hydrate`
//! (the browser bundle); `model` and `ui` are shared.

pub mod alerts;
pub mod analytics;
pub mod latency;
pub mod model;
pub mod overview;
pub mod permissions;
pub mod span;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod alert_rules;
#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod fields;
#[cfg(feature = "ssr")]
pub mod health;
#[cfg(feature = "ssr")]
pub mod host;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod otlp;
#[cfg(feature = "ssr")]
pub mod redact;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod site;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod suppression;
#[cfg(feature = "ssr")]
pub mod tools;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    ui::recover::install();
    // Async hydration: a lazy route's chunk is fetched before its page hydrates.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let owner = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), ui::App).await;
        owner.forget();
        // Lets browser tests (and curious operators) tell a hydrated page from plain SSR.
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
