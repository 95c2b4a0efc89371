//! Health: the check kinds, the status rules and the engine that schedules checks, damps
//! flapping, keeps the in-memory snapshot and records history; `watch` notices a dead server
//! between checks.

pub mod checks;
pub mod engine;
pub mod mcp;
pub mod outcome;
pub mod rules;
pub mod watch;

pub use engine::{EngineError, HealthEngine};

/// Helpers the health tests share.
#[cfg(test)]
pub(crate) mod test_support {
    /// A loopback port nothing listens on (bound once, then released).
    pub fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port")
    }
}
