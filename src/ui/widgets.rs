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

/// A load failure, said plainly in place of the content.
#[component]
pub fn ErrorBox(title: &'static str, message: String) -> impl IntoView {
    view! {
        <section class="empty error-box" role="alert">
            <h2>{title}</h2>
            <p>{message}</p>
        </section>
    }
}

/// A view's span buttons as links, so the choice is in the URL (shareable, works without JS);
/// `keep` is appended to each link (e.g. `&sort=p95`) so other choices survive.
#[component]
pub fn SpanPicker(
    view: crate::span::Spans,
    current: crate::span::Span,
    #[prop(optional)] keep: String,
) -> impl IntoView {
    view! {
        <nav class="segmented" aria-label=view.label data-testid=format!("{}-picker", view.param)>
            {view
                .allowed
                .iter()
                .map(|s| {
                    let href = format!("?{}={}{keep}", view.param, s.as_str());
                    let current = (*s == current).then_some("page");
                    view! { <a href=href aria-current=current>{s.as_str()}</a> }
                })
                .collect_view()}
        </nav>
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

fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}

/// An interval in the unit a person would write it in: `30s`, `5m`, `1h`.
pub fn fmt_interval(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// The one figure of a check's details that matters most at a glance.
pub fn reading(c: &ComponentHealth) -> Option<String> {
    let d = &c.details;
    match c.kind.as_str() {
        "disk" | "memory" => {
            let pct = d.get("used_percent")?.as_f64()?;
            let total = d.get("total_bytes")?.as_f64()?;
            Some(format!("{pct:.0}% of {}", fmt_bytes(total)))
        }
        "database" => Some(format!(
            "{} results",
            d.get("check_results_rows")?.as_i64()?
        )),
        "http" => Some(format!("HTTP {}", d.get("status_code")?.as_u64()?)),
        "postgres" => Some(format!(
            "{}/{} conns",
            d.get("connections")?.as_i64()?,
            d.get("max_connections")?.as_i64()?
        )),
        "redis" => {
            let n = d.get("connected_clients")?.as_u64()?;
            Some(format!("{n} client{}", if n == 1 { "" } else { "s" }))
        }
        "mcp" => match d.get("verdict")?.as_str()? {
            "ok" | "slow" => Some(format!(
                "{} · {} tools",
                d.get("server_name")?.as_str()?,
                d.get("tool_count").and_then(|n| n.as_u64()).unwrap_or(0)
            )),
            verdict => Some(verdict.replace('_', " ")),
        },
        "mcp_group" => Some(format!(
            "{}/{} servers healthy",
            d.get("healthy_servers")?.as_u64()?,
            d.get("checked_servers")?.as_u64()?
        )),
        "tcp" => d
            .get("peer")
            .and_then(|p| p.as_str())
            .map(|_| "connected".to_string()),
        _ => None,
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

/// Status, type and criticality: the first line of a component's card and detail summary.
#[component]
pub fn CardTop<'a>(c: &'a ComponentHealth) -> impl IntoView {
    let critical = c.critical;
    view! {
        <div class="card-top">
            <StatusPill status=c.status />
            <TypeBadge component_type=c.component_type />
            {critical.then(|| view! { <span class="badge badge-critical">"critical"</span> })}
        </div>
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
                <a href=href.clone() data-testid="component-link">{c.component.clone()}</a>
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
            <a class="card-more" href=href>"History →"</a>
        </article>
    }
}

/// Seed 000's four traffic cards: CPU, memory, requests per minute, error rate.
#[component]
pub fn TrafficCards(rt: crate::analytics::RealTime) -> impl IntoView {
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
pub fn McpServers(components: Vec<ComponentHealth>) -> impl IntoView {
    let group = crate::model::mcp_group_status(&components);
    let servers: Vec<ComponentHealth> =
        components.into_iter().filter(|c| c.kind == "mcp").collect();
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
                <div class="table-wrap">
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
                                            <td><a href=href>{c.component.clone()}</a></td>
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
            </section>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
