//! What the integration tests share: the binary under test, running its
//! commands, requests to the proxy in front of the mock upstream, reading
//! answers, and waiting for the log to catch up.
//!
//! Every integration test of the server is a module of this one test binary
//! (`tests/integration/main.rs`): a new test file goes beside this one and is
//! declared there with `mod NAME;`, rather than as `tests/NAME.rs`, which
//! cargo would build as one more binary linking everything again. Helpers the
//! benchmark or the end-to-end binaries need too live in `testkit` instead.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::RequestBuilder;
use serde_json::Value;
use testkit::binary::{flow_events, is_flow_end};
use testkit::{client, MockUpstream, TraceClaude};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The `trace_claude` binary cargo built for these tests.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_trace_claude"))
}

/// `trace_claude ARGS...` to its end, with nothing on standard input.
pub fn run<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .env("TRACE_CLAUDE_STATE_DIR", test_state_dir())
        .output()
        .unwrap()
}

/// Where a `listen` a test starts by hand keeps its forward-capture token and
/// CA: never the home directory of whoever runs the tests.
pub fn test_state_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("trace_claude-tests-state")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failed command prints exactly one line naming `mentions`, no panic and
/// nothing on standard output, and exits non-zero.
pub fn assert_one_line_error(out: &Output, mentions: &str) {
    assert!(!out.status.success(), "{}", stderr(out));
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(mentions),
        "{err:?} should mention {mentions:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "{}", stdout(out));
}

/// The body most tests send: any model, streamed.
pub const STREAM_BODY: &str = r#"{"model":"m","stream":true}"#;

/// A Messages API call through the proxy at `proxy` that asks the mock for
/// `scenario`, with [`STREAM_BODY`] (a later `.body(...)` replaces it).
pub fn scenario(proxy: &str, scenario: &str) -> RequestBuilder {
    client()
        .post(format!("{proxy}/v1/messages"))
        .header("x-mock-scenario", scenario)
        .body(STREAM_BODY)
}

/// The API key Claude Code would send, in [`claude_request`].
pub const API_KEY: &str = "sk-ant-api03-SECRETSECRETSECRETSECRET-WXYZ";

/// A call as Claude Code makes it (its path, key and content type) through
/// the proxy at `proxy`, asking the mock for `scenario`; the caller adds the body.
pub fn claude_request(proxy: &str, scenario: &str) -> RequestBuilder {
    client()
        .post(format!("{proxy}/v1/messages?beta=true"))
        .header("x-mock-scenario", scenario)
        .header("x-api-key", API_KEY)
        .header("content-type", "application/json")
}

/// Sends `request` and reads its whole body, which must come with a 200.
pub async fn read_ok(request: RequestBuilder) -> String {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Reads a response body to its end, counting bytes; calls `each` on every chunk.
pub async fn drain(mut response: reqwest::Response, mut each: impl FnMut(&[u8])) -> u64 {
    let mut total = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        total += chunk.len() as u64;
        each(&chunk);
    }
    total
}

/// GET `url`: its status and body.
pub async fn get(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// GET `url`, which must answer 200 with JSON.
pub async fn get_json(url: &str) -> Value {
    let (status, body) = get(url).await;
    assert_eq!(status, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The events of one flow of the mock's `text` scenario, streamed, in order.
pub const TEXT_FLOW_SHAPE: [&str; 11] = [
    "request",
    "response_headers",
    "sse:message_start",
    "sse:content_block_start",
    "sse:ping",
    "sse:content_block_delta",
    "sse:content_block_delta",
    "sse:content_block_stop",
    "sse:message_delta",
    "sse:message_stop",
    "stream_end",
];

/// The delta types of the mock's `thinking_tool` answer, in order.
pub const THINKING_TOOL_DELTAS: [&str; 5] = [
    "thinking_delta",
    "signature_delta",
    "input_json_delta",
    "input_json_delta",
    "input_json_delta",
];

/// Waits until the flow of the `n`-th request (0-based) has ended in the log;
/// returns its id and its events.
pub fn finished_flow(tc: &TraceClaude, n: usize, timeout: Duration) -> (String, Vec<Value>) {
    let nth_flow = |events: &[Value]| -> Option<String> {
        let request = events.iter().filter(|e| e["type"] == "request").nth(n)?;
        Some(request["flow_id"].as_str()?.to_owned())
    };
    let events = tc.wait_for(timeout, |events| {
        nth_flow(events).is_some_and(|flow| {
            events
                .iter()
                .any(|e| e["flow_id"] == flow.as_str() && is_flow_end(e))
        })
    });
    let flow = nth_flow(&events).unwrap();
    let flow_events = flow_events(&events, &flow).into_iter().cloned().collect();
    (flow, flow_events)
}

/// The `data` of every SSE event named `name`, in log order.
pub fn sse_data(events: &[Value], name: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == "sse" && e["event"] == name)
        .map(|e| e["data"].clone())
        .collect()
}

/// The mock upstream and a `trace_claude listen` in front of it. The mock
/// must outlive the proxy's use of it: keep both.
pub async fn mock_and_proxy() -> (MockUpstream, TraceClaude) {
    let mock = MockUpstream::start().await.unwrap();
    let tc = TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
    (mock, tc)
}

/// Reads the proxy's first answer on a raw connection, within `timeout`: it
/// must be the 413 of a request body over the proxy's limit.
pub async fn assert_413(reader: &mut (impl AsyncRead + Unpin), timeout: Duration) {
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(timeout, reader.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("exceeds the proxy's limit"), "{answer}");
}

/// The API key the real CLI is given in the end-to-end tests.
pub const CLAUDE_KEY: &str = "sk-ant-api03-e2eSECRETe2eSECRETe2eSECRET-K3Y9";

/// The repository (the workspace root).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Where `npm ci` in end2end/ put the Claude Code CLI.
pub fn claude_dir() -> PathBuf {
    let bin = repo().join("end2end/node_modules/.bin");
    assert!(
        bin.join("claude").exists(),
        "the Claude Code CLI is not installed: run ./scripts/setup (it runs npm ci in end2end/)"
    );
    bin
}

/// `./bin/trace_claude_run ARGS` as a user runs it, against the proxy on
/// `port`: a fresh HOME and working directory, an API key, no updater, and
/// nothing from this shell that could decide the route. Blocks (call it on
/// a blocking thread).
pub fn trace_claude_run(args: &[&str], port: u16, state: Option<&Path>) -> std::process::Output {
    let path = format!(
        "{}:{}",
        claude_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut command = Command::new(repo().join("bin/trace_claude_run"));
    command
        .args(args)
        .current_dir(work.path())
        .env("PATH", &path)
        .env("HOME", home.path())
        .env("ANTHROPIC_API_KEY", CLAUDE_KEY)
        .env("DISABLE_AUTOUPDATER", "1")
        .env("TRACE_CLAUDE_PORT", port.to_string())
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("HTTPS_PROXY")
        .env_remove("NODE_EXTRA_CA_CERTS");
    if let Some(state) = state {
        command.env("TRACE_CLAUDE_STATE_DIR", state);
    }
    command.output().unwrap()
}
