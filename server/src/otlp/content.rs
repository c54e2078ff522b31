//! The conversation in the GenAI conventions' content attributes
//! (`gen_ai.system_instructions`, `gen_ai.input.messages`,
//! `gen_ai.tool.definitions`, `gen_ai.output.messages`), from the same typed
//! reading of a request and a response that the UI shows. Sent only with
//! `--otlp-content`, as JSON strings, with credentials redacted.

use serde_json::{json, Map, Value};
use shared::anthropic::blocks::ServerOutcome;
use shared::reassemble::Assembled;
use shared::{Block, Conversation};

/// The four content attributes of one call, those it has.
pub fn attributes(
    request: &Conversation,
    answer: Option<&Assembled>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !request.system.is_empty() {
        let parts: Vec<Value> = request.system.iter().map(part).collect();
        out.push(("gen_ai.system_instructions", Value::Array(parts)));
    }
    if !request.messages.is_empty() {
        let messages = request
            .messages
            .iter()
            .map(
                |m| json!({"role": m.role, "parts": m.blocks.iter().map(part).collect::<Vec<_>>()}),
            )
            .collect();
        out.push(("gen_ai.input.messages", Value::Array(messages)));
    }
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|tool| {
                let mut def = Map::new();
                match &tool.kind {
                    // A server tool is named by its versioned type.
                    Some(kind) if tool.is_server() => {
                        def.insert("type".into(), json!(kind));
                    }
                    _ => {
                        def.insert("type".into(), json!("function"));
                    }
                }
                def.insert("name".into(), json!(tool.name));
                if let Some(description) = &tool.description {
                    def.insert("description".into(), json!(description));
                }
                if let Some(schema) = &tool.schema {
                    def.insert("parameters".into(), schema.clone());
                }
                Value::Object(def)
            })
            .collect();
        out.push(("gen_ai.tool.definitions", Value::Array(tools)));
    }
    if let Some(answer) = answer.filter(|a| !a.content.is_empty() || a.stop_reason.is_some()) {
        let mut message = json!({
            "role": answer.role.as_deref().unwrap_or("assistant"),
            "parts": answer.content.iter().map(|b| part(&b.block)).collect::<Vec<_>>(),
        });
        if let Some(reason) = &answer.stop_reason {
            message["finish_reason"] = json!(finish_reason(reason));
        }
        out.push(("gen_ai.output.messages", json!([message])));
    }
    out.into_iter()
        .map(|(key, mut value)| {
            shared::secrets::redact_json_credentials(&mut value);
            (key, value.to_string())
        })
        .collect()
}

/// The conventions' word for why generation stopped, where one fits; the
/// API's own reason otherwise (the conventions allow any string).
pub fn finish_reason(stop_reason: &str) -> &str {
    match stop_reason {
        "end_turn" | "stop_sequence" | "pause_turn" => "stop",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_call",
        "refusal" => "content_filter",
        other => other,
    }
}

/// One block as a message part: text, reasoning, a tool call or its
/// response, a file; anything else as a generic part named by its type.
fn part(block: &Block) -> Value {
    match block {
        Block::Text { text, .. } => json!({"type": "text", "content": text}),
        Block::Thinking { thinking, .. } => json!({"type": "reasoning", "content": thinking}),
        Block::RedactedThinking { bytes } => {
            json!({"type": "reasoning", "content": "", "redacted_bytes": bytes})
        }
        Block::ToolUse {
            id,
            name,
            input,
            server,
            ..
        } => {
            let mut call = json!({"type": "tool_call", "id": id, "name": name, "arguments": input});
            if *server {
                call["server_side"] = json!(true);
            }
            call
        }
        Block::McpToolUse {
            id,
            name,
            server_name,
            input,
            ..
        } => json!({
            "type": "tool_call", "id": id, "name": name, "arguments": input,
            "mcp_server": server_name,
        }),
        Block::ToolResult {
            tool_use_id,
            content,
            is_error,
            ..
        }
        | Block::McpToolResult {
            tool_use_id,
            content,
            is_error,
            ..
        } => {
            let mut response = json!({
                "type": "tool_call_response",
                "id": tool_use_id,
                "response": tool_response(content),
            });
            if *is_error {
                response["is_error"] = json!(true);
            }
            response
        }
        Block::ServerToolResult {
            tool_use_id,
            outcome,
            ..
        } => json!({
            "type": "tool_call_response",
            "id": tool_use_id,
            "response": server_response(outcome),
        }),
        Block::Image {
            media_type, url, ..
        } => match url {
            Some(url) => {
                json!({"type": "uri", "modality": "image", "uri": url, "mime_type": media_type})
            }
            None => json!({"type": "image", "mime_type": media_type}),
        },
        Block::Document {
            media_type, title, ..
        } => json!({"type": "document", "mime_type": media_type, "title": title}),
        Block::Compaction { content, .. } => json!({"type": "compaction", "content": content}),
        Block::ToolReference { tool_name, .. } => {
            json!({"type": "tool_reference", "name": tool_name})
        }
        Block::ContainerUpload { file_id, .. } => {
            json!({"type": "container_upload", "file_id": file_id})
        }
        Block::Fallback { from, to } => json!({"type": "fallback", "from": from, "to": to}),
        Block::Other { value, .. } => match value {
            Value::Object(_) if value.get("type").is_some_and(Value::is_string) => value.clone(),
            other => json!({"type": "unknown", "value": other}),
        },
    }
}

