//! Developer tools behind subcommands: `bench` (figures) and `simulate` (demo traffic).

pub mod accounts;
mod alert_bench;
pub mod bench;
mod harness;
mod memory;
mod otlp_bench;
pub mod simulate;
mod ssr_bench;
