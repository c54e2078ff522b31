//! HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>): one entry per
//! flow, written as each flow is read so that a large log never has to fit
//! in memory.
//!
//! Mapping decisions (the log knows less than a browser does):
//! - `request.url` is `https://` + the logged `host` header (the upstream's,
//!   which the proxy logs in place of its own) + the path; a log has no scheme,
//!   and a request without a `host` header is taken to have gone to
//!   `api.anthropic.com`.
//! - Bodies are the log's: decoded, JSON written compactly. A streamed
//!   response's `content.text` is its SSE text rebuilt from the events
//!   (`event:`, `data:`, `id:` lines), and `_sse` lists the events with
//!   their time from the request in ms. Binary bodies are base64
//!   (`content.encoding`, `postData._encoding`, HAR having no field there).
//! - `bodySize` is the size on the wire: the `content-length` header, else
//!   the body's size as exported, or -1 for a compressed body of unknown
//!   length (the log keeps bodies decoded); `content.compression` follows
//!   when both sizes are known. `headersSize` is always -1.
//! - `timings`: `send` 0 (the request is logged once whole), `wait` from the
//!   request to the response headers, `receive` from the headers to the
//!   flow's last event; `time` is their sum.
//! - A flow that got no response headers (the upstream was unreachable) has
//!   status 0 and an empty response, as browsers export failed requests, or
//!   the status the proxy answered with itself (502) when it did; `_error`
//!   holds the flow's first `error` event, the cause. `_flow_id` ties an
//!   entry to the log.

use std::io::{self, Write};

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{json, Value};
use shared::{Body, Event, EventKind, Headers, Timestamp};

const DEFAULT_HOST: &str = "api.anthropic.com";

/// Writes `{"log":{…,"entries":[` up front, each entry as it comes, and the
/// closing brackets at the end.
pub struct HarWriter<W: Write> {
    out: W,
    entries: u64,
}

impl<W: Write> HarWriter<W> {
    pub fn begin(mut out: W) -> io::Result<Self> {
        let creator = json!({"name": "trace_claude", "version": env!("CARGO_PKG_VERSION")});
        write!(
            out,
            "{{\"log\":{{\"version\":\"1.2\",\"creator\":{creator},\"entries\":["
        )?;
        Ok(HarWriter { out, entries: 0 })
    }

    /// Adds one flow's entry; a flow without its request (its first lines
    /// were lost) has nothing to show and is skipped, returning false.
    pub fn flow(&mut self, events: &[Event]) -> io::Result<bool> {
        let Some(entry) = entry(events) else {
            return Ok(false);
        };
        self.out
            .write_all(if self.entries == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &entry)?;
        self.entries += 1;
        Ok(true)
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"\n]}}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The HAR entry of one flow's events, in log order.
pub fn entry(events: &[Event]) -> Option<Value> {
    let (start, request) = events.iter().find_map(|e| match &e.kind {
        EventKind::Request(r) => Some((e.ts, r)),
        _ => None,
    })?;
    let head = events.iter().find_map(|e| match &e.kind {
        EventKind::ResponseHeaders(h) => Some((e.ts, h)),
        _ => None,
    });
    let error = events.iter().find_map(|e| match &e.kind {
        EventKind::Error(err) => Some(err),
        _ => None,
    });
    let end = events.iter().map(|e| e.ts).max().unwrap_or(start);

    let (wait, receive) = match head {
        Some((at, _)) => (ms_between(start, at), ms_between(at, end)),
        None => (ms_between(start, end), 0.0),
    };
    let host = request
        .headers
        .get("host")
        .map(String::as_str)
        .unwrap_or(DEFAULT_HOST);
    let mut har_request = json!({
        "method": request.method,
        "url": format!("https://{host}{}", request.path),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(&request.headers),
        "queryString": query_string(&request.path),
        "headersSize": -1,
        "bodySize": wire_length(&request.headers).unwrap_or(body_size(&request.body)),
    });
    if let Some(post) = post_data(&request.headers, &request.body) {
        har_request["postData"] = post;
    }

    let response = match head {
        Some((_, h)) => {
            let content = if h.streaming {
                let text = sse_text(events);
                json!({
                    "size": text.len(),
                    "mimeType": content_type(&h.headers).unwrap_or("text/event-stream"),
                    "text": text,
                })
            } else {
                let body = events.iter().find_map(|e| match &e.kind {
                    EventKind::Response(r) => Some(&r.body),
                    _ => None,
                });
                content(&h.headers, body.unwrap_or(&Body::Empty))
            };
            let mut content = content;
            let body_size = match (wire_length(&h.headers), h.headers.get("content-encoding")) {
                (Some(length), Some(_)) => {
                    let decoded = content["size"].as_u64().unwrap_or(0) as i64;
                    content["compression"] = json!(decoded - length as i64);
                    json!(length)
                }
                (Some(length), None) => json!(length),
                (None, Some(_)) => json!(-1),
                (None, None) => content["size"].clone(),
            };
            json!({
                "status": h.status_code,
                "statusText": status_text(h.status_code),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": headers(&h.headers),
                "content": content,
                "redirectURL": h.headers.get("location").map(String::as_str).unwrap_or(""),
                "headersSize": -1,
                "bodySize": body_size,
            })
        }
        None => {
            let status = error.and_then(|e| e.status_code).unwrap_or(0);
            json!({
                "status": status,
                "statusText": status_text(status),
                "httpVersion": if status == 0 { "" } else { "HTTP/1.1" },
                "cookies": [],
                "headers": [],
                "content": {"size": 0, "mimeType": "x-unknown"},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": if status == 0 { -1 } else { 0 },
            })
        }
    };

    let mut entry = json!({
        "startedDateTime": start.to_string(),
        "time": round_us(wait + receive),
        "request": har_request,
        "response": response,
        "cache": {},
        "timings": {
            "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
            "send": 0, "wait": round_us(wait), "receive": round_us(receive),
        },
        "_flow_id": request.flow_id.as_str(),
    });
    if head.is_some_and(|(_, h)| h.streaming) {
        entry["_sse"] = Value::Array(
            events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Sse(s) => {
                        let mut item = json!({
                            "time_ms": round_us(ms_between(start, e.ts)),
                            "event": s.event,
                            "data": s.data,
                        });
                        if let Some(id) = &s.id {
                            item["id"] = json!(id);
                        }
                        Some(item)
                    }
                    _ => None,
                })
                .collect(),
        );
    }
    if let Some(err) = error {
        entry["_error"] = serde_json::to_value(err)
            .map(|mut v| {
                // The flow id is already the entry's.
                if let Some(map) = v.as_object_mut() {
                    map.remove("flow_id");
                }
                v
            })
            .unwrap_or(Value::Null);
    }
    Some(entry)
}