/// A tool's result: its text when it is all text, else its parts.
fn tool_response(content: &[Block]) -> Value {
    let texts: Option<Vec<&str>> = content
        .iter()
        .map(|b| match b {
            Block::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    match texts {
        Some(texts) => json!(texts.join("\n")),
        None => Value::Array(content.iter().map(part).collect()),
    }
}

fn server_response(outcome: &ServerOutcome) -> Value {
    serde_json::to_value(outcome).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::reassemble::AssembledBlock;

    fn attribute(attrs: &[(&str, String)], key: &str) -> Value {
        let (_, text) = attrs.iter().find(|(k, _)| *k == key).expect(key);
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_tool_round_trip_reads_as_the_conventions_parts() {
        let request = Conversation::from_request_body(&json!({
            "model": "claude-opus-5-5",
            "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
            "tools": [
                {"name": "Read", "description": "Reads a file", "input_schema": {"type": "object"}},
                {"type": "web_search_20250305", "name": "web_search"}
            ],
            "messages": [
                {"role": "user", "content": "read a.txt"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "I should read it", "signature": "sig"},
                    {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "a.txt"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "hello"}
                ]}
            ]
        }));
        let answer = Assembled {
            role: Some("assistant".into()),
            content: vec![AssembledBlock::new(Block::from_json(
                &json!({"type": "text", "text": "It says hello."}),
            ))],
            stop_reason: Some("end_turn".into()),
            ..Assembled::default()
        };
        let attrs = attributes(&request, Some(&answer));
        assert_eq!(
            attribute(&attrs, "gen_ai.system_instructions"),
            json!([{"type": "text", "content": "You are Claude Code."}])
        );
        assert_eq!(
            attribute(&attrs, "gen_ai.input.messages"),
            json!([
                {"role": "user", "parts": [{"type": "text", "content": "read a.txt"}]},
                {"role": "assistant", "parts": [
                    {"type": "reasoning", "content": "I should read it"},
                    {"type": "tool_call", "id": "toolu_1", "name": "Read", "arguments": {"path": "a.txt"}}
                ]},
                {"role": "user", "parts": [{"type": "tool_call_response", "id": "toolu_1", "response": "hello"}]}
            ])
        );
        assert_eq!(
            attribute(&attrs, "gen_ai.tool.definitions"),
            json!([
                {"type": "function", "name": "Read", "description": "Reads a file", "parameters": {"type": "object"}},
                {"type": "web_search_20250305", "name": "web_search"}
            ])
        );
        assert_eq!(
            attribute(&attrs, "gen_ai.output.messages"),
            json!([{"role": "assistant", "parts": [{"type": "text", "content": "It says hello."}], "finish_reason": "stop"}])
        );
    }

    #[test]
    fn credentials_in_the_content_are_redacted() {
        let request = Conversation::from_request_body(&json!({
            "messages": [
                {"role": "user", "content": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "t", "name": "Login", "input": {"password": "hunter2hunter2"}}
                ]}
            ]
        }));
        let attrs = attributes(&request, None);
        let text = &attrs[0].1;
        assert!(
            !text.contains("abcdefghijklmnop") && !text.contains("hunter2"),
            "{text}"
        );
        assert_eq!(attrs.len(), 1, "no answer, no output messages");
    }

    #[test]
    fn a_block_of_a_new_kind_goes_as_a_generic_part() {
        let request = Conversation::from_request_body(&json!({
            "messages": [{"role": "user", "content": [{"type": "hologram", "depth": 3}]}]
        }));
        let attrs = attributes(&request, None);
        assert_eq!(
            attribute(&attrs, "gen_ai.input.messages"),
            json!([{"role": "user", "parts": [{"type": "hologram", "depth": 3}]}])
        );
    }
}
