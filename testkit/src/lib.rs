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

/// A port free on 127.0.0.1 now, for a child process to listen on.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until `child` accepts connections on `port`: an error if it exits
/// first or is not listening within 10 seconds.
pub(crate) fn wait_until_listening(
    child: &mut std::process::Child,
    port: u16,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("it exited ({status}) before listening on port {port}");
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("it was not listening on port {port} after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}

/// reqwest is built without a TLS provider (the proxy picks ring, see
/// `proxy::tls`); a test process installs the same one before its first client.
pub fn install_crypto_provider() {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_child_that_exits_before_listening_is_an_error_saying_so() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let port = super::free_port().unwrap();
        let message = format!(
            "{:#}",
            super::wait_until_listening(&mut child, port).unwrap_err()
        );
        assert!(
            message.contains("exited") && message.contains(&port.to_string()),
            "{message}"
        );
    }
}
