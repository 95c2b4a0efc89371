//! The 404 page, with a real 404 status when rendered on the server.

use leptos::prelude::*;
use leptos_meta::Title;

/// Marks the server response as 404.
pub fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! { <NotFoundBody what="This page does not exist.".to_string() /> }
}

#[component]
pub fn NotFoundBody(what: String) -> impl IntoView {
    view! {
        <Title text="Not found" />
        <section class="empty not-found" data-testid="not-found">
            <p class="big" aria-hidden="true">"404"</p>
            <h1>"Not found"</h1>
            <p>{what}</p>
            <p>
                <a class="btn" href="/">"Back to the overview"</a>
            </p>
        </section>
    }
}
