//! Turns what the forwarding path observed into [`Event`]s, on a thread of its own.
//!
//! The forwarding path only timestamps and hands over cheap `Bytes` clones; all
//! decompression, SSE framing and JSON parsing happen here, beside the stream
//! rather than in front of it. One thread for all flows keeps the events in the
//! exact order the proxy saw them.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use serde_json::Value;
use shared::{
    Body, CaptureMode, Category, ErrorStage, Event, EventKind, FlowError, FlowId, Request,
    Response, ResponseHeaders, SseEvent, StreamEnd, Timestamp, Tunnel, WebSocketMessage,
    WebSocketSide,
};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::SystemTime;

use tokio::sync::{mpsc, Semaphore};

use crate::decode::Decoder;
use crate::redact;
use crate::sse::{keep_within, RawSseEvent, SseParser};

/// What the forwarding path saw, in the order it saw it.
pub(crate) enum Observation {
    Request {
        method: http::Method,
        path: String,
        /// The `Host` the request carries upstream (`host[:port]`).
        host: Arc<str>,
        mode: CaptureMode,
        headers: http::HeaderMap,
        body: Bytes,
    },
    /// Bytes of an open WebSocket, as forwarded one way, holding `held`
    /// permits of the [`Backlog`] like a [`Observation::Chunk`].
    WebSocketBytes {
        from_client: bool,
        bytes: Bytes,
        held: u32,
    },
    /// A tunnel closed (or could not be opened).
    Tunnel {
        host: String,
        port: u16,
        bytes_up: u64,
        bytes_down: u64,
        started: Timestamp,
        error: Option<String>,
    },
    ResponseHead {
        status: u16,
        headers: http::HeaderMap,
        streaming: bool,
        content_encoding: Option<String>,
    },
    /// A piece of the response body as forwarded, holding `held` permits of
    /// the [`Backlog`] that the recorder gives back once it has recorded it.
    Chunk {
        bytes: Bytes,
        held: u32,
    },
    End,
    Failed {
        stage: ErrorStage,
        message: String,
        status_code: Option<u16>,
    },
}

// Boxing the observation would cost an allocation per forwarded chunk, for
// the one `Stop` of a whole run.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Message {
    /// What a flow did, and when (made a [`Timestamp`] on this thread).
    Flow(FlowId, SystemTime, Observation),
    /// The proxy is stopping: record everything queued before this, end the
    /// flows still open, flush, and end the thread.
    Stop,
}

pub(crate) type ObservationSender = mpsc::UnboundedSender<Message>;

/// Where events go (the server's log writer and live subscribers). Called on
/// the recorder thread, never on the forwarding path.
pub trait EventSink: Send + 'static {
    fn record(&mut self, event: Event);
    /// Nothing more is queued for now: the moment to write out a batch.
    fn flush(&mut self);
}

/// Per-flow recording state between the response head and its end.
struct FlowState {
    status: u16,
    /// None for a body that is not encoded, or one that could not be decoded.
    decoder: Option<Decoder>,
    body: BodyState,
}

enum BodyState {
    Stream(SseParser),
    /// A WebSocket after its 101: each direction read back into messages.
    WebSocket {
        client: crate::ws_frames::FrameReader,
        server: crate::ws_frames::FrameReader,
    },
    /// A non-streaming body, kept up to [`MAX_WHOLE_BODY`]; the count is of
    /// the bytes past it, left out of the log.
    Whole(Vec<u8>, usize),
}

/// How much of a non-streaming response body the log keeps. The same bound
/// as for request bodies: far past any real answer, and it keeps a broken or
/// hostile upstream from exhausting memory. The client still gets every byte.
const MAX_WHOLE_BODY: usize = crate::DEFAULT_MAX_REQUEST_BODY;

/// Bounds the memory held by what has been forwarded but not yet recorded.
/// Within it, forwarding never waits for the recorder; past it (the recorder
/// is 16 MiB behind, which only a machine out of CPU sees) a flow waits for
/// room before reading more from the upstream. Slowing a stream is the only
/// choice that neither loses events nor lets memory grow without end.
pub(crate) struct Backlog(Arc<Semaphore>);

/// One permit stands for this many bytes held.
const UNIT: usize = 128;
const BUDGET_UNITS: u32 = (16 << 20) / UNIT as u32;

impl Backlog {
    pub(crate) fn new() -> Self {
        Backlog(Arc::new(Semaphore::new(BUDGET_UNITS as usize)))
    }

    pub(crate) fn semaphore(&self) -> &Arc<Semaphore> {
        &self.0
    }

