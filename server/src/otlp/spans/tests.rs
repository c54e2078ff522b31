use super::*;
use opentelemetry::trace::SpanId;
use serde_json::json;

/// A span with nothing in it, for the pipeline's tests.
pub(in crate::otlp) fn blank_span() -> SpanData {
    flow_span(
        &FlowSummary::new(FlowId("0000000000000001".into()), 1),
        &[],
        None,
        &SpanOptions::new(false, Prices::builtin()),
    )
}

const SESSION: &str = "3f2b8c1e-9d4a-4b7e-8a21-0c5d6e7f8a9b";

fn events(lines: &[serde_json::Value]) -> Vec<Event> {
    lines
        .iter()
        .map(|l| serde_json::from_value(l.clone()).expect("an event"))
        .collect()
}

fn summary(events: &[Event]) -> FlowSummary {
    let mut flow = FlowSummary::new(events[0].flow_id().clone(), 1);
    for (i, e) in events.iter().enumerate() {
        flow.accept(i as u64 + 1, e);
    }
    flow
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// The span of a flow of `events`, a root.
fn span_of(events: &[Event], content: bool) -> SpanData {
    let options = SpanOptions::new(content, Prices::builtin());
    flow_span(&summary(events), events, None, &options)
}

/// A string attribute's value (arrays as the SDK prints them).
fn text(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

fn streamed_call(flow: &str) -> Vec<Event> {
    events(&[
        json!({"ts": "2026-12-01T10:00:00.000000Z", "type": "request", "flow_id": flow,
            "method": "POST", "path": "/v1/messages?beta=true", "host": "api.anthropic.com",
            "headers": {"x-claude-code-session-id": SESSION, "x-claude-code-agent-id": "agent-7"},
            "body": {"model": "claude-opus-5-5", "max_tokens": 32000, "temperature": 1.0,
                "stream": true, "system": "You are Claude Code.",
                "messages": [{"role": "user", "content": "hi"}]}}),
        json!({"ts": "2026-12-01T10:00:00.400000Z", "type": "response_headers", "flow_id": flow,
            "status_code": 200, "headers": {"request-id": "req_011abc"}, "streaming": true}),
        json!({"ts": "2026-12-01T10:00:00.500000Z", "type": "sse", "flow_id": flow,
            "event": "message_start", "data": {"type": "message_start", "message": {
                "id": "msg_01X", "model": "claude-opus-5-5-20261101", "role": "assistant", "content": [],
                "usage": {"input_tokens": 10, "cache_read_input_tokens": 2000,
                    "cache_creation_input_tokens": 300, "output_tokens": 1}}}}),
        json!({"ts": "2026-12-01T10:00:00.600000Z", "type": "sse", "flow_id": flow,
            "event": "content_block_start", "data": {"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}}),
        json!({"ts": "2026-12-01T10:00:00.700000Z", "type": "sse", "flow_id": flow,
            "event": "content_block_delta", "data": {"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Hello"}}}),
        json!({"ts": "2026-12-01T10:00:01.000000Z", "type": "sse", "flow_id": flow,
            "event": "message_delta", "data": {"type": "message_delta",
                "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 42}}}),
        json!({"ts": "2026-12-01T10:00:01.100000Z", "type": "sse", "flow_id": flow,
            "event": "message_stop", "data": {"type": "message_stop"}}),
        json!({"ts": "2026-12-01T10:00:01.250000Z", "type": "stream_end", "flow_id": flow}),
    ])
}

#[test]
fn a_messages_call_is_a_genai_chat_span_with_the_recorded_times() {
    let events = streamed_call("00000000000000a1");
    let flow = summary(&events);
    let parent = FlowId("00000000000000a0".into());
    let span = flow_span(
        &flow,
        &events,
        Some(&parent),
        &SpanOptions::new(false, Prices::builtin()),
    );
    assert_eq!(span.name, "chat claude-opus-5-5");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        span.span_context.trace_id().to_string(),
        SESSION.replace('-', "")
    );
    assert_eq!(span.span_context.span_id().to_string(), "00000000000000a1");
    assert_eq!(span.parent_span_id.to_string(), "00000000000000a0");
    let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap();
    assert_eq!(span.start_time, SystemTime::from(start));
    assert_eq!(
        span.end_time.duration_since(span.start_time).unwrap(),
        std::time::Duration::from_millis(1250)
    );
    let s = |k| attr(&span, k).map(|v| v.as_str().into_owned());
    let i = |k| match attr(&span, k) {
        Some(Value::I64(n)) => Some(*n),
        _ => None,
    };
    let f = |k| match attr(&span, k) {
        Some(Value::F64(n)) => Some(*n),
        _ => None,
    };
    assert_eq!(s("gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(s("gen_ai.provider.name").as_deref(), Some("anthropic"));
    assert_eq!(
        s("gen_ai.request.model").as_deref(),
        Some("claude-opus-5-5")
    );
    assert_eq!(i("gen_ai.request.max_tokens"), Some(32000));
    assert_eq!(f("gen_ai.request.temperature"), Some(1.0));
    assert_eq!(
        attr(&span, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    assert_eq!(s("gen_ai.response.id").as_deref(), Some("msg_01X"));
    assert_eq!(
        s("gen_ai.response.model").as_deref(),
        Some("claude-opus-5-5-20261101")
    );
    assert_eq!(
        s("gen_ai.response.finish_reasons").as_deref(),
        Some("[\"end_turn\"]")
    );
    assert_eq!(
        i("gen_ai.usage.input_tokens"),
        Some(2310),
        "input + cache reads + writes"
    );
    assert_eq!(i("gen_ai.usage.output_tokens"), Some(42));
    assert_eq!(i("gen_ai.usage.cache_read.input_tokens"), Some(2000));
    assert_eq!(i("gen_ai.usage.cache_creation.input_tokens"), Some(300));
    assert_eq!(f("gen_ai.response.time_to_first_chunk"), Some(0.5));
    assert_eq!(s("gen_ai.conversation.id").as_deref(), Some(SESSION));
    assert_eq!(s("session.id").as_deref(), Some(SESSION));
    assert_eq!(s("gen_ai.agent.id").as_deref(), Some("agent-7"));
    assert_eq!(s("server.address").as_deref(), Some("api.anthropic.com"));
    assert_eq!(i("server.port"), Some(443));
    assert_eq!(
        s("http.response.header.request-id").as_deref(),
        Some("[\"req_011abc\"]")
    );
    let cost = f("trace_claude.cost_usd").expect("a priced call has its cost");
    assert!(cost > 0.0, "{cost}");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(
        attr(&span, "gen_ai.input.messages"),
        None,
        "content is opt-in"
    );

    let with_content = flow_span(
        &flow,
        &events,
        None,
        &SpanOptions::new(true, Prices::builtin()),
    );
    assert_eq!(with_content.parent_span_id, SpanId::INVALID);
    let output = attr(&with_content, "gen_ai.output.messages")
        .unwrap()
        .as_str();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&output).unwrap(),
        json!([{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}])
    );
    assert!(attr(&with_content, "gen_ai.system_instructions").is_some());
}

#[test]
fn an_error_in_the_stream_is_an_error_span_with_the_apis_type() {
    let flow_id = "00000000000000b1";
    let events = events(&[
        json!({"ts": "2026-12-01T10:00:00.000000Z", "type": "request", "flow_id": flow_id,
            "method": "POST", "path": "/v1/messages", "host": "127.0.0.1:9999",
            "headers": {}, "body": {"model": "claude-opus-5-5", "stream": true, "messages": []}}),
        json!({"ts": "2026-12-01T10:00:00.100000Z", "type": "response_headers", "flow_id": flow_id,
            "status_code": 200, "headers": {}, "streaming": true}),
        json!({"ts": "2026-12-01T10:00:00.200000Z", "type": "sse", "flow_id": flow_id,
            "event": "error", "data": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}}),
        json!({"ts": "2026-12-01T10:00:00.300000Z", "type": "stream_end", "flow_id": flow_id}),
    ]);
    let span = span_of(&events, false);
    assert_eq!(
        text(&span, "error.type").as_deref(),
        Some("overloaded_error")
    );
    assert!(
        matches!(&span.status, Status::Error { description } if description.contains("Overloaded"))
    );
    assert_eq!(text(&span, "server.address").as_deref(), Some("127.0.0.1"));
    assert_eq!(attr(&span, "server.port"), Some(&Value::I64(9999)));
    assert_ne!(
        span.span_context.trace_id(),
        opentelemetry::trace::TraceId::INVALID,
        "a call outside a session is a trace of its own"
    );
}

#[test]
fn an_upstream_that_cannot_be_reached_is_an_error_of_the_proxy() {
    let flow_id = "00000000000000c1";
    let events = events(&[
        json!({"ts": "2026-12-01T10:00:00.000000Z", "type": "request", "flow_id": flow_id,
            "method": "POST", "path": "/v1/messages", "headers": {}, "body": {"model": "m"}}),
        json!({"ts": "2026-12-01T10:00:00.100000Z", "type": "error", "flow_id": flow_id,
            "stage": "upstream", "message": "connection refused", "status_code": 502}),
    ]);
    let span = span_of(&events, false);
    assert_eq!(text(&span, "error.type").as_deref(), Some("502"));
    assert_eq!(
        attr(&span, "http.response.status_code"),
        Some(&Value::I64(502))
    );
}

#[test]
fn other_calls_and_tunnels_are_plain_http_client_spans() {
    let tunnel = events(&[
        json!({"ts": "2026-12-01T10:00:05.000000Z", "type": "tunnel",
        "flow_id": "00000000000000d1", "host": "statsig.anthropic.com", "port": 443,
        "bytes_up": 100, "bytes_down": 2000,
        "started": "2026-12-01T10:00:00.000000Z", "ended": "2026-12-01T10:00:05.000000Z"}),
    ]);
    let span = span_of(&tunnel, true);
    assert_eq!(span.name, "CONNECT");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        text(&span, "http.request.method").as_deref(),
        Some("CONNECT")
    );
    assert_eq!(
        attr(&span, "trace_claude.tunnel.bytes_down"),
        Some(&Value::I64(2000))
    );
    assert_eq!(
        span.end_time.duration_since(span.start_time).unwrap(),
        std::time::Duration::from_secs(5)
    );
    assert_eq!(attr(&span, "gen_ai.operation.name"), None);

    let head = events(&[
        json!({"ts": "2026-12-01T10:00:00.000000Z", "type": "request", "flow_id": "00000000000000d2",
            "method": "GET", "path": "/api/oauth/profile", "host": "api.anthropic.com",
            "headers": {}, "body": null}),
        json!({"ts": "2026-12-01T10:00:00.100000Z", "type": "response", "flow_id": "00000000000000d2",
            "status_code": 200, "body": {"ok": true}}),
    ]);
    let span = span_of(&head, true);
    assert_eq!(span.name, "GET");
    assert_eq!(
        text(&span, "url.full").as_deref(),
        Some("https://api.anthropic.com/api/oauth/profile")
    );
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn host_and_port_split_as_the_conventions_want() {
    assert_eq!(split_host("api.anthropic.com"), ("api.anthropic.com", 443));
    assert_eq!(split_host("127.0.0.1:8080"), ("127.0.0.1", 8080));
    assert_eq!(split_host("[::1]:9000"), ("::1", 9000));
    assert_eq!(split_host("[::1]"), ("::1", 443));
}

#[test]
fn the_events_kept_without_content_make_the_same_span_as_all_of_them() {
    let events = streamed_call("00000000000000e1");
    let flow = summary(&events);
    let options = SpanOptions::new(false, Prices::builtin());
    let mut keep = needed_events(false);
    let kept: Vec<Event> = events.iter().filter(|e| keep(e)).cloned().collect();
    assert!(
        kept.len() < events.len(),
        "the stream's content is left out"
    );
    assert_eq!(
        flow_span(&flow, &kept, None, &options),
        flow_span(&flow, &events, None, &options)
    );
    let keep_all = needed_events(true);
    assert!(events.iter().all(keep_all), "content needs every event");
}
