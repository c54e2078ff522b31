//! Stopping `trace_claude listen` with a signal: it stops accepting, lets
//! the flows still open record how they ended, writes out everything the
//! recorder holds, and exits 0, within a bounded time even while an upstream
//! stream hangs.

use std::path::Path;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::{client, MockUpstream, TraceClaude};

use crate::util::bin;

/// Sends `signal` to the process with `kill(2)` and waits for it to end.
fn stop(tc: &mut TraceClaude, signal: libc::c_int, within: Duration) -> ExitStatus {
    let pid = libc::pid_t::try_from(tc.pid()).unwrap();
    // SAFETY: kill(2) only sends a signal, to the child this test started
    // and has not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill failed");
    tc.wait_for_exit(within)
        .unwrap_or_else(|e| panic!("{e:#}; stderr:\n{}", tc.stderr()))
}

/// Every line of the log, each of which must be whole JSON ending in a newline.
fn whole_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the log ends in a cut line"
    );
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:.200}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_during_a_stream_leaves_its_error_line_and_exits_zero() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mock = MockUpstream::start().await.unwrap();
        let mut tc = TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
        // The stream sends its first delta, then hangs for far longer than
        // the test: only an ordered shutdown ends it.
        let mut response = client()
            .post(format!("{}/v1/messages", tc.proxy_url()))
            .header("x-mock-scenario", "stall")
            .header("x-mock-stall-ms", "600000")
            .body(r#"{"model":"m","stream":true}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let first = response.chunk().await.unwrap().unwrap();
        assert!(!first.is_empty());
        let events = tc.wait_for(Duration::from_secs(20), |events| {
            events.iter().any(|e| e["event"] == "content_block_delta")
        });
        let flow = events[0]["flow_id"].as_str().unwrap().to_owned();

        let started = Instant::now();
        let status = stop(&mut tc, signal, Duration::from_secs(10));
        assert!(
            status.success(),
            "signal {signal}: exit {status:?}; stderr:\n{}",
            tc.stderr()
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "shutdown took {:?}",
            started.elapsed()
        );

        // The client saw the response cut, not completed.
        let mut rest = Vec::new();
        let cut = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => rest.extend_from_slice(&chunk),
                Ok(None) => break false,
                Err(_) => break true,
            }
        };
        assert!(cut, "the stream ended as if complete after the signal");

        let lines = whole_lines(&tc.log_path);
        let of_flow: Vec<&Value> = lines.iter().filter(|e| e["flow_id"] == flow).collect();
        let last = of_flow.last().unwrap();
        assert_eq!(last["type"], "error", "the flow's last line: {last}");
        assert_eq!(last["stage"], "client");
        let message = last["message"].as_str().unwrap();
        assert!(
            message.contains("trace_claude was stopped while the response was streaming"),
            "{message}"
        );
        assert_eq!(
            of_flow.iter().filter(|e| e["type"] == "error").count(),
            1,
            "one ending, not two"
        );
        assert!(!of_flow.iter().any(|e| e["type"] == "stream_end"));
        let deltas = of_flow
            .iter()
            .filter(|e| e["event"] == "content_block_delta")
            .count();
        assert_eq!(deltas, 1, "the delta before the stall is in the log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_while_waiting_for_the_upstream_records_that_flow_too() {
    // An upstream that accepts the connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let mut tc = TraceClaude::start(bin(), &url, &[]).unwrap();
    let proxy = tc.proxy_url();
    let request = tokio::spawn(async move {
        client()
            .post(format!("{proxy}/v1/messages"))
            .body(r#"{"model":"m"}"#)
            .send()
            .await
    });
    tc.wait_for(Duration::from_secs(20), |events| {
        events.iter().any(|e| e["type"] == "request")
    });

    let status = stop(&mut tc, libc::SIGINT, Duration::from_secs(10));
    assert!(
        status.success(),
        "exit {status:?}; stderr:\n{}",
        tc.stderr()
    );
    let answered = request.await.unwrap();
    if let Ok(response) = answered {
        assert_eq!(response.status(), 503, "the proxy answers that it stopped");
    }
    let lines = whole_lines(&tc.log_path);
    let kinds: Vec<&str> = lines.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["request", "error"], "{lines:?}");
    assert!(
        lines[1]["message"]
            .as_str()
            .unwrap()
            .contains("trace_claude was stopped"),
        "{}",
        lines[1]
    );
    held.abort();
}
