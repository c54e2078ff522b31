//! `trace_claude run`: runs a command with Claude Code pointed at the proxy.

use std::ffi::OsString;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

const DEFAULT_PORT: u16 = 8000;

/// Sets `ANTHROPIC_BASE_URL` and replaces this process with the command, so
/// signals, the terminal and the exit code are the command's own.
pub fn exec(command: Vec<OsString>) -> anyhow::Result<()> {
    let port = match std::env::var("TRACE_CLAUDE_PORT") {
        Ok(text) => text
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .with_context(|| format!("TRACE_CLAUDE_PORT={text:?} is not a port number"))?,
        Err(_) => DEFAULT_PORT,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
        let flag = if port == DEFAULT_PORT {
            String::new()
        } else {
            format!(" --port {port}")
        };
        // bin/trace_claude names itself so; an installed binary is on PATH.
        let listen =
            std::env::var("TRACE_CLAUDE_COMMAND").unwrap_or_else(|_| "trace_claude".into());
        anyhow::bail!(
            "nothing is listening on {addr}: start the proxy first with `{listen} listen{flag}`"
        );
    }
    let (program, args) = command.split_first().context("no command given")?;
    let err = Command::new(program)
        .args(args)
        .env("ANTHROPIC_BASE_URL", format!("http://{addr}"))
        .env_remove("TRACE_CLAUDE_COMMAND")
        .exec();
    Err(err).with_context(|| format!("cannot run {}", program.to_string_lossy()))
}
