use super::*;
use serde_json::json;

fn text(text: &str, cached: bool) -> Block {
    Block::Text {
        text: text.into(),
        cached,
        citations: vec![],
    }
}

#[test]
fn string_system_and_string_content_become_one_text_block() {
    let c = Conversation::from_request_body(&json!({
        "model": "claude-opus-4-1",
        "system": "You are Claude Code.",
        "messages": [{"role": "user", "content": "hello"}],
        "max_tokens": 32000,
    }));
    assert_eq!(c.model.as_deref(), Some("claude-opus-4-1"));
    assert_eq!(c.system, vec![text("You are Claude Code.", false)]);
    assert_eq!(
        c.messages,
        vec![Message {
            role: "user".into(),
            blocks: vec![text("hello", false)],
            extra: Vec::new(),
        }]
    );
    assert_eq!(c.params.len(), 1);
    assert_eq!(c.params["max_tokens"], 32000);
}

#[test]
fn array_system_keeps_cache_marks_per_block() {
    let c = Conversation::from_request_body(&json!({
        "system": [
            {"type": "text", "text": "billing header"},
            {"type": "text", "text": "big prompt", "cache_control": {"type": "ephemeral"}},
        ],
    }));
    assert_eq!(
        c.system,
        vec![text("billing header", false), text("big prompt", true)]
    );
    assert!(c.system[1].cached());
    assert!(!c.system[0].cached());
}

#[test]
fn every_parameter_but_the_four_sections_is_kept_in_order() {
    let c = Conversation::from_request_body(&json!({
        "model": "m", "max_tokens": 1, "temperature": 1, "thinking": {"type": "enabled", "budget_tokens": 10},
        "tool_choice": {"type": "auto"}, "metadata": {"user_id": "u"}, "stream": true,
        "system": [], "tools": [], "messages": [],
    }));
    let keys: Vec<&str> = c.params.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "max_tokens",
            "temperature",
            "thinking",
            "tool_choice",
            "metadata",
            "stream"
        ]
    );
    assert_eq!(c.params["thinking"]["budget_tokens"], 10);
}

