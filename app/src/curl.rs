//! A flow's request as a cURL command, to replay it or hand it on.

use shared::secrets::{is_credential_header, map_query_credentials};
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

/// `curl` for `request` sent to `upstream` (e.g. `https://api.anthropic.com`).
/// With `keep_key` false, credentials become references to the caller's own
/// (`$ANTHROPIC_API_KEY`, or `$ANTHROPIC_AUTH_TOKEN` for a bearer token, as
/// Claude Code names them), other credential headers are left out and
/// credential query values blanked: a pasted command leaks nothing.
pub fn curl(request: &Request, upstream: &str, keep_key: bool) -> String {
    let path = if keep_key {
        request.path.clone()
    } else {
        map_query_credentials(&request.path, |_| "REDACTED".to_owned())
    };
    let url = format!("{}{}", upstream.trim_end_matches('/'), path);
    let mut out = format!("curl {}", quote(&url));
    if request.method != "GET" {
        out.push_str(&format!(" \\\n  -X {}", quote(&request.method)));
    }
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if SKIPPED.contains(&lower.as_str()) {
            continue;
        }
        let header = if keep_key || !is_credential_header(&lower) {
            quote(&format!("{name}: {value}"))
        } else {
            // Double quotes, so the shell expands the variable.
            match lower.as_str() {
                "x-api-key" => format!("\"{name}: $ANTHROPIC_API_KEY\""),
                "authorization" => format!("\"{name}: Bearer $ANTHROPIC_AUTH_TOKEN\""),
                _ => continue,
            }
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

    #[test]
    fn every_credential_stays_out_unless_asked_for() {
        let mut r = request();
        r.path = "/v1/messages?beta=true&api_key=sk-ant-SECRET1".to_owned();
        r.headers.shift_remove("x-api-key");
        for (name, value) in [
            ("authorization", "Bearer sk-ant-oat-SECRET2"),
            ("cookie", "session=SECRET3"),
            ("x-auth-token", "SECRET4"),
        ] {
            r.headers.insert(name.to_owned(), value.to_owned());
        }
        let text = curl(&r, "https://api.anthropic.com", false);
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("?beta=true&api_key=REDACTED'"), "{text}");
        assert!(
            text.contains("-H \"authorization: Bearer $ANTHROPIC_AUTH_TOKEN\""),
            "{text}"
        );
        let kept = curl(&r, "https://api.anthropic.com", true);
        for secret in ["SECRET1", "SECRET2", "SECRET3", "SECRET4"] {
            assert!(kept.contains(secret), "{kept}");
        }
    }
}
