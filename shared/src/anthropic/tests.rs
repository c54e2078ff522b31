//! The vocabulary read from each place the wire carries it must say the same.

use serde_json::{json, Value};

use super::*;
use crate::test_support::{event, flow, sse};
use crate::{
    reassemble, AssembledBlock, Body, Conversation, Event, EventKind, FlowSummary, Response,
};

fn response(status: u16, body: Value) -> Event {
    event(EventKind::Response(Response {
        flow_id: flow(),
        status_code: status,
        body: Body::Json(body),
    }))
}

/// The block a request sends, as the request reading gives it.
fn request_side(raw: &Value) -> Block {
    let conversation = Conversation::from_request_body(
        &json!({"messages": [{"role": "assistant", "content": [raw]}]}),
    );
    conversation.messages[0].blocks[0].clone()
}

/// The same block in a whole response body, and streamed.
fn response_side(raw: &Value) -> [AssembledBlock; 2] {
    let body = json!({"type": "message", "content": [raw]});
    let whole = reassemble(&[response(200, body)]).unwrap().content;
    let streamed = reassemble(&[sse(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0, "content_block": raw}),
    )])
    .unwrap()
    .content;
    [whole[0].clone(), streamed[0].clone()]
}

/// Whether a response block says what the request block says. Both sides
/// read blocks with one parser; this checks that reassembly adds nothing
/// to a block but what the stream told.
fn says_the_same(request: &Block, response: &AssembledBlock) -> bool {
    *request == response.block
}

#[test]
fn the_same_block_json_reads_the_same_in_a_request_and_a_response() {
    for raw in [
        json!({"type": "text", "text": "The answer is 42."}),
        json!({"type": "text", "text": "see", "citations": [{"type": "char_location", "cited_text": "x"}]}),
        json!({"type": "thinking", "thinking": "hmm", "signature": "EqQBCkYI"}),
        // A streamed thinking block starts empty; a request sends it back so.
        json!({"type": "thinking", "thinking": "", "signature": ""}),
        json!({"type": "redacted_thinking", "data": "opaque-bytes"}),
        json!({"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "/a.rs"}}),
        json!({"type": "tool_use", "id": "toolu_2", "name": "LS"}),
        json!({"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "q"}}),
        json!({"type": "web_search_tool_result", "tool_use_id": "s1", "content": []}),
        json!({"type": "text", "text": 1}),
        json!({"type": "mcp_tool_use", "id": "m1", "name": "status", "server_name": "git", "input": {"v": 1}}),
        json!({"type": "mcp_tool_result", "tool_use_id": "m1", "is_error": true, "content": "no repo"}),
        json!({"type": "compaction", "content": "Summary.", "encrypted_content": "opaque"}),
        json!({"type": "thinking", "thinking": "", "signature": "sig", "estimated_tokens": 812}),
        json!({"type": "fallback", "from": {"model": "claude-opus-5-5"}, "to": {"model": "claude-sonnet-5-5"}}),
        json!({"type": "container_upload", "file_id": "file_1"}),
        json!({"type": "bash_code_execution_tool_result", "tool_use_id": "b1", "content":
            {"type": "bash_code_execution_result", "stdout": "ok", "stderr": "", "return_code": 0, "content": []}}),
    ] {
        let request = request_side(&raw);
        for response in response_side(&raw) {
            assert!(
                says_the_same(&request, &response),
                "{raw}: request {request:?}, response {response:?}"
            );
        }
    }
}

#[test]
fn a_block_kind_nobody_knows_survives_on_both_sides_as_its_json() {
    let raw = json!({"type": "hologram", "content": "summary of earlier turns", "extra": {"n": 1}});
    assert_eq!(
        request_side(&raw),
        Block::Other {
            block_type: "hologram".into(),
            value: raw.clone(),
        }
    );
    let [whole, streamed] = response_side(&raw);
    assert_eq!(
        whole,
        AssembledBlock::new(Block::Other {
            block_type: "hologram".into(),
            value: raw.clone(),
        })
    );
    assert_eq!(whole, streamed);
}

#[test]
fn the_api_error_reads_the_same_from_each_of_its_places() {
    let object =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let expected = ApiError::new("overloaded_error", "Overloaded");
    // What the proxy answers itself when the upstream fails.
    assert_eq!(expected.to_json(), object);
    assert_eq!(
        ApiError::from_json(&expected.to_json()),
        Some(expected.clone())
    );

    // An error response's body and an SSE `error` event's data.
    let from_body = [response(529, object.clone())];
    let from_stream = [
        sse(
            "message_start",
            json!({"type": "message_start", "message": {"id": "m"}}),
        ),
        sse("error", object.clone()),
    ];
    for events in [&from_body[..], &from_stream[..]] {
        let assembled = reassemble(events).unwrap();
        assert_eq!(assembled.error, Some(expected.to_string()));
        let mut summary = FlowSummary::new(flow(), 1);
        for (seq, e) in (1..).zip(events) {
            summary.accept(seq, e);
        }
        assert_eq!(summary.error.as_deref(), Some(expected.headline()));
    }
    assert_eq!(expected.to_string(), "overloaded_error: Overloaded");
    assert_eq!(expected.headline(), "Overloaded");
}

#[test]
fn an_api_error_needs_an_error_object_with_a_kind_or_message() {
    assert_eq!(ApiError::from_json(&json!("Overloaded")), None);
    assert_eq!(ApiError::from_json(&json!({"error": "bad"})), None);
    assert_eq!(ApiError::from_json(&json!({"error": {"code": 1}})), None);
    let only_kind = ApiError::from_json(&json!({"error": {"type": "api_error"}})).unwrap();
    assert_eq!(
        (only_kind.to_string(), only_kind.headline()),
        ("api_error".to_owned(), "api_error")
    );
    assert_eq!(error::describe(&json!("plain")), "plain");
    assert_eq!(error::describe(&json!({"a": 1})), r#"{"a":1}"#);
}

#[test]
fn an_unnamed_event_is_what_its_data_says_everywhere() {
    let start = json!({"type": "message_start", "message": {"id": "m", "model": "claude-x",
        "usage": {"input_tokens": 7, "output_tokens": 1}}});
    assert_eq!(
        SseEventName::of(sse::UNNAMED_EVENT, &start),
        Some(SseEventName::MessageStart)
    );
    assert_eq!(SseEventName::of("message", &json!("text")), None);
    assert_eq!(
        SseEventName::of("brand_new", &json!({"type": "ping"})),
        None
    );
    for name in SseEventName::ALL {
        assert_eq!(SseEventName::parse(name.as_str()), Some(name));
    }

    let events = [sse("message", start)];
    let mut summary = FlowSummary::new(flow(), 1);
    summary.accept(1, &events[0]);
    assert_eq!(summary.model.as_deref(), Some("claude-x"));
    assert_eq!(summary.usage.map(|u| u.input_tokens), Some(7));
    let assembled = reassemble(&events).unwrap();
    assert_eq!(assembled.model.as_deref(), Some("claude-x"));
    assert!(assembled.other_events.is_empty());
}
