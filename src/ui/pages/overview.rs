//! `/`: overall status and one card per component, refreshed in place.

use crate::ui::data::{get_health, get_realtime, get_role_summary};
use crate::ui::pages::roles::RoleSummary;
use crate::ui::refresh::{RefreshControls, RefreshCtl, RefreshTransition};
use crate::ui::widgets::{ComponentCard, ErrorBox, McpServers, OverallCard, TrafficCards};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Overview() -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    let health = Resource::new(move || ctl.tick.get(), |_| get_health());
    let traffic = Resource::new(move || ctl.tick.get(), |_| get_realtime());
    let roles = Resource::new(move || ctl.tick.get(), |_| get_role_summary());
    let (busy, set_busy) = signal(false);
    let updated_at =
        Signal::derive(move || health.get().and_then(|r| r.ok()).map(|s| s.generated_at_ms));

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
                let rt = traffic.await.ok();
                let roles = roles.await.ok();
                match health.await {
                    Ok(summary) => {
                        let cards = summary.components.clone();
                        let summary_components = summary.components.clone();
                        let empty = cards.is_empty();
                        view! {
                            <OverallCard summary />
                            {rt.map(|rt| view! { <TrafficCards rt /> })}
                            <h2 class="section-title">"Components"</h2>
                            {empty.then(|| view! {
                                <section class="empty">
                                    <p>"No components are configured. Add [[components]] tables to pulse.toml (see pulse.example.toml)."</p>
                                </section>
                            })}
                            <div class="grid" data-testid="component-grid">
                                {cards.into_iter().map(|c| view! { <ComponentCard c /> }).collect_view()}
                            </div>
                            <McpServers components=summary_components />
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
