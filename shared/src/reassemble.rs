//! A flow's response put back together as the message the client received:
//! the SSE events of a stream folded into blocks, or a whole JSON body read
//! into the same shape.
//!
//! Nothing the upstream sent is dropped: events, blocks and deltas this code
//! does not know are kept (in [`AssembledBlock::Other`] or
//! [`Assembled::other_events`]) so that a new API feature still shows up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::conversation::type_name;
use crate::{Body, ErrorStage, Event, EventKind, FlowError};

/// How much of a non-JSON error body to quote: enough to recognise a proxy's
/// HTML error page, not the page.
const ERROR_SNIPPET_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Assembled {
    pub id: Option<String>,
    pub model: Option<String>,
    pub role: Option<String>,
    /// In the order of the blocks' `index`.
    pub content: Vec<AssembledBlock>,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    /// `message_start`'s usage with each `message_delta`'s usage laid over it
    /// (the later counts are cumulative), or a whole response's usage.
    pub usage: Option<Value>,
    /// An in-band `error` event, an error body, or the flow's `error` event;
    /// several are joined by "; ".
    pub error: Option<String>,
    /// The message arrived whole: `message_stop` seen, or a message body.
    pub complete: bool,
    /// SSE events that are not part of the message as this code knows it
    /// (unknown events, deltas that fit no block, repeated starts), as
    /// `{"event": name, "data": data}` in the order they came.
    #[serde(default)]
    pub other_events: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssembledBlock {
    Text {
        text: String,
        citations: Vec<Value>,
    },
    Thinking {
        thinking: String,
        signature: Option<String>,
    },
    RedactedThinking {
        /// Length of the opaque `data` string.
        data_bytes: usize,
    },
    ToolUse {
        id: String,
        name: String,
        /// `server_tool_use`: the API ran the tool itself.
        server: bool,
        /// The parsed `input_json`; the start block's input (`{}`) when
        /// nothing was streamed or it does not parse.
        input: Value,
        /// The `partial_json` pieces joined, exactly as received; for a
        /// non-streaming response, the body's input serialized.
        input_json: String,
        /// Why `input_json` does not parse.
        input_error: Option<String>,
    },
    /// A block type this code does not know: the start block as it came,
    /// with its deltas appended under `"deltas"`.
    Other {
        block_type: String,
        value: Value,
    },
}

/// Reassembles the response from one flow's events, in log order.
///
/// `None` when the flow has no Messages response at all: no SSE event and no
/// message or error body (a `HEAD /`, a `count_tokens` answer, a 502 the
/// proxy gave before any upstream byte).
pub fn reassemble<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Assembled> {
    let mut builder = Builder::default();
    for event in events {
        match &event.kind {
            EventKind::Sse(sse) => builder.sse(&sse.event, &sse.data),
            EventKind::Response(response) => builder.response(response.status_code, &response.body),
            EventKind::Error(error) => builder.flow_error(error),
            EventKind::Request(_) | EventKind::ResponseHeaders(_) | EventKind::StreamEnd(_) => {}
        }
    }
    builder.finish()
}

#[derive(Default)]
struct Builder {
    message: Assembled,
    /// By `index`: deltas may interleave between blocks and arrive for an
    /// index whose start was never seen.
    blocks: BTreeMap<u64, AssembledBlock>,
    last_index: Option<u64>,
    has_response: bool,
}

impl Builder {
    fn sse(&mut self, event: &str, data: &Value) {
        self.has_response = true;
        // An event without an `event:` line is named "message" by SSE; the
        // Messages API repeats the name as `data.type`.
        let name = match (event, data.get("type").and_then(Value::as_str)) {
            ("message", Some(kind)) => kind,
            _ => event,
        };
        let handled = match name {
            "message_start" => self.message_start(data),
            "content_block_start" => self.block_start(data),
            "content_block_delta" => self.block_delta(data),
            "content_block_stop" => data.is_object(),
            "message_delta" => self.message_delta(data),
            "message_stop" => {
                self.message.complete = true;
                true
            }
            "ping" => true,
            "error" => {
                self.add_error(error_text(data));
                true
            }
            _ => false,
        };
        if !handled {
            self.message
                .other_events
                .push(json!({"event": event, "data": data}));
        }
    }

    fn message_start(&mut self, data: &Value) -> bool {
        let Some(message) = data.get("message").filter(|m| m.is_object()) else {
            return false;
        };
        self.read_message(message);
        true
    }

    /// The header fields and content of a message object, from a
    /// `message_start` or a whole response body.
    fn read_message(&mut self, message: &Value) {
        let out = &mut self.message;
        out.id = string_field(message, "id").or(out.id.take());
        out.model = string_field(message, "model").or(out.model.take());
        out.role = string_field(message, "role").or(out.role.take());
        out.stop_reason = string_field(message, "stop_reason").or(out.stop_reason.take());
        out.stop_sequence = string_field(message, "stop_sequence").or(out.stop_sequence.take());
        if let Some(usage) = message.get("usage").filter(|u| !u.is_null()) {
            out.usage = Some(usage.clone());
        }
        if let Some(Value::Array(content)) = message.get("content") {
            for (index, block) in (0u64..).zip(content) {
                let mut started = started_block(block);
                // Whole, the input came as JSON: show that as what was received.
                if let AssembledBlock::ToolUse {
                    input, input_json, ..
                } = &mut started
                {
                    *input_json = input.to_string();
                }
                self.blocks.insert(index, started);
                self.last_index = Some(index);
            }
        }
    }

    fn block_start(&mut self, data: &Value) -> bool {
        let Some(block) = data.get("content_block").filter(|b| b.is_object()) else {
            return false;
        };
        let index = match index_of(data) {
            Some(index) => index,
            None => self.blocks.keys().next_back().map_or(0, |last| last + 1),
        };
        if self.blocks.contains_key(&index) {
            return false;
        }
        self.start(index, block);
        true
    }

    fn start(&mut self, index: u64, block: &Value) {
        self.blocks.insert(index, started_block(block));
        self.last_index = Some(index);
    }

    fn block_delta(&mut self, data: &Value) -> bool {
        let Some(delta) = data.get("delta").filter(|d| d.is_object()) else {
            return false;
        };
        let index = index_of(data).or(self.last_index).unwrap_or(0);
        let block = self
            .blocks
            .entry(index)
            .or_insert_with(|| unstarted_block(delta));
        self.last_index = Some(index);
        apply_delta(block, delta)
    }

    fn message_delta(&mut self, data: &Value) -> bool {
        if !data.is_object() {
            return false;
        }
        if let Some(delta) = data.get("delta") {
            if let Some(reason) = string_field(delta, "stop_reason") {
                self.message.stop_reason = Some(reason);
            }
            if let Some(sequence) = string_field(delta, "stop_sequence") {
                self.message.stop_sequence = Some(sequence);
            }
        }
        if let Some(usage) = data.get("usage").filter(|u| !u.is_null()) {
            match (&mut self.message.usage, usage) {
                (Some(Value::Object(total)), Value::Object(update)) => {
                    for (key, value) in update {
                        total.insert(key.clone(), value.clone());
                    }
                }
                (total, _) => *total = Some(usage.clone()),
            }
        }
        true
    }

    fn response(&mut self, status: u16, body: &Body) {
        let failed = status >= 400;
        match body {
            Body::Json(value) if value.get("type").and_then(Value::as_str) == Some("error") => {
                self.has_response = true;
                self.add_error(error_text(value));
            }
            Body::Json(value)
                if value.get("type").and_then(Value::as_str) == Some("message")
                    || value.get("content").is_some_and(Value::is_array) =>
            {
                self.has_response = true;
                self.read_message(value);
                self.message.complete = !failed;
            }
            Body::Empty => {}
            _ if failed => {
                self.has_response = true;
                self.add_error(http_error_text(status, body));
            }
            // A successful answer that is not a message (count_tokens, a
            // model list) is not this module's business.
            _ => {}
        }
    }

    fn flow_error(&mut self, error: &FlowError) {
        // A request that never went out has no response to annotate.
        if error.stage != ErrorStage::Request {
            self.add_error(error.message.clone());
        }
    }

    fn add_error(&mut self, text: String) {
        match &mut self.message.error {
            Some(existing) => {
                existing.push_str("; ");
                existing.push_str(&text);
            }
            None => self.message.error = Some(text),
        }
    }

    fn finish(mut self) -> Option<Assembled> {
        if !self.has_response {
            return None;
        }
        self.message.content = self.blocks.into_values().map(finish_block).collect();
        Some(self.message)
    }
}

fn index_of(data: &Value) -> Option<u64> {
    data.get("index").and_then(Value::as_u64)
}

/// The block a `content_block_start` (or a message body's content) opens.
fn started_block(block: &Value) -> AssembledBlock {
    let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
    let typed = match kind {
        "text" => string_field(block, "text").map(|text| AssembledBlock::Text {
            text,
            citations: match block.get("citations") {
                Some(Value::Array(citations)) => citations.clone(),
                _ => Vec::new(),
            },
        }),
        "thinking" => Some(AssembledBlock::Thinking {
            thinking: string_field(block, "thinking").unwrap_or_default(),
            signature: string_field(block, "signature").filter(|s| !s.is_empty()),
        }),
        "redacted_thinking" => Some(AssembledBlock::RedactedThinking {
            data_bytes: block
                .get("data")
                .and_then(Value::as_str)
                .map_or(0, str::len),
        }),
        "tool_use" | "server_tool_use" => Some(AssembledBlock::ToolUse {
            id: string_field(block, "id").unwrap_or_default(),
            name: string_field(block, "name").unwrap_or_default(),
            server: kind == "server_tool_use",
            input: block
                .get("input")
                .filter(|input| !input.is_null())
                .cloned()
                .unwrap_or_else(empty_object),
            input_json: String::new(),
            input_error: None,
        }),
        _ => None,
    };
    typed.unwrap_or_else(|| AssembledBlock::Other {
        block_type: type_name(block),
        value: block.clone(),
    })
}

/// A block for a delta whose index was never started, shaped by the delta,
/// so the delta is kept rather than lost.
fn unstarted_block(delta: &Value) -> AssembledBlock {
    match delta.get("type").and_then(Value::as_str) {
        Some("text_delta" | "citations_delta") => AssembledBlock::Text {
            text: String::new(),
            citations: Vec::new(),
        },
        Some("thinking_delta" | "signature_delta") => AssembledBlock::Thinking {
            thinking: String::new(),
            signature: None,
        },
        Some("input_json_delta") => AssembledBlock::ToolUse {
            id: String::new(),
            name: String::new(),
            server: false,
            input: empty_object(),
            input_json: String::new(),
            input_error: None,
        },
        _ => AssembledBlock::Other {
            block_type: "unknown".to_owned(),
            value: Value::Object(Map::new()),
        },
    }
}

/// Adds a delta to its block; false when the delta does not fit the block.
fn apply_delta(block: &mut AssembledBlock, delta: &Value) -> bool {
    let kind = delta.get("type").and_then(Value::as_str).unwrap_or("");
    match (block, kind) {
        (AssembledBlock::Text { text, .. }, "text_delta") => append(text, delta, "text"),
        (AssembledBlock::Text { citations, .. }, "citations_delta") => {
            match delta.get("citation") {
                Some(citation) => {
                    citations.push(citation.clone());
                    true
                }
                None => false,
            }
        }
        (AssembledBlock::Thinking { thinking, .. }, "thinking_delta") => {
            append(thinking, delta, "thinking")
        }
        (AssembledBlock::Thinking { signature, .. }, "signature_delta") => append(
            signature.get_or_insert_with(String::new),
            delta,
            "signature",
        ),
        (AssembledBlock::ToolUse { input_json, .. }, "input_json_delta") => {
            append(input_json, delta, "partial_json")
        }
        (AssembledBlock::Other { value, .. }, _) => {
            let Some(object) = value.as_object_mut() else {
                return false;
            };
            match object
                .entry("deltas")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(deltas) => {
                    deltas.push(delta.clone());
                    true
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn append(target: &mut String, delta: &Value, key: &str) -> bool {
    match delta.get(key).and_then(Value::as_str) {
        Some(piece) => {
            target.push_str(piece);
            true
        }
        None => false,
    }
}

fn finish_block(mut block: AssembledBlock) -> AssembledBlock {
    if let AssembledBlock::ToolUse {
        input,
        input_json,
        input_error,
        ..
    } = &mut block
    {
        // An empty stream of partial_json leaves the start block's input,
        // by the API's convention `{}`.
        if !input_json.trim().is_empty() {
            match serde_json::from_str(input_json) {
                Ok(parsed) => *input = parsed,
                Err(e) => *input_error = Some(e.to_string()),
            }
        }
    }
    block
}

/// "type: message" of an Anthropic error object (`{"type":"error","error":{..}}`).
fn error_text(data: &Value) -> String {
    let error = data.get("error").unwrap_or(data);
    let kind = error.get("type").and_then(Value::as_str);
    let message = error.get("message").and_then(Value::as_str);
    match (kind, message) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (Some(kind), None) => kind.to_owned(),
        (None, Some(message)) => message.to_owned(),
        (None, None) => match data {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        },
    }
}

fn http_error_text(status: u16, body: &Body) -> String {
    let text = match body {
        Body::Json(value) => value.to_string(),
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => format!("{} bytes of binary body", bytes.len()),
        Body::Empty => String::new(),
    };
    let mut snippet: String = text.trim().chars().take(ERROR_SNIPPET_CHARS).collect();
    if snippet.len() < text.trim().len() {
        snippet.push('…');
    }
    format!("HTTP {status}: {snippet}")
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FlowId, Response, ResponseHeaders, SseEvent, StreamEnd, Timestamp};

    fn flow() -> FlowId {
        FlowId("f".into())
    }

    fn event(kind: EventKind) -> Event {
        Event {
            ts: Timestamp::now(),
            kind,
        }
    }

    fn sse(name: &str, data: Value) -> Event {
        event(EventKind::Sse(SseEvent {
            flow_id: flow(),
            event: name.into(),
            data,
            id: None,
        }))
    }

    fn headers(streaming: bool) -> Event {
        event(EventKind::ResponseHeaders(ResponseHeaders {
            flow_id: flow(),
            status_code: 200,
            headers: Default::default(),
            streaming,
        }))
    }

    fn flow_error(stage: ErrorStage, message: &str) -> Event {
        event(EventKind::Error(FlowError {
            flow_id: flow(),
            stage,
            message: message.into(),
            status_code: None,
        }))
    }

    fn start_message() -> Event {
        sse(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 10, "cache_read_input_tokens": 5000, "output_tokens": 1},
            }}),
        )
    }

    fn block_start(index: u64, block: Value) -> Event {
        sse(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": block}),
        )
    }

    fn delta(index: u64, delta: Value) -> Event {
        sse(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
    }

    fn text_delta(index: u64, text: &str) -> Event {
        delta(index, json!({"type": "text_delta", "text": text}))
    }

    fn json_delta(index: u64, partial: &str) -> Event {
        delta(
            index,
            json!({"type": "input_json_delta", "partial_json": partial}),
        )
    }

    fn stop(index: u64) -> Event {
        sse(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        )
    }

    fn message_end(stop_reason: &str) -> Vec<Event> {
        vec![
            sse(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 42}}),
            ),
            sse("message_stop", json!({"type": "message_stop"})),
            event(EventKind::StreamEnd(StreamEnd { flow_id: flow() })),
        ]
    }

    fn text(text: &str) -> AssembledBlock {
        AssembledBlock::Text {
            text: text.into(),
            citations: vec![],
        }
    }

    fn run(events: &[Event]) -> Assembled {
        reassemble(events).expect("the flow has a response")
    }

    #[test]
    fn a_full_stream_with_every_delta_type() {
        let mut events = vec![
            headers(true),
            start_message(),
            sse("ping", json!({"type": "ping"})),
            block_start(
                0,
                json!({"type": "thinking", "thinking": "", "signature": ""}),
            ),
            delta(0, json!({"type": "thinking_delta", "thinking": "Let me "})),
            delta(0, json!({"type": "thinking_delta", "thinking": "think."})),
            delta(
                0,
                json!({"type": "signature_delta", "signature": "EqQBCkYI"}),
            ),
            stop(0),
            block_start(
                1,
                json!({"type": "redacted_thinking", "data": "opaque-bytes"}),
            ),
            stop(1),
            block_start(2, json!({"type": "text", "text": ""})),
            text_delta(2, "The answer"),
            delta(
                2,
                json!({"type": "citations_delta", "citation": {"type": "char_location", "cited_text": "42"}}),
            ),
            text_delta(2, " is 42."),
            stop(2),
            block_start(
                3,
                json!({"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}),
            ),
            json_delta(3, ""),
            json_delta(3, "{\"file_pa"),
            json_delta(3, "th\": \"/a.rs\"}"),
            stop(3),
        ];
        events.extend(message_end("tool_use"));
        let got = run(&events);
        assert_eq!(
            got,
            Assembled {
                id: Some("msg_1".into()),
                model: Some("claude-sonnet-4-5".into()),
                role: Some("assistant".into()),
                content: vec![
                    AssembledBlock::Thinking {
                        thinking: "Let me think.".into(),
                        signature: Some("EqQBCkYI".into()),
                    },
                    AssembledBlock::RedactedThinking { data_bytes: 12 },
                    AssembledBlock::Text {
                        text: "The answer is 42.".into(),
                        citations: vec![json!({"type": "char_location", "cited_text": "42"})],
                    },
                    AssembledBlock::ToolUse {
                        id: "toolu_1".into(),
                        name: "Read".into(),
                        server: false,
                        input: json!({"file_path": "/a.rs"}),
                        input_json: "{\"file_path\": \"/a.rs\"}".into(),
                        input_error: None,
                    },
                ],
                stop_reason: Some("tool_use".into()),
                stop_sequence: None,
                usage: Some(
                    json!({"input_tokens": 10, "cache_read_input_tokens": 5000, "output_tokens": 42})
                ),
                error: None,
                complete: true,
                other_events: vec![],
            }
        );
    }

    #[test]
    fn interleaved_deltas_land_in_their_own_blocks() {
        let events = vec![
            start_message(),
            block_start(0, json!({"type": "text", "text": ""})),
            block_start(
                1,
                json!({"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}}),
            ),
            text_delta(0, "a"),
            json_delta(1, "{\"query\":"),
            text_delta(0, "b"),
            json_delta(1, "\"rust\"}"),
            text_delta(0, "c"),
            // Arrives before index 2 ever starts: kept, not lost.
            text_delta(3, "late"),
            block_start(2, json!({"type": "text", "text": "pre"})),
        ];
        let got = run(&events);
        assert_eq!(got.content[0], text("abc"));
        assert!(
            matches!(&got.content[1], AssembledBlock::ToolUse { server: true, input, .. } if *input == json!({"query": "rust"}))
        );
        assert_eq!(got.content[2], text("pre"));
        assert_eq!(got.content[3], text("late"));
        assert!(!got.complete);
    }

    #[test]
    fn tool_json_split_into_many_tiny_deltas() {
        let input = json!({"command": "cargo test -p shared", "description": "Run \"tests\" ✓", "timeout": 60000});
        let text = input.to_string();
        let mut events = vec![
            start_message(),
            block_start(
                0,
                json!({"type": "tool_use", "id": "t", "name": "Bash", "input": {}}),
            ),
        ];
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(3) {
            events.push(json_delta(0, &piece.iter().collect::<String>()));
        }
        let got = run(&events);
        match &got.content[0] {
            AssembledBlock::ToolUse {
                input: parsed,
                input_json,
                input_error,
                ..
            } => {
                assert_eq!(parsed, &input);
                assert_eq!(input_json, &text);
                assert_eq!(input_error, &None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tool_use_without_json_keeps_empty_input_and_bad_json_is_reported() {
        let events = vec![
            start_message(),
            block_start(
                0,
                json!({"type": "tool_use", "id": "a", "name": "LS", "input": {}}),
            ),
            json_delta(0, ""),
            block_start(1, json!({"type": "tool_use", "id": "b", "name": "Read"})),
            block_start(
                2,
                json!({"type": "tool_use", "id": "c", "name": "Edit", "input": {}}),
            ),
            json_delta(2, "{\"path\": \"x\", "),
            json_delta(2, "\"old\": tru"),
        ];
        let got = run(&events);
        assert!(
            matches!(&got.content[0], AssembledBlock::ToolUse { input, input_json, input_error: None, .. } if *input == json!({}) && input_json.is_empty())
        );
        assert!(
            matches!(&got.content[1], AssembledBlock::ToolUse { input, .. } if *input == json!({}))
        );
        match &got.content[2] {
            AssembledBlock::ToolUse {
                input,
                input_json,
                input_error,
                ..
            } => {
                assert_eq!(input, &json!({}));
                assert_eq!(input_json, "{\"path\": \"x\", \"old\": tru");
                assert!(input_error.is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_events_blocks_and_deltas_are_kept() {
        let events = vec![
            start_message(),
            sse(
                "brand_new_event",
                json!({"type": "brand_new_event", "x": 1}),
            ),
            sse("message", Value::String("not json".into())),
            block_start(0, json!({"type": "container_upload", "file_id": "f1"})),
            delta(0, json!({"type": "upload_progress_delta", "pct": 50})),
            delta(0, json!({"type": "upload_progress_delta", "pct": 100})),
            block_start(1, json!({"type": "text", "text": ""})),
            // A delta of a kind the text block does not take.
            delta(1, json!({"type": "sparkle_delta", "n": 1})),
            // A repeated start must not wipe what index 1 already holds.
            text_delta(1, "kept"),
            block_start(1, json!({"type": "text", "text": "again"})),
            delta(4, json!({"type": "mystery_delta"})),
        ];
        let got = run(&events);
        assert_eq!(
            got.content[0],
            AssembledBlock::Other {
                block_type: "container_upload".into(),
                value: json!({"type": "container_upload", "file_id": "f1", "deltas": [
                    {"type": "upload_progress_delta", "pct": 50},
                    {"type": "upload_progress_delta", "pct": 100},
                ]}),
            }
        );
        assert_eq!(got.content[1], text("kept"));
        assert_eq!(
            got.content[2],
            AssembledBlock::Other {
                block_type: "unknown".into(),
                value: json!({"deltas": [{"type": "mystery_delta"}]}),
            }
        );
        let names: Vec<&str> = got
            .other_events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "brand_new_event",
                "message",
                "content_block_delta",
                "content_block_start"
            ]
        );
        assert_eq!(got.other_events[1]["data"], "not json");
        assert_eq!(
            got.other_events[2]["data"]["delta"]["type"],
            "sparkle_delta"
        );
    }

    #[test]
    fn a_stream_cut_by_an_in_band_error_keeps_what_came() {
        let events = vec![
            start_message(),
            block_start(0, json!({"type": "text", "text": ""})),
            text_delta(0, "Half an ans"),
            sse(
                "error",
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
            event(EventKind::StreamEnd(StreamEnd { flow_id: flow() })),
        ];
        let got = run(&events);
        assert_eq!(got.content, vec![text("Half an ans")]);
        assert_eq!(got.error.as_deref(), Some("overloaded_error: Overloaded"));
        assert!(!got.complete);
        assert_eq!(got.id.as_deref(), Some("msg_1"));
    }

    #[test]
    fn a_stream_cut_by_a_flow_error_keeps_what_came() {
        for stage in [ErrorStage::Upstream, ErrorStage::Client] {
            let events = vec![
                headers(true),
                start_message(),
                block_start(
                    0,
                    json!({"type": "tool_use", "id": "t", "name": "Write", "input": {}}),
                ),
                json_delta(0, "{\"content\": \"par"),
                flow_error(stage, "connection reset by peer"),
            ];
            let got = run(&events);
            assert!(!got.complete);
            assert_eq!(got.error.as_deref(), Some("connection reset by peer"));
            assert!(
                matches!(&got.content[0], AssembledBlock::ToolUse { input_json, input_error: Some(_), .. } if input_json == "{\"content\": \"par")
            );
        }
    }

    #[test]
    fn no_response_content_is_none() {
        assert_eq!(reassemble(&[]), None);
        // HEAD /: headers and an empty body.
        let head = [
            headers(false),
            event(EventKind::Response(Response {
                flow_id: flow(),
                status_code: 200,
                body: Body::Empty,
            })),
        ];
        assert_eq!(reassemble(&head), None);
        // The proxy's own 502 before any upstream byte is only an error event.
        let unreachable = [flow_error(ErrorStage::Upstream, "dns error")];
        assert_eq!(reassemble(&unreachable), None);
        let count_tokens = [event(EventKind::Response(Response {
            flow_id: flow(),
            status_code: 200,
            body: Body::Json(json!({"input_tokens": 1234})),
        }))];
        assert_eq!(reassemble(&count_tokens), None);
    }

    #[test]
    fn a_non_streaming_body_reads_into_the_same_shape() {
        let body = json!({
            "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [
                {"type": "thinking", "thinking": "t", "signature": "sig"},
                {"type": "text", "text": "Hi", "citations": [{"type": "web_search_result_location", "url": "u"}]},
                {"type": "tool_use", "id": "x", "name": "Glob", "input": {"pattern": "*.rs"}},
                {"type": "web_search_tool_result", "tool_use_id": "s", "content": []},
            ],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 3, "output_tokens": 4},
        });
        let events = [
            headers(false),
            event(EventKind::Response(Response {
                flow_id: flow(),
                status_code: 200,
                body: Body::Json(body),
            })),
        ];
        let got = run(&events);
        assert_eq!(got.id.as_deref(), Some("msg_2"));
        assert_eq!(got.model.as_deref(), Some("claude-haiku-4-5"));
        assert_eq!(got.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(
            got.usage,
            Some(json!({"input_tokens": 3, "output_tokens": 4}))
        );
        assert!(got.complete);
        assert_eq!(got.error, None);
        assert_eq!(
            got.content[0],
            AssembledBlock::Thinking {
                thinking: "t".into(),
                signature: Some("sig".into())
            }
        );
        assert!(
            matches!(&got.content[1], AssembledBlock::Text { text, citations } if text == "Hi" && citations.len() == 1)
        );
        assert_eq!(
            got.content[2],
            AssembledBlock::ToolUse {
                id: "x".into(),
                name: "Glob".into(),
                server: false,
                input: json!({"pattern": "*.rs"}),
                input_json: r#"{"pattern":"*.rs"}"#.into(),
                input_error: None,
            }
        );
        assert!(
            matches!(&got.content[3], AssembledBlock::Other { block_type, .. } if block_type == "web_search_tool_result")
        );
    }

    #[test]
    fn error_bodies_become_the_error() {
        let cases = [
            (
                529,
                Body::Json(
                    json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
                ),
                "overloaded_error: Overloaded".to_owned(),
            ),
            (
                502,
                Body::Text(format!("<html>{}</html>", "x".repeat(1000))),
                format!("HTTP 502: <html>{}…", "x".repeat(294)),
            ),
        ];
        for (status, body, expected) in cases {
            let got = run(&[event(EventKind::Response(Response {
                flow_id: flow(),
                status_code: status,
                body,
            }))]);
            assert_eq!(got.error, Some(expected));
            assert!(!got.complete);
            assert!(got.content.is_empty());
        }
    }

    #[test]
    fn serde_shape_is_tagged_by_kind_and_round_trips() {
        let mut events = vec![
            start_message(),
            block_start(0, json!({"type": "text", "text": "x"})),
        ];
        events.extend(message_end("end_turn"));
        let got = run(&events);
        let value = serde_json::to_value(&got).unwrap();
        assert_eq!(
            value["content"][0],
            json!({"kind": "text", "text": "x", "citations": []})
        );
        assert_eq!(value["complete"], true);
        let back: Assembled = serde_json::from_value(value).unwrap();
        assert_eq!(back, got);
    }
}
