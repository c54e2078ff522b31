//! One flow as one span: a Messages call as a GenAI `chat {model}` client
//! span (open-telemetry/semantic-conventions-genai, its Anthropic page), any
//! other exchange as a plain HTTP client span, a tunnel as a `CONNECT` span.
//! Times are the recorded ones, ids come from the log (see `ids`), so the
//! span is the same whenever and however often it is exported.

use std::borrow::Cow;
use std::time::SystemTime;

use opentelemetry::trace::{SpanContext, SpanKind, Status, TraceFlags, TraceState};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use shared::{
    ApiError, Body, Conversation, ErrorStage, Event, EventKind, FlowId, FlowState, FlowSummary,
    Prices, Timestamp,
};

use super::{content, ids};

/// What every span of an export shares.
pub struct SpanOptions {
    /// Add the conversation (`--otlp-content`).
    pub content: bool,
    pub prices: Prices,
    pub scope: InstrumentationScope,
}

impl SpanOptions {
    pub fn new(content: bool, prices: Prices) -> Self {
        SpanOptions {
            content,
            prices,
            scope: InstrumentationScope::builder("trace_claude")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
        }
    }
}

/// Which of a flow's events its span is made from: all of them for the
/// content, else all but the stream's content (the bulk of a long answer),
/// keeping the first SSE event (time to first chunk) and those that name the
/// message, its end and its errors.
pub fn needed_events(content: bool) -> impl FnMut(&Event) -> bool {
    let mut first_sse = true;
    move |event| match &event.kind {
        EventKind::Sse(sse) => {
            let first = std::mem::take(&mut first_sse);
            content
                || first
                || matches!(
                    sse.event.as_str(),
                    "message_start" | "message_delta" | "error"
                )
        }
        EventKind::WebSocket(_) => content,
        _ => true,
    }
}

