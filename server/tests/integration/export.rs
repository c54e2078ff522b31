//! `trace_claude export` and the download endpoints, run as a user runs
//! them, on logs the real proxy recorded from the mock upstream.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::mock::TOOL_INPUT_COMMAND;
use testkit::{client, ended_events, script, MockUpstream, TraceClaude};

use crate::util::{
    assert_one_line_error, bin, claude_request, run, stderr, API_KEY as KEY, THINKING_TOOL_DELTAS,
};

const WAIT: Duration = Duration::from_secs(10);
const MODEL: &str = "claude-sonnet-4-5";
/// Words of the user's that `--redact-bodies` must remove, wherever they are.
const PRIVATE: &[&str] = &[
    "SECRET-PROMPT",
    "SECRET-SYSTEM",
    "SECRET-INPUT",
    "SECRET-TOOL-OUTPUT",
    "Hello",
    "world",
    TOOL_INPUT_COMMAND,
    "The user wants",
    "Hi there",
    "c2lnbmF0dXJl",
];

fn export(args: &[&str]) -> Output {
    run(std::iter::once("export").chain(args.iter().copied()))
}

/// Runs an export that must succeed silently, returning its stdout.
fn export_ok(args: &[&str]) -> Vec<u8> {
    let out = export(args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "",
        "an export of a clean log warns of nothing"
    );
    out.stdout
}

fn tools() -> Value {
    json!([{"name": "Bash", "description": "Run a shell command",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
            "required": ["command"]}}])
}

/// The request every flow sends, with these words in its four places of text.
fn conversation(system: &str, prompt: &str, input: &str, output: &str) -> Value {
    json!({
        "model": MODEL, "max_tokens": 64, "stream": true,
        "system": [{"type": "text", "text": system}],
        "tools": tools(),
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": prompt}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0",
                "name": "Bash", "input": {"command": input}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0",
                "content": output}]}]
    })
}

fn request_body() -> String {
    conversation(
        "SECRET-SYSTEM prompt",
        "SECRET-PROMPT please",
        "SECRET-INPUT",
        "SECRET-TOOL-OUTPUT",
    )
    .to_string()
}

/// The scenarios recorded, in order, with the status each answers.
const SCENARIOS: &[(&str, u16)] = &[
    ("text", 200),
    ("thinking_tool", 200),
    ("json", 200),
    ("overloaded", 529),
    ("midstream_error", 200),
];

/// A log recorded with `--no-redact` (so exports have a raw key to redact),
/// plus a second log holding one request the upstream never answered.
struct Recording {
    _mock: MockUpstream,
    mock_addr: String,
    tc: TraceClaude,
    _dead: TraceClaude,
    dead_log: PathBuf,
    /// What the client received for each scenario, byte for byte.
    received: Vec<Vec<u8>>,
    dir: tempfile::TempDir,
}

impl Recording {
    fn log(&self) -> &str {
        self.tc.log_path.to_str().unwrap()
    }

    fn dead_log(&self) -> &str {
        self.dead_log.to_str().unwrap()
    }

