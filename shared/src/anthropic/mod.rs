//! The Anthropic Messages API's wire vocabulary, in one place: content
//! blocks, the `usage` object, the API error object and the stream's event
//! names. The readings of requests and responses (`conversation`,
//! `reassemble`, `flow`, `context_diff`) and the browser's summaries all
//! read the wire through it, so they cannot disagree on what it says.

pub mod blocks;
pub mod diagnostics;
pub mod error;
pub mod message;
pub mod sse;
pub mod usage;

pub use blocks::Block;
pub use diagnostics::ApiCacheMiss;
pub use error::ApiError;
pub use message::{describe_stop, AppliedEdit, Cleared, Container, StopDetails, StopReason};
pub use sse::SseEventName;
pub use usage::Usage;

#[cfg(test)]
mod tests;
