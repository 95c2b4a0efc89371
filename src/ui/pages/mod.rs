//! One module per page.

pub mod admin;
pub mod alerts;
pub mod audit_log;
pub mod authentication;
pub mod component;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod performance;
pub mod requests;
pub mod roles;
pub mod settings;
