//! Developer tools behind subcommands: `bench` (figures) and `simulate` (demo traffic).

pub mod accounts;
pub mod bench;
mod harness;
mod memory;
pub mod simulate;
