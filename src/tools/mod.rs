//! Developer tools behind subcommands: `bench` (figures) and `simulate` (demo traffic).

pub mod accounts;
mod alert_bench;
pub mod bench;
mod harness;
mod memory;
pub mod simulate;
mod ssr_bench;
