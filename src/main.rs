//! The `mcp-pulse` binary: command-line parsing and start-up.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::{Parser, Subcommand};
    use mcp_pulse::config::Config;
    use std::path::PathBuf;
    use std::process::ExitCode;

    #[derive(Parser)]
    #[command(
        name = "mcp-pulse",
        version,
        about = "Health, traffic and role analytics for MCP servers and gateways"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Serve the dashboard, the JSON APIs, the probes and /metrics.
        Serve {
            /// Config file (TOML). Default: $PULSE_CONFIG, else ./pulse.toml if present.
            #[arg(long, short)]
            config: Option<PathBuf>,
        },
        /// Validate a config file and print the components it declares.
        CheckConfig {
            #[arg(long, short)]
            config: Option<PathBuf>,
        },
    }

    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config } => {
            let config = match Config::load(config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: invalid configuration: {e}");
                    return ExitCode::from(2);
                }
            };
            mcp_pulse::server::init_tracing(config.log_format);
            match mcp_pulse::server::serve(config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "Pulse stopped with an error");
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CheckConfig { config } => match Config::load(config.as_deref()) {
            Ok(c) => {
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
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: invalid configuration: {e}");
                ExitCode::from(2)
            }
        },
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser entry point is `hydrate` in lib.rs.
}
