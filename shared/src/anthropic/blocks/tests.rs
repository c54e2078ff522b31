use serde_json::json;

use super::*;

#[test]
fn an_unknown_kind_keeps_its_json_whole() {
    let raw =
        json!({"type": "mcp_tool_use", "id": "m1", "server_name": "git", "input": {"x": [1, 2]}});
    assert_eq!(
        Block::from_json(&raw),
        Block::Other {
            block_type: "mcp_tool_use".into(),
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
