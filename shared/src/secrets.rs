//! Which header and query parameter names carry credentials, and how a
//! credential is masked: the proxy redacts them in the log, exports redact
//! them again, and the UI leaves them out of what it copies.
//!
//! A masked value keeps enough to tell two keys apart (`sk-ant-…AbCd`).

use crate::Headers;

const TAIL: usize = 4;
/// Values shorter than this are hidden whole: a 4-character tail would be most of them.
const MIN_LEN_FOR_TAIL: usize = 12;
const KNOWN_PREFIXES: &[&str] = &["sk-ant-", "Bearer ", "Basic ", "bearer ", "basic "];

/// Whether a header carries a credential. Besides the well-known names, any
/// header named like a key, token or secret is treated as one: a false alarm
/// costs a redacted value, a miss leaks a key.
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "x-api-key" | "cookie" | "set-cookie"
    ) || [
        "api-key",
        "apikey",
        "token",
        "secret",
        "password",
        "credential",
        "auth",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Whether a query parameter carries a credential.
pub fn is_credential_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "key",
        "token",
        "secret",
        "password",
        "auth",
        "signature",
        "sig",
        "code",
    ]
    .iter()
    .any(|word| {
        name == *word || name.ends_with(&format!("_{word}")) || name.ends_with(&format!("-{word}"))
    }) || name.contains("apikey")
        || name.contains("api_key")
}

/// `path` with the value of each credential-named query parameter replaced
/// by `replace(value)`; empty values stay empty.
pub fn map_query_credentials(path: &str, replace: impl Fn(&str) -> String) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_credential_param(name) && !value.is_empty() => {
                format!("{name}={}", replace(value))
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

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

/// Redacts the values of credential-like query parameters in a path.
pub fn redact_path(path: &str) -> String {
    map_query_credentials(path, redact_value)
}

/// JSON keys whose string values are credentials wherever they appear: the
/// OAuth token exchange and refresh (both ways), and the like.
const CREDENTIAL_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
    "client_secret",
    "password",
    "api_key",
    "session_key",
];

/// Redacts credentials in a JSON body in place: the string values of
/// [`CREDENTIAL_KEYS`], an authorization `code` beside a `grant_type`, and
/// any string that is an Anthropic key or token (`sk-ant-…`). Returns whether
/// anything was redacted.
pub fn redact_json_credentials(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let grant = map.contains_key("grant_type");
            let mut changed = false;
            for (key, item) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                if let Value::String(text) = item {
                    if CREDENTIAL_KEYS.contains(&key.as_str())
                        || (grant && key == "code")
                        || text.starts_with("sk-ant-")
                    {
                        let masked = redact_value(text);
                        changed |= masked != *text;
                        *text = masked;
                    }
                } else {
                    changed |= redact_json_credentials(item);
                }
            }
            changed
        }
        Value::Array(items) => {
            // Every item, not only up to the first with a credential.
            let mut changed = false;
            for item in items {
                changed |= redact_json_credentials(item);
            }
            changed
        }
        Value::String(text) if text.starts_with("sk-ant-") => {
            *text = redact_value(text);
            true
        }
        _ => false,
    }
}

/// Redacts the values of credential headers in place, others kept.
pub fn redact_headers(headers: &mut Headers) {
    for (name, value) in headers.iter_mut() {
        if is_credential_header(name) {
            *value = redact_value(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_tokens_in_bodies_are_redacted_both_ways() {
        let mut exchange = serde_json::json!({
            "grant_type": "authorization_code",
            "code": "ac_0123456789abcdefghij",
            "code_verifier": "verifier0123456789abcdef",
            "client_id": "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
            "redirect_uri": "https://platform.claude.com/oauth/code/callback"
        });
        assert!(redact_json_credentials(&mut exchange));
        assert_eq!(exchange["code"], "…ghij");
        assert_eq!(exchange["code_verifier"], "…cdef");
        assert_eq!(
            exchange["client_id"],
            "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
        );
        let mut answer = serde_json::json!({
            "token_type": "Bearer",
            "access_token": "sk-ant-oat01-AAAAAAAAAAAAAAAAAAAAAAAAwxyz",
            "refresh_token": "sk-ant-ort01-BBBBBBBBBBBBBBBBBBBBBBBBabcd",
            "expires_in": 28800,
            "account": {"uuid": "u-1", "email_address": "dev@example.com"},
            "nested": [{"session_key": "sk-ant-sid01-CCCCCCCCCCCCCCCC1234"}]
        });
        assert!(redact_json_credentials(&mut answer));
        let text = answer.to_string();
        for secret in ["AAAAAAAA", "BBBBBBBB", "CCCCCCCC"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(answer["access_token"], "sk-ant-…wxyz");
        assert_eq!(answer["expires_in"], 28800);
        // A plain `code` elsewhere (an error code) is not a credential.
        let mut error = serde_json::json!({"error": {"code": "rate_limited"}});
        assert!(!redact_json_credentials(&mut error));
        assert_eq!(error["error"]["code"], "rate_limited");
    }

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

    #[test]
    fn credential_headers_are_redacted_in_place_others_kept() {
        let mut headers = Headers::new();
        headers.insert(
            "x-api-key".into(),
            "sk-ant-api03-secretsecretsecretWXYZ".into(),
        );
        headers.insert("cookie".into(), "session=abcdefghijklmnop".into());
        headers.insert("anthropic-version".into(), "2023-06-01".into());
        redact_headers(&mut headers);
        assert_eq!(headers["x-api-key"], "sk-ant-…WXYZ");
        assert_eq!(headers["cookie"], "…mnop");
        assert_eq!(headers["anthropic-version"], "2023-06-01");
    }
}
