//! Alerting: rules over what Pulse measures, their instances' states, and (to come) the
//! channels that tell people. `rules` is the pure evaluation every other part builds on.

pub mod rules;
