//! Trace and span ids derived from what the log recorded, never random: a
//! session exported twice (or exported live and then again from its file)
//! gives the backend the same ids, and it keeps one copy.

use opentelemetry::trace::{SpanId, TraceId};
use sha2::{Digest, Sha256};
use shared::FlowId;

/// One Claude Code session is one trace. Its session id is a UUID, which is
/// used as the trace id itself so that a user can search the backend for
/// it; any other id is hashed. A flow outside any session is a trace of its own.
pub fn trace_id(session: Option<&str>, flow: &FlowId) -> TraceId {
    match session {
        Some(session) => match uuid_bytes(session) {
            Some(bytes) => TraceId::from_bytes(bytes),
            None => TraceId::from_bytes(digest(&["session", session])),
        },
        None => TraceId::from_bytes(digest(&["flow", flow.as_str()])),
    }
}

/// A flow's span id: the flow id itself when it is the proxy's 16 hex
/// digits, a hash of it otherwise (a hand-made log).
pub fn span_id(flow: &FlowId) -> SpanId {
    let id = flow.as_str();
    if id.len() == 16 {
        if let Ok(n) = u64::from_str_radix(id, 16) {
            if n != 0 {
                return SpanId::from_bytes(n.to_be_bytes());
            }
        }
    }
    let bytes: [u8; 16] = digest(&["span", id]);
    let mut half = [0u8; 8];
    half.copy_from_slice(&bytes[..8]);
    if half == [0; 8] {
        // The all-zero id means "no span"; a hash that gives it is nudged.
        half[7] = 1;
    }
    SpanId::from_bytes(half)
}

fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let n = u128::from_str_radix(&hex, 16).ok()?;
    (n != 0).then(|| n.to_be_bytes())
}

fn digest(parts: &[&str]) -> [u8; 16] {
    let mut hash = Sha256::new();
    for part in parts {
        // Length-prefixed, so that no two different lists hash alike.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let full = hash.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(id: &str) -> FlowId {
        FlowId(id.into())
    }

    #[test]
    fn a_claude_code_session_id_is_the_trace_id() {
        let session = "3f2b8c1e-9d4a-4b7e-8a21-0c5d6e7f8a9b";
        let id = trace_id(Some(session), &flow("00000000000000aa"));
        assert_eq!(id.to_string(), "3f2b8c1e9d4a4b7e8a210c5d6e7f8a9b");
        assert_eq!(
            id,
            trace_id(Some(session), &flow("00000000000000bb")),
            "every call of a session is in its trace"
        );
    }

    #[test]
    fn other_ids_hash_to_the_same_trace_every_time() {
        let a = trace_id(Some("not a uuid"), &flow("1"));
        assert_eq!(a, trace_id(Some("not a uuid"), &flow("2")));
        assert_ne!(a, trace_id(Some("another"), &flow("1")));
        assert_ne!(a, TraceId::INVALID);
        let lone = trace_id(None, &flow("1"));
        assert_eq!(lone, trace_id(None, &flow("1")));
        assert_ne!(
            lone,
            trace_id(None, &flow("2")),
            "a lone flow is its own trace"
        );
    }

    #[test]
    fn the_proxys_flow_ids_are_the_span_ids() {
        assert_eq!(
            span_id(&flow("0123456789abcdef")).to_string(),
            "0123456789abcdef"
        );
        let odd = span_id(&flow("flow-1"));
        assert_eq!(odd, span_id(&flow("flow-1")));
        assert_ne!(odd, SpanId::INVALID);
        assert_ne!(span_id(&flow("0000000000000000")), SpanId::INVALID);
    }
}