/// The span of one flow, from its summary and its events in log order
/// (those [`needed_events`] keeps, or all).
/// `parent` is the call that started the flow's subagent.
pub fn flow_span(
    flow: &FlowSummary,
    events: &[Event],
    parent: Option<&FlowId>,
    options: &SpanOptions,
) -> SpanData {
    let last_ts = events.iter().map(|e| e.ts).max();
    let start = flow
        .started
        .or(last_ts)
        .map_or(SystemTime::UNIX_EPOCH, system_time);
    let end = match (flow.started, flow.duration_ms) {
        (Some(started), Some(ms)) => {
            system_time(started) + std::time::Duration::from_micros((ms * 1000.0).max(0.0) as u64)
        }
        // A flow the log does not see end (cut short): up to its last event.
        _ => last_ts.map_or(start, system_time),
    };
    let mut attrs = Attributes::default();
    let request = events.iter().find_map(|e| match &e.kind {
        EventKind::Request(r) => Some(r),
        _ => None,
    });
    let name = if flow.is_messages_call() && request.is_some_and(|r| r.method == "POST") {
        chat_attributes(&mut attrs, flow, events, options);
        match flow.model.as_deref() {
            Some(model) => format!("chat {model}"),
            None => "chat".to_owned(),
        }
    } else {
        http_attributes(&mut attrs, flow);
        flow.method.clone()
    };
    common_attributes(&mut attrs, flow, events);
    let status = match error_type(flow, events) {
        Some(kind) => {
            attrs.str("error.type", &kind);
            Status::Error {
                description: Cow::Owned(flow.error.clone().unwrap_or_default()),
            }
        }
        None => Status::Unset,
    };
    if flow.state == FlowState::Pending {
        attrs.bool("trace_claude.incomplete", true);
    }
    let trace_id = ids::trace_id(flow.session_id.as_deref(), &flow.flow_id);
    SpanData {
        span_context: SpanContext::new(
            trace_id,
            ids::span_id(&flow.flow_id),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: parent.map_or(opentelemetry::trace::SpanId::INVALID, ids::span_id),
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: Cow::Owned(name),
        start_time: start,
        end_time: end.max(start),
        attributes: attrs.0,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status,
        instrumentation_scope: options.scope.clone(),
    }
}

fn chat_attributes(
    attrs: &mut Attributes,
    flow: &FlowSummary,
    events: &[Event],
    options: &SpanOptions,
) {
    attrs.str("gen_ai.operation.name", "chat");
    attrs.str("gen_ai.provider.name", "anthropic");
    let body = shared::request_body(events);
    if let Some(body) = body {
        if let Some(model) = body.get("model").and_then(|v| v.as_str()) {
            attrs.str("gen_ai.request.model", model);
        }
        if let Some(n) = body.get("max_tokens").and_then(|v| v.as_i64()) {
            attrs.int("gen_ai.request.max_tokens", n);
        }
        for key in ["temperature", "top_p", "top_k"] {
            if let Some(x) = body.get(key).and_then(|v| v.as_f64()) {
                attrs
                    .0
                    .push(KeyValue::new(format!("gen_ai.request.{key}"), x));
            }
        }
        if let Some(stops) = body.get("stop_sequences").and_then(|v| v.as_array()) {
            let stops: Vec<StringValue> = stops
                .iter()
                .filter_map(|s| s.as_str())
                .map(|s| StringValue::from(s.to_owned()))
                .collect();
            attrs.strings("gen_ai.request.stop_sequences", stops);
        }
    }
    if flow.requested_stream == Some(true) {
        attrs.bool("gen_ai.request.stream", true);
    }
    let answer = shared::reassemble::reassemble(events);
    if let Some(answer) = &answer {
        if let Some(id) = &answer.id {
            attrs.str("gen_ai.response.id", id);
        }
        if let Some(model) = &answer.model {
            attrs.str("gen_ai.response.model", model);
        }
    }
    if let Some(reason) = &flow.stop_reason {
        attrs.strings(
            "gen_ai.response.finish_reasons",
            vec![reason.clone().into()],
        );
    }
    if let Some(usage) = &flow.usage {
        // The conventions' input is everything the prompt held: Anthropic
        // counts cache reads and writes apart from `input_tokens`.
        let input =
            usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
        attrs.int("gen_ai.usage.input_tokens", input as i64);
        attrs.int("gen_ai.usage.output_tokens", usage.output_tokens as i64);
        attrs.int(
            "gen_ai.usage.cache_read.input_tokens",
            usage.cache_read_input_tokens as i64,
        );
        attrs.int(
            "gen_ai.usage.cache_creation.input_tokens",
            usage.cache_creation_input_tokens as i64,
        );
        if let Some(thinking) = usage.thinking_tokens {
            attrs.int("gen_ai.usage.reasoning.output_tokens", thinking as i64);
        }
    }
    if flow.streaming == Some(true) {
        if let Some(first) = first_chunk_ms(flow, events) {
            attrs.f64("gen_ai.response.time_to_first_chunk", first / 1000.0);
        }
    }
    if let Some(ms) = flow.ttft_ms {
        attrs.f64("trace_claude.time_to_first_token", ms / 1000.0);
    }
    if let Some(session) = &flow.session_id {
        attrs.str("gen_ai.conversation.id", session);
    }
    if let Some(agent) = &flow.agent_id {
        attrs.str("gen_ai.agent.id", agent);
    }
    if let Some(parent) = &flow.parent_agent_id {
        attrs.str("trace_claude.parent_agent.id", parent);
    }
    match options.prices.flow_cost(flow) {
        Some(Ok(cost)) => attrs.f64("trace_claude.cost_usd", cost.usd),
        Some(Err(why)) => attrs.str("trace_claude.cost_unknown", &why.to_string()),
        None => {}
    }
    if options.content {
        if let Some(body) = body {
            let conversation = Conversation::from_request_body(body);
            for (key, json) in content::attributes(&conversation, answer.as_ref()) {
                attrs.str(key, &json);
            }
        }
    }
}

fn http_attributes(attrs: &mut Attributes, flow: &FlowSummary) {
    attrs.str("http.request.method", &flow.method);
    if let Some(bytes) = flow.tunnel_bytes {
        attrs.int("trace_claude.tunnel.bytes_up", bytes.up as i64);
        attrs.int("trace_claude.tunnel.bytes_down", bytes.down as i64);
        return;
    }
    if let Some(host) = &flow.host {
        attrs.str("url.full", &format!("https://{host}{}", flow.path));
    }
}

/// What every span says: where it went, how it ended, which flow it is.
fn common_attributes(attrs: &mut Attributes, flow: &FlowSummary, events: &[Event]) {
    if let Some(host) = &flow.host {
        let (address, port) = split_host(host);
        attrs.str("server.address", address);
        attrs.int("server.port", i64::from(port));
    }
    if let Some(status) = flow.status {
        attrs.int("http.response.status_code", i64::from(status));
    }
    if let Some(session) = &flow.session_id {
        attrs.str("session.id", session);
    }
    // The API's request id joins this span to Claude Code's own telemetry.
    let request_id = events.iter().find_map(|e| match &e.kind {
        EventKind::ResponseHeaders(h) => h.headers.get("request-id"),
        _ => None,
    });
    if let Some(id) = request_id {
        attrs.strings("http.response.header.request-id", vec![id.clone().into()]);
    }
    attrs.str("trace_claude.flow_id", flow.flow_id.as_str());
    attrs.str("trace_claude.category", flow.category.label());
}

/// The API's error type where it named one, the status for other error
/// answers, and what the proxy saw when the exchange broke.
fn error_type(flow: &FlowSummary, events: &[Event]) -> Option<String> {
    if flow.state != FlowState::Failed {
        return None;
    }
    let api = events.iter().find_map(|e| match &e.kind {
        EventKind::Sse(sse) if sse.event == "error" => ApiError::from_json(&sse.data),
        EventKind::Response(r) if r.status_code >= 400 => match &r.body {
            Body::Json(body) => ApiError::from_json(body),
            _ => None,
        },
        _ => None,
    });
    if let Some(kind) = api.and_then(|e| e.kind) {
        return Some(kind);
    }
    let stage = events.iter().find_map(|e| match &e.kind {
        EventKind::Error(error) if error.stage != ErrorStage::Decode => Some(error.stage),
        _ => None,
    });
    Some(match (stage, flow.status) {
        (Some(ErrorStage::Client), _) => "client_disconnected".to_owned(),
        (Some(ErrorStage::Request), _) => "request_rejected".to_owned(),
        (_, Some(status)) if status >= 400 => status.to_string(),
        (Some(ErrorStage::Upstream), _) => "upstream_failed".to_owned(),
        _ if flow.tunnel_bytes.is_some() => "tunnel_failed".to_owned(),
        _ => "_OTHER".to_owned(),
    })
}

/// When the first SSE event arrived, in ms after the request.
fn first_chunk_ms(flow: &FlowSummary, events: &[Event]) -> Option<f64> {
    let started = flow.started?;
    let first = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Sse(_)))?;
    let micros = (first.ts.0 - started.0).num_microseconds()?;
    Some(micros.max(0) as f64 / 1000.0)
}

