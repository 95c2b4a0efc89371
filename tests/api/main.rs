//! Pulse through its whole router (and, for crash safety, its real binary): one test binary,
//! one harness (`helpers`), a module per area.

#![cfg(feature = "ssr")]

mod access;
mod alerts;
mod audit;
mod auth_monitoring;
mod hardening;
mod health;
mod helpers;
mod ingest;
mod otlp;
