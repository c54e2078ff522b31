//! A client that misbehaves: reads slowly, sends huge or hostile requests,
//! or no HTTP at all. The proxy bounds what it holds, answers clearly, and
//! keeps serving everyone else.
//!
//! A client that disconnects mid-stream, and a declared body over the limit,
//! are in `proxy_faults.rs`.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::ended_events as ended;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::{assert_413, drain, mock_and_proxy, read_ok, scenario};

const WAIT: Duration = Duration::from_secs(20);
const MIB: u64 = 1 << 20;

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_reading_holds_the_upstream_back_and_memory_stays_bounded() {
    let (mock, tc) = mock_and_proxy().await;
    let total = 48 * MIB;
    let baseline = tc.rss_kib();
    let response = scenario(&tc.proxy_url(), "flood")
        .header("x-mock-bytes", total.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The client reads nothing: the upstream must soon stop getting rid of bytes.
    let mut last = 0;
    let mut steady_since = Instant::now();
    let start = Instant::now();
    let mut peak = baseline;
    while steady_since.elapsed() < Duration::from_millis(700) && start.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
        peak = peak.max(tc.rss_kib());
        let sent = mock.state.bytes_sent.load(Ordering::SeqCst);
        if sent != last {
            last = sent;
            steady_since = Instant::now();
        }
    }
    let held_back = mock.state.bytes_sent.load(Ordering::SeqCst);
    assert!(
        held_back < 32 * MIB,
        "the upstream sent {} MiB to a client that read nothing: backpressure does not reach it",
        held_back / MIB
    );
    assert!(
        peak < baseline + 64 * 1024,
        "the proxy grew from {baseline} to {peak} KiB for a client that read nothing"
    );

    // Then it reads: the stream resumes and runs to its end, whole.
    let received = drain(response, |_| {}).await;
    let event = testkit::mock::flood_event().len() as u64;
    assert_eq!(received, total.div_ceil(event) * event);
    let log = tc.wait_for_text(Duration::from_secs(60), |t| {
        t.contains("\"type\":\"stream_end\"")
    });
    let deltas = log.matches("\"event\":\"content_block_delta\"").count() as u64;
    assert_eq!(deltas, total.div_ceil(event), "every event is logged");
    assert!(!log.contains("\"type\":\"error\""));
    eprintln!(
        "slow reader: upstream held at {} MiB of {} MiB; proxy RSS {} → peak {} KiB",
        held_back / MIB,
        total / MIB,
        baseline,
        peak
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100_mb_request_body_is_forwarded_whole_and_logged_whole() {
    let (mock, tc) = mock_and_proxy().await;
    let content = "c".repeat(100 * MIB as usize);
    let body = format!(r#"{{"model":"m","messages":[{{"role":"user","content":"{content}"}}]}}"#);
    let response = scenario(&tc.proxy_url(), "echo")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echo["body_len"], body.len());
    assert!(
        mock.state.requests()[0].body == body.as_bytes(),
        "the upstream got the body byte for byte"
    );

    // The log is checked as text: parsing 100 MB of JSON in a debug build is slow.
    let log = tc.wait_for_text(Duration::from_secs(60), |t| {
        t.contains("\"type\":\"response\"")
    });
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "request, response_headers, response");
    assert!(lines[0].contains("\"type\":\"request\""));
    assert!(
        lines[0].contains(&format!("\"content\":\"{content}\"")),
        "the request body is logged whole"
    );
}

/// Sends `bytes` on a fresh connection to the proxy and returns what comes
/// back before the proxy closes it (or a few seconds pass).
async fn raw_exchange(port: u16, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // The proxy may answer and close before it has read everything.
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_instead_of_http_gets_a_400_and_the_proxy_goes_on() {
    let (mock, tc) = mock_and_proxy().await;
    let garbage: [&[u8]; 4] = [
        // A TLS ClientHello: a client that thinks the proxy speaks HTTPS.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"\x00\xff\xfe garbage \x00\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
    ];
    for bytes in garbage {
        let answer = raw_exchange(tc.proxy_port, bytes).await;
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
            "{bytes:?} got {answer:?}"
        );
    }
    let text = read_ok(scenario(&tc.proxy_url(), "text")).await;
    assert!(text.contains("message_stop"));
    let events = tc.wait_for(WAIT, |e| ended(e) == 1);
    assert_eq!(events[0]["type"], "request");
    assert!(mock.state.requests().len() == 1, "no garbage went upstream");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_heads_within_generous_limits_pass_and_past_them_get_431() {
    let (mock, tc) = mock_and_proxy().await;
    let head = |headers: usize, size: usize| {
        let mut text = String::from("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-mock-scenario: echo\r\nContent-Length: 2\r\nConnection: close\r\n");
        for i in 0..headers {
            text.push_str(&format!("x-filler-{i}: {}\r\n", "f".repeat(size)));
        }
        text.push_str("\r\n{}");
        text
    };
    // Far more than Claude Code sends (about 30 headers, a few KB).
    let generous = raw_exchange(tc.proxy_port, head(200, 2000).as_bytes()).await;
    assert!(generous.starts_with("HTTP/1.1 200"), "{generous:.200}");
    assert!(generous.contains("x-filler-199"));

    for (headers, size) in [(300, 10), (1, 2 << 20)] {
        let answer = raw_exchange(tc.proxy_port, head(headers, size).as_bytes()).await;
        assert!(
            answer.starts_with("HTTP/1.1 431"),
            "{headers} headers of {size} bytes got {answer:.200}"
        );
    }
    assert_eq!(
        mock.state.requests().len(),
        1,
        "nothing over the limits went upstream"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_request_body_growing_past_the_limit_gets_413_and_goes_nowhere() {
    // No Content-Length to refuse early: the proxy must stop at the limit
    // (256 MiB) as the body streams in, not hold whatever the client sends.
    let (mock, tc) = mock_and_proxy().await;
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", tc.proxy_port))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        let head =
            "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        writer.write_all(head.as_bytes()).await.unwrap();
        let piece = vec![b'z'; 1 << 20];
        let mut frame = format!("{:x}\r\n", piece.len()).into_bytes();
        frame.extend_from_slice(&piece);
        frame.extend_from_slice(b"\r\n");
        let mut sent = 0u64;
        // Up to 300 MiB; the proxy answers (and stops reading) at 256.
        while sent < 300 * MIB {
            if let Err(e) = writer.write_all(&frame).await {
                return (sent, Some(e));
            }
            sent += piece.len() as u64;
        }
        (sent, None)
    });
    assert_413(&mut reader, Duration::from_secs(60)).await;
    drop(reader);
    let (sent, _) = sender.await.unwrap();
    assert!(
        sent < 300 * MIB,
        "the proxy read all {sent} bytes instead of stopping at its limit"
    );
    let events = tc.wait_for(WAIT, |e| ended(e) == 1);
    let error = events.last().unwrap();
    assert_eq!(error["stage"], "request");
    assert_eq!(error["status_code"], 413);
    assert!(mock.state.requests().is_empty(), "nothing went upstream");
}
