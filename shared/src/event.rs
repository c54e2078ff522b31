use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Body, Timestamp};

/// HTTP headers in the order they came, names lower-case, repeated names joined
/// with ", " so that `jq '.headers["x-api-key"]'` finds one string.
pub type Headers = IndexMap<String, String>;

/// Identifies one exchange (request and its response) across all its events.
/// Shared, not copied: the proxy tags every forwarded chunk with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowId(pub Arc<str>);

impl FlowId {
    /// A fresh random id: 16 hex digits, unique enough across saved sessions.
    pub fn random() -> Self {
        FlowId(format!("{:016x}", rand_u64()).into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FlowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn rand_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    // RandomState is seeded from the OS once per process and perturbed per
    // instance; mixing in a counter makes ids distinct even within one process.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// One line of the session log.
///
/// Serializes as `{"ts":..,"type":..,"flow_id":..,...}`: the timestamp, then the
/// kind's tag, then the kind's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub ts: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Request(Request),
    ResponseHeaders(ResponseHeaders),
    Sse(SseEvent),
    Response(Response),
    StreamEnd(StreamEnd),
    Error(FlowError),
    Tunnel(Tunnel),
    #[serde(rename = "websocket")]
    WebSocket(WebSocketMessage),
}

/// One message of a WebSocket inside an intercepted host (Remote Control):
/// the flow's request is the upgrade, its `response_headers` the 101, and a
/// `stream_end` closes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSocketMessage {
    pub flow_id: FlowId,
    /// Who sent it.
    pub from: WebSocketSide,
    pub kind: WebSocketKind,
    /// The payload (unmasked, inflated when compressed): JSON when it parses,
    /// text, or marked base64.
    pub data: Body,
    /// Bytes left out of `data` when the message was over the log's limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebSocketSide {
    Client,
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebSocketKind {
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

/// The request as sent upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub flow_id: FlowId,
    pub method: String,
    /// Path with query string, as the client asked for it.
    pub path: String,
    /// The host the request went to (`api.anthropic.com`, or whatever the
    /// upstream is); absent in logs written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// How the client reached the proxy; absent in older logs (reverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CaptureMode>,
    pub headers: Headers,
    pub body: Body,
}

/// How a request reached the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// Sent to the proxy as if it were the API (`ANTHROPIC_BASE_URL`).
    Reverse,
    /// Sent through the proxy (`HTTPS_PROXY`), decrypted and recorded.
    Forward,
}

/// A `CONNECT` passed through without decrypting it, logged when it closed:
/// the user still sees that the call happened, to whom and how much went
/// each way, though not what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tunnel {
    pub flow_id: FlowId,
    pub host: String,
    pub port: u16,
    /// Bytes from the client to the host, and back.
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// When the tunnel was opened and closed.
    pub started: Timestamp,
    pub ended: Timestamp,
    /// Why the tunnel could not be opened or ended abnormally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseHeaders {
    pub flow_id: FlowId,
    pub status_code: u16,
    pub headers: Headers,
    /// True when the response is `text/event-stream`: `sse` events and a
    /// `stream_end` follow instead of one `response`.
    pub streaming: bool,
}

/// One server-sent event of a streaming response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SseEvent {
    pub flow_id: FlowId,
    /// The `event:` field; `message` when the event had none (as in the SSE spec).
    pub event: String,
    /// The `data:` lines joined by `\n`: parsed JSON when they are JSON, a string otherwise.
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The whole body of a non-streaming response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub flow_id: FlowId,
    pub status_code: u16,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamEnd {
    pub flow_id: FlowId,
}

/// Where an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorStage {
    /// The client's request could not be read (or was too large).
    Request,
    /// The upstream could not be reached, or failed while answering.
    Upstream,
    /// The client went away before the response was complete.
    Client,
    /// The response reached the client intact but could not be decoded for the log.
    Decode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowError {
    pub flow_id: FlowId,
    pub stage: ErrorStage,
    pub message: String,
    /// The status the proxy itself answered with (502 when the upstream was
    /// unreachable), absent when the client already had the upstream's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
}

impl EventKind {
    pub fn flow_id(&self) -> &FlowId {
        match self {
            EventKind::Request(e) => &e.flow_id,
            EventKind::ResponseHeaders(e) => &e.flow_id,
            EventKind::Sse(e) => &e.flow_id,
            EventKind::Response(e) => &e.flow_id,
            EventKind::StreamEnd(e) => &e.flow_id,
            EventKind::Error(e) => &e.flow_id,
            EventKind::Tunnel(e) => &e.flow_id,
            EventKind::WebSocket(e) => &e.flow_id,
        }
    }

    /// The `type` tag as written in the log.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Request(_) => "request",
            EventKind::ResponseHeaders(_) => "response_headers",
            EventKind::Sse(_) => "sse",
            EventKind::Response(_) => "response",
            EventKind::StreamEnd(_) => "stream_end",
            EventKind::Error(_) => "error",
            EventKind::Tunnel(_) => "tunnel",
            EventKind::WebSocket(_) => "websocket",
        }
    }
}

