//! The session log under stress: a full disk never stops forwarding and is
//! reported once (stderr, `/api/session`, the UI's health stream) while
//! writing is retried; `kill -9` mid-traffic leaves only whole lines, and no
//! line that was written and published is missing.

use std::os::unix::process::CommandExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::binary::{flow_events, shape};
use testkit::{client, MockUpstream, TraceClaude};

use crate::util::{bin, get_json, mock_and_proxy, read_ok, scenario};

const WAIT: Duration = Duration::from_secs(20);

async fn stream_text(tc: &TraceClaude, n: usize) -> String {
    read_ok(scenario(&tc.proxy_url(), "text").header("x-request-number", n.to_string())).await
}

async fn session(tc: &TraceClaude) -> Value {
    get_json(&format!("{}/api/session", tc.web_url())).await
}

/// The first message of `/api/log_health/stream`: the health as it is now.
async fn streamed_health(tc: &TraceClaude) -> Value {
    let mut response = client()
        .get(format!("{}/api/log_health/stream", tc.web_url()))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(WAIT, response.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: log_health\n"), "{text}");
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    serde_json::from_str(data).unwrap()
}

fn set_file_size_limit(pid: Option<u32>, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain system calls on a valid struct; pid 0 means this process.
    let rc = unsafe {
        libc::prlimit(
            pid.unwrap_or(0) as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_never_stops_forwarding_is_reported_once_and_writing_resumes() {
    const LIMIT: u64 = 32 * 1024;
    let mock = MockUpstream::start().await.unwrap();
    // A file size limit makes writes past it fail with EFBIG, as a full disk
    // fails them with ENOSPC, and raises SIGXFSZ, which kills by default.
    let mut tc = TraceClaude::start_with(bin(), &mock.url(), None, &[], |command| {
        // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: LIMIT,
                    rlim_max: libc::RLIM_INFINITY,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    })
    .unwrap();
    assert_eq!(session(&tc).await["log_health"]["ok"], true);

    // Each flow logs about 2.5 KB: these fill the "disk" several times over.
    let flows = 60;
    for n in 0..flows {
        let body = stream_text(&tc, n).await;
        assert!(
            body.contains("message_stop"),
            "flow {n} was not forwarded whole"
        );
    }
    assert!(tc.is_running(), "the proxy died: {}", tc.stderr());
    let health = session(&tc).await["log_health"].clone();
    assert_eq!(health["ok"], false, "{health}");
    let error = health["error"].as_str().unwrap();
    assert!(error.contains("File too large"), "{error}");
    assert!(health["failing_since"].is_string());
    assert_eq!(streamed_health(&tc).await, health);
    let stderr = tc.stderr();
    assert_eq!(
        stderr.matches("cannot write the session log").count(),
        1,
        "reported once, not per attempt: {stderr}"
    );
    let size = std::fs::metadata(&tc.log_path).unwrap().len();
    assert!(size <= LIMIT);
    let before = tc.events();
    assert!(
        before.len() < flows * 8,
        "the limit should have stopped the log"
    );

    // Room again: the held lines are written, nothing forwarded is missing.
    set_file_size_limit(Some(tc.pid()), libc::RLIM_INFINITY);
    stream_text(&tc, flows).await;
    let events = tc.wait_for(WAIT, |e| {
        e.iter().filter(|e| e["type"] == "stream_end").count() == flows + 1
    });
    for request in events.iter().filter(|e| e["type"] == "request") {
        let flow = flow_events(&events, request["flow_id"].as_str().unwrap());
        assert_eq!(
            shape(&flow).last().map(String::as_str),
            Some("stream_end"),
            "{:?}",
            shape(&flow)
        );
        assert_eq!(flow.len(), 11, "{:?}", shape(&flow));
    }
    assert_eq!(
        events[..before.len()],
        before[..],
        "lines written before stay"
    );
    let health = session(&tc).await["log_health"].clone();
    assert_eq!(health["ok"], true, "{health}");
    assert_eq!(health["events_lost"], 0);
    assert!(tc
        .stderr()
        .contains("the session log is being written again"));
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_heavy_traffic_leaves_whole_lines_and_every_published_line() {
    let (_mock, mut tc) = mock_and_proxy().await;

    // A live subscriber: the API publishes a line only once it is written,
    // so every line it receives must survive the kill.
    let published: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut live = client()
        .get(format!("{}/api/events/stream", tc.web_url()))
        .send()
        .await
        .unwrap();
    let subscriber = tokio::spawn({
        let published = Arc::clone(&published);
        async move {
            let mut text = String::new();
            while let Ok(Some(chunk)) = live.chunk().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                let mut used = 0;
                let mut got = Vec::new();
                while let Some(end) = text[used..].find("\n\n") {
                    let message = &text[used..used + end];
                    used += end + 2;
                    let id = message.lines().find_map(|l| l.strip_prefix("id: "));
                    let data = message.lines().find_map(|l| l.strip_prefix("data: "));
                    if let (Some(id), Some(data)) = (id, data) {
                        let seq: u64 = id.rsplit(':').next().unwrap().parse().unwrap();
                        got.push((seq, data.to_owned()));
                    }
                }
                text.drain(..used);
                published.lock().unwrap().extend(got);
            }
        }
    });

    // Heavy for Claude Code (thousands of events a second), yet light enough
    // that the subscriber keeps up: what it has seen is then what was
    // written just before the kill, the part a buffered writer would lose.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let proxy = tc.proxy_url();
            tokio::spawn(async move {
                let mut events = 0usize;
                loop {
                    let response = scenario(&proxy, "bench")
                        .header("x-mock-count", "200")
                        .header("x-mock-interval-us", "1000")
                        .send()
                        .await;
                    let Ok(mut response) = response else { break };
                    while let Ok(Some(chunk)) = response.chunk().await {
                        events += chunk.windows(7).filter(|w| w == b"event: ").count();
                    }
                }
                events
            })
        })
        .collect();

    let start = Instant::now();
    while published.lock().unwrap().len() < 10_000 && start.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tc.signal_and_wait("KILL").unwrap();
    let mut forwarded = 0;
    for client in clients {
        forwarded += client.await.unwrap();
    }
    subscriber.abort();

    let raw = std::fs::read(&tc.log_path).unwrap();
    let mut lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').collect();
    // After the last newline: nothing, or a line cut short by the kill.
    let cut = lines.pop().unwrap();
    for (i, line) in lines.iter().enumerate() {
        assert!(
            serde_json::from_slice::<Value>(line).is_ok(),
            "line {} is not whole JSON: {}",
            i + 1,
            String::from_utf8_lossy(line)
        );
    }
    let published = published.lock().unwrap();
    assert!(!published.is_empty());
    for (seq, data) in published.iter() {
        let line = lines.get(*seq as usize - 1).unwrap_or_else(|| {
            panic!(
                "line {seq} was published but the log has only {} lines",
                lines.len()
            )
        });
        assert_eq!(
            *line,
            data.as_bytes(),
            "line {seq} differs from what was published"
        );
    }
    eprintln!(
        "kill -9: {} whole lines in the log ({} bytes cut after them), {} published lines all present (the last, {}), {} SSE events forwarded to clients",
        lines.len(),
        cut.len(),
        published.len(),
        published.last().map_or(0, |p| p.0),
        forwarded
    );
}
