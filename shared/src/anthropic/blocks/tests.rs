use serde_json::json;

use super::*;

#[test]
fn an_unknown_kind_keeps_its_json_whole() {
    let raw =
        json!({"type": "hologram_use", "id": "m1", "server_name": "git", "input": {"x": [1, 2]}});
    assert_eq!(
        Block::from_json(&raw),
        Block::Other {
            block_type: "hologram_use".into(),
            value: raw.clone(),
        }
    );
    let untyped = json!({"no": "type"});
    assert_eq!(
        Block::from_json(&untyped),
        Block::Other {
            block_type: "object".into(),
            value: untyped.clone(),
        }
    );
}

#[test]
fn a_mistyped_field_keeps_the_block_whole_a_missing_one_defaults() {
    for raw in [
        json!({"type": "text", "text": 1}),
        json!({"type": "text"}),
        json!({"type": "text", "text": "t", "citations": "none"}),
        json!({"type": "thinking", "thinking": ["a"]}),
        json!({"type": "tool_use", "id": 7, "name": "Read", "input": {}}),
        json!({"type": "redacted_thinking", "data": {"bytes": 3}}),
    ] {
        assert_eq!(Block::from_json(&raw), Block::other(&raw), "{raw}");
    }
    assert_eq!(
        Block::from_json(&json!({"type": "thinking", "signature": "sig"})),
        Block::Thinking {
            thinking: String::new(),
            signature: Some("sig".into()),
            estimated_tokens: None,
        }
    );
    assert_eq!(
        Block::from_json(&json!({"type": "tool_use", "input": null})),
        Block::ToolUse {
            id: String::new(),
            name: String::new(),
            input: json!({}),
            server: false,
            cached: false,
        }
    );
}

#[test]
fn an_odd_image_is_still_an_image_so_its_data_is_dropped() {
    let block = Block::from_json(&json!({"type": "image", "source": {
        "type": "base64", "media_type": 5, "data": "QUJDQUJD"}}));
    assert_eq!(
        block,
        Block::Image {
            media_type: None,
            bytes: Some(6),
            url: None,
            cached: false,
        }
    );
}

