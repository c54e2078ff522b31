//! A flow's request as a cURL command, to replay it or hand it on.

use shared::{Body, Request};

/// Headers a replay must not copy: hop-by-hop, or set by curl itself from
/// what it sends.
const SKIPPED: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "keep-alive",
];

/// Credential headers, sent as `$ANTHROPIC_API_KEY` unless the user asks for
/// the value in the log.
const CREDENTIALS: [&str; 3] = ["x-api-key", "authorization", "proxy-authorization"];

/// `curl` for `request` sent to `upstream` (e.g. `https://api.anthropic.com`).
/// With `keep_key` false, credentials become a reference to the caller's own
/// `$ANTHROPIC_API_KEY`, so a pasted command neither leaks nor needs the key.
pub fn curl(request: &Request, upstream: &str, keep_key: bool) -> String {
    let url = format!("{}{}", upstream.trim_end_matches('/'), request.path);
    let mut out = format!("curl {}", quote(&url));
    if request.method != "GET" {
        out.push_str(&format!(" \\\n  -X {}", quote(&request.method)));
    }
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if SKIPPED.contains(&lower.as_str()) {
            continue;
        }
        let header = if CREDENTIALS.contains(&lower.as_str()) && !keep_key {
            let value = if lower == "x-api-key" {
                "$ANTHROPIC_API_KEY".to_owned()
            } else {
                "Bearer $ANTHROPIC_API_KEY".to_owned()
            };
            // Double quotes, so the shell expands the variable.
            format!("\"{name}: {value}\"")
        } else {
            quote(&format!("{name}: {value}"))
        };
        out.push_str(&format!(" \\\n  -H {header}"));
    }
    let data = match &request.body {
        Body::Empty => None,
        Body::Json(value) => Some(value.to_string()),
        Body::Text(text) => Some(text.clone()),
        // Not representable on a command line; say so rather than send junk.
        Body::Binary(bytes) => Some(format!("<{} bytes of binary data>", bytes.len())),
    };
    if let Some(data) = data {
        out.push_str(&format!(" \\\n  --data-raw {}", quote(&data)));
    }
    out
}

/// Single-quotes for a POSIX shell: nothing inside is expanded.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> Request {
        serde_json::from_value(json!({
            "flow_id": "f", "method": "POST", "path": "/v1/messages?beta=true",
            "headers": {"host": "127.0.0.1:8000", "x-api-key": "sk-ant-…AbCd",
                        "content-type": "application/json", "content-length": "42",
                        "anthropic-version": "2023-06-01"},
            "body": {"model": "m", "messages": [{"role": "user", "content": "it's"}]}
        }))
        .unwrap()
    }

    #[test]
    fn the_key_is_the_callers_own_unless_asked_for() {
        let text = curl(&request(), "https://api.anthropic.com/", false);
        assert_eq!(
            text,
            "curl 'https://api.anthropic.com/v1/messages?beta=true' \\\n  -X 'POST' \\\n  -H \"x-api-key: $ANTHROPIC_API_KEY\" \\\n  -H 'content-type: application/json' \\\n  -H 'anthropic-version: 2023-06-01' \\\n  --data-raw '{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"it'\\''s\"}]}'"
        );
        let kept = curl(&request(), "https://api.anthropic.com", true);
        assert!(kept.contains("-H 'x-api-key: sk-ant-…AbCd'"), "{kept}");
        assert!(!kept.contains("host:") && !kept.contains("content-length"));
    }
}
