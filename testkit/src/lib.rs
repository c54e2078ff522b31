//! Test support shared by the integration tests, the end-to-end tests and the
//! benchmark: a mock of the Anthropic API ([`mock`]), the SSE scripts it plays
//! ([`script`]), and a driver for the real `trace_claude` binary ([`binary`]).

pub mod binary;
pub mod mock;
pub mod nginx;
pub mod otlp_sink;
pub mod phoenix;
pub mod relay;
pub mod script;
pub mod session_gen;

pub use binary::{ended_events, TraceClaude, Viewer};

/// An HTTP client for tests: straight to 127.0.0.1, never through a proxy
/// the environment may name.
pub fn client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a default reqwest client builds")
}
pub use mock::{MockUpstream, OAUTH_ACCESS_TOKEN, OAUTH_REFRESH_TOKEN};

/// reqwest is built without a TLS provider (the proxy picks ring, see
/// `proxy::tls`); a test process installs the same one before its first client.
pub fn install_crypto_provider() {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
