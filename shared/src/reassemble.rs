//! A flow's response put back together as the message the client received:
//! the SSE events of a stream folded into blocks, or a whole JSON body read
//! into the same shape.
//!
//! Nothing the upstream sent is dropped: events, blocks and deltas this code
//! does not know are kept (in [`Block::Other`] or
//! [`Assembled::other_events`]) so that a new API feature still shows up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::anthropic::error::{describe, ApiError};
use crate::anthropic::message::{AppliedEdit, Container, StopDetails};
use crate::anthropic::usage::merge_json;
use crate::anthropic::{Block, SseEventName};
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
    /// A refusal's `stop_details`.
    #[serde(default)]
    pub stop_details: Option<StopDetails>,
    /// `context_management.applied_edits`: what was cleared from the prompt.
    #[serde(default)]
    pub applied_edits: Vec<AppliedEdit>,
    /// The code-execution container, when one was used.
    #[serde(default)]
    pub container: Option<Container>,
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

/// One block of the answer: the block as a request would carry it (read
/// by the one parser, [`Block::from_json`]), with what the stream alone tells
/// about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssembledBlock {
    #[serde(flatten)]
    pub block: Block,
    /// For a block with a tool input (`tool_use`, `server_tool_use`,
    /// `mcp_tool_use`): that input as it came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<ReceivedInput>,
}

/// A tool call's input as received, beside the parsed one in the block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReceivedInput {
    /// The `partial_json` pieces joined, exactly as received; for a
    /// non-streaming response, the body's input serialized.
    pub input_json: String,
    /// Why `input_json` does not parse; the block keeps the start block's
    /// input (`{}`) then.
    pub input_error: Option<String>,
}

impl AssembledBlock {
    /// A block as started, with room for a streamed input when it takes one.
    pub fn new(mut block: Block) -> AssembledBlock {
        let received = block.input_mut().map(|_| ReceivedInput::default());
        AssembledBlock { block, received }
    }
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
            EventKind::Request(_)
            | EventKind::ResponseHeaders(_)
            | EventKind::StreamEnd(_)
            | EventKind::Tunnel(_)
            | EventKind::WebSocket(_) => {}
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
        let handled = match SseEventName::of(event, data) {
            Some(SseEventName::MessageStart) => self.message_start(data),
            Some(SseEventName::ContentBlockStart) => self.block_start(data),
            Some(SseEventName::ContentBlockDelta) => self.block_delta(data),
            Some(SseEventName::ContentBlockStop) => data.is_object(),
            Some(SseEventName::MessageDelta) => self.message_delta(data),
            Some(SseEventName::MessageStop) => {
                self.message.complete = true;
                true
            }
            Some(SseEventName::Ping) => true,
            Some(SseEventName::Error) => {
                self.add_error(error_text(data));
                true
            }
            None => false,
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
        self.read_message_facts(message, message);
        if let Some(Value::Array(content)) = message.get("content") {
            for (index, block) in (0u64..).zip(content) {
                let mut started = AssembledBlock::new(Block::from_json(block));
                // Whole, the input came as JSON: show that as what was received.
                if let (Some(received), Some(input)) =
                    (&mut started.received, started.block.input_mut())
                {
                    received.input_json = input.to_string();
                }
                self.blocks.insert(index, started);
                self.last_index = Some(index);
            }
        }
    }

    /// `stop_details` and `container` (in a body, or a `message_delta`'s
    /// `delta`) and `context_management` (beside them in a body, beside the
    /// `delta` in a stream); a later value replaces an earlier one.
    fn read_message_facts(&mut self, facts: &Value, context: &Value) {
        let out = &mut self.message;
        if let Some(details) = facts.get("stop_details").and_then(StopDetails::from_json) {
            out.stop_details = Some(details);
        }
        if let Some(container) = facts.get("container").and_then(Container::from_json) {
            out.container = Some(container);
        }
        if let Some(management) = context.get("context_management").filter(|m| m.is_object()) {
            out.applied_edits = AppliedEdit::list_from(management);
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
        self.blocks
            .insert(index, AssembledBlock::new(Block::from_json(block)));
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
            self.read_message_facts(delta, data);
        }
        if let Some(usage) = data.get("usage") {
            merge_json(&mut self.message.usage, usage);
        }
        true
    }

