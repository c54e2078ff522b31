//! The long tests, run side by side so that together they take a minute:
//! 50 clients streaming for 60 seconds (every flow logged complete, the
//! counts equal to what the clients received, memory back near its baseline),
//! and a stream that stalls for a minute between two events and then resumes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::binary::{flow_events, shape};
use testkit::client;

use crate::util::{mock_and_proxy, read_ok, scenario};

const CLIENTS: usize = 50;
const DURATION: Duration = Duration::from_secs(60);
/// Each flow: this many deltas, one every 10 ms (a second of streaming).
const EVENTS_PER_FLOW: usize = 100;

/// Streams one flow; returns the number of SSE events received, counted by
/// their terminating blank line across any chunk boundaries.
async fn one_flow(client: &reqwest::Client, url: &str, id: &str) -> usize {
    let mut response = client
        .post(url)
        .header("x-mock-scenario", "bench")
        .header("x-mock-count", EVENTS_PER_FLOW.to_string())
        .header("x-mock-interval-us", "10000")
        .header("x-load-id", id)
        .body(r#"{"model":"claude-load","stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut events = 0;
    let mut last = 0u8;
    while let Some(chunk) = response.chunk().await.unwrap() {
        for &b in chunk.iter() {
            if b == b'\n' && last == b'\n' {
                events += 1;
            }
            last = b;
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_clients_streaming_for_a_minute_are_logged_complete_and_memory_returns() {
    let (_mock, tc) = mock_and_proxy().await;
    let url = format!("{}/v1/messages", tc.proxy_url());
    // Warm up (the first flow sets up the client pool and the recorder).
    one_flow(&client(), &url, "warmup").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = tc.rss_kib();

    let running = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampler = tokio::spawn({
        let (running, peak, pid) = (Arc::clone(&running), Arc::clone(&peak), tc.pid());
        async move {
            while running.load(Ordering::SeqCst) {
                peak.fetch_max(testkit::binary::rss_kib(pid), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });

    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let url = url.clone();
            tokio::spawn(async move {
                // Each client its own connection pool, as separate Claude Code
                // processes would have.
                let client = client();
                let mut received = HashMap::new();
                let mut n = 0;
                while start.elapsed() < DURATION {
                    let id = format!("{c}-{n}");
                    let events = one_flow(&client, &url, &id).await;
                    received.insert(id, events);
                    n += 1;
                }
                received
            })
        })
        .collect();
    let mut received: HashMap<String, usize> = HashMap::new();
    for client in clients {
        received.extend(client.await.unwrap());
    }
    let flows = received.len();
    let events_received: usize = received.values().sum();

    let events = tc.wait_for(Duration::from_secs(60), |e| {
        e.iter().filter(|e| e["type"] == "stream_end").count() == flows + 1
    });
    running.store(false, Ordering::SeqCst);
    sampler.await.unwrap();
    // Give the allocator a moment to hand back what the burst used.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = tc.rss_kib();
    let peak = peak.load(Ordering::SeqCst);

    // Every flow complete, with exactly the events its client received.
    let mut by_flow: HashMap<&str, Vec<&Value>> = HashMap::new();
    for event in &events {
        by_flow
            .entry(event["flow_id"].as_str().unwrap())
            .or_default()
            .push(event);
    }
    let mut logged_sse = 0;
    let mut checked = 0;
    for flow in by_flow.values() {
        let id = flow[0]["headers"]["x-load-id"].as_str().unwrap();
        if id == "warmup" {
            continue;
        }
        let kinds = shape(flow);
        assert_eq!(kinds[..2], ["request", "response_headers"], "{id}");
        assert_eq!(kinds.last().unwrap(), "stream_end", "{id}: {kinds:?}");
        let sse = kinds.iter().filter(|k| k.starts_with("sse:")).count();
        assert_eq!(kinds.len(), sse + 3, "{id}: {kinds:?}");
        assert_eq!(Some(&sse), received.get(id), "{id}: logged vs received");
        for (i, event) in flow[2..2 + sse].iter().enumerate() {
            assert_eq!(event["data"]["i"], i, "{id}: events in order");
        }
        logged_sse += sse;
        checked += 1;
    }
    assert_eq!(checked, flows, "every flow a client made is in the log");
    assert_eq!(logged_sse, events_received);
    assert_eq!(events_received, flows * EVENTS_PER_FLOW);
    assert!(
        events.iter().all(|e| e["type"] != "error"),
        "no flow failed"
    );

    eprintln!(
        "load: {CLIENTS} clients for {}s: {flows} flows, {events_received} SSE events received and logged ({} log lines); proxy RSS baseline {} MiB, peak {} MiB, after {} MiB",
        DURATION.as_secs(),
        events.len(),
        baseline / 1024,
        peak / 1024,
        after / 1024
    );
    assert!(
        peak < baseline + 256 * 1024,
        "memory grew from {baseline} to {peak} KiB under load"
    );
    assert!(
        after < baseline + 32 * 1024,
        "memory did not return near its baseline: {baseline} → {after} KiB"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_that_stalls_for_a_minute_resumes_and_is_logged_complete() {
    let (_mock, tc) = mock_and_proxy().await;
    let stall = Duration::from_secs(61);
    let started = Instant::now();
    let mut response = scenario(&tc.proxy_url(), "stall")
        .header("x-mock-stall-ms", stall.as_millis().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut text = String::new();
    while !text.contains("before the stall") {
        text.push_str(&String::from_utf8_lossy(
            &response.chunk().await.unwrap().unwrap(),
        ));
    }

    // During the stall, other flows are served as usual.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let other = read_ok(scenario(&tc.proxy_url(), "text")).await;
    assert!(other.contains("message_stop"));

    while let Some(chunk) = response.chunk().await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(started.elapsed() >= stall);
    assert!(text.contains(" after the stall"), "the stream resumed");
    assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));

    let events = tc.wait_for(Duration::from_secs(10), |e| {
        e.iter().filter(|e| e["type"] == "stream_end").count() == 2
    });
    assert!(
        events.iter().all(|e| e["type"] != "error"),
        "nothing failed"
    );
    let flow = flow_events(&events, events[0]["flow_id"].as_str().unwrap());
    let kinds = shape(&flow);
    assert_eq!(kinds.len(), 2 + 8 + 1, "{kinds:?}");
    assert_eq!(kinds.last().unwrap(), "stream_end");
}
