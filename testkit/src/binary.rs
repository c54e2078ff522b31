//! Drives the real `trace_claude` binary: starts `listen` on free ports, reads
//! the banner, reads the session log, stops it with a signal.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

/// The flags of `listen` that let the system pick both ports.
pub const FREE_PORTS: [&str; 4] = ["--port", "0", "--web-port", "0"];

/// A running `trace_claude listen`, stopped when dropped.
pub struct TraceClaude {
    child: Child,
    pub proxy_port: u16,
    pub web_port: u16,
    pub log_path: PathBuf,
    pub stderr_path: PathBuf,
    /// The banner as printed, line by line.
    pub banner: Vec<String>,
    pub dir: tempfile::TempDir,
}

impl Drop for TraceClaude {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TraceClaude {
    /// `trace_claude listen --port 0 --web-port 0` with a fresh sessions
    /// directory, forwarding to `upstream`, plus `extra` arguments.
    pub fn start(bin: &Path, upstream: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let sessions = dir.path().join("sessions");
        Self::start_in(bin, upstream, &sessions, extra, dir, |_| {})
    }

    /// Like [`TraceClaude::start`], writing into `sessions` when given, and
    /// letting `setup` adjust the command first (its working directory,
    /// environment, resource limits).
    pub fn start_with(
        bin: &Path,
        upstream: &str,
        sessions: Option<&Path>,
        extra: &[&str],
        setup: impl FnOnce(&mut Command),
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let sessions = sessions.map_or_else(|| dir.path().join("sessions"), Path::to_path_buf);
        Self::start_in(bin, upstream, &sessions, extra, dir, setup)
    }

    /// Like [`TraceClaude::start`], writing its log into `sessions`.
    pub fn start_with_sessions(
        bin: &Path,
        upstream: &str,
        sessions: &Path,
    ) -> anyhow::Result<Self> {
        Self::start_in(bin, upstream, sessions, &[], tempfile::tempdir()?, |_| {})
    }

