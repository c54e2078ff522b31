use chrono::TimeZone;
use serde_json::{json, Value};

use super::*;
use crate::test_support::usage;

/// `ms` milliseconds after the flow's request.
fn at(ms: u64) -> Timestamp {
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 3, 29, 11, 27, 7)
        .unwrap();
    Timestamp(t0 + chrono::Duration::milliseconds(ms as i64))
}

/// A log line's event, written as the log has it (flow `f` unless it says).
fn event(ms: u64, mut line: Value) -> Event {
    line["ts"] = json!(at(ms).to_string());
    if line.get("flow_id").is_none() {
        line["flow_id"] = json!("f");
    }
    serde_json::from_value(line).unwrap()
}

fn summarize(events: &[Event]) -> FlowSummary {
    let mut summary = FlowSummary::new(events[0].flow_id().clone(), 1);
    for (i, e) in events.iter().enumerate() {
        summary.accept(i as u64 + 1, e);
    }
    summary
}

fn request(body: Value) -> Event {
    event(
        0,
        json!({"type":"request","method":"POST","path":"/v1/messages?beta=true",
               "headers":{"content-type":"application/json","x-claude-code-session-id":"sess-1"},
               "body": body}),
    )
}

fn messages_body(model: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 32000, "stream": stream,
           "messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},{"role":"user","content":"go"}]})
}

fn headers(ms: u64, status: u16, streaming: bool) -> Event {
    let ct = if streaming {
        "text/event-stream"
    } else {
        "application/json"
    };
    event(
        ms,
        json!({"type":"response_headers","status_code":status,"headers":{"content-type":ct},"streaming":streaming}),
    )
}

fn sse(ms: u64, name: &str, data: Value) -> Event {
    event(ms, json!({"type":"sse","event":name,"data":data}))
}

fn message_start(ms: u64, usage: Value) -> Event {
    sse(
        ms,
        "message_start",
        json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
               "model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"usage":usage}}),
    )
}

fn delta(ms: u64, delta: Value) -> Event {
    sse(
        ms,
        "content_block_delta",
        json!({"type":"content_block_delta","index":0,"delta":delta}),
    )
}

fn text(ms: u64, t: &str) -> Event {
    delta(ms, json!({"type":"text_delta","text":t}))
}

fn message_delta(ms: u64, stop: &str, usage: Value) -> Event {
    sse(
        ms,
        "message_delta",
        json!({"type":"message_delta","delta":{"stop_reason":stop,"stop_sequence":null},"usage":usage}),
    )
}

fn stream_end(ms: u64) -> Event {
    event(ms, json!({"type":"stream_end"}))
}

fn error(ms: u64, stage: &str, message: &str, status: Option<u16>) -> Event {
    let mut line = json!({"type":"error","stage":stage,"message":message});
    if let Some(s) = status {
        line["status_code"] = json!(s);
    }
    event(ms, line)
}

fn overloaded() -> Value {
    json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})
}

