//! Arize Phoenix, a real OpenTelemetry backend, for the export tests: it
//! takes OTLP/HTTP protobuf on `/v1/traces` and answers the spans it stored
//! at `/v1/projects/{project}/spans`. `scripts/setup` installs it (PyPI,
//! pinned) into a virtual environment under `target/phoenix`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

/// Where `scripts/setup` installs Phoenix; `TRACE_CLAUDE_PHOENIX` names
/// another `phoenix` executable.
pub fn executable() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("TRACE_CLAUDE_PHOENIX") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/phoenix/bin/phoenix"),
    };
    if !path.exists() {
        bail!(
            "Arize Phoenix is not installed at {}: run ./scripts/setup, which installs it",
            path.display()
        );
    }
    Ok(path)
}

pub struct Phoenix {
    child: Child,
    /// Closing it stops Phoenix: also when the test process dies.
    lifeline: Option<ChildStdin>,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Phoenix {
    /// Starts Phoenix on free loopback ports with its own empty database,
    /// and waits until it is ready (about 20 s).
    pub fn start() -> anyhow::Result<Phoenix> {
        let exe = executable()?;
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        // Its gRPC port listens on every interface: a free one, never 4317.
        let grpc_port = free_port()?;
        // A shell between: Phoenix is killed when its standard input closes,
        // which happens when this process ends however it ends, so no test
        // run leaves a server behind.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" serve >"$1" 2>&1 & pid=$!; cat >/dev/null; kill -9 $pid; wait $pid"#)
            .arg(&exe)
            .arg(dir.path().join("phoenix.log"))
            .env("PHOENIX_HOST", "127.0.0.1")
            .env("PHOENIX_PORT", port.to_string())
            .env("PHOENIX_GRPC_PORT", grpc_port.to_string())
            .env("PHOENIX_WORKING_DIR", dir.path())
            .env("PHOENIX_TELEMETRY_ENABLED", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let lifeline = child.stdin.take();
        let mut phoenix = Phoenix {
            child,
            lifeline,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if get(port, "/healthz").is_ok_and(|(status, _)| status == 200) {
                return Ok(phoenix);
            }
            if phoenix.child.try_wait()?.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(phoenix._dir.path().join("phoenix.log"))
                    .unwrap_or_default();
                phoenix.stop();
                bail!("Phoenix did not get ready in 120 s: {log}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The base URL, as `--otlp-endpoint` takes it.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills Phoenix at once, as a crash would.
    pub fn stop(&mut self) {
        self.lifeline.take();
        let _ = self.child.wait();
    }

    /// Every span Phoenix stored for `project` (none for a project it has
    /// not seen yet).
    pub fn spans(&self, project: &str) -> anyhow::Result<Vec<Value>> {
        let mut spans = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/projects/{project}/spans?limit=1000");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, body) = get(self.port, &path)?;
            if status == 404 {
                return Ok(spans);
            }
            if status != 200 {
                bail!("Phoenix answered {status} to {path}: {body}");
            }
            let page: Value =
                serde_json::from_str(&body).context("Phoenix's spans are not JSON")?;
            spans.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(spans),
            }
        }
    }

    /// Waits until Phoenix has at least `n` spans for `project` (it ingests a
    /// few seconds after receipt), and returns them.
    pub fn wait_for_spans(
        &self,
        project: &str,
        n: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans(project)?;
            if spans.len() >= n {
                return Ok(spans);
            }
            if Instant::now() > deadline {
                bail!(
                    "Phoenix has {} spans of {project}, not {n}, after {timeout:?}",
                    spans.len()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Phoenix {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A plain HTTP/1.0 GET (whole body, no chunking): blocking, so that a
/// shared Phoenix can be started and read from any test's thread.
fn get(port: u16, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").context("no HTTP head")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    Ok((status, body.to_owned()))
}
