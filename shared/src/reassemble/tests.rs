use super::*;
use crate::anthropic::blocks::{ServerOutcome, ServerTool};
use crate::anthropic::AppliedEdit;
use crate::test_support::{event, flow, sse};
use crate::{Response, ResponseHeaders, StreamEnd};

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
    AssembledBlock::new(Block::Text {
        text: text.into(),
        cached: false,
        citations: vec![],
    })
}

/// A tool call's input: parsed, as received, and why it does not parse.
fn tool_input(block: &AssembledBlock) -> (&Value, &str, Option<&str>) {
    match block {
        AssembledBlock {
            block: Block::ToolUse { input, .. } | Block::McpToolUse { input, .. },
            received: Some(received),
        } => (input, &received.input_json, received.input_error.as_deref()),
        other => panic!("not a tool call: {other:?}"),
    }
}

/// A block as the stream reported it, with a tool input received as `json`.
fn with_input(block: Block, json: &str) -> AssembledBlock {
    AssembledBlock {
        block,
        received: Some(ReceivedInput {
            input_json: json.into(),
            input_error: None,
        }),
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
                AssembledBlock::new(Block::Thinking {
                    thinking: "Let me think.".into(),
                    signature: Some("EqQBCkYI".into()),
                    estimated_tokens: None,
                }),
                AssembledBlock::new(Block::RedactedThinking { bytes: 12 }),
                AssembledBlock::new(Block::Text {
                    text: "The answer is 42.".into(),
                    cached: false,
                    citations: vec![json!({"type": "char_location", "cited_text": "42"})],
                }),
                with_input(
                    Block::ToolUse {
                        id: "toolu_1".into(),
                        name: "Read".into(),
                        server: false,
                        input: json!({"file_path": "/a.rs"}),
                        cached: false,
                    },
                    "{\"file_path\": \"/a.rs\"}",
                ),
            ],
            stop_reason: Some("tool_use".into()),
            stop_sequence: None,
            stop_details: None,
            applied_edits: vec![],
            container: None,
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
        matches!(&got.content[1].block, Block::ToolUse { server: true, input, .. } if *input == json!({"query": "rust"}))
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
    assert_eq!(tool_input(&got.content[0]), (&input, text.as_str(), None));
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
    assert_eq!(tool_input(&got.content[0]), (&json!({}), "", None));
    assert_eq!(tool_input(&got.content[1]).0, &json!({}));
    let (input, input_json, input_error) = tool_input(&got.content[2]);
    assert_eq!(input, &json!({}));
    assert_eq!(input_json, "{\"path\": \"x\", \"old\": tru");
    assert!(input_error.is_some());
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
        block_start(0, json!({"type": "hologram_upload", "file_id": "f1"})),
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
        AssembledBlock::new(Block::Other {
            block_type: "hologram_upload".into(),
            value: json!({"type": "hologram_upload", "file_id": "f1", "deltas": [
                {"type": "upload_progress_delta", "pct": 50},
                {"type": "upload_progress_delta", "pct": 100},
            ]}),
        })
    );
    assert_eq!(got.content[1], text("kept"));
    assert_eq!(
        got.content[2],
        AssembledBlock::new(Block::Other {
            block_type: "unknown".into(),
            value: json!({"deltas": [{"type": "mystery_delta"}]}),
        })
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
            matches!(tool_input(&got.content[0]), (_, json, Some(_)) if json == "{\"content\": \"par")
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
        AssembledBlock::new(Block::Thinking {
            thinking: "t".into(),
            signature: Some("sig".into()),
            estimated_tokens: None,
        })
    );
    assert!(
        matches!(&got.content[1].block, Block::Text { text, citations, .. } if text == "Hi" && citations.len() == 1)
    );
    assert_eq!(
        got.content[2],
        with_input(
            Block::ToolUse {
                id: "x".into(),
                name: "Glob".into(),
                server: false,
                input: json!({"pattern": "*.rs"}),
                cached: false,
            },
            r#"{"pattern":"*.rs"}"#,
        )
    );
    assert!(matches!(
        &got.content[3].block,
        Block::ServerToolResult {
            tool: ServerTool::WebSearch,
            outcome: ServerOutcome::WebSearch { results },
            ..
        } if results.is_empty()
    ));
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
        json!({"kind": "text", "text": "x", "cached": false, "citations": []})
    );
    assert_eq!(value["complete"], true);
    let back: Assembled = serde_json::from_value(value).unwrap();
    assert_eq!(back, got);
}

