//! What the unit tests of several modules build their cases from.

use serde_json::Value;

use crate::{Event, EventKind, FlowId, SseEvent, Timestamp, Usage};

/// Token counts as the API reports them: input, output, cache read, cache write.
pub(crate) fn usage(input: u64, output: u64, read: u64, write: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_input_tokens: read,
        cache_creation_input_tokens: write,
        ..Usage::default()
    }
}

/// The one flow the cases of a single exchange belong to.
pub(crate) fn flow() -> FlowId {
    FlowId("f".into())
}

/// An event logged now.
pub(crate) fn event(kind: EventKind) -> Event {
    Event {
        ts: Timestamp::now(),
        kind,
    }
}

/// An SSE event of [`flow`], named `name`, without an `id`.
pub(crate) fn sse(name: &str, data: Value) -> Event {
    event(EventKind::Sse(SseEvent {
        flow_id: flow(),
        event: name.into(),
        data,
        id: None,
    }))
}
