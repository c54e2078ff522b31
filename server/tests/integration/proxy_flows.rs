//! The proxy forwards untouched and logs every event: the real binary between
//! a real client and the mock upstream.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::binary::{flow_events, shape};
use testkit::script::{self, Encoding};
use testkit::{client, TraceClaude};

use crate::util::{bin, claude_request, mock_and_proxy, sse_data, API_KEY, THINKING_TOOL_DELTAS};

const WAIT: Duration = Duration::from_secs(10);

async fn post(tc: &TraceClaude, scenario: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut req = claude_request(&tc.proxy_url(), scenario);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.body(json!({"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}).to_string())
        .send()
        .await
        .unwrap()
}

/// Waits until the flow of the `n`-th request (0-based) is finished in the log.
fn finished_flow(tc: &TraceClaude, n: usize) -> (String, Vec<Value>) {
    crate::util::finished_flow(tc, n, WAIT)
}

#[tokio::test(flavor = "multi_thread")]
async fn streaming_text_reaches_the_client_byte_for_byte_and_every_event_is_logged() {
    let (mock, tc) = mock_and_proxy().await;
    let response = post(&tc, "text", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let body = response.bytes().await.unwrap();
    let expected = script::encode(&script::text_stream(
        "claude-sonnet-4-5",
        &["Hello", " world"],
    ));
    assert_eq!(body.as_ref(), expected.as_slice());

    let (_, events) = finished_flow(&tc, 0);
    let refs: Vec<&Value> = events.iter().collect();
    assert_eq!(shape(&refs), crate::util::TEXT_FLOW_SHAPE);
    let request = &events[0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/v1/messages?beta=true");
    assert_eq!(request["body"]["model"], "claude-sonnet-4-5");
    assert_eq!(request["headers"]["host"], mock.addr.to_string());
    assert_eq!(events[1]["status_code"], 200);
    assert_eq!(events[1]["streaming"], true);
    let texts: Vec<Value> = sse_data(&events, "content_block_delta")
        .iter()
        .map(|d| d["delta"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("Hello"), json!(" world")]);
    assert_eq!(
        sse_data(&events, "message_delta")[0]["usage"]["output_tokens"],
        2
    );
    // Timestamps: RFC 3339 UTC with microseconds, never going backwards.
    let stamps: Vec<&str> = events.iter().map(|e| e["ts"].as_str().unwrap()).collect();
    for ts in &stamps {
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(ts.ends_with('Z'));
    }
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn thinking_and_tool_use_with_split_input_json_are_logged_as_sent() {
    let (_mock, tc) = mock_and_proxy().await;
    let body = post(&tc, "thinking_tool", &[]).await.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("input_json_delta"));
    let (_, events) = finished_flow(&tc, 0);
    let starts = sse_data(&events, "content_block_start");
    assert_eq!(starts[0]["content_block"]["type"], "thinking");
    assert_eq!(starts[1]["content_block"]["type"], "tool_use");
    assert_eq!(starts[1]["content_block"]["name"], "Bash");
    let deltas = sse_data(&events, "content_block_delta");
    let kinds: Vec<&str> = deltas
        .iter()
        .map(|d| d["delta"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, THINKING_TOOL_DELTAS);
    let joined: String = deltas
        .iter()
        .filter_map(|d| d["delta"]["partial_json"].as_str())
        .collect();
    let input: Value = serde_json::from_str(&joined).unwrap();
    assert_eq!(input["command"], testkit::mock::TOOL_INPUT_COMMAND);
    assert_eq!(
        sse_data(&events, "message_delta")[0]["delta"]["stop_reason"],
        "tool_use"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn non_streaming_responses_are_logged_whole_as_json() {
    let (_mock, tc) = mock_and_proxy().await;
    let response = post(&tc, "json", &[]).await;
    assert_eq!(response.status(), 200);
    let got: Value = response.json().await.unwrap();
    assert_eq!(got["content"][0]["text"], "Hi there");
    let (_, events) = finished_flow(&tc, 0);
    let refs: Vec<&Value> = events.iter().collect();
    assert_eq!(shape(&refs), ["request", "response_headers", "response"]);
    assert_eq!(events[1]["streaming"], false);
    assert_eq!(events[2]["status_code"], 200);
    assert_eq!(events[2]["body"], got);
}

#[tokio::test(flavor = "multi_thread")]
async fn compressed_streams_pass_through_as_sent_and_are_logged_decoded() {
    let (_mock, tc) = mock_and_proxy().await;
    let frames: Vec<Vec<u8>> = script::text_stream("claude-sonnet-4-5", &["Hello", " world"])
        .iter()
        .map(script::frame)
        .collect();
    for (n, encoding) in [
        Encoding::Gzip,
        Encoding::Brotli,
        Encoding::Zstd,
        Encoding::Deflate,
    ]
    .into_iter()
    .enumerate()
    {
        let response = post(&tc, "text", &[("x-mock-encoding", encoding.header())]).await;
        assert_eq!(response.headers()["content-encoding"], encoding.header());
        let body = response.bytes().await.unwrap();
        // The exact bytes the mock compressed, not a re-encoding.
        let sent: Vec<u8> = encoding.compress_pieces(&frames).concat();
        assert_eq!(body.as_ref(), sent.as_slice(), "{encoding:?}");

        let (_, events) = finished_flow(&tc, n);
        let texts: Vec<Value> = sse_data(&events, "content_block_delta")
            .iter()
            .map(|d| d["delta"]["text"].clone())
            .collect();
        assert_eq!(texts, [json!("Hello"), json!(" world")], "{encoding:?}");
        assert!(events.iter().any(|e| e["type"] == "stream_end"));
        assert!(
            !events.iter().any(|e| e["type"] == "error"),
            "{encoding:?}: {events:?}"
        );
    }
    // A compressed non-streaming body: passed through compressed, logged as JSON.
    let response = post(&tc, "json", &[("x-mock-encoding", "br")]).await;
    assert_eq!(response.headers()["content-encoding"], "br");
    let compressed = response.bytes().await.unwrap();
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &compressed[..], &mut plain).unwrap();
    let sent: Value = serde_json::from_slice(&plain).unwrap();
    let (_, events) = finished_flow(&tc, 4);
    assert_eq!(events[2]["type"], "response");
    assert_eq!(events[2]["body"], sent);
    assert_eq!(events[2]["body"]["content"][0]["text"], "Hi there");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_content_encoding_passes_through_and_is_logged_as_received() {
    let (_mock, tc) = mock_and_proxy().await;
    let response = post(&tc, "json", &[("x-mock-label-encoding", "compress")]).await;
    assert_eq!(response.headers()["content-encoding"], "compress");
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let (_, events) = finished_flow(&tc, 0);
    let refs: Vec<&Value> = events.iter().collect();
    // The headers come first, then the note that the body could not be decoded.
    assert_eq!(
        shape(&refs),
        ["request", "response_headers", "error", "response"]
    );
    assert_eq!(events[2]["stage"], "decode");
    assert!(events[2]["message"]
        .as_str()
        .unwrap()
        .contains("\"compress\""));
    assert_eq!(
        events[3]["body"], body,
        "the body is logged whole, as received"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_errors_pass_through_untouched_and_are_logged_with_their_bodies() {
    let (_mock, tc) = mock_and_proxy().await;
    let response = post(&tc, "overloaded", &[]).await;
    assert_eq!(response.status(), 529);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "overloaded_error");
    let (_, events) = finished_flow(&tc, 0);
    assert_eq!(events[1]["status_code"], 529);
    assert_eq!(events[2]["type"], "response");
    assert_eq!(events[2]["status_code"], 529);
    assert_eq!(events[2]["body"]["error"]["type"], "overloaded_error");

    // An in-band error event mid-stream is an ordinary SSE event in the log.
    let _ = post(&tc, "midstream_error", &[])
        .await
        .bytes()
        .await
        .unwrap();
    let (_, events) = finished_flow(&tc, 1);
    let errors = sse_data(&events, "error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["error"]["type"], "overloaded_error");
    assert_eq!(events.last().unwrap()["type"], "stream_end");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_delivered_one_byte_at_a_time_gives_the_same_events() {
    let (_mock, tc) = mock_and_proxy().await;
    let body = post(&tc, "bytewise", &[]).await.bytes().await.unwrap();
    let expected = script::encode(&script::text_stream(
        "claude-sonnet-4-5",
        &["Hello", " world"],
    ));
    assert_eq!(body.as_ref(), expected.as_slice());
    let (_, events) = finished_flow(&tc, 0);
    let logged: Vec<(String, Value)> = events
        .iter()
        .filter(|e| e["type"] == "sse")
        .map(|e| (e["event"].as_str().unwrap().to_owned(), e["data"].clone()))
        .collect();
    assert_eq!(
        logged,
        script::text_stream("claude-sonnet-4-5", &["Hello", " world"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_method_path_query_and_header_is_forwarded_with_the_upstreams_host() {
    let (mock, tc) = mock_and_proxy().await;
    let c = client();
    let head = c.head(format!("{}/", tc.proxy_url())).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let count = c
        .post(format!(
            "{}/v1/messages/count_tokens?beta=true",
            tc.proxy_url()
        ))
        .header("content-type", "application/json")
        .body(r#"{"model":"m","messages":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(count.json::<Value>().await.unwrap()["input_tokens"], 42);
    let echo: Value = c
        .delete(format!("{}/v1/files/abc?x=1&y=two", tc.proxy_url()))
        .header("x-mock-scenario", "echo")
        .header("anthropic-version", "2023-06-01")
        .header("x-claude-code-session-id", "sess-1")
        .body("raw body")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["method"], "DELETE");
    assert_eq!(echo["path"], "/v1/files/abc?x=1&y=two");
    assert_eq!(echo["headers"]["host"], mock.addr.to_string());
    assert_eq!(echo["headers"]["anthropic-version"], "2023-06-01");
    assert_eq!(echo["headers"]["x-claude-code-session-id"], "sess-1");
    assert_eq!(echo["body_len"], 8);

    let seen = mock.state.requests();
    assert_eq!(seen[0].method, "HEAD");
    assert_eq!(seen[0].path, "/");
    assert_eq!(seen[1].path, "/v1/messages/count_tokens?beta=true");

    let (_, events) = finished_flow(&tc, 2);
    assert_eq!(events[0]["method"], "DELETE");
    assert_eq!(events[0]["body"], "raw body");
    let all = tc.events();
    let head_flow = &all[0]["flow_id"];
    let head_events: Vec<&Value> = all.iter().filter(|e| &e["flow_id"] == head_flow).collect();
    assert_eq!(
        shape(&head_events),
        ["request", "response_headers", "response"]
    );
    assert_eq!(head_events[0]["method"], "HEAD");
    assert_eq!(head_events[0]["body"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_bodies_are_logged_as_marked_base64() {
    let (_mock, tc) = mock_and_proxy().await;
    client()
        .post(format!("{}/upload", tc.proxy_url()))
        .header("x-mock-scenario", "echo")
        .body(vec![0u8, 0xff, 0xfe, 0x10])
        .send()
        .await
        .unwrap();
    let (_, events) = finished_flow(&tc, 0);
    assert_eq!(
        events[0]["body"],
        json!({"trace_claude_binary": true, "base64": "AP/+EA=="})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_clients_get_their_own_flows_and_lines_never_interleave() {
    let (_mock, tc) = mock_and_proxy().await;
    const CLIENTS: usize = 24;
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let url = tc.proxy_url();
        tasks.push(tokio::spawn(async move {
            let response = client()
                .post(format!("{url}/v1/messages"))
                .header("x-mock-scenario", "slow")
                .header("x-mock-count", "15")
                .header("x-mock-interval-ms", "5")
                .header("x-client", i.to_string())
                .body(format!(r#"{{"model":"m{i}","stream":true}}"#))
                .send()
                .await
                .unwrap();
            response.bytes().await.unwrap()
        }));
    }
    for task in tasks {
        let body = task.await.unwrap();
        assert_eq!(
            String::from_utf8_lossy(&body)
                .matches("event: content_block_delta")
                .count(),
            15
        );
    }
    // read_log panics on any line that is not whole JSON.
    let events = tc.wait_for(WAIT, |events| {
        events.iter().filter(|e| e["type"] == "stream_end").count() == CLIENTS
    });
    let requests: Vec<&Value> = events.iter().filter(|e| e["type"] == "request").collect();
    assert_eq!(requests.len(), CLIENTS);
    let mut flow_ids: Vec<&str> = requests
        .iter()
        .map(|r| r["flow_id"].as_str().unwrap())
        .collect();
    flow_ids.sort();
    flow_ids.dedup();
    assert_eq!(flow_ids.len(), CLIENTS);
    for request in requests {
        let flow = flow_events(&events, request["flow_id"].as_str().unwrap());
        let names = shape(&flow);
        assert_eq!(names.first().map(String::as_str), Some("request"));
        assert_eq!(names[1], "response_headers");
        assert_eq!(
            names
                .iter()
                .filter(|n| *n == "sse:content_block_delta")
                .count(),
            15
        );
        assert_eq!(names.last().map(String::as_str), Some("stream_end"));
        let model = request["body"]["model"].as_str().unwrap();
        assert_eq!(
            format!("m{}", request["headers"]["x-client"].as_str().unwrap()),
            model
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_are_redacted_by_default_and_the_log_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (mock, tc) = mock_and_proxy().await;
    post(
        &tc,
        "json",
        &[
            ("authorization", "Bearer sk-ant-oat01-TOKENTOKENTOKEN-9876"),
            ("cookie", "sid=abcdefghijklmnopqrst"),
        ],
    )
    .await;
    let (_, events) = finished_flow(&tc, 0);
    let headers = &events[0]["headers"];
    assert_eq!(headers["x-api-key"], "sk-ant-…WXYZ");
    assert_eq!(headers["authorization"], "Bearer …9876");
    assert_eq!(headers["cookie"], "…qrst");
    let raw = std::fs::read_to_string(&tc.log_path).unwrap();
    assert!(
        !raw.contains("SECRETSECRET")
            && !raw.contains("TOKENTOKEN")
            && !raw.contains("abcdefghijklmnop")
    );
    // The upstream still got the real key.
    assert_eq!(mock.state.requests()[0].header("x-api-key"), Some(API_KEY));

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&tc.log_path), 0o600);
    assert_eq!(mode(tc.log_path.parent().unwrap()), 0o700);

    let plain = TraceClaude::start(bin(), &mock.url(), &["--no-redact"]).unwrap();
    post(&plain, "json", &[]).await;
    let (_, events) = finished_flow(&plain, 0);
    assert_eq!(events[0]["headers"]["x-api-key"], API_KEY);
}
