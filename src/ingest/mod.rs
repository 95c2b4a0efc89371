//! Traffic in: validation of posted request events, the batching writer every event goes
//! through, and Pulse's own traffic.

pub mod keycap;
pub mod selftraffic;
pub mod writer;

use crate::store::{EventSource, RequestEvent};
use serde_json::Value;
use std::net::IpAddr;

pub use writer::{Writer, WriterError};

use crate::fields::{int, text_field, ts_field, FieldErrors};
pub use crate::fields::{listed, Limits, Problem};
pub use crate::model::ROLES;

/// Validates a posted array; every problem of every event is reported, or all events are
/// returned ready to store.
pub fn validate_batch(items: &[Value], limits: Limits) -> Result<Vec<RequestEvent>, Vec<Problem>> {
    crate::fields::collect(items, |item| validate_event(item, limits))
}

fn validate_event(item: &Value, limits: Limits) -> Result<RequestEvent, FieldErrors> {
    let Some(obj) = item.as_object() else {
        return Err(vec![("", "must be a JSON object".into())]);
    };
    let mut errs: FieldErrors = Vec::new();
    let ts_ms = ts_field(obj, limits, &mut errs);
    let method = text_field(obj, "method", 16, true, &mut errs);
    if let Some(m) = &method {
        if !m.chars().all(|c| c.is_ascii_alphabetic()) {
            errs.push(("method", "must be letters only, such as POST".into()));
        }
    }
    let route = text_field(obj, "route", 256, true, &mut errs);
    let tool = text_field(obj, "tool", 128, false, &mut errs);
    let server = text_field(obj, "server", 128, false, &mut errs);
    let status = int(obj, "status", 100..=599, true, &mut errs);
    let duration_ms = match obj.get("duration_ms") {
        None | Some(Value::Null) => {
            errs.push(("duration_ms", "is required".into()));
            None
        }
        Some(v) => match v.as_f64() {
            Some(d) if d.is_finite() && (0.0..=3_600_000.0).contains(&d) => Some(d),
            _ => {
                errs.push(("duration_ms", "must be a number from 0 to 3600000".into()));
                None
            }
        },
    };
    let user_id = text_field(obj, "user_id", 128, false, &mut errs);
    let role = text_field(obj, "role", 16, false, &mut errs);
    if let Some(r) = &role {
        if !ROLES.contains(&r.as_str()) {
            errs.push(("role", format!("`{r}` is not one of {}", ROLES.join(", "))));
        }
    }
    let bytes_in = int(obj, "bytes_in", 0..=i64::MAX, false, &mut errs);
    let bytes_out = int(obj, "bytes_out", 0..=i64::MAX, false, &mut errs);
    let client_ip = text_field(obj, "client_ip", 64, false, &mut errs).and_then(|ip| match ip
        .parse::<IpAddr>()
    {
        Ok(addr) => Some(truncate_ip(addr)),
        Err(_) => {
            errs.push(("client_ip", "must be an IPv4 or IPv6 address".into()));
            None
        }
    });
    let user_agent = text_field(obj, "user_agent", 512, false, &mut errs);
    let session_id = text_field(obj, "session_id", 128, false, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    match (ts_ms, method, route, status, duration_ms) {
        (Some(ts_ms), Some(method), Some(route), Some(status), Some(duration_ms)) => {
            Ok(RequestEvent {
                ts_ms,
                // A bounded rollup key: a made-up method is stored as `other`.
                method: crate::model::method_label(&method.to_ascii_uppercase()).to_string(),
                route,
                tool,
                server,
                status: status as u16,
                duration_ms,
                user_id,
                role,
                bytes_in,
                bytes_out,
                client_ip,
                user_agent,
                session_id,
                source: EventSource::Ingest,
            })
        }
        _ => Err(vec![("", "is incomplete".into())]),
    }
}

/// Keeps the network, drops the host: IPv4 to /24, IPv6 to /48 (no personal data in metrics).
pub fn truncate_ip(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;
    fn limits() -> Limits {
        Limits {
            now_ms: NOW,
            max_future_ms: 300_000,
            oldest_ms: NOW - 7 * 86_400_000,
        }
    }

    fn good() -> Value {
        json!({"method": "post", "route": "tools/call", "tool": "search", "server": "docs",
               "status": 200, "duration_ms": 12.5, "role": "analyst", "client_ip": "203.0.113.77",
               "user_id": "u1", "session_id": "s-1"})
    }

    #[test]
    fn a_good_event_is_normalised() {
        let e = validate_batch(&[good()], limits()).unwrap().remove(0);
        assert_eq!(e.ts_ms, NOW, "ts defaults to now");
        assert_eq!(e.method, "POST");
        assert_eq!(e.client_ip.as_deref(), Some("203.0.113.0/24"));
        assert_eq!(e.tool.as_deref(), Some("search"));
        assert_eq!(e.session_id.as_deref(), Some("s-1"));
        let mut v6 = good();
        v6["client_ip"] = json!("2001:db8:abcd:12::1");
        v6["ts"] = json!("2027-01-15T08:00:00.250Z");
        let e = validate_batch(&[v6], limits()).unwrap().remove(0);
        assert_eq!(e.client_ip.as_deref(), Some("2001:db8:abcd::/48"));
        assert_eq!(
            crate::model::rfc3339_ms(e.ts_ms),
            "2027-01-15T08:00:00.250Z"
        );
    }

    #[test]
    fn every_problem_is_reported_with_index_and_field() {
        let mut bad = good();
        bad["role"] = json!("superuser");
        bad["status"] = json!(700);
        let mut late = good();
        late["ts"] = json!("2099-01-01T00:00:00Z");
        let mut old = good();
        old["ts"] = json!("2020-01-01T00:00:00Z");
        let cases = vec![good(), bad, json!({"route": "x"}), late, old, json!(3)];
        let problems = validate_batch(&cases, limits()).unwrap_err();
        let has = |i: usize, f: &str| problems.iter().any(|p| p.index == i && p.field == f);
        assert!(has(1, "role") && has(1, "status"));
        assert!(has(2, "method") && has(2, "status") && has(2, "duration_ms"));
        assert!(has(3, "ts") && has(4, "ts") && has(5, ""));
        assert!(!problems.iter().any(|p| p.index == 0));
        let role = problems.iter().find(|p| p.field == "role").unwrap();
        assert!(
            role.reason.contains("not one of admin, manager"),
            "{}",
            role.reason
        );
    }

    #[test]
    fn lengths_types_and_addresses_are_checked() {
        for (field, value) in [
            ("route", json!("r".repeat(257))),
            ("route", json!(5)),
            ("duration_ms", json!(-1)),
            ("duration_ms", json!("12")),
            ("client_ip", json!("10.0.0")),
            ("user_agent", json!("a".repeat(513))),
            ("method", json!("PO ST")),
            ("bytes_in", json!(-5)),
            ("route", json!("a\u{0007}b")),
        ] {
            let mut e = good();
            e[field] = value;
            let problems = validate_batch(&[e], limits()).unwrap_err();
            assert_eq!(problems.len(), 1, "{field}: {problems:?}");
            assert_eq!(problems[0].field, field);
        }
    }
}