    fn start_in(
        bin: &Path,
        upstream: &str,
        sessions: &Path,
        extra: &[&str],
        dir: tempfile::TempDir,
        setup: impl FnOnce(&mut Command),
    ) -> anyhow::Result<Self> {
        let stderr_path = dir.path().join("stderr.txt");
        let mut command = Command::new(bin);
        // Free ports, unless the test names one (a restart on the same port).
        let free: Vec<&str> = FREE_PORTS
            .chunks(2)
            .filter(|flag| !extra.contains(&flag[0]))
            .flatten()
            .copied()
            .collect();
        command
            .arg("listen")
            .args(free)
            .args(["--upstream", upstream])
            .arg("--sessions-dir")
            .arg(sessions)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path)?)
            // Its forward-capture token and CA stay inside the test's dir.
            .env("TRACE_CLAUDE_STATE_DIR", dir.path().join("state"));
        setup(&mut command);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Read the banner on a thread so a silent binary cannot hang the test.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let last = line.starts_with("Press Ctrl+C");
                lines.push(line);
                if last {
                    let _ = tx.send(lines.clone());
                }
            }
        });
        let banner = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(lines) => lines,
            Err(_) => {
                let _ = child.kill();
                let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                bail!("trace_claude printed no banner within 30 s; stderr: {stderr}");
            }
        };
        let port_after = |prefix: &str| -> anyhow::Result<u16> {
            let line = banner
                .iter()
                .find(|l| l.starts_with(prefix))
                .with_context(|| format!("no banner line starting {prefix:?} in {banner:?}"))?;
            let port = line.rsplit(':').next().unwrap_or_default();
            port.parse().with_context(|| format!("no port in {line:?}"))
        };
        let proxy_port = port_after("✓ Proxy listening on http://")?;
        let web_port = port_after("✓ Web UI at http://")?;
        let log_line = banner
            .iter()
            .find_map(|l| l.strip_prefix("✓ Logs: "))
            .context("no log path in the banner")?;
        Ok(TraceClaude {
            child,
            proxy_port,
            web_port,
            log_path: PathBuf::from(log_line),
            stderr_path,
            banner,
            dir,
        })
    }

    pub fn proxy_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.proxy_port)
    }

    pub fn web_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.web_port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's resident memory in KiB (`VmRSS` of /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Every whole line of the log, parsed. Panics on a line that is not JSON:
    /// that is a corrupt log.
    pub fn events(&self) -> Vec<Value> {
        read_log(&self.log_path)
    }

    /// Polls the log until `done` holds for its events, or fails after `timeout`.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let events = self.events();
            if done(&events) {
                return events;
            }
            if start.elapsed() > timeout {
                panic!(
                    "the log did not reach the expected state within {timeout:?}; it has {} events:\n{}",
                    events.len(),
                    events.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls the log's raw text until `done` holds for it, or fails after
    /// `timeout`. For logs too big to parse on every poll: text searches are
    /// fast even in a debug build, JSON parsing is not.
    pub fn wait_for_text(&self, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
            if done(&text) {
                return text;
            }
            if start.elapsed() > timeout {
                panic!(
                    "the log did not reach the expected state within {timeout:?}; it has {} bytes",
                    text.len()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a signal (`INT`, `TERM`, `KILL`) and waits for the process to end.
    pub fn signal_and_wait(&mut self, signal: &str) -> anyhow::Result<ExitStatus> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()?;
        if !status.success() {
            bail!("kill -{signal} failed");
        }
        self.wait_for_exit(Duration::from_secs(10))
            .with_context(|| format!("after SIG{signal}"))
    }

    /// Waits for the process to end, or fails after `timeout`.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if start.elapsed() > timeout {
                bail!("trace_claude did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The resident memory of process `pid` in KiB, 0 if it cannot be read.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Parses a session log; a last line without its newline is ignored (a log
/// cut short), any other line that is not JSON fails the test.
pub fn read_log(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    complete
        .lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("log line {} is not JSON ({e}): {line}", i + 1))
        })
        .collect()
}

/// The events of one flow, in log order.
pub fn flow_events<'a>(events: &'a [Value], flow_id: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["flow_id"] == flow_id).collect()
}

/// The `type` (and SSE event name) of each event: `["request", "response_headers", "sse:message_start", ...]`.
pub fn shape(events: &[&Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e["type"].as_str() {
            Some("sse") => format!("sse:{}", e["event"].as_str().unwrap_or("?")),
            Some(t) => t.to_owned(),
            None => "?".to_owned(),
        })
        .collect()
}

/// `trace_claude view FILE...` on a free port, stopped when dropped.
pub struct Viewer {
    child: Child,
    web_port: u16,
    stderr_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Viewer {
    pub fn start(bin: &Path, files: &[&Path], extra: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let stderr_path = dir.path().join("stderr.txt");
        let mut child = Command::new(bin)
            .arg("view")
            .args(files)
            .args(["--web-port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path)?)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("✓ Web UI at http://") {
                    let _ = tx.send(rest.rsplit(':').next().unwrap_or_default().to_owned());
                }
            }
        });
        let Ok(port) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            bail!("trace_claude view printed no banner within 30 s; stderr: {stderr}");
        };
        Ok(Viewer {
            child,
            web_port: port.parse().context("no port in the banner")?,
            stderr_path,
            _dir: dir,
        })
    }

    pub fn web_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.web_port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `event` ends its flow: a `stream_end`, a `response`, or an
/// `error` other than a `decode` note (after which the flow goes on).
pub fn is_flow_end(event: &Value) -> bool {
    match event["type"].as_str() {
        Some("stream_end" | "response") => true,
        Some("error") => event["stage"] != "decode",
        _ => false,
    }
}

/// Events that end a flow (see [`is_flow_end`]), counted: how tests wait
/// for traffic to be recorded.
pub fn ended_events(events: &[Value]) -> usize {
    events.iter().filter(|e| is_flow_end(e)).count()
}
