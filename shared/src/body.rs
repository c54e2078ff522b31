use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Marker key of a binary body in the log: `{"trace_claude_binary":true,"base64":"..."}`.
const BINARY_MARKER: &str = "trace_claude_binary";

/// A request or response body as logged: whole, never truncated.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Body {
    /// No body at all (`null` in the log).
    #[default]
    Empty,
    /// The body parsed as JSON; logged as that JSON value.
    Json(Value),
    /// UTF-8 text that is not JSON; logged as a string.
    Text(String),
    /// Anything else; logged base64-encoded under a marker key.
    Binary(Vec<u8>),
}

impl Body {
    /// Classifies raw bytes: JSON if they parse, text if UTF-8, binary otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Body::Empty;
        }
        if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
            return Body::Json(value);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Body::Text(text.to_owned()),
            Err(_) => Body::Binary(bytes.to_vec()),
        }
    }

    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Body::Json(v) => Some(v),
            _ => None,
        }
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Body::Empty => s.serialize_none(),
            Body::Json(v) => v.serialize(s),
            Body::Text(t) => s.serialize_str(t),
            Body::Binary(bytes) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry(BINARY_MARKER, &true)?;
                map.serialize_entry(
                    "base64",
                    &base64::engine::general_purpose::STANDARD.encode(bytes),
                )?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Body::Empty,
            Value::String(text) => Body::Text(text),
            Value::Object(map) if map.get(BINARY_MARKER) == Some(&Value::Bool(true)) => {
                let encoded = map.get("base64").and_then(Value::as_str).unwrap_or("");
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(serde::de::Error::custom)?;
                Body::Binary(bytes)
            }
            other => Body::Json(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(body: &Body) -> Body {
        serde_json::from_str(&serde_json::to_string(body).unwrap()).unwrap()
    }

    #[test]
    fn classifies_and_round_trips_each_kind() {
        let json = Body::from_bytes(br#"{"model":"claude","n":1}"#);
        assert_eq!(json.as_json().unwrap()["n"], 1);
        assert_eq!(round_trip(&json), json);

        let text = Body::from_bytes(b"plain <b>text</b>");
        assert_eq!(text, Body::Text("plain <b>text</b>".into()));
        assert_eq!(round_trip(&text), text);

        let binary = Body::from_bytes(&[0xff, 0x00, 0xfe]);
        assert_eq!(binary, Body::Binary(vec![0xff, 0x00, 0xfe]));
        assert_eq!(
            serde_json::to_string(&binary).unwrap(),
            r#"{"trace_claude_binary":true,"base64":"/wD+"}"#
        );
        assert_eq!(round_trip(&binary), binary);

        assert_eq!(Body::from_bytes(b""), Body::Empty);
        assert_eq!(serde_json::to_string(&Body::Empty).unwrap(), "null");
    }
}
