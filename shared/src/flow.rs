//! One exchange (a flow) summed up from its events: what was asked, how it
//! went, how long it took and what it used.
//!
//! The summary is built incrementally, one event at a time in log order, so
//! the server can keep it current for a live session and the `stats` command
//! can fold a log into it without holding events. Every field comes from the
//! traffic, which may be odd (non-JSON bodies, missing or mistyped fields, a
//! log cut at the front): such data leaves a field `None`, never a panic.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::anthropic::diagnostics::ApiCacheMiss;
use crate::anthropic::error::{describe, ApiError};
use crate::anthropic::{SseEventName, Usage};
use crate::hosts::Category;
use crate::{Body, CaptureMode, ErrorStage, Event, EventKind, FlowId, Request, Timestamp, Tunnel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowState {
    /// No end seen yet: still running, or the log stops before its end.
    Pending,
    Complete,
    Failed,
}

/// The Claude Code session a request belongs to.
pub const SESSION_HEADER: &str = "x-claude-code-session-id";
/// The subagent that sent a request; the main agent sends none.
pub const AGENT_HEADER: &str = "x-claude-code-agent-id";
/// The agent that started the subagent sending a request, where sent.
pub const PARENT_AGENT_HEADER: &str = "x-claude-code-parent-agent-id";

/// What the request told us, extracted cheaply (the server's index extracts
/// these without parsing whole multi-MB bodies).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFacts {
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    pub mode: Option<CaptureMode>,
    pub session_id: Option<String>,
    pub agent_id: Option<String>,
    /// The agent that started this one (`x-claude-code-parent-agent-id`).
    pub parent_agent_id: Option<String>,
    pub model: Option<String>,
    pub stream: Option<bool>,
    pub message_count: Option<u32>,
}

