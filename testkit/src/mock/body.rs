//! How the mock's answers go on the wire: whole JSON bodies, scripted
//! streams played with delays, and streams sent as fast as the connection
//! takes them, each counted in [`MockState`] as completed or cancelled.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::header::HeaderValue;
use serde_json::{json, Value};

use super::{epoch, MockState};
use crate::script::{self, Encoding, ScriptEvent};

pub(crate) type MockBody = BoxBody<Bytes, std::io::Error>;
pub(crate) type MockResponse = hyper::Response<MockBody>;

fn with_status(body: Bytes, status: u16) -> MockResponse {
    let mut response = hyper::Response::new(Full::new(body).map_err(|e| match e {}).boxed());
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response
}

pub(crate) fn empty_response(status: u16) -> MockResponse {
    with_status(Bytes::new(), status)
}

pub(crate) fn json_response(status: u16, body: &Value) -> MockResponse {
    let mut response = with_status(Bytes::from(body.to_string()), status);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("request-id", HeaderValue::from_static("req_mock"));
    response
}

/// The Messages API's error object, with `status`.
pub(crate) fn api_error(status: u16, kind: &str, message: &str) -> MockResponse {
    json_response(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

/// Replaces a JSON response's body with `compressed`, labelled `encoding`.
pub(crate) fn compress_json(response: &mut MockResponse, plain: &Value, encoding: Encoding) {
    let compressed = encoding
        .compress_pieces(&[plain.to_string().into_bytes()])
        .concat();
    *response.body_mut() = Full::new(Bytes::from(compressed))
        .map_err(|e| match e {})
        .boxed();
    response.headers_mut().insert(
        "content-encoding",
        HeaderValue::from_static(encoding.header()),
    );
}

/// Streams a script, one chunk per event (compressed per event when asked).
pub(crate) fn stream(
    state: &Arc<MockState>,
    events: &[ScriptEvent],
    encoding: Option<Encoding>,
) -> MockResponse {
    let frames: Vec<Vec<u8>> = events.iter().map(script::frame).collect();
    let chunks: Vec<Vec<u8>> = match encoding {
        Some(enc) => enc.compress_pieces(&frames),
        None => frames,
    };
    let chunks = chunks
        .into_iter()
        .map(|c| (Duration::ZERO, Bytes::from(c)))
        .collect();
    playback(state, chunks, Ending::End, encoding)
}

/// How a played stream ends.
pub(crate) enum Ending {
    End,
    /// The connection is cut instead of the body ending.
    Reset,
}

/// Plays chunks with delays; counts whether the body ran to its end or was dropped.
struct Playback {
    chunks: VecDeque<(Duration, Bytes)>,
    ending: Option<Ending>,
    state: Arc<MockState>,
    done: bool,
}

impl Drop for Playback {
    fn drop(&mut self) {
        if !self.done {
            self.state.streams_cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// An SSE response that sends each chunk after its delay, then ends as `ending` says.
pub(crate) fn playback(
    state: &Arc<MockState>,
    chunks: VecDeque<(Duration, Bytes)>,
    ending: Ending,
    encoding: Option<Encoding>,
) -> MockResponse {
    let play = Playback {
        chunks,
        ending: Some(ending),
        state: Arc::clone(state),
        done: false,
    };
    let body = futures_util::stream::unfold(play, |mut play| async move {
        if let Some((delay, chunk)) = play.chunks.pop_front() {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return Some((Ok(Frame::data(chunk)), play));
        }
        match play.ending.take()? {
            Ending::End => {
                play.done = true;
                play.state.streams_completed.fetch_add(1, Ordering::SeqCst);
                None
            }
            Ending::Reset => {
                // Let what was sent reach the wire before the cut.
                tokio::time::sleep(Duration::from_millis(100)).await;
                play.done = true;
                Some((
                    Err(std::io::Error::other("mock upstream cuts the connection")),
                    play,
                ))
            }
        }
    });
    sse_response(StreamBody::new(body).boxed(), encoding)
}

fn sse_response(body: MockBody, encoding: Option<Encoding>) -> MockResponse {
    let mut response = hyper::Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert("request-id", HeaderValue::from_static("req_mock"));
    if let Some(enc) = encoding {
        headers.insert("content-encoding", HeaderValue::from_static(enc.header()));
    }
    response
}

/// Streams `chunks` as fast as the connection takes them, counting the bytes
/// handed over in [`MockState::bytes_sent`].
pub(crate) fn counted_stream(
    state: &Arc<MockState>,
    chunks: impl Iterator<Item = Bytes> + Send + Sync + 'static,
    content_type: &'static str,
) -> MockResponse {
    let counter = Arc::clone(state);
    let done = Arc::clone(state);
    use futures_util::StreamExt as _;
    let body = futures_util::stream::iter(chunks)
        .map(move |chunk| {
            counter
                .bytes_sent
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            Ok(Frame::data(chunk))
        })
        .chain(futures_util::stream::poll_fn(move |_| {
            done.streams_completed.fetch_add(1, Ordering::SeqCst);
            std::task::Poll::Ready(None)
        }));
    let mut response = sse_response(BodyExt::boxed(StreamBody::new(body)), None);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    response
}

/// Deltas stamped with the nanoseconds since [`epoch`] at which each was sent.
pub(crate) fn bench_stream(state: &Arc<MockState>, count: u64, interval: Duration) -> MockResponse {
    struct Bench {
        next: u64,
        count: u64,
        interval: Duration,
        state: Arc<MockState>,
    }
    let bench = Bench {
        next: 0,
        count,
        interval,
        state: Arc::clone(state),
    };
    let body = futures_util::stream::unfold(bench, |mut b| async move {
        if b.next == b.count {
            b.state.streams_completed.fetch_add(1, Ordering::SeqCst);
            return None;
        }
        if !b.interval.is_zero() && b.next > 0 {
            tokio::time::sleep(b.interval).await;
        }
        let t = epoch().elapsed().as_nanos() as u64;
        let event = (
            "content_block_delta".to_owned(),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token "},"i":b.next,"t":t}),
        );
        b.next += 1;
        Some((Ok(Frame::data(Bytes::from(script::frame(&event)))), b))
    });
    sse_response(StreamBody::new(body).boxed(), None)
}
