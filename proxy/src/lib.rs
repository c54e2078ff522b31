//! The recording reverse proxy.
//!
//! Clients speak plain HTTP/1.1 to it; it forwards every request to the
//! upstream (HTTPS with verified certificates, or plain HTTP) and streams the
//! response back chunk by chunk. Beside the forwarding it reports what it saw
//! to the recorder thread, which produces [`shared::Event`]s for the caller to
//! log and publish.

mod decode;
mod forward;
mod recorder;
mod redact;
pub mod sse;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use recorder::EventSink;
pub use upstream::{Upstream, UpstreamUrlError};

/// Request bodies are read whole before forwarding (the log needs them and the
/// upstream cannot act on a partial JSON body anyway). Claude Code's reach
/// several megabytes; this bounds a runaway client.
pub const DEFAULT_MAX_REQUEST_BODY: usize = 256 * 1024 * 1024;

/// A request's head (request line and headers) may hold this many headers
/// and bytes: Claude Code sends about thirty headers in a few kilobytes, so
/// these only stop a runaway or hostile client, which gets a 431.
pub const MAX_REQUEST_HEADERS: usize = 256;
pub const MAX_REQUEST_HEAD_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub upstream: Upstream,
    /// Redact credential headers and query parameters in the events.
    pub redact: bool,
    pub max_request_body: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot build the upstream HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("cannot start the recorder thread: {0}")]
    Recorder(#[from] std::io::Error),
}

pub struct Proxy {
    config: ProxyConfig,
    client: reqwest::Client,
    observations: recorder::ObservationSender,
    backlog: recorder::Backlog,
}

impl Proxy {
    /// Builds the proxy and starts its recorder, which hands every event to `sink`.
    pub fn new(config: ProxyConfig, sink: impl EventSink) -> Result<Arc<Self>, ProxyError> {
        let client = reqwest::Client::builder()
            // No timeout on the whole exchange: a long generation must be able
            // to outlast any limit of ours; Claude Code has its own.
            .connect_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()?;
        let backlog = recorder::Backlog::new();
        let settings = recorder::Settings {
            redact: config.redact,
            upstream_host: config.upstream.authority().to_owned(),
        };
        let observations = recorder::spawn(sink, settings, Arc::clone(backlog.semaphore()))?;
        Ok(Arc::new(Proxy {
            config,
            client,
            observations,
            backlog,
        }))
    }

    /// Resolves once everything observed before the call is recorded and
    /// flushed by the sink (or the recorder has stopped).
    pub async fn sync(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self
            .observations
            .send(recorder::Message::Sync(done))
            .is_ok()
        {
            let _ = wait.await;
        }
    }

    /// Accepts connections on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    // Usually out of file descriptors: wait rather than spin.
                    eprintln!("trace_claude: proxy accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let proxy = Arc::clone(&self);
            tokio::spawn(async move {
                let service = service_fn(move |req| Arc::clone(&proxy).handle(req));
                // A connection error is the client's business (it went away,
                // or spoke garbage); the flow, if any, has logged it.
                let _ = hyper::server::conn::http1::Builder::new()
                    .max_headers(MAX_REQUEST_HEADERS)
                    .max_buf_size(MAX_REQUEST_HEAD_BYTES)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}
