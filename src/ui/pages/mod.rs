//! One module per page.

pub mod component;
pub mod empty;
pub mod not_found;
pub mod overview;
