//! Access control through the whole router: every route and server function has a rule, each
//! role gets exactly what the permission table gives it, logins, sessions, tokens, cross-site
//! writes, foreign host names and the security headers.

use super::helpers::*;
use axum::http::StatusCode;
use mcp_pulse::access::rules::Rules;
use mcp_pulse::permissions::{role_allows, Permission, Role, PAGES, SERVER_FNS};
use serde_json::Value;

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{name}", "db").replace("{view}", "actions")
}

#[tokio::test]
async fn every_route_page_and_server_function_has_a_rule() {
    let _h = harness("").await;
    let rules = Rules::build(&mcp_pulse::api::rules()).unwrap();
    // The pages the Leptos router serves, as axum paths.
    let pages = leptos_axum::generate_route_list(mcp_pulse::ui::App);
    assert!(!pages.is_empty());
    for p in &pages {
        assert!(
            rules.covers(p.path()),
            "page {} has no permission rule",
            p.path()
        );
    }
    // Every server function the binary registers.
    let fns: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(fns.len() >= SERVER_FNS.len(), "{fns:?}");
    for (path, _) in &fns {
        assert!(
            rules.covers(path),
            "server function {path} has no permission rule"
        );
    }
    // And the table names nothing that does not exist (a stale rule hides a missing one).
    for (name, _) in SERVER_FNS {
        let path = format!("/api/{name}");
        assert!(
            fns.iter().any(|(p, _)| *p == path),
            "{path} is in the table but not served"
        );
    }
    for (page, _) in PAGES {
        assert!(
            pages.iter().any(|p| p.path() == *page),
            "{page} is in the table but not routed"
        );
    }
}

