//! GETs to the page's own API, from the browser.

/// Fetches `url` from this page's server and parses its JSON answer.
#[cfg(feature = "hydrate")]
pub async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("cannot reach the server: {e:?}"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| "the server's answer is not a response".to_owned())?;
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("the answer was cut short: {e:?}"))?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        return Err(format!("{} {}", response.status(), text.trim()));
    }
    serde_json::from_str(&text).map_err(|e| format!("unreadable answer: {e}"))
}

/// `path` of this page's API, asked about `session`: `session=NAME` joins
/// its query. None asks about the server's default session, the live one.
pub fn session_url(path: &str, session: Option<&str>) -> String {
    match session {
        Some(name) => {
            let join = if path.contains('?') { '&' } else { '?' };
            format!("{path}{join}session={}", encode(name))
        }
        None => path.to_owned(),
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_what_a_query_cannot_hold() {
        assert_eq!(super::encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            super::session_url("/api/flows", Some("s (2)")),
            "/api/flows?session=s%20%282%29"
        );
        assert_eq!(
            super::session_url("/api/search?q=a", Some("s")),
            "/api/search?q=a&session=s"
        );
        assert_eq!(super::session_url("/api/flows", None), "/api/flows");
    }
}
