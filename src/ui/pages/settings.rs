//! `/admin/config`: the settings Pulse runs with (file, `PULSE_*` environment and defaults
//! merged) as TOML, every secret masked. Admins only; read-only (changes go through the file).

use crate::ui::data::get_config_view;
use crate::ui::widgets::{AdminTabs, ErrorBox};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ConfigPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_config_view());
    view! {
        <Title text="Configuration" />
        <div class="page-head"><h1>"Configuration"</h1></div>
        <AdminTabs current="/admin/config" />
        <p class="muted">
            "The settings in effect: the config file, " <code>"PULSE_*"</code>
            " variables and defaults merged. Secrets are shown as " <code>"***"</code>
            ". To change a setting, edit the file or the environment and restart."
        </p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(text) => view! {
                        <section class="panel">
                            <pre class="config-view" data-testid="config-view" tabindex="0" aria-label="Configuration">{text}</pre>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox title="Cannot show the configuration" message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
    }
}
