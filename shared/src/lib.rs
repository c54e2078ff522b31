//! The trace_claude event: what the proxy saw, one value per JSONL line.
//!
//! The serde serialization of [`Event`] *is* the session log's line format, so the
//! proxy, the log writer, the event API and the browser app cannot disagree on it.
//! Fields may be added over time, never renamed or removed (see docs/INTERFACE.md).
//!
//! The Messages API's own vocabulary (content blocks, usage, API errors,
//! stream event names) lives in [`anthropic`], which every reading uses.
//!
//! Beside it, pure readings of logged events that server and browser both need:
//! a request as a [`Conversation`], a response [`reassemble`]d, the [`context_diff`]
//! between two requests, a flow's summary, and what its tokens cost.

pub mod agent_totals;
pub mod anthropic;
pub mod api;
mod body;
pub mod cache_miss;
pub mod context_diff;
pub mod conversation;
mod event;
mod flow;
pub mod hosts;
mod pricing;
pub mod reassemble;
pub mod secrets;
#[cfg(test)]
mod test_support;
mod timestamp;
mod totals;
pub mod turns;

pub use agent_totals::{AgentTotals, SessionTotals};
pub use anthropic::usage::{InferenceGeo, ServiceTier, Speed};
pub use anthropic::{ApiCacheMiss, ApiError, SseEventName, Usage};
pub use body::Body;
pub use cache_miss::{CacheMiss, MissReason};
pub use context_diff::{context_diff, ContextDiff, MessagesChange, ParamChange, SystemChange};
pub use conversation::{Block, Conversation, Message, Tool};
pub use event::{
    request_body, CaptureMode, ErrorStage, Event, EventKind, FlowError, FlowId, Headers, Request,
    Response, ResponseHeaders, SseEvent, StreamEnd, Tunnel, WebSocketKind, WebSocketMessage,
    WebSocketSide,
};
pub use flow::{
    FlowState, FlowSummary, RequestFacts, TunnelBytes, AGENT_HEADER, PARENT_AGENT_HEADER,
    SESSION_HEADER,
};
pub use hosts::Category;
pub use pricing::{
    Band, Cost, CostBasis, LongPrompt, ModelPrice, Prices, PricesError, Rates, Unpriced,
};
pub use reassemble::{reassemble, Assembled, AssembledBlock, ReceivedInput};
pub use timestamp::Timestamp;
pub use totals::{flow_cost, percentile, ModelTotals, Totals, UNKNOWN_MODEL};
