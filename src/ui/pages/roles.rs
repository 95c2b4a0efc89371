//! `/roles`: the six roles side by side — activity from the audit log, latency against each
//! role's target, rate-limit use, the action mix and migration progress. Follows auto-refresh;
//! the charts live outside the transition so they update in place.

use crate::analytics::roles::{
    MetricValue, RoleCard, RolePerformance, RoleRate, RoleSummary as RoleSummaryData,
    RolesPage as Data, WARN_PCT,
};
use crate::model::ROLES;
use crate::span::TIMEFRAMES;
use crate::ui::chart::{BarChart, BarSeries, Draw};
use crate::ui::data::get_roles;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{fmt_ms, ErrorBox, SpanPicker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// One colour per category, in the order the categories are listed (`other` is grey).
const CATEGORY_COLORS: [&str; 12] = [
    "#7c3aed", "#2563eb", "#0891b2", "#16a34a", "#d97706", "#db2777", "#0f766e", "#9333ea",
    "#65a30d", "#ea580c", "#4f46e5", "#0284c7",
];

/// The curl line that makes this page come alive.
pub const AUDIT_CURL: &str = r#"curl -X POST http://127.0.0.1:3000/api/v1/audit \
  -H "Authorization: Bearer $PULSE_TOKEN" -H "Content-Type: application/json" \
  -d '[{"actor_id":"alice","actor_role":"analyst","action":"report.generate","outcome":"success"},
       {"actor_id":"bob","actor_role":"guest","action":"role.change.manual","outcome":"success",
        "details":{"from":"guest","to":"viewer"}}]'"#;

#[component]
fn NoAudit() -> impl IntoView {
    view! {
        <section class="empty" data-testid="empty-state">
            <h2>"No audit events from your gateway yet"</h2>
            <p>"Send audit events to " <code>"POST /api/v1/audit"</code>
               " with a token from " <code>"[ingest] tokens"</code> " (or " <code>"PULSE_INGEST_TOKENS"</code> "):"</p>
            <pre class="code">{AUDIT_CURL}</pre>
            <p class="muted">"Request events with a " <code>"role"</code>
               " fill latency and rate limits. Pulse's own page views and API reads are audited too (as analyst). "
               "Or run " <code>"make demo"</code> "."</p>
        </section>
    }
}

fn fmt_metric(name: &str, v: f64) -> String {
    match name {
        "conversionRate" => format!("{v:.1}%"),
        "sessionDuration" | "timeToUpgrade" => {
            if v >= 120.0 {
                format!("{:.1} h", v / 60.0)
            } else {
                format!("{v:.1} min")
            }
        }
        _ => format!("{v:.0}"),
    }
}

/// ▲ / ▼ / – against the previous timeframe, with the old value for screen readers and hover.
#[component]
fn Trend(m: MetricValue) -> impl IntoView {
    let (icon, class) = match m.trend() {
        1 => ("▲", "trend trend-up"),
        -1 => ("▼", "trend trend-down"),
        _ => ("–", "trend"),
    };
    let was = format!("previous timeframe: {}", fmt_metric(&m.name, m.previous));
    view! { <span class=class title=was.clone() aria-label=was>{icon}</span> }
}

