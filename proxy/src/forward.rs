//! The forwarding path: one client request in, one upstream request out, the
//! response streamed back as it arrives. Everything here is on the hot path,
//! so it only forwards, timestamps and hands `Bytes` clones to the recorder.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use shared::{CaptureMode, ErrorStage, FlowId};
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

use crate::recorder::{Backlog, Message, Observation, ObservationSender};
use crate::shutdown::{cut_response, Stopped};
use crate::{http1, Proxy, Upstream};

pub(crate) type ProxyBody = Either<Full<Bytes>, StreamBody<RecordingStream>>;

/// Headers that describe one connection, not the message: never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "keep-alive",
    "proxy-connection",
];

enum BodyRefusal {
    TooLarge,
    Unreadable(String),
}

/// Reports one flow's observations to the recorder.
#[derive(Clone)]
pub(crate) struct FlowReporter {
    flow: FlowId,
    tx: ObservationSender,
}

impl FlowReporter {
    pub(crate) fn new(tx: ObservationSender) -> Self {
        FlowReporter {
            flow: FlowId::random(),
            tx,
        }
    }

    pub(crate) fn report(&self, observation: Observation) {
        // The recorder outlives every flow except at shutdown, when there is
        // nowhere left to report to.
        let _ = self.tx.send(Message::Flow(
            self.flow.clone(),
            std::time::SystemTime::now(),
            observation,
        ));
    }

    pub(crate) fn failed(&self, stage: ErrorStage, message: String, status_code: Option<u16>) {
        self.report(Observation::Failed {
            stage,
            message,
            status_code,
        });
    }
}

/// Where a request goes, and how it is labelled in the log.
pub(crate) struct Destination {
    /// The base URL request paths are appended to.
    pub upstream: Upstream,
    /// The `Host` the request carries there: the log's `host`.
    pub host: Arc<str>,
    pub mode: CaptureMode,
}

impl Destination {
    pub fn new(upstream: Upstream, mode: CaptureMode) -> Self {
        Destination {
            host: upstream.authority().into(),
            upstream,
            mode,
        }
    }
}

impl Proxy {
    /// Forwards one request to `destination`, recording it as a flow.
    pub(crate) async fn forward(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
        destination: Arc<Destination>,
    ) -> Result<hyper::Response<ProxyBody>, Infallible> {
        let reporter = FlowReporter {
            flow: FlowId::random(),
            tx: self.observations.clone(),
        };
        let (parts, body) = req.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_owned();
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        // Through HTTPS_PROXY it carries this proxy's token, for no one else;
        // in reverse mode it is the client's own header, forwarded as sent.
        if destination.mode == CaptureMode::Forward {
            headers.remove(header::PROXY_AUTHORIZATION);
        }
        headers.remove(header::HOST);
        // The body is read whole below, so the client's expectation is met here.
        headers.remove(header::EXPECT);

        let body = match self.read_request_body(body).await {
            Ok(body) => body,
            Err(refusal) => {
                let (status, kind, message) = match refusal {
                    BodyRefusal::TooLarge => (
                        413,
                        "request_too_large",
                        format!(
                            "trace_claude: the request body exceeds the proxy's limit of {} bytes",
                            self.config.max_request_body
                        ),
                    ),
                    BodyRefusal::Unreadable(e) => (
                        400,
                        "invalid_request_error",
                        format!("trace_claude: cannot read the request body: {e}"),
                    ),
                };
                self.report_request(
                    &reporter,
                    &destination,
                    &parts.method,
                    &path,
                    &headers,
                    Bytes::new(),
                );
                reporter.failed(ErrorStage::Request, message.clone(), Some(status));
                return Ok(error_response(status, kind, &message));
            }
        };
        self.report_request(
            &reporter,
            &destination,
            &parts.method,
            &path,
            &headers,
            body.clone(),
        );

        let upstream_path = destination.upstream.path_for(&path);
        let sent = tokio::select! {
            sent = self.client.send(&parts.method, &destination.upstream, &upstream_path, &headers, &body) => sent,
            () = self.stopper.signal().stopped() => {
                let message =
                    "trace_claude was stopped while waiting for the upstream's response".to_owned();
                reporter.failed(ErrorStage::Upstream, message.clone(), Some(503));
                return Ok(error_response(503, "api_error", &message));
            }
        };
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                // The upstream's base URL only: the path's query may hold a
                // key, and this message goes into the log and the UI.
                let message = format!(
                    "trace_claude could not reach the upstream {}: {}",
                    destination.upstream.as_str(),
                    error_chain(&e)
                );
                reporter.failed(ErrorStage::Upstream, message.clone(), Some(502));
                return Ok(error_response(502, "api_error", &message));
            }
        };

        let http1::Response {
            status,
            headers: mut response_headers,
            body: upstream_body,
        } = response;
        strip_hop_by_hop(&mut response_headers);
        let streaming = response_headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().starts_with("text/event-stream"));
        let content_encoding = response_headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        reporter.report(Observation::ResponseHead {
            status: status.as_u16(),
            headers: response_headers.clone(),
            streaming,
            content_encoding,
        });

        let stream = RecordingStream {
            backlog: Arc::clone(self.backlog.semaphore()),
            stopped: self.stopper.signal().stopped(),
            streaming,
            room: None,
            expected_len: upstream_body.content_length(),
            forwarded: 0,
            inner: upstream_body,
            reporter,
            finished: false,
        };
        let mut client_response = hyper::Response::new(Either::Right(StreamBody::new(stream)));
        *client_response.status_mut() = status;
        *client_response.headers_mut() = response_headers;
        Ok(client_response)
    }

    /// Reads the whole request body, refusing one over the limit: at once when
    /// its declared length says so, else as soon as it grows past it.
    async fn read_request_body(&self, body: Incoming) -> Result<Bytes, BodyRefusal> {
        let limit = self.config.max_request_body;
        if hyper::body::Body::size_hint(&body).lower() > limit as u64 {
            return Err(BodyRefusal::TooLarge);
        }
        match Limited::new(body, limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyRefusal::TooLarge),
            Err(e) => Err(BodyRefusal::Unreadable(e.to_string())),
        }
    }

    pub(crate) fn report_request(
        &self,
        reporter: &FlowReporter,
        destination: &Destination,
        method: &http::Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) {
        reporter.report(Observation::Request {
            method: method.clone(),
            path: path.to_owned(),
            host: Arc::clone(&destination.host),
            mode: destination.mode,
            headers: headers.clone(),
            body,
        });
    }
}

pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named by `Connection` are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
    for name in named {
        headers.remove(name);
    }
}

/// An error and its causes on one line: a top-level message alone (TLS's
/// "invalid peer certificate") often does not say what went wrong.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// An Anthropic-shaped error, so that Claude Code reports it like the API's own.
pub(crate) fn error_response(status: u16, kind: &str, message: &str) -> hyper::Response<ProxyBody> {
    let body = shared::ApiError::new(kind, message).to_json();
    let mut response = hyper::Response::new(Either::Left(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

type WaitForRoom = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// Why a response body ended before its end: the client's connection is
/// then cut, so that it cannot take the part it got for the whole.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyCut {
    #[error(transparent)]
    Upstream(http1::Error),
    #[error("trace_claude was stopped")]
    Stopped,
}

/// The upstream's body on its way to the client; each chunk is also handed to
/// the recorder. Dropped before the end means the client went away, which
/// drops the upstream request with it.
pub(crate) struct RecordingStream {
    inner: http1::Body,
    backlog: Arc<Semaphore>,
    /// Resolves when the proxy is stopping: the flow then ends, recorded.
    stopped: Stopped,
    /// An SSE stream, rather than a whole body.
    streaming: bool,
    /// Set when the recorder's backlog was full: wait for this much room
    /// before reading more from the upstream.
    room: Option<WaitForRoom>,
    reporter: FlowReporter,
    expected_len: Option<u64>,
    forwarded: u64,
    finished: bool,
}

impl Stream for RecordingStream {
    type Item = Result<Frame<Bytes>, BodyCut>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        // Checked first, so that neither a busy upstream nor a full backlog
        // keeps the flow from ending when the proxy stops.
        if Pin::new(&mut this.stopped).poll(cx).is_ready() {
            this.finished = true;
            this.reporter.failed(
                ErrorStage::Client,
                cut_response(this.streaming, Some(this.forwarded)),
                None,
            );
            return Poll::Ready(Some(Err(BodyCut::Stopped)));
        }
        if let Some(room) = this.room.as_mut() {
            // The permit is dropped at once: this only waits for the recorder
            // to catch up, it holds nothing.
            let _ = ready!(room.as_mut().poll(cx));
            this.room = None;
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(bytes))) => {
                this.forwarded += bytes.len() as u64;
                let cost = Backlog::cost(bytes.len());
                let held = match Arc::clone(&this.backlog).try_acquire_many_owned(cost) {
                    Ok(permit) => {
                        permit.forget();
                        cost
                    }
                    Err(_) => {
                        let wait = Arc::clone(&this.backlog).acquire_many_owned(cost);
                        this.room = Some(Box::pin(wait));
                        0
                    }
                };
                this.reporter.report(Observation::Chunk {
                    bytes: bytes.clone(),
                    held,
                });
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finished = true;
                this.reporter.failed(
                    ErrorStage::Upstream,
                    format!(
                        "the upstream failed after {} bytes of the response: {}",
                        this.forwarded,
                        error_chain(&e)
                    ),
                    None,
                );
                Poll::Ready(Some(Err(BodyCut::Upstream(e))))
            }
            Poll::Ready(None) => {
                this.finished = true;
                this.reporter.report(Observation::End);
                Poll::Ready(None)
            }
        }
    }
}

impl Drop for RecordingStream {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // With a Content-Length the server may stop polling once it has sent
        // that many bytes; that is a complete response, not a lost client.
        if self.expected_len == Some(self.forwarded) {
            self.reporter.report(Observation::End);
        } else {
            self.reporter.failed(
                ErrorStage::Client,
                format!(
                    "the client closed the connection after {} bytes of the response; the upstream request was cancelled",
                    self.forwarded
                ),
                None,
            );
        }
    }
}
