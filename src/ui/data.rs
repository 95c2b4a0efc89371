//! Server functions the dashboard calls. They read the engine's in-memory snapshot (or the
//! store for history), never run checks on a read.

use crate::model::{ComponentDetail, ComponentHealth, HealthSummary};
use crate::ui::codec::Json;
use leptos::prelude::*;

/// A choice a server function takes (a span, a sort order): the page passes the typed value;
/// on the wire it is its name, kept as sent until the function checks it, so a bad or forged
/// value is a 400 naming what is accepted (a value that failed to deserialize would be the
/// server-function layer's 500).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Arg<T> {
    name: String,
    #[serde(skip)]
    kind: std::marker::PhantomData<T>,
}

impl From<crate::span::Span> for Arg<crate::span::Span> {
    fn from(s: crate::span::Span) -> Self {
        Arg {
            name: s.as_str().to_string(),
            kind: std::marker::PhantomData,
        }
    }
}

impl From<crate::analytics::SortBy> for Arg<crate::analytics::SortBy> {
    fn from(s: crate::analytics::SortBy) -> Self {
        Arg {
            name: s.as_str().to_string(),
            kind: std::marker::PhantomData,
        }
    }
}

impl Arg<crate::span::Span> {
    /// The span, if `view` accepts it.
    pub fn within(&self, view: &crate::span::Spans) -> Result<crate::span::Span, String> {
        view.parse(Some(&self.name))
    }
}

impl Arg<crate::analytics::SortBy> {
    pub fn sort(&self) -> Result<crate::analytics::SortBy, String> {
        crate::analytics::SortBy::parse(&self.name)
            .ok_or_else(|| format!("unknown sort `{}`", crate::model::shown(&self.name)))
    }
}

/// How server functions refuse input: a 4xx status (never 500 for the caller's mistake) and a
/// message that echoes at most a short, printable prefix of what was sent.
#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;

    pub fn shown(input: &str) -> String {
        crate::model::shown(input)
    }

    pub fn refuse(status: axum::http::StatusCode, message: String) -> ServerFnError {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(status);
        }
        ServerFnError::new(message)
    }

    pub fn bad(message: String) -> ServerFnError {
        refuse(axum::http::StatusCode::BAD_REQUEST, message)
    }

    /// A user or token operation's error: the caller's mistakes are 400s saying what is wrong,
    /// our failures a logged 500.
    pub fn user_error(e: crate::access::users::UserError) -> ServerFnError {
        use crate::access::users::UserError as E;
        match e {
            E::Store(_)
            | E::File { .. }
            | E::Secret(crate::access::secrets::SecretError::Random(_))
            | E::Secret(crate::access::secrets::SecretError::Hash(_)) => {
                failed::<E>("the change")(e)
            }
            E::NoUser(_) | E::NoToken(_) => {
                refuse(axum::http::StatusCode::NOT_FOUND, e.to_string())
            }
            other => bad(other.to_string()),
        }
    }

    /// Records an administrative change in Pulse's own audit log.
    pub fn audit_admin(
        state: &crate::state::AppState,
        caller: &crate::permissions::Principal,
        action: &'static str,
        resource: &str,
    ) {
        let role = caller.role.map(|r| r.as_str()).unwrap_or("guest");
        state.audit_self(
            caller.actor(),
            role,
            (action, "success"),
            resource.to_string(),
        );
    }

    /// A role named in a form: a 400 naming it when it is none of the six.
    pub fn role(name: &str) -> Result<crate::permissions::Role, ServerFnError> {
        crate::permissions::Role::parse(name)
            .ok_or_else(|| bad(format!("unknown role `{}`", shown(name))))
    }

    /// A failure on our side: the cause goes to the log, the browser gets "could not load
    /// {what}" and a 500, never the internal text.
    pub fn failed<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ServerFnError {
        move |e| {
            tracing::error!(error = %e, "loading {what} failed");
            refuse(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("could not load {what}"),
            )
        }
    }
}

#[server(endpoint = "get_health", output = Json)]
pub async fn get_health() -> Result<HealthSummary, ServerFnError> {
    let (state, caller) = crate::state::authorized("get_health")?;
    let summary = state.engine.summary();
    Ok(if caller.allows(crate::permissions::Permission::Details) {
        summary
    } else {
        summary.statuses_only()
    })
}