#[component]
fn RoleCardView(
    card: RoleCard,
    perf: Option<RolePerformance>,
    rate: Option<RoleRate>,
) -> impl IntoView {
    let mut metrics = card.metrics.into_iter();
    let lead = metrics.next();
    let breach = perf.as_ref().is_some_and(|p| p.breach);
    let class = format!(
        "card role-card role-{}{}",
        card.role,
        if breach { " role-breach" } else { "" }
    );
    view! {
        <article class=class data-testid=format!("role-card-{}", card.role)>
            <div class="card-top">
                <h3 class="card-title">{card.role.clone()}</h3>
                <span class="badge">{format!("{} actions", card.actions)}</span>
            </div>
            {lead.map(|m| {
                let value = fmt_metric(&m.name, m.value);
                view! {
                    <p class="role-lead">
                        <span class="stat-value" data-metric=m.name.clone()>{value}</span>
                        " " <span class="muted">{m.label.clone()}</span> " " <Trend m=m.clone() />
                    </p>
                }
            })}
            <dl class="facts role-facts">
                {metrics
                    .map(|m| {
                        let value = fmt_metric(&m.name, m.value);
                        view! {
                            <div>
                                <dt>{m.label.clone()}</dt>
                                <dd data-metric=m.name.clone()>{value} " " <Trend m=m.clone() /></dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
            <p class="role-foot">
                {perf.map(|p| {
                    let cls = if p.breach { "bad" } else { "" };
                    view! {
                        <span class=cls data-testid="role-p95">
                            "p95 " {fmt_p95(&p)} " / target " {fmt_ms(p.target_ms)}
                        </span>
                    }
                })}
                {rate.map(|r| {
                    let cls = if r.busiest_pct > WARN_PCT { "bad" } else { "" };
                    view! {
                        <span class=cls data-testid="role-rate">"busiest " {fmt_busiest(&r)}</span>
                    }
                })}
            </p>
        </article>
    }
}

/// `73 ms`, or a dash when the role had no requests.
fn fmt_p95(p: &RolePerformance) -> String {
    p.p95_ms.map(fmt_ms).unwrap_or_else(|| "—".into())
}

/// `40% of 250 rpm`: the busiest user against the role's per-user limit.
fn fmt_busiest(r: &RoleRate) -> String {
    format!("{:.0}% of {} rpm", r.busiest_pct, r.limit_rpm)
}

fn role_labels() -> Vec<String> {
    ROLES.iter().map(|r| r.to_string()).collect()
}

/// `HH:MM` of a minute (UTC).
fn minute_label(ts_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts_ms)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let query = use_query_map();
    let tf = Memo::new(move |_| TIMEFRAMES.or_default(query.read().get("timeframe").as_deref()));
    let data = Resource::new(
        move || (tf.get(), ctl.tick.get()),
        |(t, _)| get_roles(t.into()),
    );
    let (busy, set_busy) = signal(false);
    let page = Signal::derive(move || data.get().and_then(|r| r.ok()));
    let updated_at = Signal::derive(move || page.get().map(|p| p.metrics.generated_at_ms));
    let pick = move |f: fn(&Data) -> Vec<BarSeries>| {
        Signal::derive(move || page.get().map(|p| f(&p)).unwrap_or_default())
    };
    let roles = Signal::derive(role_labels);
    let actions = pick(actions_series);
    let latency = pick(latency_series);
    let rates = pick(rates_series);
    let timeline_labels = Signal::derive(move || {
        page.get()
            .map(|p| {
                p.migration
                    .timeline
                    .iter()
                    .map(|t| minute_label(t.ts_ms))
                    .collect()
            })
            .unwrap_or_default()
    });
    let timeline = pick(timeline_series);
    let distribution = pick(distribution_series);
    view! {
        <Title text="Roles" />
        <div class="page-head">
            <h1>"Roles"</h1>
            {move || view! { <SpanPicker view=TIMEFRAMES current=tf.get() /> }}
            <Transition fallback=|| ()>
                <RefreshControls updated_at busy />
            </Transition>
        </div>
        <RefreshTransition fallback=|| view! { <p class="loading">"Loading role analytics…"</p> } set_pending=set_busy>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox title="Cannot load role analytics" message=e.to_string() /> }.into_any(),
                    Ok(p) => view! { <Overview p /> }.into_any(),
                }
            })}
        </RefreshTransition>
        <div class="charts" data-testid="role-charts">
            <BarChart id="chart-role-actions" label="Actions by role and category" unit="events" categories=roles series=actions />
            <BarChart id="chart-role-latency" label="p95 latency by role, against target" unit="ms" categories=roles series=latency />
            <BarChart
                id="chart-role-rates"
                label="Rate-limit use, last 60 s (% of the role's per-user limit)"
                unit="%"
                categories=roles
                series=rates
                horizontal=true
                marks=vec![("80%", 80.0), ("limit", 100.0)]
            />
            <BarChart id="chart-role-distribution" label="Users by role: before the migration and now" unit="users" categories=roles series=distribution />
            <BarChart id="chart-role-migration" label="Role changes per minute and cumulative" unit="changes" categories=timeline_labels series=timeline />
        </div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|p| view! { <Tables p /> })
            })}
        </Transition>
    }
}