#[test]
fn tools_client_and_server() {
    let c = Conversation::from_request_body(&json!({"tools": [
        {"name": "Read", "description": "Reads a file", "input_schema": {"type": "object"}},
        {"name": "Bash", "input_schema": {}, "cache_control": {"type": "ephemeral"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
        "not a tool",
    ]}));
    assert_eq!(
        c.tools[0],
        Tool {
            name: "Read".into(),
            description: Some("Reads a file".into()),
            kind: None,
            schema: Some(json!({"type": "object"})),
            cached: false,
            deferred: false,
        }
    );
    assert!(c.tools[1].cached);
    assert!(!c.tools[0].is_server());
    assert_eq!(c.tools[2].kind.as_deref(), Some("web_search_20250305"));
    assert!(c.tools[2].is_server());
    assert_eq!(c.tools[3].name, "");
    assert_eq!(c.tools[3].schema, Some(json!("not a tool")));
}

#[test]
fn every_block_type() {
    let c = Conversation::from_request_body(&json!({"messages": [
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "redacted_thinking", "data": "abcdef"},
            {"type": "text", "text": "see", "citations": [{"type": "char_location", "cited_text": "x"}]},
            {"type": "tool_use", "id": "t1", "name": "Read", "input": {"path": "a"}},
            {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "q"}},
            {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "file text", "cache_control": {"type": "ephemeral"}},
            {"type": "tool_result", "tool_use_id": "t2", "is_error": true, "content": [
                {"type": "text", "text": "failed"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="}},
            ]},
            {"type": "tool_result", "tool_use_id": "t3"},
            {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
            {"type": "document", "title": "spec", "source": {"type": "base64", "media_type": "application/pdf", "data": "AAAA"}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain"}},
        ]},
    ]}));
    let assistant = &c.messages[0].blocks;
    assert_eq!(c.messages[0].role, "assistant");
    assert_eq!(
        assistant[0],
        Block::Thinking {
            thinking: "hmm".into(),
            signature: Some("sig".into()),
            estimated_tokens: None,
        }
    );
    assert_eq!(assistant[1], Block::RedactedThinking { bytes: 6 });
    assert_eq!(
        assistant[2],
        Block::Text {
            text: "see".into(),
            cached: false,
            citations: vec![json!({"type": "char_location", "cited_text": "x"})],
        }
    );
    assert_eq!(
        assistant[3],
        Block::ToolUse {
            id: "t1".into(),
            name: "Read".into(),
            input: json!({"path": "a"}),
            server: false,
            cached: false,
        }
    );
    assert!(
        matches!(&assistant[4], Block::ToolUse { server: true, name, .. } if name == "web_search")
    );
    assert!(
        matches!(&assistant[5], Block::ServerToolResult { tool_use_id, tool: crate::anthropic::blocks::ServerTool::WebSearch, .. } if tool_use_id == "s1")
    );

    let user = &c.messages[1].blocks;
    assert_eq!(
        user[0],
        Block::ToolResult {
            tool_use_id: "t1".into(),
            content: vec![text("file text", false)],
            is_error: false,
            cached: true,
        }
    );
    assert_eq!(
        user[1],
        Block::ToolResult {
            tool_use_id: "t2".into(),
            content: vec![
                text("failed", false),
                Block::Image {
                    media_type: Some("image/png".into()),
                    bytes: Some(5),
                    url: None,
                    cached: false,
                }
            ],
            is_error: true,
            cached: false,
        }
    );
    assert!(matches!(&user[2], Block::ToolResult { content, .. } if content.is_empty()));
    assert_eq!(
        user[3],
        Block::Image {
            media_type: None,
            bytes: None,
            url: Some("https://x/y.png".into()),
            cached: false,
        }
    );
    assert_eq!(
        user[4],
        Block::Document {
            media_type: Some("application/pdf".into()),
            bytes: Some(3),
            title: Some("spec".into()),
            cached: false,
        }
    );
    assert!(matches!(&user[5], Block::Document { bytes: Some(5), .. }));
}

#[test]
fn image_keeps_its_decoded_size_but_never_its_data() {
    // 3000 bytes encode to 4000 base64 characters; wrap them like MIME does.
    let encoded: String = "QUJD".repeat(1000);
    let wrapped = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    for (data, size) in [
        (encoded.as_str(), 3000),
        (wrapped.as_str(), 3000),
        ("QQ==", 1),
        ("QUI=", 2),
        ("", 0),
    ] {
        let c = Conversation::from_request_body(&json!({"messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": data}},
        ]}]}));
        assert!(
            matches!(c.messages[0].blocks[0], Block::Image { bytes: Some(n), .. } if n == size),
            "{data:?}: {:?}",
            c.messages[0].blocks[0]
        );
        let serialized = serde_json::to_string(&c).unwrap();
        assert!(data.is_empty() || !serialized.contains(data));
    }
    // A malformed image stays an Image, so that its data is still dropped.
    let c = Conversation::from_request_body(&json!({"messages": [{"role": "user", "content": [
        {"type": "image", "source": "QUJDQUJDQUJD"},
    ]}]}));
    assert!(matches!(
        c.messages[0].blocks[0],
        Block::Image { bytes: None, .. }
    ));
    assert!(!serde_json::to_string(&c).unwrap().contains("QUJDQUJDQUJD"));
}

