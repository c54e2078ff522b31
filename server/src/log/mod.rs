//! The session log: one JSON object a line, written in the order the proxy
//! saw the events, and every way of reading it back.
//!
//! - [`writer`]: creates the file and appends each event from the proxy.
//! - [`hub`]: hands each line, numbered, to live subscribers.
//! - [`reader`]: frames a log into lines, tolerating a cut last line.
//! - [`index`]: byte offsets and flow summaries of a log, grown as it grows.
//! - [`catalog`]: the logs a server can show, each with its index.

pub mod catalog;
pub mod hub;
pub mod index;
pub mod reader;
pub mod writer;
