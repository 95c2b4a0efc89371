//! Enforcing the permission table (`crate::permissions`): the guard every request passes,
//! who a caller is (sessions, tokens), the rate limits, secrets, user and token management and
//! the security headers. Server only.

pub mod guard;
pub mod headers;
pub mod limits;
pub mod principal;
pub mod rules;
pub mod secrets;
pub mod users;