/// The Overview under the visitor's filter: full cards for what needs attention, tiles for
/// the healthy rest once there are many, the MCP table a page at a time.
#[server(endpoint = "get_overview", output = Json)]
pub async fn get_overview(
    // An empty filter serialises to nothing (its fields are skipped when empty).
    #[server(default)] filter: crate::overview::OverviewFilter,
) -> Result<crate::overview::OverviewData, ServerFnError> {
    let (state, caller) = crate::state::authorized("get_overview")?;
    let details = caller.allows(crate::permissions::Permission::Details);
    let engine = state.engine.clone();
    let unfiltered = filter.is_empty() && filter.mcp_page <= 1;
    let shaped = move || {
        let summary = engine.summary();
        let summary = if details {
            summary
        } else {
            summary.statuses_only()
        };
        crate::overview::shape(summary, &filter)
    };
    // Every open dashboard asks for the unfiltered first page: it is shaped once per change
    // of the components' state; a filter is shaped per call.
    if unfiltered {
        let cache = state.pages.overview.clone();
        let generation = state.engine.generation();
        let shared = cache
            .get(details, generation, || async move {
                Ok::<_, std::convert::Infallible>(shaped())
            })
            .await
            .map_err(ssr::failed("the overview"))?;
        // Unchanged state since it was shaped: it is the state now, as of now.
        let mut o = (*shared).clone();
        o.summary.generated_at_ms = crate::model::now_ms();
        o.summary.uptime_seconds = state.engine.uptime_seconds();
        Ok(o)
    } else {
        Ok(shaped())
    }
}

/// `None` when no component has that name.
#[server(endpoint = "get_component", output = Json)]
pub async fn get_component(name: String) -> Result<Option<ComponentDetail>, ServerFnError> {
    use crate::health::EngineError;
    let (state, _) = crate::state::authorized("get_component")?;
    match state.engine.detail(&name).await {
        Ok(d) => Ok(Some(d)),
        Err(EngineError::UnknownComponent(_)) => Ok(None),
        Err(e) => {
            tracing::error!(error = %e, component = %name, "loading component detail failed");
            Err(ServerFnError::new("could not load the component's history"))
        }
    }
}

/// Runs (or, within a few seconds of the last, reuses) a component's check.
#[server(endpoint = "run_check", output = Json)]
pub async fn run_check(name: String) -> Result<ComponentHealth, ServerFnError> {
    use crate::health::EngineError;
    let (state, _) = crate::state::authorized("run_check")?;
    match state.engine.check_now(&name).await {
        Ok(c) => Ok(c),
        Err(EngineError::UnknownComponent(_)) => Err(ssr::refuse(
            axum::http::StatusCode::NOT_FOUND,
            format!("no component named `{}`", ssr::shown(&name)),
        )),
        Err(e) => {
            tracing::error!(error = %e, component = %ssr::shown(&name), "check now failed");
            Err(ServerFnError::new("the check could not be recorded"))
        }
    }
}

/// Traffic right now: the overview's cards.
#[server(endpoint = "get_realtime", output = Json)]
pub async fn get_realtime() -> Result<crate::analytics::RealTime, ServerFnError> {
    let (state, _) = crate::state::authorized("get_realtime")?;
    state
        .pages
        .real_time(&state.store, state.writer.generation())
        .await
        .map(|r| (*r).clone())
        .map_err(ssr::failed("traffic figures"))
}

/// Endpoints over a window, sorted, and the slowest; unknown window or sort names are errors,
/// not defaults.
#[server(endpoint = "get_endpoints", output = Json)]
pub async fn get_endpoints(
    window: Arg<crate::span::Span>,
    sort: Arg<crate::analytics::SortBy>,
) -> Result<crate::analytics::RequestsPage, ServerFnError> {
    let (state, _) = crate::state::authorized("get_endpoints")?;
    let window = window.within(&crate::span::WINDOWS).map_err(ssr::bad)?;
    let sort = sort.sort().map_err(ssr::bad)?;
    state
        .pages
        .requests
        .get((window, sort), state.writer.generation(), || {
            crate::analytics::service::requests_page(
                &state.store,
                crate::model::now_ms(),
                window,
                sort,
            )
        })
        .await
        .map(|r| crate::analytics::RequestsPage {
            // Live counters, not part of the cached figures.
            sources: state.writer.sources(),
            otlp_grpc: state.config.otlp.grpc_addr.map(|a| a.to_string()),
            ..(*r).clone()
        })
        .map_err(ssr::failed("endpoints"))
}

