//! What each scenario answers: the behaviours a request picks with
//! `x-mock-scenario`, tuned by the other `x-mock-*` headers.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use hyper::header::HeaderValue;
use serde_json::{json, Value};

use super::body::{
    api_error, bench_stream, compress_json, counted_stream, json_response, playback, stream,
    Ending, MockResponse,
};
use super::{MockState, SeenRequest};
use crate::script::{self, Encoding};

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
    /// [`script::todays`]: every 2025–26 block kind, streamed with each
    /// event split across two chunks; stop reason `x-mock-stop-reason`
    /// (`pause_turn` unless given; `refusal` adds `stop_details`).
    TodaysBlocks,
    /// The same answer as one JSON body.
    TodaysBlocksJson,
}

/// Every scenario by the name a request gives it: the one list that both
/// reading the header and the unknown-scenario error use.
const NAMES: [(&str, Scenario); 17] = [
    ("text", Scenario::Text),
    ("thinking_tool", Scenario::ThinkingTool),
    ("json", Scenario::Json),
    ("overloaded", Scenario::Overloaded),
    ("midstream_error", Scenario::MidstreamError),
    ("reset", Scenario::Reset),
    ("slow", Scenario::Slow),
    ("bytewise", Scenario::Bytewise),
    ("bench", Scenario::Bench),
    ("echo", Scenario::Echo),
    ("stall", Scenario::Stall),
    ("invalid_sse", Scenario::InvalidSse),
    ("flood", Scenario::Flood),
    ("long_line", Scenario::LongLine),
    ("big", Scenario::Big),
    ("todays_blocks", Scenario::TodaysBlocks),
    ("todays_blocks_json", Scenario::TodaysBlocksJson),
];

impl Scenario {
    /// The scenario named `name`, if the mock knows it.
    pub fn parse(name: &str) -> Option<Self> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// The names of every scenario, in the order they are documented.
    pub fn names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|(n, _)| *n)
    }
}

/// The `invalid_sse` scenario's body: a valid first event, data that is not
/// JSON, data that is not UTF-8, and a last event without its blank line.
pub const INVALID_SSE: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
event: content_block_delta\ndata: this is not JSON\n\n\
event: content_block_delta\ndata: \xff\xfe not UTF-8 \xc3\n\n\
data: {\"no\":\"event name\"}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}";

/// The command of the Bash tool call the mock asks for.
pub const TOOL_INPUT_COMMAND: &str = "echo trace-claude-e2e-marker";

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

/// The answer to a request that names a scenario the mock does not know: a
/// 400 that names it and the known ones, so that a typo fails its test.
pub(crate) fn unknown(name: &str) -> MockResponse {
    let known: Vec<&str> = Scenario::names().collect();
    api_error(
        400,
        "mock_unknown_scenario",
        &format!(
            "the mock upstream knows no scenario {name:?}; x-mock-scenario is one of: {}",
            known.join(", ")
        ),
    )
}

/// Plays `scenario` for `seen`, whose body names `model`.
pub(crate) fn answer(
    state: &Arc<MockState>,
    seen: &SeenRequest,
    model: &str,
    scenario: Scenario,
) -> MockResponse {
    let number = |name: &str, default: u64| {
        seen.header(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let encoding = seen.header("x-mock-encoding").and_then(Encoding::parse);
    let stop_reason = seen.header("x-mock-stop-reason").unwrap_or("pause_turn");
    match scenario {
        Scenario::Text => {
            let custom = seen.header("x-mock-text").map(str::to_owned);
            let pieces: Vec<&str> = match &custom {
                Some(text) => vec![text.as_str()],
                None => vec!["Hello", " world"],
            };
            stream(state, &script::text_stream(model, &pieces), encoding)
        }
        Scenario::ThinkingTool => stream(
            state,
            &script::thinking_then_tool_use(
                model,
                "Bash",
                &json!({"command": TOOL_INPUT_COMMAND, "description": "Print a marker"}),
            ),
            encoding,
        ),
        Scenario::Json => {
            let message = script::message_json(model, "Hi there");
            let mut response = json_response(200, &message);
            if let Some(enc) = encoding {
                compress_json(&mut response, &message, enc);
            }
            // A Content-Encoding label the body does not really have.
            if let Some(label) = seen
                .header("x-mock-label-encoding")
                .and_then(|l| HeaderValue::from_str(l).ok())
            {
                response.headers_mut().insert("content-encoding", label);
            }
            response
        }
        Scenario::Overloaded => api_error(529, "overloaded_error", "Overloaded"),
        Scenario::MidstreamError => stream(state, &script::overloaded_mid_stream(model), encoding),
        Scenario::Reset => {
            let events = script::text_stream(model, &["Hello", " world"]);
            let chunks = events[..2]
                .iter()
                .map(|e| (Duration::ZERO, Bytes::from(script::frame(e))))
                .collect();
            playback(state, chunks, Ending::Reset, None)
        }
        Scenario::Slow => {
            let interval = Duration::from_millis(number("x-mock-interval-ms", 50));
            let count = number("x-mock-count", 20) as usize;
            let pieces: Vec<String> = (0..count).map(|i| format!("tick {i} ")).collect();
            let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let chunks = script::text_stream(model, &pieces)
                .iter()
                .map(|e| (interval, Bytes::from(script::frame(e))))
                .collect();
            playback(state, chunks, Ending::End, None)
        }
        Scenario::Bytewise => {
            let wire = script::encode(&script::text_stream(model, &["Hello", " world"]));
            let chunks = wire
                .iter()
                .map(|b| (Duration::from_micros(300), Bytes::copy_from_slice(&[*b])))
                .collect();
            playback(state, chunks, Ending::End, None)
        }
        Scenario::Bench => bench_stream(
            state,
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
            let events = script::text_stream(model, &["before the stall", " after the stall"]);
            // message_start, content_block_start, ping, the first delta: then the pause.
            let chunks = events
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let delay = if i == 4 { stall } else { Duration::ZERO };
                    (delay, Bytes::from(script::frame(e)))
                })
                .collect();
            playback(state, chunks, Ending::End, None)
        }
        Scenario::InvalidSse => playback(
            state,
            VecDeque::from([(Duration::ZERO, Bytes::from_static(INVALID_SSE))]),
            Ending::End,
            None,
        ),
        Scenario::Flood => {
            let total = number("x-mock-bytes", 1 << 20);
            let event = flood_event();
            let chunks = (0..total.div_ceil(event.len() as u64)).map(move |_| event.clone());
            counted_stream(state, chunks, "text/event-stream")
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
            counted_stream(state, chunks, "text/event-stream")
        }
        Scenario::TodaysBlocks => {
            // Each event in two chunks, cut mid-line: the proxy and the
            // reader must join what the network splits.
            let chunks = script::todays::todays_stream(model, stop_reason)
                .iter()
                .flat_map(|e| {
                    let frame = Bytes::from(script::frame(e));
                    let cut = frame.len() / 2;
                    [frame.slice(..cut), frame.slice(cut..)]
                })
                .map(|chunk| (Duration::ZERO, chunk))
                .collect();
            playback(state, chunks, Ending::End, None)
        }
        Scenario::TodaysBlocksJson => {
            json_response(200, &script::todays::todays_message(model, stop_reason))
        }
        Scenario::Big => {
            let total = number("x-mock-bytes", 1 << 20);
            let piece = Bytes::from(vec![b'b'; 64 * 1024]);
            let pieces = total / piece.len() as u64;
            let chunks = (0..pieces).map(move |_| piece.clone());
            counted_stream(state, chunks, "text/plain")
        }
    }
}
