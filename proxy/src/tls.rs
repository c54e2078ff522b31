//! TLS to the upstream: rustls with the ring provider, verifying against the
//! system's roots (rustls-platform-verifier, so `SSL_CERT_FILE` works too).

use std::sync::{Arc, Once};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// A reqwest client builder whose TLS uses ring.
///
/// reqwest is built without a default provider, so one must be installed for
/// the process before any client is made; doing it here, once, keeps every
/// caller (the proxy, the test kit) on the same provider.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_provider();
    reqwest::Client::builder()
}

fn install_provider() {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Err means another provider is already installed: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Whether `pem` holds at least one certificate, every one readable.
pub fn check_pem_bundle(pem: &[u8]) -> Result<(), String> {
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        cert.map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
        count += 1;
    }
    if count == 0 {
        return Err("no certificate in the file".into());
    }
    Ok(())
}

/// The rustls client configuration of every connection the proxy makes to
/// an upstream (forwarded requests, WebSockets): the platform's roots plus
/// `extra_pems`, speaking HTTP/1.1.
pub fn upstream_config(extra_pems: &[Vec<u8>]) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    install_provider();
    let extra: Vec<CertificateDer<'static>> = extra_pems
        .iter()
        .flat_map(|pem| CertificateDer::pem_slice_iter(pem).filter_map(Result::ok))
        .collect();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(&provider))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
