//! What one run of a check found, and how a transport error reads in it: shared by the
//! generic checks and the MCP probe.

use crate::model::Status;
use serde_json::Value;

/// What one run of a check found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub status: Status,
    pub message: Option<String>,
    pub details: Value,
}

impl CheckOutcome {
    pub fn healthy(details: Value) -> Self {
        CheckOutcome {
            status: Status::Healthy,
            message: None,
            details,
        }
    }

    pub fn unhealthy(message: impl Into<String>, details: Value) -> Self {
        CheckOutcome {
            status: Status::Unhealthy,
            message: Some(message.into()),
            details,
        }
    }
}

/// Walks an error's sources into one line, naming TLS failures as such.
pub fn describe_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut tls = false;
    let mut cur = e.source();
    while let Some(s) = cur {
        if s.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        // io::Error nests custom errors behind get_ref(), which source() skips over.
        let mut io = s.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(|e| e.get_ref()) {
            if inner.downcast_ref::<rustls::Error>().is_some() {
                tls = true;
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    let joined = parts.join(": ");
    if tls {
        format!("TLS error: {joined}")
    } else {
        joined
    }
}