fn ms_between(from: Timestamp, to: Timestamp) -> f64 {
    let micros = (to.0 - from.0).num_microseconds().unwrap_or(0).max(0);
    micros as f64 / 1000.0
}

/// Milliseconds to the log's precision, without float noise (0.30000000000000004).
fn round_us(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn headers(headers: &Headers) -> Vec<Value> {
    headers
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect()
}

/// The body's size on the wire, when the sender said it.
fn wire_length(headers: &Headers) -> Option<usize> {
    headers.get("content-length")?.trim().parse().ok()
}

fn content_type(headers: &Headers) -> Option<&str> {
    headers.get("content-type").map(String::as_str)
}

fn status_text(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// The query parameters of a path, percent-decoded as HAR viewers show them.
fn query_string(path: &str) -> Vec<Value> {
    let Some((_, query)) = path.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({"name": percent_decode(name), "value": percent_decode(value)})
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                }
                // Not an escape: kept as written.
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A body as HAR text: JSON compact, text as is, binary base64.
enum Rendered {
    Text(String),
    Base64(String, usize),
}

fn render(body: &Body) -> Option<Rendered> {
    match body {
        Body::Empty => None,
        Body::Json(v) => Some(Rendered::Text(v.to_string())),
        Body::Text(t) => Some(Rendered::Text(t.clone())),
        Body::Binary(b) => Some(Rendered::Base64(
            base64::engine::general_purpose::STANDARD.encode(b),
            b.len(),
        )),
    }
}

fn default_mime(body: &Body) -> &'static str {
    match body {
        Body::Json(_) => "application/json",
        Body::Text(_) => "text/plain",
        Body::Empty | Body::Binary(_) => "application/octet-stream",
    }
}

fn body_size(body: &Body) -> usize {
    match render(body) {
        None => 0,
        Some(Rendered::Text(t)) => t.len(),
        Some(Rendered::Base64(_, size)) => size,
    }
}

fn post_data(headers: &Headers, body: &Body) -> Option<Value> {
    let mime = content_type(headers).unwrap_or(default_mime(body));
    Some(match render(body)? {
        Rendered::Text(text) => json!({"mimeType": mime, "params": [], "text": text}),
        Rendered::Base64(text, _) => {
            json!({"mimeType": mime, "params": [], "text": text, "_encoding": "base64"})
        }
    })
}

fn content(headers: &Headers, body: &Body) -> Value {
    let mime = content_type(headers).unwrap_or(default_mime(body));
    match render(body) {
        None => json!({"size": 0, "mimeType": mime}),
        Some(Rendered::Text(text)) => json!({"size": text.len(), "mimeType": mime, "text": text}),
        Some(Rendered::Base64(text, size)) => {
            json!({"size": size, "mimeType": mime, "text": text, "encoding": "base64"})
        }
    }
}

/// The stream as the client read it: one `event:`/`data:` block per event.
/// Data the proxy parsed as JSON is written back compactly, as the API sends it.
fn sse_text(events: &[Event]) -> String {
    let mut text = String::new();
    for e in events {
        let EventKind::Sse(s) = &e.kind else { continue };
        text.push_str("event: ");
        text.push_str(&s.event);
        text.push('\n');
        let data = match &s.data {
            Value::String(raw) => raw.clone(),
            other => other.to_string(),
        };
        for line in data.split('\n') {
            text.push_str("data: ");
            text.push_str(line);
            text.push('\n');
        }
        if let Some(id) = &s.id {
            text.push_str("id: ");
            text.push_str(id);
            text.push('\n');
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(lines: &[Value]) -> Vec<Event> {
        lines
            .iter()
            .map(|l| serde_json::from_value(l.clone()).unwrap())
            .collect()
    }

    fn at(ms: u64) -> String {
        format!("2026-03-29T11:27:{:02}.{:06}Z", ms / 1000, ms % 1000 * 1000)
    }

    #[test]
    fn query_parameters_are_split_and_decoded() {
        assert_eq!(
            query_string("/v1/x?beta=true&q=a%20b+c&flag&bad=%zz&&e=%C3%A9"),
            vec![
                json!({"name": "beta", "value": "true"}),
                json!({"name": "q", "value": "a b c"}),
                json!({"name": "flag", "value": ""}),
                json!({"name": "bad", "value": "%zz"}),
                json!({"name": "e", "value": "é"}),
            ]
        );
        assert!(query_string("/v1/messages").is_empty());
    }

    #[test]
    fn a_stream_becomes_its_sse_text_and_timed_events() {
        let flow = events(&[
            json!({"ts": at(0), "type": "request", "flow_id": "f", "method": "POST",
                "path": "/v1/messages", "headers": {"host": "example.test"}, "body": {"a": 1}}),
            json!({"ts": at(100), "type": "response_headers", "flow_id": "f", "status_code": 200,
                "headers": {"content-type": "text/event-stream"}, "streaming": true}),
            json!({"ts": at(150), "type": "sse", "flow_id": "f", "event": "ping", "data": {"type": "ping"}}),
            json!({"ts": at(170), "type": "sse", "flow_id": "f", "event": "message",
                "data": "two\nlines", "id": "7"}),
            json!({"ts": at(300), "type": "stream_end", "flow_id": "f"}),
        ]);
        let e = entry(&flow).unwrap();
        assert_eq!(e["request"]["url"], "https://example.test/v1/messages");
        assert_eq!(e["request"]["postData"]["text"], r#"{"a":1}"#);
        assert_eq!(e["request"]["postData"]["mimeType"], "application/json");
        let text = "event: ping\ndata: {\"type\":\"ping\"}\n\nevent: message\ndata: two\ndata: lines\nid: 7\n\n";
        assert_eq!(e["response"]["content"]["text"], text);
        assert_eq!(e["response"]["content"]["size"], text.len());
        assert_eq!(e["response"]["bodySize"], text.len());
        assert_eq!(
            e["_sse"][0],
            json!({"time_ms": 150.0, "event": "ping", "data": {"type": "ping"}})
        );
        assert_eq!(e["_sse"][1]["id"], "7");
        assert_eq!(e["timings"]["wait"], 100.0);
        assert_eq!(e["timings"]["receive"], 200.0);
        assert_eq!(e["time"], 300.0);
        assert!(e.get("_error").is_none());
    }

    #[test]
    fn a_flow_without_a_response_is_a_failed_request() {
        let flow = events(&[
            json!({"ts": at(0), "type": "request", "flow_id": "f", "method": "GET",
                "path": "/", "headers": {}, "body": null}),
            json!({"ts": at(40), "type": "error", "flow_id": "f", "stage": "upstream",
                "message": "connection refused", "status_code": 502}),
        ]);
        let e = entry(&flow).unwrap();
        assert_eq!(e["request"]["url"], "https://api.anthropic.com/");
        assert!(e["request"].get("postData").is_none());
        assert_eq!(e["response"]["status"], 502);
        assert_eq!(e["response"]["statusText"], "Bad Gateway");
        assert_eq!(
            e["_error"],
            json!({"stage": "upstream", "message": "connection refused", "status_code": 502})
        );
        assert_eq!(e["time"], 40.0);
        // No request: nothing to export.
        assert!(entry(&flow[1..]).is_none());
    }
}
