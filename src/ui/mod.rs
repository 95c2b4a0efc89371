//! The dashboard: the HTML shell, the router and the pieces pages share.

pub mod chart;
pub mod codec;
pub mod data;
pub mod me;
pub mod pages;
#[cfg(feature = "hydrate")]
pub mod recover;
pub mod refresh;
pub mod widgets;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, Lazy, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's CSP names the nonce its inline scripts carry (hydration, resources).
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(resp)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(v) =
            axum::http::HeaderValue::from_str(&crate::access::headers::page_policy(&nonce))
        {
            resp.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    // Its URL carries its hash, so browsers keep it until a build changes it.
    #[cfg(feature = "ssr")]
    let echarts = crate::site::versioned(&options.site_root, "echarts.min.js");
    #[cfg(not(feature = "ssr"))]
    let echarts = "/echarts.min.js".to_string();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                // ECharts (served by Pulse itself, no CDN) is fetched by the first chart drawn,
                // so pages without charts never download it; this says where it is.
                <meta name="pulse-echarts" content=echarts />
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
    me::MeCtx::provide();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Pulse".to_string() } else { format!("{t} · Pulse") } />
        <Router>
            <TopBar />
            <main class="page">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("") view=pages::overview::Overview ssr=SsrMode::Async />
                    <Route
                        path=path!("/components/:name")
                        view={Lazy::<pages::Component>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/requests") view={Lazy::<pages::Requests>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/performance") view={Lazy::<pages::Performance>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/roles") view={Lazy::<pages::Roles>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/authentication") view={Lazy::<pages::Authentication>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/alerts") view={Lazy::<pages::Alerts>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<pages::Login>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin") view={Lazy::<pages::Admin>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view={Lazy::<pages::AuditLog>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/config") view={Lazy::<pages::Config>::new()} ssr=SsrMode::Async />
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

/// The pages in the navigation, in order; each is linked only for a visitor who may see it.
const NAV: [(&str, &str, &str); 7] = [
    ("/", "/", "Overview"),
    ("/requests", "/requests", "Requests"),
    ("/performance", "/performance", "Performance"),
    ("/roles", "/roles", "Roles"),
    ("/authentication", "/authentication", "Auth"),
    ("/alerts", "/alerts", "Alerts"),
    ("/admin", "/admin", "Admin"),
];

#[component]
fn TopBar() -> impl IntoView {
    let me = me::MeCtx::use_ctx();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◉"</span>
                " Pulse"
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let who = me.get().await;
                    let links = NAV
                        .iter()
                        .filter(|(page, _, _)| who.sees(page))
                        .map(|(_, href, label)| {
                            view! { <A href=*href exact={*href == "/"}>{*label}</A> }
                        })
                        .collect_view();
                    view! {
                        <nav class="nav" aria-label="Main">{links}</nav>
                        <UserBox who />
                    }
                })}
            </Suspense>
        </header>
    }
}

/// The visitor's name and role with a logout button, or a link to log in.
#[component]
fn UserBox(who: crate::permissions::Me) -> impl IntoView {
    match who.name {
        Some(name) => view! {
            <form class="userbox" method="post" action="/auth/logout">
                <span class="user" data-testid="user-name">{name}</span>
                <span class="badge role-badge" data-testid="user-role">
                    {who.role.map(|r| r.as_str()).unwrap_or("")}
                </span>
                <button class="btn btn-small" type="submit" data-testid="logout">"Log out"</button>
            </form>
        }
        .into_any(),
        None => view! {
            <div class="userbox">
                <a class="btn btn-small" href="/login" data-testid="login-link">"Log in"</a>
            </div>
        }
        .into_any(),
    }
}