#[test]
fn a_streamed_text_answer() {
    let s = summarize(&[
        request(messages_body("claude-sonnet-4-5-20250929", true)),
        headers(400, 200, true),
        message_start(
            450,
            json!({"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":1}),
        ),
        sse(
            460,
            "content_block_start",
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        sse(470, "ping", json!({"type":"ping"})),
        text(500, "Hello"),
        text(900, " world"),
        sse(
            910,
            "content_block_stop",
            json!({"type":"content_block_stop","index":0}),
        ),
        message_delta(950, "end_turn", json!({"output_tokens":40})),
        sse(960, "message_stop", json!({"type":"message_stop"})),
        stream_end(1000),
    ]);
    assert_eq!(
        s,
        FlowSummary {
            flow_id: FlowId("f".into()),
            first_seq: 1,
            method: "POST".into(),
            path: "/v1/messages?beta=true".into(),
            host: None,
            mode: None,
            category: crate::Category::Inference,
            tunnel_bytes: None,
            session_id: Some("sess-1".into()),
            agent_id: None,
            parent_agent_id: None,
            model: Some("claude-sonnet-4-5-20250929".into()),
            message_count: Some(3),
            requested_stream: Some(true),
            streaming: Some(true),
            status: Some(200),
            started: Some(at(0)),
            ttfb_ms: Some(400.0),
            ttft_ms: Some(500.0),
            last_token_ms: Some(900.0),
            duration_ms: Some(1000.0),
            usage: Some(usage(12, 40, 2000, 100)),
            stop_reason: Some("end_turn".into()),
            api_cache_miss: None,
            state: FlowState::Complete,
            error: None,
            events: 11,
        }
    );
    assert_eq!(s.output_tokens_per_sec(), Some(100.0));
    assert!(s.is_messages_call());
}

#[test]
fn thinking_then_tool_use_takes_the_final_usage_from_message_delta() {
    let mut req = request(messages_body("claude-opus-4-5-20251101", true));
    if let EventKind::Request(r) = &mut req.kind {
        r.headers
            .insert("x-claude-code-agent-id".into(), "agent-7".into());
    }
    let s = summarize(&[
        req,
        headers(200, 200, true),
        message_start(
            250,
            json!({"input_tokens":5,"cache_creation_input_tokens":300,"cache_read_input_tokens":0,"output_tokens":2}),
        ),
        sse(
            260,
            "content_block_start",
            json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}),
        ),
        delta(300, json!({"type":"thinking_delta","thinking":"Let me"})),
        delta(350, json!({"type":"signature_delta","signature":"abc"})),
        sse(
            360,
            "content_block_start",
            json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t1","name":"Read","input":{}}}),
        ),
        delta(
            800,
            json!({"type":"input_json_delta","partial_json":"{\"file\":"}),
        ),
        // Newer API versions repeat the prompt counts here; they are final.
        message_delta(
            820,
            "tool_use",
            json!({"input_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":300,"output_tokens":200}),
        ),
        stream_end(830),
    ]);
    assert_eq!(s.agent_id.as_deref(), Some("agent-7"));
    assert_eq!(s.session_id.as_deref(), Some("sess-1"));
    assert_eq!(s.ttft_ms, Some(300.0));
    assert_eq!(s.last_token_ms, Some(800.0));
    assert_eq!(s.usage, Some(usage(5, 200, 300, 0)));
    assert_eq!(s.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(s.state, FlowState::Complete);
    assert_eq!(s.output_tokens_per_sec(), Some(400.0));
}

#[test]
fn todays_usage_tags_come_from_message_start_and_counts_from_message_delta() {
    let s = summarize(&[
        request(messages_body("claude-opus-5-5", true)),
        headers(200, 200, true),
        message_start(
            250,
            json!({"input_tokens":5,"output_tokens":1,"cache_read_input_tokens":9000,
                   "cache_creation_input_tokens":400,
                   "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":300},
                   "service_tier":"standard","inference_geo":"us","speed":"fast"}),
        ),
        delta(300, json!({"type":"text_delta","text":"Hi"})),
        message_delta(
            820,
            "end_turn",
            json!({"output_tokens":700,"output_tokens_details":{"thinking_tokens":500},
                   "server_tool_use":{"web_search_requests":1,"web_fetch_requests":3}}),
        ),
        stream_end(830),
    ]);
    let u = s.usage.unwrap();
    assert_eq!((u.output_tokens, u.thinking_tokens), (700, Some(500)));
    assert_eq!((u.cache_writes_5m(), u.cache_writes_1h()), (100, 300));
    assert_eq!((u.web_search_requests, u.web_fetch_requests), (1, 3));
    assert!(
        u.is_fast(),
        "message_delta does not repeat the tags; they stay"
    );
    assert_eq!(u.inference_geo, Some(crate::InferenceGeo::Us));
    assert_eq!(u.service_tier, Some(crate::ServiceTier::Standard));
}

#[test]
fn a_non_streaming_answer_takes_its_whole_usage_from_the_body() {
    let s = summarize(&[
        request(json!({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]})),
        headers(300, 200, false),
        event(
            700,
            json!({"type":"response","status_code":200,"body":{
                "id":"msg_2","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",
                "content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn",
                "usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3,
                         "cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},
                         "server_tool_use":{"web_search_requests":2}}}}),
        ),
    ]);
    assert_eq!(
        s.usage,
        Some(Usage {
            web_search_requests: 2,
            ..usage(9, 3, 0, 0)
        })
    );
    // The request's model is the one asked for and wins over the response's.
    assert_eq!(s.model.as_deref(), Some("claude-haiku-4-5"));
    assert_eq!(s.requested_stream, None);
    assert_eq!(s.streaming, Some(false));
    assert_eq!((s.ttfb_ms, s.duration_ms), (Some(300.0), Some(700.0)));
    assert_eq!((s.ttft_ms, s.output_tokens_per_sec()), (None, None));
    assert_eq!(s.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(s.state, FlowState::Complete);
}

