//! Between scheduled checks, one idle TCP connection per server that networked components
//! (HTTP, MCP, TCP, PostgreSQL, Redis) point at. A server that dies closes it; if a new connection is then refused or
//! times out, the component's check runs at once instead of at its next interval, so an
//! outage shows in seconds. Nothing is sent on the connection; a host that vanishes without
//! closing is still found by the next scheduled check.

use crate::config::{CheckSpec, ComponentConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{sleep, timeout, Instant};

/// A connection the server closes sooner than this after it was made (a proxy that drops
/// idle sockets at once) is not watched again for `REST`: no reconnect loop.
const SHORT_LIVED: Duration = Duration::from_secs(2);
const REST: Duration = Duration::from_secs(10);
/// A peer that talks on an idle connection (a banner) gets at most this much read and dropped.
const MAX_UNASKED: usize = 64 * 1024;

/// Where a component's server listens: host and port, or `None` (no network endpoint, a unix
/// socket, a URL that does not parse).
pub fn endpoint(cfg: &ComponentConfig) -> Option<(String, u16)> {
    let from_url = |url: &str, default_port: u16| {
        let u = url::Url::parse(url).ok()?;
        let host = u.host_str()?.trim_matches(['[', ']']).to_string();
        (!host.is_empty()).then_some(())?;
        Some((host, u.port_or_known_default().unwrap_or(default_port)))
    };
    match &cfg.check {
        CheckSpec::Http { url, .. } | CheckSpec::Mcp { url, .. } => from_url(url, 80),
        CheckSpec::Tcp { host, port } => Some((host.clone(), *port)),
        CheckSpec::Postgres { url } => from_url(url, 5432),
        CheckSpec::Redis { url } => from_url(url, 6379),
        CheckSpec::Database
        | CheckSpec::Disk { .. }
        | CheckSpec::Memory { .. }
        | CheckSpec::RoleSync { .. } => None,
    }
}

/// The components one server's watch serves.
pub struct Watched {
    /// Their names (for the log).
    pub names: Vec<String>,
    /// The shortest of their timeouts.
    pub connect_timeout: Duration,
    /// Woken when the server goes away.
    pub alarms: Vec<Arc<Notify>>,
}

/// Watches `host:port` for as long as the task lives, waking every component `w` serves when a
/// held connection closes and the server then cannot be reached.
pub async fn run(host: String, port: u16, w: Watched) {
    let Watched {
        names,
        connect_timeout,
        alarms,
    } = w;
    // A thousand components on one host would make one log line of all their names.
    let names = match names.len() {
        0..=5 => names.join(", "),
        n => format!("{} and {} more", names[..5].join(", "), n - 5),
    };
    let connect = || timeout(connect_timeout, TcpStream::connect((host.as_str(), port)));
    let mut held: Option<TcpStream> = None;
    loop {
        let mut stream = match held.take() {
            Some(s) => s,
            None => match connect().await {
                Ok(Ok(s)) => s,
                // Not reachable now: the scheduled checks already report that.
                _ => {
                    sleep(REST).await;
                    continue;
                }
            },
        };
        let opened = Instant::now();
        drain_until_closed(&mut stream).await;
        drop(stream);
        // Closed: a restart, an idle timeout, or a dead server. Ask again at once.
        match connect().await {
            Ok(Ok(s)) if opened.elapsed() >= SHORT_LIVED => held = Some(s),
            Ok(Ok(_)) => sleep(REST).await,
            _ => {
                tracing::info!(components = %names, "watched connection lost and the server does not answer; checking now");
                for a in &alarms {
                    a.notify_one();
                }
                // The scheduler confirms and keeps checking; look again a while later.
                sleep(REST).await;
            }
        }
    }
}

/// Reads (and drops) whatever the server sends unasked until it closes the connection.
async fn drain_until_closed(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    let mut seen = 0usize;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                seen += n;
                if seen > MAX_UNASKED {
                    // A chatty peer: let go and wait, rather than read a stream forever.
                    sleep(REST).await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(check: CheckSpec) -> ComponentConfig {
        ComponentConfig {
            name: "w".into(),
            component_type: crate::model::ComponentType::Network,
            critical: false,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(1),
            degraded_after: None,
            failure_threshold: 3,
            success_threshold: 2,
            confirm_interval: Duration::from_secs(2),
            depends_on: Vec::new(),
            group: None,
            check,
        }
    }

    #[test]
    fn endpoints_come_from_urls_with_their_default_ports() {
        let http = |url: &str| {
            endpoint(&cfg(CheckSpec::Http {
                url: url.into(),
                expected_status: 200,
                body_contains: None,
            }))
        };
        assert_eq!(
            http("https://api.example.com/health"),
            Some(("api.example.com".into(), 443))
        );
        assert_eq!(
            http("http://10.0.0.5:8080/x"),
            Some(("10.0.0.5".into(), 8080))
        );
        assert_eq!(http("http://[::1]:9/x"), Some(("::1".into(), 9)));
        assert_eq!(http("not a url"), None);
        let pg = endpoint(&cfg(CheckSpec::Postgres {
            url: "postgres://u:secret@db.internal/app".into(),
        }));
        assert_eq!(pg, Some(("db.internal".into(), 5432)));
        let redis = endpoint(&cfg(CheckSpec::Redis {
            url: "unix:///run/redis.sock".into(),
        }));
        assert_eq!(redis, None);
        assert_eq!(endpoint(&cfg(CheckSpec::Database)), None);
    }

    /// A TCP "server" that holds every connection until the returned task is aborted (the
    /// process dying), or closes each after `close_after` while it keeps listening.
    async fn server(close_after: Option<Duration>) -> (u16, tokio::task::JoinHandle<()>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((s, _)) = l.accept().await else { return };
                match close_after {
                    Some(d) => {
                        tokio::spawn(async move {
                            sleep(d).await;
                            drop(s);
                        });
                    }
                    None => held.push(s),
                }
            }
        });
        (port, task)
    }

    async fn engine_for(port: u16) -> (crate::health::HealthEngine, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store =
            crate::store::Store::connect(&format!("sqlite://{}/w.db", dir.path().display()))
                .await
                .unwrap();
        let c = ComponentConfig {
            name: "api".into(),
            // Hourly: only the watch can bring a check within the test.
            interval: Duration::from_secs(3600),
            failure_threshold: 1,
            confirm_interval: Duration::from_millis(200),
            ..cfg(CheckSpec::Tcp {
                host: "127.0.0.1".into(),
                port,
            })
        };
        // A second component on the same server: one watch serves both.
        let twin = ComponentConfig {
            name: "api-twin".into(),
            ..c.clone()
        };
        let engine = crate::health::HealthEngine::new(
            vec![c, twin],
            store,
            crate::metrics::Metrics::new().unwrap(),
            2,
        )
        .with_watch(true);
        (engine, dir)
    }

    async fn status_within(
        engine: &crate::health::HealthEngine,
        want: Status,
        within: Duration,
    ) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if engine.component("api").map(|c| c.status) == Some(want) {
                return true;
            }
            sleep(Duration::from_millis(50)).await;
        }
        false
    }

    use crate::model::Status;

    #[tokio::test]
    async fn a_server_that_dies_is_checked_at_once_not_at_the_next_interval() {
        let (port, srv) = server(None).await;
        let (engine, _dir) = engine_for(port).await;
        let set = engine.spawn(Duration::from_secs(3600));
        assert!(status_within(&engine, Status::Healthy, Duration::from_secs(10)).await);
        // Let the watch connect, then the server process goes away with its connections.
        sleep(Duration::from_millis(300)).await;
        let died = Instant::now();
        srv.abort();
        assert!(
            status_within(&engine, Status::Unhealthy, Duration::from_secs(20)).await,
            "both hourly components on the server turned unhealthy within seconds of its death"
        );
        println!(
            "server died → unhealthy: {:.2} s",
            died.elapsed().as_secs_f64()
        );
        drop(set);
    }

    #[tokio::test]
    async fn a_server_closing_idle_connections_but_answering_is_not_checked_again() {
        let (port, _srv) = server(Some(Duration::from_millis(2_500))).await;
        let (engine, _dir) = engine_for(port).await;
        let set = engine.spawn(Duration::from_secs(3600));
        assert!(status_within(&engine, Status::Healthy, Duration::from_secs(10)).await);
        sleep(Duration::from_secs(6)).await;
        for name in ["api", "api-twin"] {
            let history = engine.store().history(name, 10).await.unwrap();
            assert_eq!(history.len(), 1, "{name}: idle closes, no extra check");
        }
        drop(set);
    }
}
