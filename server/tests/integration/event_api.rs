//! The event API on the web port: events so far, live events, and who may ask.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use testkit::{client, TraceClaude};

use crate::util::{get_json, mock_and_proxy, read_ok, scenario};

async fn send_text(tc: &TraceClaude) {
    read_ok(scenario(&tc.proxy_url(), "text")).await;
}

/// Reads SSE messages (line number, data) from the live stream until `n`
/// arrived, checking each id names the session.
async fn read_messages(response: reqwest::Response, session: &str, n: usize) -> Vec<(u64, Value)> {
    let mut stream = response.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    let mut hellos = 0;
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("live events stopped coming")
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            // Every event's id is SESSION:LINE; the opening `session` message has none.
            let id = block.lines().find_map(|l| l.strip_prefix("id: ")).map(|v| {
                let (s, line) = v.rsplit_once(':').expect("an id of the form SESSION:LINE");
                assert_eq!(s, session);
                line.parse::<u64>().unwrap()
            });
            if block.lines().any(|l| l == "event: session") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                let info: Value = serde_json::from_str(data).unwrap();
                assert_eq!(info["session"], session);
                assert!(
                    id.is_none(),
                    "the session message must not move Last-Event-ID"
                );
                hellos += 1;
            }
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(id), Some(data)) = (id, data) {
                out.push((id, serde_json::from_str(data).unwrap()));
            }
        }
    }
    assert_eq!(
        hellos, 1,
        "each connection opens with exactly one session message"
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn events_so_far_equal_the_log_and_live_events_follow_without_gaps() {
    let (_mock, tc) = mock_and_proxy().await;
    send_text(&tc).await;
    let logged = tc.wait_for(Duration::from_secs(10), |e| {
        e.iter().any(|e| e["type"] == "stream_end")
    });

    let so_far = get_json(&format!("{}/api/events", tc.web_url())).await;
    assert_eq!(so_far, Value::from(logged.clone()));
    let after = get_json(&format!("{}/api/events?after=3", tc.web_url())).await;
    assert_eq!(after, Value::from(logged[3..].to_vec()));

    // A subscriber from the start gets the old events, then new ones live.
    let live = client()
        .get(format!("{}/api/events/stream", tc.web_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    send_text(&tc).await;
    let session = tc
        .log_path
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let messages = read_messages(live, &session, logged.len() * 2).await;
    let ids: Vec<u64> = messages.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (1..=logged.len() as u64 * 2).collect::<Vec<_>>());
    let all = tc.wait_for(Duration::from_secs(10), |e| e.len() >= logged.len() * 2);
    let data: Vec<Value> = messages.into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, all);

    // Reconnecting with Last-Event-ID resumes right after it.
    let resumed = client()
        .get(format!("{}/api/events/stream", tc.web_url()))
        .header("last-event-id", format!("{session}:5"))
        .send()
        .await
        .unwrap();
    let messages = read_messages(resumed, &session, 2).await;
    assert_eq!(messages[0].0, 6);
    assert_eq!(messages[0].1, all[5]);

    // An id from another session (a restarted proxy) starts from line 1.
    let restarted = client()
        .get(format!("{}/api/events/stream", tc.web_url()))
        .header("last-event-id", "session_19990101_000000:5")
        .send()
        .await
        .unwrap();
    let messages = read_messages(restarted, &session, 1).await;
    assert_eq!(messages[0].0, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_hosts_and_cross_origin_callers_are_refused() {
    let (_mock, tc) = mock_and_proxy().await;
    let url = format!("{}/api/events", tc.web_url());
    let ok = client().get(&url).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().get("access-control-allow-origin").is_none());
    assert_eq!(ok.headers()["x-content-type-options"], "nosniff");
    let localhost = client()
        .get(&url)
        .header("host", format!("localhost:{}", tc.web_port))
        .send()
        .await
        .unwrap();
    assert_eq!(localhost.status(), 200);

    for host in [
        "evil.example".to_owned(),
        "evil.example:80".to_owned(),
        format!("attacker.test:{}", tc.web_port),
    ] {
        let refused = client()
            .get(&url)
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "{host}");
        assert!(refused.text().await.unwrap().starts_with("trace_claude:"));
    }
    let cross = client()
        .get(&url)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let same = client()
        .get(&url)
        .header("origin", tc.web_url())
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
}
