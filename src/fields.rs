//! Field validation shared by every posted event (requests, audit events): the problem list a
//! 422 answers with, time limits, and the field readers. A leaf below `ingest` and `audit`.

use serde::Serialize;
use serde_json::{Map, Value};

/// Most problems listed in one 422 answer; the total is reported too.
const MAX_LISTED_PROBLEMS: usize = 100;

/// One thing wrong with one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub index: usize,
    pub field: String,
    pub reason: String,
}

/// Limits an event is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub now_ms: i64,
    pub max_future_ms: i64,
    pub oldest_ms: i64,
}

/// Runs one validator over every item: all events, or every problem of every event.
pub(crate) fn collect<T>(
    items: &[Value],
    one: impl Fn(&Value) -> Result<T, FieldErrors>,
) -> Result<Vec<T>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut events = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match one(item) {
            Ok(e) => events.push(e),
            Err(list) => {
                problems.extend(list.into_iter().map(|(field, reason)| Problem {
                    index,
                    field: field.to_string(),
                    reason,
                }));
            }
        }
    }
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(problems)
    }
}

/// Only the first problems are listed; how many there were in all is said separately.
pub fn listed(mut problems: Vec<Problem>) -> (Vec<Problem>, usize) {
    let total = problems.len();
    problems.truncate(MAX_LISTED_PROBLEMS);
    (problems, total)
}

pub(crate) type FieldErrors = Vec<(&'static str, String)>;

/// What is wrong with a text value for a field of at most `max` characters, if anything.
pub(crate) fn text_problem(s: &str, max: usize) -> Option<String> {
    if s.chars().count() > max {
        return Some(format!("must be at most {max} characters"));
    }
    if s.chars()
        .any(|c| c.is_control() || crate::model::is_format_char(c))
    {
        return Some("must not contain control or bidi/format characters".into());
    }
    None
}

pub(crate) fn text_field(
    obj: &Map<String, Value>,
    field: &'static str,
    max: usize,
    required: bool,
    errs: &mut FieldErrors,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => {
            if required {
                errs.push((field, "is required".into()));
            }
            None
        }
        Some(Value::String(s)) if s.is_empty() && required => {
            errs.push((field, "must not be empty".into()));
            None
        }
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => match text_problem(s, max) {
            Some(reason) => {
                errs.push((field, reason));
                None
            }
            None => Some(s.clone()),
        },
        Some(_) => {
            errs.push((field, "must be a string".into()));
            None
        }
    }
}

pub(crate) fn int(
    obj: &Map<String, Value>,
    field: &'static str,
    range: std::ops::RangeInclusive<i64>,
    required: bool,
    errs: &mut FieldErrors,
) -> Option<i64> {
    match obj.get(field) {
        None | Some(Value::Null) => {
            if required {
                errs.push((field, "is required".into()));
            }
            None
        }
        Some(v) => match v.as_i64() {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                errs.push((
                    field,
                    format!(
                        "must be an integer from {} to {}",
                        range.start(),
                        range.end()
                    ),
                ));
                None
            }
        },
    }
}

/// `ts`: an RFC 3339 time within the accepted range; absent means now.
pub(crate) fn ts_field(
    obj: &Map<String, Value>,
    limits: Limits,
    errs: &mut FieldErrors,
) -> Option<i64> {
    match obj.get("ts") {
        None | Some(Value::Null) => Some(limits.now_ms),
        Some(Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let ms = t.timestamp_millis();
                if ms > limits.now_ms + limits.max_future_ms {
                    errs.push(("ts", "is too far in the future".into()));
                    None
                } else if ms < limits.oldest_ms {
                    errs.push(("ts", "is older than the raw-event retention".into()));
                    None
                } else {
                    Some(ms)
                }
            }
            Err(_) => {
                errs.push((
                    "ts",
                    "must be an RFC 3339 time such as 2026-11-22T10:00:00Z".into(),
                ));
                None
            }
        },
        Some(_) => {
            errs.push(("ts", "must be an RFC 3339 string".into()));
            None
        }
    }
}
