//! A small Anthropic-shaped upstream on 127.0.0.1, run by the tests.
//!
//! Requests choose a behaviour with `x-mock-scenario` (see [`Scenario`]);
//! without it the mock answers like the Messages API would answer Claude Code,
//! including a Bash tool round trip when the prompt contains `TRACE_E2E`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::script::{self, Encoding, ScriptEvent};

type MockBody = BoxBody<Bytes, std::io::Error>;

/// The zero of the `t` stamps in `bench` events: nanoseconds since this
/// instant, which the benchmark's client reads in the same process.
pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub struct MockState {
    requests: Mutex<Vec<SeenRequest>>,
    /// Response bodies dropped before their end: the proxy cancelled them.
    pub streams_cancelled: AtomicUsize,
    pub streams_completed: AtomicUsize,
    /// Body bytes the `flood` and `big` scenarios have handed to the
    /// connection so far: how far a stream got before backpressure held it.
    pub bytes_sent: AtomicU64,
}

impl MockState {
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

pub struct MockUpstream {
    pub addr: SocketAddr,
    pub state: Arc<MockState>,
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

    pub async fn start_on(port: u16) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(MockState::default());
        let task = tokio::spawn(serve(listener, Arc::clone(&state)));
        Ok(MockUpstream { addr, state, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve(listener: TcpListener, state: Arc<MockState>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |req| respond(Arc::clone(&state), req));
            // More generous than the proxy, so that tests meet the proxy's limits.
            let _ = hyper::server::conn::http1::Builder::new()
                .max_headers(1000)
                .max_buf_size(4 << 20)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// What a request asks the mock to do, from `x-mock-scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Streamed text ("Hello", " world", or the `x-mock-text` header's value).
    Text,
    /// Thinking, then a tool_use whose input arrives in three deltas.
    ThinkingTool,
    /// A non-streaming JSON message (compressed with `x-mock-encoding`, or
    /// merely labelled with `x-mock-label-encoding`).
    Json,
    /// 529 with the API's overloaded error body.
    Overloaded,
    /// message_start, then an in-band `error` event.
    MidstreamError,
    /// Two events, then the connection is cut without ending the body.
    Reset,
    /// `x-mock-count` deltas, one every `x-mock-interval-ms`.
    Slow,
    /// The text stream one byte per chunk.
    Bytewise,
    /// `x-mock-count` deltas stamped with send time, one every `x-mock-interval-us`.
    Bench,
    /// A JSON description of the request as received.
    Echo,
    /// The text stream, with a pause of `x-mock-stall-ms` after its first delta.
    Stall,
    /// [`INVALID_SSE`]: events without their blank line, not UTF-8, not JSON.
    InvalidSse,
    /// `x-mock-bytes` of SSE in 1 KiB `content_block_delta` events, sent as
    /// fast as the connection takes them.
    Flood,
    /// One SSE event whose data line is `x-mock-bytes` long, then
    /// `message_stop`.
    LongLine,
    /// A non-streaming `text/plain` body of `x-mock-bytes` bytes.
    Big,
}

/// The `invalid_sse` scenario's body: a valid first event, data that is not
/// JSON, data that is not UTF-8, and a last event without its blank line.
pub const INVALID_SSE: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
event: content_block_delta\ndata: this is not JSON\n\n\
event: content_block_delta\ndata: \xff\xfe not UTF-8 \xc3\n\n\
data: {\"no\":\"event name\"}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}";

/// One event of the `flood` scenario: exactly 1 KiB on the wire.
pub fn flood_event() -> Bytes {
    static EVENT: OnceLock<Bytes> = OnceLock::new();
    EVENT
        .get_or_init(|| {
            let head = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"";
            let tail = "\"}}\n\n";
            let fill = "x".repeat(1024 - head.len() - tail.len());
            Bytes::from(format!("{head}{fill}{tail}"))
        })
        .clone()
}

impl Scenario {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "text" => Scenario::Text,
            "thinking_tool" => Scenario::ThinkingTool,
            "json" => Scenario::Json,
            "overloaded" => Scenario::Overloaded,
            "midstream_error" => Scenario::MidstreamError,
            "reset" => Scenario::Reset,
            "slow" => Scenario::Slow,
            "bytewise" => Scenario::Bytewise,
            "bench" => Scenario::Bench,
            "echo" => Scenario::Echo,
            "stall" => Scenario::Stall,
            "invalid_sse" => Scenario::InvalidSse,
            "flood" => Scenario::Flood,
            "long_line" => Scenario::LongLine,
            "big" => Scenario::Big,
            _ => return None,
        })
    }
}

pub const TOOL_INPUT_COMMAND: &str = "echo trace-claude-e2e-marker";

async fn respond(
    state: Arc<MockState>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<MockBody>, std::io::Error> {
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
    let number = |name: &str, default: u64| {
        seen.header(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let encoding = seen.header("x-mock-encoding").and_then(Encoding::parse);
    let request_json: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    let model = request_json["model"]
        .as_str()
        .unwrap_or("claude-mock-1")
        .to_owned();

    let scenario = seen.header("x-mock-scenario").and_then(Scenario::parse);
    let Some(scenario) = scenario else {
        return Ok(claude_like(&state, &seen, &request_json, &model));
    };
    let mut response = match scenario {
        Scenario::Text => {
            let custom = seen.header("x-mock-text").map(str::to_owned);
            let pieces: Vec<&str> = match &custom {
                Some(text) => vec![text.as_str()],
                None => vec!["Hello", " world"],
            };
            stream(&state, &script::text_stream(&model, &pieces), encoding)
        }
        Scenario::ThinkingTool => stream(
            &state,
            &script::thinking_then_tool_use(
                &model,
                "Bash",
                &json!({"command": TOOL_INPUT_COMMAND, "description": "Print a marker"}),
            ),
            encoding,
        ),
        Scenario::Json => {
            let mut response = json_response(200, &script::message_json(&model, "Hi there"));
            if let Some(enc) = encoding {
                let plain = script::message_json(&model, "Hi there")
                    .to_string()
                    .into_bytes();
                let compressed = enc.compress_pieces(&[plain]).concat();
                *response.body_mut() = Full::new(Bytes::from(compressed))
                    .map_err(|e| match e {})
                    .boxed();
                response.headers_mut().insert(
                    "content-encoding",
                    hyper::header::HeaderValue::from_static(enc.header()),
                );
            }
            // A Content-Encoding label the body does not really have.
            if let Some(label) = seen
                .header("x-mock-label-encoding")
                .and_then(|l| hyper::header::HeaderValue::from_str(l).ok())
            {
                response.headers_mut().insert("content-encoding", label);
            }
            response
        }
        Scenario::Overloaded => json_response(
            529,
            &json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
        ),
        Scenario::MidstreamError => {
            stream(&state, &script::overloaded_mid_stream(&model), encoding)
        }
        Scenario::Reset => {
            let events = script::text_stream(&model, &["Hello", " world"]);
            let chunks = events[..2]
                .iter()
                .map(|e| (Duration::ZERO, Bytes::from(script::frame(e))))
                .collect();
            playback(&state, chunks, Ending::Reset, None)
        }
        Scenario::Slow => {
            let interval = Duration::from_millis(number("x-mock-interval-ms", 50));
            let count = number("x-mock-count", 20) as usize;
            let pieces: Vec<String> = (0..count).map(|i| format!("tick {i} ")).collect();
            let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let chunks = script::text_stream(&model, &pieces)
                .iter()
                .map(|e| (interval, Bytes::from(script::frame(e))))
                .collect();
            playback(&state, chunks, Ending::End, None)
        }
        Scenario::Bytewise => {
            let wire = script::encode(&script::text_stream(&model, &["Hello", " world"]));
            let chunks = wire
                .iter()
                .map(|b| (Duration::from_micros(300), Bytes::copy_from_slice(&[*b])))
                .collect();
            playback(&state, chunks, Ending::End, None)
        }
        Scenario::Bench => bench_stream(
            &state,
            number("x-mock-count", 1000),
            Duration::from_micros(number("x-mock-interval-us", 0)),
        ),
        Scenario::Echo => json_response(
            200,
            &json!({
                "method": seen.method,
                "path": seen.path,
                "headers": seen.headers.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect::<serde_json::Map<String, Value>>(),
                "body_len": seen.body.len(),
            }),
        ),
        Scenario::Stall => {
            let stall = Duration::from_millis(number("x-mock-stall-ms", 1000));
            let events = script::text_stream(&model, &["before the stall", " after the stall"]);
            // message_start, content_block_start, ping, the first delta: then the pause.
            let chunks = events
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let delay = if i == 4 { stall } else { Duration::ZERO };
                    (delay, Bytes::from(script::frame(e)))
                })
                .collect();
            playback(&state, chunks, Ending::End, None)
        }
        Scenario::InvalidSse => playback(
            &state,
            VecDeque::from([(Duration::ZERO, Bytes::from_static(INVALID_SSE))]),
            Ending::End,
            None,
        ),
        Scenario::Flood => {
            let total = number("x-mock-bytes", 1 << 20);
            let event = flood_event();
            let chunks = (0..total.div_ceil(event.len() as u64)).map(move |_| event.clone());
            counted_stream(&state, chunks, "text/event-stream")
        }
        Scenario::LongLine => {
            let total = number("x-mock-bytes", 1 << 20);
            let piece = Bytes::from(vec![b'a'; 64 * 1024]);
            let pieces = total.div_ceil(piece.len() as u64);
            let chunks = std::iter::once(Bytes::from_static(b"event: long\ndata: "))
                .chain((0..pieces).map(move |_| piece.clone()))
                .chain(std::iter::once(Bytes::from_static(
                    b"\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                )));
            counted_stream(&state, chunks, "text/event-stream")
        }
        Scenario::Big => {
            let total = number("x-mock-bytes", 1 << 20);
            let piece = Bytes::from(vec![b'b'; 64 * 1024]);
            let pieces = total / piece.len() as u64;
            let chunks = (0..pieces).map(move |_| piece.clone());
            counted_stream(&state, chunks, "text/plain")
        }
    };
    // `x-mock-set-cookie`: any scenario sends the request's cookie back.
    if let Some(cookie) = seen
        .header("x-mock-set-cookie")
        .and(seen.header("cookie"))
        .and_then(|c| hyper::header::HeaderValue::from_str(c).ok())
    {
        response.headers_mut().insert("set-cookie", cookie);
    }
    Ok(response)
}

/// Answers as the Messages API would answer Claude Code.
fn claude_like(
    state: &Arc<MockState>,
    seen: &SeenRequest,
    request: &Value,
    model: &str,
) -> hyper::Response<MockBody> {
    if seen.method != "POST" {
        return empty_response(200);
    }
    if seen.path.starts_with("/v1/messages/count_tokens") {
        return json_response(200, &json!({"input_tokens": 42}));
    }
    if !seen.path.starts_with("/v1/messages") {
        return json_response(
            404,
            &json!({"type":"error","error":{"type":"not_found_error","message":"Not found"}}),
        );
    }
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let last_user = messages.iter().rev().find(|m| m["role"] == "user");
    let tool_result = last_user.and_then(|m| {
        m["content"]
            .as_array()?
            .iter()
            .find(|b| b["type"] == "tool_result")
            .map(tool_result_text)
    });
    let wants_tool = last_user.is_some_and(|m| m.to_string().contains("TRACE_E2E"))
        && request["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|t| t["name"] == "Bash"));
    let streaming = request["stream"].as_bool().unwrap_or(false);

    let answer = match (&tool_result, wants_tool) {
        (Some(output), _) => format!("The command printed: {}", output.trim()),
        (None, true) => String::new(),
        (None, false) => "Hello from the mock upstream.".to_owned(),
    };
    if !streaming {
        return json_response(200, &script::message_json(model, &answer));
    }
    let events = if tool_result.is_none() && wants_tool {
        script::thinking_then_tool_use(
            model,
            "Bash",
            &json!({"command": TOOL_INPUT_COMMAND, "description": "Print the end-to-end marker"}),
        )
    } else {
        script::text_stream(model, &[&answer])
    };
    stream(state, &events, None)
}

fn tool_result_text(block: &Value) -> String {
    match &block["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn empty_response(status: u16) -> hyper::Response<MockBody> {
    let mut response =
        hyper::Response::new(Full::new(Bytes::new()).map_err(|e| match e {}).boxed());
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response
}

fn json_response(status: u16, body: &Value) -> hyper::Response<MockBody> {
    let mut response = hyper::Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|e| match e {})
            .boxed(),
    );
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        "request-id",
        hyper::header::HeaderValue::from_static("req_mock"),
    );
    response
}

/// Streams a script, one chunk per event (compressed per event when asked).
fn stream(
    state: &Arc<MockState>,
    events: &[ScriptEvent],
    encoding: Option<Encoding>,
) -> hyper::Response<MockBody> {
    let frames: Vec<Vec<u8>> = events.iter().map(script::frame).collect();
    let chunks: Vec<Vec<u8>> = match encoding {
        Some(enc) => enc.compress_pieces(&frames),
        None => frames,
    };
    let chunks = chunks
        .into_iter()
        .map(|c| (Duration::ZERO, Bytes::from(c)))
        .collect();
    playback(state, chunks, Ending::End, encoding)
}

enum Ending {
    End,
    Reset,
}

/// Plays chunks with delays; counts whether the body ran to its end or was dropped.
struct Playback {
    chunks: VecDeque<(Duration, Bytes)>,
    ending: Option<Ending>,
    state: Arc<MockState>,
    done: bool,
}

impl Drop for Playback {
    fn drop(&mut self) {
        if !self.done {
            self.state.streams_cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn playback(
    state: &Arc<MockState>,
    chunks: VecDeque<(Duration, Bytes)>,
    ending: Ending,
    encoding: Option<Encoding>,
) -> hyper::Response<MockBody> {
    let play = Playback {
        chunks,
        ending: Some(ending),
        state: Arc::clone(state),
        done: false,
    };
    let body = futures_util::stream::unfold(play, |mut play| async move {
        if let Some((delay, chunk)) = play.chunks.pop_front() {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return Some((Ok(Frame::data(chunk)), play));
        }
        match play.ending.take()? {
            Ending::End => {
                play.done = true;
                play.state.streams_completed.fetch_add(1, Ordering::SeqCst);
                None
            }
            Ending::Reset => {
                // Let what was sent reach the wire before the cut.
                tokio::time::sleep(Duration::from_millis(100)).await;
                play.done = true;
                Some((
                    Err(std::io::Error::other("mock upstream cuts the connection")),
                    play,
                ))
            }
        }
    });
    sse_response(StreamBody::new(body).boxed(), encoding)
}

fn sse_response(body: MockBody, encoding: Option<Encoding>) -> hyper::Response<MockBody> {
    let mut response = hyper::Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(
        "cache-control",
        hyper::header::HeaderValue::from_static("no-cache"),
    );
    headers.insert(
        "request-id",
        hyper::header::HeaderValue::from_static("req_mock"),
    );
    if let Some(enc) = encoding {
        headers.insert(
            "content-encoding",
            hyper::header::HeaderValue::from_static(enc.header()),
        );
    }
    response
}

/// Streams `chunks` as fast as the connection takes them, counting the bytes
/// handed over in [`MockState::bytes_sent`].
fn counted_stream(
    state: &Arc<MockState>,
    chunks: impl Iterator<Item = Bytes> + Send + Sync + 'static,
    content_type: &'static str,
) -> hyper::Response<MockBody> {
    let counter = Arc::clone(state);
    let done = Arc::clone(state);
    use futures_util::StreamExt as _;
    let body = futures_util::stream::iter(chunks)
        .map(move |chunk| {
            counter
                .bytes_sent
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            Ok(Frame::data(chunk))
        })
        .chain(futures_util::stream::poll_fn(move |_| {
            done.streams_completed.fetch_add(1, Ordering::SeqCst);
            std::task::Poll::Ready(None)
        }));
    let mut response = sse_response(BodyExt::boxed(StreamBody::new(body)), None);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

/// Deltas stamped with the nanoseconds since [`epoch`] at which each was sent.
fn bench_stream(
    state: &Arc<MockState>,
    count: u64,
    interval: Duration,
) -> hyper::Response<MockBody> {
    struct Bench {
        next: u64,
        count: u64,
        interval: Duration,
        state: Arc<MockState>,
    }
    let bench = Bench {
        next: 0,
        count,
        interval,
        state: Arc::clone(state),
    };
    let body = futures_util::stream::unfold(bench, |mut b| async move {
        if b.next == b.count {
            b.state.streams_completed.fetch_add(1, Ordering::SeqCst);
            return None;
        }
        if !b.interval.is_zero() && b.next > 0 {
            tokio::time::sleep(b.interval).await;
        }
        let t = epoch().elapsed().as_nanos() as u64;
        let event = (
            "content_block_delta".to_owned(),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token "},"i":b.next,"t":t}),
        );
        b.next += 1;
        Some((Ok(Frame::data(Bytes::from(script::frame(&event)))), b))
    });
    sse_response(StreamBody::new(body).boxed(), None)
}
