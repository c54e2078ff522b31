//! The API error object, `{"type":"error","error":{"type":..,"message":..}}`:
//! the body of an error response, the data of an SSE `error` event, and what
//! the proxy answers itself when the upstream fails.

use std::fmt;

use serde_json::{json, Value};

/// An API error: its kind (`overloaded_error`, ...) and message, each of
/// which may be missing from what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: Option<String>,
    pub message: Option<String>,
}

impl ApiError {
    pub fn new(kind: &str, message: &str) -> Self {
        ApiError {
            kind: Some(kind.to_owned()),
            message: Some(message.to_owned()),
        }
    }

    /// Reads an error object. `None` when `value` has no `error` object with
    /// a string `type` or `message`: then it is not shaped like one, and the
    /// caller shows what it says instead (see [`describe`]).
    pub fn from_json(value: &Value) -> Option<ApiError> {
        let error = value.get("error")?;
        let field = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
        let read = ApiError {
            kind: field("type"),
            message: field("message"),
        };
        (read.kind.is_some() || read.message.is_some()).then_some(read)
    }

    /// The object as the API sends it.
    pub fn to_json(&self) -> Value {
        json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
        })
    }

    /// The message, else the kind: what a one-line summary says.
    pub fn headline(&self) -> &str {
        self.message
            .as_deref()
            .or(self.kind.as_deref())
            .unwrap_or_default()
    }
}

/// `kind: message`, or whichever of the two was sent.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, &self.message) {
            (Some(kind), Some(message)) => write!(f, "{kind}: {message}"),
            (Some(text), None) | (None, Some(text)) => f.write_str(text),
            (None, None) => Ok(()),
        }
    }
}

/// What a value says when it is not an error object: a string as it is,
/// anything else as its JSON.
pub fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
