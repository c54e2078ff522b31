//! The recording proxy.
//!
//! Clients speak plain HTTP/1.1 to it, in one of two ways (`connect.rs`):
//! as if it were the API (reverse mode, `ANTHROPIC_BASE_URL`), or through it
//! (forward mode, `HTTPS_PROXY`: a `CONNECT` it decrypts with its own CA
//! for intercepted hosts, or tunnels untouched). It forwards every request
//! (HTTPS with verified certificates, or plain HTTP) and streams the response
//! back chunk by chunk. Beside the forwarding it reports what it saw to the
//! recorder thread, which produces [`shared::Event`]s for the caller to log
//! and publish.

mod connect;
mod decode;
mod forward;
mod http1;
mod memory;
pub mod mitm;
mod recorder;
mod redact;
pub mod resolve;
mod shutdown;
pub mod sse;
pub mod tls;
mod tunnel;
mod upstream;
mod websocket;
mod ws_frames;

use std::sync::{Arc, Mutex, PoisonError};
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
    /// Where reverse-mode requests go.
    pub upstream: Upstream,
    /// Redact credential headers and query parameters in the events.
    pub redact: bool,
    pub max_request_body: usize,
    /// Forward capture (`CONNECT`, absolute URIs); refused when `None`.
    pub forward: Option<ForwardConfig>,
    /// `--resolve` overrides, for every connection the proxy makes.
    pub resolve: Vec<resolve::Resolve>,
    /// Extra trusted roots for upstream TLS (`--upstream-ca`), PEM.
    pub upstream_ca: Vec<Vec<u8>>,
}

/// What forward capture needs.
#[derive(Clone)]
pub struct ForwardConfig {
    /// Clients must present it (`Proxy-Authorization`): no other local
    /// program may use the proxy as a way into the user's accounts.
    pub token: String,
    /// Signs the certificates of intercepted hosts.
    pub authority: Arc<mitm::Authority>,
    /// Decrypted and recorded; every other host is tunnelled.
    pub intercept: Vec<String>,
}

impl std::fmt::Debug for ForwardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardConfig")
            .field("intercept", &self.intercept)
            .finish_non_exhaustive()
    }
}

impl ForwardConfig {
    pub fn intercepts(&self, host: &str) -> bool {
        self.intercept.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot start the recorder thread: {0}")]
    Recorder(#[from] std::io::Error),
    #[error("--upstream-ca: {0}")]
    UpstreamCa(String),
}

/// What an ordered shutdown could not finish in time.
#[derive(Debug, thiserror::Error)]
pub enum ShutdownError {
    #[error("connections were still open after {0:?}; the recorder ended their flows")]
    ConnectionsOpen(Duration),
    #[error(
        "the recorder did not finish writing the log within {0:?}; its last events may be lost"
    )]
    RecorderBehind(Duration),
    #[error("the recorder thread panicked")]
    RecorderPanicked,
}

