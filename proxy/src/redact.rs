//! Keeps credentials out of the log and the UI while leaving enough of each
//! to tell two keys apart (`sk-ant-…AbCd`).

use http::HeaderMap;
use shared::Headers;

// The UI needs the same judgement (a copied cURL command), so it lives in `shared`.
pub use shared::secrets::is_credential_header;

const TAIL: usize = 4;
/// Values shorter than this are hidden whole: a 4-character tail would be most of them.
const MIN_LEN_FOR_TAIL: usize = 12;
const KNOWN_PREFIXES: &[&str] = &["sk-ant-", "Bearer ", "Basic ", "bearer ", "basic "];

/// `sk-ant-api03-…` becomes `sk-ant-…AbCd`; short values become `…`.
///
/// A value this already produced is returned as is, so that redacting a log
/// again (an export of an already redacted log) keeps the tails that tell
/// keys apart. Such a value holds at most its 4-character tail of a secret.
pub fn redact_value(value: &str) -> String {
    let prefix = KNOWN_PREFIXES
        .iter()
        .find(|p| value.starts_with(*p))
        .copied()
        .unwrap_or("");
    let secret = &value[prefix.len()..];
    if let Some(tail) = secret.strip_prefix('…') {
        if tail.chars().count() <= TAIL {
            return value.to_owned();
        }
    }
    let chars = secret.chars().count();
    if chars < MIN_LEN_FOR_TAIL {
        return format!("{prefix}…");
    }
    let tail: String = secret.chars().skip(chars - TAIL).collect();
    format!("{prefix}…{tail}")
}

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

/// Redacts the values of credential-like query parameters in a path.
pub fn redact_path(path: &str) -> String {
    shared::secrets::map_query_credentials(path, redact_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_prefix_and_a_short_tail() {
        assert_eq!(
            redact_value("sk-ant-api03-abcdefghijklmnopAbCd"),
            "sk-ant-…AbCd"
        );
        assert_eq!(
            redact_value("Bearer eyJhbGciOiJIUzI1NiJ9.payload.WXYZ"),
            "Bearer …WXYZ"
        );
        assert_eq!(redact_value("short"), "…");
        assert_eq!(redact_value("sk-ant-tiny"), "sk-ant-…");
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        for raw in [
            "sk-ant-api03-abcdefghijklmnopAbCd",
            "Bearer eyJhbGciOiJIUzI1NiJ9.payload.WXYZ",
            "session=abcdefghijklmnop",
            "short",
        ] {
            let once = redact_value(raw);
            assert_eq!(redact_value(&once), once, "{raw}");
        }
        // Only the redactor's own shape passes: a longer tail is a secret.
        assert_eq!(redact_value("…abcdefghijklmnop"), "…mnop");
        let path = redact_path("/v1/messages?api_key=sk-ant-api03-zzzzzzzzzzzzQRST");
        assert_eq!(redact_path(&path), path);
    }

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

    #[test]
    fn credential_query_parameters_are_redacted() {
        assert_eq!(
            redact_path(
                "/v1/messages?beta=true&api_key=sk-ant-api03-zzzzzzzzzzzzQRST&key=abcdefghijklmnop"
            ),
            "/v1/messages?beta=true&api_key=sk-ant-…QRST&key=…mnop"
        );
        assert_eq!(
            redact_path("/v1/messages?beta=true"),
            "/v1/messages?beta=true"
        );
        assert_eq!(redact_path("/"), "/");
    }
}