/// `host[:port]` as the conventions' address and port; 443 when the log's
/// host names none (Anthropic's API and intercepted hosts are HTTPS).
fn split_host(host: &str) -> (&str, u16) {
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((address, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (address, port.unwrap_or(443));
        }
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, port),
            Err(_) => (host, 443),
        },
        _ => (host, 443),
    }
}

fn system_time(ts: Timestamp) -> SystemTime {
    SystemTime::from(ts.0)
}

/// Attributes in the order they are added.
#[derive(Default)]
struct Attributes(Vec<KeyValue>);

impl Attributes {
    fn str(&mut self, key: &'static str, value: &str) {
        self.0.push(KeyValue::new(key, value.to_owned()));
    }
    fn int(&mut self, key: &'static str, value: i64) {
        self.0.push(KeyValue::new(key, value));
    }
    fn f64(&mut self, key: &'static str, value: f64) {
        self.0.push(KeyValue::new(key, value));
    }
    fn bool(&mut self, key: &'static str, value: bool) {
        self.0.push(KeyValue::new(key, value));
    }
    fn strings(&mut self, key: &'static str, values: Vec<StringValue>) {
        self.0
            .push(KeyValue::new(key, Value::Array(Array::String(values))));
    }
}

#[cfg(test)]
pub(super) mod tests;
