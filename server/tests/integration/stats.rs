//! `trace_claude stats`, run as a user runs it, on session logs written here.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

use crate::util::{assert_one_line_error, run, stderr, stdout};

const SONNET: &str = "claude-sonnet-4-5-20250929";
const HAIKU: &str = "claude-haiku-4-5-20251001";

fn stats(args: &[&Path], flags: &[&str]) -> Output {
    let flags = flags.iter().map(OsStr::new);
    run(std::iter::once(OsStr::new("stats"))
        .chain(flags)
        .chain(args.iter().map(|a| a.as_os_str())))
}

fn stats_json(files: &[&Path], flags: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(flags);
    let out = stats(files, &all);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - want).abs() < 1e-12)
}

/// Log lines, as the proxy writes them, with times in ms from a fixed start.
#[derive(Default)]
struct Log(Vec<String>);

impl Log {
    fn line(&mut self, ms: u64, flow: &str, mut fields: Value) -> &mut Self {
        let ts = format!(
            "2026-03-29T11:{:02}:{:02}.{:06}Z",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000 * 1000
        );
        let mut line = json!({"ts": ts});
        line.as_object_mut()
            .unwrap()
            .append(fields.as_object_mut().unwrap());
        line["flow_id"] = json!(flow);
        self.0.push(line.to_string());
        self
    }

    fn request(&mut self, ms: u64, flow: &str, path: &str, body: Value) -> &mut Self {
        self.line(
            ms,
            flow,
            json!({"type":"request","method":"POST","path":path,
                   "headers":{"x-api-key":"sk-ant-…AbCd","x-claude-code-session-id":"s1"},"body":body}),
        )
    }

    fn headers(&mut self, ms: u64, flow: &str, status: u16, streaming: bool) -> &mut Self {
        self.line(
            ms,
            flow,
            json!({"type":"response_headers","status_code":status,"headers":{},"streaming":streaming}),
        )
    }

    fn sse(&mut self, ms: u64, flow: &str, event: &str, data: Value) -> &mut Self {
        self.line(ms, flow, json!({"type":"sse","event":event,"data":data}))
    }

    /// A whole streamed call: first token at +ttft, end at +duration.
    #[allow(clippy::too_many_arguments)]
    fn streamed(
        &mut self,
        t0: u64,
        flow: &str,
        model: &str,
        start_usage: Value,
        output_tokens: u64,
        ttft: u64,
        duration: u64,
    ) -> &mut Self {
        self.request(
            t0,
            flow,
            "/v1/messages?beta=true",
            json!({"model":model,"stream":true,"messages":[{"role":"user","content":"hi"}]}),
        )
        .headers(t0 + 300, flow, 200, true)
        .sse(
            t0 + 350,
            flow,
            "message_start",
            json!({"type":"message_start","message":{"model":model,"usage":start_usage}}),
        )
        .sse(
            t0 + ttft,
            flow,
            "content_block_delta",
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}),
        )
        .sse(
            t0 + duration - 10,
            flow,
            "message_delta",
            json!({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":output_tokens}}),
        )
        .line(t0 + duration, flow, json!({"type":"stream_end"}))
    }

    fn write(&self, path: &Path) {
        std::fs::write(path, self.0.join("\n") + "\n").unwrap();
    }
}

