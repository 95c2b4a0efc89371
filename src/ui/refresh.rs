//! Auto-refresh: the toggle, the interval choice (kept in localStorage) and the timer that
//! bumps a tick the pages' resources depend on.

use leptos::prelude::*;

pub const INTERVALS: [u32; 4] = [5, 15, 30, 60];
pub const DEFAULT_INTERVAL: u32 = 30;
#[cfg(feature = "hydrate")]
const KEY_ENABLED: &str = "pulse.autoRefresh";
#[cfg(feature = "hydrate")]
const KEY_INTERVAL: &str = "pulse.refreshSeconds";

/// Shared across pages, so the choice survives navigation.
#[derive(Clone, Copy)]
pub struct RefreshCtl {
    pub enabled: RwSignal<bool>,
    pub interval_secs: RwSignal<u32>,
    /// Bumped by the timer and by the Refresh button; resources refetch when it changes.
    pub tick: RwSignal<u64>,
}

impl RefreshCtl {
    pub fn provide() -> RefreshCtl {
        let ctl = RefreshCtl {
            enabled: RwSignal::new(true),
            interval_secs: RwSignal::new(DEFAULT_INTERVAL),
            tick: RwSignal::new(0),
        };
        provide_context(ctl);
        ctl.start();
        ctl
    }

    pub fn use_ctx() -> RefreshCtl {
        use_context::<RefreshCtl>().unwrap_or_else(RefreshCtl::provide)
    }

    pub fn refresh_now(&self) {
        self.tick.update(|t| *t += 1);
    }

    /// Browser only: restores the saved choice, persists changes and runs the timer.
    fn start(self) {
        #[cfg(feature = "hydrate")]
        {
            let RefreshCtl {
                enabled,
                interval_secs,
                tick,
            } = self;
            // Restore once, after hydration, so the server-rendered markup matches first.
            Effect::new(move |_| {
                if let Some(s) = storage() {
                    if let Ok(Some(v)) = s.get_item(KEY_ENABLED) {
                        enabled.set(v != "off");
                    }
                    if let Ok(Some(v)) = s.get_item(KEY_INTERVAL) {
                        if let Ok(n) = v.parse::<u32>() {
                            if INTERVALS.contains(&n) {
                                interval_secs.set(n);
                            }
                        }
                    }
                }
            });
            Effect::new(move |prev: Option<()>| {
                let on = enabled.get();
                let secs = interval_secs.get();
                // The first run sees the defaults; writing them would erase the saved choice.
                if prev.is_some() {
                    if let Some(s) = storage() {
                        let _ = s.set_item(KEY_ENABLED, if on { "on" } else { "off" });
                        let _ = s.set_item(KEY_INTERVAL, &secs.to_string());
                    }
                }
                if on {
                    let timer = gloo_timers::callback::Interval::new(secs * 1000, move || {
                        tick.update(|t| *t += 1);
                    });
                    let timer = send_wrapper::SendWrapper::new(timer);
                    on_cleanup(move || drop(timer.take()));
                }
            });
        }
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Header controls: last updated time, auto-refresh toggle, interval and Refresh button.
#[component]
pub fn RefreshControls(
    /// Epoch ms of the data on screen.
    #[prop(into)]
    updated_at: Signal<Option<i64>>,
    /// True while a refresh is in flight.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let ctl = RefreshCtl::use_ctx();
    view! {
        <div class="refresh">
            <span class="updated">
                "Last updated "
                <time data-testid="last-updated">
                    // try_get: a server render's suspense may re-walk this after the request's
                    // owner is gone (leptos' SSR double-check); a dead signal reads as no data.
                    {move || updated_at.try_get().flatten().map(crate::model::clock_utc).unwrap_or_else(|| "—".into())}
                </time>
            </span>
            <label class="switch">
                <input
                    type="checkbox"
                    role="switch"
                    data-testid="auto-refresh"
                    checked=move || ctl.enabled.get()
                    prop:checked=move || ctl.enabled.get()
                    on:change=move |ev| ctl.enabled.set(event_target_checked(&ev))
                />
                <span>"Auto-refresh"</span>
            </label>
            <label class="interval">
                <span class="sr-only">"Refresh interval"</span>
                <select
                    data-testid="refresh-interval"
                    prop:value=move || ctl.interval_secs.get().to_string()
                    prop:disabled=move || !ctl.enabled.get()
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                            ctl.interval_secs.set(n);
                        }
                    }
                >
                    {INTERVALS
                        .iter()
                        .map(|&n| {
                            view! {
                                <option value=n.to_string() selected=move || ctl.interval_secs.get() == n>
                                    {format!("every {n} s")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <button
                class="btn"
                data-testid="refresh"
                on:click=move |_| ctl.refresh_now()
                prop:disabled=move || busy.get()
                aria-busy=move || busy.get().to_string()
            >
                {move || if busy.try_get().unwrap_or(false) { "Refreshing…" } else { "Refresh" }}
            </button>
        </div>
    }
}

/// A `<Transition>` whose pending state (a refresh in flight) reaches `set_pending` in the
/// browser only. On the server nothing is ever pending, and leptos' pending effect there can
/// run after the request's reactive owner is gone and panic on a disposed signal.
#[component]
pub fn RefreshTransition<Chil>(
    #[prop(optional, into)] fallback: ViewFnOnce,
    set_pending: WriteSignal<bool>,
    children: TypedChildren<Chil>,
) -> impl IntoView
where
    Chil: IntoView + Send + 'static,
{
    let set_pending = cfg!(feature = "hydrate").then(|| SignalSetter::from(set_pending));
    Transition(TransitionProps {
        fallback,
        set_pending,
        children,
    })
}
