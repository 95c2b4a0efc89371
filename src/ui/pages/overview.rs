//! `/`: overall status and one card per component, refreshed in place; the Overview's own
//! widgets (overall card, component card, traffic cards, MCP servers) live here.

use crate::model::{human_duration, ComponentHealth, ComponentType, HealthSummary, Status};
use crate::overview::{McpTable, OverviewData, OverviewFilter, Tile};
use crate::permissions::Permission;
use crate::ui::data::{get_alert_banner, get_overview, get_realtime, get_role_summary};
use crate::ui::me::MeCtx;
use crate::ui::pages::roles::RoleSummary;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{
    fmt_bytes, fmt_interval, fmt_ms, fmt_rfc3339, reading, CardTop, ErrorBox, StatusPill,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Overview() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let me = MeCtx::use_ctx();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        OverviewFilter {
            q: get("q"),
            kind: get("kind"),
            component_type: get("type"),
            status: get("status"),
            mcp_page: get("mcp_page").parse().unwrap_or(1),
        }
    });
    let health = Resource::new(
        move || (ctl.tick.get(), filter.get()),
        |(_, f)| get_overview(f),
    );
    // Traffic and roles only for visitors who may see them: a guest's Overview asks for
    // statuses alone.
    let traffic = Resource::new(
        move || ctl.tick.get(),
        move |_| async move {
            if me.can(Permission::Details).await {
                get_realtime().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let roles = Resource::new(
        move || ctl.tick.get(),
        move |_| async move {
            if me.can(Permission::Analytics).await {
                get_role_summary().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let banner = Resource::new(move || ctl.tick.get(), |_| get_alert_banner());
    let (busy, set_busy) = signal(false);
    let updated_at = Signal::derive(move || {
        health
            .get()
            .and_then(|r| r.ok())
            .map(|o| o.summary.generated_at_ms)
    });

    view! {
        <Title text="Overview" />
        <div class="page-head">
            <h1>"System health"</h1>
            <Transition fallback=|| ()>
                <RefreshControls updated_at busy />
            </Transition>
        </div>
        <RefreshTransition
            fallback=|| view! { <p class="loading">"Loading health…"</p> }
            set_pending=set_busy
        >
            {move || Suspend::new(async move {
                let rt = traffic.await.ok().flatten();
                let roles = roles.await.ok().flatten();
                let linked = me.can(Permission::Details).await;
                let banner = banner.await.ok().filter(|b| b.firing > 0);
                match health.await {
                    Ok(o) => {
                        let empty = o.summary.total_components == 0;
                        let summary = o.summary.clone();
                        view! {
                            {banner.map(|b| view! { <AlertBannerView b linked /> })}
                            <OverallCard summary />
                            {rt.map(|rt| view! { <TrafficCards rt /> })}
                            <h2 class="section-title">"Components"</h2>
                            {if empty {
                                view! {
                                    <section class="empty">
                                        <p>"No components are configured. Add [[components]] tables to pulse.toml (see pulse.example.toml)."</p>
                                    </section>
                                }.into_any()
                            } else {
                                view! { <Components o=o.clone() linked /> }.into_any()
                            }}
                            <McpServers table=o.mcp filter=o.filter linked />
                            {roles.map(|s| view! { <RoleSummary s /> })}
                        }
                        .into_any()
                    }
                    Err(e) => view! { <ErrorBox title="Cannot load health" message=e.to_string() /> }
                    .into_any(),
                }
            })}
        </RefreshTransition>
    }
}

/// The filter bar, the cards of what needs attention and the compact grid of the rest.
#[component]
fn Components(o: OverviewData, linked: bool) -> impl IntoView {
    let f = o.filter.clone();
    let filtered = !f.is_empty();
    let shown = o.matched;
    let total = o.summary.total_components;
    let healthy_tiles = o
        .tiles
        .iter()
        .filter(|t| t.status == Status::Healthy)
        .count();
    let other_tiles = o.tiles.len() - healthy_tiles;
    let open_tiles = other_tiles > 0 || f.status == "healthy" || !f.q.is_empty();
    let ignored = (!o.ignored.is_empty()).then(|| {
        format!(
            "Ignored what was not understood in the address: {}.",
            o.ignored.join(", ")
        )
    });
    let kinds = o.kinds.clone();
    view! {
        <Form method="GET" action="/" attr:class="filter-bar" attr:data-testid="component-filter" attr:role="search">
            <label>
                <span>"Name"</span>
                <input type="search" name="q" value=f.q.clone() placeholder="Search by name" maxlength="64" />
            </label>
            <label>
                <span>"Status"</span>
                <select name="status">
                    <option value="" selected=f.status.is_empty()>"Any"</option>
                    {Status::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=f.status == s.as_str()>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"Kind"</span>
                <select name="kind">
                    <option value="" selected=f.kind.is_empty()>"Any"</option>
                    {kinds.into_iter().map(|k| {
                        let sel = f.kind == k;
                        view! { <option value=k.clone() selected=sel>{k.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"Type"</span>
                <select name="type">
                    <option value="" selected=f.component_type.is_empty()>"Any"</option>
                    {ComponentType::ALL.into_iter().map(|t| view! {
                        <option value=t.as_str() selected=f.component_type == t.as_str()>{t.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="btn">"Filter"</button>
            {filtered.then(|| view! { <a class="btn btn-quiet" href="/" data-testid="clear-filter">"Clear"</a> })}
        </Form>
        {ignored.map(|t| view! { <p class="note" data-testid="filter-ignored">{t}</p> })}
        {filtered.then(|| view! {
            <p class="muted" data-testid="filter-count">{format!("{shown} of {total} components match")}</p>
        })}
        {(shown == 0 && filtered).then(|| view! {
            <section class="empty"><p>"No component matches this filter."</p></section>
        })}
        <div class="grid" data-testid="component-grid">
            {o.cards.into_iter().map(|c| view! { <ComponentCard c linked /> }).collect_view()}
        </div>
        {(!o.tiles.is_empty()).then(|| {
            let label = if other_tiles > 0 {
                format!("{healthy_tiles} healthy · {other_tiles} more needing attention")
            } else {
                format!("{healthy_tiles} healthy")
            };
            // One list per status, worst first: the heading says the status once, so a
            // tile is only its name (1,000 of them stay light).
            let mut groups: Vec<(Status, Vec<Tile>)> = [Status::Unhealthy, Status::Degraded, Status::Unknown, Status::Healthy]
                .into_iter()
                .map(|st| (st, Vec::new()))
                .collect();
            for t in o.tiles {
                if let Some((_, ts)) = groups.iter_mut().find(|(st, _)| *st == t.status) {
                    ts.push(t);
                }
            }
            groups.retain(|(_, ts)| !ts.is_empty());
            view! {
                <details class="tiles" open=open_tiles data-testid="component-tiles">
                    <summary>{label}</summary>
                    {groups.into_iter().map(|(st, ts)| view! {
                        <h3 class=format!("tile-head tile-{}", st.as_str())>
                            <span aria-hidden="true">{st.icon()}</span>
                            {format!(" {} ({})", st.label(), ts.len())}
                        </h3>
                        <ul class=format!("tile-grid tiles-{}", st.as_str()) data-status=st.as_str()>
                            {ts.into_iter().map(|t| tile_view(t, linked)).collect_view()}
                        </ul>
                    }).collect_view()}
                </details>
            }
        })}
    }
}

/// One component in the compact grid: its name, kind and last response time on hover. A
/// plain function, not a component: the grid holds one per healthy component.
fn tile_view(t: Tile, linked: bool) -> AnyView {
    let title = match t.response_time_ms {
        Some(ms) => format!("{} · {}", t.kind, fmt_ms(ms)),
        None => t.kind,
    };
    if linked {
        let href = format!("/components/{}", t.name);
        view! { <li><a href=href title=title>{t.name}</a></li> }.into_any()
    } else {
        view! { <li title=title>{t.name}</li> }.into_any()
    }
}

#[component]
fn OverallCard(summary: HealthSummary) -> impl IntoView {
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
fn ComponentCard(
    c: ComponentHealth,
    /// Whether the visitor may open the component's page (viewer and up).
    linked: bool,
) -> impl IntoView {
    let href = format!("/components/{}", c.component);
    // The bar shows how much of the timeout budget the last check used.
    // A derived group has no timeout of its own: no budget to show.
    let budget = c
        .response_time_ms
        .filter(|_| c.timeout_ms > 0.0)
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
    let tools_changed = c
        .details
        .get("tools_changed_at")
        .and_then(|v| v.as_str())
        .map(fmt_rfc3339);
    let details = serde_json::to_string_pretty(&c.details).unwrap_or_default();
    let has_details = !c.details.is_null();
    view! {
        <article
            class=format!("card card-{}", c.status.as_str())
            data-testid="component-card"
            data-component=c.component.clone()
            data-status=c.status.as_str()
        >
            <CardTop c=&c />
            <h3 class="card-title">
                {if linked {
                    view! { <a href=href.clone() data-testid="component-link">{c.component.clone()}</a> }.into_any()
                } else {
                    view! { <span>{c.component.clone()}</span> }.into_any()
                }}
            </h3>
            <p class="card-sub">{format!("{} check · every {}", c.kind, fmt_interval(c.interval_secs))}</p>
            <dl class="card-facts">
                <div>
                    <dt>"Response"</dt>
                    <dd data-testid="response-time">
                        {c.response_time_ms.map(fmt_ms).unwrap_or_else(|| "—".into())}
                    </dd>
                </div>
                <div>
                    <dt>"Reading"</dt>
                    <dd data-testid="reading">{reading(&c).unwrap_or_else(|| "—".into())}</dd>
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
            {tools_changed.map(|t| view! { <p class="note" data-testid="tools-changed">"Tools changed at " {t}</p> })}
            {c.error_message.clone().map(|e| view! { <p class="error" data-testid="error-message">{e}</p> })}
            {has_details.then(|| view! {
                <details class="card-details">
                    <summary>"Details"</summary>
                    <pre>{details}</pre>
                </details>
            })}
            {linked.then(|| view! { <a class="card-more" href=href>"History →"</a> })}
        </article>
    }
}

/// Seed 000's four traffic cards: CPU, memory, requests per minute, error rate.
#[component]
fn TrafficCards(rt: crate::analytics::RealTime) -> impl IntoView {
    let sys = rt.system.clone();
    let stat = |testid: &'static str, label: &'static str, value: String, sub: String| {
        view! {
            <article class="stat" data-testid=testid>
                <p class="stat-label">{label}</p>
                <p class="stat-value">{value}</p>
                <p class="stat-sub muted">{sub}</p>
            </article>
        }
    };
    let no_sample = || "no host sample yet".to_string();
    let hour = &rt.last_hour;
    view! {
        <div class="stats" data-testid="traffic-cards">
            {stat(
                "stat-cpu",
                "CPU",
                sys.as_ref().map(|s| format!("{:.1}%", s.cpu_pct)).unwrap_or_else(|| "—".into()),
                sys.as_ref().map(|s| format!("disk {:.0}% used", s.disk_pct)).unwrap_or_else(no_sample),
            )}
            {stat(
                "stat-memory",
                "Memory",
                sys.as_ref().map(|s| format!("{:.1}%", s.memory_pct)).unwrap_or_else(|| "—".into()),
                sys.as_ref()
                    .map(|s| format!("{} of {}", fmt_bytes(s.memory_used_bytes as f64), fmt_bytes(s.memory_total_bytes as f64)))
                    .unwrap_or_else(no_sample),
            )}
            {stat(
                "stat-rpm",
                "Requests / min",
                format!("{:.1}", rt.requests_per_minute),
                format!("{} in the last hour", hour.requests),
            )}
            {stat(
                "stat-errors",
                "Error rate",
                format!("{:.1}%", hour.error_rate_pct),
                hour.avg_ms.map(|a| format!("avg {}", fmt_ms(a))).unwrap_or_else(|| "no requests in the last hour".into()),
            )}
        </div>
    }
}

/// The MCP servers among the components, with what their probes found.
#[component]
fn McpServers(table: McpTable, filter: OverviewFilter, linked: bool) -> impl IntoView {
    let McpTable {
        group,
        rows: servers,
        page,
        pages,
        total,
    } = table;
    let text = |c: &ComponentHealth, key: &str| {
        c.details
            .get(key)
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".to_string(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "—".to_string())
    };
    (!servers.is_empty()).then(move || {
        view! {
            <section class="panel servers" data-testid="mcp-servers">
                <h2 class="section-title">"MCP servers"</h2>
                {group.map(|(status, healthy, total)| view! {
                    <p class="muted" data-testid="mcp-group">
                        <StatusPill status />
                        {format!(" {healthy} of {total} servers healthy")}
                    </p>
                })}
                <div class="table-wrap" tabindex="0" role="region" aria-label="MCP servers">
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">"Server"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Verdict"</th>
                                <th scope="col">"Reports as"</th>
                                <th scope="col">"Protocol"</th>
                                <th scope="col" class="num">"Tools"</th>
                                <th scope="col">"Tools changed"</th>
                                <th scope="col" class="num">"Latency"</th>
                                <th scope="col" class="num">"p95"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {servers
                                .iter()
                                .map(|c| {
                                    let href = format!("/components/{}", c.component);
                                    view! {
                                        <tr data-server=c.component.clone()>
                                            <td>{if linked {
                                                view! { <a href=href>{c.component.clone()}</a> }.into_any()
                                            } else {
                                                view! { <span>{c.component.clone()}</span> }.into_any()
                                            }}</td>
                                            <td><StatusPill status=c.status /></td>
                                            <td>{text(c, "verdict").replace('_', " ")}</td>
                                            <td>{format!("{} {}", text(c, "server_name"), text(c, "server_version"))}</td>
                                            <td>{text(c, "protocol_version")}</td>
                                            <td class="num">{text(c, "tool_count")}</td>
                                            <td>
                                                {c.details.get("tools_changed_at").and_then(|v| v.as_str()).map(fmt_rfc3339).unwrap_or_else(|| "—".into())}
                                            </td>
                                            <td class="num">{c.response_time_ms.map(fmt_ms).unwrap_or_else(|| "—".into())}</td>
                                            <td class="num" data-col="p95">{c.p95_ms.map(fmt_ms).unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                {(pages > 1).then(|| view! {
                    <nav class="pager" aria-label="MCP servers pages" data-testid="mcp-pager">
                        {(page > 1).then(|| view! { <a href=filter.href(page - 1) rel="prev">"← Previous"</a> })}
                        <span>{format!("Page {page} of {pages} · {total} servers")}</span>
                        {(page < pages).then(|| view! { <a href=filter.href(page + 1) rel="next">"Next →"</a> })}
                    </nav>
                })}
            </section>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentType;
    use serde_json::json;

    fn health(kind: &str, details: serde_json::Value) -> ComponentHealth {
        ComponentHealth {
            component: "x".into(),
            component_type: ComponentType::Application,
            kind: kind.into(),
            critical: false,
            status: Status::Healthy,
            response_time_ms: Some(1.0),
            timestamp: None,
            details,
            error_message: None,
            last_result_status: Status::Healthy,
            consecutive_failures: 0,
            consecutive_successes: 1,
            interval_secs: 30.0,
            timeout_ms: 5000.0,
            degraded_after_ms: None,
            p95_ms: None,
        }
    }

    #[test]
    fn card_reading_picks_the_telling_figure() {
        let disk = health(
            "disk",
            json!({"used_percent": 72.3, "total_bytes": 270_553_174_016u64}),
        );
        assert_eq!(reading(&disk).as_deref(), Some("72% of 252.0 GiB"));
        let http = health("http", json!({"status_code": 204}));
        assert_eq!(reading(&http).as_deref(), Some("HTTP 204"));
        let db = health("database", json!({"check_results_rows": 12}));
        assert_eq!(reading(&db).as_deref(), Some("12 results"));
        assert_eq!(reading(&health("http", serde_json::Value::Null)), None);
        let pg = health(
            "postgres",
            json!({"connections": 7, "max_connections": 100}),
        );
        assert_eq!(reading(&pg).as_deref(), Some("7/100 conns"));
        let group = health(
            "mcp_group",
            json!({"healthy_servers": 2, "checked_servers": 3}),
        );
        assert_eq!(reading(&group).as_deref(), Some("2/3 servers healthy"));
        let auth = health(
            "group",
            json!({"healthy_components": 3, "checked_components": 4}),
        );
        assert_eq!(reading(&auth).as_deref(), Some("3/4 healthy"));
        let sync = health("role_sync", json!({"failures_last_15m": 2}));
        assert_eq!(reading(&sync).as_deref(), Some("2 failed / 15 min"));
    }

    #[test]
    fn intervals_read_naturally() {
        assert_eq!(fmt_interval(30.0), "30s");
        assert_eq!(fmt_interval(300.0), "5m");
        assert_eq!(fmt_interval(3600.0), "1h");
        assert_eq!(fmt_interval(90.0), "90s");
        let one = health("redis", json!({"connected_clients": 1}));
        assert_eq!(reading(&one).as_deref(), Some("1 client"));
    }

    #[test]
    fn latencies_read_naturally() {
        assert_eq!(fmt_ms(0.42), "0.4 ms");
        assert_eq!(fmt_ms(42.4), "42 ms");
        assert_eq!(fmt_ms(1530.0), "1.53 s");
    }
}

/// Firing alerts, the worst severity first; links to the Alerts page for those who see it.
#[component]
fn AlertBannerView(b: crate::alerts::view::AlertBanner, linked: bool) -> impl IntoView {
    let worst = b.worst.unwrap_or_default();
    let text = format!(
        "{} alert{} firing · worst: {}",
        b.firing,
        if b.firing == 1 { "" } else { "s" },
        worst
    );
    view! {
        <section class=format!("alert-banner sev-{worst}") role="alert" data-testid="alert-banner">
            <span aria-hidden="true">"⚠ "</span>
            {if linked {
                view! { <a href="/alerts">{text}</a> }.into_any()
            } else {
                view! { <span>{text}</span> }.into_any()
            }}
        </section>
    }
}
