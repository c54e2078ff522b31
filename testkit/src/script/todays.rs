//! Today's answer: one message holding every block kind of the 2025–26 API
//! (omitted thinking, a compaction, an MCP call and its result, web search
//! and fetch, code execution, tool search, the advisor, a container upload,
//! a model fallback), with a refusal's details, context-management edits and
//! a container beside them; as a whole body and as a stream whose text,
//! signature, summary and tool input each arrive in several deltas.
//!
//! Every text a person should find in the UI is a constant here, so the
//! tests that look for it name the same words.

use serde_json::{json, Value};

use super::{block_delta, block_start, block_stop, ev, message_start, ScriptEvent};

pub const THINKING_TOKENS: u64 = 812;
pub const COMPACTION_SUMMARY: &str = "Earlier turns: the user asked for a JSONL parser";
pub const MCP_SERVER: &str = "git";
pub const MCP_RESULT: &str = "working tree clean on branch trunk";
pub const SEARCH_TITLE: &str = "Parsing JSON lines in Rust";
pub const SEARCH_URL: &str = "https://search.example/jsonl";
pub const FETCHED_URL: &str = "https://docs.example/jsonl";
pub const FETCHED_TITLE: &str = "The JSON Lines format";
pub const STDOUT: &str = "3 lines parsed";
pub const STDERR: &str = "warning: trailing newline";
pub const TOOL_FOUND: &str = "mcp__git__log";
pub const ADVICE: &str = "Check the error path before the happy path";
pub const UPLOADED_FILE: &str = "file_upload01";
pub const FALLBACK_TO: &str = "claude-sonnet-5-5";
pub const ANSWER: &str = "The parser is ready and tested.";
pub const REFUSAL_CATEGORY: &str = "cyber";
pub const REFUSAL_EXPLANATION: &str = "This looks like a request for working malware";
pub const CONTAINER_ID: &str = "container_mock01";

/// The answer's content blocks, whole.
fn content(model: &str) -> Vec<Value> {
    vec![
        json!({"type": "thinking", "thinking": "", "signature": "c2lnbmF0dXJlLW9taXR0ZWQ=",
            "estimated_tokens": THINKING_TOKENS}),
        json!({"type": "compaction", "content": COMPACTION_SUMMARY}),
        json!({"type": "mcp_tool_use", "id": "mcptoolu_01", "name": "status",
            "server_name": MCP_SERVER, "input": {"repo": "."}}),
        json!({"type": "mcp_tool_result", "tool_use_id": "mcptoolu_01", "is_error": false,
            "content": [{"type": "text", "text": MCP_RESULT}]}),
        json!({"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search",
            "input": {"query": "jsonl rust"}}),
        json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": [
            {"type": "web_search_result", "title": SEARCH_TITLE, "url": SEARCH_URL,
                "page_age": "3 days", "encrypted_content": "RW5jcnlwdGVk"}]}),
        json!({"type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_02", "content": {
            "type": "web_fetch_result", "url": FETCHED_URL, "retrieved_at": "2026-12-01T09:00:00Z",
            "content": {"type": "document", "title": FETCHED_TITLE,
                "source": {"type": "text", "media_type": "text/plain", "data": "One JSON value per line."}}}}),
        json!({"type": "bash_code_execution_tool_result", "tool_use_id": "srvtoolu_03", "content": {
            "type": "bash_code_execution_result", "stdout": STDOUT, "stderr": STDERR,
            "return_code": 0, "content": []}}),
        json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_04", "content": {
            "type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}}),
        json!({"type": "tool_search_tool_result", "tool_use_id": "srvtoolu_05", "content": {
            "type": "tool_search_tool_search_result",
            "tool_references": [{"type": "tool_reference", "tool_name": TOOL_FOUND}]}}),
        json!({"type": "advisor_tool_result", "tool_use_id": "srvtoolu_06", "content": {
            "type": "advisor_result", "text": ADVICE, "stop_reason": "end_turn"}}),
        json!({"type": "container_upload", "file_id": UPLOADED_FILE}),
        json!({"type": "fallback", "from": {"model": model}, "to": {"model": FALLBACK_TO}}),
        json!({"type": "hologram", "note": "a kind nobody knows yet"}),
        json!({"type": "text", "text": ANSWER}),
    ]
}