/// Every route, as anonymous (guest) and as each role: allowed → not 401/403/login redirect;
/// refused → 303 to /login (anonymous, pages), 401 (anonymous, the rest) or 403.
#[tokio::test]
async fn each_role_gets_what_the_permission_table_gives() {
    let h = harness("").await;
    let mut cases: Vec<(String, &str, Permission, bool)> = Vec::new();
    for r in mcp_pulse::api::table() {
        let perm = match r.rule {
            mcp_pulse::access::rules::Rule::Need(p) => p,
            mcp_pulse::access::rules::Rule::Metrics => Permission::Public,
        };
        // Logging out would end the session the next case uses.
        if r.path == "/auth/logout" || perm == Permission::Ingest {
            continue;
        }
        let method = if r.path.ends_with("/check") || r.path.starts_with("/auth/") {
            "POST"
        } else {
            "GET"
        };
        cases.push((concrete(r.path), method, perm, false));
    }
    for (page, perm) in PAGES {
        cases.push((concrete(page), "GET", *perm, true));
    }
    for (name, perm) in SERVER_FNS {
        cases.push((format!("/api/{name}"), "POST", *perm, false));
    }
    let mut checked = 0;
    for who in std::iter::once(None).chain(Role::ALL.into_iter().map(Some)) {
        let cookie = match who {
            Some(role) => h.session(role).await,
            None => String::new(),
        };
        for (path, method, perm, page) in &cases {
            let headers: Vec<(&str, &str)> = if cookie.is_empty() {
                vec![("content-type", "application/x-www-form-urlencoded")]
            } else {
                vec![
                    ("cookie", cookie.as_str()),
                    ("content-type", "application/x-www-form-urlencoded"),
                ]
            };
            let (status, body, resp_headers) = call_full(&h, method, path, &headers).await;
            // Anonymous visitors act as guests (the default `[auth] anonymous`).
            let role = who.or(Some(Role::Guest));
            let allowed = role_allows(role, *perm);
            let label = format!("{method} {path} as {who:?} (needs {})", perm.as_str());
            if allowed {
                let to_login = status == StatusCode::SEE_OTHER
                    && resp_headers["location"]
                        .to_str()
                        .unwrap()
                        .starts_with("/login?next");
                let refused = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status);
                assert!(
                    !refused && !to_login,
                    "{label}: allowed but got {status}: {body}"
                );
            } else if who.is_none() && *page {
                assert_eq!(status, StatusCode::SEE_OTHER, "{label}");
                let to = resp_headers["location"].to_str().unwrap();
                assert!(to.starts_with("/login?next="), "{label}: {to}");
            } else if who.is_none() {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}: {body}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
                if *page {
                    assert!(
                        body.contains("Not allowed"),
                        "{label}: a 403 page, not a blank one"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
}

#[tokio::test]
async fn with_anonymous_none_nothing_but_login_and_probes_is_open() {
    let h = harness("[auth]\nanonymous = \"none\"\n").await;
    let (s, _, hd) = call_full(&h, "GET", "/", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd["location"], "/login?next=%2F");
    assert_eq!(
        call_with(&h, "GET", "/health", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_with(&h, "POST", "/api/get_health", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_with(&h, "GET", "/health/live", &[]).await.0,
        StatusCode::OK
    );
    assert_eq!(call_with(&h, "GET", "/login", &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn guests_see_statuses_without_error_texts_or_details() {
    let h = harness(&format!(
        "[[components]]\nname = \"upstream\"\nkind = \"http\"\nurl = \"http://127.0.0.1:{}/\"\n",
        closed_port()
    ))
    .await;
    call(&h, "POST", "/health/components/upstream/check").await;
    let (s, body) = call_with(&h, "GET", "/health", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    let up = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "upstream")
        .unwrap();
    assert_eq!(up["status"], "unhealthy");
    assert!(up["error_message"].is_null(), "{up}");
    assert!(up["details"].is_null(), "{up}");
    // A viewer sees why.
    let viewer = h.session(Role::Viewer).await;
    let (_, body) = call_with(&h, "GET", "/health", &[("cookie", &viewer)]).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let up = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "upstream")
        .unwrap();
    assert!(
        up["error_message"].as_str().is_some_and(|e| !e.is_empty()),
        "{up}"
    );
    // The server function the Overview uses hides the same for a guest.
    let (_, body) = call_with(&h, "POST", "/api/get_health", &[]).await;
    assert!(
        body.contains("upstream") && !body.contains("refused"),
        "{body}"
    );
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn post_form(
    h: &Harness,
    path: &str,
    body: String,
    extra: &[(&str, &str)],
) -> (StatusCode, String, axum::http::HeaderMap) {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    headers.extend_from_slice(extra);
    request(h, "POST", path, &headers, axum::body::Body::from(body)).await
}

fn cookie_of(headers: &axum::http::HeaderMap) -> String {
    let set = headers["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn login_session_logout_and_throttling() {
    let h = harness("").await;
    mcp_pulse::access::users::add_user(&h.state.store, "ana", Role::Analyst, "s3cret-pass")
        .await
        .unwrap();
    // Wrong password: back to the form with the reason, no cookie.
    let (s, _, hd) = post_form(
        &h,
        "/auth/login",
        form(&[
            ("username", "ana"),
            ("password", "nope-nope"),
            ("next", "/roles"),
        ]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd["location"], "/login?error=invalid&next=%2Froles");
    assert!(hd.get("set-cookie").is_none());
    // Right password: a session cookie and back to the page that sent the visitor.
    let (s, _, hd) = post_form(
        &h,
        "/auth/login",
        form(&[
            ("username", "ana"),
            ("password", "s3cret-pass"),
            ("next", "/roles"),
        ]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd["location"], "/roles");
    let set = hd["set-cookie"].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http: no Secure flag: {set}");
    let cookie = cookie_of(&hd);
    assert_eq!(
        call_with(&h, "GET", "/roles", &[("cookie", &cookie)])
            .await
            .0,
        StatusCode::OK
    );
    let (_, me) = call_with(&h, "POST", "/api/whoami", &[("cookie", &cookie)]).await;
    assert!(me.contains("\"ana\"") && me.contains("analyst"), "{me}");
    // Behind an https proxy the cookie is Secure.
    let (_, _, hd) = post_form(
        &h,
        "/auth/login",
        form(&[("username", "ana"), ("password", "s3cret-pass")]),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(hd["set-cookie"].to_str().unwrap().contains("Secure"));
    // An off-site `next` is not followed.
    let (_, _, hd) = post_form(
        &h,
        "/auth/login",
        form(&[
            ("username", "ana"),
            ("password", "s3cret-pass"),
            ("next", "//evil.example/"),
        ]),
        &[],
    )
    .await;
    assert_eq!(hd["location"], "/");
    // Logout ends the session on the server, not just in the browser.
    let (s, _, hd) = post_form(&h, "/auth/logout", String::new(), &[("cookie", &cookie)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(hd["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (s, _, hd) = call_full(&h, "GET", "/roles", &[("cookie", &cookie)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(hd["location"], "/login?next=%2Froles");
    // Five attempts a minute per user name; the next waits, with Retry-After.
    let mut last = StatusCode::OK;
    let mut retry = None;
    for _ in 0..6 {
        let (s, _, hd) =
            post_form_json(&h, r#"{"username":"bob","password":"wrong-password"}"#).await;
        last = s;
        retry = hd.get("retry-after").cloned();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=13).contains(&secs), "{secs}");
    // Failed logins are in Pulse's own audit log.
    let mut found = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, e) = get(&h, "/api/v1/audit/export?timeframe=1h").await;
        let list = e["events"].as_array().cloned().unwrap_or_default();
        if list.iter().any(|e| {
            e["action"] == "auth.login" && e["outcome"] == "failure" && e["actor_id"] == "bob"
        }) {
            found = list.iter().any(|e| {
                e["action"] == "auth.login" && e["outcome"] == "success" && e["actor_id"] == "ana"
            });
            break;
        }
    }
    assert!(found, "login successes and failures are audited");
}

async fn post_form_json(h: &Harness, body: &str) -> (StatusCode, Value, axum::http::HeaderMap) {
    send(
        h,
        "POST",
        "/auth/login",
        None,
        axum::body::Body::from(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn sessions_are_in_the_database_and_survive_a_restart() {
    let h = harness("").await;
    let cookie = h.session(Role::Viewer).await;
    assert_eq!(
        call_with(&h, "GET", "/requests", &[("cookie", &cookie)])
            .await
            .0,
        StatusCode::OK
    );
    // A second Pulse over the same database (a restart, or another replica) knows it.
    let config = (*h.state.config).clone();
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("mcp-pulse")
        .build();
    let state = mcp_pulse::server::build_state(config, options)
        .await
        .unwrap();
    let other = mcp_pulse::server::app(state);
    use tower::ServiceExt;
    let req = axum::http::Request::get("/requests")
        .header("cookie", &cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(other.oneshot(req).await.unwrap().status(), StatusCode::OK);
    // A forged session id is an anonymous visitor.
    let (s, _) = call_with(
        &h,
        "GET",
        "/requests",
        &[("cookie", "pulse_session=forged")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn api_tokens_are_created_used_and_revoked() {
    let h = harness("").await;
    let store = &h.state.store;
    let (id, token) = mcp_pulse::access::users::create_token(
        store,
        "ci",
        Role::Analyst,
        mcp_pulse::permissions::Scope::Read,
        None,
    )
    .await
    .unwrap();
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    assert_eq!(
        call_with(&h, "GET", "/api/v1/analytics/summary", &auth)
            .await
            .0,
        StatusCode::OK
    );
    // A read token cannot post events, and an analyst token cannot run checks.
    let (s, _, _) = send(
        &h,
        "POST",
        "/api/v1/requests",
        Some(&token),
        axum::body::Body::from("[]"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        call_with(&h, "POST", "/health/components/db/check", &auth)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Listed with its last use, never with the secret.
    let admin = h.session(Role::Admin).await;
    let (s, listing) = call_with(&h, "POST", "/api/get_admin", &[("cookie", &admin)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        listing.contains("\"ci\"") && !listing.contains(&token),
        "{listing}"
    );
    let v: Value = serde_json::from_str(&listing).unwrap();
    assert!(v["tokens"][0]["last_used_ms"].as_i64().is_some(), "{v}");
    // Revoked (through the admin's server function, with a same-site Origin): refused at once.
    let (s, body, _) = post_form(
        &h,
        "/api/revoke_token",
        form(&[("id", &id.to_string())]),
        &[
            ("cookie", &admin),
            ("host", "localhost:3000"),
            ("origin", "http://localhost:3000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        call_with(&h, "GET", "/api/v1/analytics/summary", &auth)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // An ingest token posts events and reads nothing.
    let (_, ingest) = mcp_pulse::access::users::create_token(
        store,
        "gw",
        Role::Viewer,
        mcp_pulse::permissions::Scope::Ingest,
        None,
    )
    .await
    .unwrap();
    let (s, body) = post(&h, &serde_json::json!([{"method": "POST", "route": "tools/call", "status": 200, "duration_ms": 5}]), Some(&ingest)).await;
    assert!(s.is_success(), "{s} {body}");
    let bearer = format!("Bearer {ingest}");
    assert_eq!(
        call_with(
            &h,
            "GET",
            "/api/v1/analytics/summary",
            &[("authorization", &bearer)]
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // An expired token is refused.
    let (_, old) = mcp_pulse::access::users::create_token(
        store,
        "old",
        Role::Analyst,
        mcp_pulse::permissions::Scope::Read,
        Some(std::time::Duration::from_millis(1)),
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let bearer = format!("Bearer {old}");
    assert_eq!(
        call_with(
            &h,
            "GET",
            "/api/v1/analytics/summary",
            &[("authorization", &bearer)]
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn cross_site_writes_and_foreign_hosts_are_refused() {
    let h = harness("").await;
    let dev = h.session(Role::Developer).await;
    let evil = [
        ("cookie", dev.as_str()),
        ("host", "localhost:3000"),
        ("origin", "https://evil.example"),
    ];
    assert_eq!(
        call_with(&h, "POST", "/health/components/db/check", &evil)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, _, _) = post_form(&h, "/api/run_check", form(&[("name", "db")]), &evil).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let fetch_meta = [("cookie", dev.as_str()), ("sec-fetch-site", "cross-site")];
    assert_eq!(
        call_with(&h, "POST", "/health/components/db/check", &fetch_meta)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let referer = [
        ("cookie", dev.as_str()),
        ("host", "localhost:3000"),
        ("referer", "https://evil.example/page"),
    ];
    assert_eq!(
        call_with(&h, "POST", "/health/components/db/check", &referer)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // A cross-site login form (login CSRF) is refused too.
    let (s, _, _) = post_form(
        &h,
        "/auth/login",
        form(&[("username", "a"), ("password", "b")]),
        &[
            ("host", "localhost:3000"),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The same request from Pulse's own page goes through.
    let own = [
        ("cookie", dev.as_str()),
        ("host", "localhost:3000"),
        ("origin", "http://localhost:3000"),
    ];
    assert_eq!(
        call_with(&h, "POST", "/health/components/db/check", &own)
            .await
            .0,
        StatusCode::OK
    );
    // DNS rebinding: a name Pulse was not told about gets 421; probes answer any name.
    let (s, body) = call_with(&h, "GET", "/", &[("host", "evil.example")]).await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST, "{body}");
    assert_eq!(
        call_with(&h, "GET", "/health/live", &[("host", "evil.example")])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call_with(&h, "GET", "/", &[("host", "127.0.0.1:3000")])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call_with(&h, "GET", "/", &[("host", "localhost")]).await.0,
        StatusCode::OK
    );
    drop(h);
    let named = harness("[server]\nallowed_hosts = [\"pulse.example.com\"]\n").await;
    assert_eq!(
        call_with(&named, "GET", "/", &[("host", "pulse.example.com")])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn security_headers_are_on_pages_apis_and_static_files() {
    let h = harness("").await;
    for path in ["/", "/health", "/login", "/favicon.svg", "/pkg/missing.js"] {
        let (_, body, hd) = call_full(&h, "GET", path, &[]).await;
        let csp = hd["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
        assert_eq!(hd["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(hd["x-frame-options"], "DENY", "{path}");
        assert_eq!(hd["referrer-policy"], "same-origin", "{path}");
        if path == "/" {
            // The page's inline scripts carry the nonce its policy names.
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap();
            assert!(body.contains(&format!("nonce=\"{nonce}\"")), "{body}");
        }
    }
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let h = harness("[metrics]\nbearer_token = \"metrics-token-0123456789\"\n").await;
    assert_eq!(
        call_with(&h, "GET", "/metrics", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, text) = call_with(
        &h,
        "GET",
        "/metrics",
        &[("authorization", "Bearer metrics-token-0123456789")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("pulse_"), "{text}");
    assert_eq!(
        call_with(
            &h,
            "GET",
            "/metrics",
            &[("authorization", "Bearer wrong-token-0123456789")]
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_first_run_creates_one_admin_with_a_private_password_file() {
    use mcp_pulse::access::users::{ensure_admin, FirstRun};
    let h = harness("").await;
    let dir = tempfile::tempdir().unwrap();
    let first = ensure_admin(&h.state.store, dir.path(), None)
        .await
        .unwrap();
    let FirstRun::Generated { password, file } = first else {
        panic!("expected a generated password, got {first:?}");
    };
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), password);
    assert!(password.len() >= 20);
    // A second start changes nothing.
    assert_eq!(
        ensure_admin(&h.state.store, dir.path(), None)
            .await
            .unwrap(),
        FirstRun::HasUsers
    );
    // The password logs in as admin.
    let body = serde_json::json!({"username": "admin", "password": password}).to_string();
    let (s, v, _) = send(
        &h,
        "POST",
        "/auth/login",
        None,
        axum::body::Body::from(body),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["role"], "admin");
}

/// The admin's view of Pulse's own audit log: failed and successful logins with the real user,
/// filtered and paged newest first; and the configuration view, with no secret in it.
#[tokio::test]
async fn admins_read_pulses_own_audit_log_and_the_configuration_without_secrets() {
    let h = harness("[metrics]\nbearer_token = \"metrics-secret-0123456789\"\n").await;
    mcp_pulse::access::users::add_user(&h.state.store, "ana", Role::Analyst, "s3cret-pass")
        .await
        .unwrap();
    let login = |password: &'static str| {
        post_form(
            &h,
            "/auth/login",
            form(&[("username", "ana"), ("password", password)]),
            &[],
        )
    };
    assert!(login("wrong-one").await.2.get("set-cookie").is_none());
    assert!(login("s3cret-pass").await.2.get("set-cookie").is_some());
    let admin = h.session(Role::Admin).await;
    let page = |only: &str, before: &str| {
        own_audit(&h, &admin, form(&[("only", only), ("before", before)]))
    };
    // Self events are written by the batching writer: wait for both logins.
    let mut access = Value::Null;
    for _ in 0..50 {
        access = page("access", "").await;
        if access["events"].as_array().map_or(0, |e| e.len()) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let events = access["events"].as_array().expect("events");
    assert_eq!(events.len(), 2, "{access}");
    // Newest first: the success, then the failure, both by the real user.
    assert_eq!(events[0]["action"], "auth.login");
    assert_eq!(events[0]["actor"], "ana");
    assert_eq!(events[0]["outcome"], "success");
    assert_eq!(events[1]["outcome"], "failure");
    assert!(access["older"].is_null());
    let refused = page("refused", "").await;
    assert!(refused["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["outcome"] != "success"));
    // Paged: 60 more events → a full page of 50, then the rest, none twice.
    for i in 0..60 {
        h.state.audit_self(
            "ana".to_string(),
            "analyst",
            ("token.create", "success"),
            format!("t{i}"),
        );
    }
    let mut first = Value::Null;
    for _ in 0..50 {
        first = page("access", "").await;
        if first["older"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(first["events"].as_array().unwrap().len(), 50);
    let second = page("access", first["older"].as_str().unwrap()).await;
    assert_eq!(second["events"].as_array().unwrap().len(), 12);
    assert!(second["older"].is_null());
    // Bad filters and cursors are 400s saying what is accepted.
    let (s, b, _) = post_form(
        &h,
        "/api/get_own_audit",
        form(&[("only", "everything"), ("before", "")]),
        &[("cookie", &admin)],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("all, access, refused"), "{b}");
    let (s, _, _) = post_form(
        &h,
        "/api/get_own_audit",
        form(&[("only", "all"), ("before", "1; DROP TABLE x")]),
        &[("cookie", &admin)],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The configuration: the settings, never the secret.
    let (s, text) = call_with(&h, "POST", "/api/get_config_view", &[("cookie", &admin)]).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let text: String = serde_json::from_str(&text).unwrap();
    assert!(
        text.contains("session_idle") && text.contains("metrics_token = \"***\""),
        "{text}"
    );
    assert!(!text.contains("metrics-secret-0123456789"), "{text}");
    let analyst = h.session(Role::Analyst).await;
    let (s, _) = call_with(&h, "POST", "/api/get_config_view", &[("cookie", &analyst)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The page itself renders it for an admin.
    let (s, html) = call_with(&h, "GET", "/admin/config", &[("cookie", &admin)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-testid=\"config-view\"") && !html.contains("metrics-secret"));
}

async fn own_audit(h: &Harness, admin: &str, body: String) -> Value {
    let (s, b, _) = post_form(h, "/api/get_own_audit", body, &[("cookie", admin)]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    serde_json::from_str::<Value>(&b).unwrap()
}