    /// The permits a body chunk of `len` bytes costs: its bytes, plus one
    /// unit for the message carrying it.
    pub(crate) fn cost(len: usize) -> u32 {
        u32::try_from(len.div_ceil(UNIT) + 1)
            .unwrap_or(u32::MAX)
            .min(BUDGET_UNITS)
    }
}

/// How observations become log lines.
pub(crate) struct Settings {
    /// Redact credentials in headers, query strings and sign-in bodies.
    pub redact: bool,
}

/// A drain of at least this many messages is a burst, after which the
/// recorder waits [`GATHER`] before the next: under load each write to the
/// log then carries a millisecond of events (measured: one write per two
/// events without it), and light traffic is written as it comes.
const BURST: usize = 8;
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);
/// After a message, the recorder looks for the next one every [`GATHER`] for
/// this long before it sleeps until one comes: waking a sleeping recorder
/// costs the forwarding path a system call, which a stream's events, a few
/// milliseconds apart, would each pay.
const STAY_AWAKE: std::time::Duration = std::time::Duration::from_millis(50);

/// After recording this many bytes of bodies, the recorder gives the memory
/// freed since back to the system when it next goes idle.
const TRIM_AFTER_BYTES: usize = 4 << 20;

/// Starts the recorder thread; it ends at [`Message::Stop`], or when every
/// sender is gone.
pub(crate) fn spawn<S: EventSink>(
    sink: S,
    settings: Settings,
    backlog: Arc<Semaphore>,
) -> std::io::Result<(ObservationSender, JoinHandle<()>)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let thread = std::thread::Builder::new()
        .name("trace_claude-recorder".into())
        .spawn(move || {
            let mut recorder = Recorder {
                flows: HashMap::new(),
                sensitive: HashSet::new(),
                sink,
                scratch: Vec::new(),
                settings,
                backlog,
            };
            // Messages handled since the last flush: many means a burst.
            let mut handled = 0usize;
            let mut recorded_since_trim = 0usize;
            let mut last_message = std::time::Instant::now();
            loop {
                let message = match rx.try_recv() {
                    Ok(message) => message,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        recorder.sink.flush();
                        if handled >= BURST || last_message.elapsed() < STAY_AWAKE {
                            // In a burst, or while a stream is running, let
                            // the next messages pile up for a moment rather
                            // than sleep until one comes: one write for many
                            // of them, and no wakeup for the forwarding path
                            // to pay at each event. Only the log waits;
                            // forwarding never does.
                            handled = 0;
                            std::thread::sleep(GATHER);
                            continue;
                        }
                        handled = 0;
                        // Idle: a moment to give back what the burst freed.
                        if recorded_since_trim >= TRIM_AFTER_BYTES {
                            recorded_since_trim = 0;
                            crate::memory::give_back_freed();
                        }
                        match rx.blocking_recv() {
                            Some(message) => message,
                            None => break,
                        }
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                };
                handled += 1;
                last_message = std::time::Instant::now();
                if let Message::Flow(_, _, Observation::Chunk { bytes, .. }) = &message {
                    recorded_since_trim += bytes.len();
                }
                match message {
                    Message::Flow(flow, at, observation) => {
                        recorder.observe(flow, Timestamp::at(at), observation)
                    }
                    Message::Stop => {
                        recorder.end_open_flows(Timestamp::now());
                        break;
                    }
                }
            }
            recorder.sink.flush();
        })?;
    Ok((tx, thread))
}

struct Recorder<S> {
    flows: HashMap<FlowId, FlowState>,
    /// Flows whose response body may hold OAuth tokens (sign-in, account):
    /// its JSON is redacted like headers are. Until the flow ends.
    sensitive: HashSet<FlowId>,
    sink: S,
    scratch: Vec<RawSseEvent>,
    settings: Settings,
    backlog: Arc<Semaphore>,
}

impl<S: EventSink> Recorder<S> {
    /// At shutdown, the flows whose response never ended (their connection
    /// did not close in time) get the `error` line their stream would have
    /// written, so that no flow is left looking as if it were still running.
    fn end_open_flows(&mut self, ts: Timestamp) {
        let mut open: Vec<(FlowId, bool)> = self
            .flows
            .iter()
            .map(|(flow, state)| (flow.clone(), matches!(state.body, BodyState::Stream(_))))
            .collect();
        open.sort();
        for (flow, streaming) in open {
            self.observe(
                flow,
                ts,
                Observation::Failed {
                    stage: ErrorStage::Client,
                    message: crate::shutdown::cut_response(streaming, None),
                    status_code: None,
                },
            );
        }
    }

    fn emit(&mut self, ts: Timestamp, kind: EventKind) {
        self.sink.record(Event { ts, kind });
    }