/// Stacked actions per role, one series per category (every category every time, so a refresh
/// never leaves a stale series behind).
fn actions_series(p: &Data) -> Vec<BarSeries> {
    p.actions
        .categories
        .iter()
        .enumerate()
        .map(|(i, cat)| BarSeries {
            name: cat.clone(),
            color: if cat == "other" {
                "#94a3b8"
            } else {
                CATEGORY_COLORS[i % CATEGORY_COLORS.len()]
            },
            draw: Draw::Stacked("actions"),
            values: ROLES
                .iter()
                .map(|r| {
                    Some(
                        p.actions
                            .rows
                            .iter()
                            .filter(|x| x.role == *r && &x.category == cat)
                            .map(|x| x.action_count as f64)
                            .sum(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Each role's p95 against its target.
fn latency_series(p: &Data) -> Vec<BarSeries> {
    vec![
        BarSeries {
            name: "p95".into(),
            color: "#2563eb",
            draw: Draw::Bar,
            values: p.performance.roles.iter().map(|r| r.p95_ms).collect(),
        },
        BarSeries {
            name: "Target".into(),
            color: "#dc2626",
            draw: Draw::Target,
            values: p
                .performance
                .roles
                .iter()
                .map(|r| Some(r.target_ms))
                .collect(),
        },
    ]
}

/// The busiest and the average user's share of the role's per-user limit.
fn rates_series(p: &Data) -> Vec<BarSeries> {
    vec![
        BarSeries {
            name: "Busiest user".into(),
            color: "#d97706",
            draw: Draw::Bar,
            values: p.rates.roles.iter().map(|r| Some(r.busiest_pct)).collect(),
        },
        BarSeries {
            name: "Average user".into(),
            color: "#0891b2",
            draw: Draw::Bar,
            values: p.rates.roles.iter().map(|r| Some(r.avg_pct)).collect(),
        },
    ]
}

/// Role changes per minute and their running total.
fn timeline_series(p: &Data) -> Vec<BarSeries> {
    let t = &p.migration.timeline;
    vec![
        BarSeries {
            name: "Completed".into(),
            color: "#16a34a",
            draw: Draw::Bar,
            values: t
                .iter()
                .map(|x| Some(x.migrations_completed as f64))
                .collect(),
        },
        BarSeries {
            name: "Cumulative".into(),
            color: "#7c3aed",
            draw: Draw::Line,
            values: t.iter().map(|x| Some(x.cumulative_total as f64)).collect(),
        },
    ]
}

/// Users per role at the migration's start and now.
fn distribution_series(p: &Data) -> Vec<BarSeries> {
    let m = &p.migration;
    vec![
        BarSeries {
            name: "Before".into(),
            color: "#94a3b8",
            draw: Draw::Bar,
            values: m.before.iter().map(|c| Some(c.users as f64)).collect(),
        },
        BarSeries {
            name: "After".into(),
            color: "#2563eb",
            draw: Draw::Bar,
            values: m.after.iter().map(|c| Some(c.users as f64)).collect(),
        },
    ]
}

/// Cards and the migration summary (re-rendered on refresh; cheap HTML).
#[component]
fn Overview(p: Data) -> impl IntoView {
    let Data {
        metrics,
        performance,
        rates,
        migration,
        has_ingested,
        ..
    } = p;
    let s = migration.status;
    let state_label = match s.state.as_str() {
        "in_progress" => "Migration in progress",
        "complete" => "Migration complete",
        _ => "No migration running",
    };
    let started = s
        .started_at_ms
        .map(|t| format!("started {} UTC", minute_label(t)))
        .unwrap_or_else(|| "no role.migration.start event".into());
    view! {
        {(!has_ingested).then(|| view! { <NoAudit /> })}
        <section class="stats" aria-label="Audit summary">
            <div class="stat">
                <p class="stat-label">"Audit events"</p>
                <p class="stat-value" data-testid="total-actions">{metrics.total_actions}</p>
                <p class="stat-sub muted">{format!("in the last {}", metrics.timeframe)}</p>
            </div>
            <div class="stat" data-testid="migration-status">
                <p class="stat-label">{state_label}</p>
                <p class="stat-value">{format!("{} / {}", s.migrated_users, s.total_users)}</p>
                <p class="stat-sub muted">
                    {format!("migrated · {} pending · {} failed · {started}", s.pending_migrations, s.failed_migrations)}
                </p>
            </div>
            <div class="stat">
                <p class="stat-label">"Over 80% of rate limit"</p>
                <p class="stat-value" data-testid="users-over">{rates.users_over.len()}</p>
                <p class="stat-sub muted">"users, last 60 s"</p>
            </div>
            <div class="stat">
                <p class="stat-label">"Roles over latency target"</p>
                <p class="stat-value">{performance.roles.iter().filter(|r| r.breach).count()}</p>
                <p class="stat-sub muted">"p95 above target"</p>
            </div>
        </section>
        <section class="grid role-grid" aria-label="Roles">
            {metrics
                .roles
                .into_iter()
                .map(|card| {
                    let perf = performance.roles.iter().find(|r| r.role == card.role).cloned();
                    let rate = rates.roles.iter().find(|r| r.role == card.role).cloned();
                    view! { <RoleCardView card perf rate /> }
                })
                .collect_view()}
        </section>
    }
}

/// The numbers behind the charts.
#[component]
fn Tables(p: Data) -> impl IntoView {
    let rows = p.actions.rows;
    let over = p.rates.users_over;
    let changes = p.migration.changes;
    view! {
        <section class="panel" data-testid="role-actions-table">
            <h2 class="section-title">"Actions by role and category"</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Actions by role and category">
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Category"</th>
                            <th scope="col" class="num">"Actions"</th>
                            <th scope="col" class="num">"Users"</th>
                            <th scope="col" class="num">"Denied"</th>
                            <th scope="col" class="num">"Failed"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {if rows.is_empty() {
                            view! { <tr><td colspan="6" class="muted">"No audit events in this timeframe."</td></tr> }.into_any()
                        } else {
                            rows.into_iter()
                                .map(|r| {
                                    let denied = if r.denied > 0 { "num bad" } else { "num" };
                                    view! {
                                        <tr>
                                            <td>{r.role}</td>
                                            <td class="mono">{r.category}</td>
                                            <td class="num">{r.action_count}</td>
                                            <td class="num">{r.unique_users}</td>
                                            <td class=denied>{r.denied}</td>
                                            <td class="num">{r.failed}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }}
                    </tbody>
                </table>
            </div>
        </section>
        <div class="two-col">
            <section class="panel" data-testid="users-over-table">
                <h2 class="section-title">"Users above 80% of their limit (last 60 s)"</h2>
                {if over.is_empty() {
                    view! { <p class="muted">"Nobody is near their limit."</p> }.into_any()
                } else {
                    view! {
                        <table class="table">
                            <thead><tr><th scope="col">"User"</th><th scope="col">"Role"</th><th scope="col" class="num">"Req/min"</th><th scope="col" class="num">"Of limit"</th></tr></thead>
                            <tbody>
                                {over.into_iter().map(|u| view! {
                                    <tr><td class="mono">{u.user_id}</td><td>{u.role}</td><td class="num">{format!("{:.0}", u.rpm)}</td><td class="num bad">{format!("{:.0}%", u.used_pct)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <section class="panel" data-testid="role-changes-table">
                <h2 class="section-title">"Role changes in this timeframe"</h2>
                {if changes.is_empty() {
                    view! { <p class="muted">"No role changes."</p> }.into_any()
                } else {
                    view! {
                        <table class="table">
                            <thead><tr><th scope="col">"From"</th><th scope="col">"To"</th><th scope="col" class="num">"Users"</th></tr></thead>
                            <tbody>
                                {changes.into_iter().map(|c| view! {
                                    <tr><td>{c.from}</td><td>{c.to}</td><td class="num">{c.count}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
        </div>
    }
}

/// The Overview's view of the roles: one row per role over the last 24 h, linking to `/roles`.
#[component]
pub fn RoleSummary(s: RoleSummaryData) -> impl IntoView {
    let active = s
        .rows
        .iter()
        .any(|r| r.actions > 0 || r.performance.requests > 0);
    view! {
        <section class="panel role-summary" data-testid="role-summary">
            <h2 class="section-title">
                <a href="/roles?timeframe=24h">"Roles"</a>
                <span class="muted">" · last 24 h"</span>
            </h2>
            {if !active {
                view! {
                    <p class="muted">"No role activity yet: audit events (POST /api/v1/audit) and requests with a role fill this."</p>
                }
                .into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Roles, last 24 h">
                        <table class="table">
                            <thead>
                                <tr>
                                    <th scope="col">"Role"</th>
                                    <th scope="col" class="num">"Active users"</th>
                                    <th scope="col" class="num">"Actions"</th>
                                    <th scope="col" class="num">"p95 / target"</th>
                                    <th scope="col" class="num">"Busiest user / limit"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {s.rows
                                    .into_iter()
                                    .map(|r| {
                                        let p95_class = if r.performance.breach { "num bad" } else { "num" };
                                        let rate_class = if r.rate.busiest_pct > WARN_PCT { "num bad" } else { "num" };
                                        view! {
                                            <tr data-role=r.role.clone()>
                                                <td class="role-name">{r.role.clone()}</td>
                                                <td class="num" data-col="users">{r.active_users}</td>
                                                <td class="num" data-col="actions">{r.actions}</td>
                                                <td class=p95_class>
                                                    {fmt_p95(&r.performance)} " / " {fmt_ms(r.performance.target_ms)}
                                                </td>
                                                <td class=rate_class>{fmt_busiest(&r.rate)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}