impl RequestFacts {
    /// A Claude Code header's value as the facts keep it: found whatever
    /// its case, trimmed, and absent when empty. Shared with the server's
    /// index, which reads big requests without building a `Request`.
    pub fn header(headers: &crate::Headers, name: &str) -> Option<String> {
        // The log writes names lower-case; a hand-made log may not.
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    pub fn from_request(r: &Request) -> Self {
        let header = |name: &str| Self::header(&r.headers, name);
        let body = match &r.body {
            Body::Json(v) => Some(v),
            _ => None,
        };
        let field = |name: &str| body.and_then(|b| b.get(name));
        RequestFacts {
            method: r.method.clone(),
            path: r.path.clone(),
            host: r.host.clone(),
            mode: r.mode,
            session_id: header(SESSION_HEADER),
            agent_id: header(AGENT_HEADER),
            parent_agent_id: header(PARENT_AGENT_HEADER),
            model: field("model").and_then(Value::as_str).map(str::to_owned),
            stream: field("stream").and_then(Value::as_bool),
            message_count: field("messages")
                .and_then(Value::as_array)
                .and_then(|m| u32::try_from(m.len()).ok()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSummary {
    pub flow_id: FlowId,
    /// Log line number (1-based) of the flow's first event.
    pub first_seq: u64,
    pub method: String,
    pub path: String,
    /// The host the request went to (a tunnel's host); `None` in logs from
    /// before hosts were recorded.
    #[serde(default)]
    pub host: Option<String>,
    /// How the client reached the proxy (`None`: an older, reverse-mode log).
    #[serde(default)]
    pub mode: Option<CaptureMode>,
    /// What the call is for, from its host and path.
    #[serde(default)]
    pub category: Category,
    /// A tunnel's bytes each way (`CONNECT` passed through undecrypted).
    #[serde(default)]
    pub tunnel_bytes: Option<TunnelBytes>,
    pub session_id: Option<String>,
    pub agent_id: Option<String>,
    /// The agent that started this subagent, when its request said so.
    #[serde(default)]
    pub parent_agent_id: Option<String>,
    /// The request body's model; else the response's (message_start / response body).
    pub model: Option<String>,
    pub message_count: Option<u32>,
    /// Whether the request asked for a stream (`stream` in its body).
    #[serde(default)]
    pub requested_stream: Option<bool>,
    /// Whether the response was a stream, from response_headers.
    pub streaming: Option<bool>,
    /// The response status, or the proxy's own status on an error (e.g. 502).
    pub status: Option<u16>,
    /// When the request event was logged.
    pub started: Option<Timestamp>,
    /// Response headers, in ms after `started`.
    pub ttfb_ms: Option<f64>,
    /// First content_block_delta (any delta type), in ms after `started`.
    pub ttft_ms: Option<f64>,
    /// Last content_block_delta, in ms after `started`.
    pub last_token_ms: Option<f64>,
    /// The flow's end (stream_end, response or a failure), in ms after `started`.
    pub duration_ms: Option<f64>,
    /// `None` when the flow had no Messages usage (HEAD /, count_tokens, errors).
    pub usage: Option<Usage>,
    pub stop_reason: Option<String>,
    /// The API's own word on why the prompt cache was not fully reused
    /// (beta `diagnostics.cache_miss_reason`), when the response gave one.
    #[serde(default)]
    pub api_cache_miss: Option<ApiCacheMiss>,
    pub state: FlowState,
    /// Why the flow failed: an error event's message, an in-band SSE `error`,
    /// or an error status's body. A `decode` error's message is kept here too
    /// when nothing failed, though it does not make the flow Failed.
    pub error: Option<String>,
    /// Events seen for this flow.
    pub events: u32,
}

/// What went through a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelBytes {
    pub up: u64,
    pub down: u64,
}

impl FlowSummary {
    pub fn new(flow_id: FlowId, first_seq: u64) -> Self {
        FlowSummary {
            flow_id,
            first_seq,
            method: String::new(),
            path: String::new(),
            host: None,
            mode: None,
            category: Category::Other,
            tunnel_bytes: None,
            session_id: None,
            agent_id: None,
            parent_agent_id: None,
            model: None,
            message_count: None,
            requested_stream: None,
            streaming: None,
            status: None,
            started: None,
            ttfb_ms: None,
            ttft_ms: None,
            last_token_ms: None,
            duration_ms: None,
            usage: None,
            stop_reason: None,
            api_cache_miss: None,
            state: FlowState::Pending,
            error: None,
            events: 0,
        }
    }

    /// Folds in one event of this flow, in log order. Events of another flow
    /// are ignored: a summary never mixes two exchanges.
    pub fn accept(&mut self, seq: u64, event: &Event) {
        if event.flow_id() != &self.flow_id {
            return;
        }
        let ts = event.ts;
        match &event.kind {
            EventKind::Request(r) => {
                self.accept_request(seq, ts, RequestFacts::from_request(r));
                return;
            }
            EventKind::ResponseHeaders(h) => {
                self.status = Some(h.status_code);
                self.streaming = Some(h.streaming);
                self.ttfb_ms = self.since_start(ts);
            }
            EventKind::Sse(sse) => self.accept_sse(ts, &sse.event, &sse.data),
            EventKind::Response(r) => {
                self.status = Some(r.status_code);
                if let Body::Json(body) = &r.body {
                    self.accept_response_body(r.status_code, body);
                } else if r.status_code >= 400 {
                    self.fail(error_body_text(&r.body));
                }
                self.finish(ts);
            }
            EventKind::StreamEnd(_) => self.finish(ts),
            EventKind::WebSocket(_) => {}
            EventKind::Tunnel(tunnel) => {
                self.accept_tunnel(seq, tunnel);
                return;
            }
            EventKind::Error(e) => {
                if e.stage == ErrorStage::Decode {
                    // The client got its response; only the log's copy is
                    // undecoded. Not a failure, but worth showing.
                    if self.error.is_none() {
                        self.error = Some(e.message.clone());
                    }
                } else {
                    if let Some(status) = e.status_code {
                        self.status = Some(status);
                    }
                    self.fail(e.message.clone());
                    self.end_at(ts);
                }
            }
        }
        self.seen(seq);
    }

    /// The cheap path for requests; `accept` on a Request calls this.
    pub fn accept_request(&mut self, seq: u64, ts: Timestamp, facts: RequestFacts) {
        self.category = Category::of(facts.host.as_deref(), &facts.path);
        self.method = facts.method;
        self.path = facts.path;
        self.host = facts.host;
        self.mode = facts.mode;
        self.session_id = facts.session_id;
        self.agent_id = facts.agent_id;
        self.parent_agent_id = facts.parent_agent_id;
        // The response may have named a model already if events came out of order.
        if facts.model.is_some() {
            self.model = facts.model;
        }
        self.message_count = facts.message_count;
        self.requested_stream = facts.stream;
        self.started = Some(ts);
        self.seen(seq);
    }

    /// A tunnel is a flow of one event: `CONNECT host:port`, open from its
    /// start to its end.
    fn accept_tunnel(&mut self, seq: u64, tunnel: &Tunnel) {
        self.method = "CONNECT".to_owned();
        self.path = format!("{}:{}", tunnel.host, tunnel.port);
        self.category = Category::of_tunnel(&tunnel.host);
        self.host = Some(tunnel.host.clone());
        self.mode = Some(CaptureMode::Forward);
        self.tunnel_bytes = Some(TunnelBytes {
            up: tunnel.bytes_up,
            down: tunnel.bytes_down,
        });
        self.started = Some(tunnel.started);
        match &tunnel.error {
            Some(error) => self.fail(error.clone()),
            None => self.state = FlowState::Complete,
        }
        self.end_at(tunnel.ended);
        self.seen(seq);
    }

    /// Output speed once tokens flow: output_tokens over the time from the
    /// first to the last content delta. `None` without usage, or when fewer
    /// than two deltas arrived apart in time (nothing to measure).
    pub fn output_tokens_per_sec(&self) -> Option<f64> {
        let usage = self.usage.as_ref()?;
        let span_ms = self.last_token_ms? - self.ttft_ms?;
        (span_ms > 0.0 && usage.output_tokens > 0)
            .then(|| usage.output_tokens as f64 / (span_ms / 1000.0))
    }

    /// The path without its query string (`/v1/messages?beta=true` → `/v1/messages`).
    pub fn endpoint(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// A call that generates a message (and is billed by its usage), as
    /// opposed to `count_tokens`, `HEAD /` and the like. A flow whose request
    /// was cut from the log counts when it reported Messages usage.
    pub fn is_messages_call(&self) -> bool {
        if self.path.is_empty() {
            return self.usage.is_some();
        }
        self.endpoint() == "/v1/messages"
    }

    fn seen(&mut self, seq: u64) {
        self.events = self.events.saturating_add(1);
        self.first_seq = self.first_seq.min(seq);
    }

    fn accept_sse(&mut self, ts: Timestamp, event: &str, data: &Value) {
        match SseEventName::of(event, data) {
            Some(SseEventName::MessageStart) => {
                if let Some(usage) = data.pointer("/message/usage").and_then(Usage::from_json) {
                    self.usage = Some(usage);
                }
                if self.model.is_none() {
                    self.model = string_at(data, "/message/model");
                }
                if let Some(miss) = data.get("message").and_then(ApiCacheMiss::from_message) {
                    self.api_cache_miss = Some(miss);
                }
            }
            Some(SseEventName::ContentBlockDelta) => {
                let at = self.since_start(ts);
                if self.ttft_ms.is_none() {
                    self.ttft_ms = at;
                }
                self.last_token_ms = at;
            }
            Some(SseEventName::MessageDelta) => {
                if let Some(reason) = string_at(data, "/delta/stop_reason") {
                    self.stop_reason = Some(reason);
                }
                if let Some(delta) = data.get("usage") {
                    // Without a message_start (log cut at the front) the
                    // delta's counts are all we know.
                    let mut usage = self.usage.clone().unwrap_or_default();
                    if usage.update_from_json(delta) {
                        self.usage = Some(usage);
                    }
                }
            }
            Some(SseEventName::Error) => self.fail(error_text(data)),
            _ => {}
        }
    }

    fn accept_response_body(&mut self, status: u16, body: &Value) {
        if self.model.is_none() {
            self.model = string_at(body, "/model");
        }
        if status >= 400 {
            self.fail(error_text(body));
            return;
        }
        // A non-streaming response's usage is the whole usage.
        if let Some(usage) = body.get("usage").and_then(Usage::from_json) {
            self.usage = Some(usage);
        }
        if let Some(reason) = string_at(body, "/stop_reason") {
            self.stop_reason = Some(reason);
        }
        if let Some(miss) = ApiCacheMiss::from_message(body) {
            self.api_cache_miss = Some(miss);
        }
    }

    /// The response ended: complete unless something already failed it.
    fn finish(&mut self, ts: Timestamp) {
        if self.state == FlowState::Pending {
            self.state = if self.status.is_some_and(|s| s >= 400) {
                FlowState::Failed
            } else {
                FlowState::Complete
            };
        }
        self.end_at(ts);
    }

    /// The first failure names the cause; later ones (a client leaving after
    /// an in-band error) are consequences. A decode note gives way to it.
    fn fail(&mut self, message: String) {
        if self.state != FlowState::Failed {
            self.error = Some(message);
        }
        self.state = FlowState::Failed;
    }

    fn end_at(&mut self, ts: Timestamp) {
        if self.duration_ms.is_none() {
            self.duration_ms = self.since_start(ts);
        }
    }

    fn since_start(&self, ts: Timestamp) -> Option<f64> {
        let started = self.started?;
        let micros = (ts.0 - started.0).num_microseconds()?;
        // Wall-clock steps backwards must not give negative latencies.
        Some(micros.max(0) as f64 / 1000.0)
    }
}

fn string_at(value: &Value, pointer: &str) -> Option<String> {
    value.pointer(pointer)?.as_str().map(str::to_owned)
}

/// The message of an API error object, or whatever the body says when it
/// is not shaped like one.
fn error_text(value: &Value) -> String {
    match ApiError::from_json(value) {
        Some(error) => clip(error.headline()),
        None => clip(&describe(value)),
    }
}

fn error_body_text(body: &Body) -> String {
    match body {
        Body::Empty => "empty error response".to_owned(),
        Body::Json(v) => error_text(v),
        Body::Text(t) => clip(t),
        Body::Binary(b) => format!("binary error response of {} bytes", b.len()),
    }
}

/// Error bodies can be whole HTML pages; a summary keeps a line's worth
/// (the log keeps all of it).
fn clip(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