#[test]
fn an_overloaded_529_fails_with_the_api_message() {
    let s = summarize(&[
        request(messages_body("claude-opus-4-1-20250805", true)),
        headers(100, 529, false),
        event(
            110,
            json!({"type":"response","status_code":529,"body":overloaded()}),
        ),
    ]);
    assert_eq!(s.state, FlowState::Failed);
    assert_eq!(s.status, Some(529));
    assert_eq!(s.error.as_deref(), Some("Overloaded"));
    assert_eq!(s.usage, None);
    assert_eq!(s.duration_ms, Some(110.0));
    assert_eq!(s.model.as_deref(), Some("claude-opus-4-1-20250805"));
}

#[test]
fn an_in_band_error_mid_stream_fails_the_flow_and_keeps_the_usage_so_far() {
    let s = summarize(&[
        request(messages_body("claude-sonnet-4-5-20250929", true)),
        headers(100, 200, true),
        message_start(120, json!({"input_tokens":50,"output_tokens":1})),
        text(200, "Hel"),
        sse(300, "error", overloaded()),
        stream_end(310),
    ]);
    assert_eq!(s.state, FlowState::Failed);
    assert_eq!(s.status, Some(200));
    assert_eq!(s.error.as_deref(), Some("Overloaded"));
    assert_eq!(s.usage, Some(usage(50, 1, 0, 0)));
    assert_eq!(s.duration_ms, Some(310.0));
}

#[test]
fn a_client_that_goes_away_fails_the_flow_at_that_moment() {
    let s = summarize(&[
        request(messages_body("claude-sonnet-4-5-20250929", true)),
        headers(100, 200, true),
        message_start(120, json!({"input_tokens":50,"output_tokens":1})),
        text(200, "Hel"),
        error(
            250,
            "client",
            "the client closed the connection after 900 bytes",
            None,
        ),
    ]);
    assert_eq!(s.state, FlowState::Failed);
    assert_eq!(s.status, Some(200));
    assert_eq!(
        s.error.as_deref(),
        Some("the client closed the connection after 900 bytes")
    );
    assert_eq!(s.duration_ms, Some(250.0));
    assert_eq!(s.events, 5);
}

#[test]
fn an_unreachable_upstream_takes_the_proxys_502() {
    let s = summarize(&[
        request(messages_body("claude-sonnet-4-5-20250929", true)),
        error(
            3000,
            "upstream",
            "trace_claude could not reach the upstream",
            Some(502),
        ),
    ]);
    assert_eq!(s.state, FlowState::Failed);
    assert_eq!(s.status, Some(502));
    assert_eq!((s.ttfb_ms, s.duration_ms), (None, Some(3000.0)));
    assert_eq!(s.usage, None);
}

#[test]
fn a_refused_request_takes_the_proxys_status() {
    let s = summarize(&[
        request(Value::Null),
        error(
            1,
            "request",
            "the request body exceeds the limit",
            Some(413),
        ),
    ]);
    assert_eq!((s.state, s.status), (FlowState::Failed, Some(413)));
}

#[test]
fn count_tokens_is_complete_without_usage_and_is_not_a_messages_call() {
    let mut req = request(json!({"model":"claude-sonnet-4-5-20250929","messages":[]}));
    if let EventKind::Request(r) = &mut req.kind {
        r.path = "/v1/messages/count_tokens?beta=true".into();
    }
    let s = summarize(&[
        req,
        headers(80, 200, false),
        event(
            90,
            json!({"type":"response","status_code":200,"body":{"input_tokens":1234}}),
        ),
    ]);
    assert_eq!(s.state, FlowState::Complete);
    assert_eq!(s.usage, None);
    assert_eq!(s.message_count, Some(0));
    assert_eq!(s.endpoint(), "/v1/messages/count_tokens");
    assert!(!s.is_messages_call());
}

#[test]
fn head_slash_is_a_plain_complete_flow() {
    let s = summarize(&[
        event(
            0,
            json!({"type":"request","method":"HEAD","path":"/","headers":{},"body":null}),
        ),
        headers(50, 200, false),
        event(51, json!({"type":"response","status_code":200,"body":null})),
    ]);
    assert_eq!(s.method, "HEAD");
    assert_eq!((s.state, s.status), (FlowState::Complete, Some(200)));
    assert_eq!(
        (s.model.clone(), s.usage.clone(), s.message_count),
        (None, None, None)
    );
    assert!(!s.is_messages_call());
}

