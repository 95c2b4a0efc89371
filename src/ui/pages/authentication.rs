//! `/authentication`: seed 000's authentication monitoring — success rate and failures over
//! time, OAuth and token-refresh latency against their thresholds, MFA and role sync, failed
//! attempts by provider, and the `auth` group's components. Follows auto-refresh.

use crate::analytics::auth::{AuthPage as Data, AuthSummary, Breach, EventTypeStat};
use crate::span::TIMEFRAMES;
use crate::ui::chart::{BarChart, BarSeries, Draw};
use crate::ui::data::get_auth;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{fmt_ms, CardTop, ErrorBox, SpanPicker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The curl line that fills this page.
pub const AUTH_CURL: &str = r#"curl -X POST http://127.0.0.1:3000/api/v1/audit \
  -H "Authorization: Bearer $PULSE_TOKEN" -H "Content-Type: application/json" \
  -d '[{"actor_id":"alice","actor_role":"developer","action":"auth.oauth_flow","outcome":"success",
        "duration_ms":840,"provider":"azure_ad","details":{"flow_type":"authorization_code"}},
       {"actor_id":"alice","actor_role":"developer","action":"auth.mfa_challenge","outcome":"failure",
        "duration_ms":2300,"provider":"azure_ad","details":{"method":"totp"}}]'"#;

#[component]
fn NoAuthEvents() -> impl IntoView {
    view! {
        <section class="empty" data-testid="empty-state">
            <h2>"No authentication events yet"</h2>
            <p>"Send your gateway's auth events to " <code>"POST /api/v1/audit"</code>
               " as actions " <code>"auth.oauth_flow"</code> ", " <code>"auth.token_refresh"</code> ", "
               <code>"auth.session_validation"</code> ", " <code>"auth.login"</code> ", "
               <code>"auth.mfa_challenge"</code> " and " <code>"role.change.oauth_sync"</code>
               ", with " <code>"duration_ms"</code> " and " <code>"provider"</code> ":"</p>
            <pre class="code">{AUTH_CURL}</pre>
            <p class="muted">"Give components " <code>"group = \"auth\""</code>
               " (the OAuth proxy, the session store, a " <code>"role_sync"</code>
               " check) to see the authentication system's health here. Or run " <code>"make demo"</code> "."</p>
        </section>
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn ms_or_dash(v: Option<f64>) -> String {
    v.map(fmt_ms).unwrap_or_else(|| "—".into())
}

/// `▲ 12 %` against the previous window (events), or nothing to compare with.
fn trend(now: i64, before: i64) -> String {
    if before == 0 {
        return if now == 0 { "–".into() } else { "new".into() };
    }
    let change = (now - before) as f64 * 100.0 / before as f64;
    let icon = if change > 0.5 {
        "▲"
    } else if change < -0.5 {
        "▼"
    } else {
        "–"
    };
    format!("{icon} {:.0}% vs previous", change.abs())
}

fn breach_of<'a>(s: &'a AuthSummary, name: &str) -> Option<&'a Breach> {
    s.breaches.iter().find(|b| b.name == name)
}

#[component]
fn Stats(s: AuthSummary) -> impl IntoView {
    let failure_rate = s.totals.success_rate.map(|r| 1.0 - r);
    let rate_bad = breach_of(&s, "failure_rate").is_some();
    let session_bad = breach_of(&s, "session_health").is_some();
    view! {
        <section class="stats" aria-label="Authentication summary">
            <div class="stat">
                <p class="stat-label">"Auth events"</p>
                <p class="stat-value" data-testid="auth-total">{s.totals.total}</p>
                <p class="stat-sub muted">{format!("last {} · {}", s.timeframe, trend(s.totals.total, s.previous.total))}</p>
            </div>
            <div class="stat">
                <p class="stat-label">"Success rate"</p>
                <p class={if rate_bad { "stat-value bad" } else { "stat-value" }} data-testid="auth-success-rate">
                    {pct(s.totals.success_rate)}
                </p>
                <p class="stat-sub muted">
                    {format!("{} failed · failure {} (limit {:.0}%)", s.totals.failed, pct(failure_rate), s.thresholds.max_failure_rate * 100.0)}
                </p>
            </div>
            <div class="stat">
                <p class="stat-label">"Active sessions"</p>
                <p class="stat-value" data-testid="auth-active-sessions">{s.active_sessions}</p>
                <p class="stat-sub muted">"validated in the last 15 min"</p>
            </div>
            <div class="stat">
                <p class="stat-label">"Session health"</p>
                <p class={if session_bad { "stat-value bad" } else { "stat-value" }} data-testid="auth-session-health">
                    {pct(s.session_health)}
                </p>
                <p class="stat-sub muted">{format!("valid validations (at least {:.0}%)", s.thresholds.min_session_health * 100.0)}</p>
            </div>
        </section>
    }
}

