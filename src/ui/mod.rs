//! The dashboard: the HTML shell, the router and the pieces pages share.

pub mod chart;
pub mod data;
pub mod pages;
pub mod refresh;
pub mod widgets;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" id="leptos" href="/pkg/mcp-pulse.css" />
                // ECharts is served by Pulse itself (no CDN) and must exist before hydration runs.
                <script src="/echarts.min.js"></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    refresh::RefreshCtl::provide();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Pulse".to_string() } else { format!("{t} · Pulse") } />
        <Router>
            <TopBar />
            <main class="page">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("") view=pages::overview::Overview ssr=SsrMode::Async />
                    <Route
                        path=path!("/components/:name")
                        view=pages::component::ComponentPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/requests") view=pages::requests::RequestsPage ssr=SsrMode::Async />
                    <Route path=path!("/performance") view=pages::performance::PerformancePage ssr=SsrMode::Async />
                    <Route path=path!("/roles") view=pages::roles::RolesPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="footer">
                "Pulse " {env!("CARGO_PKG_VERSION")} " · "
                <a href="/health">"/health"</a> " · "
                <a href="/metrics">"/metrics"</a>
            </footer>
        </Router>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◉"</span>
                " Pulse"
            </a>
            <nav class="nav" aria-label="Main">
                <A href="/" exact=true>"Overview"</A>
                <A href="/requests">"Requests"</A>
                <A href="/performance">"Performance"</A>
                <A href="/roles">"Roles"</A>
            </nav>
        </header>
    }
}
