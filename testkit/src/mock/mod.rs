//! A small Anthropic-shaped upstream on 127.0.0.1, run by the tests.
//!
//! Requests choose a behaviour with `x-mock-scenario` (see [`Scenario`]; a
//! name the mock does not know gets a 400 saying so, never a default);
//! without the header the mock answers like the Messages API would answer
//! Claude Code, including a Bash tool round trip when the prompt contains
//! `TRACE_E2E`.
//!
//! This module serves and routes; [`scenarios`] says what each scenario
//! answers, `claude_like` the answer without one, and `body` how answers go
//! on the wire.

mod body;
mod claude_like;
pub use claude_like::{MCP_LIST_SESSIONS, OAUTH_ACCESS_TOKEN, OAUTH_REFRESH_TOKEN};
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod tls;
mod websocket;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use body::MockResponse;
pub use scenarios::{flood_event, Scenario, INVALID_SSE, TOOL_INPUT_COMMAND};

/// The zero of the `t` stamps in `bench` events: nanoseconds since this
/// instant, which the benchmark's client reads in the same process.
pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// A request as the mock received it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl SeenRequest {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the mock saw and did, for the tests to check.
#[derive(Default)]
pub struct MockState {
    requests: Mutex<Vec<SeenRequest>>,
    /// Response bodies dropped before their end: the proxy cancelled them.
    pub streams_cancelled: AtomicUsize,
    pub streams_completed: AtomicUsize,
    /// Body bytes the `flood` and `big` scenarios have handed to the
    /// connection so far: how far a stream got before backpressure held it.
    pub bytes_sent: AtomicU64,
    /// Milliseconds the next `/v1/messages` call waits before its answer
    /// (once): a request in flight to cut.
    stall_next_messages_ms: AtomicU64,
}

impl MockState {
    /// The next `/v1/messages` call waits `delay` before it is answered.
    pub fn stall_next_messages(&self, delay: std::time::Duration) {
        self.stall_next_messages_ms.store(
            delay.as_millis() as u64,
            std::sync::atomic::Ordering::SeqCst,
        );
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// The mock, serving until dropped.
pub struct MockUpstream {
    pub addr: SocketAddr,
    pub state: Arc<MockState>,
    /// Set when the mock speaks HTTPS ([`MockUpstream::start_tls`]).
    pub tls: Option<tls::TestCa>,
    task: JoinHandle<()>,
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockUpstream {
    /// Starts the mock on a free port of 127.0.0.1 (call inside a tokio runtime).
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(0).await
    }

    /// Starts the mock on `port` of 127.0.0.1 (0: a free one).
    pub async fn start_on(port: u16) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(MockState::default());
        let task = tokio::spawn(serve(listener, Arc::clone(&state), None));
        Ok(MockUpstream {
            addr,
            state,
            tls: None,
            task,
        })
    }

    /// Starts the mock speaking HTTPS on a free port of 127.0.0.1, with a
    /// certificate for `localhost` and `127.0.0.1` signed by a test CA made
    /// for this mock alone (its PEM file: `self.tls`).
    pub async fn start_tls() -> anyhow::Result<Self> {
        Self::start_tls_on("127.0.0.1:0".parse()?, &[]).await
    }

    /// Starts the mock speaking HTTPS on `addr`, its certificate also naming
    /// `hosts`: it stands in for api.anthropic.com and the other hosts when
    /// the proxy is told `--resolve api.anthropic.com:443:ADDR`. A port
    /// below 1024 needs root (CI runs as root).
    pub async fn start_tls_on(addr: SocketAddr, hosts: &[&str]) -> anyhow::Result<Self> {
        let mut names = vec!["localhost", "127.0.0.1"];
        names.extend_from_slice(hosts);
        let ip = addr.ip().to_string();
        names.push(&ip);
        let (ca, acceptor) = tls::TestCa::new(&names)?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("the HTTPS mock cannot listen on {addr}"))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(MockState::default());
        let task = tokio::spawn(serve(listener, Arc::clone(&state), Some(acceptor)));
        Ok(MockUpstream {
            addr,
            state,
            tls: Some(ca),
            task,
        })
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

async fn serve(
    listener: TcpListener,
    state: Arc<MockState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| respond(Arc::clone(&state), req));
            // More generous than the proxy, so that tests meet the proxy's limits.
            let http = hyper::server::conn::http1::Builder::new()
                .max_headers(1000)
                .max_buf_size(4 << 20)
                .clone();
            match tls {
                None => {
                    let _ = http
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                }
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let _ = http
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                }
            }
        });
    }
}

/// Records the request, then answers it as its scenario (or its absence) says.
async fn respond(
    state: Arc<MockState>,
    mut req: hyper::Request<Incoming>,
) -> Result<MockResponse, std::io::Error> {
    let upgrade = websocket::wants_upgrade(&req).then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let seen = SeenRequest {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    if let Ok(mut requests) = state.requests.lock() {
        requests.push(seen.clone());
    }
    if let Some(upgrade) = upgrade {
        return Ok(websocket::echo(&seen, upgrade));
    }
    if seen.path.starts_with("/v1/messages") {
        let stall = state
            .stall_next_messages_ms
            .swap(0, std::sync::atomic::Ordering::SeqCst);
        if stall > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(stall)).await;
        }
    }
    let request_json: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    let model = request_json["model"].as_str().unwrap_or("claude-mock-1");

    let Some(name) = seen.header("x-mock-scenario") else {
        return Ok(claude_like::answer(&state, &seen, &request_json, model));
    };
    let Some(scenario) = Scenario::parse(name) else {
        return Ok(scenarios::unknown(name));
    };
    let mut response = scenarios::answer(&state, &seen, model, scenario);
    // `x-mock-set-cookie`: any scenario sends the request's cookie back.
    if let Some(cookie) = seen
        .header("x-mock-set-cookie")
        .and(seen.header("cookie"))
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        response.headers_mut().insert("set-cookie", cookie);
    }
    Ok(response)
}