#[component]
fn Breaches(list: Vec<Breach>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="auth-breaches" aria-label="Thresholds">
            <h2 class="section-title">"Thresholds"</h2>
            {if list.is_empty() {
                view! { <p class="muted">"✓ Every threshold is met in this timeframe."</p> }.into_any()
            } else {
                view! {
                    <ul class="breach-list">
                        {list.into_iter().map(|b| view! {
                            <li class="bad" data-breach=b.name.clone()>"⚠ " {b.message}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn EventTypes(rows: Vec<EventTypeStat>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="auth-event-types">
            <h2 class="section-title">"Event types"</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Event types">
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Type"</th>
                            <th scope="col" class="num">"Events"</th>
                            <th scope="col" class="num">"Failed"</th>
                            <th scope="col" class="num">"Avg"</th>
                            <th scope="col" class="num">"p95"</th>
                            <th scope="col" class="num">"p95 limit"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| {
                            let over = matches!((r.p95_ms, r.threshold_ms), (Some(p), Some(t)) if p > t);
                            view! {
                                <tr data-action=r.action.clone()>
                                    <td>{r.label}</td>
                                    <td class="num" data-col="count">{r.count}</td>
                                    <td class={if r.failed > 0 { "num bad" } else { "num" }} data-col="failed">{r.failed}</td>
                                    <td class="num">{ms_or_dash(r.avg_ms)}</td>
                                    <td class={if over { "num bad" } else { "num" }} data-col="p95">
                                        {ms_or_dash(r.p95_ms)} {over.then_some(" ⚠")}
                                    </td>
                                    <td class="num muted">{ms_or_dash(r.threshold_ms)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn Panels(s: AuthSummary) -> impl IntoView {
    let mfa = s.mfa;
    let sync = s.role_sync;
    let providers = s.providers;
    view! {
        <div class="two-col">
            <section class="panel" data-testid="auth-mfa">
                <h2 class="section-title">"MFA"</h2>
                <p>
                    <strong>{mfa.challenges}</strong> " challenges · "
                    <span class={if mfa.failed > 0 { "bad" } else { "" }}>{mfa.failed} " failed"</span>
                    " · " {pct(mfa.challenge_rate)} " of logins challenged"
                </p>
                {if mfa.by_method.is_empty() {
                    view! { <p class="muted">"No MFA challenges in this timeframe."</p> }.into_any()
                } else {
                    view! {
                        <table class="table">
                            <thead><tr><th scope="col">"Method"</th><th scope="col" class="num">"Challenges"</th><th scope="col" class="num">"Failed"</th></tr></thead>
                            <tbody>
                                {mfa.by_method.into_iter().map(|m| view! {
                                    <tr data-method=m.method.clone()>
                                        <td class="mono">{if m.method.is_empty() { "(not given)".to_string() } else { m.method.clone() }}</td>
                                        <td class="num">{m.challenges}</td>
                                        <td class={if m.failed > 0 { "num bad" } else { "num" }}>{m.failed}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <section class="panel" data-testid="auth-role-sync">
                <h2 class="section-title">"Role sync"</h2>
                <p>
                    <strong>{sync.syncs}</strong> " role syncs · "
                    <span class={if sync.failures > 0 { "bad" } else { "" }} data-testid="role-sync-failures">
                        {sync.failures} " failed"
                    </span>
                </p>
                <p class="muted">{format!("{} failed in the last 15 minutes", sync.failures_last_15m)}</p>
            </section>
        </div>
        <section class="panel" data-testid="auth-providers">
            <h2 class="section-title">"Providers"</h2>
            {if providers.is_empty() {
                view! { <p class="muted">"No provider named in this timeframe."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Providers">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Provider"</th>
                                <th scope="col" class="num">"Events"</th>
                                <th scope="col" class="num">"Failed attempts"</th>
                                <th scope="col" class="num">"Failure rate"</th>
                                <th scope="col" class="num">"Active sessions"</th>
                            </tr></thead>
                            <tbody>
                                {providers.into_iter().map(|p| view! {
                                    <tr data-provider=p.provider.clone()>
                                        <td class="mono">{if p.provider.is_empty() { "(not given)".to_string() } else { p.provider.clone() }}</td>
                                        <td class="num">{p.total}</td>
                                        <td class={if p.failed > 0 { "num bad" } else { "num" }} data-col="failed">{p.failed}</td>
                                        <td class="num">{pct(p.failure_rate)}</td>
                                        <td class="num">{p.active_sessions}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Components(list: Vec<crate::model::ComponentHealth>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="auth-components">
            <h2 class="section-title">"Authentication system"</h2>
            {if list.is_empty() {
                view! {
                    <p class="muted">"No component has " <code>"group = \"auth\""</code> " yet."</p>
                }.into_any()
            } else {
                view! {
                    <div class="grid">
                        {list.into_iter().map(|c| {
                            let href = format!("/components/{}", c.component);
                            let note = c.error_message.clone().unwrap_or_else(|| match c.details.get("ratio").and_then(|r| r.as_f64()) {
                                Some(r) => format!("health ratio {:.0}%", r * 100.0),
                                None => format!("{} check", c.kind),
                            });
                            view! {
                                <article class=format!("card card-{}", c.status.as_str()) data-testid="component-card" data-component=c.component.clone() data-status=c.status.as_str()>
                                    <CardTop c=&c />
                                    <h3 class="card-title"><a href=href>{c.component.clone()}</a></h3>
                                    <p class="card-sub">{note}</p>
                                </article>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// `HH:MM` (minute buckets), `MM-DD HH:00` (hours) or `MM-DD` (days), UTC.
fn bucket_label(ts_ms: i64, bucket_ms: i64) -> String {
    let fmt = if bucket_ms < 3_600_000 {
        "%H:%M"
    } else if bucket_ms < 86_400_000 {
        "%m-%d %H:00"
    } else {
        "%m-%d"
    };
    chrono::DateTime::from_timestamp_millis(ts_ms)
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}

fn volume_series(s: &AuthSummary) -> Vec<BarSeries> {
    vec![
        BarSeries {
            name: "Succeeded".into(),
            color: "#16a34a",
            draw: Draw::Stacked("events"),
            values: s
                .series
                .iter()
                .map(|p| Some((p.total - p.failed) as f64))
                .collect(),
        },
        BarSeries {
            name: "Failed".into(),
            color: "#dc2626",
            draw: Draw::Stacked("events"),
            values: s.series.iter().map(|p| Some(p.failed as f64)).collect(),
        },
    ]
}

fn latency_series(s: &AuthSummary) -> Vec<BarSeries> {
    let n = s.series.len();
    vec![
        BarSeries {
            name: "OAuth flow p95".into(),
            color: "#7c3aed",
            draw: Draw::Line,
            values: s.series.iter().map(|p| p.oauth_p95_ms).collect(),
        },
        BarSeries {
            name: "OAuth limit".into(),
            color: "#7c3aed",
            draw: Draw::Target,
            values: vec![Some(s.thresholds.max_oauth_flow_ms); n],
        },
        BarSeries {
            name: "Token refresh p95".into(),
            color: "#0891b2",
            draw: Draw::Line,
            values: s.series.iter().map(|p| p.token_refresh_p95_ms).collect(),
        },
        BarSeries {
            name: "Refresh limit".into(),
            color: "#0891b2",
            draw: Draw::Target,
            values: vec![Some(s.thresholds.max_token_refresh_ms); n],
        },
    ]
}

#[component]
pub fn AuthenticationPage() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let query = use_query_map();
    let tf = Memo::new(move |_| TIMEFRAMES.or_default(query.read().get("timeframe").as_deref()));
    let data = Resource::new(
        move || (tf.get(), ctl.tick.get()),
        |(t, _)| get_auth(t.into()),
    );
    let (busy, set_busy) = signal(false);
    let page = Signal::derive(move || data.get().and_then(|r| r.ok()));
    let updated_at = Signal::derive(move || page.get().map(|p| p.summary.generated_at_ms));
    let labels = Signal::derive(move || {
        page.get()
            .map(|p| {
                let b = p.summary.bucket_ms;
                p.summary
                    .series
                    .iter()
                    .map(|x| bucket_label(x.ts_ms, b))
                    .collect()
            })
            .unwrap_or_default()
    });
    let pick = move |f: fn(&AuthSummary) -> Vec<BarSeries>| {
        Signal::derive(move || page.get().map(|p| f(&p.summary)).unwrap_or_default())
    };
    let volume = pick(volume_series);
    let latency = pick(latency_series);
    view! {
        <Title text="Authentication" />
        <div class="page-head">
            <h1>"Authentication"</h1>
            {move || view! { <SpanPicker view=TIMEFRAMES current=tf.get() /> }}
            <Transition fallback=|| ()>
                <RefreshControls updated_at busy />
            </Transition>
        </div>
        <RefreshTransition fallback=|| view! { <p class="loading">"Loading authentication analytics…"</p> } set_pending=set_busy>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox title="Cannot load authentication analytics" message=e.to_string() /> }.into_any(),
                    Ok(Data { summary, components }) => {
                        let empty = summary.totals.total == 0
                            && summary.previous.total == 0
                            && summary.role_sync.syncs == 0;
                        view! {
                            {empty.then(|| view! { <NoAuthEvents /> })}
                            <Stats s=summary.clone() />
                            <Breaches list=summary.breaches.clone() />
                            <Components list=components />
                        }.into_any()
                    }
                }
            })}
        </RefreshTransition>
        <div class="charts" data-testid="auth-charts">
            <BarChart id="chart-auth-volume" label="Auth events: succeeded and failed" unit="events" categories=labels series=volume />
            <BarChart id="chart-auth-latency" label="OAuth flow and token refresh p95, against their limits" unit="ms" categories=labels series=latency />
        </div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|p| view! {
                    <EventTypes rows=p.summary.event_types.clone() />
                    <Panels s=p.summary />
                })
            })}
        </Transition>
    }
}