#[test]
fn odd_json_never_panics_and_loses_nothing() {
    for body in [
        json!(null),
        json!("text"),
        json!(3),
        json!([1, 2]),
        json!({}),
    ] {
        assert_eq!(
            Conversation::from_request_body(&body),
            Conversation::default()
        );
    }
    let c = Conversation::from_request_body(&json!({
        "model": 7, "system": {"oops": 1}, "tools": "none", "messages": [
            "bare string",
            {"content": 5},
            {"role": "user"},
            {"role": "user", "content": [null, {"no": "type"}, {"type": "text", "text": 1}, {"type": "brand_new", "x": 1}]},
        ],
    }));
    assert_eq!(c.model, None);
    assert_eq!(c.params["model"], 7);
    assert_eq!(c.params["system"], json!({"oops": 1}));
    assert_eq!(c.params["tools"], "none");
    assert_eq!(c.messages[0].role, "");
    assert!(
        matches!(&c.messages[0].blocks[0], Block::Other { block_type, .. } if block_type == "string")
    );
    assert!(
        matches!(&c.messages[1].blocks[0], Block::Other { block_type, .. } if block_type == "number")
    );
    assert!(c.messages[2].blocks.is_empty());
    let kinds: Vec<String> = c.messages[3]
        .blocks
        .iter()
        .map(|b| match b {
            Block::Other { block_type, .. } => block_type.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["null", "object", "text", "brand_new"]);
}

#[test]
fn serde_shape_is_tagged_by_kind_and_round_trips() {
    let c = Conversation::from_request_body(&json!({"model": "m", "system": "s", "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]},
    ]}));
    let value = serde_json::to_value(&c).unwrap();
    assert_eq!(
        value["system"][0],
        json!({"kind": "text", "text": "s", "cached": false, "citations": []})
    );
    assert_eq!(value["messages"][0]["blocks"][0]["kind"], "tool_result");
    let back: Conversation = serde_json::from_value(value).unwrap();
    assert_eq!(back, c);
}

#[test]
fn todays_request_settings_and_deferred_tools_are_read() {
    let c = Conversation::from_request_body(&json!({
        "model": "claude-opus-5-5",
        "thinking": {"type": "adaptive", "display": "omitted"},
        "output_config": {"effort": "high"},
        "context_management": {"edits": [
            {"type": "clear_thinking_20251015", "keep": {"type": "thinking_turns", "value": 1}},
            {"type": "clear_tool_uses_20250919"}]},
        "tools": [
            {"name": "Read", "input_schema": {"type": "object"}},
            {"name": "mcp__git__log", "input_schema": {"type": "object"}, "defer_loading": true}],
        "messages": [{"role": "system", "content": [{"type": "tool_addition",
            "tool": {"type": "tool_reference", "name": "mcp__git__log"}}]}],
    }));
    let settings = c.settings();
    assert_eq!(
        settings.describe(),
        [
            "thinking: adaptive, display omitted",
            "effort: high",
            "context management: clear_thinking_20251015, clear_tool_uses_20250919"
        ]
    );
    assert!(c.params.contains_key("thinking"), "the raw value stays too");
    assert_eq!(
        c.tools.iter().map(|t| t.deferred).collect::<Vec<_>>(),
        [false, true]
    );
    // A mid-conversation tool change: no SDK shape to read, kept whole and named.
    assert!(
        matches!(&c.messages[0].blocks[0], Block::Other { block_type, .. } if block_type == "tool_addition")
    );
    assert_eq!(c.messages[0].role, "system");
    let enabled = Conversation::from_request_body(
        &json!({"thinking": {"type": "enabled", "budget_tokens": 4096}}),
    );
    assert_eq!(
        enabled.settings().describe(),
        ["thinking: enabled, budget 4096 tokens"]
    );
    assert!(Conversation::default().settings().describe().is_empty());
}

#[test]
fn a_message_keeps_its_per_turn_settings() {
    // Claude Code 2.1.332 puts output_config on a mid-conversation system message.
    let c = Conversation::from_request_body(&json!({
        "messages": [{"role": "system", "content": [{"type": "text", "text": "env"}],
                      "output_config": {"effort": "medium"}}],
    }));
    assert_eq!(c.messages[0].role, "system");
    assert_eq!(
        c.messages[0].extra,
        vec![("output_config".to_owned(), json!({"effort": "medium"}))]
    );
}
