//! Health: the check kinds, the status rules and the engine that schedules checks, damps
//! flapping, keeps the in-memory snapshot and records history.

pub mod checks;
pub mod engine;
pub mod mcp;
pub mod rules;

pub use engine::{EngineError, HealthEngine};
