//! What a card says at a glance: a badge and a one-line summary per event.

use serde_json::Value;
use shared::{ApiError, Body, EventKind, SseEventName, Usage};

/// Longest summary shown on a card; the full event is one click away.
const MAX_SUMMARY_CHARS: usize = 160;

/// The badge of an event type, which is also the name of its filter.
pub fn badge(kind: &EventKind) -> &'static str {
    badge_for_type(kind.type_name())
}

pub fn badge_for_type(type_name: &str) -> &'static str {
    match type_name {
        "request" => "REQ",
        "response_headers" => "HDR",
        "sse" => "SSE",
        "response" => "RES",
        "stream_end" => "END",
        "tunnel" => "TUN",
        "websocket" => "WS",
        _ => "ERR",
    }
}

/// One line saying what an event is, e.g. `POST /v1/messages claude-sonnet-4-5 12 msgs`.
pub fn summary(kind: &EventKind) -> String {
    let text = match kind {
        EventKind::Request(r) => {
            let mut s = match &r.host {
                Some(host) if r.mode == Some(shared::CaptureMode::Forward) => {
                    format!("{} {host}{}", r.method, r.path)
                }
                _ => format!("{} {}", r.method, r.path),
            };
            if let Some(body) = r.body.as_json() {
                if let Some(model) = body["model"].as_str() {
                    s.push(' ');
                    s.push_str(model);
                }
                if let Some(messages) = body["messages"].as_array() {
                    s.push_str(&format!(" {} msgs", messages.len()));
                }
                if body["stream"] == Value::Bool(true) {
                    s.push_str(" stream");
                }
            }
            s
        }
        EventKind::ResponseHeaders(h) => {
            let content_type = h
                .headers
                .get("content-type")
                .map(|ct| ct.split(';').next().unwrap_or(ct).trim())
                .unwrap_or("no content-type");
            format!("{} {}", h.status_code, content_type)
        }
        EventKind::Sse(e) => sse_summary(&e.event, &e.data),
        EventKind::Response(r) => format!("{} {}", r.status_code, body_summary(&r.body)),
        EventKind::StreamEnd(_) => "stream ended".to_owned(),
        EventKind::Error(e) => {
            let stage = serde_json::to_value(e.stage)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{stage}: {}", e.message)
        }
        EventKind::WebSocket(m) => {
            let from = match m.from {
                shared::WebSocketSide::Client => "client →",
                shared::WebSocketSide::Server => "← server",
            };
            let kind = serde_json::to_value(m.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{from} {kind} {}", body_summary(&m.data))
        }
        EventKind::Tunnel(t) => {
            let mut s = format!(
                "CONNECT {}:{} tunnelled, {} B up, {} B down",
                t.host, t.port, t.bytes_up, t.bytes_down
            );
            if let Some(error) = &t.error {
                s.push_str(": ");
                s.push_str(error);
            }
            s
        }
    };
    truncate(&text, MAX_SUMMARY_CHARS)
}

fn sse_summary(event: &str, data: &Value) -> String {
    let known = SseEventName::of(event, data);
    // An unnamed event is shown by the name it resolves to.
    let mut s = known.map_or_else(|| event.to_owned(), |name| name.as_str().to_owned());
    let mut push = |part: String| {
        s.push(' ');
        s.push_str(&part);
    };
    match known {
        Some(SseEventName::MessageStart) => {
            let message = &data["message"];
            if let Some(model) = message["model"].as_str() {
                push(model.to_owned());
            }
            if let Some(usage) = Usage::from_json(&message["usage"]) {
                push(format!("in={}", usage.input_tokens));
                if usage.cache_read_input_tokens > 0 {
                    push(format!("cache_read={}", usage.cache_read_input_tokens));
                }
                if usage.cache_creation_input_tokens > 0 {
                    push(format!("cache_write={}", usage.cache_creation_input_tokens));
                }
            }
        }
        Some(SseEventName::ContentBlockStart) => {
            let block = &data["content_block"];
            if let Some(kind) = block["type"].as_str() {
                push(kind.to_owned());
            }
            if let Some(name) = block["name"].as_str() {
                push(name.to_owned());
            }
        }
        Some(SseEventName::ContentBlockDelta) => {
            let delta = &data["delta"];
            let kind = delta["type"].as_str().unwrap_or("delta");
            push(kind.to_owned());
            let text = match kind {
                "text_delta" => delta["text"].as_str(),
                "thinking_delta" => delta["thinking"].as_str(),
                "input_json_delta" => delta["partial_json"].as_str(),
                _ => None,
            };
            if let Some(text) = text {
                push(quote(text));
            }
        }
        Some(SseEventName::MessageDelta) => {
            if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                push(reason.to_owned());
            }
            if let Some(usage) = Usage::from_json(&data["usage"]) {
                push(format!("out={}", usage.output_tokens));
            }
        }
        Some(SseEventName::Error) => {
            if let Some(error) = ApiError::from_json(data) {
                push(
                    error
                        .kind
                        .into_iter()
                        .chain(error.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        Some(SseEventName::ContentBlockStop | SseEventName::MessageStop | SseEventName::Ping) => {}
        None => match data {
            Value::String(text) if !text.is_empty() => push(quote(text)),
            Value::Null | Value::String(_) => {}
            other => push(other.to_string()),
        },
    }
    s
}

fn body_summary(body: &Body) -> String {
    match body {
        Body::Empty => "(no body)".to_owned(),
        Body::Text(text) => quote(text),
        Body::Binary(bytes) => format!("({} bytes of binary)", bytes.len()),
        Body::Json(json) => {
            if let Some(error) = ApiError::from_json(json) {
                return format!(
                    "{}: {}",
                    error.kind.as_deref().unwrap_or("error"),
                    error.message.as_deref().unwrap_or("")
                );
            }
            if json["type"] == "message" {
                let mut s = "message".to_owned();
                if let Some(reason) = json["stop_reason"].as_str() {
                    s.push(' ');
                    s.push_str(reason);
                }
                if let Some(usage) = Usage::from_json(&json["usage"]) {
                    s.push_str(&format!(" out={}", usage.output_tokens));
                }
                return s;
            }
            json.to_string()
        }
    }
}

/// `"text"` with newlines shown as `⏎`, so a summary stays on one line.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\n', "⏎"))
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The colour slot of a flow (one of [`FLOW_COLOURS`]), stable for its id.
pub fn flow_colour(flow_id: &str) -> usize {
    // FNV-1a: cheap, and neighbouring ids land far apart.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in flow_id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as usize % FLOW_COLOURS
}

/// How many distinct flow colours the stylesheet defines (`.flow-c0` …).
pub const FLOW_COLOURS: usize = 12;

/// The first characters of a flow id, enough to tell flows apart on screen.
pub fn short_flow_id(flow_id: &str) -> &str {
    flow_id.get(..6).unwrap_or(flow_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::{Event, FlowId};

    fn kind(line: Value) -> EventKind {
        let mut line = line;
        line["ts"] = json!("2026-03-29T11:27:07.000001Z");
        line["flow_id"] = json!("abcdef0123456789");
        serde_json::from_value::<Event>(line).unwrap().kind
    }

    #[test]
    fn requests_show_method_path_model_and_message_count() {
        let k = kind(
            json!({"type":"request","method":"POST","path":"/v1/messages?beta=true","headers":{},
            "body":{"model":"claude-sonnet-4-5","stream":true,"messages":[{},{},{}]}}),
        );
        assert_eq!(badge(&k), "REQ");
        assert_eq!(
            summary(&k),
            "POST /v1/messages?beta=true claude-sonnet-4-5 3 msgs stream"
        );
        let head =
            kind(json!({"type":"request","method":"HEAD","path":"/","headers":{},"body":null}));
        assert_eq!(summary(&head), "HEAD /");
    }

    #[test]
    fn headers_show_status_and_content_type() {
        let k = kind(
            json!({"type":"response_headers","status_code":200,"streaming":true,
            "headers":{"content-type":"text/event-stream; charset=utf-8"}}),
        );
        assert_eq!(
            (badge(&k), summary(&k)),
            ("HDR", "200 text/event-stream".to_owned())
        );
    }

    #[test]
    fn sse_events_show_what_matters_in_each() {
        let cases = [
            (
                json!({"type":"sse","event":"content_block_delta","data":{"delta":{"type":"text_delta","text":"Hello\nthere"}}}),
                "content_block_delta text_delta \"Hello⏎there\"",
            ),
            (
                json!({"type":"sse","event":"message_delta","data":{"delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}}),
                "message_delta end_turn out=42",
            ),
            (
                json!({"type":"sse","event":"message_start","data":{"message":{"model":"claude-opus-4","usage":{"input_tokens":25,"cache_read_input_tokens":100,"cache_creation_input_tokens":0}}}}),
                "message_start claude-opus-4 in=25 cache_read=100",
            ),
            (
                json!({"type":"sse","event":"content_block_start","data":{"content_block":{"type":"tool_use","name":"Bash"}}}),
                "content_block_start tool_use Bash",
            ),
            (
                json!({"type":"sse","event":"content_block_delta","data":{"delta":{"type":"input_json_delta","partial_json":"{\"command\""}}}),
                "content_block_delta input_json_delta \"{\"command\"\"",
            ),
            (
                json!({"type":"sse","event":"error","data":{"error":{"type":"overloaded_error","message":"Overloaded"}}}),
                "error overloaded_error Overloaded",
            ),
            (
                json!({"type":"sse","event":"ping","data":{"type":"ping"}}),
                "ping",
            ),
            (
                json!({"type":"sse","event":"custom","data":"not json"}),
                "custom \"not json\"",
            ),
        ];
        for (line, expected) in cases {
            let k = kind(line);
            assert_eq!(badge(&k), "SSE");
            assert_eq!(summary(&k), expected);
        }
    }

    #[test]
    fn responses_errors_and_ends() {
        let ok = kind(
            json!({"type":"response","status_code":200,"body":{"type":"message","stop_reason":"end_turn","usage":{"output_tokens":3}}}),
        );
        assert_eq!(
            (badge(&ok), summary(&ok)),
            ("RES", "200 message end_turn out=3".to_owned())
        );
        let overloaded = kind(
            json!({"type":"response","status_code":529,"body":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}),
        );
        assert_eq!(summary(&overloaded), "529 overloaded_error: Overloaded");
        let end = kind(json!({"type":"stream_end"}));
        assert_eq!(
            (badge(&end), summary(&end)),
            ("END", "stream ended".to_owned())
        );
        let err = kind(
            json!({"type":"error","stage":"upstream","message":"connection refused","status_code":502}),
        );
        assert_eq!(
            (badge(&err), summary(&err)),
            ("ERR", "upstream: connection refused".to_owned())
        );
    }

    #[test]
    fn long_summaries_are_cut_on_a_char_boundary() {
        let text = "é".repeat(400);
        let k = kind(
            json!({"type":"sse","event":"content_block_delta","data":{"delta":{"type":"text_delta","text":text}}}),
        );
        let s = summary(&k);
        assert_eq!(s.chars().count(), MAX_SUMMARY_CHARS + 1);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn flow_colours_are_stable_and_spread() {
        let a = FlowId::random().0;
        assert_eq!(flow_colour(&a), flow_colour(&a));
        let slots: std::collections::HashSet<usize> =
            (0..200).map(|_| flow_colour(&FlowId::random().0)).collect();
        assert!(slots.len() > FLOW_COLOURS / 2);
        assert!(slots.iter().all(|s| *s < FLOW_COLOURS));
        assert_eq!(short_flow_id("abcdef0123"), "abcdef");
    }
}
