//! Credentials in an export: redacted as the proxy redacts the log, by the
//! same `shared::secrets` masking.
//!
//! The log is already redacted unless it was recorded with `--no-redact`;
//! redacting again is harmless (the proxy's redaction leaves its own output
//! alone), so an export is redacted whichever way its log was written.

use shared::secrets::{redact_headers, redact_json_credentials, redact_path};
use shared::{Body, Category, Event, EventKind};

/// Redacts credential headers, query parameters and OAuth tokens in bodies
/// of one event in place.
pub fn redact(event: &mut Event) {
    match &mut event.kind {
        EventKind::Request(r) => {
            redact_headers(&mut r.headers);
            r.path = redact_path(&r.path);
            // A model's request is the user's own text, left as sent.
            if Category::of(r.host.as_deref(), &r.path) != Category::Inference {
                if let Body::Json(body) = &mut r.body {
                    redact_json_credentials(body);
                }
            }
        }
        EventKind::ResponseHeaders(r) => redact_headers(&mut r.headers),
        EventKind::Response(r) => {
            if let Body::Json(body) = &mut r.body {
                redact_json_credentials(body);
            }
        }
        EventKind::WebSocket(m) => {
            if let Body::Json(data) = &mut m.data {
                redact_json_credentials(data);
            }
        }
        EventKind::Sse(_) | EventKind::StreamEnd(_) | EventKind::Tunnel(_) => {}
        EventKind::Error(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str, path: &str) -> Event {
        serde_json::from_value(serde_json::json!({
            "ts": "2026-03-29T11:27:07.000001Z", "type": "request", "flow_id": "f",
            "method": "POST", "path": path,
            "headers": {"x-api-key": key, "anthropic-version": "2023-06-01"},
            "body": null
        }))
        .unwrap()
    }

    fn parts(event: &Event) -> (String, String, String) {
        let EventKind::Request(r) = &event.kind else {
            panic!("not a request")
        };
        (
            r.headers["x-api-key"].clone(),
            r.headers["anthropic-version"].clone(),
            r.path.clone(),
        )
    }

    #[test]
    fn raw_credentials_are_redacted_and_redacted_ones_kept() {
        let mut raw = request(
            "sk-ant-api03-SECRETSECRETSECRET-WXYZ",
            "/v1/messages?beta=true&api_key=sk-ant-api03-zzzzzzzzzzzzQRST",
        );
        redact(&mut raw);
        assert_eq!(
            parts(&raw),
            (
                "sk-ant-…WXYZ".into(),
                "2023-06-01".into(),
                "/v1/messages?beta=true&api_key=sk-ant-…QRST".into()
            )
        );
        let mut again = raw.clone();
        redact(&mut again);
        assert_eq!(again, raw);
    }
}
