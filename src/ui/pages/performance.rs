//! `/performance`: traffic, errors, latency and host charts over a chosen window; the charts
//! follow auto-refresh and update in place.

use crate::analytics::{bucket_label, Trends};
use crate::span::WINDOWS;
use crate::ui::chart::{LineChart, SeriesData};
use crate::ui::data::get_trends;
use crate::ui::pages::requests::NoTraffic;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{ErrorBox, SpanPicker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn PerformancePage() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let query = use_query_map();
    let window = Memo::new(move |_| WINDOWS.or_default(query.read().get("window").as_deref()));
    let data = Resource::new(
        move || (window.get(), ctl.tick.get()),
        |(w, _)| get_trends(w.hours()),
    );
    let (busy, set_busy) = signal(false);
    let trends = Signal::derive(move || data.get().and_then(|r| r.ok()));
    let updated_at = Signal::derive(move || trends.get().map(|t| t.generated_at_ms));
    let labels = Signal::derive(move || {
        trends
            .get()
            .map(|t| {
                t.points
                    .iter()
                    .map(|p| bucket_label(p.ts_ms, t.bucket_ms))
                    .collect()
            })
            .unwrap_or_default()
    });
    let pick = move |f: fn(&Trends) -> Vec<SeriesData>| {
        Signal::derive(move || trends.get().map(|t| f(&t)).unwrap_or_default())
    };
    let requests = pick(requests_series);
    let errors = pick(errors_series);
    let latency = pick(latency_series);
    let host = pick(host_series);
    view! {
        <Title text="Performance" />
        <div class="page-head">
            <h1>"Performance"</h1>
            {move || view! { <SpanPicker view=WINDOWS current=window.get() /> }}
            <Transition fallback=|| ()>
                <RefreshControls updated_at busy />
            </Transition>
        </div>
        <RefreshTransition fallback=|| () set_pending=set_busy>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox title="Cannot load trends" message=e.to_string() /> }.into_any(),
                    Ok(t) if t.points.iter().all(|p| p.requests == 0) => {
                        view! { <NoTraffic window=window.get_untracked().as_str() /> }.into_any()
                    }
                    Ok(_) => ().into_any(),
                }
            })}
        </RefreshTransition>
        // The charts live outside the Transition so refreshes update them instead of remounting.
        <div class="charts" data-testid="performance-charts">
            <LineChart id="chart-requests" label="Requests" unit="req" labels series=requests />
            <LineChart id="chart-errors" label="Error rate" unit="%" labels series=errors />
            <LineChart id="chart-latency" label="Latency (p50 / p95)" unit="ms" labels series=latency />
            <LineChart id="chart-host" label="CPU and memory" unit="%" labels series=host />
        </div>
    }
}

/// Requests per bucket (minute or hour).
fn requests_series(t: &Trends) -> Vec<SeriesData> {
    vec![SeriesData {
        name: if t.bucket_ms == 60_000 {
            "Requests / min"
        } else {
            "Requests / hour"
        },
        color: "#2563eb",
        values: t.points.iter().map(|p| Some(p.requests as f64)).collect(),
    }]
}

/// Error rate per bucket; empty buckets have none, not 0 %.
fn errors_series(t: &Trends) -> Vec<SeriesData> {
    vec![SeriesData {
        name: "Error rate",
        color: "#dc2626",
        values: t
            .points
            .iter()
            .map(|p| (p.requests > 0).then_some(p.error_rate_pct))
            .collect(),
    }]
}

/// p50 and p95 per bucket.
fn latency_series(t: &Trends) -> Vec<SeriesData> {
    vec![
        SeriesData {
            name: "p50",
            color: "#16a34a",
            values: t.points.iter().map(|p| p.p50_ms).collect(),
        },
        SeriesData {
            name: "p95",
            color: "#d97706",
            values: t.points.iter().map(|p| p.p95_ms).collect(),
        },
    ]
}

/// Host CPU and memory per bucket.
fn host_series(t: &Trends) -> Vec<SeriesData> {
    vec![
        SeriesData {
            name: "CPU",
            color: "#7c3aed",
            values: t.points.iter().map(|p| p.cpu_pct).collect(),
        },
        SeriesData {
            name: "Memory",
            color: "#0891b2",
            values: t.points.iter().map(|p| p.memory_pct).collect(),
        },
    ]
}
