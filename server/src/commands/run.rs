//! `trace_claude run`: runs a command with Claude Code pointed at the proxy.

use std::ffi::OsString;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::state;

const DEFAULT_PORT: u16 = 8000;
const ANTHROPIC_API: &str = "https://api.anthropic.com";
/// Never through the proxy: the proxy itself and anything else local.
const LOOPBACK: &str = "localhost,127.0.0.1,::1";

/// Variables that give back what Claude Code turns off when its base URL is
/// not Anthropic's: set by a plain `run` when the proxy forwards to
/// Anthropic's own API, unless the user set them.
const DIRECT_BEHAVIOUR: &[(&str, &str)] = &[
    ("ENABLE_TOOL_SEARCH", "true"),
    ("CLAUDE_CODE_ENABLE_FINE_GRAINED_TOOL_STREAMING", "1"),
    ("CLAUDE_CODE_PROPAGATE_TRACEPARENT", "1"),
];

/// Points the command at the proxy and replaces this process with it, so
/// signals, the terminal and the exit code are the command's own.
///
/// Plain: `ANTHROPIC_BASE_URL`. With `mitm`: `HTTPS_PROXY` carrying the
/// proxy's token, `NODE_EXTRA_CA_CERTS` its CA, `NO_PROXY` loopback, and no
/// `ANTHROPIC_BASE_URL`, so Claude Code behaves as it does direct.
pub fn exec(mitm: bool, command: Vec<OsString>) -> anyhow::Result<()> {
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
    let mut child = Command::new(program);
    child.args(args).env_remove("TRACE_CLAUDE_COMMAND");
    if mitm {
        let proxy = state::read(port)?;
        let url = format!("http://trace_claude:{}@{addr}", proxy.token);
        child
            .env("HTTPS_PROXY", &url)
            .env("https_proxy", &url)
            .env("NO_PROXY", LOOPBACK)
            .env("no_proxy", LOOPBACK)
            .env("NODE_EXTRA_CA_CERTS", &proxy.ca_cert)
            .env_remove("ANTHROPIC_BASE_URL");
    } else {
        child.env("ANTHROPIC_BASE_URL", format!("http://{addr}"));
        // A proxy started by an older trace_claude left no state: as before.
        let to_anthropic = state::read(port)
            .is_ok_and(|proxy| proxy.upstream.trim_end_matches('/') == ANTHROPIC_API);
        if to_anthropic {
            for (name, value) in DIRECT_BEHAVIOUR {
                if std::env::var_os(name).is_none() {
                    child.env(name, value);
                }
            }
        }
    }
    let err = child.exec();
    Err(err).with_context(|| format!("cannot run {}", program.to_string_lossy()))
}
