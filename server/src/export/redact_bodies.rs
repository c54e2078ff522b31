//! `--redact-bodies`: a trace's shape without its data.
//!
//! Every string in a body becomes a marker saying how much was removed,
//! except the few that are structure rather than content: block and event
//! types, ids, tool and MCP server names, roles, the model, media types,
//! stop reasons, server tools' error codes, a refusal's category, the
//! thinking and effort modes, and the API's own error messages. Numbers and booleans (token counts,
//! parameters) stay. A string key not listed here is content, so a field the
//! API adds later is removed rather than leaked. Tool definitions (`tools`,
//! `tool_choice`) are kept whole: they are Claude Code's schemas, not the
//! user's data, and they are much of what a trace's shape is about.

use serde_json::Value;
use shared::{Body, Event, EventKind};

/// Keys whose string values are structure, kept wherever they appear
/// (except inside a tool call's `input`, which is all content).
const STRUCTURE: &[&str] = &[
    "type",
    "id",
    "tool_use_id",
    "name",
    "role",
    "model",
    "media_type",
    "stop_reason",
    "service_tier",
    // The API's names for what happened, not the user's words: an MCP
    // server, a tool found by tool search, a server tool's failure, a
    // refusal's policy category, and the request's thinking and effort modes.
    "server_name",
    "tool_name",
    "error_code",
    "category",
    "display",
    "effort",
];

/// Request body members kept whole.
const KEPT_WHOLE: &[&str] = &["tools", "tool_choice"];

/// Removes the content of one event's body or data in place.
pub fn redact(event: &mut Event) {
    match &mut event.kind {
        EventKind::Request(r) => redact_body(&mut r.body, KEPT_WHOLE),
        EventKind::Response(r) => redact_body(&mut r.body, &[]),
        EventKind::Sse(s) => scrub(&mut s.data),
        EventKind::WebSocket(m) => redact_body(&mut m.data, &[]),
        EventKind::ResponseHeaders(_)
        | EventKind::StreamEnd(_)
        | EventKind::Error(_)
        | EventKind::Tunnel(_) => {}
    }
}

fn redact_body(body: &mut Body, kept_whole: &[&str]) {
    match body {
        Body::Empty => {}
        Body::Json(Value::Object(members)) if !kept_whole.is_empty() => {
            for (key, value) in members.iter_mut() {
                if !kept_whole.contains(&key.as_str()) {
                    scrub_member(key, value, false);
                }
            }
        }
        Body::Json(value) => scrub(value),
        Body::Text(text) => *text = marker(text),
        Body::Binary(bytes) => *body = Body::Text(format!("[removed: {} bytes]", bytes.len())),
    }
}

