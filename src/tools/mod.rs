//! Developer tools behind subcommands: `bench` (figures) and `simulate` (demo traffic).

pub mod bench;
mod memory;
pub mod simulate;
