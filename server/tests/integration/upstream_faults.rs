//! An upstream that fails in every way an upstream can: the client sees what
//! it would see without the proxy (or a clear 502 before any byte), the log
//! records what happened, and the proxy keeps serving.
//!
//! Refused connections and resets mid-stream are in `proxy_faults.rs`; a
//! stall of a minute is in `load.rs`, where it runs beside the load test.

use std::time::Duration;

use serde_json::Value;
use testkit::binary::{flow_events, shape};
use testkit::mock::INVALID_SSE;
use testkit::{ended_events as finished, TraceClaude};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::{bin, drain, mock_and_proxy, scenario};

const WAIT: Duration = Duration::from_secs(20);
const MIB: u64 = 1 << 20;

async fn post(tc: &TraceClaude, name: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut request = scenario(&tc.proxy_url(), name);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_name_that_resolves_to_nothing_gives_a_502_and_the_proxy_goes_on() {
    let upstream = "http://trace-claude-test.invalid:9";
    let tc = TraceClaude::start(bin(), upstream, &[]).unwrap();
    // Twice: the first failure must not stop the proxy from answering.
    for _ in 0..2 {
        let response = post(&tc, "text", &[]).await;
        assert_eq!(response.status(), 502);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], "api_error");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("trace-claude-test.invalid"), "{message}");
    }
    let events = tc.wait_for(WAIT, |e| finished(e) == 2);
    let errors: Vec<&Value> = events.iter().filter(|e| e["type"] == "error").collect();
    assert_eq!(errors.len(), 2);
    for error in errors {
        assert_eq!(error["stage"], "upstream");
        assert_eq!(error["status_code"], 502);
        let flow = flow_events(&events, error["flow_id"].as_str().unwrap());
        assert_eq!(shape(&flow), ["request", "error"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_sse_reaches_the_client_byte_for_byte_and_is_logged_as_it_came() {
    let (_mock, tc) = mock_and_proxy().await;
    let response = post(&tc, "invalid_sse", &[]).await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..], INVALID_SSE, "the client gets the bytes as sent");

    let events = tc.wait_for(WAIT, |e| finished(e) == 1);
    let all: Vec<&Value> = events.iter().collect();
    assert_eq!(
        shape(&all),
        [
            "request",
            "response_headers",
            "sse:message_start",
            "sse:content_block_delta",
            "sse:content_block_delta",
            "sse:message",
            "sse:message_stop",
            "stream_end"
        ]
    );
    assert_eq!(events[2]["data"]["type"], "message_start");
    assert_eq!(
        events[3]["data"], "this is not JSON",
        "non-JSON data is kept as a string"
    );
    assert_eq!(
        events[4]["data"], "\u{fffd}\u{fffd} not UTF-8 \u{fffd}",
        "bytes that are not UTF-8 are replaced, not dropped"
    );
    assert_eq!(events[5]["data"]["no"], "event name");
    assert_eq!(
        events[6]["data"]["type"], "message_stop",
        "an event without its blank line is kept at the end"
    );

    // The proxy goes on serving.
    let again = post(&tc, "text", &[]).await;
    assert!(again.text().await.unwrap().contains("message_stop"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100_mb_sse_line_streams_through_whole_and_the_log_keeps_a_bounded_part() {
    let (_mock, tc) = mock_and_proxy().await;
    let size = 100 * MIB;
    let response = post(&tc, "long_line", &[("x-mock-bytes", &size.to_string())]).await;
    assert_eq!(response.status(), 200);

    // Meanwhile another flow is served as usual.
    let other = post(&tc, "text", &[]).await;
    assert!(other.text().await.unwrap().contains("message_stop"));

    let mut peak_rss = 0;
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let received = drain(response, |chunk| {
        peak_rss = peak_rss.max(tc.rss_kib());
        if head.len() < 64 {
            head.extend_from_slice(chunk);
        }
        tail.extend_from_slice(chunk);
        let keep = tail.len().saturating_sub(64);
        tail.drain(..keep);
    })
    .await;
    let prefix = b"event: long\ndata: ";
    let suffix = b"\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    assert_eq!(received, prefix.len() as u64 + size + suffix.len() as u64);
    assert!(head.starts_with(prefix));
    assert!(tail.ends_with(suffix));

    let events = tc.wait_for(WAIT, |e| finished(e) == 2);
    let flow = events
        .iter()
        .find(|e| e["event"] == "long")
        .and_then(|e| e["flow_id"].as_str())
        .expect("the long event is logged");
    let flow = flow_events(&events, flow);
    assert_eq!(
        shape(&flow),
        [
            "request",
            "response_headers",
            "sse:long",
            "error",
            "sse:message_stop",
            "stream_end"
        ]
    );
    let kept = flow[2]["data"].as_str().unwrap();
    assert_eq!(kept.len() as u64, 16 * MIB - "data: ".len() as u64);
    assert!(kept.bytes().all(|b| b == b'a'));
    assert_eq!(flow[3]["stage"], "decode");
    let note = flow[3]["message"].as_str().unwrap();
    assert!(note.contains("exceeds the recorder's limit"), "{note}");
    // The line was cut as it streamed: the recorder never held 100 MB of it.
    assert!(
        peak_rss < 300 * 1024,
        "the proxy grew to {peak_rss} KiB while a 100 MB line passed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100_mb_response_body_streams_through_and_is_logged_whole() {
    let (_mock, tc) = mock_and_proxy().await;
    let size = 100 * MIB;
    let response = post(&tc, "big", &[("x-mock-bytes", &size.to_string())]).await;
    assert_eq!(response.status(), 200);
    let mut all_b = true;
    let received = drain(response, |chunk| all_b &= chunk.iter().all(|&b| b == b'b')).await;
    assert_eq!(received, size);
    assert!(all_b);

    let events = tc.wait_for(Duration::from_secs(60), |e| finished(e) >= 1);
    let all: Vec<&Value> = events.iter().collect();
    assert_eq!(shape(&all), ["request", "response_headers", "response"]);
    let body = events[2]["body"].as_str().unwrap();
    assert_eq!(body.len() as u64, size, "bodies are logged whole");

    // And the proxy goes on serving.
    let again = post(&tc, "text", &[]).await;
    assert!(again.text().await.unwrap().contains("message_stop"));
}

/// An HTTP/1.0 upstream that answers every request with `head` + `body` and
/// closes the connection to end the body (no Content-Length, no chunks).
async fn http10_upstream(head: &'static str, body: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the request head and its (small) body.
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(head.as_bytes()).await;
                // In pieces with pauses, so that the proxy forwards them as they come.
                for piece in body.chunks(40) {
                    let _ = stream.write_all(piece).await;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn http_1_0_close_delimited_bodies_pass_through_and_are_logged_complete() {
    const SSE: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
event: content_block_delta\ndata: {\"delta\":{\"type\":\"text_delta\",\"text\":\"old\"}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    const JSON: &[u8] =
        b"{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"from 1996\"}]}";
    let cases: [(&str, &[u8], &[&str]); 2] = [
        (
            "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
            SSE,
            &[
                "request",
                "response_headers",
                "sse:message_start",
                "sse:content_block_delta",
                "sse:message_stop",
                "stream_end",
            ],
        ),
        (
            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n",
            JSON,
            &["request", "response_headers", "response"],
        ),
    ];
    for (head, body, expected) in cases {
        let upstream = http10_upstream(head, body).await;
        let tc = TraceClaude::start(bin(), &upstream, &[]).unwrap();
        let response = post(&tc, "-", &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(&response.bytes().await.unwrap()[..], body);
        let events = tc.wait_for(WAIT, |e| finished(e) == 1);
        let all: Vec<&Value> = events.iter().collect();
        assert_eq!(shape(&all), expected);
        if let Some(response) = events.iter().find(|e| e["type"] == "response") {
            assert_eq!(response["body"]["content"][0]["text"], "from 1996");
        }
    }
}
