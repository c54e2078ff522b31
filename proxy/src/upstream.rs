//! The upstream the proxy forwards to: its base URL and how a request path maps onto it.

/// A parsed, checked upstream base URL such as `https://api.anthropic.com`.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The URL without a trailing slash, so that request paths append directly.
    base: String,
    /// `host[:port]` as the upstream expects it in `Host`.
    authority: String,
    tls: bool,
    /// The host to connect to (an IPv6 address without its brackets).
    host: String,
    port: u16,
    /// The base URL's path, without a trailing slash: what request paths
    /// are appended to.
    prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UpstreamUrlError {
    #[error("upstream URL {0:?} does not parse: {1}")]
    Parse(String, String),
    #[error("upstream URL {0:?} must start with http:// or https://")]
    Scheme(String),
    #[error("upstream URL {0:?} has no host")]
    NoHost(String),
    #[error("upstream URL {0:?} must not have a query string or fragment")]
    Query(String),
}

impl Upstream {
    pub fn parse(text: &str) -> Result<Self, UpstreamUrlError> {
        let url = reqwest::Url::parse(text)
            .map_err(|e| UpstreamUrlError::Parse(text.to_owned(), e.to_string()))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(UpstreamUrlError::Scheme(text.to_owned()));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| UpstreamUrlError::NoHost(text.to_owned()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(UpstreamUrlError::Query(text.to_owned()));
        }
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let tls = url.scheme() == "https";
        Ok(Upstream {
            base: url.as_str().trim_end_matches('/').to_owned(),
            authority,
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: url.port().unwrap_or(if tls { 443 } else { 80 }),
            prefix: url.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The request target upstream for a request's path and query (which
    /// starts with `/`), appended as sent: nothing is re-encoded.
    pub fn path_for(&self, path_and_query: &str) -> String {
        let mut path = String::with_capacity(self.prefix.len() + path_and_query.len());
        path.push_str(&self.prefix);
        path.push_str(path_and_query);
        path
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_onto_the_base() {
        let u = Upstream::parse("https://api.anthropic.com/").unwrap();
        assert_eq!(
            u.path_for("/v1/messages?beta=true"),
            "/v1/messages?beta=true"
        );
        assert_eq!(u.authority(), "api.anthropic.com");
        assert_eq!(
            (u.is_tls(), u.host(), u.port()),
            (true, "api.anthropic.com", 443)
        );
        let prefixed = Upstream::parse("http://127.0.0.1:9/gateway/").unwrap();
        assert_eq!(prefixed.path_for("/v1/messages"), "/gateway/v1/messages");
        assert_eq!(prefixed.authority(), "127.0.0.1:9");
        assert_eq!(
            (prefixed.is_tls(), prefixed.host(), prefixed.port()),
            (false, "127.0.0.1", 9)
        );
        let v6 = Upstream::parse("http://[::1]:8080").unwrap();
        assert_eq!(
            (v6.host(), v6.port(), v6.authority()),
            ("::1", 8080, "[::1]:8080")
        );
        // Sent as the client wrote it, not normalized.
        assert_eq!(u.path_for("/v1/a/../b?q=%7e"), "/v1/a/../b?q=%7e");
    }

    #[test]
    fn rejects_what_cannot_be_an_upstream() {
        for bad in ["not a url", "ftp://x", "https://", "http://h/?q=1"] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }
}
