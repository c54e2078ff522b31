//! How a request reached the proxy, and where it goes from here.
//!
//! - `CONNECT host:port` (forward mode, `HTTPS_PROXY`): with the proxy's
//!   token, an intercepted host's tunnel is decrypted with a certificate
//!   from the proxy's CA and each request in it is forwarded and recorded;
//!   any other host is tunnelled untouched (`tunnel.rs`). Without the token,
//!   407.
//! - `GET http://host/…` (absolute form, `HTTP_PROXY`): with the token,
//!   forwarded to that URL and recorded. An absolute URI naming the proxy
//!   itself is a reverse-mode request that came through a client's proxy
//!   setting.
//! - `POST /v1/messages` (origin form, `ANTHROPIC_BASE_URL`): reverse mode,
//!   to the configured upstream.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http::header::{HeaderValue, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION};
use http::Method;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use shared::CaptureMode;

use crate::forward::{error_response, Destination, ProxyBody};
use crate::shutdown::Running;
use crate::{ForwardConfig, Proxy, Upstream};

type Answer = Result<hyper::Response<ProxyBody>, Infallible>;

impl Proxy {
    /// Every request the proxy port receives starts here.
    pub(crate) async fn handle(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
        local: Option<SocketAddr>,
        running: Running,
    ) -> Answer {
        if req.method() == Method::CONNECT {
            return self.connect(req, running).await;
        }
        let Some(authority) = req.uri().authority().cloned() else {
            let reverse = Arc::clone(&self.reverse);
            return self.forward(req, reverse).await;
        };
        if is_this_proxy(&authority, local) {
            let reverse = Arc::clone(&self.reverse);
            return self.forward(req, reverse).await;
        }
        let Some(forward) = &self.config.forward else {
            return Ok(refused_forwarding());
        };
        if !authorized(&req, forward) {
            return Ok(proxy_auth_required());
        }
        if req.uri().scheme_str() != Some("http") {
            return Ok(error_response(
                400,
                "invalid_request_error",
                "trace_claude: only http:// URLs can be sent to a proxy without CONNECT",
            ));
        }
        let destination = match Upstream::parse(&format!("http://{authority}")) {
            Ok(upstream) => Arc::new(Destination::new(upstream, CaptureMode::Forward)),
            Err(e) => return Ok(error_response(400, "invalid_request_error", &e.to_string())),
        };
        self.forward(req, destination).await
    }

    async fn connect(self: Arc<Self>, req: hyper::Request<Incoming>, running: Running) -> Answer {
        let Some(forward) = self.config.forward.clone() else {
            return Ok(refused_forwarding());
        };
        if !authorized(&req, &forward) {
            return Ok(proxy_auth_required());
        }
        let Some(authority) = req.uri().authority().cloned() else {
            return Ok(error_response(
                400,
                "invalid_request_error",
                "trace_claude: CONNECT needs host:port",
            ));
        };
        let host = authority
            .host()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(443);
        if !forward.intercepts(&host) {
            return Ok(self.tunnel(req, host, port, running).await);
        }
        let tls = match forward.authority.server_config(&host) {
            Ok(tls) => tls,
            Err(e) => {
                return Ok(error_response(
                    502,
                    "api_error",
                    &format!("trace_claude: {e}"),
                ));
            }
        };
        let base = if port == 443 {
            format!("https://{host}")
        } else {
            format!("https://{host}:{port}")
        };
        let destination = match Upstream::parse(&base) {
            Ok(upstream) => Arc::new(Destination::new(upstream, CaptureMode::Forward)),
            Err(e) => return Ok(error_response(400, "invalid_request_error", &e.to_string())),
        };
        let proxy = Arc::clone(&self);
        tokio::spawn(async move {
            // Held while the decrypted connection runs: shutdown waits for it.
            let _running = running;
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            // A client that does not trust the CA closes the handshake: that
            // is its answer, there is nothing to record.
            let Ok(stream) = acceptor.accept(TokioIo::new(upgraded)).await else {
                return;
            };
            let stop = proxy.stopper.signal();
            let service = {
                let proxy = Arc::clone(&proxy);
                service_fn(move |req| {
                    let (proxy, destination) = (Arc::clone(&proxy), Arc::clone(&destination));
                    async move {
                        if crate::websocket::is_upgrade(&req) {
                            proxy.websocket(req, destination).await
                        } else {
                            proxy.forward(req, destination).await
                        }
                    }
                })
            };
            crate::serve_connection(TokioIo::new(stream), service, stop).await;
        });
        Ok(connection_established())
    }
}

/// An absolute URI naming the proxy's own address (a client whose
/// `HTTP_PROXY` also covers its `ANTHROPIC_BASE_URL`).
fn is_this_proxy(authority: &http::uri::Authority, local: Option<SocketAddr>) -> bool {
    let Some(local) = local else { return false };
    let port_matches = authority.port_u16() == Some(local.port());
    let host = authority.host().trim_matches(['[', ']']);
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip == local.ip() || ip.is_loopback());
    port_matches && loopback
}

/// Whether the request carries the proxy's token: as the password of
/// `Basic` credentials (what a client makes of `http://user:TOKEN@host`),
/// or as a `Bearer` token.
fn authorized<B>(req: &hyper::Request<B>, forward: &ForwardConfig) -> bool {
    let Some(value) = req
        .headers()
        .get(PROXY_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let (scheme, credentials) = value.trim().split_once(' ').unwrap_or(("", ""));
    let presented = if scheme.eq_ignore_ascii_case("basic") {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credentials.trim())
        else {
            return false;
        };
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        match decoded.split_once(':') {
            Some((_, password)) => password.to_owned(),
            None => return false,
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_owned()
    } else {
        return false;
    };
    same_secret(presented.as_bytes(), forward.token.as_bytes())
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn connection_established() -> hyper::Response<ProxyBody> {
    hyper::Response::new(Either::Left(Full::new(Bytes::new())))
}

fn proxy_auth_required() -> hyper::Response<ProxyBody> {
    let mut response = error_response(
        407,
        "authentication_error",
        "trace_claude: this proxy needs its token; run the client with `trace_claude run --mitm`",
    );
    response.headers_mut().insert(
        PROXY_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"trace_claude\""),
    );
    response
}

fn refused_forwarding() -> hyper::Response<ProxyBody> {
    error_response(
        405,
        "invalid_request_error",
        "trace_claude: forward capture is off on this proxy",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
    }

    #[test]
    fn only_the_proxys_own_address_is_reverse_mode() {
        let local: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        let auth = |s: &str| s.parse::<http::uri::Authority>().unwrap();
        assert!(is_this_proxy(&auth("127.0.0.1:8000"), Some(local)));
        assert!(is_this_proxy(&auth("localhost:8000"), Some(local)));
        assert!(!is_this_proxy(&auth("127.0.0.1:8001"), Some(local)));
        assert!(!is_this_proxy(&auth("api.anthropic.com:8000"), Some(local)));
    }
}
