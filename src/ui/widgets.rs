//! Small building blocks: status pill, badges, the overall card and the component card.

use crate::model::{
    clock_utc, human_duration, ComponentHealth, ComponentType, HealthSummary, Status,
};
use leptos::prelude::*;

#[component]
pub fn StatusPill(status: Status) -> impl IntoView {
    view! {
        <span class=format!("pill pill-{}", status.as_str()) data-testid="status">
            <span class="pill-icon" aria-hidden="true">{status.icon()}</span>
            {status.label()}
        </span>
    }
}

#[component]
pub fn TypeBadge(component_type: ComponentType) -> impl IntoView {
    view! { <span class="badge badge-type">{component_type.label()}</span> }
}

pub fn fmt_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Formats an RFC 3339 timestamp as `HH:MM:SS UTC`.
pub fn fmt_rfc3339(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts)
        .map(|t| clock_utc(t.timestamp_millis()))
        .unwrap_or_else(|_| ts.to_string())
}

#[component]
pub fn OverallCard(summary: HealthSummary) -> impl IntoView {
    let s = summary.overall_status;
    let checked = summary.total_components;
    let pct = if checked == 0 {
        0.0
    } else {
        summary.healthy_components as f64 * 100.0 / checked as f64
    };
    let headline = match s {
        Status::Healthy => "All systems operational",
        Status::Degraded => "Degraded performance",
        Status::Unhealthy => "System unhealthy",
        Status::Unknown => "Waiting for the first checks",
    };
    view! {
        <section class=format!("overall overall-{}", s.as_str()) data-testid="overall" data-status=s.as_str()>
            <div class="overall-icon" aria-hidden="true">{s.icon()}</div>
            <div class="overall-body">
                <p class="overall-word">
                    <span data-testid="overall-status">{s.label()}</span>
                </p>
                <h2>{headline}</h2>
                <p class="overall-count" data-testid="healthy-count">
                    {format!(
                        "{} of {} components healthy",
                        summary.healthy_components,
                        summary.total_components,
                    )}
                </p>
                <div
                    class="progress"
                    role="progressbar"
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=format!("{pct:.0}")
                    aria-label="Share of healthy components"
                >
                    <div class="progress-fill" style=format!("width: {pct:.1}%")></div>
                </div>
                <div class="overall-badges">
                    <span class="badge">"Uptime " {human_duration(summary.uptime_seconds)}</span>
                    <span class="badge" data-testid="health-score">
                        "Health score " {format!("{:.0}", summary.health_score)} "/100"
                    </span>
                    {(summary.degraded_components > 0)
                        .then(|| view! { <span class="badge badge-warn">{summary.degraded_components} " degraded"</span> })}
                    {(summary.unhealthy_components > 0)
                        .then(|| view! { <span class="badge badge-bad">{summary.unhealthy_components} " unhealthy"</span> })}
                    <span class="badge muted">
                        "Last check "
                        {summary.last_check.as_deref().map(fmt_rfc3339).unwrap_or_else(|| "—".into())}
                    </span>
                </div>
            </div>
        </section>
    }
}

#[component]
pub fn ComponentCard(c: ComponentHealth) -> impl IntoView {
    let href = format!("/components/{}", c.component);
    // The bar shows how much of the timeout budget the last check used.
    let budget = c
        .response_time_ms
        .map(|ms| (ms / c.timeout_ms * 100.0).clamp(2.0, 100.0))
        .unwrap_or(0.0);
    let damped_note = (c.last_result_status != c.status && c.last_result_status != Status::Unknown)
        .then(|| {
            format!(
                "Latest check: {} ({} in a row)",
                c.last_result_status.as_str(),
                if c.last_result_status == Status::Healthy {
                    c.consecutive_successes
                } else {
                    c.consecutive_failures
                }
            )
        });
    let details = serde_json::to_string_pretty(&c.details).unwrap_or_default();
    let has_details = !c.details.is_null();
    view! {
        <article
            class=format!("card card-{}", c.status.as_str())
            data-testid="component-card"
            data-component=c.component.clone()
            data-status=c.status.as_str()
        >
            <div class="card-top">
                <StatusPill status=c.status />
                <TypeBadge component_type=c.component_type />
                {c.critical.then(|| view! { <span class="badge badge-critical">"critical"</span> })}
            </div>
            <h3 class="card-title">
                <a href=href.clone() data-testid="component-link">{c.component.clone()}</a>
            </h3>
            <dl class="card-facts">
                <div>
                    <dt>"Response"</dt>
                    <dd data-testid="response-time">
                        {c.response_time_ms.map(fmt_ms).unwrap_or_else(|| "—".into())}
                    </dd>
                </div>
                <div>
                    <dt>"Check"</dt>
                    <dd>{c.kind.clone()} " · every " {format!("{}s", c.interval_secs)}</dd>
                </div>
                <div>
                    <dt>"Last run"</dt>
                    <dd>{c.timestamp.as_deref().map(fmt_rfc3339).unwrap_or_else(|| "not yet".into())}</dd>
                </div>
            </dl>
            <div
                class=format!("statusbar statusbar-{}", c.last_result_status.as_str())
                title="Share of the timeout the last check used"
            >
                <div class="statusbar-fill" style=format!("width: {budget:.1}%")></div>
            </div>
            {damped_note.map(|n| view! { <p class="note" data-testid="raw-result">{n}</p> })}
            {c.error_message.clone().map(|e| view! { <p class="error" data-testid="error-message">{e}</p> })}
            {has_details.then(|| view! {
                <details class="card-details">
                    <summary>"Details"</summary>
                    <pre>{details}</pre>
                </details>
            })}
            <a class="card-more" href=href>"History →"</a>
        </article>
    }
}