#[test]
fn the_string_form_is_one_plain_text_block() {
    let from_string = content_blocks(&json!("hi"));
    let from_array = content_blocks(&json!([{"type": "text", "text": "hi"}]));
    assert_eq!(from_string, from_array);
    assert_eq!(
        plain_text(&json!({"type": "text", "text": "hi"})),
        Some(("hi", false))
    );
    assert_eq!(
        plain_text(&json!({"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}})),
        Some(("hi", true))
    );
    assert_eq!(
        plain_text(&json!({"type": "text", "text": "hi", "citations": []})),
        None
    );
    assert_eq!(content_blocks(&json!(null)), vec![]);
    assert_eq!(content_blocks(&json!(3)), vec![Block::other(&json!(3))]);
}

#[test]
fn cache_marks_and_base64_sizes() {
    assert!(has_cache_control(
        &json!({"cache_control": {"type": "ephemeral"}})
    ));
    assert!(!has_cache_control(&json!({"cache_control": null})));
    assert!(Block::from_json(&json!({"type": "brand_new", "cache_control": {}})).cached());
    assert_eq!(base64_decoded_len("QUJD\r\nQQ=="), 4);
}

#[test]
fn todays_block_kinds_read_as_what_they_are() {
    let cases = [
        (
            json!({"type": "mcp_tool_use", "id": "m1", "name": "status", "server_name": "git",
                "input": {"repo": "."}}),
            Block::McpToolUse {
                id: "m1".into(),
                name: "status".into(),
                server_name: "git".into(),
                input: json!({"repo": "."}),
                cached: false,
            },
        ),
        (
            json!({"type": "mcp_tool_result", "tool_use_id": "m1", "is_error": true,
                "content": [{"type": "text", "text": "not a repository"}]}),
            Block::McpToolResult {
                tool_use_id: "m1".into(),
                content: content_blocks(&json!("not a repository")),
                is_error: true,
                cached: false,
            },
        ),
        (
            json!({"type": "tool_reference", "tool_name": "mcp__git__log"}),
            Block::ToolReference {
                tool_name: "mcp__git__log".into(),
                cached: false,
            },
        ),
        (
            json!({"type": "container_upload", "file_id": "file_9"}),
            Block::ContainerUpload {
                file_id: "file_9".into(),
                cached: false,
            },
        ),
        (
            json!({"type": "fallback", "from": {"model": "claude-opus-5-5"},
                "to": {"model": "claude-sonnet-5-5"}}),
            Block::Fallback {
                from: Some("claude-opus-5-5".into()),
                to: Some("claude-sonnet-5-5".into()),
            },
        ),
        (
            json!({"type": "compaction", "content": "The user asked for X.",
                "encrypted_content": "abcd", "cache_control": {"type": "ephemeral"}}),
            Block::Compaction {
                content: Some("The user asked for X.".into()),
                encrypted_bytes: 4,
                cached: true,
            },
        ),
        (
            json!({"type": "compaction", "content": null}),
            Block::Compaction {
                content: None,
                encrypted_bytes: 0,
                cached: false,
            },
        ),
        (
            json!({"type": "thinking", "thinking": "", "signature": "EqQB", "estimated_tokens": 812}),
            Block::Thinking {
                thinking: String::new(),
                signature: Some("EqQB".into()),
                estimated_tokens: Some(812),
            },
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(Block::from_json(&raw), want, "{raw}");
    }
    let omitted = Block::from_json(&json!({"type": "thinking", "thinking": "", "signature": "s"}));
    assert!(omitted.thinking_omitted());
    let shown = Block::from_json(&json!({"type": "thinking", "thinking": "hm", "signature": "s"}));
    assert!(!shown.thinking_omitted());
    // Mistyped top-level fields keep the whole block, as for every kind.
    for raw in [
        json!({"type": "mcp_tool_use", "id": "m", "name": "n", "server_name": 3}),
        json!({"type": "compaction", "content": ["x"]}),
        json!({"type": "thinking", "thinking": "", "estimated_tokens": "many"}),
    ] {
        assert_eq!(Block::from_json(&raw), Block::other(&raw), "{raw}");
    }
}

fn outcome(raw: Value) -> (ServerTool, ServerOutcome) {
    match Block::from_json(&raw) {
        Block::ServerToolResult {
            tool,
            outcome,
            tool_use_id,
            ..
        } => {
            assert_eq!(tool_use_id, "srv_1");
            (tool, outcome)
        }
        other => panic!("not a server tool result: {other:?}"),
    }
}

#[test]
fn server_tool_results_say_what_the_tool_found_or_why_it_failed() {
    let (tool, got) = outcome(
        json!({"type": "web_search_tool_result", "tool_use_id": "srv_1",
        "content": [{"type": "web_search_result", "title": "Rust 2026", "url": "https://r.example/",
            "page_age": "2 days", "encrypted_content": "EAbc"}]}),
    );
    assert_eq!(tool, ServerTool::WebSearch);
    assert_eq!(
        got,
        ServerOutcome::WebSearch {
            results: vec![WebSearchResult {
                title: "Rust 2026".into(),
                url: "https://r.example/".into(),
                page_age: Some("2 days".into()),
                encrypted_bytes: 4,
            }]
        }
    );
    for kind in [
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "advisor_tool_result",
    ] {
        let error = kind.replace("_tool_result", "_tool_result_error");
        let (tool, got) = outcome(json!({"type": kind, "tool_use_id": "srv_1",
            "content": {"type": error, "error_code": "unavailable"}}));
        assert_eq!(tool.block_type(), kind);
        assert_eq!(
            got,
            ServerOutcome::Error {
                error_code: "unavailable".into()
            }
        );
    }
    let (_, fetched) = outcome(
        json!({"type": "web_fetch_tool_result", "tool_use_id": "srv_1",
        "content": {"type": "web_fetch_result", "url": "https://d.example/a", "retrieved_at": "2026-11-30T10:00:00Z",
            "content": {"type": "document", "title": "A page",
                "source": {"type": "text", "media_type": "text/plain", "data": "hello"}}}}),
    );
    assert_eq!(
        fetched,
        ServerOutcome::WebFetch {
            url: "https://d.example/a".into(),
            retrieved_at: Some("2026-11-30T10:00:00Z".into()),
            document: Box::new(Block::Document {
                media_type: Some("text/plain".into()),
                bytes: Some(5),
                title: Some("A page".into()),
                cached: false,
            }),
        }
    );
    let (_, ran) = outcome(
        json!({"type": "bash_code_execution_tool_result", "tool_use_id": "srv_1",
        "content": {"type": "bash_code_execution_result", "stdout": "3 files\n", "stderr": "warn",
            "return_code": 2, "content": [{"type": "bash_code_execution_output", "file_id": "file_a"}]}}),
    );
    assert_eq!(
        ran,
        ServerOutcome::CodeExecution {
            stdout: "3 files\n".into(),
            stderr: "warn".into(),
            return_code: 2,
            file_ids: vec!["file_a".into()],
        }
    );
    let (_, viewed) = outcome(
        json!({"type": "text_editor_code_execution_tool_result", "tool_use_id": "srv_1",
        "content": {"type": "text_editor_code_execution_view_result", "content": "fn main() {}", "file_type": "text"}}),
    );
    assert_eq!(
        viewed,
        ServerOutcome::FileView {
            file_type: Some("text".into()),
            content: "fn main() {}".into()
        }
    );
    let (_, found) = outcome(
        json!({"type": "tool_search_tool_result", "tool_use_id": "srv_1",
        "content": {"type": "tool_search_tool_search_result",
            "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}]}}),
    );
    assert_eq!(
        found,
        ServerOutcome::ToolSearch {
            tool_names: vec!["get_weather".into()]
        }
    );
    let (_, advised) = outcome(
        json!({"type": "advisor_tool_result", "tool_use_id": "srv_1",
        "content": {"type": "advisor_result", "text": "Check the lock order.", "stop_reason": "end_turn"}}),
    );
    assert_eq!(
        advised,
        ServerOutcome::Advisor {
            text: "Check the lock order.".into(),
            stop_reason: Some("end_turn".into())
        }
    );
    // A content of a shape nobody knows, or a known one mistyped, is kept as sent.
    for content in [
        json!({"type": "code_execution_result", "stdout": 5}),
        json!({"type": "quantum_result"}),
        json!([{"type": "web_search_result", "url": 1}]),
    ] {
        let (_, kept) = outcome(
            json!({"type": "code_execution_tool_result", "tool_use_id": "srv_1", "content": content}),
        );
        assert_eq!(kept, ServerOutcome::Unknown { value: content });
    }
}