#[server(endpoint = "get_trends", output = Json)]
pub async fn get_trends(hours: u32) -> Result<crate::analytics::Trends, ServerFnError> {
    let (state, _) = crate::state::authorized("get_trends")?;
    let hours = crate::span::trend_hours(hours).map_err(ssr::bad)?;
    crate::analytics::service::trends(&state.store, crate::model::now_ms(), hours)
        .await
        .map_err(ssr::failed("trends"))
}

/// Everything the Roles page shows, for one timeframe.
#[server(endpoint = "get_roles", output = Json)]
pub async fn get_roles(
    timeframe: Arg<crate::span::Span>,
) -> Result<crate::analytics::roles::RolesPage, ServerFnError> {
    let (state, _) = crate::state::authorized("get_roles")?;
    let tf = timeframe
        .within(&crate::span::TIMEFRAMES)
        .map_err(ssr::bad)?;
    state
        .pages
        .roles
        .get(tf, state.writer.generation(), || {
            crate::analytics::roles_service::page(
                &state.store,
                &state.config.audit,
                &state.categories,
                crate::model::now_ms(),
                tf,
            )
        })
        .await
        .map(|r| (*r).clone())
        .map_err(ssr::failed("role analytics"))
}

/// Everything the Authentication page shows, for one timeframe.
#[server(endpoint = "get_auth", output = Json)]
pub async fn get_auth(
    timeframe: Arg<crate::span::Span>,
) -> Result<crate::analytics::auth::AuthPage, ServerFnError> {
    let (state, _) = crate::state::authorized("get_auth")?;
    let tf = timeframe
        .within(&crate::span::TIMEFRAMES)
        .map_err(ssr::bad)?;
    let summary = crate::analytics::auth_service::summary(
        &state.store,
        crate::model::now_ms(),
        tf,
        None,
        &state.config.auth_monitoring,
    )
    .await
    .map_err(ssr::failed("authentication analytics"))?;
    let members: Vec<&str> = state
        .engine
        .components()
        .iter()
        .filter(|c| c.group.as_deref() == Some("auth"))
        .map(|c| c.name.as_str())
        .collect();
    let components = state
        .engine
        .summary()
        .components
        .into_iter()
        .filter(|c| {
            c.component == crate::model::AUTH_GROUP || members.contains(&c.component.as_str())
        })
        .collect();
    Ok(crate::analytics::auth::AuthPage {
        summary,
        components,
    })
}

/// The Overview's Roles table (last 24 h).
#[server(endpoint = "get_role_summary", output = Json)]
pub async fn get_role_summary() -> Result<crate::analytics::roles::RoleSummary, ServerFnError> {
    let (state, _) = crate::state::authorized("get_role_summary")?;
    state
        .pages
        .role_summary
        .get((), state.writer.generation(), || {
            crate::analytics::roles_service::summary(
                &state.store,
                &state.config.audit,
                crate::model::now_ms(),
            )
        })
        .await
        .map(|r| (*r).clone())
        .map_err(ssr::failed("the role summary"))
}

/// Who is looking: the dashboard links and shows only what this caller may see.
#[server(endpoint = "whoami", output = Json)]
pub async fn whoami() -> Result<crate::permissions::Me, ServerFnError> {
    let (_, caller) = crate::state::authorized("whoami")?;
    Ok(caller.me())
}

/// Users and tokens, for the admin page.
#[server(endpoint = "get_admin", output = Json)]
pub async fn get_admin() -> Result<crate::permissions::AdminPage, ServerFnError> {
    let (state, _) = crate::state::authorized("get_admin")?;
    let users = crate::access::users::list_users(&state.store)
        .await
        .map_err(ssr::failed("users"))?;
    let tokens = crate::access::users::list_tokens(&state.store)
        .await
        .map_err(ssr::failed("tokens"))?;
    Ok(crate::permissions::AdminPage { users, tokens })
}

/// Creates a user (admin only); a bad name, a taken name or a short password is a 400 saying so.
#[server(endpoint = "create_user", output = Json)]
pub async fn create_user(
    name: String,
    role: String,
    password: String,
) -> Result<(), ServerFnError> {
    let (state, caller) = crate::state::authorized("create_user")?;
    let role = ssr::role(&role)?;
    crate::access::users::add_user(&state.store, name.trim(), role, &password)
        .await
        .map_err(ssr::user_error)?;
    ssr::audit_admin(&state, &caller, "user.create", name.trim());
    Ok(())
}

