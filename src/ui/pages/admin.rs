//! `/admin`: Pulse's users (add, change role, disable, enable) and API tokens (create, shown
//! once; revoke). Admins only; every change is in Pulse's own audit log (`/admin/audit`).

use crate::permissions::{AdminPage as Data, Role, TokenInfo, UserInfo};
use crate::ui::data::{get_admin, CreateToken, CreateUser, RevokeToken, SetUser};
use crate::ui::widgets::{AdminTabs, ErrorBox};
use leptos::prelude::*;
use leptos_meta::Title;

fn date(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "—".to_string())
}

fn role_options(selected: Role) -> impl IntoView {
    Role::ALL
        .iter()
        .rev()
        .map(|r| view! { <option value=r.as_str() selected=*r == selected>{r.as_str()}</option> })
        .collect_view()
}

/// The error of the last run of an action, if it failed.
fn failure<T: Clone + Send + Sync + 'static>(
    value: Option<Result<T, ServerFnError>>,
) -> Option<String> {
    value.and_then(|r| r.err()).map(|e| e.to_string())
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let add_user = ServerAction::<CreateUser>::new();
    let set_user = ServerAction::<SetUser>::new();
    let create_token = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let data = Resource::new(
        move || {
            (
                add_user.version().get(),
                set_user.version().get(),
                create_token.version().get(),
                revoke.version().get(),
            )
        },
        |_| get_admin(),
    );
    let new_token = move || create_token.value().get().and_then(|r| r.ok());
    let errors = move || {
        [
            failure(add_user.value().get()),
            failure(set_user.value().get()),
            failure(create_token.value().get()),
            failure(revoke.value().get()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        <Title text="Admin" />
        <div class="page-head"><h1>"Users and tokens"</h1></div>
        <AdminTabs current="/admin" />
        {move || errors().map(|e| view! { <p class="error" role="alert" data-testid="admin-error">{e}</p> })}
        {move || new_token().map(|t| view! {
            <section class="panel notice" data-testid="new-token">
                <p>"The new token — copy it now, it is not shown again:"</p>
                <code class="secret">{t}</code>
            </section>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Tables d set_user revoke /> }.into_any(),
                    Err(e) => view! { <ErrorBox title="Cannot load users and tokens" message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
        <div class="two-col">
            <section class="panel">
                <h2 class="section-title">"Add a user"</h2>
                <ActionForm action=add_user attr:class="stack-form">
                    <label for="new-name">"Username"</label>
                    <input id="new-name" name="name" required=true maxlength="64" />
                    <label for="new-role">"Role"</label>
                    <select id="new-role" name="role">{role_options(Role::Viewer)}</select>
                    <label for="new-password">"Password"</label>
                    <input id="new-password" name="password" type="password" autocomplete="new-password" required=true minlength="8" />
                    <button class="btn btn-primary" type="submit">"Add user"</button>
                </ActionForm>
            </section>
            <section class="panel">
                <h2 class="section-title">"Create a token"</h2>
                <ActionForm action=create_token attr:class="stack-form">
                    <label for="token-name">"Name"</label>
                    <input id="token-name" name="name" required=true maxlength="64" />
                    <label for="token-role">"Role"</label>
                    <select id="token-role" name="role">{role_options(Role::Analyst)}</select>
                    <label for="token-scope">"Scope"</label>
                    <select id="token-scope" name="scope">
                        <option value="read">"read (analytics APIs)"</option>
                        <option value="ingest">"ingest (posting events)"</option>
                    </select>
                    <label for="token-days">"Expires after (days, empty: never)"</label>
                    <input id="token-days" name="expires_days" type="number" min="1" max="3650" />
                    <button class="btn btn-primary" type="submit">"Create token"</button>
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
fn Tables(
    d: Data,
    set_user: ServerAction<SetUser>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    view! {
        <section class="panel">
            <h2 class="section-title">"Users"</h2>
            <table class="table" data-testid="users">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"State"</th><th scope="col">"Last login"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>
                    {d.users.into_iter().map(|u| view! { <UserRow u set_user /> }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel">
            <h2 class="section-title">"API tokens"</h2>
            {d.tokens.is_empty().then(|| view! { <p class="muted">"No tokens yet."</p> })}
            <table class="table" data-testid="tokens">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Scope"</th><th scope="col">"Starts with"</th><th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"State"</th><th scope="col"></th></tr></thead>
                <tbody>
                    {d.tokens.into_iter().map(|t| view! { <TokenRow t revoke /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn UserRow(u: UserInfo, set_user: ServerAction<SetUser>) -> impl IntoView {
    let name = u.name.clone();
    let toggle_name = u.name.clone();
    let disabled = u.disabled;
    let label = format!("Role of {}", u.name);
    view! {
        <tr>
            <td>{u.name.clone()}</td>
            <td>{u.role.as_str()}</td>
            <td>{if u.disabled { "disabled" } else { "enabled" }}</td>
            <td>{date(u.last_login_ms)}</td>
            <td class="row-actions">
                <ActionForm action=set_user attr:class="inline-form">
                    <input type="hidden" name="name" value=name />
                    <input type="hidden" name="password" value="" />
                    <select name="role" aria-label=label>{role_options(u.role)}</select>
                    <button class="btn btn-small" type="submit">"Save role"</button>
                </ActionForm>
                <button
                    class="btn btn-small"
                    on:click=move |_| {
                        set_user.dispatch(SetUser {
                            name: toggle_name.clone(),
                            role: String::new(),
                            disabled: Some(!disabled),
                            password: String::new(),
                        });
                    }
                >
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
            </td>
        </tr>
    }
}

#[component]
fn TokenRow(t: TokenInfo, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let id = t.id;
    let state = if t.revoked_ms.is_some() {
        "revoked"
    } else {
        "active"
    };
    view! {
        <tr>
            <td>{t.name.clone()}</td>
            <td>{t.role.as_str()}</td>
            <td>{t.scope.as_str()}</td>
            <td><code>{t.prefix.clone()} "…"</code></td>
            <td>{date(t.last_used_ms)}</td>
            <td>{date(t.expires_ms)}</td>
            <td>{state}</td>
            <td>
                {t.revoked_ms.is_none().then(|| view! {
                    <button class="btn btn-small" on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>
                        "Revoke"
                    </button>
                })}
            </td>
        </tr>
    }
}