#[test]
fn a_flow_whose_start_was_cut_from_the_log_is_summed_from_what_remains() {
    let events = [
        text(500, "tail"),
        message_delta(600, "end_turn", json!({"output_tokens":7})),
        stream_end(700),
    ];
    let mut s = FlowSummary::new(FlowId("f".into()), 40);
    for (i, e) in events.iter().enumerate() {
        s.accept(40 + i as u64, e);
    }
    assert_eq!(s.state, FlowState::Complete);
    assert_eq!(s.usage, Some(usage(0, 7, 0, 0)));
    assert_eq!(s.started, None);
    assert_eq!((s.ttft_ms, s.duration_ms), (None, None));
    assert_eq!((s.first_seq, s.events), (40, 3));
    assert!(s.is_messages_call(), "it reported Messages usage");
}

#[test]
fn events_of_another_flow_are_ignored() {
    let mut s = FlowSummary::new(FlowId("f".into()), 1);
    s.accept(1, &request(messages_body("m", true)));
    s.accept(2, &event(5, json!({"type":"stream_end","flow_id":"other"})));
    assert_eq!((s.state, s.events), (FlowState::Pending, 1));
}

#[test]
fn a_decode_error_is_noted_but_a_delivered_response_is_complete() {
    let s = summarize(&[
        request(messages_body("claude-haiku-4-5", false)),
        headers(100, 200, false),
        error(
            100,
            "decode",
            "unsupported content-encoding: the body is logged as received",
            None,
        ),
        event(
            200,
            json!({"type":"response","status_code":200,"body":"\u{1f}garbled"}),
        ),
    ]);
    assert_eq!((s.state, s.status), (FlowState::Complete, Some(200)));
    assert_eq!(
        s.error.as_deref(),
        Some("unsupported content-encoding: the body is logged as received")
    );
    assert_eq!(s.duration_ms, Some(200.0));
}

#[test]
fn a_failure_after_a_decode_error_names_the_failure() {
    let s = summarize(&[
        request(messages_body("claude-haiku-4-5", true)),
        headers(100, 200, true),
        error(150, "decode", "cannot decode the response body", None),
        error(300, "upstream", "the upstream failed after 10 bytes", None),
        error(301, "client", "the client closed the connection", None),
    ]);
    assert_eq!(s.state, FlowState::Failed);
    assert_eq!(
        s.error.as_deref(),
        Some("the upstream failed after 10 bytes")
    );
    assert_eq!(s.duration_ms, Some(300.0));
}

#[test]
fn odd_data_leaves_fields_empty_instead_of_panicking() {
    let s = summarize(&[
        event(
            0,
            json!({"type":"request","method":"POST","path":"/v1/messages",
                   "headers":{"X-Claude-Code-Session-Id":"S","x-claude-code-agent-id":""},
                   "body":{"model":42,"stream":"yes","messages":{"not":"a list"}}}),
        ),
        headers(10, 200, true),
        sse(20, "message_start", json!("not json at all")),
        sse(21, "message_start", json!({"message":{"usage":"lots"}})),
        sse(
            22,
            "message_delta",
            json!({"delta":{"stop_reason":7},"usage":{"output_tokens":"many","input_tokens":-3}}),
        ),
        sse(23, "content_block_delta", json!(null)),
        sse(24, "error", json!("plain text error")),
        stream_end(30),
    ]);
    assert_eq!(s.session_id.as_deref(), Some("S"));
    assert_eq!(s.agent_id, None, "an empty header is no agent");
    assert_eq!(
        (s.model.clone(), s.requested_stream, s.message_count),
        (None, None, None)
    );
    assert_eq!(s.usage, Some(Usage::default()));
    assert_eq!(s.stop_reason, None);
    assert_eq!(s.error.as_deref(), Some("plain text error"));
    assert_eq!(s.state, FlowState::Failed);

    let s = summarize(&[
        event(
            0,
            json!({"type":"request","method":"POST","path":"/v1/messages","headers":{},"body":"not json"}),
        ),
        event(
            5,
            json!({"type":"response","status_code":500,"body":{"trace_claude_binary":true,"base64":"/wD+"}}),
        ),
    ]);
    assert_eq!(s.state, FlowState::Failed);
    assert_eq!(s.error.as_deref(), Some("binary error response of 3 bytes"));

    let page = "<html>".repeat(1000);
    let s = summarize(&[
        request(Value::Null),
        event(5, json!({"type":"response","status_code":503,"body":page})),
    ]);
    let error = s.error.unwrap();
    assert!(error.chars().count() <= 301, "{}", error.len());
    assert!(error.ends_with('…'));
}

