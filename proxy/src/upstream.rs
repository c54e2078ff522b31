//! The upstream the proxy forwards to: its base URL and how a request path maps onto it.

/// A parsed, checked upstream base URL such as `https://api.anthropic.com`.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The URL without a trailing slash, so that request paths append directly.
    base: String,
    /// `host[:port]` as the upstream expects it in `Host`.
    authority: String,
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
        Ok(Upstream {
            base: url.as_str().trim_end_matches('/').to_owned(),
            authority,
        })
    }

    /// The upstream URL for a request's path and query (which starts with `/`).
    pub fn url_for(&self, path_and_query: &str) -> String {
        let mut url = String::with_capacity(self.base.len() + path_and_query.len());
        url.push_str(&self.base);
        url.push_str(path_and_query);
        url
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
            u.url_for("/v1/messages?beta=true"),
            "https://api.anthropic.com/v1/messages?beta=true"
        );
        assert_eq!(u.authority(), "api.anthropic.com");
        let prefixed = Upstream::parse("http://127.0.0.1:9/gateway").unwrap();
        assert_eq!(
            prefixed.url_for("/v1/messages"),
            "http://127.0.0.1:9/gateway/v1/messages"
        );
        assert_eq!(prefixed.authority(), "127.0.0.1:9");
    }

    #[test]
    fn rejects_what_cannot_be_an_upstream() {
        for bad in ["not a url", "ftp://x", "https://", "http://h/?q=1"] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }
}
