//! Which header and query parameter names carry credentials: the proxy
//! redacts them in the log, and the UI leaves them out of what it copies.

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
