//! Flows and sessions over the web API: `view` over saved logs and `listen`
//! over its live one, as the UI asks for them.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use testkit::session_gen::{write_session, Shape};
use testkit::{MockUpstream, TraceClaude, Viewer};

use crate::util::{assert_one_line_error, bin, get, get_json, read_ok, scenario};

fn small_log(dir: &Path, name: &str, flows: usize) -> std::path::PathBuf {
    let path = dir.join(name);
    write_session(
        &path,
        &Shape {
            flows,
            body_bytes: 80 * 1024,
            deltas: 5,
        },
    )
    .unwrap();
    path
}

#[tokio::test]
async fn view_lists_flows_opens_one_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    let log = small_log(dir.path(), "session_a.jsonl", 12);
    let viewer = Viewer::start(bin(), &[&log], &[]).unwrap();
    let url = viewer.web_url();

    let listing = get_json(&format!("{url}/api/flows")).await;
    assert_eq!(listing["session"], "session_a");
    assert_eq!(listing["live"], false);
    let flows = listing["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 12);
    // 12 flows × (request, headers, 4 + 5 SSE events, end) lines.
    assert_eq!(listing["lines"], 12 * 13);
    let f = &flows[3];
    assert_eq!(f["flow_id"], "flow00003");
    assert_eq!(f["method"], "POST");
    assert_eq!(f["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(f["session_id"], "5e551000-0000-4000-8000-000000000000");
    assert_eq!(f["state"], "complete");
    assert_eq!(f["status"], 200);
    assert_eq!(f["streaming"], true);
    assert_eq!(f["stop_reason"], "end_turn");
    assert_eq!(f["usage"]["output_tokens"], 10);
    assert_eq!(f["ttfb_ms"], 400.0);
    assert_eq!(f["ttft_ms"], 500.0);
    assert!(f["message_count"].as_u64().unwrap() > 2);
    assert_eq!(
        flows[9]["agent_id"], "a9e00000-0000-4000-8000-000000000000",
        "every tenth flow is a subagent's"
    );
    assert!(listing["prices"]["models"].is_array());

    let events = get_json(&format!("{url}/api/flows/flow00003")).await;
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 13);
    assert!(events.iter().all(|e| e["flow_id"] == "flow00003"));
    assert_eq!(events[0]["type"], "request");
    assert_eq!(events[12]["type"], "stream_end");

    let found = get_json(&format!("{url}/api/search?q=NEEDLE7")).await;
    assert_eq!(found["flows"], serde_json::json!(["flow00007"]));
    // A phrase (spaces, punctuation) is found as the log stores it.
    let found = get_json(&format!("{url}/api/search?q=what%20does%20needle11")).await;
    assert_eq!(found["flows"], serde_json::json!(["flow00011"]));

    let range = get_json(&format!("{url}/api/events?after=12&upto=15")).await;
    assert_eq!(range.as_array().unwrap().len(), 3);
    assert_eq!(range[0]["type"], "stream_end");
    assert_eq!(range[1]["flow_id"], "flow00001");
    assert_eq!(range[1]["type"], "request");

    let (status, _) = get(&format!("{url}/api/flows/nope")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_log_cut_short_opens_with_every_whole_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = small_log(dir.path(), "session_cut.jsonl", 3);
    // A crash mid-write: half a line, no newline.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(br#"{"ts":"2026-03-29T11:28:00.000000Z","type":"request","flow_id":"cut","me"#)
        .unwrap();
    drop(file);
    let viewer = Viewer::start(bin(), &[&log], &[]).unwrap();
    let listing = get_json(&format!("{}/api/flows", viewer.web_url())).await;
    assert_eq!(listing["flows"].as_array().unwrap().len(), 3);
    assert_eq!(listing["lines"], 39);
    assert!(listing["partial_bytes"].as_u64().unwrap() > 0);
    assert_eq!(listing["bad_lines"], 0);
    let all = get_json(&format!("{}/api/events", viewer.web_url())).await;
    assert_eq!(all.as_array().unwrap().len(), 39);
}

#[tokio::test]
async fn sessions_are_named_never_pathed() {
    let dir = tempfile::tempdir().unwrap();
    let a = small_log(dir.path(), "session_a.jsonl", 2);
    let b = small_log(dir.path(), "session_b.jsonl", 5);
    let viewer = Viewer::start(bin(), &[&a, &b], &[]).unwrap();
    let url = viewer.web_url();
    let sessions = get_json(&format!("{url}/api/sessions")).await;
    let names: Vec<&str> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["session_a", "session_b"]);
    assert_eq!(sessions["live"], Value::Null);
    let b_flows = get_json(&format!("{url}/api/flows?session=session_b")).await;
    assert_eq!(b_flows["flows"].as_array().unwrap().len(), 5);
    for bad in [
        "../session_a",
        "/etc/passwd",
        "session_a.jsonl",
        "session_c",
    ] {
        let (status, _) = get(&format!("{url}/api/flows?session={bad}")).await;
        assert_eq!(status, 404, "{bad}");
    }
}

#[tokio::test]
async fn listen_lists_its_live_session_first_and_older_ones_after() {
    let upstream = MockUpstream::start().await.unwrap();
    let sessions = tempfile::tempdir().unwrap();
    small_log(sessions.path(), "session_20200101_000000.jsonl", 4);
    let tc = TraceClaude::start_with_sessions(bin(), &upstream.url(), sessions.path()).unwrap();
    read_ok(
        scenario(&tc.proxy_url(), "text")
            .header("x-claude-code-session-id", "cc-1")
            .body(r#"{"model":"claude-haiku-4-5","stream":true,"messages":[]}"#),
    )
    .await;
    tc.wait_for(Duration::from_secs(10), |events| {
        events.iter().any(|e| e["type"] == "stream_end")
    });
    let url = tc.web_url();
    let listing = get_json(&format!("{url}/api/sessions")).await;
    let live = listing["live"].as_str().unwrap().to_owned();
    let list = listing["sessions"].as_array().unwrap();
    assert_eq!(list[0]["name"], live.as_str());
    assert_eq!(list[0]["live"], true);
    assert_eq!(list[1]["name"], "session_20200101_000000");

    let flows = get_json(&format!("{url}/api/flows")).await;
    assert_eq!(flows["session"], live.as_str());
    assert_eq!(flows["live"], true);
    let f = &flows["flows"][0];
    assert_eq!(f["model"], "claude-haiku-4-5");
    assert_eq!(f["session_id"], "cc-1");
    assert_eq!(f["state"], "complete");
    let older = get_json(&format!("{url}/api/flows?session=session_20200101_000000")).await;
    assert_eq!(older["flows"].as_array().unwrap().len(), 4);
}

#[test]
fn view_refuses_a_missing_file_or_a_bad_price_table_in_one_line() {
    let view = |args: &[&OsStr]| {
        let mut all: Vec<&OsStr> = vec![OsStr::new("view")];
        all.extend_from_slice(args);
        all.extend(["--web-port", "0"].map(OsStr::new));
        crate::util::run(all)
    };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    assert_one_line_error(&view(&[missing.as_os_str()]), "nope.jsonl");

    let log = small_log(dir.path(), "session_p.jsonl", 1);
    let prices = dir.path().join("prices.json");
    std::fs::write(&prices, "{ not json").unwrap();
    assert_one_line_error(
        &view(&[log.as_os_str(), OsStr::new("--prices"), prices.as_os_str()]),
        "prices.json",
    );
}
