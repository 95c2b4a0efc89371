//! `/requests`: top and slowest endpoints over a window, sortable, from the rollups.

use crate::analytics::{EndpointStat, SortBy, SourceCount};
use crate::model::human_duration;
use crate::span::{Span, WINDOWS};
use crate::ui::data::get_endpoints;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{fmt_ms, ErrorBox, SpanPicker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The curl line an operator can paste to see the page come alive.
pub const CURL_EXAMPLE: &str = r#"curl -X POST http://127.0.0.1:3000/api/v1/requests \
  -H "Authorization: Bearer $PULSE_TOKEN" -H "Content-Type: application/json" \
  -d '[{"method":"POST","route":"tools/call","tool":"search","server":"docs","status":200,"duration_ms":42,"role":"developer"}]'"#;

/// What to do when there is no traffic yet.
#[component]
pub fn NoTraffic(window: &'static str) -> impl IntoView {
    view! {
        <section class="empty" data-testid="empty-state">
            <h2>{format!("No requests in the last {window}")}</h2>
            <p>"Send request events to " <code>"POST /api/v1/requests"</code>
               " with a token from " <code>"[ingest] tokens"</code> " (or " <code>"PULSE_INGEST_TOKENS"</code> "):"</p>
            <pre class="code">{CURL_EXAMPLE}</pre>
            <p class="muted">"Or point a gateway's OpenTelemetry exporter at Pulse (on the Requests page), or run "
               <code>"make demo"</code> " to start Pulse with simulated MCP-gateway traffic."</p>
        </section>
    }
}

/// Where events came from since this Pulse started: the JSON API, OTLP, Pulse's own traffic.
#[component]
fn Sources(sources: Vec<SourceCount>, now_ms: i64) -> impl IntoView {
    let label = |s: &str| match s {
        "ingest" => "JSON ingest",
        "otlp" => "OpenTelemetry (OTLP)",
        _ => "Pulse's own requests",
    };
    view! {
        <section class="sources" data-testid="sources" aria-label="Where events came from">
            <span class="muted">"Events received since Pulse started:"</span>
            {sources
                .into_iter()
                .map(|c| {
                    let last = c
                        .last_ms
                        .map(|t| format!("last {} ago", human_duration(((now_ms - t).max(0) / 1000) as u64)))
                        .unwrap_or_else(|| "none yet".into());
                    view! {
                        <span class="source" data-source=c.source.clone()>
                            <strong>{label(&c.source)}</strong>" "
                            <span data-col="events">{c.events}</span>
                            <span class="muted">{format!(" · {last}")}</span>
                        </span>
                    }
                })
                .collect_view()}
        </section>
    }
}

/// Copy-paste exporter settings for the gateways that export OTLP.
#[component]
fn ConnectGateway(otlp_grpc: Option<String>, open: bool) -> impl IntoView {
    // A listener on every interface is reached by this host's name, not 0.0.0.0.
    let grpc = otlp_grpc.map(|a| {
        let a = a
            .replace("0.0.0.0", "<pulse-host>")
            .replace("[::]", "<pulse-host>");
        format!("http://{a}")
    });
    let grpc_line = grpc.clone().unwrap_or_else(|| {
        "(the gRPC listener is off: set [otlp] grpc_addr, or use OTLP/HTTP below)".into()
    });
    let forge = format!(
        "# ContextForge (gRPC only; the header value is passed as written)\n\
         OTEL_ENABLE_OBSERVABILITY=true\n\
         OTEL_TRACES_EXPORTER=otlp\n\
         OTEL_EXPORTER_OTLP_PROTOCOL=grpc\n\
         OTEL_EXPORTER_OTLP_ENDPOINT={grpc_line}\n\
         OTEL_EXPORTER_OTLP_HEADERS=\"authorization=Bearer $PULSE_TOKEN\"\n\
         OTEL_SERVICE_NAME=contextforge"
    );
    let agentgateway = format!(
        "# agentgateway (config.yaml, static tracing)\n\
         config:\n  tracing:\n    otlpEndpoint: {grpc_line}\n\
         # Pulse needs the token: where your agentgateway version cannot send headers, export\n\
         # through an OpenTelemetry Collector whose otlp exporter adds\n\
         #   headers: {{ authorization: \"Bearer $PULSE_TOKEN\" }}"
    );
    let sdk = "# Any OpenTelemetry SDK or collector, OTLP/HTTP on Pulse's own port\n\
               OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
               OTEL_EXPORTER_OTLP_ENDPOINT=http://<pulse-host>:3000\n\
               OTEL_EXPORTER_OTLP_HEADERS=\"authorization=Bearer%20$PULSE_TOKEN\"";
    view! {
        <details class="panel connect" data-testid="connect-gateway" open=open>
            <summary class="section-title">"Connect a gateway (OpenTelemetry)"</summary>
            <p>"Pulse takes OTLP traces and logs from a gateway's own exporter: spans that carry "
               <code>"mcp.method.name"</code> " (or a known vendor shape such as ContextForge's "
               <code>"tool.invoke"</code> ") become requests here, per tool, server, user and role. "
               "Use an ingest token; " <code>"$PULSE_TOKEN"</code> " stands for it."</p>
            <pre class="code" data-testid="connect-contextforge">{forge}</pre>
            <pre class="code" data-testid="connect-agentgateway">{agentgateway}</pre>
            <pre class="code" data-testid="connect-sdk">{sdk}</pre>
            <p class="muted">"The attribute names Pulse reads, and how to add a vendor's own, are in the README (OpenTelemetry)."</p>
        </details>
    }
}

fn pct(v: f64) -> String {
    format!("{v:.1}%")
}

fn ms(v: Option<f64>) -> String {
    v.map(fmt_ms).unwrap_or_else(|| "—".into())
}

#[component]
fn EndpointTable(
    title: &'static str,
    testid: &'static str,
    rows: Vec<EndpointStat>,
    window: Span,
    /// `Some(sort)` makes the numeric headers links that re-sort the table.
    sort: Option<SortBy>,
) -> impl IntoView {
    let mcp = rows.iter().any(|r| r.tool.is_some() || r.server.is_some());
    let head = move |label: &'static str, by: SortBy| match sort {
        Some(current) => {
            let href = format!("?window={}&sort={}", window.as_str(), by.as_str());
            let aria = if current == by { "descending" } else { "none" };
            view! { <th scope="col" class="num" aria-sort=aria><a href=href>{label}</a></th> }
                .into_any()
        }
        None => view! { <th scope="col" class="num">{label}</th> }.into_any(),
    };
    view! {
        <section class="panel" data-testid=testid>
            <h2 class="section-title">{title}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label=title>
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Route"</th>
                            <th scope="col">"Method"</th>
                            {mcp.then(|| view! { <th scope="col">"Server"</th><th scope="col">"Tool"</th> })}
                            {head("Requests", SortBy::Count)}
                            {head("Errors", SortBy::Errors)}
                            {head("Avg", SortBy::Avg)}
                            {head("p95", SortBy::P95)}
                            <th scope="col" class="num">"p99"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                let err_class = if r.error_pct >= 5.0 { "num bad" } else { "num" };
                                view! {
                                    <tr data-route=r.route.clone() data-tool=r.tool.clone().unwrap_or_default()>
                                        <td class="mono">{r.route.clone()}</td>
                                        <td>{r.method.clone()}</td>
                                        {mcp.then(|| view! {
                                            <td>{r.server.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td>{r.tool.clone().unwrap_or_else(|| "—".into())}</td>
                                        })}
                                        <td class="num" data-col="count">{r.count}</td>
                                        <td class=err_class data-col="errors">{format!("{} ({})", r.errors, pct(r.error_pct))}</td>
                                        <td class="num">{ms(r.avg_ms)}</td>
                                        <td class="num" data-col="p95">{ms(r.p95_ms)}</td>
                                        <td class="num">{ms(r.p99_ms)}</td>
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

#[component]
pub fn RequestsPage() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let query = use_query_map();
    let window = Memo::new(move |_| WINDOWS.or_default(query.read().get("window").as_deref()));
    let sort = Memo::new(move |_| {
        query
            .read()
            .get("sort")
            .and_then(|s| SortBy::parse(&s))
            .unwrap_or_default()
    });
    let data = Resource::new(
        move || (window.get(), sort.get(), ctl.tick.get()),
        |(w, s, _)| get_endpoints(w.into(), s.into()),
    );
    let (busy, set_busy) = signal(false);
    let updated_at = Signal::derive(move || {
        data.get()
            .and_then(|r| r.ok())
            .map(|p| p.endpoints.generated_at_ms)
    });
    view! {
        <Title text="Requests" />
        <div class="page-head">
            <h1>"Requests"</h1>
            {move || view! { <SpanPicker view=WINDOWS current=window.get() keep=format!("&sort={}", sort.get().as_str()) /> }}
            <Transition fallback=|| ()>
                <RefreshControls updated_at busy />
            </Transition>
        </div>
        <RefreshTransition fallback=|| view! { <p class="loading">"Loading endpoints…"</p> } set_pending=set_busy>
            {move || Suspend::new(async move {
                let w = window.get_untracked();
                let s = sort.get_untracked();
                match data.await {
                    Ok(p) if p.endpoints.endpoints.is_empty() => {
                        view! {
                            <Sources sources=p.sources now_ms=p.endpoints.generated_at_ms />
                            <NoTraffic window=w.as_str() />
                            <ConnectGateway otlp_grpc=p.otlp_grpc open=true />
                        }
                        .into_any()
                    }
                    Ok(p) => {
                        view! {
                            <Sources sources=p.sources now_ms=p.endpoints.generated_at_ms />
                            <EndpointTable title="Top endpoints" testid="top-endpoints" rows=p.endpoints.endpoints window=w sort=Some(s) />
                            <EndpointTable title="Slowest endpoints (by p95)" testid="slowest-endpoints" rows=p.slowest window=w sort=None />
                            <ConnectGateway otlp_grpc=p.otlp_grpc open=false />
                        }
                        .into_any()
                    }
                    Err(err) => view! { <ErrorBox title="Cannot load endpoints" message=err.to_string() /> }.into_any(),
                }
            })}
        </RefreshTransition>
    }
}
