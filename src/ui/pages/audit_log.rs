//! `/admin/audit`: Pulse's own audit log — logins (failed ones too), logouts, user, role and
//! token changes, and who read what — newest first, a page at a time. Admins only.

use crate::permissions::{OwnAuditPage, OwnAuditRow};
use crate::ui::data::get_own_audit;
use crate::ui::widgets::{AdminTabs, ErrorBox};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [(&str, &str); 3] = [
    ("all", "Everything"),
    ("access", "Logins, users and tokens"),
    ("refused", "Refused and failed"),
];

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let only = Memo::new(move |_| {
        let q = query.read().get("only").unwrap_or_default();
        FILTERS
            .iter()
            .find(|(f, _)| *f == q)
            .map(|(f, _)| *f)
            .unwrap_or("all")
    });
    let before = Memo::new(move |_| query.read().get("before").unwrap_or_default());
    let data = Resource::new(
        move || (only.get(), before.get()),
        |(o, b)| get_own_audit(o.to_string(), b),
    );
    view! {
        <Title text="Audit log" />
        <div class="page-head"><h1>"Pulse's audit log"</h1></div>
        <AdminTabs current="/admin/audit" />
        <nav class="segmented" aria-label="Show" data-testid="audit-filter">
            {move || FILTERS.iter().map(|(f, label)| {
                let here = only.get() == *f;
                view! {
                    <a href=format!("/admin/audit?only={f}") class:active=here aria-current=here.then_some("page")>
                        {*label}
                    </a>
                }
            }).collect_view()}
        </nav>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <Events page only=only.get_untracked() first=before.get_untracked().is_empty() /> }.into_any(),
                    Err(e) => view! { <ErrorBox title="Cannot load the audit log" message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Events(page: OwnAuditPage, only: &'static str, first: bool) -> impl IntoView {
    if page.events.is_empty() {
        return view! {
            <section class="empty" data-testid="audit-empty">
                <p>"No events here yet. Logins, logouts, user and token changes and monitoring reads are recorded as they happen (unless " <code>"audit.self_audit"</code> " is off)."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel">
            <table class="table" data-testid="own-audit">
                <thead><tr>
                    <th scope="col">"Time"</th><th scope="col">"Who"</th><th scope="col">"Role"</th>
                    <th scope="col">"Action"</th><th scope="col">"On"</th><th scope="col">"Outcome"</th>
                </tr></thead>
                <tbody>{page.events.into_iter().map(|e| view! { <Event e /> }).collect_view()}</tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                {(!first).then(|| view! { <a href=format!("/admin/audit?only={only}")>"Newest"</a> })}
                {page.older.map(|c| view! {
                    <a href=format!("/admin/audit?only={only}&before={c}") data-testid="audit-older">"Older"</a>
                })}
            </nav>
        </section>
    }
    .into_any()
}

#[component]
fn Event(e: OwnAuditRow) -> impl IntoView {
    let time = crate::model::datetime_utc(e.ts_ms);
    let ok = e.outcome == "success";
    view! {
        <tr>
            <td>{time}</td>
            <td>{e.actor}</td>
            <td>{e.role}</td>
            <td><code>{e.action}</code></td>
            <td>{e.resource.unwrap_or_default()}</td>
            <td class=if ok { "outcome" } else { "outcome outcome-refused" }>
                {(!ok).then(|| view! { <span aria-hidden="true">"⚠ "</span> })}
                {e.outcome}
            </td>
        </tr>
    }
}