    fn response(&mut self, status: u16, body: &Body) {
        let failed = status >= 400;
        match body {
            Body::Json(value) if ApiError::from_json(value).is_some() || is_error_type(value) => {
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

/// A block for a delta whose index was never started, shaped by the delta,
/// so the delta is kept rather than lost.
fn unstarted_block(delta: &Value) -> AssembledBlock {
    let block = match delta.get("type").and_then(Value::as_str) {
        Some("text_delta" | "citations_delta") => Block::Text {
            text: String::new(),
            cached: false,
            citations: Vec::new(),
        },
        Some("thinking_delta" | "signature_delta") => Block::Thinking {
            thinking: String::new(),
            signature: None,
            estimated_tokens: None,
        },
        Some("input_json_delta") => Block::ToolUse {
            id: String::new(),
            name: String::new(),
            input: empty_object(),
            server: false,
            cached: false,
        },
        Some("compaction_delta") => Block::Compaction {
            content: None,
            encrypted_bytes: 0,
            cached: false,
        },
        _ => Block::Other {
            block_type: "unknown".to_owned(),
            value: Value::Object(Map::new()),
        },
    };
    AssembledBlock::new(block)
}

/// Adds a delta to its block; false when the delta does not fit the block.
fn apply_delta(assembled: &mut AssembledBlock, delta: &Value) -> bool {
    let kind = delta.get("type").and_then(Value::as_str).unwrap_or("");
    if let (Some(received), "input_json_delta") = (&mut assembled.received, kind) {
        return append(&mut received.input_json, delta, "partial_json");
    }
    match (&mut assembled.block, kind) {
        (Block::Text { text, .. }, "text_delta") => append(text, delta, "text"),
        (Block::Text { citations, .. }, "citations_delta") => match delta.get("citation") {
            Some(citation) => {
                citations.push(citation.clone());
                true
            }
            None => false,
        },
        (Block::Thinking { thinking, .. }, "thinking_delta") => append(thinking, delta, "thinking"),
        (Block::Thinking { signature, .. }, "signature_delta") => append(
            signature.get_or_insert_with(String::new),
            delta,
            "signature",
        ),
        (
            Block::Compaction {
                content,
                encrypted_bytes,
                ..
            },
            "compaction_delta",
        ) => {
            let text = delta.get("content").and_then(Value::as_str);
            let encrypted = delta.get("encrypted_content").and_then(Value::as_str);
            if text.is_none() && encrypted.is_none() {
                return false;
            }
            if let Some(text) = text {
                content.get_or_insert_with(String::new).push_str(text);
            }
            *encrypted_bytes += encrypted.map_or(0, str::len);
            true
        }
        (Block::Other { value, .. }, _) => {
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

fn finish_block(mut assembled: AssembledBlock) -> AssembledBlock {
    if let (Some(received), Some(input)) = (&mut assembled.received, assembled.block.input_mut()) {
        // An empty stream of partial_json leaves the start block's input,
        // by the API's convention `{}`.
        if !received.input_json.trim().is_empty() {
            match serde_json::from_str(&received.input_json) {
                Ok(parsed) => *input = parsed,
                Err(e) => received.input_error = Some(e.to_string()),
            }
        }
    }
    assembled
}

/// "type: message" of an API error object, else what the data says.
fn error_text(data: &Value) -> String {
    ApiError::from_json(data).map_or_else(|| describe(data), |error| error.to_string())
}

/// A body that calls itself an error though its `error` member is missing
/// or odd: still the answer's error, not a message.
fn is_error_type(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("error")
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
mod tests;