/// Scrubs a value found where content may be.
fn scrub(value: &mut Value) {
    match value {
        Value::String(text) => *text = marker(text),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(members) => {
            // `{"type":"overloaded_error","message":"Overloaded"}`: the API's
            // words, which say what went wrong, not the user's.
            let api_error = members
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("_error"));
            for (key, value) in members.iter_mut() {
                scrub_member(key, value, api_error);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn scrub_member(key: &str, value: &mut Value, api_error: bool) {
    match key {
        "input" => scrub_all(value),
        "cache_control" => {}
        _ if value.is_string() && (STRUCTURE.contains(&key) || (api_error && key == "message")) => {
        }
        _ => scrub(value),
    }
}

/// A tool call's input: every string is the user's, whatever its key.
fn scrub_all(value: &mut Value) {
    match value {
        Value::String(text) => *text = marker(text),
        Value::Array(items) => items.iter_mut().for_each(scrub_all),
        Value::Object(members) => members.values_mut().for_each(scrub_all),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Empty strings stay empty: there is nothing to remove, and a block that
/// starts empty (`content_block_start` text) keeps looking like one.
fn marker(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("[removed: {} chars]", text.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: Value) -> Event {
        let mut line = json!({"ts": "2026-03-29T11:27:07.000001Z", "flow_id": "f"});
        line.as_object_mut()
            .unwrap()
            .extend(kind.as_object().unwrap().clone());
        serde_json::from_value(line).unwrap()
    }

    fn redacted(kind: Value) -> Value {
        let mut e = event(kind);
        redact(&mut e);
        serde_json::to_value(&e).unwrap()
    }

    #[test]
    fn a_request_keeps_its_shape_and_loses_its_words() {
        let tools = json!([{"name": "Bash", "description": "Run a command",
            "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}]);
        let got = redacted(
            json!({"type": "request", "method": "POST", "path": "/v1/messages",
            "headers": {}, "body": {
                "model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true,
                "metadata": {"user_id": "user_abc"},
                "system": [{"type": "text", "text": "You are Claude Code.",
                    "cache_control": {"type": "ephemeral"}}],
                "tools": tools.clone(),
                "tool_choice": {"type": "auto"},
                "messages": [
                    {"role": "user", "content": "hello"},
                    {"role": "assistant", "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": "c2ln"},
                        {"type": "text", "text": "Let me look.",
                            "citations": [{"type": "char_location", "cited_text": "abc"}]},
                        {"type": "tool_use", "id": "toolu_1", "name": "Bash",
                            "input": {"command": "ls ~", "name": "x", "n": 2}}]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": false,
                            "content": [{"type": "text", "text": "a.txt"}]},
                        {"type": "image", "source": {"type": "base64",
                            "media_type": "image/png", "data": "iVBORw0KGgo="}},
                        {"type": "redacted_thinking", "data": "opaque"}]}]}}),
        );
        assert_eq!(
            got["body"],
            json!({
                "model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true,
                "metadata": {"user_id": "[removed: 8 chars]"},
                "system": [{"type": "text", "text": "[removed: 20 chars]",
                    "cache_control": {"type": "ephemeral"}}],
                "tools": tools,
                "tool_choice": {"type": "auto"},
                "messages": [
                    {"role": "user", "content": "[removed: 5 chars]"},
                    {"role": "assistant", "content": [
                        {"type": "thinking", "thinking": "[removed: 3 chars]",
                            "signature": "[removed: 4 chars]"},
                        {"type": "text", "text": "[removed: 12 chars]",
                            "citations": [{"type": "char_location",
                                "cited_text": "[removed: 3 chars]"}]},
                        {"type": "tool_use", "id": "toolu_1", "name": "Bash",
                            "input": {"command": "[removed: 4 chars]",
                                "name": "[removed: 1 chars]", "n": 2}}]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": false,
                            "content": [{"type": "text", "text": "[removed: 5 chars]"}]},
                        {"type": "image", "source": {"type": "base64",
                            "media_type": "image/png", "data": "[removed: 12 chars]"}},
                        {"type": "redacted_thinking", "data": "[removed: 6 chars]"}]}]})
        );
        assert_eq!(got["method"], "POST");
    }

    #[test]
    fn stream_events_keep_types_names_and_counts() {
        let cases = [
            (
                json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": "Hello"}}),
                json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": "[removed: 5 chars]"}}),
            ),
            (
                json!({"type": "content_block_delta", "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": "{\"a\":"}}),
                json!({"type": "content_block_delta", "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": "[removed: 5 chars]"}}),
            ),
            (
                json!({"type": "content_block_start", "index": 1, "content_block":
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}}),
                json!({"type": "content_block_start", "index": 1, "content_block":
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}}),
            ),
            (
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                    "stop_sequence": null}, "usage": {"output_tokens": 42}}),
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                    "stop_sequence": null}, "usage": {"output_tokens": 42}}),
            ),
            (
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
            (json!("not json"), json!("[removed: 8 chars]")),
        ];
        for (data, want) in cases {
            let got = redacted(json!({"type": "sse", "event": "e", "data": data}));
            assert_eq!(got["data"], want);
        }
    }

    /// Every string of today's block kinds that holds the user's data, at
    /// its place in a response body.
    #[test]
    fn todays_block_kinds_lose_their_words_and_keep_their_names() {
        let got = redacted(json!({"type": "response", "status_code": 200, "body": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-5-5",
            "content": [
                {"type": "thinking", "thinking": "", "signature": "EqQB", "estimated_tokens": 812},
                {"type": "compaction", "content": "Summary of turns", "encrypted_content": "opaque"},
                {"type": "mcp_tool_use", "id": "m1", "name": "status", "server_name": "git",
                    "input": {"repo": "/home/me"}},
                {"type": "mcp_tool_result", "tool_use_id": "m1", "is_error": false,
                    "content": [{"type": "text", "text": "clean"}]},
                {"type": "web_search_tool_result", "tool_use_id": "s1", "content": [
                    {"type": "web_search_result", "title": "Secret plan", "url": "https://x.example/",
                        "encrypted_content": "EnC", "page_age": "1 day"}]},
                {"type": "web_fetch_tool_result", "tool_use_id": "s2", "content": {
                    "type": "web_fetch_result", "url": "https://y.example/",
                    "content": {"type": "document", "title": "Doc",
                        "source": {"type": "text", "media_type": "text/plain", "data": "page text"}}}},
                {"type": "bash_code_execution_tool_result", "tool_use_id": "s3", "content": {
                    "type": "bash_code_execution_result", "stdout": "out", "stderr": "err",
                    "return_code": 1, "content": []}},
                {"type": "web_search_tool_result", "tool_use_id": "s4", "content": {
                    "type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}},
                {"type": "advisor_tool_result", "tool_use_id": "s5", "content": {
                    "type": "advisor_result", "text": "advice"}},
                {"type": "tool_search_tool_result", "tool_use_id": "s6", "content": {
                    "type": "tool_search_tool_search_result",
                    "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}]}},
                {"type": "fallback", "from": {"model": "claude-opus-5-5"}, "to": {"model": "claude-sonnet-5-5"}},
            ],
            "stop_reason": "refusal",
            "stop_details": {"type": "refusal", "category": "cyber", "explanation": "Because."}}}));
        let body = &got["body"];
        assert_eq!(
            body["content"],
            json!([
                {"type": "thinking", "thinking": "", "signature": "[removed: 4 chars]", "estimated_tokens": 812},
                {"type": "compaction", "content": "[removed: 16 chars]", "encrypted_content": "[removed: 6 chars]"},
                {"type": "mcp_tool_use", "id": "m1", "name": "status", "server_name": "git",
                    "input": {"repo": "[removed: 8 chars]"}},
                {"type": "mcp_tool_result", "tool_use_id": "m1", "is_error": false,
                    "content": [{"type": "text", "text": "[removed: 5 chars]"}]},
                {"type": "web_search_tool_result", "tool_use_id": "s1", "content": [
                    {"type": "web_search_result", "title": "[removed: 11 chars]", "url": "[removed: 18 chars]",
                        "encrypted_content": "[removed: 3 chars]", "page_age": "[removed: 5 chars]"}]},
                {"type": "web_fetch_tool_result", "tool_use_id": "s2", "content": {
                    "type": "web_fetch_result", "url": "[removed: 18 chars]",
                    "content": {"type": "document", "title": "[removed: 3 chars]",
                        "source": {"type": "text", "media_type": "text/plain", "data": "[removed: 9 chars]"}}}},
                {"type": "bash_code_execution_tool_result", "tool_use_id": "s3", "content": {
                    "type": "bash_code_execution_result", "stdout": "[removed: 3 chars]",
                    "stderr": "[removed: 3 chars]", "return_code": 1, "content": []}},
                {"type": "web_search_tool_result", "tool_use_id": "s4", "content": {
                    "type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}},
                {"type": "advisor_tool_result", "tool_use_id": "s5", "content": {
                    "type": "advisor_result", "text": "[removed: 6 chars]"}},
                {"type": "tool_search_tool_result", "tool_use_id": "s6", "content": {
                    "type": "tool_search_tool_search_result",
                    "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}]}},
                {"type": "fallback", "from": {"model": "claude-opus-5-5"}, "to": {"model": "claude-sonnet-5-5"}},
            ])
        );
        assert_eq!(
            body["stop_details"],
            json!({"type": "refusal", "category": "cyber", "explanation": "[removed: 8 chars]"})
        );
        // Streamed: a compaction's and a thinking signature's pieces.
        for (delta, want) in [
            (
                json!({"type": "compaction_delta", "content": "Summ"}),
                json!({"type": "compaction_delta", "content": "[removed: 4 chars]"}),
            ),
            (
                json!({"type": "signature_delta", "signature": "EqQB"}),
                json!({"type": "signature_delta", "signature": "[removed: 4 chars]"}),
            ),
        ] {
            let got = redacted(json!({"type": "sse", "event": "content_block_delta",
                "data": {"type": "content_block_delta", "index": 0, "delta": delta}}));
            assert_eq!(got["data"]["delta"], want);
        }
        // The request's modes stay; a refusal explanation in a stream goes.
        let got = redacted(
            json!({"type": "request", "method": "POST", "path": "/v1/messages",
            "headers": {}, "body": {"thinking": {"type": "adaptive", "display": "omitted"},
                "output_config": {"effort": "high"}, "messages": []}}),
        );
        assert_eq!(got["body"]["thinking"]["display"], "omitted");
        assert_eq!(got["body"]["output_config"]["effort"], "high");
        let got = redacted(json!({"type": "sse", "event": "message_delta", "data": {
            "type": "message_delta", "delta": {"stop_reason": "refusal",
                "stop_details": {"type": "refusal", "category": "bio", "explanation": "No."}}}}));
        assert_eq!(
            got["data"]["delta"]["stop_details"]["explanation"],
            "[removed: 3 chars]"
        );
    }

    #[test]
    fn response_bodies_lose_content_of_every_kind() {
        let got = redacted(json!({"type": "response", "status_code": 200, "body": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [{"type": "text", "text": "Hi there"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 2}}}));
        assert_eq!(
            got["body"]["content"],
            json!([{"type": "text", "text": "[removed: 8 chars]"}])
        );
        assert_eq!(got["body"]["usage"]["output_tokens"], 2);
        assert_eq!(got["body"]["role"], "assistant");
        let text = redacted(json!({"type": "response", "status_code": 200, "body": "plain"}));
        assert_eq!(text["body"], "[removed: 5 chars]");
        let mut binary = event(json!({"type": "response", "status_code": 200, "body": null}));
        if let EventKind::Response(r) = &mut binary.kind {
            r.body = Body::Binary(vec![0xff; 10]);
        }
        redact(&mut binary);
        assert_eq!(
            serde_json::to_value(&binary).unwrap()["body"],
            "[removed: 10 bytes]"
        );
    }
}
