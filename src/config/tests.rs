//! Config loading and validation: every error names the source, the key and the reason.

use super::*;
use crate::model::ComponentType;

fn no_env(_: &str) -> Option<String> {
    None
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_sources(Some(("pulse.toml", text)), no_env)
}

fn err_text(text: &str) -> String {
    load(text)
        .expect_err("config should be rejected")
        .to_string()
}

#[test]
fn defaults_watch_pulse_itself() {
    let c = Config::from_sources(None, no_env).unwrap();
    assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
    let names: Vec<_> = c.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["database", "disk", "memory", "pulse-http"]);
    assert!(c.components[0].critical);
    assert_eq!(
        c.components[1].check,
        CheckSpec::Disk {
            path: PathBuf::from("data"),
            degraded_percent: 80.0,
            unhealthy_percent: 90.0
        }
    );
    match &c.components[3].check {
        CheckSpec::Http { url, .. } => assert_eq!(url, "http://127.0.0.1:3000/health/live"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn env_overrides_file() {
    let env = |k: &str| match k {
        "PULSE_ADDR" => Some("0.0.0.0:8080".to_string()),
        "PULSE_LOG_FORMAT" => Some("json".to_string()),
        _ => None,
    };
    let c = Config::from_sources(Some(("f.toml", "addr = \"127.0.0.1:1\"")), env).unwrap();
    assert_eq!(c.addr.port(), 8080);
    assert_eq!(c.log_format, LogFormat::Json);
    // The self-check must reach Pulse through loopback, not the unspecified address.
    assert!(c.components.iter().any(|c| matches!(&c.check,
        CheckSpec::Http { url, .. } if url == "http://127.0.0.1:8080/health/live")));
}

#[test]
fn bad_env_value_names_the_variable() {
    let env = |k: &str| (k == "PULSE_LOG_FORMAT").then(|| "xml".to_string());
    let e = Config::from_sources(None, env).unwrap_err().to_string();
    assert!(e.contains("PULSE_LOG_FORMAT"), "{e}");
    assert!(e.contains("xml"), "{e}");
}

#[test]
fn full_component_parses() {
    let c = load(
        r#"
        [[components]]
        name = "gateway"
        kind = "http"
        critical = true
        interval = "15s"
        timeout = "2s"
        degraded_after = "300ms"
        failure_threshold = 4
        success_threshold = 1
        url = "https://gw.example/health"
        expected_status = 204
        body_contains = "ok"

        [[components]]
        name = "redis"
        kind = "tcp"
        type = "cache"
        host = "127.0.0.1"
        port = 6379
        "#,
    )
    .unwrap();
    assert_eq!(c.components.len(), 2);
    let gw = &c.components[0];
    assert_eq!(gw.interval, Duration::from_secs(15));
    assert_eq!(gw.timeout, Duration::from_secs(2));
    assert_eq!(gw.degraded_after, Some(Duration::from_millis(300)));
    assert_eq!(gw.failure_threshold, 4);
    assert_eq!(gw.confirm_interval, Duration::from_secs(2));
    assert_eq!(gw.component_type, ComponentType::ExternalService);
    assert_eq!(c.components[1].component_type, ComponentType::Cache);
}

#[test]
fn unknown_key_is_an_error_naming_the_key() {
    let e = err_text(
        "[[components]]\nname = \"a\"\nkind = \"tcp\"\nhost = \"x\"\nport = 1\nurll = \"x\"\n",
    );
    assert!(e.starts_with("pulse.toml"), "{e}");
    assert!(e.contains("urll"), "{e}");
    let e = err_text("adress = \"x\"");
    assert!(e.contains("adress"), "{e}");
}

#[test]
fn invalid_values_name_file_key_and_reason() {
    let cases = [
        ("[[components]]\nname = \"Bad Name\"\nkind = \"database\"", "components[0].name"),
        ("[[components]]\nname = \"mcp_servers\"\nkind = \"database\"", "components[0].name"),
        ("[[components]]\nname = \"a\"\nkind = \"ftp\"", "components[0].kind"),
        ("[[components]]\nname = \"a\"\nkind = \"http\"", "components[0].url"),
        ("[[components]]\nname = \"a\"\nkind = \"http\"\nurl = \"ftp://x\"", "components[0].url"),
        ("[[components]]\nname = \"a\"\nkind = \"tcp\"\nhost = \"h\"", "components[0].port"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\ninterval = \"soon\"", "components[0].interval"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\ntimeout = \"1m\"", "components[0].timeout"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\ndegraded_after = \"6s\"", "components[0].degraded_after"),
        ("[[components]]\nname = \"a\"\nkind = \"memory\"\ndegraded_percent = 95.0", "components[0].degraded_percent"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\nport = 5", "components[0].port"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\nfailure_threshold = 0", "components[0].failure_threshold"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\nconfirm_interval = \"1m\"", "components[0].confirm_interval"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\ntype = \"queue\"", "components[0].type"),
        ("[[components]]\nname = \"a\"\nkind = \"database\"\n[[components]]\nname = \"a\"\nkind = \"memory\"", "components[1].name"),
        ("addr = \"localhost\"", "addr"),
        ("database_url = \"mysql://x\"", "database_url"),
        ("[health]\nmax_concurrent_checks = 0", "health.max_concurrent_checks"),
    ];
    for (text, key) in cases {
        let e = err_text(text);
        assert!(e.starts_with("pulse.toml: key `"), "{text}: {e}");
        assert!(
            e.contains(&format!("`{key}`")),
            "{text}: expected key {key} in {e}"
        );
    }
}

#[test]
fn postgres_and_redis_kinds() {
    let c = load(
        "[[components]]\nname = \"gw-db\"\nkind = \"postgres\"\nurl = \"postgres://u:pw@127.0.0.1/db\"\n\
         [[components]]\nname = \"gw-cache\"\nkind = \"redis\"\nurl = \"redis://127.0.0.1:6379\"",
    )
    .unwrap();
    assert_eq!(c.components[0].component_type, ComponentType::Database);
    assert_eq!(c.components[1].component_type, ComponentType::Cache);
    assert_eq!(
        c.components[1].degraded_after,
        Some(Duration::from_millis(500))
    );
    let e = err_text(
        "[[components]]\nname = \"a\"\nkind = \"postgres\"\nurl = \"mysql://u:secret@h/d\"",
    );
    assert!(e.contains("components[0].url"), "{e}");
    assert!(!e.contains("secret"), "the password leaked: {e}");
    let e = err_text("[[components]]\nname = \"a\"\nkind = \"redis\"\nhost = \"h\"");
    assert!(e.contains("components[0].host"), "{e}");
}

#[test]
fn the_shipped_example_is_valid() {
    let env = |k: &str| (k == "MCP_TOKEN").then(|| "t".to_string());
    let example = include_str!("../../pulse.example.toml");
    let c = Config::from_sources(Some(("pulse.example.toml", example)), env).unwrap();
    let kinds: Vec<_> = c
        .components
        .iter()
        .map(|c| c.check.kind().as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "database",
            "disk",
            "memory",
            "http",
            "tcp",
            "postgres",
            "redis",
            "mcp",
            "role_sync"
        ]
    );
    let auth: Vec<_> = c
        .components
        .iter()
        .filter(|c| c.group.as_deref() == Some("auth"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(auth, ["gateway-cache", "role-sync"]);
    assert_eq!(c.auth_monitoring.providers, ["corp_sso"]);
}

#[test]
fn audit_and_role_settings_are_validated_with_the_key_named() {
    for (text, key) in [
        ("[roles.targets_ms]\nroot = 50", "roles.targets_ms.root"),
        ("[roles.targets_ms]\nguest = -1", "roles.targets_ms.guest"),
        (
            "[roles.rate_limits_rpm]\nviewer = 0",
            "roles.rate_limits_rpm.viewer",
        ),
        ("[audit]\nself_role = \"owner\"", "audit.self_role"),
        (
            "[auth_monitoring]\nmax_failure_rate = 1.5",
            "auth_monitoring.max_failure_rate",
        ),
        (
            "[auth_monitoring]\nmin_session_health = -0.1",
            "auth_monitoring.min_session_health",
        ),
        (
            "[auth_monitoring]\nmax_oauth_flow_ms = 0",
            "auth_monitoring.max_oauth_flow_ms",
        ),
        (
            "[auth_monitoring]\nmax_token_refresh_ms = 1e9",
            "auth_monitoring.max_token_refresh_ms",
        ),
        (
            "[auth_monitoring]\nproviders = [\"a b\"]",
            "auth_monitoring.providers",
        ),
        (
            "[auth_monitoring]\nmethods = [\"other\"]",
            "auth_monitoring.methods",
        ),
        ("[auth_monitoring]\nthreshold = 1", "threshold"),
        (
            "[[components]]\nname = \"a\"\nkind = \"database\"\ngroup = \"Auth!\"",
            "components[0].group",
        ),
        (
            "[[components]]\nname = \"authentication_system\"\nkind = \"database\"\n\
             [[components]]\nname = \"b\"\nkind = \"database\"\ngroup = \"auth\"",
            "components[1].group",
        ),
        (
            "[[components]]\nname = \"a\"\nkind = \"database\"\nmax_failures = 3",
            "max_failures",
        ),
        ("[audit]\nmax_details_bytes = 1", "audit.max_details_bytes"),
        (
            "[audit.categories]\nother = [\"a.b\"]",
            "audit.categories.other",
        ),
        (
            "[audit.categories]\nOps = [\"a.b\"]",
            "audit.categories.Ops",
        ),
        (
            "[audit.categories]\nops = [\"drop table\"]",
            "audit.categories.ops",
        ),
    ] {
        let e = err_text(text);
        assert!(e.contains(key), "{text}: {e}");
    }
    let c = load(
        "[roles.targets_ms]\nguest = 800\n[roles.rate_limits_rpm]\nadmin = 5000\n\
                  [audit.categories]\nops_actions = [\"incident.ack\"]",
    )
    .unwrap();
    assert_eq!(
        c.audit.targets_ms,
        [100.0, 150.0, 200.0, 250.0, 300.0, 800.0]
    );
    assert_eq!(c.audit.rate_limits_rpm[0], 5000);
    assert_eq!(
        c.audit.categories,
        vec![("ops_actions".to_string(), vec!["incident.ack".to_string()])]
    );
}

#[test]
fn traffic_settings_validate_tokens_limits_and_env() {
    let err = |text: &str, env: &dyn Fn(&str) -> Option<String>| {
        Config::from_sources(Some(("pulse.toml", text)), env)
            .unwrap_err()
            .to_string()
    };
    let none = |_: &str| None;
    let e = err("[ingest]\ntokens = [\"short\"]", &none);
    assert!(e.contains("ingest.tokens[0]") && e.contains("16"), "{e}");
    let e = err("[ingest]\nmax_batch = 500\nqueue_events = 100", &none);
    assert!(e.contains("ingest.queue_events"), "{e}");
    let e = err("[retention]\nraw_events = \"10m\"", &none);
    assert!(e.contains("retention.raw_events"), "{e}");
    let e = err("[ingest]\nflush_interval = \"soon\"", &none);
    assert!(e.contains("ingest.flush_interval"), "{e}");
    let e = err("[ingest]\ntokenz = []", &none);
    assert!(e.contains("tokenz"), "{e}");
    let bad_env =
        |k: &str| (k == "PULSE_INGEST_TOKENS").then(|| "ok-token-0123456789,x".to_string());
    let e = err("", &bad_env);
    assert!(
        e.starts_with("environment") && e.contains("PULSE_INGEST_TOKENS[1]"),
        "{e}"
    );
    let env = |k: &str| {
        (k == "PULSE_INGEST_TOKENS")
            .then(|| " a-token-0123456789ab , b-token-0123456789ab ".to_string())
    };
    let c = Config::from_sources(
        Some((
            "pulse.toml",
            "[ingest]\ntokens = [\"file-token-0123456789\"]",
        )),
        env,
    )
    .unwrap();
    let t: Vec<&str> = c
        .traffic
        .ingest_tokens
        .iter()
        .map(|s| s.0.as_str())
        .collect();
    assert_eq!(
        t,
        ["a-token-0123456789ab", "b-token-0123456789ab"],
        "env replaces the file's list"
    );
    assert_eq!(
        format!("{:?}", c.traffic.ingest_tokens),
        "[***, ***]",
        "never printed"
    );
    let d = Config::from_sources(None, none).unwrap().traffic;
    assert_eq!((d.max_batch, d.max_body_bytes), (10_000, 5 * 1024 * 1024));
    assert!(d.ingest_tokens.is_empty());
}

#[test]
fn mcp_kind_expands_header_variables_and_hides_them() {
    let text = "[[components]]\nname = \"srv\"\nkind = \"mcp\"\nurl = \"http://127.0.0.1:9/mcp\"\n\
                headers = { Authorization = \"Bearer ${MCP_TOKEN}\" }\nprotocol_version = \"2025-03-26\"";
    let env = |k: &str| (k == "MCP_TOKEN").then(|| "tok-123".to_string());
    let c = Config::from_sources(Some(("pulse.toml", text)), env).unwrap();
    match &c.components[0].check {
        CheckSpec::Mcp {
            headers,
            protocol_version,
            list_tools,
            ..
        } => {
            assert_eq!(headers[0].0, "Authorization");
            assert_eq!(headers[0].1 .0, "Bearer tok-123");
            assert_eq!(protocol_version.as_deref(), Some("2025-03-26"));
            assert!(*list_tools);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        !format!("{:?}", c.components[0]).contains("tok-123"),
        "secret in Debug output"
    );
    let e = Config::from_sources(Some(("pulse.toml", text)), no_env)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("components[0].headers.Authorization") && e.contains("MCP_TOKEN"),
        "{e}"
    );
    let e = err_text("[[components]]\nname = \"s\"\nkind = \"mcp\"\nurl = \"http://h/mcp\"\nauth_required_status = \"fine\"");
    assert!(e.contains("components[0].auth_required_status"), "{e}");
    let e = err_text("[[components]]\nname = \"s\"\nkind = \"mcp\"\nurl = \"http://h/mcp\"\nprotocol_version = \"1.0\"");
    assert!(e.contains("components[0].protocol_version"), "{e}");
}

#[test]
fn empty_component_list_means_none() {
    let c = load("components = []").unwrap();
    assert!(c.components.is_empty());
}

#[test]
fn data_dir_follows_the_sqlite_file() {
    assert_eq!(data_dir("sqlite://data/pulse.db"), PathBuf::from("data"));
    assert_eq!(
        data_dir("sqlite:///var/lib/pulse/p.db?mode=rwc"),
        PathBuf::from("/var/lib/pulse")
    );
    assert_eq!(data_dir("sqlite:pulse.db"), PathBuf::from("."));
    assert_eq!(data_dir("postgres://localhost/test"), PathBuf::from("."));
}

#[test]
fn component_urls_take_variables_from_the_environment_and_never_echo_them() {
    let text = "[[components]]\nname = \"gw-db\"\nkind = \"postgres\"\nurl = \"${GW_DB_URL}\"\n\
                [[components]]\nname = \"api\"\nkind = \"http\"\nurl = \"${API_URL}\"";
    let env = |k: &str| match k {
        "GW_DB_URL" => Some("postgres://u:s3cret@127.0.0.1:5432/db".to_string()),
        "API_URL" => Some("http://127.0.0.1:9/health".to_string()),
        _ => None,
    };
    let c = Config::from_sources(Some(("pulse.toml", text)), env).unwrap();
    assert_eq!(
        c.components[0].check,
        CheckSpec::Postgres {
            url: "postgres://u:s3cret@127.0.0.1:5432/db".into()
        }
    );
    match &c.components[1].check {
        CheckSpec::Http { url, .. } => assert_eq!(url, "http://127.0.0.1:9/health"),
        other => panic!("unexpected {other:?}"),
    }
    // Unset: the key and the variable are named.
    let e = Config::from_sources(Some(("pulse.toml", text)), no_env)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("components[0].url") && e.contains("GW_DB_URL"),
        "{e}"
    );
    // A bad expanded value is reported by its written form, not the secret it expanded to.
    let bad = |k: &str| (k == "API_URL").then(|| "not a url s3cret".to_string());
    let text = "[[components]]\nname = \"api\"\nkind = \"http\"\nurl = \"${API_URL}\"";
    let e = Config::from_sources(Some(("pulse.toml", text)), bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("components[0].url") && e.contains("${API_URL}"),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "the expanded value leaked: {e}");
}

#[test]
fn the_anonymous_allowance_is_bounded() {
    assert_eq!(load("").unwrap().audit.anonymous_per_minute, 60);
    let c = load("[audit]\nanonymous_per_minute = 0").unwrap();
    assert_eq!(c.audit.anonymous_per_minute, 0);
    let e = err_text("[audit]\nanonymous_per_minute = 10001");
    assert!(e.contains("audit.anonymous_per_minute"), "{e}");
}

#[test]
fn auth_settings_are_validated_with_named_keys() {
    let c = Config::from_sources(None, no_env).unwrap();
    assert_eq!(c.auth.anonymous, Some(crate::permissions::Role::Guest));
    assert!(c.auth.metrics_token.is_none());
    let none = load("[auth]\nanonymous = \"none\"\n").unwrap();
    assert_eq!(none.auth.anonymous, None);
    assert_eq!(
        err_text("[auth]\nanonymous = \"admin\"\n"),
        "pulse.toml: key `auth.anonymous`: `admin` is not one of guest, none"
    );
    assert_eq!(
        err_text("[auth]\nsession_idle = \"5s\"\n"),
        "pulse.toml: key `auth.session_idle`: must be at least 1m"
    );
    assert_eq!(
        err_text("[server]\nallowed_hosts = [\"evil.example:80\"]\n"),
        "pulse.toml: key `server.allowed_hosts[0]`: must be a host name (letters, digits, dots, dashes; no port) or *"
    );
    assert!(err_text("[metrics]\nbearer_token = \"short\"\n").contains("metrics.bearer_token"));
    // The environment decides over the file.
    let env = |k: &str| (k == "PULSE_AUTH_ANONYMOUS").then(|| "none".to_string());
    let c =
        Config::from_sources(Some(("pulse.toml", "[auth]\nanonymous = \"guest\"\n")), env).unwrap();
    assert_eq!(c.auth.anonymous, None);
}

#[test]
fn hosts_pulse_answers_to() {
    let c = load("[server]\nallowed_hosts = [\"Pulse.Example.com\"]\n").unwrap();
    for ok in [
        "localhost",
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "pulse.example.com",
        "PULSE.example.com.",
    ] {
        assert!(c.auth.host_allowed(&ok.to_ascii_lowercase()), "{ok}");
    }
    for refused in [
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
    ] {
        assert!(!c.auth.host_allowed(refused), "{refused}");
    }
    let any = load("[server]\nallowed_hosts = [\"*\"]\n").unwrap();
    assert!(any.auth.host_allowed("evil.example"));
}