/// Two Sonnet calls and a 529, a non-streaming Haiku call, a count_tokens
/// and a HEAD /.
fn a_session() -> Log {
    let mut log = Log::default();
    log.streamed(
        0,
        "a",
        SONNET,
        json!({"input_tokens":100,"cache_read_input_tokens":10000,"cache_creation_input_tokens":2000,"output_tokens":1}),
        50,
        700,
        2000,
    )
    .streamed(
        3000,
        "b",
        SONNET,
        json!({"input_tokens":20,"cache_read_input_tokens":12000,"cache_creation_input_tokens":0,"output_tokens":1}),
        200,
        900,
        4000,
    )
    .request(8000, "c", "/v1/messages?beta=true", json!({"model":SONNET,"messages":[]}))
    .headers(8100, "c", 529, false)
    .line(
        8101,
        "c",
        json!({"type":"response","status_code":529,
               "body":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}),
    )
    .request(9000, "d", "/v1/messages", json!({"model":HAIKU,"messages":[]}))
    .headers(10000, "d", 200, false)
    .line(
        10500,
        "d",
        json!({"type":"response","status_code":200,"body":{"model":HAIKU,"stop_reason":"end_turn",
               "usage":{"input_tokens":1000,"output_tokens":100,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}),
    )
    .request(
        11000,
        "e",
        "/v1/messages/count_tokens?beta=true",
        json!({"model":SONNET,"messages":[]}),
    )
    .line(
        11100,
        "e",
        json!({"type":"response","status_code":200,"body":{"input_tokens":5}}),
    )
    .line(
        12000,
        "f",
        json!({"type":"request","method":"HEAD","path":"/","headers":{},"body":null}),
    )
    .line(12050, "f", json!({"type":"response","status_code":200,"body":null}));
    log
}

/// `log` written to `session.jsonl` in a fresh directory, which the caller keeps.
fn session_file(log: &Log) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    log.write(&path);
    (dir, path)
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

const MODEL_KEYS: [&str; 15] = [
    "cache_creation_input_tokens",
    "cache_hit_ratio",
    "cache_read_input_tokens",
    "cost_usd",
    "duration_ms_p50",
    "duration_ms_p90",
    "duration_ms_p99",
    "errors",
    "input_tokens",
    "output_tokens",
    "priced_cost_usd",
    "requests",
    "ttft_ms_p50",
    "ttft_ms_p90",
    "unpriced_requests",
];

#[test]
fn json_gives_tokens_cost_and_latency_per_model_and_in_total() {
    let (_dir, log) = session_file(&a_session());
    let v = stats_json(&[&log], &[]);

    assert_eq!(
        keys(&v),
        [
            "models",
            "other_requests",
            "prices_version",
            "sessions",
            "total",
            "unpriced_models"
        ]
    );
    assert_eq!(
        v["unpriced_models"],
        json!({}),
        "every model here has a price"
    );
    assert_eq!(keys(&v["models"]), [HAIKU, SONNET]);
    assert_eq!(keys(&v["total"]), MODEL_KEYS);
    assert_eq!(keys(&v["models"][SONNET]), MODEL_KEYS);
    assert_eq!(v["other_requests"], 2, "count_tokens and HEAD /");

    let sonnet = &v["models"][SONNET];
    for (key, want) in [
        ("requests", 3),
        ("errors", 1),
        ("input_tokens", 120),
        ("output_tokens", 250),
        ("cache_read_input_tokens", 22000),
        ("cache_creation_input_tokens", 2000),
        ("unpriced_requests", 0),
    ] {
        assert_eq!(sonnet[key], want, "sonnet {key}");
    }
    // (120·3 + 250·15 + 22000·0.30 + 2000·3.75) / 1e6
    assert!(close(&sonnet["cost_usd"], 0.01821), "{sonnet}");
    assert!(close(&sonnet["cache_hit_ratio"], 22000.0 / 24120.0));
    assert_eq!(
        [&sonnet["duration_ms_p50"], &sonnet["duration_ms_p90"]],
        [&json!(2000.0), &json!(4000.0)],
        "the 529 is not a latency"
    );
    assert_eq!(
        [&sonnet["ttft_ms_p50"], &sonnet["ttft_ms_p90"]],
        [&json!(700.0), &json!(900.0)]
    );

    let haiku = &v["models"][HAIKU];
    assert_eq!(
        (&haiku["requests"], &haiku["input_tokens"]),
        (&json!(1), &json!(1000))
    );
    assert!(close(&haiku["cost_usd"], 0.0015));
    assert_eq!(haiku["ttft_ms_p50"], Value::Null);

    let total = &v["total"];
    for (key, want) in [
        ("requests", 4),
        ("errors", 1),
        ("input_tokens", 1120),
        ("output_tokens", 350),
        ("cache_read_input_tokens", 22000),
        ("cache_creation_input_tokens", 2000),
    ] {
        assert_eq!(total[key], want, "total {key}");
    }
    assert!(close(&total["cost_usd"], 0.01971), "{total}");
    assert_eq!(total["duration_ms_p50"], 2000.0);
}

#[test]
fn the_table_shows_each_model_and_the_total() {
    let (_dir, log) = session_file(&a_session());
    let out = stats(&[&log], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let words = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        words(lines[0]),
        [
            "MODEL", "REQUESTS", "ERRORS", "INPUT", "OUTPUT", "CACHE", "READ", "CACHE", "WRITE",
            "CACHE", "HIT", "COST", "P50", "P90"
        ]
    );
    assert_eq!(
        words(lines[1]),
        [HAIKU, "1", "0", "1,000", "100", "0", "0", "0.0%", "$0.0015", "1.5s", "1.5s"]
    );
    assert_eq!(
        words(lines[2]),
        [SONNET, "3", "1", "120", "250", "22,000", "2,000", "91.2%", "$0.0182", "2.0s", "4.0s"]
    );
    assert_eq!(
        words(lines[3]),
        [
            "total", "4", "1", "1,120", "350", "22,000", "2,000", "87.6%", "$0.0197", "2.0s",
            "4.0s"
        ]
    );
    assert!(text.contains("2 other requests"), "{text}");
}

#[test]
fn an_unknown_model_makes_the_cost_unknown_but_says_what_is_known() {
    let mut session = a_session();
    session.streamed(
        20000,
        "x",
        "claude-opus-9",
        json!({"input_tokens":10,"output_tokens":1}),
        5,
        500,
        600,
    );
    let (_dir, log) = session_file(&session);

    let v = stats_json(&[&log], &[]);
    assert_eq!(v["models"]["claude-opus-9"]["cost_usd"], Value::Null);
    assert_eq!(v["models"]["claude-opus-9"]["input_tokens"], 10);
    assert!(close(&v["models"][SONNET]["cost_usd"], 0.01821));
    assert_eq!(v["total"]["cost_usd"], Value::Null, "never a partial sum");
    assert!(close(&v["total"]["priced_cost_usd"], 0.01971));
    assert_eq!(v["total"]["unpriced_requests"], 1);
    assert_eq!(
        v["unpriced_models"],
        json!({"claude-opus-9": "the price table has no row for claude-opus-9"})
    );

    let text = stdout(&stats(&[&log], &[]));
    let opus = text
        .lines()
        .find(|l| l.starts_with("claude-opus-9"))
        .unwrap();
    assert!(opus.contains("unknown price"), "{text}");
    let total = text.lines().find(|l| l.starts_with("total")).unwrap();
    assert!(total.contains("unknown price"), "{text}");
    assert!(
        text.contains("1 of 5 requests have no known price (claude-opus-9)"),
        "{text}"
    );
    assert!(text.contains("$0.0197"), "{text}");
    assert!(
        text.contains("  claude-opus-9: the price table has no row for claude-opus-9\n"),
        "{text}"
    );
}

#[test]
fn a_log_cut_in_its_last_line_is_read_up_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cut.jsonl");
    a_session().write(&log);
    let mut tail = Log::default();
    tail.streamed(20000, "y", HAIKU, json!({"input_tokens":7}), 1, 100, 200);
    let mut text = std::fs::read_to_string(&log).unwrap();
    // The cut flow's request is whole; its next line stops mid-way.
    text.push_str(&tail.0[0]);
    text.push('\n');
    text.push_str(&tail.0[1][..30]);
    std::fs::write(&log, text).unwrap();

    let out = stats(&[&log], &["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("last line") && err.contains("cut.jsonl"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["models"][HAIKU]["requests"], 2,
        "the cut flow's request counts"
    );
    assert_eq!(v["models"][HAIKU]["input_tokens"], 1000);
}

#[test]
fn lines_that_are_not_events_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("odd.jsonl");
    let mut session = a_session();
    session.0.insert(3, "garbage".into());
    session.0.insert(5, r#"{"type":"mystery"}"#.into());
    session.write(&log);
    let out = stats(&[&log], &["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("skipped 2 of"), "{err}");
    assert!(err.contains("line 4"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"]["requests"], 4);
}

#[test]
fn several_files_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.jsonl");
    let two = dir.path().join("two.jsonl");
    a_session().write(&one);
    a_session().write(&two);
    let v = stats_json(&[&one, &two], &[]);
    assert_eq!(v["models"][SONNET]["requests"], 6);
    assert_eq!(v["total"]["input_tokens"], 2240);
    assert!(close(&v["total"]["cost_usd"], 2.0 * 0.01971));
    assert_eq!(v["other_requests"], 4);
}

#[test]
fn a_prices_file_replaces_the_built_in_prices() {
    let (dir, log) = session_file(&a_session());
    let prices = dir.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"version":"2099-01-01","source":"test","models":[
            {"family":"claude-sonnet-4-5","input":1000,"output":0,"cache_write":0,"cache_read":0}]}"#,
    )
    .unwrap();
    let prices_flag = prices.to_str().unwrap();
    let v = stats_json(&[&log], &["--prices", prices_flag]);
    assert!(close(&v["models"][SONNET]["cost_usd"], 0.12));
    assert_eq!(
        v["models"][HAIKU]["cost_usd"],
        Value::Null,
        "not in that file"
    );
    assert_eq!(v["prices_version"], "2099-01-01");
}

#[test]
fn a_bad_prices_file_is_one_line() {
    let (dir, log) = session_file(&a_session());
    let bad = dir.path().join("bad-prices.json");
    std::fs::write(&bad, r#"{"version":"1","source":"s","models":[]}"#).unwrap();
    let out = stats(&[&log], &["--prices", bad.to_str().unwrap()]);
    assert_one_line_error(&out, "invalid prices file: \"models\" lists no model");
    assert!(stderr(&out).contains("bad-prices.json"));
    std::fs::write(&bad, "{").unwrap();
    let out = stats(&[&log], &["--prices", bad.to_str().unwrap()]);
    assert_one_line_error(&out, "not a prices file");
    let missing = dir.path().join("nope.json");
    let out = stats(&[&log], &["--prices", missing.to_str().unwrap()]);
    assert_one_line_error(&out, "cannot read the prices file");
}

#[test]
fn a_missing_log_is_one_line() {
    let (dir, log) = session_file(&a_session());
    let missing: PathBuf = dir.path().join("missing.jsonl");
    let out = stats(&[&log, &missing], &[]);
    assert_one_line_error(&out, "cannot open");
    assert!(stderr(&out).contains("missing.jsonl"));
    assert_one_line_error(&stats(&[], &[]), "<FILE>");
}

#[test]
fn help_names_stats_and_the_prices_flags() {
    let help = |args: &[&str]| stdout(&run(args));
    assert!(help(&["--help"]).contains("stats"));
    let text = help(&["stats", "--help"]);
    for flag in ["--json", "--prices", "FILE"] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    assert!(help(&["listen", "--help"]).contains("--prices"));
}
