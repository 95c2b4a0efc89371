//! One module per page. Every page but the Overview (the one most visits open) is a lazy
//! route: `cargo leptos build --split` puts its code in a wasm chunk of its own, fetched the
//! first time the page is shown, so the first visit downloads only what the Overview needs.

pub mod admin;
pub mod alerts;
pub mod audit_log;
pub mod authentication;
pub mod component;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod performance;
pub mod requests;
pub mod roles;
pub mod settings;

/// `$route` renders the page component `$module::$page` as a lazily loaded route.
macro_rules! lazy_page {
    ($route:ident, $module:ident :: $page:ident) => {
        #[doc = concat!("The lazily loaded route of `", stringify!($module), "::", stringify!($page), "`.")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                use leptos::prelude::*;
                use $module::$page;
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(Admin, admin::AdminPage);
lazy_page!(Alerts, alerts::AlertsPage);
lazy_page!(AuditLog, audit_log::AuditLogPage);
lazy_page!(Authentication, authentication::AuthenticationPage);
lazy_page!(Component, component::ComponentPage);
lazy_page!(Login, login::LoginPage);
lazy_page!(Performance, performance::PerformancePage);
lazy_page!(Requests, requests::RequestsPage);
lazy_page!(Roles, roles::RolesPage);
lazy_page!(Config, settings::ConfigPage);
