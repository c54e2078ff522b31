//! The `trace_claude` binary's library: everything but argument dispatch,
//! so that the router and the handlers can be tested in-process.
//!
//! Data flows one way:
//!
//! ```text
//! proxy (crate)  ──events──▶  log::writer ──▶ session log file (JSONL)
//!                                  │                 │
//!                                  ▼                 ▼
//!                              log::hub         log::index  (one reader of a log)
//!                           (live lines)             │
//!                                  └──────┬──────────┘
//!                                         ▼
//!                              web (typed API: shared::api) ──▶ browser (app crate)
//!                              export, commands::stats, mcp (tools over stdio)
//! ```
//!
//! - [`commands`]: one module per subcommand (`listen`, `run`, `view`,
//!   `stats`, `export`); each is a thin edge over the pieces below.
//! - [`log`]: the session log: writing it, reading it back, indexing it,
//!   listing logs, following the live one, and whether it is being written.
//! - [`web`]: the web port: the UI and its API.
//! - [`export`]: a log as a file to share (HAR, JSON Lines, an HTML report).
//! - [`mcp`]: `trace_claude mcp`, the saved sessions as MCP tools for Claude Code.

pub mod cli;
pub mod commands;
pub mod export;
pub mod log;
pub mod mcp;
pub mod otlp;
pub mod prices;
pub mod state;
pub mod web;
