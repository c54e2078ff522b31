//! TLS to the upstream: rustls with the ring provider, verifying against the
//! system's roots (rustls-platform-verifier, so `SSL_CERT_FILE` works too).

use std::sync::Once;

/// A reqwest client builder whose TLS uses ring.
///
/// reqwest is built without a default provider, so one must be installed for
/// the process before any client is made; doing it here, once, keeps every
/// caller (the proxy, the test kit) on the same provider.
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Err means another provider is already installed: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
