//! `/components/:name`: one component's current state, response-time chart and history.

use crate::model::{clock_utc, ComponentDetail};
use crate::permissions::Permission;
use crate::ui::chart::ResponseTimeChart;
use crate::ui::data::{get_component, get_component_alerts, RunCheck};
use crate::ui::me::MeCtx;
use crate::ui::pages::not_found::{set_not_found_status, NotFoundBody};
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{
    fmt_interval, fmt_ms, fmt_rfc3339, CardTop, ErrorBox, Severity, StateWord, StatusPill,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ComponentPage() -> impl IntoView {
    let params = use_params_map();
    // The <title> is written into the head after the body has streamed, when the route's
    // params may already be disposed (a panic under concurrent renders): fall back to the
    // name the page was rendered for instead of reading a dead signal.
    let initial = params.with_untracked(|p| p.get("name").unwrap_or_default());
    let name = move || {
        params
            .try_with(|p| p.get("name").unwrap_or_default())
            .unwrap_or_else(|| initial.clone())
    };
    let (title, missing) = (name.clone(), name.clone());
    let ctl = RefreshCtl::use_ctx();
    let check = ServerAction::<RunCheck>::new();
    let me = MeCtx::use_ctx();
    let alerts_of = name.clone();
    let detail = Resource::new(
        move || (name(), ctl.tick.get(), check.version().get()),
        |(name, _, _)| get_component(name),
    );
    let alerts = Resource::new(
        move || (alerts_of(), ctl.tick.get()),
        |(name, _)| get_component_alerts(name),
    );
    let (busy, set_busy) = signal(false);
    // try_get: see RefreshControls; these closures can be re-walked after the render ends.
    let loaded = move || detail.try_get().flatten().and_then(|r| r.ok()).flatten();
    let updated_at = Signal::derive(move || loaded().map(|d| d.generated_at_ms));
    let history = Signal::derive(move || loaded().map(|d| d.history).unwrap_or_default());
    let degraded_after =
        Signal::derive(move || loaded().and_then(|d| d.component.degraded_after_ms));
    // 404 before anything renders, so the chart container is not shown for an unknown name.
    let exists = move || !matches!(detail.try_get().flatten(), Some(Ok(None)));

    view! {
        <Title text=title />
        <RefreshTransition fallback=|| view! { <p class="loading">"Loading…"</p> } set_pending=set_busy>
            {move || {
                let missing = missing.clone();
                Suspend::new(async move {
                match detail.await {
                    Ok(Some(d)) => {
                        let can_check = me.can(Permission::Operate).await;
                        view! { <DetailHead d check can_check /> }.into_any()
                    }
                    Ok(None) => {
                        set_not_found_status();
                        view! {
                            <NotFoundBody what=format!("No component is named “{}”.", missing()) />
                        }
                        .into_any()
                    }
                    Err(e) => view! { <ErrorBox title="Cannot load this component" message=e.to_string() /> }
                    .into_any(),
                }
            })
            }}
        </RefreshTransition>
        // Its own boundary, so refreshes update the chart in place instead of re-creating it.
        <Transition fallback=|| ()>
            <Show when=exists>
                <div class="detail-controls">
                    <RefreshControls updated_at busy />
                </div>
                <section class="panel">
                    <h2 class="section-title">"Response time"</h2>
                    <ResponseTimeChart id="response-chart" history degraded_after_ms=degraded_after />
                </section>
            </Show>
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match alerts.await {
                    Ok(list) if !list.is_empty() => view! { <ComponentAlerts list /> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(Some(d)) => view! { <HistoryTable d /> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DetailHead(
    d: ComponentDetail,
    check: ServerAction<RunCheck>,
    /// "Check now" is for developers and up.
    can_check: bool,
) -> impl IntoView {
    let c = d.component.clone();
    let name = c.component.clone();
    let pending = check.pending();
    let check_error = move || {
        check
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let details = serde_json::to_string_pretty(&c.details).unwrap_or_default();
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/">"Overview"</a> " / " {name.clone()}</p>
                <h1 data-testid="component-name">{name.clone()}</h1>
            </div>
            {can_check.then(|| view! {
                <button
                    class="btn btn-primary"
                    data-testid="check-now"
                    prop:disabled=move || pending.get()
                    on:click=move |_| {
                        check.dispatch(RunCheck { name: name.clone() });
                    }
                >
                    {move || if pending.get() { "Checking…" } else { "Check now" }}
                </button>
            })}
        </div>
        {move || check_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <section class=format!("panel detail-summary card-{}", c.status.as_str()) data-testid="detail-summary">
            <CardTop c=&c />
            <dl class="facts">
                <div><dt>"Latest result"</dt><dd data-testid="raw-status">{c.last_result_status.label()}</dd></div>
                <div><dt>"Response time"</dt><dd>{c.response_time_ms.map(fmt_ms).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"Last run"</dt><dd>{c.timestamp.as_deref().map(fmt_rfc3339).unwrap_or_else(|| "not yet".into())}</dd></div>
                <div>
                    <dt>"Availability"</dt>
                    <dd>
                        {d.availability_pct.map(|p| format!("{p:.1}% of last {}", d.history.len())).unwrap_or_else(|| "—".into())}
                    </dd>
                </div>
                <div><dt>"Check"</dt><dd>{if c.timeout_ms > 0.0 {
                    format!("{} every {}, timeout {}", c.kind, fmt_interval(c.interval_secs), fmt_ms(c.timeout_ms))
                } else {
                    format!("derived from its members' checks (every {})", fmt_interval(c.interval_secs))
                }}</dd></div>
                <div>
                    <dt>"Damping"</dt>
                    <dd>{format!("{} failures / {} successes in a row", c.consecutive_failures, c.consecutive_successes)}</dd>
                </div>
            </dl>
            {c.error_message.clone().map(|e| view! { <p class="error" data-testid="error-message">{e}</p> })}
            <details class="card-details" open=true>
                <summary>"Details of the latest result"</summary>
                <pre>{details}</pre>
            </details>
        </section>
    }
}

#[component]
fn HistoryTable(d: ComponentDetail) -> impl IntoView {
    let empty = d.history.is_empty();
    view! {
        <section class="panel">
            <h2 class="section-title">"History"</h2>
            {empty.then(|| view! { <p class="muted">"No checks recorded yet."</p> })}
            <div class="table-wrap" tabindex="0" role="region" aria-label="History">
                <table class="table" data-testid="history">
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Result"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="num">"Latency"</th>
                            <th scope="col">"Message"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {d
                            .history
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <td>{clock_utc(r.timestamp_ms)}</td>
                                        <td><StatusPill status=r.status /></td>
                                        <td>{r.effective_status.label()}</td>
                                        <td class="num">{fmt_ms(r.response_time_ms)}</td>
                                        <td class="msg">{r.error_message.unwrap_or_default()}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// This component's alerts that are pending, firing or without data, linking to each on the
/// Alerts page.
#[component]
fn ComponentAlerts(list: Vec<crate::alerts::view::ActiveAlert>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="component-alerts">
            <h2 class="section-title">"Alerts"</h2>
            <ul class="plain-list">
                {list.into_iter().map(|a| {
                    let since = a.since_ms.map(|s| format!(" since {}", clock_utc(s))).unwrap_or_default();
                    let held = a.suppressed_by.map(|b| format!(" (suppressed by {b})")).unwrap_or_default();
                    view! {
                        <li>
                            <Severity s=a.severity.clone() />
                            " "
                            <a href=format!("/alerts#alert-{}", a.alert_id)>{a.rule.clone()}</a>
                            " — "
                            <StateWord s=a.state.clone() />
                            {format!("{since}{held}")}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