/// Changes a user's role, enabled state or password (admin only). Empty strings change nothing.
#[server(endpoint = "set_user", output = Json)]
pub async fn set_user(
    name: String,
    role: String,
    disabled: Option<bool>,
    password: String,
) -> Result<(), ServerFnError> {
    let (state, caller) = crate::state::authorized("set_user")?;
    let role = match role.as_str() {
        "" => None,
        r => Some(ssr::role(r)?),
    };
    let password = (!password.is_empty()).then_some(password.as_str());
    crate::access::users::change_user(&state.store, &name, password, role, disabled)
        .await
        .map_err(ssr::user_error)?;
    state.access.identifier.forget_all();
    let action = if role.is_some() {
        "role.change"
    } else {
        "user.update"
    };
    ssr::audit_admin(&state, &caller, action, &name);
    Ok(())
}

/// Creates an API token (admin only) and returns it: the only time it is shown.
#[server(endpoint = "create_token", output = Json)]
pub async fn create_token(
    name: String,
    role: String,
    scope: String,
    expires_days: Option<u32>,
) -> Result<String, ServerFnError> {
    let (state, caller) = crate::state::authorized("create_token")?;
    let role = ssr::role(&role)?;
    let scope = crate::permissions::Scope::parse(&scope)
        .ok_or_else(|| ssr::bad(format!("unknown scope `{}`", ssr::shown(&scope))))?;
    let expires = match expires_days {
        Some(0) | None => None,
        Some(d) if d <= 3650 => Some(std::time::Duration::from_secs(u64::from(d) * 86_400)),
        Some(_) => return Err(ssr::bad("a token expires within 3650 days".to_string())),
    };
    let (_, token) =
        crate::access::users::create_token(&state.store, name.trim(), role, scope, expires)
            .await
            .map_err(ssr::user_error)?;
    ssr::audit_admin(&state, &caller, "token.create", name.trim());
    Ok(token)
}

#[server(endpoint = "revoke_token", output = Json)]
pub async fn revoke_token(id: i64) -> Result<(), ServerFnError> {
    let (state, caller) = crate::state::authorized("revoke_token")?;
    crate::access::users::revoke_token(&state.store, id)
        .await
        .map_err(ssr::user_error)?;
    state.access.identifier.forget_all();
    ssr::audit_admin(&state, &caller, "token.revoke", &id.to_string());
    Ok(())
}

/// Pulse's own audit log, a page at a time (admin only). `only` is `all`, `access` (logins,
/// logouts, user and token changes) or `refused`; `before` is the `older` cursor of the page
/// before, or empty for the newest.
#[server(endpoint = "get_own_audit", output = Json)]
pub async fn get_own_audit(
    only: String,
    before: String,
) -> Result<crate::permissions::OwnAuditPage, ServerFnError> {
    use crate::store::OwnAuditFilter as F;
    const PAGE: i64 = 50;
    let (state, _) = crate::state::authorized("get_own_audit")?;
    let filter = match only.as_str() {
        "" | "all" => F::All,
        "access" => F::Access,
        "refused" => F::Refused,
        other => {
            return Err(ssr::bad(format!(
                "unknown filter `{}`; filters: all, access, refused",
                ssr::shown(other)
            )))
        }
    };
    let cursor = match before.as_str() {
        "" => None,
        c => Some(
            crate::model::parse_cursor(c)
                .ok_or_else(|| ssr::bad(format!("bad cursor `{}`", ssr::shown(c))))?,
        ),
    };
    let rows = state
        .store
        .own_audit(cursor, filter, PAGE + 1)
        .await
        .map_err(ssr::failed("the audit log"))?;
    let more = rows.len() as i64 > PAGE;
    let mut events = Vec::with_capacity(rows.len());
    let mut last = None;
    for (c, e) in rows.into_iter().take(PAGE as usize) {
        last = Some(c);
        events.push(crate::permissions::OwnAuditRow {
            ts_ms: e.ts_ms,
            actor: e.actor_id,
            role: e.actor_role,
            action: e.action,
            resource: e.resource,
            outcome: e.outcome,
        });
    }
    let older = last.filter(|_| more).map(|(ts, id)| format!("{ts}.{id}"));
    Ok(crate::permissions::OwnAuditPage { events, older })
}

/// The settings in effect as TOML, secrets masked (admin only).
#[server(endpoint = "get_config_view", output = Json)]
pub async fn get_config_view() -> Result<String, ServerFnError> {
    let (state, _) = crate::state::authorized("get_config_view")?;
    state.config.shown().map_err(|e| {
        tracing::error!(error = %e, "configuration view failed");
        ServerFnError::new("the configuration cannot be shown")
    })
}

