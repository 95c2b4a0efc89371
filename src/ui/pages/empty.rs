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
pub fn Requests() -> impl IntoView {
    view! {
        <Planned
            title="Requests"
            what="Top and slowest endpoints, per MCP tool and server, appear here once Pulse stores request events."
            source="Filled by the metrics store: gateways post request logs to POST /api/v1/requests. This build does not accept them yet."
        />
    }
}

#[component]
pub fn Performance() -> impl IntoView {
    view! {
        <Planned
            title="Performance"
            what="Charts of requests per minute, error rate, p50/p95 latency, CPU and memory appear here once Pulse stores request events and system samples."
            source="Filled by the metrics store. Until then, each component's response-time history is on its detail page."
        />
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