pub struct Proxy {
    config: ProxyConfig,
    /// Reverse mode's destination, made once.
    reverse: Arc<forward::Destination>,
    /// TLS to upstreams, for WebSockets (the forwarding client has its own
    /// handle on the same configuration).
    upstream_tls: Arc<rustls::ClientConfig>,
    client: Arc<http1::Client>,
    observations: recorder::ObservationSender,
    backlog: recorder::Backlog,
    stopper: shutdown::Stopper,
    /// The completion channel's sender, for `serve` to hand to each
    /// connection; taken away at shutdown so that only open connections hold it.
    running: Mutex<Option<shutdown::Running>>,
    all_done: Mutex<Option<shutdown::AllDone>>,
    recorder: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Proxy {
    /// Builds the proxy and starts its recorder, which hands every event to `sink`.
    pub fn new(config: ProxyConfig, sink: impl EventSink) -> Result<Arc<Self>, ProxyError> {
        for pem in &config.upstream_ca {
            tls::check_pem_bundle(pem).map_err(ProxyError::UpstreamCa)?;
        }
        // One TLS configuration for every connection the proxy makes to an
        // upstream (forwarded requests and WebSockets): the platform's roots
        // and --upstream-ca, HTTP/1.1.
        let upstream_tls = tls::upstream_config(&config.upstream_ca)
            .map_err(|e| ProxyError::UpstreamCa(e.to_string()))?;
        let client = http1::Client::new(Arc::clone(&upstream_tls), config.resolve.clone());
        let backlog = recorder::Backlog::new();
        let settings = recorder::Settings {
            redact: config.redact,
        };
        let (observations, recorder) =
            recorder::spawn(sink, settings, Arc::clone(backlog.semaphore()))?;
        let (running, all_done) = shutdown::completion();
        let reverse = Arc::new(forward::Destination::new(
            config.upstream.clone(),
            shared::CaptureMode::Reverse,
        ));
        Ok(Arc::new(Proxy {
            config,
            reverse,
            upstream_tls,
            client,
            observations,
            backlog,
            stopper: shutdown::Stopper::new(),
            running: Mutex::new(Some(running)),
            all_done: Mutex::new(Some(all_done)),
            recorder: Mutex::new(Some(recorder)),
        }))
    }

    /// Stops in order: no new connections; every flow still open records
    /// its `error` line and its connection closes; then the recorder writes
    /// out all it holds and its thread is joined. Open connections get
    /// `within`, and the recorder as long again, so that a hung upstream or
    /// client cannot keep the process from exiting.
    pub async fn shutdown(&self, within: Duration) -> Result<(), ShutdownError> {
        self.stopper.stop();
        drop(lock(&self.running).take());
        let mut result = Ok(());
        let all_done = lock(&self.all_done).take();
        if let Some(all_done) = all_done {
            if tokio::time::timeout(within, all_done.wait()).await.is_err() {
                result = Err(ShutdownError::ConnectionsOpen(within));
            }
        }
        // Queued after every open flow's last observation: the recorder
        // records all before it, ends the flows still open, and returns.
        let _ = self.observations.send(recorder::Message::Stop);
        let Some(thread) = lock(&self.recorder).take() else {
            return result;
        };
        let joined = tokio::task::spawn_blocking(move || thread.join());
        match tokio::time::timeout(within, joined).await {
            Ok(Ok(Ok(()))) => result,
            Ok(_) => Err(ShutdownError::RecorderPanicked),
            Err(_) => Err(ShutdownError::RecorderBehind(within)),
        }
    }

    /// Accepts connections on `listener` until [`Proxy::shutdown`] (or until
    /// the task is dropped).
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        let Some(running) = lock(&self.running).clone() else {
            return;
        };
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = self.stopper.signal().stopped() => return,
            };
            let (stream, _peer) = match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Usually out of file descriptors: wait rather than spin.
                    eprintln!("trace_claude: proxy accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr().ok();
            let proxy = Arc::clone(&self);
            let running = running.clone();
            let stop = self.stopper.signal();
            tokio::spawn(async move {
                let service = {
                    let running = running.clone();
                    service_fn(move |req| Arc::clone(&proxy).handle(req, local, running.clone()))
                };
                serve_connection(TokioIo::new(stream), service, stop).await;
                drop(running);
            });
        }
    }
}

/// Serves HTTP/1.1 on one client connection (the proxy port's, or a
/// decrypted tunnel's) with the proxy's limits, until it ends or the proxy
/// stops. Upgrades (`CONNECT`, WebSockets) hand the connection over.
pub(crate) async fn serve_connection<I, S>(io: I, service: S, stop: shutdown::StopSignal)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<forward::ProxyBody>,
            Error = std::convert::Infallible,
        > + Send,
    S::Future: Send + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .max_headers(MAX_REQUEST_HEADERS)
        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
        // Each response piece is copied into one write buffer beside its
        // chunk framing, not queued as buffers of its own for a vectored
        // write: the pieces are mostly SSE events of a few hundred bytes,
        // where the queue's bookkeeping costs more than the copy (measured:
        // about 400 instructions an event), and none is larger than what one
        // upstream read brought.
        .writev(false)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(connection);
    // A connection error is the client's business (it went away, or spoke
    // garbage); the flow, if any, has logged it.
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stop.stopped() => {
            // An idle connection closes now; one in the middle of a response
            // closes once its flow has ended, which the stop signal makes it do.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
