//! A WebSocket inside an intercepted host (Remote Control): the upgrade is
//! forwarded as sent, the 101 comes back as the host sent it, and from then
//! on the bytes pass through untouched both ways while a copy goes to the
//! recorder, which reads the messages back out (`ws_frames.rs`).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http_body_util::{BodyExt, Either, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use shared::ErrorStage;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::forward::{error_chain, error_response, Destination, FlowReporter, ProxyBody};
use crate::recorder::{Backlog, Observation};
use crate::{resolve, Proxy};

/// A request to switch to the WebSocket protocol.
pub(crate) fn is_upgrade<B>(req: &hyper::Request<B>) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"))
}

impl Proxy {
    pub(crate) async fn websocket(
        self: Arc<Self>,
        mut req: hyper::Request<Incoming>,
        destination: Arc<Destination>,
    ) -> Result<hyper::Response<ProxyBody>, Infallible> {
        let reporter = FlowReporter::new(self.observations.clone());
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let mut headers = req.headers().clone();
        // The proxy's token is for the proxy.
        headers.remove(header::PROXY_AUTHORIZATION);
        headers.remove(header::HOST);
        self.report_request(
            &reporter,
            &destination,
            req.method(),
            &path,
            &headers,
            Bytes::new(),
        );
        let client_side = hyper::upgrade::on(&mut req);

        let fail = |message: String| {
            reporter.failed(ErrorStage::Upstream, message.clone(), Some(502));
            Ok(error_response(502, "api_error", &message))
        };
        let stream = match self.connect_tls(&destination).await {
            Ok(stream) => stream,
            Err(e) => {
                return fail(format!(
                    "trace_claude could not reach the upstream {}: {e}",
                    destination.upstream.as_str()
                ))
            }
        };
        let (mut sender, connection) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(pair) => pair,
                Err(e) => return fail(format!("the upstream's HTTP failed: {}", error_chain(&e))),
            };
        tokio::spawn(connection.with_upgrades());
        let mut upstream_req = hyper::Request::new(Empty::<Bytes>::new());
        *upstream_req.method_mut() = req.method().clone();
        *upstream_req.uri_mut() = match path.parse() {
            Ok(uri) => uri,
            Err(_) => return fail(format!("the path {path:?} cannot be sent on")),
        };
        *upstream_req.headers_mut() = headers;
        if let Ok(host) = HeaderValue::from_str(&destination.host) {
            upstream_req.headers_mut().insert(header::HOST, host);
        }
        let mut response = match sender.send_request(upstream_req).await {
            Ok(response) => response,
            Err(e) => {
                return fail(format!(
                    "the upstream did not answer the upgrade: {}",
                    error_chain(&e)
                ))
            }
        };
        let status = response.status();
        reporter.report(Observation::ResponseHead {
            status: status.as_u16(),
            headers: response.headers().clone(),
            streaming: false,
            content_encoding: None,
        });
        if status != http::StatusCode::SWITCHING_PROTOCOLS {
            // Refused: the answer goes back as it came, whole.
            let head = response.headers().clone();
            let body = match response.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => return fail(format!("the upstream's answer broke off: {e}")),
            };
            reporter.report(Observation::Chunk {
                bytes: body.clone(),
                held: 0,
            });
            reporter.report(Observation::End);
            let mut answer = hyper::Response::new(Either::Left(Full::new(body)));
            *answer.status_mut() = status;
            *answer.headers_mut() = head;
            return Ok(answer);
        }
        let upstream_side = hyper::upgrade::on(&mut response);
        let mut answer = hyper::Response::new(Either::Left(Full::new(Bytes::new())));
        *answer.status_mut() = status;
        *answer.headers_mut() = response.headers().clone();

        let backlog = Arc::clone(self.backlog.semaphore());
        let stop = self.stopper.signal();
        tokio::spawn(async move {
            let (client, upstream) = match tokio::join!(client_side, upstream_side) {
                (Ok(client), Ok(upstream)) => (client, upstream),
                _ => {
                    reporter.failed(
                        ErrorStage::Client,
                        "the WebSocket did not open on both sides".to_owned(),
                        None,
                    );
                    return;
                }
            };
            let (client_read, client_write) = tokio::io::split(TokioIo::new(client));
            let (upstream_read, upstream_write) = tokio::io::split(TokioIo::new(upstream));
            let spliced = async {
                tokio::join!(
                    pump(client_read, upstream_write, true, &reporter, &backlog),
                    pump(upstream_read, client_write, false, &reporter, &backlog)
                )
            };
            tokio::select! {
                (up, down) = spliced => match up.or(down) {
                    None => reporter.report(Observation::End),
                    Some(e) => reporter.failed(ErrorStage::Upstream, format!("the WebSocket failed: {e}"), None),
                },
                () = stop.stopped() => reporter.failed(
                    ErrorStage::Client,
                    "trace_claude was stopped while the WebSocket was open".to_owned(),
                    None,
                ),
            }
        });
        Ok(answer)
    }

    /// A TLS connection to the destination's host, verified as forwarded
    /// requests are (the system's roots and `--upstream-ca`), `--resolve`
    /// honoured.
    async fn connect_tls(
        &self,
        destination: &Destination,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let (host, port) = (
            destination.upstream.host().to_owned(),
            destination.upstream.port(),
        );
        let tcp = match resolve::lookup(&self.config.resolve, &host, port) {
            Some(addr) => TcpStream::connect(addr).await,
            None => TcpStream::connect((host.as_str(), port)).await,
        }
        .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let name =
            rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.upstream_tls));
        connector
            .connect(name, tcp)
            .await
            .map_err(|e| error_chain(&e))
    }
}

/// Copies one direction, handing each piece to the recorder (waiting for
/// it when it is behind, as the response stream does); the error, if any.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    from_client: bool,
    reporter: &FlowReporter,
    backlog: &Arc<tokio::sync::Semaphore>,
) -> Option<std::io::Error> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut failed = None;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if ends_cleanly(&e) => break,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let bytes = Bytes::copy_from_slice(&buf[..n]);
        if let Err(e) = to.write_all(&bytes).await {
            failed = Some(e);
            break;
        }
        let cost = Backlog::cost(n);
        let held = match Arc::clone(backlog).acquire_many_owned(cost).await {
            Ok(permit) => {
                permit.forget();
                cost
            }
            Err(_) => 0,
        };
        reporter.report(Observation::WebSocketBytes {
            from_client,
            bytes,
            held,
        });
    }
    // Whatever ended this side, the other learns of it: else each waits.
    let _ = to.shutdown().await;
    failed
}

/// A peer that closes without TLS's close_notify, or resets after its
/// close frame, has ended the socket, not broken it.
pub(crate) fn ends_cleanly(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
    )
}
