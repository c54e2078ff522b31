//! Writes a realistic session log of any size: Claude Code conversations
//! whose context grows turn by turn, with streamed answers, so the viewer's
//! scale can be tested and measured without recording one first.
//!
//! Each flow is a request whose `messages` carry the conversation so far
//! (padded with file-sized tool results until the body reaches its target
//! size), then response headers, a streamed answer and its end.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::{json, Value};

pub struct Shape {
    pub flows: usize,
    /// Approximate size of each request body.
    pub body_bytes: usize,
    /// Text deltas in each streamed answer.
    pub deltas: usize,
}

/// Writes the log and returns its size in bytes.
pub fn write_session(path: &Path, shape: &Shape) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    // One file's worth of text, reused: generating is not what is measured.
    let chunk: String = (0..2000)
        .map(|i| format!("line {i}: fn handler() {{ let x = compute({i}); }}\n"))
        .collect();
    let mut written = 0u64;
    for flow in 0..shape.flows {
        let id = format!("flow{flow:05}");
        let session = format!("session-{}", flow / 100);
        let agent = (flow % 10 == 9).then(|| format!("agent-{}", flow / 10));
        let mut messages = Vec::new();
        let mut size = 0;
        let mut turn = 0;
        while size < shape.body_bytes {
            let take = (shape.body_bytes - size).min(chunk.len());
            messages.push(json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": format!("toolu_{turn}"), "content": &chunk[..take]}
            ]}));
            messages.push(json!({"role": "assistant", "content": [
                {"type": "text", "text": format!("Turn {turn} of flow {flow}.")},
                {"type": "tool_use", "id": format!("toolu_{}", turn + 1), "name": "Read", "input": {"file_path": "/src/lib.rs"}}
            ]}));
            size += take + 200;
            turn += 1;
        }
        messages.push(json!({"role": "user", "content": format!("Question {flow}: what does needle{flow} do?")}));
        let mut headers = json!({"content-type": "application/json", "x-api-key": "sk-ant-…AbCd", "x-claude-code-session-id": session});
        if let Some(agent) = &agent {
            headers["x-claude-code-agent-id"] = json!(agent);
        }
        let t = |ms: u64| chrono_like(flow as u64 * 10_000 + ms);
        let mut line = |value: Value| -> io::Result<()> {
            let text = value.to_string();
            written += text.len() as u64 + 1;
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")
        };
        line(
            json!({"ts": t(0), "type": "request", "flow_id": id, "method": "POST",
            "path": "/v1/messages?beta=true", "headers": headers,
            "body": {"model": "claude-sonnet-4-5-20250929", "max_tokens": 32000, "stream": true,
                     "system": [{"type": "text", "text": "You are Claude Code."}],
                     "tools": [{"name": "Read", "input_schema": {"type": "object"}}],
                     "messages": messages}}),
        )?;
        line(
            json!({"ts": t(400), "type": "response_headers", "flow_id": id, "status_code": 200,
            "headers": {"content-type": "text/event-stream"}, "streaming": true}),
        )?;
        let sse = |ms: u64, event: &str, data: Value| json!({"ts": t(ms), "type": "sse", "flow_id": id, "event": event, "data": data});
        line(sse(
            450,
            "message_start",
            json!({"type": "message_start", "message": {
            "id": format!("msg_{flow}"), "model": "claude-sonnet-4-5-20250929", "role": "assistant", "content": [],
            "usage": {"input_tokens": 12, "cache_read_input_tokens": shape.body_bytes / 4, "cache_creation_input_tokens": 900, "output_tokens": 1}}}),
        ))?;
        line(sse(
            460,
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ))?;
        for d in 0..shape.deltas {
            line(sse(
                500 + d as u64 * 10,
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": format!("word{d} ")}}),
            ))?;
        }
        let end = 500 + shape.deltas as u64 * 10;
        line(sse(
            end,
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ))?;
        line(sse(
            end,
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": shape.deltas * 2}}),
        ))?;
        line(sse(end, "message_stop", json!({"type": "message_stop"})))?;
        line(json!({"ts": t(end + 1), "type": "stream_end", "flow_id": id}))?;
    }
    out.flush()?;
    Ok(written)
}

/// An RFC 3339 time `ms` milliseconds after a fixed start, as the log writes it.
fn chrono_like(ms: u64) -> String {
    let start = 1_774_783_627_000u64; // 2026-03-29T11:27:07Z
    let total = start + ms;
    let secs = total / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        total % 1000
    )
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (era * 400 + yoe + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_rfc3339() {
        assert_eq!(super::chrono_like(0), "2026-03-29T11:27:07.000000Z");
        assert_eq!(
            super::chrono_like(86_400_000 + 1),
            "2026-03-30T11:27:07.001000Z"
        );
    }
}
