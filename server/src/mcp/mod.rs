//! `trace_claude mcp`: a Model Context Protocol server over stdio, so that a
//! user can ask Claude Code itself about their recorded sessions. Read-only:
//! the tools answer from the session logs in one directory, through the same
//! index, typed readings and redaction as the web UI and `export`.
//!
//! `tools` is the protocol side (names, parameters, descriptions); `answers`
//! reads the logs; `cap` keeps each answer within a model's context.

mod answers;
mod cap;
mod tools;

use std::sync::Arc;

use anyhow::Context;
use rmcp::ServiceExt;

use crate::cli::McpArgs;
use crate::log::catalog::{Catalog, Source};

pub use answers::{FlowQuery, Order, Outcome, Refusal, Traces};

/// Serves MCP on stdin and stdout until the client closes stdin.
pub async fn serve(args: McpArgs) -> anyhow::Result<()> {
    let prices = crate::prices::load(args.prices.file.as_deref())?;
    let dir = args.sessions_dir;
    if !dir.is_dir() {
        // Not fatal: a client starts its servers before any session exists,
        // and the tools say where they looked.
        eprintln!(
            "trace_claude mcp: {} is not a directory yet; the tools will say so until `trace_claude listen` writes a session there",
            dir.display()
        );
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // Run by hand: say what this is rather than wait in silence.
        eprintln!(
            "trace_claude mcp speaks MCP on stdin and stdout, for an MCP client; add it to Claude Code with: claude mcp add trace_claude -- trace_claude mcp --sessions-dir {}",
            dir.display()
        );
    }
    let traces = Traces::new(
        Catalog::new(Source::Directory {
            dir: dir.clone(),
            // This process writes no session; every log is a saved one.
            live: String::new(),
        }),
        Arc::new(prices),
        dir.display().to_string(),
    );
    let running = tools::TraceTools::new(traces)
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP client did not complete the handshake")?;
    running
        .waiting()
        .await
        .context("the MCP session ended with an error")?;
    Ok(())
}