    fn observe(&mut self, flow: FlowId, ts: Timestamp, observation: Observation) {
        match observation {
            Observation::Request {
                method,
                path,
                host,
                mode,
                headers,
                body,
            } => {
                let redact = self.settings.redact;
                let mut logged = redact::log_headers(&headers, redact);
                // Log the Host the upstream receives, not the proxy's own.
                logged.shift_insert(0, "host".to_owned(), host.to_string());
                let mut body = Body::from_bytes(&body);
                // Sign-in and account calls carry OAuth tokens in their bodies;
                // a model's request is left as sent (it is the user's own text).
                let category = Category::of(Some(&host), &path);
                if redact && !matches!(category, Category::Inference | Category::TokenCounting) {
                    if let Body::Json(value) = &mut body {
                        shared::secrets::redact_json_credentials(value);
                    }
                }
                if redact && category != Category::Inference {
                    self.sensitive.insert(flow.clone());
                }
                self.emit(
                    ts,
                    EventKind::Request(Request {
                        flow_id: flow,
                        method: method.as_str().to_owned(),
                        path: if redact {
                            shared::secrets::redact_path(&path)
                        } else {
                            path
                        },
                        host: Some(host.to_string()),
                        mode: Some(mode),
                        headers: logged,
                        body,
                    }),
                )
            }
            Observation::Tunnel {
                host,
                port,
                bytes_up,
                bytes_down,
                started,
                error,
            } => self.emit(
                ts,
                EventKind::Tunnel(Tunnel {
                    flow_id: flow,
                    host,
                    port,
                    bytes_up,
                    bytes_down,
                    started,
                    ended: ts,
                    error,
                }),
            ),
            Observation::ResponseHead {
                status,
                headers,
                streaming,
                content_encoding,
            } => {
                self.emit(
                    ts,
                    EventKind::ResponseHeaders(ResponseHeaders {
                        flow_id: flow.clone(),
                        status_code: status,
                        headers: redact::log_headers(&headers, self.settings.redact),
                        streaming,
                    }),
                );
                let decoder = match Decoder::for_encoding(content_encoding.as_deref()) {
                    Ok(d) => d,
                    Err(e) => {
                        self.emit(
                            ts,
                            decode_error(&flow, format!("{e}: the body is logged as received")),
                        );
                        None
                    }
                };
                let websocket = status == 101
                    && headers
                        .get(http::header::UPGRADE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
                let body = if websocket {
                    let deflate = headers
                        .get("sec-websocket-extensions")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.contains("permessage-deflate"));
                    BodyState::WebSocket {
                        client: crate::ws_frames::FrameReader::new(deflate),
                        server: crate::ws_frames::FrameReader::new(deflate),
                    }
                } else if streaming {
                    BodyState::Stream(SseParser::new())
                } else {
                    BodyState::Whole(Vec::new(), 0)
                };
                self.flows.insert(
                    flow,
                    FlowState {
                        status,
                        decoder,
                        body,
                    },
                );
            }
            Observation::Chunk { bytes, held } => {
                self.record_chunk(&flow, ts, &bytes);
                if held > 0 {
                    self.backlog.add_permits(held as usize);
                }
            }
            Observation::WebSocketBytes {
                from_client,
                bytes,
                held,
            } => {
                self.record_websocket(&flow, ts, from_client, &bytes);
                if held > 0 {
                    self.backlog.add_permits(held as usize);
                }
            }
            Observation::End => {
                let sensitive = self.sensitive.remove(&flow);
                let Some(mut state) = self.flows.remove(&flow) else {
                    return;
                };
                let mut tail = Vec::new();
                if let Some(d) = state.decoder.take() {
                    match d.finish() {
                        Ok(rest) => tail = rest,
                        Err(e) => self.emit(
                            ts,
                            decode_error(&flow, format!("the compressed body ended early: {e}")),
                        ),
                    }
                }
                match state.body {
                    BodyState::WebSocket { .. } => {
                        self.emit(ts, EventKind::StreamEnd(StreamEnd { flow_id: flow }));
                    }
                    BodyState::Stream(mut parser) => {
                        parser.push(&tail, &mut self.scratch);
                        parser.finish(&mut self.scratch);
                        self.emit_sse(&flow, ts);
                        self.emit(ts, EventKind::StreamEnd(StreamEnd { flow_id: flow }));
                    }
                    BodyState::Whole(mut body, mut cut) => {
                        cut += keep_within(&mut body, &tail, MAX_WHOLE_BODY);
                        let mut logged = Body::from_bytes(&body);
                        if sensitive {
                            if let Body::Json(value) = &mut logged {
                                shared::secrets::redact_json_credentials(value);
                            }
                        }
                        self.emit(
                            ts,
                            EventKind::Response(Response {
                                flow_id: flow.clone(),
                                status_code: state.status,
                                body: logged,
                            }),
                        );
                        if cut > 0 {
                            let message = format!(
                                "the response body is {} bytes; only its first {MAX_WHOLE_BODY} are logged",
                                body.len() + cut
                            );
                            self.emit(ts, decode_error(&flow, message));
                        }
                    }
                }
            }
            Observation::Failed {
                stage,
                message,
                status_code,
            } => {
                self.sensitive.remove(&flow);
                if let Some(state) = self.flows.remove(&flow) {
                    // Events already complete were emitted as they came; a
                    // half-framed one is what the client saw last, so keep it.
                    if let BodyState::Stream(mut parser) = state.body {
                        parser.finish(&mut self.scratch);
                        self.emit_sse(&flow, ts);
                    }
                }
                self.emit(
                    ts,
                    EventKind::Error(FlowError {
                        flow_id: flow,
                        stage,
                        message,
                        status_code,
                    }),
                );
            }
        }
    }

