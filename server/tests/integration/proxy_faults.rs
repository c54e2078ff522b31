//! Failures on either side: the client gets what an HTTP client expects, the
//! log says what happened, and the proxy keeps serving.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::binary::{flow_events, shape};
use testkit::{client, TraceClaude};

use crate::util::{assert_413, bin, mock_and_proxy, scenario, STREAM_BODY};

const WAIT: Duration = Duration::from_secs(10);

fn error_events(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "error").collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_upstream_gives_a_502_with_an_anthropic_error_and_an_error_event() {
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let upstream = format!("http://{closed}");
    let tc = TraceClaude::start(bin(), &upstream, &[]).unwrap();
    let response = client()
        .post(format!("{}/v1/messages", tc.proxy_url()))
        .body(STREAM_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "api_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&upstream), "{message}");

    let events = tc.wait_for(WAIT, |e| !error_events(e).is_empty());
    let names = shape(&events.iter().collect::<Vec<_>>());
    assert_eq!(names, ["request", "error"]);
    assert_eq!(
        events[0]["body"]["model"], "m",
        "the request is logged even though it never left"
    );
    assert_eq!(events[1]["stage"], "upstream");
    assert_eq!(events[1]["status_code"], 502);
    assert!(events[1]["message"].as_str().unwrap().contains(&upstream));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_reset_mid_stream_ends_the_client_stream_and_is_logged() {
    let (_mock, tc) = mock_and_proxy().await;
    let mut response = scenario(&tc.proxy_url(), "reset").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut received = Vec::new();
    let outcome = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(
        outcome.is_err(),
        "the client must see the stream break, not a clean end"
    );
    assert!(String::from_utf8_lossy(&received).contains("message_start"));

    let events = tc.wait_for(WAIT, |e| !error_events(e).is_empty());
    let names = shape(&events.iter().collect::<Vec<_>>());
    assert_eq!(
        names,
        [
            "request",
            "response_headers",
            "sse:message_start",
            "sse:content_block_start",
            "error"
        ]
    );
    let error = events.last().unwrap();
    assert_eq!(error["stage"], "upstream");
    assert!(
        error.get("status_code").is_none(),
        "the client already had the upstream's 200"
    );

    // The proxy goes on serving.
    let again = scenario(&tc.proxy_url(), "json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_gone_mid_stream_cancels_the_upstream_request_and_is_logged() {
    let (mock, tc) = mock_and_proxy().await;
    let mut response = scenario(&tc.proxy_url(), "slow")
        .header("x-mock-count", "400")
        .header("x-mock-interval-ms", "25")
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("event: content_block_delta") {
        let chunk = response.chunk().await.unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(response);

    let events = tc.wait_for(WAIT, |e| !error_events(e).is_empty());
    let error = error_events(&events)[0];
    assert_eq!(error["stage"], "client");
    assert!(error["message"].as_str().unwrap().contains("client closed"));
    let flow = flow_events(&events, error["flow_id"].as_str().unwrap());
    assert!(shape(&flow).contains(&"sse:content_block_delta".to_owned()));
    assert!(!shape(&flow).contains(&"stream_end".to_owned()));

    // The upstream saw its request go away long before the 10 s stream would end.
    let start = Instant::now();
    while mock.state.streams_cancelled.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < WAIT,
            "the upstream request was never cancelled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(mock.state.streams_completed.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_body_over_the_limit_is_refused_clearly_and_logged() {
    // The limit is large (256 MiB); a client that claims more is refused early.
    let (mock, tc) = mock_and_proxy().await;
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", tc.proxy_port))
        .await
        .unwrap();
    let head = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        300u64 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert_413(&mut stream, WAIT).await;
    let events = tc.wait_for(WAIT, |e| !error_events(e).is_empty());
    assert_eq!(events.last().unwrap()["stage"], "request");
    assert_eq!(events.last().unwrap()["status_code"], 413);
    assert!(mock.state.requests().is_empty(), "nothing went upstream");
}