#[test]
fn accept_request_alone_gives_the_request_facts() {
    let mut s = FlowSummary::new(FlowId("f".into()), 9);
    let facts = RequestFacts {
        method: "POST".into(),
        path: "/v1/messages".into(),
        host: Some("api.anthropic.com".into()),
        mode: Some(crate::CaptureMode::Forward),
        session_id: Some("s".into()),
        agent_id: None,
        parent_agent_id: Some("a0".into()),
        model: Some("claude-haiku-4-5".into()),
        stream: Some(true),
        message_count: Some(4),
    };
    s.accept_request(9, at(3), facts);
    assert_eq!(s.started, Some(at(3)));
    assert_eq!(s.model.as_deref(), Some("claude-haiku-4-5"));
    assert_eq!((s.message_count, s.requested_stream), (Some(4), Some(true)));
    assert_eq!((s.events, s.state), (1, FlowState::Pending));
}

#[test]
fn tokens_per_second_needs_a_measurable_span() {
    let mut s = FlowSummary::new(FlowId("f".into()), 1);
    s.usage = Some(usage(1, 10, 0, 0));
    s.ttft_ms = Some(100.0);
    s.last_token_ms = Some(100.0);
    assert_eq!(s.output_tokens_per_sec(), None);
    s.last_token_ms = Some(600.0);
    assert_eq!(s.output_tokens_per_sec(), Some(20.0));
    s.usage = None;
    assert_eq!(s.output_tokens_per_sec(), None);
}

#[test]
fn a_summary_round_trips_through_json() {
    let s = summarize(&[
        request(messages_body("claude-sonnet-4-5-20250929", true)),
        headers(1, 200, true),
    ]);
    let text = serde_json::to_string(&s).unwrap();
    assert!(text.contains(r#""state":"pending""#), "{text}");
    assert_eq!(serde_json::from_str::<FlowSummary>(&text).unwrap(), s);
}

#[test]
fn a_stream_under_an_error_status_fails_even_without_an_error_event() {
    let s = summarize(&[
        request(messages_body("claude-haiku-4-5", true)),
        headers(10, 500, true),
        stream_end(20),
    ]);
    assert_eq!((s.state, s.status), (FlowState::Failed, Some(500)));
}

#[test]
fn a_subagent_call_keeps_its_parent_and_the_apis_cache_miss_reason() {
    let mut req = request(messages_body("claude-opus-4-5-20251101", true));
    if let EventKind::Request(r) = &mut req.kind {
        r.headers
            .insert("x-claude-code-agent-id".into(), "agent-7".into());
        r.headers
            .insert("X-Claude-Code-Parent-Agent-Id".into(), " agent-1 ".into());
    }
    let start = sse(
        250,
        "message_start",
        json!({"type":"message_start","message":{"model":"claude-opus-4-5-20251101",
            "usage":{"input_tokens":5,"cache_creation_input_tokens":300},
            "diagnostics":{"cache_miss_reason":{"type":"tools_changed","cache_missed_input_tokens":280}}}}),
    );
    let s = summarize(&[req, headers(200, 200, true), start, stream_end(300)]);
    assert_eq!(s.parent_agent_id.as_deref(), Some("agent-1"));
    let miss = s.api_cache_miss.clone().unwrap();
    assert_eq!(
        (miss.kind.as_str(), miss.cache_missed_input_tokens),
        ("tools_changed", Some(280))
    );

    // A whole (non-streamed) message carries it in its body.
    let s = summarize(&[
        request(messages_body("claude-haiku-4-5", false)),
        event(
            700,
            json!({"type":"response","status_code":200,"body":{"type":"message","model":"claude-haiku-4-5",
                "content":[],"usage":{"input_tokens":9,"output_tokens":3},
                "diagnostics":{"cache_miss_reason":{"type":"previous_message_not_found"}}}}),
        ),
    ]);
    assert_eq!(s.parent_agent_id, None);
    assert_eq!(
        s.api_cache_miss.map(|m| m.kind),
        Some("previous_message_not_found".to_owned())
    );
}
