//! Attribute lookup: one pass over a span's or log record's attributes finds every field the
//! alias table names, keeping the best-ranked name per field (however many attributes come).

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};
use std::borrow::Cow;
use std::collections::HashMap;

/// Field positions in an [`Attrs`] lookup: the alias table's eight, then three fixed names.
pub mod field {
    pub const ROUTE: usize = 0;
    pub const TOOL: usize = 1;
    pub const SERVER: usize = 2;
    pub const USER: usize = 3;
    pub const SESSION: usize = 4;
    pub const CLIENT: usize = 5;
    pub const ERROR: usize = 6;
    pub const HTTP_STATUS: usize = 7;
    pub const ROLE: usize = 8;
    pub const METHOD: usize = 9;
    pub const USER_AGENT: usize = 10;
    pub const FIELDS: usize = 11;
}

/// Attribute name → (field, rank) for the configured aliases, the role attribute and the
/// fixed names.
pub fn alias_names(s: &crate::config::OtlpSettings) -> HashMap<String, (usize, usize)> {
    let mut names = HashMap::new();
    for (f, (_, list)) in s.aliases.fields().iter().enumerate() {
        for (rank, n) in list.iter().enumerate() {
            names.entry(n.clone()).or_insert((f, rank));
        }
    }
    for (name, f) in [
        (s.role_attribute.as_str(), field::ROLE),
        ("http.request.method", field::METHOD),
        ("user_agent.original", field::USER_AGENT),
    ] {
        names.entry(name.to_string()).or_insert((f, 0));
    }
    names
}

/// The role a value names (any case), if it is one of the six.
pub fn role_of(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    crate::model::ROLES.iter().find(|r| **r == lower).copied()
}

/// Per field: the rank of the name it was found under and its value.
pub struct Attrs<'a, const N: usize> {
    found: [Option<(usize, &'a AnyValue)>; N],
}

impl<const N: usize> Default for Attrs<'_, N> {
    fn default() -> Self {
        Attrs { found: [None; N] }
    }
}

impl<'a, const N: usize> Attrs<'a, N> {
    /// Looks at every attribute once; `names` maps a name to its (field, rank).
    pub fn find(&mut self, names: &HashMap<String, (usize, usize)>, attrs: &'a [KeyValue]) {
        for kv in attrs {
            if let Some(&(field, rank)) = names.get(kv.key.as_str()) {
                self.offer(field, rank, kv);
            }
        }
    }

    /// As [`Attrs::find`], for one field only.
    pub fn find_one(
        &mut self,
        names: &HashMap<String, (usize, usize)>,
        attrs: &'a [KeyValue],
        only: usize,
    ) {
        for kv in attrs {
            if let Some(&(field, rank)) = names.get(kv.key.as_str()) {
                if field == only {
                    self.offer(field, rank, kv);
                }
            }
        }
    }

    fn offer(&mut self, field: usize, rank: usize, kv: &'a KeyValue) {
        let Some(value) = kv.value.as_ref().filter(|v| v.value.is_some()) else {
            return;
        };
        if field >= N {
            return;
        }
        match self.found[field] {
            Some((best, _)) if best <= rank => {}
            _ => self.found[field] = Some((rank, value)),
        }
    }

    /// Fields this lookup lacks are taken from `other` (a span's from its resource).
    pub fn fill_from(&mut self, other: &Attrs<'a, N>) {
        for (mine, theirs) in self.found.iter_mut().zip(other.found.iter()) {
            if mine.is_none() {
                *mine = *theirs;
            }
        }
    }

    pub fn text(&self, field: usize) -> Option<Cow<'a, str>> {
        self.found
            .get(field)
            .copied()
            .flatten()
            .and_then(|(_, v)| text(v))
    }

    pub fn int(&self, field: usize) -> Option<i64> {
        let (_, v) = self.found.get(field).copied().flatten()?;
        match v.value.as_ref()? {
            Value::IntValue(i) => Some(*i),
            Value::StringValue(s) => s.trim().parse().ok(),
            Value::DoubleValue(d) if d.fract() == 0.0 && d.abs() < 1e15 => Some(*d as i64),
            _ => None,
        }
    }

    pub fn value(&self, field: usize) -> Option<&'a AnyValue> {
        self.found.get(field).copied().flatten().map(|(_, v)| v)
    }
}

/// What a resource says for every span or point under it: the alias fields it carries, and
/// its `service.name`.
pub fn on_resource<'a>(
    names: &HashMap<String, (usize, usize)>,
    resource: Option<&'a opentelemetry_proto::tonic::resource::v1::Resource>,
) -> (Attrs<'a, { field::FIELDS }>, Option<Cow<'a, str>>) {
    let attrs = resource
        .map(|r| r.attributes.as_slice())
        .unwrap_or_default();
    let mut found = Attrs::default();
    found.find(names, attrs);
    let service = attrs
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| kv.value.as_ref())
        .and_then(text);
    (found, service)
}

/// A scalar attribute as text (numbers and booleans written out); lists and maps are not text.
pub fn text(v: &AnyValue) -> Option<Cow<'_, str>> {
    match v.value.as_ref()? {
        Value::StringValue(s) => Some(Cow::Borrowed(s.as_str())),
        Value::IntValue(i) => Some(Cow::Owned(i.to_string())),
        Value::BoolValue(b) => Some(Cow::Owned(b.to_string())),
        Value::DoubleValue(d) => Some(Cow::Owned(d.to_string())),
        _ => None,
    }
}

/// Any attribute value as JSON (a log record's details); bytes as their length only.
pub fn json(v: &AnyValue, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    if depth > 8 {
        return J::Null;
    }
    match v.value.as_ref() {
        None => J::Null,
        Some(Value::StringValue(s)) => J::String(s.clone()),
        Some(Value::IntValue(i)) => J::from(*i),
        Some(Value::BoolValue(b)) => J::Bool(*b),
        Some(Value::DoubleValue(d)) => serde_json::Number::from_f64(*d)
            .map(J::Number)
            .unwrap_or(J::Null),
        Some(Value::BytesValue(b)) => J::String(format!("({} bytes)", b.len())),
        Some(Value::ArrayValue(a)) => {
            J::Array(a.values.iter().map(|x| json(x, depth + 1)).collect())
        }
        Some(Value::KvlistValue(l)) => J::Object(
            l.values
                .iter()
                .map(|kv| {
                    let v = kv
                        .value
                        .as_ref()
                        .map(|x| json(x, depth + 1))
                        .unwrap_or(J::Null);
                    (kv.key.clone(), v)
                })
                .collect(),
        ),
        // Profiles' string-table references mean nothing outside a profile.
        Some(_) => J::Null,
    }
}

/// Attributes as the tests write them.
#[cfg(test)]
pub mod testkit {
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};

    pub fn kv(k: &str, v: any_value::Value) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    pub fn s(k: &str, v: &str) -> KeyValue {
        kv(k, any_value::Value::StringValue(v.into()))
    }
}