/// The JSON body of the request among a flow's `events`, if it had one.
pub fn request_body(events: &[Event]) -> Option<&Value> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Request(r) => r.body.as_json(),
        _ => None,
    })
}

impl Event {
    pub fn new(kind: EventKind) -> Self {
        Event {
            ts: Timestamp::now(),
            kind,
        }
    }

    pub fn flow_id(&self) -> &FlowId {
        self.kind.flow_id()
    }

    /// The log line, without its newline.
    pub fn to_line(&self) -> String {
        // An Event holds only strings, numbers and serde_json values, none of
        // which can fail to serialize.
        serde_json::to_string(self).expect("an Event always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(micros: i64) -> Timestamp {
        Timestamp(chrono::Utc.timestamp_micros(micros).unwrap())
    }

    #[test]
    fn lines_match_the_spec_layout_byte_for_byte() {
        let flow = FlowId("f1".into());
        let sse = Event {
            ts: at(1_774_783_627_000_001),
            kind: EventKind::Sse(SseEvent {
                flow_id: flow.clone(),
                event: "content_block_delta".into(),
                data: serde_json::json!({"delta":{"type":"text_delta","text":"Hello"}}),
                id: None,
            }),
        };
        assert_eq!(
            sse.to_line(),
            r#"{"ts":"2026-03-29T11:27:07.000001Z","type":"sse","flow_id":"f1","event":"content_block_delta","data":{"delta":{"type":"text_delta","text":"Hello"}}}"#
        );
        let end = Event {
            ts: at(1_774_783_627_500_000),
            kind: EventKind::StreamEnd(StreamEnd { flow_id: flow }),
        };
        assert_eq!(
            end.to_line(),
            r#"{"ts":"2026-03-29T11:27:07.500000Z","type":"stream_end","flow_id":"f1"}"#
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_line() {
        let flow = FlowId::random();
        let mut headers = Headers::new();
        headers.insert("content-type".into(), "application/json".into());
        let kinds = vec![
            EventKind::Request(Request {
                flow_id: flow.clone(),
                method: "POST".into(),
                path: "/v1/messages?beta=true".into(),
                host: Some("api.anthropic.com".into()),
                mode: Some(CaptureMode::Forward),
                headers: headers.clone(),
                body: Body::Json(serde_json::json!({"model":"m","messages":[]})),
            }),
            EventKind::ResponseHeaders(ResponseHeaders {
                flow_id: flow.clone(),
                status_code: 200,
                headers,
                streaming: true,
            }),
            EventKind::Sse(SseEvent {
                flow_id: flow.clone(),
                event: "ping".into(),
                data: serde_json::Value::String("not json".into()),
                id: Some("7".into()),
            }),
            EventKind::Response(Response {
                flow_id: flow.clone(),
                status_code: 529,
                body: Body::Text("overloaded".into()),
            }),
            EventKind::StreamEnd(StreamEnd {
                flow_id: flow.clone(),
            }),
            EventKind::Error(FlowError {
                flow_id: flow.clone(),
                stage: ErrorStage::Upstream,
                message: "connection reset".into(),
                status_code: Some(502),
            }),
            EventKind::Tunnel(Tunnel {
                flow_id: flow.clone(),
                host: "statsig.anthropic.com".into(),
                port: 443,
                bytes_up: 1200,
                bytes_down: 5400,
                started: Timestamp::now(),
                ended: Timestamp::now(),
                error: None,
            }),
            EventKind::WebSocket(WebSocketMessage {
                flow_id: flow.clone(),
                from: WebSocketSide::Server,
                kind: WebSocketKind::Text,
                data: Body::Json(serde_json::json!({"type":"control_request"})),
                truncated: None,
            }),
        ];
        for kind in kinds {
            let event = Event::new(kind);
            let line = event.to_line();
            let back: Event = serde_json::from_str(&line).unwrap();
            assert_eq!(back, event, "{line}");
            assert_eq!(back.flow_id(), &flow);
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(value["type"], event.kind.type_name());
        }
    }

    #[test]
    fn a_request_line_of_an_older_log_reads_without_host_or_mode() {
        let line = r#"{"ts":"2026-03-29T11:27:07.000001Z","type":"request","flow_id":"f","method":"POST","path":"/v1/messages","headers":{},"body":null}"#;
        let event: Event = serde_json::from_str(line).unwrap();
        let EventKind::Request(request) = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!((request.host.as_deref(), request.mode), (None, None));
        // And written the same way back: no new keys appear in old lines.
        assert!(!event.to_line().contains("host"));
    }

    #[test]
    fn unknown_fields_are_ignored_so_fields_can_be_added() {
        let line =
            r#"{"ts":"2026-03-29T11:27:07.000001Z","type":"stream_end","flow_id":"f","later":1}"#;
        let event: Event = serde_json::from_str(line).unwrap();
        assert_eq!(event.flow_id().as_str(), "f");
    }
}
