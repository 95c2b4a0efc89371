//! Alerting: rules over what Pulse measures, their instances' states, and the channels that
//! tell people. `rules` (the leaf `alert_rules`) is the pure evaluation; `sources` reads each
//! metric from live data, `minutes` keeping recent traffic between ticks; `engine` runs the
//! ticks and keeps state; `listing` is what people read and change (active alerts, history,
//! silences, windows, tests); `notify` delivers through `providers`; `view` holds the shapes
//! pages and APIs share.

pub mod view;

#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod listing;
#[cfg(feature = "ssr")]
pub mod minutes;
#[cfg(feature = "ssr")]
pub mod notify;
#[cfg(feature = "ssr")]
pub mod providers;
#[cfg(feature = "ssr")]
pub use crate::alert_rules as rules;
#[cfg(feature = "ssr")]
pub mod sources;