/// Today's answer whole: every kind a 2026 response carries, and the
/// message-level facts beside them.
fn todays_body() -> Value {
    json!({
        "id": "msg_today", "type": "message", "role": "assistant", "model": "claude-opus-5-5",
        "content": [
            {"type": "thinking", "thinking": "", "signature": "EqQBsig", "estimated_tokens": 812},
            {"type": "compaction", "content": "Earlier: the user asked for a parser."},
            {"type": "mcp_tool_use", "id": "mcp_1", "name": "status", "server_name": "git",
                "input": {"repo": "."}},
            {"type": "mcp_tool_result", "tool_use_id": "mcp_1", "is_error": false,
                "content": [{"type": "text", "text": "clean tree"}]},
            {"type": "fallback", "from": {"model": "claude-opus-5-5"}, "to": {"model": "claude-sonnet-5-5"}},
            {"type": "text", "text": "Done."},
        ],
        "stop_reason": "refusal", "stop_sequence": null,
        "stop_details": {"type": "refusal", "category": "cyber", "explanation": "Looks like malware."},
        "context_management": {"applied_edits": [
            {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 3, "cleared_input_tokens": 12000},
            {"type": "clear_thinking_20251015", "cleared_thinking_turns": 2, "cleared_input_tokens": 800},
        ]},
        "container": {"id": "cntr_1", "expires_at": "2026-12-01T12:00:00Z"},
        "usage": {"input_tokens": 3, "output_tokens": 4},
    })
}

#[test]
fn todays_answer_streamed_in_pieces_reads_as_the_same_answer_whole() {
    let body = todays_body();
    let whole = run(&[event(EventKind::Response(Response {
        flow_id: flow(),
        status_code: 200,
        body: Body::Json(body.clone()),
    }))]);
    let mut events = vec![sse(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_today", "type": "message",
            "role": "assistant", "model": "claude-opus-5-5", "content": [], "stop_reason": null,
            "usage": {"input_tokens": 3, "output_tokens": 1}}}),
    )];
    events.push(block_start(
        0,
        json!({"type": "thinking", "thinking": "", "signature": "", "estimated_tokens": 812}),
    ));
    events.push(delta(
        0,
        json!({"type": "signature_delta", "signature": "EqQB"}),
    ));
    events.push(delta(
        0,
        json!({"type": "signature_delta", "signature": "sig"}),
    ));
    events.push(block_start(
        1,
        json!({"type": "compaction", "content": null}),
    ));
    for piece in ["Earlier: the user ", "asked for a ", "parser."] {
        events.push(delta(
            1,
            json!({"type": "compaction_delta", "content": piece}),
        ));
    }
    events.push(block_start(
        2,
        json!({"type": "mcp_tool_use", "id": "mcp_1", "name": "status", "server_name": "git", "input": {}}),
    ));
    events.push(json_delta(2, "{\"repo\""));
    events.push(json_delta(2, ": \".\"}"));
    for (index, raw) in (3..).zip(&body["content"].as_array().unwrap()[3..5]) {
        events.push(block_start(index, raw.clone()));
        events.push(stop(index));
    }
    events.push(block_start(5, json!({"type": "text", "text": ""})));
    events.push(text_delta(5, "Done."));
    events.push(sse(
        "message_delta",
        json!({"type": "message_delta",
            "delta": {"stop_reason": "refusal", "stop_sequence": null,
                "stop_details": body["stop_details"], "container": body["container"]},
            "context_management": body["context_management"],
            "usage": {"output_tokens": 4}}),
    ));
    events.push(sse("message_stop", json!({"type": "message_stop"})));
    let streamed = run(&events);

    assert_eq!(
        streamed
            .content
            .iter()
            .map(|b| &b.block)
            .collect::<Vec<_>>(),
        whole.content.iter().map(|b| &b.block).collect::<Vec<_>>()
    );
    assert!(whole.content[0].block.thinking_omitted());
    assert_eq!(tool_input(&streamed.content[2]).1, "{\"repo\": \".\"}");
    assert!(
        streamed.other_events.is_empty(),
        "{:?}",
        streamed.other_events
    );
    for got in [&whole, &streamed] {
        assert_eq!(got.stop_reason.as_deref(), Some("refusal"));
        let details = got.stop_details.as_ref().unwrap();
        assert_eq!(details.category.as_deref(), Some("cyber"));
        assert_eq!(details.explanation.as_deref(), Some("Looks like malware."));
        assert_eq!(
            got.applied_edits
                .iter()
                .map(AppliedEdit::describe)
                .collect::<Vec<_>>(),
            [
                "cleared 3 tool uses, freeing 12000 tokens",
                "cleared 2 thinking turns, freeing 800 tokens"
            ]
        );
        let container = got.container.as_ref().unwrap();
        assert_eq!(container.id, "cntr_1");
        assert_eq!(
            container.expires_at.as_deref(),
            Some("2026-12-01T12:00:00Z")
        );
    }
}

#[test]
fn a_compaction_delta_without_its_start_is_kept_as_a_compaction() {
    let got = run(&[
        start_message(),
        delta(0, json!({"type": "compaction_delta", "content": "Summary"})),
        delta(
            0,
            json!({"type": "compaction_delta", "encrypted_content": "xyz"}),
        ),
        // A compaction delta that carries nothing fits no block.
        delta(0, json!({"type": "compaction_delta"})),
    ]);
    assert_eq!(
        got.content[0].block,
        Block::Compaction {
            content: Some("Summary".into()),
            encrypted_bytes: 3,
            cached: false,
        }
    );
    assert_eq!(got.other_events.len(), 1);
}
