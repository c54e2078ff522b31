//! The names of the Messages API's stream events, and the one rule for an
//! event sent without a name.

use serde_json::Value;

/// The name SSE gives an event without an `event:` line; the proxy logs it
/// so, as the spec says, and readers resolve it by [`SseEventName::of`].
pub const UNNAMED_EVENT: &str = "message";

/// An SSE event of the Messages stream this code knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseEventName {
    MessageStart,
    ContentBlockStart,
    ContentBlockDelta,
    ContentBlockStop,
    MessageDelta,
    MessageStop,
    Ping,
    Error,
}

impl SseEventName {
    pub const ALL: [SseEventName; 8] = [
        SseEventName::MessageStart,
        SseEventName::ContentBlockStart,
        SseEventName::ContentBlockDelta,
        SseEventName::ContentBlockStop,
        SseEventName::MessageDelta,
        SseEventName::MessageStop,
        SseEventName::Ping,
        SseEventName::Error,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SseEventName::MessageStart => "message_start",
            SseEventName::ContentBlockStart => "content_block_start",
            SseEventName::ContentBlockDelta => "content_block_delta",
            SseEventName::ContentBlockStop => "content_block_stop",
            SseEventName::MessageDelta => "message_delta",
            SseEventName::MessageStop => "message_stop",
            SseEventName::Ping => "ping",
            SseEventName::Error => "error",
        }
    }

    /// A known name, as sent.
    pub fn parse(name: &str) -> Option<SseEventName> {
        Self::ALL.into_iter().find(|known| known.as_str() == name)
    }

    /// What a logged event is. An unnamed event ([`UNNAMED_EVENT`]) is what
    /// its `data.type` says, since the Messages API repeats every event's
    /// name there; `None` for an event this code does not know.
    pub fn of(event: &str, data: &Value) -> Option<SseEventName> {
        let name = match (event, data.get("type").and_then(Value::as_str)) {
            (UNNAMED_EVENT, Some(kind)) => kind,
            _ => event,
        };
        Self::parse(name)
    }
}
