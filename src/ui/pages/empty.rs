//! Pages whose data arrives with later features: they say so plainly and show no numbers.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn Planned(title: &'static str, what: &'static str, source: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <div class="page-head">
            <h1>{title}</h1>
        </div>
        <section class="empty" data-testid="empty-state">
            <h2>"No data yet"</h2>
            <p>{what}</p>
            <p class="muted">{source}</p>
        </section>
    }
}

#[component]
pub fn Roles() -> impl IntoView {
    view! {
        <Planned
            title="Roles"
            what="Activity of the six roles (admin, manager, developer, analyst, viewer, guest) against their latency targets and rate limits appears here once Pulse stores audit events."
            source="Filled by the audit log and role analytics: POST /api/v1/audit. This build does not accept them yet."
        />
    }
}