    fn record_websocket(&mut self, flow: &FlowId, ts: Timestamp, from_client: bool, bytes: &[u8]) {
        let Some(state) = self.flows.get_mut(flow) else {
            return;
        };
        let BodyState::WebSocket { client, server } = &mut state.body else {
            return;
        };
        let reader = if from_client { client } else { server };
        let mut messages = Vec::new();
        reader.push(bytes, &mut messages);
        let from = if from_client {
            WebSocketSide::Client
        } else {
            WebSocketSide::Server
        };
        for message in messages {
            let mut data = if message.undecoded {
                Body::Binary(message.payload)
            } else {
                Body::from_bytes(&message.payload)
            };
            if self.settings.redact {
                if let Body::Json(value) = &mut data {
                    shared::secrets::redact_json_credentials(value);
                }
            }
            self.emit(
                ts,
                EventKind::WebSocket(WebSocketMessage {
                    flow_id: flow.clone(),
                    from,
                    kind: message.kind,
                    data,
                    truncated: (message.truncated > 0).then_some(message.truncated),
                }),
            );
        }
    }

    fn record_chunk(&mut self, flow: &FlowId, ts: Timestamp, bytes: &Bytes) {
        let Some(state) = self.flows.get_mut(flow) else {
            return;
        };
        let decoded = match &mut state.decoder {
            None => {
                self.take_body_bytes(flow, ts, bytes);
                return;
            }
            Some(d) => match d.push(bytes) {
                Ok(decoded) => decoded,
                Err(e) => {
                    // Keep the rest of the body, undecoded, rather than lose it.
                    state.decoder = None;
                    let message = format!("cannot decode the response body: {e}");
                    self.emit(ts, decode_error(flow, message));
                    bytes.to_vec()
                }
            },
        };
        self.take_body_bytes(flow, ts, &decoded);
    }

    fn take_body_bytes(&mut self, flow: &FlowId, ts: Timestamp, decoded: &[u8]) {
        let Some(state) = self.flows.get_mut(flow) else {
            return;
        };
        match &mut state.body {
            BodyState::Stream(parser) => {
                parser.push(decoded, &mut self.scratch);
                self.emit_sse(flow, ts);
            }
            BodyState::Whole(body, cut) => *cut += keep_within(body, decoded, MAX_WHOLE_BODY),
            // Its bytes come as WebSocketBytes, never as chunks.
            BodyState::WebSocket { .. } => {}
        }
    }

    fn emit_sse(&mut self, flow: &FlowId, ts: Timestamp) {
        for raw in std::mem::take(&mut self.scratch) {
            let data = serde_json::from_str(&raw.data).unwrap_or(Value::String(raw.data));
            let event = raw
                .event
                .unwrap_or_else(|| shared::anthropic::sse::UNNAMED_EVENT.to_owned());
            let note = (raw.cut > 0).then(|| {
                format!(
                    "the SSE event {event:?} exceeds the recorder's limit of {} bytes a line and of data; {} bytes of it are left out of the log",
                    crate::sse::MAX_EVENT_BYTES,
                    raw.cut
                )
            });
            self.emit(
                ts,
                EventKind::Sse(SseEvent {
                    flow_id: flow.clone(),
                    event,
                    data,
                    id: raw.id,
                }),
            );
            if let Some(message) = note {
                self.emit(ts, decode_error(flow, message));
            }
        }
    }
}

fn decode_error(flow: &FlowId, message: String) -> EventKind {
    EventKind::Error(FlowError {
        flow_id: flow.clone(),
        stage: ErrorStage::Decode,
        message,
        status_code: None,
    })
}
