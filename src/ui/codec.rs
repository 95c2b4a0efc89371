//! How server functions answer: JSON, decoded in the browser from a `&str` as the hydration
//! data is. Leptos's own JSON codec decodes answers from bytes and hydration data from a string,
//! so the browser bundle carried every answer type's JSON decoder twice.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// JSON both ways, decoded through `serde_json::from_str`.
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// The answer encoding every server function names (`output = Json`).
pub type Json = Post<JsonText>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_bad_bytes_are_an_error() {
        let v = vec![("a".to_string(), 1.5f64)];
        let bytes = <JsonText as Encodes<_>>::encode(&v).unwrap();
        let back: Vec<(String, f64)> = <JsonText as Decodes<_>>::decode(bytes).unwrap();
        assert_eq!(back, v);
        let bad: Result<Vec<(String, f64)>, _> =
            <JsonText as Decodes<_>>::decode(Bytes::from_static(b"[\xff]"));
        assert!(bad.is_err());
    }
}
