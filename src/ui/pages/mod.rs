//! One module per page.

pub mod component;
pub mod not_found;
pub mod overview;
pub mod performance;
pub mod requests;
pub mod roles;
