//! A `CONNECT` to a host that is not intercepted: bytes pass through as they
//! are, and one `tunnel` event says that the call happened, to whom, and how
//! much went each way.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use shared::{FlowId, Timestamp};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::forward::{error_chain, error_response, ProxyBody};
use crate::recorder::{Message, Observation};
use crate::shutdown::Running;
use crate::{resolve, Proxy};

impl Proxy {
    /// Connects to `host:port` first, so that an unreachable host is a 502
    /// the client sees at once; then splices the two connections.
    pub(crate) async fn tunnel(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
        host: String,
        port: u16,
        running: Running,
    ) -> hyper::Response<ProxyBody> {
        let flow = FlowId::random();
        let started = Timestamp::now();
        let connected = match resolve::lookup(&self.config.resolve, &host, port) {
            Some(addr) => TcpStream::connect(addr).await,
            None => TcpStream::connect((host.as_str(), port)).await,
        };
        let upstream = match connected {
            Ok(stream) => stream,
            Err(e) => {
                let message = format!(
                    "trace_claude could not reach {host}:{port}: {}",
                    error_chain(&e)
                );
                self.report_tunnel(flow, host, port, (0, 0), started, Some(message.clone()));
                return error_response(502, "api_error", &message);
            }
        };
        let _ = upstream.set_nodelay(true);
        let proxy = Arc::clone(&self);
        tokio::spawn(async move {
            let _running = running;
            let upgraded = match hyper::upgrade::on(req).await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    let message = format!("the client left before the tunnel opened: {e}");
                    proxy.report_tunnel(flow, host, port, (0, 0), started, Some(message));
                    return;
                }
            };
            let stop = proxy.stopper.signal();
            let (up, down, error) = tokio::select! {
                spliced = splice(TokioIo::new(upgraded), upstream) => spliced,
                () = stop.stopped() => (0, 0, Some("trace_claude was stopped while the tunnel was open".to_owned())),
            };
            proxy.report_tunnel(flow, host, port, (up, down), started, error);
        });
        hyper::Response::new(Either::Left(Full::new(Bytes::new())))
    }

    fn report_tunnel(
        &self,
        flow: FlowId,
        host: String,
        port: u16,
        (bytes_up, bytes_down): (u64, u64),
        started: Timestamp,
        error: Option<String>,
    ) {
        let _ = self.observations.send(Message::Flow(
            flow,
            std::time::SystemTime::now(),
            Observation::Tunnel {
                host,
                port,
                bytes_up,
                bytes_down,
                started,
                error,
            },
        ));
    }
}

/// Copies both ways until both sides are done; the counts survive an error.
async fn splice(
    client: impl AsyncRead + AsyncWrite + Unpin,
    upstream: TcpStream,
) -> (u64, u64, Option<String>) {
    let (client_read, client_write) = tokio::io::split(client);
    let (upstream_read, upstream_write) = upstream.into_split();
    let ((up, up_err), (down, down_err)) = tokio::join!(
        pump(client_read, upstream_write),
        pump(upstream_read, client_write)
    );
    let error = up_err
        .or(down_err)
        .map(|e| format!("the tunnel failed: {e}"));
    (up, down, error)
}

async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
) -> (u64, Option<std::io::Error>) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0u64;
    let mut failed = None;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            // A reset after the other side closed is how many peers end.
            Err(e) if crate::websocket::ends_cleanly(&e) => break,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        if let Err(e) = to.write_all(&buf[..n]).await {
            failed = Some(e);
            break;
        }
        total += n as u64;
    }
    // Whatever ended this side, the other learns of it: else each waits.
    let _ = to.shutdown().await;
    (total, failed)
}
