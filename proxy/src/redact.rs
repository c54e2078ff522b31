//! Keeps credentials out of the log: the headers of an exchange as the log
//! records them. Which values are credentials and how they are masked is
//! `shared::secrets`, which exports and the UI use too.

use http::HeaderMap;
use shared::secrets::{is_credential_header, redact_value};
use shared::Headers;

/// Converts headers for the log, redacting credentials unless `redact` is off.
/// Repeated headers are joined with ", " so each name maps to one string.
pub fn log_headers(headers: &HeaderMap, redact: bool) -> Headers {
    let mut out = Headers::with_capacity(headers.keys_len());
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes());
        let text = if redact && is_credential_header(name.as_str()) {
            redact_value(&text)
        } else {
            text.into_owned()
        };
        out.entry(name.as_str().to_owned())
            .and_modify(|joined: &mut String| {
                joined.push_str(", ");
                joined.push_str(&text);
            })
            .or_insert(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_redacted_others_kept() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-api-key",
            "sk-ant-api03-secretsecretsecretWXYZ".parse().unwrap(),
        );
        h.insert(
            "authorization",
            "Bearer sk-ant-oat01-secretsecret1234".parse().unwrap(),
        );
        h.append("cookie", "session=abcdefghijklmnop".parse().unwrap());
        h.insert("x-claude-code-session-id", "42eafd0f-7f18".parse().unwrap());
        h.insert("anthropic-beta", "a".parse().unwrap());
        h.append("anthropic-beta", "b".parse().unwrap());
        let logged = log_headers(&h, true);
        assert_eq!(logged["x-api-key"], "sk-ant-…WXYZ");
        assert_eq!(logged["authorization"], "Bearer …1234");
        assert_eq!(logged["cookie"], "…mnop");
        assert_eq!(logged["x-claude-code-session-id"], "42eafd0f-7f18");
        assert_eq!(logged["anthropic-beta"], "a, b");
        let raw = log_headers(&h, false);
        assert_eq!(raw["x-api-key"], "sk-ant-api03-secretsecretsecretWXYZ");
    }
}
