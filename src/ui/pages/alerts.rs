//! `/alerts`: what fires now (severity, since, value against threshold, labels), the channels
//! with their last delivery and a test button, silences and maintenance windows, and the recent
//! history. Follows auto-refresh; states and severities are words with icons, never colour
//! alone.

use crate::alerts::view::{
    number as num, ActiveAlert, AlertTransition, AlertsOverview, ChannelView, DeliveryView,
    SilenceView, WindowView,
};
use crate::model::{clock_utc, datetime_utc, human_duration};
use crate::permissions::Permission;
use crate::ui::data::{
    get_alerts, CreateSilence, ExpireSilence, ExpireWindow, SendTestNotification,
};
use crate::ui::me::MeCtx;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{ErrorBox, Severity, StateWord};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let me = MeCtx::use_ctx();
    let test = ServerAction::<SendTestNotification>::new();
    let acts = Acts {
        silence: ServerAction::<CreateSilence>::new(),
        expire: ServerAction::<ExpireSilence>::new(),
        close: ServerAction::<ExpireWindow>::new(),
    };
    let data = Resource::new(
        move || {
            (
                ctl.tick.get(),
                test.version().get(),
                acts.silence.version().get(),
                acts.expire.version().get(),
                acts.close.version().get(),
            )
        },
        |_| get_alerts(),
    );
    let failed = move || {
        [
            acts.silence.value().get().and_then(|r| r.err()),
            acts.expire.value().get().and_then(|r| r.err()),
            acts.close.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    let (busy, set_busy) = signal(false);
    let updated_at =
        Signal::derive(move || data.get().and_then(|r| r.ok()).map(|o| o.generated_at_ms));
    view! {
        <Title text="Alerts" />
        <div class="page-head">
            <h1>"Alerts"</h1>
            <Transition fallback=|| ()>
                <RefreshControls updated_at busy />
            </Transition>
        </div>
        {move || failed().map(|e| view! { <p class="error" role="alert" data-testid="alerts-error">{e}</p> })}
        {move || test.value().get().map(|r| match r {
            Ok(d) => view! { <TestResult d /> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="test-result">{e.to_string()}</p> }.into_any(),
        })}
        <RefreshTransition
            fallback=|| view! { <p class="loading">"Loading alerts…"</p> }
            set_pending=set_busy
        >
            {move || Suspend::new(async move {
                let can_test = me.can(Permission::Operate).await;
                let can_manage = me.can(Permission::Manage).await;
                match data.await {
                    Ok(o) => view! { <Overview o can_test test can_manage acts /> }.into_any(),
                    Err(e) => view! { <ErrorBox title="Cannot load the alerts" message=e.to_string() /> }.into_any(),
                }
            })}
        </RefreshTransition>
    }
}

/// The page's write actions, shared by its sections.
#[derive(Clone, Copy)]
struct Acts {
    silence: ServerAction<CreateSilence>,
    expire: ServerAction<ExpireSilence>,
    close: ServerAction<ExpireWindow>,
}

#[component]
fn Overview(
    o: AlertsOverview,
    can_test: bool,
    test: ServerAction<SendTestNotification>,
    can_manage: bool,
    acts: Acts,
) -> impl IntoView {
    let firing = o.active.iter().filter(|a| a.state == "firing").count();
    let now = o.generated_at_ms;
    view! {
        <p class="muted" data-testid="alerts-summary">
            {format!(
                "{firing} firing · {} rule{} evaluated every {} s",
                o.rules,
                if o.rules == 1 { "" } else { "s" },
                o.evaluation_interval_secs
            )}
        </p>
        <section class="panel">
            <h2>"Active"</h2>
            {if o.active.is_empty() {
                view! { <p class="empty-line" data-testid="alerts-none">"✓ Nothing is pending or firing."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="active-alerts">
                        <thead><tr>
                            <th scope="col">"Severity"</th><th scope="col">"Alert"</th>
                            <th scope="col">"State"</th><th scope="col">"Value"</th>
                            <th scope="col">"Since"</th><th scope="col">"Labels"</th><th scope="col">"Notified"</th>
                        </tr></thead>
                        <tbody>{o.active.into_iter().map(|a| view! { <Active a now /> }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Channels"</h2>
            {if o.channels.is_empty() {
                view! {
                    <p class="empty-line" data-testid="channels-none">
                        "No channels: alerts show here but tell no one. Add " <code>"[[alerts.channels]]"</code>
                        " (webhook, slack, email or alertmanager) to pulse.toml."
                    </p>
                }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="alert-channels">
                        <thead><tr>
                            <th scope="col">"Channel"</th><th scope="col">"Kind"</th><th scope="col">"Receiver"</th>
                            <th scope="col">"Last delivery"</th><th scope="col">"Waiting"</th>
                            {can_test.then(|| view! { <th scope="col"><span class="visually-hidden">"Test"</span></th> })}
                        </tr></thead>
                        <tbody>{o.channels.into_iter().map(|c| view! { <Channel c can_test test /> }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <Silences list=o.silences can_manage acts />
        <Windows list=o.windows can_manage acts />
        <section class="panel">
            <h2>"History"</h2>
            {if o.history.is_empty() {
                view! { <p class="empty-line">"No alert has changed state yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="alert-history">
                        <thead><tr>
                            <th scope="col">"Time"</th><th scope="col">"Alert"</th><th scope="col">"Change"</th>
                            <th scope="col">"Value"</th><th scope="col">"Told"</th>
                        </tr></thead>
                        <tbody>{o.history.into_iter().map(|t| view! { <Change t /> }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

fn labels_text(l: &[(String, String)]) -> String {
    l.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn Active(a: ActiveAlert, now: i64) -> impl IntoView {
    let value = format!(
        "{} ({} {})",
        a.value.map(num).unwrap_or_else(|| "no data".into()),
        a.op,
        num(a.threshold)
    );
    let since = a
        .since_ms
        .map(|s| {
            format!(
                "{} ({} ago)",
                clock_utc(s),
                human_duration(((now - s).max(0) / 1000) as u64)
            )
        })
        .unwrap_or_else(|| "—".into());
    view! {
        <tr id=format!("alert-{}", a.alert_id) data-testid="active-alert">
            <td><Severity s=a.severity.clone() /></td>
            <td>
                <strong>{a.rule.clone()}</strong>
                <div class="muted small">{a.description.clone()}</div>
            </td>
            <td>
                <StateWord s=a.state.clone() />
                {(a.state == "firing" && !a.notified).then(|| view! { <div class="muted small">"in cooldown: not notified"</div> })}
            </td>
            <td class="num">{value}</td>
            <td>{since}</td>
            <td><code>{labels_text(&a.labels)}</code></td>
            <td>{match (a.notified, a.suppressed_by) {
                (_, Some(by)) => format!("suppressed by {by}"),
                (true, None) => "yes".to_string(),
                (false, None) if a.state == "firing" => "no (cooldown)".to_string(),
                _ => "—".to_string(),
            }}</td>
        </tr>
    }
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[component]
fn Silences(list: Vec<SilenceView>, can_manage: bool, acts: Acts) -> impl IntoView {
    view! {
        <section class="panel" data-testid="silences">
            <h2>"Silences"</h2>
            {if list.is_empty() {
                view! { <p class="empty-line">"No silences."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Matches"</th><th scope="col">"From"</th><th scope="col">"Until"</th>
                            <th scope="col">"By"</th><th scope="col">"Why"</th><th scope="col">"State"</th>
                            {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Expire"</span></th> })}
                        </tr></thead>
                        <tbody>{list.into_iter().map(|s| {
                            let id = s.id;
                            let matchers = s.matchers.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ");
                            let label = format!("Expire the silence on {matchers}");
                            view! {
                                <tr data-testid="silence">
                                    <td><code>{matchers}</code></td>
                                    <td>{when(s.starts_ms)}</td>
                                    <td>{when(s.ends_ms)}</td>
                                    <td>{s.created_by.clone()}</td>
                                    <td>{s.comment.clone()}</td>
                                    <td>{if s.active { "active" } else { "ended" }}</td>
                                    {can_manage.then(|| view! {
                                        <td>{s.active.then(|| view! {
                                            <button class="btn btn-small" aria-label=label.clone()
                                                on:click=move |_| { acts.expire.dispatch(ExpireSilence { id }); }>
                                                "Expire"
                                            </button>
                                        })}</td>
                                    })}
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            {can_manage.then(|| view! {
                <ActionForm action=acts.silence attr:class="stack-form silence-form" attr:data-testid="silence-form">
                    <h3>"New silence"</h3>
                    <label for="silence-matchers">"Matchers (one a line: name=value, name!=value, name=~regex or name!~regex; alertname is the rule)"</label>
                    <textarea id="silence-matchers" name="matchers" rows="2" required=true placeholder="alertname=docs-api down\ncomponent=docs-api"></textarea>
                    <label for="silence-hours">"Hours"</label>
                    <input id="silence-hours" name="hours" type="number" min="1" max="2160" value="2" required=true />
                    <label for="silence-comment">"Why"</label>
                    <input id="silence-comment" name="comment" required=true maxlength="500" />
                    <button class="btn btn-primary" type="submit">"Silence"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn Windows(list: Vec<WindowView>, can_manage: bool, acts: Acts) -> impl IntoView {
    view! {
        <section class="panel" data-testid="windows">
            <h2>"Maintenance windows"</h2>
            {if list.is_empty() {
                view! {
                    <p class="empty-line">
                        "None. Add " <code>"[[alerts.maintenance]]"</code> " to pulse.toml or post to "
                        <code>"/api/v1/alerts/maintenance/create"</code> "."
                    </p>
                }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Covers"</th><th scope="col">"When"</th>
                            <th scope="col">"Now"</th><th scope="col">"By"</th>
                            {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"End"</span></th> })}
                        </tr></thead>
                        <tbody>{list.into_iter().map(|w| {
                            let label = format!("End the maintenance window {}", w.name);
                            view! {
                                <tr data-testid="window">
                                    <td>{w.name.clone()}</td>
                                    <td>{if w.components.is_empty() { "every alert".to_string() } else { w.components.join(", ") }}</td>
                                    <td>{w.schedule.clone()}</td>
                                    <td>{if w.open { "open" } else { "closed" }}</td>
                                    <td>{w.created_by.clone()}</td>
                                    {can_manage.then(|| view! {
                                        <td>{w.id.map(|id| view! {
                                            <button class="btn btn-small" aria-label=label.clone()
                                                on:click=move |_| { acts.close.dispatch(ExpireWindow { id }); }>
                                                "End"
                                            </button>
                                        })}</td>
                                    })}
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Channel(
    c: ChannelView,
    can_test: bool,
    test: ServerAction<SendTestNotification>,
) -> impl IntoView {
    let name = c.name.clone();
    let label = format!("Send test notification to {}", c.name);
    view! {
        <tr data-testid="alert-channel">
            <td>{c.name.clone()}</td>
            <td>{c.kind.clone()}</td>
            <td><code>{c.target.clone()}</code></td>
            <td>{c.last.map(|d| view! { <Delivery d /> })}</td>
            <td class="num">{c.pending}</td>
            {can_test.then(|| view! {
                <td>
                    <button
                        class="btn btn-small"
                        aria-label=label
                        data-testid="send-test"
                        disabled=move || test.pending().get()
                        on:click=move |_| { test.dispatch(SendTestNotification { channel: name.clone() }); }
                    >
                        "Send test"
                    </button>
                </td>
            })}
        </tr>
    }
}

#[component]
fn Delivery(d: DeliveryView) -> impl IntoView {
    let ok = d.outcome == "delivered";
    view! {
        <span class=if ok { "outcome" } else { "outcome outcome-refused" }>
            <span aria-hidden="true">{if ok { "✓ " } else { "⚠ " }}</span>
            {format!("{} {} · {} · {}", d.outcome.replace('_', " "), clock_utc(d.ts_ms), d.kind, d.detail)}
        </span>
    }
}

#[component]
fn TestResult(d: DeliveryView) -> impl IntoView {
    let ok = d.outcome == "delivered";
    view! {
        <p class=if ok { "notice" } else { "error" } role="status" data-testid="test-result">
            {if ok {
                format!("✓ Test notification delivered to {} ({}).", d.channel, d.detail)
            } else {
                format!("⚠ Test notification to {} failed: {}.", d.channel, d.detail)
            }}
        </p>
    }
}

#[component]
fn Change(t: AlertTransition) -> impl IntoView {
    let labels = labels_text(&t.labels);
    view! {
        <tr>
            <td>{datetime_utc(t.ts_ms)}</td>
            <td>
                <Severity s=t.severity.clone() />
                " " <strong>{t.rule.clone()}</strong>
                {(!labels.is_empty()).then(|| view! { " " <code>{labels}</code> })}
            </td>
            <td><StateWord s=t.from_state.clone() /> " → " <StateWord s=t.to_state.clone() /></td>
            <td class="num">{t.value.map(num).unwrap_or_else(|| "—".into())}</td>
            <td>{t.notice.clone()}</td>
        </tr>
    }
}
