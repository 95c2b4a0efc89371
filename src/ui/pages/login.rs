//! `/login`: a plain form posted to `/auth/login` (works before the wasm loads, and with
//! password managers); after login the visitor returns to the page that sent them here.

use crate::ui::me::MeCtx;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let q = move |k: &str| query.with_untracked(|m| m.get(k).unwrap_or_default());
    let next = q("next");
    let error = q("error");
    let wait = q("wait");
    let bye = !q("bye").is_empty();
    let me = MeCtx::use_ctx();
    view! {
        <Title text="Log in" />
        <section class="panel login">
            <h1>"Log in to Pulse"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    me.get().await.name.map(|n| view! {
                        <p class="muted" data-testid="logged-in-as">
                            "You are logged in as " <strong>{n}</strong> ". Logging in again switches user."
                        </p>
                    })
                })}
            </Suspense>
            {bye.then(|| view! { <p class="notice" role="status">"You have logged out."</p> })}
            {(!error.is_empty()).then(|| view! {
                <p class="error" role="alert" data-testid="login-error">{crate::permissions::login_message(&error, wait.parse().unwrap_or(60))}</p>
            })}
            <form method="post" action="/auth/login" class="login-form">
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required=true maxlength="64" />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required=true maxlength="256" />
                <input type="hidden" name="next" value=next />
                <button class="btn btn-primary" type="submit">"Log in"</button>
            </form>
        </section>
    }
}