/// What the message says beside its content, by where a body holds it:
/// `stop_details` and `container` (in a stream, inside `message_delta`'s
/// `delta`) and `context_management` (beside it).
fn facts(stop_reason: &str) -> (Value, Value) {
    let mut inner = json!({"stop_reason": stop_reason, "stop_sequence": null,
        "container": {"id": CONTAINER_ID, "expires_at": "2026-12-01T10:00:00Z"}});
    if stop_reason == "refusal" {
        inner["stop_details"] = json!({"type": "refusal", "category": REFUSAL_CATEGORY,
            "explanation": REFUSAL_EXPLANATION});
    }
    let context = json!({"applied_edits": [
        {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 4, "cleared_input_tokens": 18000},
        {"type": "clear_thinking_20251015", "cleared_thinking_turns": 2, "cleared_input_tokens": 3500},
    ]});
    (inner, context)
}

/// Today's answer as one JSON body.
pub fn todays_message(model: &str, stop_reason: &str) -> Value {
    let (inner, context) = facts(stop_reason);
    let mut message = json!({"id": "msg_today01", "type": "message", "role": "assistant",
        "model": model, "content": content(model), "context_management": context,
        "usage": {"input_tokens": 30, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0, "output_tokens": 90}});
    if let (Some(message), Some(inner)) = (message.as_object_mut(), inner.as_object()) {
        message.extend(inner.clone());
    }
    message
}

/// Today's answer streamed: each growing field in several deltas.
pub fn todays_stream(model: &str, stop_reason: &str) -> Vec<ScriptEvent> {
    let mut events = vec![message_start(model)];
    for (index, block) in (0u64..).zip(content(model)) {
        let kind = block["type"].as_str().unwrap_or_default().to_owned();
        let (start, deltas) = match kind.as_str() {
            "text" => (
                json!({"type": "text", "text": ""}),
                pieces(&block["text"], |p| json!({"type": "text_delta", "text": p})),
            ),
            "thinking" => (
                json!({"type": "thinking", "thinking": "", "signature": "",
                    "estimated_tokens": block["estimated_tokens"]}),
                pieces(
                    &block["signature"],
                    |p| json!({"type": "signature_delta", "signature": p}),
                ),
            ),
            "compaction" => (
                json!({"type": "compaction", "content": null}),
                pieces(
                    &block["content"],
                    |p| json!({"type": "compaction_delta", "content": p}),
                ),
            ),
            "mcp_tool_use" | "server_tool_use" => {
                let mut start = block.clone();
                start["input"] = json!({});
                let input = Value::String(block["input"].to_string());
                (
                    start,
                    pieces(
                        &input,
                        |p| json!({"type": "input_json_delta", "partial_json": p}),
                    ),
                )
            }
            _ => (block, Vec::new()),
        };
        events.push(block_start(index, start));
        events.extend(deltas.into_iter().map(|d| block_delta(index, d)));
        events.push(block_stop(index));
    }
    let (inner, context) = facts(stop_reason);
    events.push(ev(
        "message_delta",
        json!({"type": "message_delta", "delta": inner, "context_management": context,
            "usage": {"output_tokens": 90}}),
    ));
    events.push(ev("message_stop", json!({"type": "message_stop"})));
    events
}

/// A string cut in three (on character boundaries), each piece a delta.
fn pieces(text: &Value, delta: impl Fn(&str) -> Value) -> Vec<Value> {
    let text = text.as_str().unwrap_or_default();
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(3).max(1);
    chars
        .chunks(size)
        .map(|piece| delta(&piece.iter().collect::<String>()))
        .collect()
}
