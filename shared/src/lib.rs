//! The trace_claude event: what the proxy saw, one value per JSONL line.
//!
//! The serde serialization of [`Event`] *is* the session log's line format, so the
//! proxy, the log writer, the event API and the browser app cannot disagree on it.
//! Fields may be added over time, never renamed or removed (see SPEC.md).

mod body;
mod event;
mod flow;
mod pricing;
mod timestamp;
mod totals;

pub use body::Body;
pub use event::{
    ErrorStage, Event, EventKind, FlowError, FlowId, Headers, Request, Response, ResponseHeaders,
    SseEvent, StreamEnd,
};
pub use flow::{FlowState, FlowSummary, RequestFacts, Usage};
pub use pricing::{ModelPrice, Prices, PricesError};
pub use timestamp::Timestamp;
pub use totals::{percentile, ModelTotals, Totals, UNKNOWN_MODEL};