/// The Alerts page: active alerts, recent history and the channels (viewers and up).
#[server(endpoint = "get_alerts", output = Json)]
pub async fn get_alerts() -> Result<crate::alerts::view::AlertsOverview, ServerFnError> {
    let (state, _) = crate::state::authorized("get_alerts")?;
    state
        .alerts
        .overview()
        .await
        .map_err(ssr::failed("the alerts"))
}

/// How many alerts fire and the worst severity: the Overview's banner (anyone who sees the
/// Overview).
#[server(endpoint = "get_alert_banner", output = Json)]
pub async fn get_alert_banner() -> Result<crate::alerts::view::AlertBanner, ServerFnError> {
    let (state, _) = crate::state::authorized("get_alert_banner")?;
    Ok(crate::alerts::view::AlertBanner::of(
        &state.alerts.active().await,
    ))
}

/// Sends a test notification to one channel and says how it went (developers and up).
#[server(endpoint = "send_test_notification", output = Json)]
pub async fn send_test_notification(
    channel: String,
) -> Result<crate::alerts::view::DeliveryView, ServerFnError> {
    let (state, caller) = crate::state::authorized("send_test_notification")?;
    use crate::alerts::listing::TestRefused;
    state
        .alerts
        .send_test(&channel, &caller.actor())
        .await
        .map_err(|e| match e {
            TestRefused::UnknownChannel => ssr::refuse(
                axum::http::StatusCode::NOT_FOUND,
                format!("no channel is named `{}`", ssr::shown(&channel)),
            ),
            TestRefused::TooSoon { retry_after_s } => ssr::refuse(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                format!("a test went to this channel moments ago; try again in {retry_after_s} s"),
            ),
        })
}

/// Silences an alert for a while (managers and up): `matchers` as lines of `name=value`
/// (or `!=`, `=~`, `!~`), `hours` 1 to 2160.
#[server(endpoint = "create_silence", output = Json)]
pub async fn create_silence(
    matchers: String,
    hours: String,
    comment: String,
) -> Result<i64, ServerFnError> {
    let (state, caller) = crate::state::authorized("create_silence")?;
    let mut pairs = Vec::new();
    for line in matchers.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let m = crate::suppression::Matcher::parse(line).ok_or_else(|| {
            ssr::bad(format!(
                "matchers: `{}` is not name=value (or name!=value, name=~regex, name!~regex)",
                ssr::shown(line)
            ))
        })?;
        pairs.push(m);
    }
    let hours: i64 = hours
        .trim()
        .parse()
        .ok()
        .filter(|h| (1..=2160).contains(h))
        .ok_or_else(|| ssr::bad("hours: a whole number from 1 to 2160".to_string()))?;
    let now = crate::model::now_ms();
    let s = crate::suppression::Silence::new(
        pairs,
        (now, now + hours * 3_600_000),
        now,
        caller.actor(),
        &comment,
    )
    .map_err(|(field, reason)| ssr::bad(format!("{field}: {reason}")))?;
    state
        .alerts
        .create_silence(&s)
        .await
        .map_err(ssr::failed("the silence"))
}

/// Ends a silence now (managers and up).
#[server(endpoint = "expire_silence", output = Json)]
pub async fn expire_silence(id: i64) -> Result<(), ServerFnError> {
    let (state, _) = crate::state::authorized("expire_silence")?;
    match state.alerts.expire_silence(id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ssr::refuse(
            axum::http::StatusCode::NOT_FOUND,
            format!("no running silence has id {id}"),
        )),
        Err(e) => Err(ssr::failed("the silence")(e)),
    }
}

/// Ends a maintenance window made through the API or this page (managers and up).
#[server(endpoint = "expire_window", output = Json)]
pub async fn expire_window(id: i64) -> Result<(), ServerFnError> {
    let (state, _) = crate::state::authorized("expire_window")?;
    match state.alerts.expire_window(id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ssr::refuse(
            axum::http::StatusCode::NOT_FOUND,
            format!("no open maintenance window has id {id}"),
        )),
        Err(e) => Err(ssr::failed("the window")(e)),
    }
}

/// The alerts of one component (those labelled with it): pending, firing or without data.
#[server(endpoint = "get_component_alerts", output = Json)]
pub async fn get_component_alerts(
    name: String,
) -> Result<Vec<crate::alerts::view::ActiveAlert>, ServerFnError> {
    let (state, _) = crate::state::authorized("get_component_alerts")?;
    Ok(state
        .alerts
        .active()
        .await
        .into_iter()
        .filter(|a| a.labels.iter().any(|(k, v)| k == "component" && v == &name))
        .collect())
}