    fn out(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
}

async fn post(proxy: &str, scenario: &str) -> reqwest::Response {
    let mut req = claude_request(proxy, scenario);
    if scenario == "json" {
        req = req.header("x-mock-encoding", "gzip");
    }
    req.body(request_body()).send().await.unwrap()
}

async fn record() -> Recording {
    let mock = MockUpstream::start().await.unwrap();
    let tc = TraceClaude::start(bin(), &mock.url(), &["--no-redact"]).unwrap();
    let mut received = Vec::new();
    for (scenario, status) in SCENARIOS {
        let response = post(&tc.proxy_url(), scenario).await;
        assert_eq!(response.status().as_u16(), *status, "{scenario}");
        received.push(response.bytes().await.unwrap().to_vec());
    }
    tc.wait_for(WAIT, |events| ended_events(events) == SCENARIOS.len());
    // Nothing listens on port 1: the proxy answers 502 itself.
    let dead = TraceClaude::start(bin(), "http://127.0.0.1:1", &[]).unwrap();
    assert_eq!(post(&dead.proxy_url(), "text").await.status(), 502);
    dead.wait_for(WAIT, |events| ended_events(events) == 1);
    Recording {
        mock_addr: mock.addr.to_string(),
        _mock: mock,
        dead_log: dead.log_path.clone(),
        _dead: dead,
        tc,
        received,
        dir: tempfile::tempdir().unwrap(),
    }
}

fn read_json(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn har_holds_each_flow_as_the_client_sent_and_received_it() {
    let rec = record().await;
    let out = rec.out("session.har");
    export_ok(&["--har", rec.log(), rec.dead_log(), "-o", &out]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(KEY), "the raw key is redacted in the export");
    let har = read_json(&out);
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "trace_claude");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), SCENARIOS.len() + 1);

    let events = rec.tc.events();
    let requests: Vec<&Value> = events.iter().filter(|e| e["type"] == "request").collect();
    for (n, (scenario, status)) in SCENARIOS.iter().enumerate() {
        let e = &entries[n];
        let logged = requests[n];
        assert_eq!(e["_flow_id"], logged["flow_id"], "{scenario}");
        assert_eq!(e["startedDateTime"], logged["ts"]);
        let req = &e["request"];
        assert_eq!(req["method"], "POST");
        assert_eq!(
            req["url"],
            format!("https://{}/v1/messages?beta=true", rec.mock_addr)
        );
        assert_eq!(
            req["queryString"],
            json!([{"name": "beta", "value": "true"}])
        );
        assert_eq!(req["postData"]["mimeType"], "application/json");
        assert_eq!(req["postData"]["text"], request_body(), "{scenario}");
        assert_eq!(req["bodySize"], request_body().len());
        let header = |entry: &Value, part: &str, name: &str| -> Value {
            entry[part]["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["name"] == name)
                .map(|h| h["value"].clone())
                .unwrap_or(Value::Null)
        };
        assert_eq!(header(e, "request", "x-api-key"), "sk-ant-…WXYZ");
        assert_eq!(header(e, "request", "x-mock-scenario"), *scenario);
        let res = &e["response"];
        assert_eq!(res["status"], *status);
        let received = String::from_utf8(rec.received[n].clone()).unwrap_or_default();
        match *scenario {
            "json" => {
                // The client got gzip; the export has the decoded body.
                let plain = script::message_json(MODEL, "Hi there").to_string();
                assert_eq!(res["content"]["text"], plain);
                assert_eq!(res["content"]["size"], plain.len());
                assert_eq!(res["bodySize"], rec.received[n].len());
                assert_eq!(
                    ms(&res["content"]["compression"]),
                    plain.len() as f64 - rec.received[n].len() as f64
                );
                assert_eq!(header(e, "response", "content-encoding"), "gzip");
                assert!(e.get("_sse").is_none());
            }
            "overloaded" => {
                assert_eq!(res["content"]["text"], received);
                assert_eq!(res["content"]["mimeType"], "application/json");
                assert_eq!(res["bodySize"], received.len());
            }
            _ => {
                // A stream's text is what the client read, byte for byte.
                assert_eq!(res["content"]["text"], received, "{scenario}");
                assert_eq!(
                    res["content"]["mimeType"],
                    "text/event-stream; charset=utf-8"
                );
                let sse: Vec<&Value> = events
                    .iter()
                    .filter(|ev| ev["flow_id"] == logged["flow_id"] && ev["type"] == "sse")
                    .collect();
                let got = e["_sse"].as_array().unwrap();
                assert_eq!(got.len(), sse.len());
                for (g, want) in got.iter().zip(&sse) {
                    assert_eq!(g["event"], want["event"]);
                    assert_eq!(g["data"], want["data"]);
                }
                let times: Vec<f64> = got.iter().map(|g| ms(&g["time_ms"])).collect();
                assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
                assert!(times[0] >= ms(&e["timings"]["wait"]));
                assert!(*times.last().unwrap() <= ms(&e["time"]));
            }
        }
        let t = &e["timings"];
        assert_eq!((t["send"].clone(), t["dns"].clone()), (json!(0), json!(-1)));
        assert!(ms(&t["wait"]) > 0.0 && ms(&t["receive"]) >= 0.0);
        assert!((ms(&t["wait"]) + ms(&t["receive"]) - ms(&e["time"])).abs() < 0.002);
        assert!(e.get("_error").is_none(), "{scenario}: {}", e["_error"]);
    }
    let sse_names: Vec<&str> = entries[0]["_sse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        sse_names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );

    // The request the upstream never answered: the proxy's own 502.
    let failed = &entries[SCENARIOS.len()];
    assert_eq!(
        failed["request"]["url"],
        "https://127.0.0.1:1/v1/messages?beta=true"
    );
    assert_eq!(failed["response"]["status"], 502);
    assert_eq!(failed["response"]["statusText"], "Bad Gateway");
    assert_eq!(failed["response"]["content"]["size"], 0);
    assert_eq!(failed["_error"]["stage"], "upstream");
    assert_eq!(failed["_error"]["status_code"], 502);
    assert!(failed.get("_sse").is_none());

    // Standard output, without -o, is the same file.
    let stdout = export_ok(&["--har", rec.log(), rec.dead_log()]);
    assert_eq!(stdout, std::fs::read(&out).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "exports hold prompts: owner only");
    }

    // A log cut short mid-line exports what came before, with one warning.
    let whole = std::fs::read(rec.log()).unwrap();
    let cut_at = whole.len() - 10;
    let cut = rec.out("cut.jsonl");
    std::fs::write(&cut, &whole[..cut_at]).unwrap();
    let run = export(&["--har", &cut]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(stderr(&run).lines().count(), 1, "{}", stderr(&run));
    assert!(stderr(&run).contains("cut short"), "{}", stderr(&run));
    let har: Value = serde_json::from_slice(&run.stdout).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), SCENARIOS.len());
    // The last flow lost its last event (its stream_end), not its answer.
    let last = entries.last().unwrap();
    assert_eq!(last["response"]["status"], 200);
    assert_eq!(
        last["response"]["content"]["text"],
        String::from_utf8(rec.received[SCENARIOS.len() - 1].clone()).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redact_bodies_keeps_the_shape_and_removes_the_words() {
    let rec = record().await;
    let har_bytes = export_ok(&["--har", "--redact-bodies", rec.log()]);
    let jsonl_bytes = export_ok(&["--jsonl", "--redact-bodies", rec.log()]);
    for (format, bytes) in [("har", &har_bytes), ("jsonl", &jsonl_bytes)] {
        let text = String::from_utf8_lossy(bytes);
        for word in PRIVATE {
            assert!(!text.contains(word), "{format} export still holds {word:?}");
        }
        assert!(!text.contains(KEY));
    }

    let har: Value = serde_json::from_slice(&har_bytes).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), SCENARIOS.len());
    let sent: Value =
        serde_json::from_str(entries[0]["request"]["postData"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        conversation(
            "[removed: 20 chars]",
            "[removed: 20 chars]",
            "[removed: 12 chars]",
            "[removed: 18 chars]"
        )
    );
    // Text deltas, and the stream text rebuilt from them.
    let deltas: Vec<Value> = entries[0]["_sse"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["event"] == "content_block_delta")
        .map(|s| s["data"]["delta"].clone())
        .collect();
    assert_eq!(
        deltas,
        [
            json!({"type": "text_delta", "text": "[removed: 5 chars]"}),
            json!({"type": "text_delta", "text": "[removed: 6 chars]"})
        ]
    );
    assert!(entries[0]["response"]["content"]["text"]
        .as_str()
        .unwrap()
        .contains(r#""delta":{"type":"text_delta","text":"[removed: 5 chars]"}"#));
    // Thinking and tool calls: types, tool name and token counts stay.
    let sse = entries[1]["_sse"].as_array().unwrap();
    let find = |event: &str| -> Vec<&Value> {
        sse.iter()
            .filter(|s| s["event"] == event)
            .map(|s| &s["data"])
            .collect()
    };
    let starts = find("content_block_start");
    assert_eq!(starts[0]["content_block"]["type"], "thinking");
    assert_eq!(starts[1]["content_block"]["name"], "Bash");
    let kinds: Vec<&str> = find("content_block_delta")
        .iter()
        .map(|d| d["delta"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, THINKING_TOOL_DELTAS);
    assert_eq!(find("message_delta")[0]["usage"]["output_tokens"], 40);
    assert_eq!(find("message_delta")[0]["delta"]["stop_reason"], "tool_use");
    assert_eq!(
        find("message_start")[0]["message"]["usage"]["input_tokens"],
        25
    );
    // A whole response, and the API's own error.
    let message: Value =
        serde_json::from_str(entries[2]["response"]["content"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "[removed: 8 chars]"}])
    );
    assert_eq!(message["usage"]["output_tokens"], 3);
    assert_eq!(message["stop_reason"], "end_turn");
    let error: Value =
        serde_json::from_str(entries[3]["response"]["content"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        error,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );

    // The JSONL export is the log's events, each with its content removed.
    let exported = lines(&jsonl_bytes);
    let logged = rec.tc.events();
    assert_eq!(exported.len(), logged.len());
    for (e, l) in exported.iter().zip(&logged) {
        assert_eq!(
            (&e["ts"], &e["type"], &e["flow_id"], &e["event"]),
            (&l["ts"], &l["type"], &l["flow_id"], &l["event"])
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_is_the_log_redacted_and_downloads_match_the_command() {
    let rec = record().await;
    let logged = rec.tc.events();

    // Plain: the log's events with credentials redacted, nothing else changed.
    let mut want = logged.clone();
    for e in &mut want {
        if e["type"] == "request" {
            e["headers"]["x-api-key"] = json!("sk-ant-…WXYZ");
        }
    }
    let plain = export_ok(&["--jsonl", rec.log()]);
    assert_eq!(lines(&plain), want);
    // --no-redact: the log as it is.
    assert_eq!(
        lines(&export_ok(&["--jsonl", "--no-redact", rec.log()])),
        logged
    );

    // The web downloads are the command's exports of the same session.
    let name = rec.tc.log_path.file_stem().unwrap().to_str().unwrap();
    let client = client();
    let get = |query: String| {
        let client = client.clone();
        let url = format!("{}/api/export/{query}", rec.tc.web_url());
        async move { client.get(url).send().await.unwrap() }
    };
    for (format, query, flags) in [
        ("har", format!("har?session={name}"), vec!["--har"]),
        (
            "har",
            "har?redact_bodies=1".to_owned(),
            vec!["--har", "--redact-bodies"],
        ),
        ("jsonl", format!("jsonl?session={name}"), vec!["--jsonl"]),
        (
            "jsonl",
            format!("jsonl?session={name}&redact_bodies=1"),
            vec!["--jsonl", "--redact-bodies"],
        ),
    ] {
        let response = get(query.clone()).await;
        assert_eq!(response.status(), 200, "{query}");
        assert_eq!(
            response.headers()["content-disposition"],
            format!("attachment; filename=\"{name}.{format}\"").as_str()
        );
        let body = response.bytes().await.unwrap();
        let mut args = flags.clone();
        args.push(rec.log());
        assert!(
            body.as_ref() == export_ok(&args).as_slice(),
            "{query} differs from export {flags:?}"
        );
    }
    let missing = get("har?session=session_19990101_000000".to_owned()).await;
    assert_eq!(missing.status(), 404);
    let bad = get(format!("jsonl?session={name}&redact_bodies=maybe")).await;
    assert_eq!(bad.status(), 400);
}

/// A failed command prints exactly one line, no panic, exits non-zero and
/// leaves no output file behind.
#[test]
fn usage_and_file_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.jsonl");
    let line = r#"{"ts":"2026-03-29T11:27:07.000001Z","type":"stream_end","flow_id":"f"}"#;
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let log = log.to_str().unwrap();
    let out = dir.path().join("out.har");
    let out_s = out.to_str().unwrap();
    let nowhere = dir.path().join("no/such/dir/out.har");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--har", "missing.jsonl", "-o", out_s], "missing.jsonl"),
        (
            vec!["--jsonl", "missing.jsonl", "-o", out_s],
            "missing.jsonl",
        ),
        (vec![log, "-o", out_s], "--har"),
        (
            vec!["--har", "--jsonl", log, "-o", out_s],
            "cannot be used with",
        ),
        (vec!["--har", "-o", out_s], "FILE"),
        (vec!["--jsonl", log, "-o", log], "is one of the logs"),
        (
            vec!["--html", log, log, "-o", out_s],
            "one session log at a time",
        ),
        (
            vec!["--har", log, "-o", nowhere.to_str().unwrap()],
            "cannot create",
        ),
    ];
    for (args, mentions) in cases {
        assert_one_line_error(&export(&args), mentions);
        assert!(!out.exists(), "{args:?} left {out_s} behind");
    }
    assert_eq!(
        std::fs::read_to_string(log).unwrap(),
        format!("{line}\n"),
        "the log given as the output is untouched"
    );
    // A log whose flow lost its request: exported without it, and said so.
    let run = export(&["--har", log]);
    assert!(run.status.success());
    assert!(
        stderr(&run).contains("left out 1 flows"),
        "{}",
        stderr(&run)
    );
    let har: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(har["log"]["entries"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_markdown_transcript_tells_each_agents_turns_with_their_cost() {
    let mock = MockUpstream::start().await.unwrap();
    let tc = TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
    let session = "0f1e2d3c-4b5a-4968-8776-655443322110";
    let first = json!({"model": MODEL, "max_tokens": 64, "stream": true,
        "system": [{"type": "text", "text": "You are a helpful agent."}], "tools": tools(),
        "messages": [{"role": "user", "content": "run the marker command"}]});
    let mut second = first.clone();
    let messages = second["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": TOOL_INPUT_COMMAND}}]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "trace-claude-e2e-marker"}]}));
    let sub = json!({"model": MODEL, "max_tokens": 64, "stream": true,
        "messages": [{"role": "user", "content": "look around"}]});
    for (scenario, agent, body) in [
        ("thinking_tool", None, &first),
        ("text", None, &second),
        ("text", Some("agent-9"), &sub),
    ] {
        let mut request = claude_request(&tc.proxy_url(), scenario)
            .header("x-claude-code-session-id", session)
            .body(body.to_string());
        if let Some(agent) = agent {
            request = request.header("x-claude-code-agent-id", agent);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap();
    }
    tc.wait_for(WAIT, |events| ended_events(events) == 3);
    let md = String::from_utf8(export_ok(&["--md", tc.log_path.to_str().unwrap()])).unwrap();

    let name = tc.log_path.file_name().unwrap().to_str().unwrap();
    assert!(
        md.starts_with(&format!("# Transcript of {name}\n\n3 calls · $")),
        "{md}"
    );
    let main = md.find("### Main agent").expect("the main agent");
    let subagent = md.find("### Subagent `agent-9`").expect("the subagent");
    assert!(md.find(&format!("## Session `{session}`")).unwrap() < main && main < subagent);
    let (main_part, sub_part) = md.split_at(subagent);
    assert_eq!(main_part.matches("#### Call ").count(), 2, "{md}");
    assert_eq!(sub_part.matches("#### Call ").count(), 1, "{md}");
    // Call 1: the user's words, the thinking, the tool call, tokens and cost.
    assert!(main_part.contains(&format!("#### Call 1 · `{MODEL}` · ")));
    assert!(main_part.contains("**User**\n\nrun the marker command\n"));
    assert!(main_part.contains("_System prompt of 24 characters, 1 tools._"));
    assert!(
        main_part.contains("> _Thinking:_\n>\n> The user wants"),
        "{md}"
    );
    assert!(main_part.contains("**Tool call** `Bash` (`toolu_"));
    assert!(main_part.contains(TOOL_INPUT_COMMAND));
    assert!(
        main_part.contains(" in (") && main_part.contains(" out · $"),
        "{md}"
    );
    // Call 2 adds only the tool's result: the echoed tool call is not repeated.
    let call2 = &main_part[main_part.find("#### Call 2").unwrap()..];
    assert!(
        call2.contains(
            "**Tool results**\n\n**Tool result** (`toolu_1`)\n\n```\ntrace-claude-e2e-marker\n```"
        ),
        "{call2}"
    );
    assert!(!call2.contains("run the marker command"), "{call2}");
    assert!(call2.contains("**Assistant**\n\nHello world\n"), "{call2}");
    assert!(sub_part.contains("**User**\n\nlook around\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_markdown_transcript_honours_redact_bodies() {
    let rec = record().await;
    let md = String::from_utf8(export_ok(&["--md", "--redact-bodies", rec.log()])).unwrap();
    for word in PRIVATE {
        assert!(
            !md.contains(word),
            "the transcript still holds {word:?}: {md}"
        );
    }
    assert!(!md.contains(KEY));
    assert!(md.contains("**Tool call** `Bash`"), "tool names stay: {md}");
    assert!(md.contains("[removed: 20 chars]"), "{md}");
    assert!(md.contains("**Error:** Overloaded"), "{md}");
    // Without --redact-bodies the words are there (the log was recorded with
    // --no-redact, so the key is in it: the export still redacts it).
    let md = String::from_utf8(export_ok(&["--md", rec.log()])).unwrap();
    assert!(
        md.contains("SECRET-PROMPT please") && md.contains("Hello world"),
        "{md}"
    );
    assert!(!md.contains(KEY));
}
