//! The proxy through its [`EventSink`] seam: a real [`Proxy`] on 127.0.0.1
//! between a real client and the mock upstream, recording into a sink that
//! collects what it is given, in order.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proxy::{EventSink, Proxy, ProxyConfig, Upstream, DEFAULT_MAX_REQUEST_BODY};
use serde_json::json;
use shared::{Body, ErrorStage, Event, EventKind};
use testkit::{client, script, MockUpstream};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const MODEL: &str = "claude-sonnet-4-5";

/// Keeps every event it is handed.
struct Collect(Arc<Mutex<Vec<Event>>>);

impl EventSink for Collect {
    fn record(&mut self, event: Event) {
        self.0.lock().unwrap().push(event);
    }

    fn flush(&mut self) {}
}

/// A proxy serving on a free port, stopped when dropped.
struct Running {
    url: String,
    events: Arc<Mutex<Vec<Event>>>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Running {
    async fn start(upstream: &str, redact: bool) -> Self {
        let events = Arc::default();
        let config = ProxyConfig {
            upstream: Upstream::parse(upstream).unwrap(),
            redact,
            max_request_body: DEFAULT_MAX_REQUEST_BODY,
            forward: None,
            resolve: Vec::new(),
            upstream_ca: Vec::new(),
        };
        let proxy = Proxy::new(config, Collect(Arc::clone(&events))).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(Arc::clone(&proxy).serve(listener));
        Running { url, events, task }
    }

    fn post(&self, scenario: &str) -> reqwest::RequestBuilder {
        client()
            .post(format!("{}/v1/messages?beta=true", self.url))
            .header("x-mock-scenario", scenario)
            .body(json!({"model": MODEL, "stream": true, "messages": []}).to_string())
    }

    /// The events recorded once the flow has ended (the client can read the
    /// last byte a moment before the recorder thread hands the end to the sink).
    async fn ended_flow(&self) -> Vec<Event> {
        let start = Instant::now();
        loop {
            let events = self.events.lock().unwrap().clone();
            let ended = events.iter().any(|e| {
                matches!(
                    e.kind,
                    EventKind::StreamEnd(_) | EventKind::Response(_) | EventKind::Error(_)
                )
            });
            if ended {
                return events;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the flow did not end: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Each event's type, with the SSE event's name: `sse:message_start`.
fn kinds(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Sse(sse) => format!("sse:{}", sse.event),
            other => other.type_name().to_owned(),
        })
        .collect()
}

/// All events belong to one flow.
fn assert_one_flow(events: &[Event]) {
    let first = events[0].kind.flow_id();
    assert!(
        events.iter().all(|e| e.kind.flow_id() == first),
        "{events:?}"
    );
}

/// A `response_headers` event's status and whether a stream follows.
fn status_and_streaming(event: &Event) -> (u16, bool) {
    match &event.kind {
        EventKind::ResponseHeaders(head) => (head.status_code, head.streaming),
        other => panic!("not response headers: {other:?}"),
    }
}

#[tokio::test]
async fn a_streamed_answer_is_request_headers_each_sse_event_and_stream_end() {
    let mock = MockUpstream::start().await.unwrap();
    let proxy = Running::start(&mock.url(), true).await;
    let response = proxy.post("text").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let script = script::text_stream(MODEL, &["Hello", " world"]);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        script::encode(&script).as_slice()
    );

    let events = proxy.ended_flow().await;
    let mut want = vec!["request".to_owned(), "response_headers".to_owned()];
    want.extend(script.iter().map(|(name, _)| format!("sse:{name}")));
    want.push("stream_end".to_owned());
    assert_eq!(kinds(&events), want);
    assert_one_flow(&events);
    assert_eq!(status_and_streaming(&events[1]), (200, true));
    let sse: Vec<(String, serde_json::Value)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Sse(sse) => Some((sse.event.clone(), sse.data.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(sse, script, "each event as the upstream sent it");
}

#[tokio::test]
async fn a_whole_answer_is_request_headers_and_response() {
    let mock = MockUpstream::start().await.unwrap();
    let proxy = Running::start(&mock.url(), true).await;
    let response = proxy.post("json").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let sent: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(sent, script::message_json(MODEL, "Hi there"));

    let events = proxy.ended_flow().await;
    assert_eq!(kinds(&events), ["request", "response_headers", "response"]);
    assert_one_flow(&events);
    assert_eq!(status_and_streaming(&events[1]), (200, false));
    let EventKind::Response(answer) = &events[2].kind else {
        unreachable!()
    };
    assert_eq!(answer.status_code, 200);
    assert_eq!(answer.body, Body::Json(sent));
}

#[tokio::test]
async fn an_upstream_that_cannot_be_reached_is_a_502_and_an_upstream_error() {
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = Running::start(&format!("http://{closed}"), true).await;
    let response = proxy.post("text").send().await.unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["type"], "api_error");

    let events = proxy.ended_flow().await;
    assert_eq!(kinds(&events), ["request", "error"]);
    assert_one_flow(&events);
    let EventKind::Error(error) = &events[1].kind else {
        unreachable!()
    };
    assert_eq!(error.stage, ErrorStage::Upstream);
    assert_eq!(error.status_code, Some(502));
    assert!(
        error.message.contains(&closed.to_string()),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn the_recorded_request_has_its_credentials_redacted_unless_told_not_to() {
    const KEY: &str = "sk-ant-api03-SECRETSECRETSECRETSECRET-WXYZ";
    const TOKEN: &str = "sk-ant-oat01-TOKENTOKENTOKEN-9876";
    let mock = MockUpstream::start().await.unwrap();
    for redact in [true, false] {
        let proxy = Running::start(&mock.url(), redact).await;
        let response = client()
            .post(format!("{}/v1/messages?key={KEY}", proxy.url))
            .header("x-mock-scenario", "json")
            .header("x-api-key", KEY)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("x-claude-code-session-id", "sess-1")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        let events = proxy.ended_flow().await;
        let EventKind::Request(request) = &events[0].kind else {
            panic!("the first event is not the request: {events:?}")
        };
        let header = |name: &str| request.headers.get(name).map(String::as_str);
        if redact {
            assert_eq!(header("x-api-key"), Some("sk-ant-…WXYZ"));
            assert_eq!(header("authorization"), Some("Bearer …9876"));
            assert_eq!(request.path, "/v1/messages?key=sk-ant-…WXYZ");
        } else {
            assert_eq!(header("x-api-key"), Some(KEY));
            assert_eq!(
                header("authorization"),
                Some(format!("Bearer {TOKEN}").as_str())
            );
            assert_eq!(request.path, format!("/v1/messages?key={KEY}"));
        }
        assert_eq!(header("x-claude-code-session-id"), Some("sess-1"));
        assert_eq!(header("host"), Some(mock.addr.to_string().as_str()));
    }
    // The upstream got the real credentials both times.
    for seen in mock.state.requests() {
        assert_eq!(seen.header("x-api-key"), Some(KEY));
        assert_eq!(
            seen.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert_eq!(mock.state.requests().len(), 2);
}
