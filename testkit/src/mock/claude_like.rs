//! The answer to a request that names no scenario: what the Messages API
//! would answer Claude Code, including a tool round trip when the last user
//! turn asks for one: Bash for `TRACE_E2E`, trace_claude's own MCP tool
//! `list_sessions` for `TRACE_MCP`.

use std::sync::Arc;

use serde_json::{json, Value};

use super::body::{api_error, empty_response, json_response, stream, MockResponse};
use super::scenarios::TOOL_INPUT_COMMAND;
use super::{MockState, SeenRequest};
use crate::script;

/// The tokens the mock's OAuth endpoint hands out: a log must never hold them.
pub const OAUTH_ACCESS_TOKEN: &str = "sk-ant-oat01-MOCKACCESSmockaccessMOCKACCESS-aaaa";
pub const OAUTH_REFRESH_TOKEN: &str = "sk-ant-ort01-MOCKREFRESHmockrefreshMOCKREFRESH-bbbb";

/// The name Claude Code gives trace_claude's `list_sessions` when the MCP
/// server is configured as `trace_claude`.
pub const MCP_LIST_SESSIONS: &str = "mcp__trace_claude__list_sessions";

/// Answers `seen`, whose body is `request` and names `model`.
pub(crate) fn answer(
    state: &Arc<MockState>,
    seen: &SeenRequest,
    request: &Value,
    model: &str,
) -> MockResponse {
    // platform.claude.com's OAuth token exchange and refresh.
    if seen.method == "POST" && seen.path.starts_with("/v1/oauth/token") {
        return json_response(
            200,
            &json!({
                "token_type": "Bearer",
                "access_token": OAUTH_ACCESS_TOKEN,
                "refresh_token": OAUTH_REFRESH_TOKEN,
                "expires_in": 28800,
                "scope": "user:inference user:profile",
                "account": {"uuid": "4f6c1b0e-mock", "email_address": "dev@example.com"}
            }),
        );
    }
    if seen.method != "POST" {
        return empty_response(200);
    }
    if seen.path.starts_with("/v1/messages/count_tokens") {
        return json_response(200, &json!({"input_tokens": 42}));
    }
    if !seen.path.starts_with("/v1/messages") {
        return api_error(404, "not_found_error", "Not found");
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
    let offers = |name: &str| {
        request["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|t| t["name"] == name))
    };
    let asks = |marker: &str| last_user.is_some_and(|m| m.to_string().contains(marker));
    let wanted_tool = if asks("TRACE_MCP") && offers(MCP_LIST_SESSIONS) {
        Some((MCP_LIST_SESSIONS, json!({})))
    } else if asks("TRACE_E2E") && offers("Bash") {
        Some((
            "Bash",
            json!({"command": TOOL_INPUT_COMMAND, "description": "Print the end-to-end marker"}),
        ))
    } else {
        None
    };
    let wants_tool = wanted_tool.is_some();
    let streaming = request["stream"].as_bool().unwrap_or(false);

    let answer = match (&tool_result, wants_tool) {
        (Some(output), _) => format!("The command printed: {}", output.trim()),
        (None, true) => String::new(),
        (None, false) => "Hello from the mock upstream.".to_owned(),
    };
    if !streaming {
        return json_response(200, &script::message_json(model, &answer));
    }
    let events = if let (None, Some((tool, input))) = (&tool_result, &wanted_tool) {
        script::thinking_then_tool_use(model, tool, input)
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
