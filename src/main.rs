//! The `mcp-pulse` binary: command-line parsing and start-up.

// After a burst of dashboard polling the live heap is ~20 MB, but glibc's per-thread arenas
// and mimalloc (whose delayed purges run only when the freeing thread allocates again) both
// kept 50-70 MB resident once the load ended. jemalloc's background threads return unused
// pages on a timer, idle or not, and serve SQLite's C allocations too (unprefixed malloc),
// so RSS comes back to within ~15 % of idle (`make bench` soak).
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    match Cli::parse().command {
        Command::Serve { config } => serve(config.as_deref()).await,
        Command::Simulate {
            url,
            token,
            rate,
            duration,
        } => simulate(url, token, rate, duration).await,
        Command::Bench {
            dir,
            events,
            sizes,
            audit_sizes,
            soak,
            soak_only,
        } => {
            use mcp_pulse::tools::bench;
            let done = if soak_only {
                bench::soak_only(&dir, soak).await
            } else {
                bench::run(&dir, events, &sizes, &audit_sizes, soak).await
            };
            finish(done)
        }
        Command::CheckConfig { config } => check_config(config.as_deref()),
        Command::User { config, action } => match load_config(config.as_deref()) {
            Ok(c) => finish(mcp_pulse::tools::accounts::user(&c, action).await),
            Err(code) => code,
        },
        Command::Token { config, action } => match load_config(config.as_deref()) {
            Ok(c) => finish(mcp_pulse::tools::accounts::token(&c, action).await),
            Err(code) => code,
        },
    }
}

#[cfg(feature = "ssr")]
#[derive(clap::Parser)]
#[command(
    name = "mcp-pulse",
    version,
    about = "Health, traffic and role analytics for MCP servers and gateways"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[cfg(feature = "ssr")]
#[derive(clap::Subcommand)]
enum Command {
    /// Serve the dashboard, the JSON APIs, the probes and /metrics.
    Serve {
        /// Config file (TOML). Default: $PULSE_CONFIG, else ./pulse.toml if present.
        #[arg(long, short)]
        config: Option<std::path::PathBuf>,
    },
    /// Post realistic MCP-gateway traffic to a running Pulse through its ingest API.
    Simulate {
        /// Pulse's base URL.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// An ingest token (one of `[ingest] tokens`).
        #[arg(long, env = "PULSE_TOKEN")]
        token: String,
        /// Events per second (bursts reach three times this).
        #[arg(long, default_value_t = 200)]
        rate: u32,
        /// How long to run, e.g. 60s, 10m, 1h.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        duration: std::time::Duration,
    },
    /// Print ingest throughput and query latency figures (see README, "Figures").
    Bench {
        /// Where the benchmark databases go (removed and re-created).
        #[arg(long, default_value = "target/bench")]
        dir: std::path::PathBuf,
        /// Events for the throughput runs.
        #[arg(long, default_value_t = 500_000)]
        events: usize,
        /// Stored-event counts for the query runs, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000000")]
        sizes: Vec<usize>,
        /// Stored audit-event counts for the role-view runs, comma-separated (0 skips).
        #[arg(long, value_delimiter = ',', default_value = "1000000")]
        audit_sizes: Vec<usize>,
        /// Length of the memory soak against a separate `serve` process (200 polling
        /// dashboards + 3,000 events/s); 0s skips it.
        #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
        soak: std::time::Duration,
        /// Run only the memory soak (for looking into memory without the other figures).
        #[arg(long)]
        soak_only: bool,
    },
    /// Validate a config file and print the components it declares.
    CheckConfig {
        #[arg(long, short)]
        config: Option<std::path::PathBuf>,
    },
    /// Manage Pulse's users (add, passwd, role, list, disable, enable).
    User {
        #[arg(long, short, global = true)]
        config: Option<std::path::PathBuf>,
        #[command(subcommand)]
        action: mcp_pulse::tools::accounts::UserCommand,
    },
    /// Manage API tokens (create, list, revoke).
    Token {
        #[arg(long, short, global = true)]
        config: Option<std::path::PathBuf>,
        #[command(subcommand)]
        action: mcp_pulse::tools::accounts::TokenCommand,
    },
}

/// Success, or the error printed and a failing exit code.
#[cfg(feature = "ssr")]
fn finish<E: std::fmt::Display>(done: Result<(), E>) -> std::process::ExitCode {
    match done {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Config errors exit with 2, as bad usage does.
#[cfg(feature = "ssr")]
fn load_config(
    path: Option<&std::path::Path>,
) -> Result<mcp_pulse::config::Config, std::process::ExitCode> {
    mcp_pulse::config::Config::load(path).map_err(|e| {
        eprintln!("error: invalid configuration: {e}");
        std::process::ExitCode::from(2)
    })
}

#[cfg(feature = "ssr")]
async fn serve(path: Option<&std::path::Path>) -> std::process::ExitCode {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    mcp_pulse::server::init_tracing(config.log_format);
    let done = mcp_pulse::server::serve(config).await;
    if let Err(e) = &done {
        tracing::error!(error = %e, "Pulse stopped with an error");
    }
    finish(done)
}

#[cfg(feature = "ssr")]
async fn simulate(
    url: String,
    token: String,
    rate: u32,
    duration: std::time::Duration,
) -> std::process::ExitCode {
    if rate == 0 {
        eprintln!("error: --rate must be at least 1");
        return std::process::ExitCode::from(2);
    }
    let opts = mcp_pulse::tools::simulate::Options {
        url,
        token,
        rate,
        duration,
    };
    finish(mcp_pulse::tools::simulate::run(opts).await.map(|_| ()))
}

#[cfg(feature = "ssr")]
fn check_config(path: Option<&std::path::Path>) -> std::process::ExitCode {
    let c = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    println!(
        "{}: ok, listening on {}, {} component(s)",
        c.source,
        c.addr,
        c.components.len()
    );
    for comp in &c.components {
        println!(
            "  {:<24} {:<9} every {:<6} timeout {:<6}{}",
            comp.name,
            comp.check.kind(),
            humantime::format_duration(comp.interval).to_string(),
            humantime::format_duration(comp.timeout).to_string(),
            if comp.critical { "  critical" } else { "" }
        );
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser entry point is `hydrate` in lib.rs.
}
