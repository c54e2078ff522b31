//! What the mock upstream says: Messages API event sequences and their encodings.

use std::io::Write;

use serde_json::{json, Value};

pub mod todays;

/// One SSE event: its name and JSON data.
pub type ScriptEvent = (String, Value);

fn ev(name: &str, data: Value) -> ScriptEvent {
    (name.to_owned(), data)
}

fn message_start(model: &str) -> ScriptEvent {
    ev(
        "message_start",
        json!({"type":"message_start","message":{"id":"msg_mock01","type":"message","role":"assistant","model":model,"content":[],"stop_reason":null,"stop_sequence":null,
            "usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}),
    )
}

fn message_end(stop_reason: &str, output_tokens: u64) -> Vec<ScriptEvent> {
    vec![
        ev(
            "message_delta",
            json!({"type":"message_delta","delta":{"stop_reason":stop_reason,"stop_sequence":null},"usage":{"output_tokens":output_tokens}}),
        ),
        ev("message_stop", json!({"type":"message_stop"})),
    ]
}

/// A `content_block_start` for the block at `index`.
fn block_start(index: u64, block: Value) -> ScriptEvent {
    ev(
        "content_block_start",
        json!({"type":"content_block_start","index":index,"content_block":block}),
    )
}

/// A `content_block_delta` adding `delta` to the block at `index`.
fn block_delta(index: u64, delta: Value) -> ScriptEvent {
    ev(
        "content_block_delta",
        json!({"type":"content_block_delta","index":index,"delta":delta}),
    )
}

/// The `content_block_stop` closing the block at `index`.
fn block_stop(index: u64) -> ScriptEvent {
    ev(
        "content_block_stop",
        json!({"type":"content_block_stop","index":index}),
    )
}

/// A streamed text answer made of `pieces`.
pub fn text_stream(model: &str, pieces: &[&str]) -> Vec<ScriptEvent> {
    let mut events = vec![
        message_start(model),
        block_start(0, json!({"type":"text","text":""})),
        ev("ping", json!({"type":"ping"})),
    ];
    for piece in pieces {
        events.push(block_delta(0, json!({"type":"text_delta","text":piece})));
    }
    events.push(block_stop(0));
    events.extend(message_end("end_turn", pieces.len() as u64));
    events
}

/// Thinking, then a tool call whose input JSON arrives split across deltas.
pub fn thinking_then_tool_use(model: &str, tool: &str, input: &Value) -> Vec<ScriptEvent> {
    let input_text = input.to_string();
    let third = input_text.len() / 3;
    let cut = |i: usize| {
        // Split on char boundaries only.
        (i..=input_text.len())
            .find(|&j| input_text.is_char_boundary(j))
            .unwrap_or(input_text.len())
    };
    let (a, b) = (cut(third), cut(2 * third));
    let mut events = vec![
        message_start(model),
        block_start(0, json!({"type":"thinking","thinking":""})),
        block_delta(
            0,
            json!({"type":"thinking_delta","thinking":"The user wants a command run."}),
        ),
        block_delta(
            0,
            json!({"type":"signature_delta","signature":"c2lnbmF0dXJl"}),
        ),
        block_stop(0),
        block_start(
            1,
            json!({"type":"tool_use","id":"toolu_mock01","name":tool,"input":{}}),
        ),
    ];
    for part in [&input_text[..a], &input_text[a..b], &input_text[b..]] {
        events.push(block_delta(
            1,
            json!({"type":"input_json_delta","partial_json":part}),
        ));
    }
    events.push(block_stop(1));
    events.extend(message_end("tool_use", 40));
    events
}

/// A stream the API cuts short with an in-band `error` event.
pub fn overloaded_mid_stream(model: &str) -> Vec<ScriptEvent> {
    vec![
        message_start(model),
        ev(
            "error",
            json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
        ),
    ]
}

/// A non-streaming Messages API answer.
pub fn message_json(model: &str, text: &str) -> Value {
    json!({"id":"msg_mock02","type":"message","role":"assistant","model":model,
        "content":[{"type":"text","text":text}],"stop_reason":"end_turn","stop_sequence":null,
        "usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3}})
}

/// The wire form of one event.
pub fn frame(event: &ScriptEvent) -> Vec<u8> {
    format!("event: {}\ndata: {}\n\n", event.0, event.1).into_bytes()
}

/// The wire form of a whole script.
pub fn encode(events: &[ScriptEvent]) -> Vec<u8> {
    events.iter().flat_map(frame).collect()
}

/// A content encoding the mock can stream in, flushing after every event so
/// each compressed chunk decodes to whole events as it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Encoding {
    pub fn header(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "gzip" => Encoding::Gzip,
            "deflate" => Encoding::Deflate,
            "br" => Encoding::Brotli,
            "zstd" => Encoding::Zstd,
            _ => return None,
        })
    }

    /// Compresses `pieces` as one stream, returning the bytes to send after
    /// each piece (the last entry also holds the stream's trailer).
    /// Deterministic: the same pieces always give the same bytes.
    pub fn compress_pieces(self, pieces: &[Vec<u8>]) -> Vec<Vec<u8>> {
        fn run<W: Write>(
            mut w: W,
            pieces: &[Vec<u8>],
            take: impl Fn(&mut W) -> Vec<u8>,
            finish: impl FnOnce(W) -> Vec<u8>,
        ) -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            for piece in pieces {
                w.write_all(piece).expect("compressing to memory");
                w.flush().expect("compressing to memory");
                out.push(take(&mut w));
            }
            let tail = finish(w);
            match out.last_mut() {
                Some(last) => last.extend(tail),
                None => out.push(tail),
            }
            out
        }
        match self {
            Encoding::Gzip => run(
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()),
                pieces,
                |w| std::mem::take(w.get_mut()),
                |w| w.finish().expect("compressing to memory"),
            ),
            Encoding::Deflate => run(
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default()),
                pieces,
                |w| std::mem::take(w.get_mut()),
                |w| w.finish().expect("compressing to memory"),
            ),
            Encoding::Brotli => run(
                brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22),
                pieces,
                |w| std::mem::take(w.get_mut()),
                |w| w.into_inner(),
            ),
            Encoding::Zstd => run(
                zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd encoder"),
                pieces,
                |w| std::mem::take(w.get_mut()),
                |w| w.finish().expect("compressing to memory"),
            ),
        }
    }
}
