//! Building blocks more than one page uses: status pill, type badge, error box, span picker,
//! a card's top line, and the number and time formats.

use crate::model::{clock_utc, ComponentHealth, ComponentType, Status};
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
    // On the server in integers where it can: `{:.1}` expands the float exactly, and the
    // compact grid formats one figure per component per render. Not in the browser, where
    // the integer path drew 18 KB of formatting code (brotli) into the Overview's wasm.
    #[cfg(feature = "ssr")]
    if (0.0..1e12).contains(&ms) {
        return if ms >= 1000.0 {
            let centis = (ms / 10.0).round() as u64;
            format!("{}.{:02} s", centis / 100, centis % 100)
        } else if ms >= 10.0 {
            format!("{} ms", ms.round() as u64)
        } else {
            let tenths = (ms * 10.0).round() as u64;
            format!("{}.{} ms", tenths / 10, tenths % 10)
        };
    }
    fmt_ms_float(ms)
}

/// `fmt_ms` through float formatting: the browser's, and the server's outside the integer range.
fn fmt_ms_float(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

pub fn fmt_bytes(b: f64) -> String {
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
        "group" => Some(format!(
            "{}/{} healthy",
            d.get("healthy_components")?.as_u64()?,
            d.get("checked_components")?.as_u64()?
        )),
        "role_sync" => Some(format!(
            "{} failed / 15 min",
            d.get("failures_last_15m")?.as_i64()?
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

/// The admin pages' tabs: users and tokens, Pulse's own audit log, the configuration.
#[component]
pub fn AdminTabs(current: &'static str) -> impl IntoView {
    const TABS: [(&str, &str); 3] = [
        ("/admin", "Users and tokens"),
        ("/admin/audit", "Audit log"),
        ("/admin/config", "Configuration"),
    ];
    view! {
        <nav class="segmented admin-tabs" aria-label="Admin">
            {TABS
                .iter()
                .map(|(href, label)| {
                    let here = *href == current;
                    view! {
                        <a
                            href=*href
                            class:active=here
                            aria-current=here.then_some("page")
                        >
                            {*label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

fn severity_icon(s: &str) -> &'static str {
    match s {
        "critical" => "‼",
        "high" => "▲",
        "medium" => "●",
        _ => "○",
    }
}

fn state_icon(s: &str) -> &'static str {
    match s {
        "firing" => "✖",
        "pending" => "…",
        "resolved" => "✓",
        "no_data" => "?",
        _ => "·",
    }
}

/// An alert's severity: icon and word (colour only repeats them).
#[component]
pub fn Severity(s: String) -> impl IntoView {
    view! {
        <span class=format!("badge sev sev-{s}")>
            <span aria-hidden="true">{severity_icon(&s)} " "</span>
            {s.clone()}
        </span>
    }
}

/// An alert's state: icon and word.
#[component]
pub fn StateWord(s: String) -> impl IntoView {
    let word = s.replace('_', " ");
    view! {
        <span class=format!("alert-state state-{s}")>
            <span aria-hidden="true">{state_icon(&s)} " "</span>
            {word}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_ms, fmt_ms_float as by_float};

    #[test]
    fn durations_read_as_before_across_the_range() {
        assert_eq!(fmt_ms(0.0), "0.0 ms");
        assert_eq!(fmt_ms(3.04), "3.0 ms");
        assert_eq!(fmt_ms(9.96), "10.0 ms");
        assert_eq!(fmt_ms(12.4), "12 ms");
        assert_eq!(fmt_ms(999.6), "1000 ms");
        assert_eq!(fmt_ms(1234.5), "1.23 s");
        assert_eq!(fmt_ms(61_000.0), "61.00 s");
        assert_eq!(fmt_ms(-1.0), "-1.0 ms");
        assert_eq!(fmt_ms(f64::NAN), "NaN ms");
        // Away from exact halves (where the two may round differently) they agree.
        let mut ms = 0.0;
        while ms < 200_000.0 {
            let scaled: [f64; 3] = [ms * 10.0, ms, ms / 10.0];
            let tie = scaled.iter().any(|v| (v.fract() - 0.5).abs() < 1e-6);
            if !tie {
                assert_eq!(fmt_ms(ms), by_float(ms), "{ms}");
            }
            ms = ms * 1.0007 + 0.0013;
        }
    }
}
