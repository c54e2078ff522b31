//! Test support shared by the integration tests, the end-to-end tests and the
//! benchmark: a mock of the Anthropic API ([`mock`]), the SSE scripts it plays
//! ([`script`]), and a driver for the real `trace_claude` binary ([`binary`]).

pub mod binary;
pub mod mock;
pub mod script;
pub mod session_gen;

pub use binary::{TraceClaude, Viewer};
pub use mock::MockUpstream;
