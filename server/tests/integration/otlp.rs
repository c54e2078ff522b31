//! OpenTelemetry export against a real backend: Arize Phoenix (installed by
//! scripts/setup) receives what `listen --otlp-endpoint` and `export
//! --otlp-endpoint` send, and the spans it stored are read back and checked
//! against the log: names, attributes, token counts, times and parentage.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::phoenix::Phoenix;
use testkit::{ended_events, MockUpstream, TraceClaude};

use crate::util::{bin, claude_request, get_json, run, stderr, trace_claude_run, CLAUDE_KEY};

/// A Claude Code session id of its own for each test: Phoenix files a
/// trace (a session) under the project it first saw it in.
fn new_session() -> String {
    let (a, b) = (
        shared::FlowId::random().to_string(),
        shared::FlowId::random().to_string(),
    );
    format!(
        "{}-{}-4{}-8{}-{}",
        &a[..8],
        &a[8..12],
        &a[13..16],
        &b[1..4],
        &b[4..16]
    )
}

/// One Phoenix for the tests that only add spans (each to a project of its
/// own): it takes 20 s to start.
fn phoenix() -> &'static Phoenix {
    static SHARED: OnceLock<Phoenix> = OnceLock::new();
    SHARED.get_or_init(|| Phoenix::start().expect("Phoenix starts"))
}

fn project(name: &str) -> String {
    format!("{name}-{}", shared::FlowId::random())
}

/// `listen --otlp-endpoint` to `phoenix`, its spans in `project`.
fn listen_exporting(mock: &MockUpstream, url: &str, project: &str, extra: &[&str]) -> TraceClaude {
    let mut args = vec!["--otlp-endpoint", url];
    args.extend_from_slice(extra);
    let attributes = format!("openinference.project.name={project}");
    TraceClaude::start_with(bin(), &mock.url(), None, &args, |c| {
        c.env("OTEL_RESOURCE_ATTRIBUTES", &attributes);
    })
    .unwrap()
}

/// `listen` pointed at `url` by the standard variable alone, as a team lead
/// would set it on every machine.
fn listen_exporting_by_env(mock: &MockUpstream, url: &str, project: &str) -> TraceClaude {
    let attributes = format!("openinference.project.name={project}");
    TraceClaude::start_with(bin(), &mock.url(), None, &[], |c| {
        c.env("OTEL_EXPORTER_OTLP_ENDPOINT", url)
            .env("OTEL_RESOURCE_ATTRIBUTES", &attributes);
    })
    .unwrap()
}

fn body(model: &str) -> String {
    json!({"model": model, "max_tokens": 1000, "stream": true,
        "messages": [{"role": "user", "content": "hi"}]})
    .to_string()
}

/// A call of the session, by `agent` (None: the main agent).
async fn call(tc: &TraceClaude, session: &str, scenario: &str, agent: Option<&str>) -> u16 {
    let mut request = claude_request(&tc.proxy_url(), scenario)
        .header("x-claude-code-session-id", session)
        .body(body("claude-opus-5-5"));
    if let Some(agent) = agent {
        request = request.header("x-claude-code-agent-id", agent);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    response.text().await.unwrap();
    status
}

/// The log's flows in order of their request, each with its events.
fn flows(events: &[Value]) -> Vec<(String, Vec<Value>)> {
    let mut order = Vec::new();
    let mut by_flow: HashMap<String, Vec<Value>> = HashMap::new();
    for e in events {
        let id = e["flow_id"].as_str().unwrap().to_owned();
        if !by_flow.contains_key(&id) {
            order.push(id.clone());
        }
        by_flow.entry(id).or_default().push(e.clone());
    }
    order
        .into_iter()
        .map(|id| {
            let events = by_flow.remove(&id).unwrap();
            (id, events)
        })
        .collect()
}

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .timestamp_micros()
}

/// Phoenix's time and the log's are the same instant. Phoenix gives times
/// back a microsecond off now and then (seen once: 1796234260341692 for the
/// log's ...693, as a float of seconds would round them), so one microsecond
/// either way is its rounding. The spans themselves carry the log's times
/// exactly: the unit tests compare them whole.
fn assert_same_instant(phoenix: &str, logged: &str, what: &str) {
    let (got, want) = (micros(phoenix), micros(logged));
    assert!(
        (got - want).abs() <= 1,
        "{what}: Phoenix has {phoenix}, the log {logged}"
    );
}

fn by_span_id(spans: &[Value]) -> HashMap<String, Value> {
    spans
        .iter()
        .map(|s| {
            (
                s["context"]["span_id"].as_str().unwrap().to_owned(),
                s.clone(),
            )
        })
        .collect()
}

/// The span says what the log says of its flow: when it began and ended,
/// and the tokens the API reported.
fn assert_span_matches_log(span: &Value, events: &[Value]) {
    let request = &events[0];
    assert_eq!(request["type"], "request");
    let end = events
        .iter()
        .rev()
        .find(|e| testkit::binary::is_flow_end(e))
        .unwrap();
    assert_same_instant(
        span["start_time"].as_str().unwrap(),
        request["ts"].as_str().unwrap(),
        "the recorded start, not the export's time",
    );
    assert_same_instant(
        span["end_time"].as_str().unwrap(),
        end["ts"].as_str().unwrap(),
        "the recorded end",
    );
    let attrs = &span["attributes"];
    let start = events.iter().find(|e| e["event"] == "message_start");
    if let Some(start) = start {
        let usage = &start["data"]["message"]["usage"];
        let n = |k: &str| usage[k].as_u64().unwrap_or(0);
        assert_eq!(
            attrs["gen_ai.usage.input_tokens"].as_u64(),
            Some(
                n("input_tokens") + n("cache_read_input_tokens") + n("cache_creation_input_tokens")
            ),
            "{attrs}"
        );
        assert_eq!(
            attrs["gen_ai.usage.cache_read.input_tokens"].as_u64(),
            Some(n("cache_read_input_tokens"))
        );
        let delta = events
            .iter()
            .rev()
            .find(|e| e["event"] == "message_delta")
            .unwrap();
        assert_eq!(
            attrs["gen_ai.usage.output_tokens"].as_u64(),
            delta["data"]["usage"]["output_tokens"].as_u64()
        );
        assert_eq!(
            attrs["gen_ai.response.id"].as_str(),
            start["data"]["message"]["id"].as_str()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_exports_each_call_as_a_genai_span_that_phoenix_stores() {
    let phoenix = tokio::task::spawn_blocking(phoenix).await.unwrap();
    let project = project("live");
    let session = new_session();
    let mock = MockUpstream::start().await.unwrap();
    let tc = listen_exporting(&mock, &phoenix.url(), &project, &["--otlp-content"]);
    assert!(
        tc.banner.contains(&format!(
            "✓ OpenTelemetry spans to {}/v1/traces, with content",
            phoenix.url()
        )),
        "{:?}",
        tc.banner
    );

    assert_eq!(call(&tc, &session, "text", None).await, 200);
    assert_eq!(call(&tc, &session, "thinking_tool", None).await, 200);
    assert_eq!(call(&tc, &session, "text", Some("agent-1")).await, 200);
    assert_eq!(call(&tc, &session, "overloaded", None).await, 529);
    // And the real Claude Code CLI, as a user runs it.
    let port = tc.proxy_port;
    let out = tokio::task::spawn_blocking(move || {
        trace_claude_run(&["claude", "-p", "hello"], port, None)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "claude failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let events = tc.wait_for(Duration::from_secs(10), |events| {
        let flows = flows(events).len();
        flows >= 5 && ended_events(events) == flows
    });
    let flows = flows(&events);
    let spans = {
        let project = project.clone();
        let n = flows.len();
        tokio::task::spawn_blocking(move || {
            phoenix.wait_for_spans(&project, n, Duration::from_secs(60))
        })
        .await
        .unwrap()
        .unwrap()
    };
    assert_eq!(spans.len(), flows.len(), "one span per call");
    let spans = by_span_id(&spans);
    let span = |i: usize| &spans[&flows[i].0];
    let trace = session.replace('-', "");

    let text = span(0);
    assert_eq!(text["name"], "chat claude-opus-5-5");
    assert_eq!(
        text["context"]["trace_id"], trace,
        "the session is the trace"
    );
    assert_eq!(text["parent_id"], Value::Null);
    assert_eq!(text["status_code"], "UNSET");
    let attrs = &text["attributes"];
    assert_eq!(attrs["gen_ai.operation.name"], "chat");
    assert_eq!(attrs["gen_ai.provider.name"], "anthropic");
    assert_eq!(attrs["gen_ai.request.model"], "claude-opus-5-5");
    assert_eq!(attrs["gen_ai.request.max_tokens"], 1000);
    assert_eq!(attrs["gen_ai.response.finish_reasons"], json!(["end_turn"]));
    assert_eq!(attrs["gen_ai.conversation.id"], session);
    assert_eq!(attrs["session.id"], session);
    assert_eq!(attrs["server.address"], "127.0.0.1");
    assert!(
        attrs["gen_ai.response.time_to_first_chunk"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        attrs["trace_claude.cost_usd"].as_f64().unwrap() > 0.0,
        "{attrs}"
    );
    assert_eq!(
        attrs["http.response.header.request-id"],
        json!(["req_mock"])
    );
    let input: Value =
        serde_json::from_str(attrs["gen_ai.input.messages"].as_str().unwrap()).unwrap();
    assert_eq!(
        input,
        json!([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])
    );
    let output: Value =
        serde_json::from_str(attrs["gen_ai.output.messages"].as_str().unwrap()).unwrap();
    assert_eq!(output[0]["parts"][0]["content"], "Hello world");
    assert_span_matches_log(text, &flows[0].1);

    let tool = span(1);
    assert_eq!(
        tool["attributes"]["gen_ai.response.finish_reasons"],
        json!(["tool_use"])
    );
    assert_span_matches_log(tool, &flows[1].1);

    let subagent = span(2);
    assert_eq!(
        subagent["parent_id"], flows[1].0,
        "the subagent's call is under the call that asked for its tool"
    );
    assert_eq!(subagent["context"]["trace_id"], trace);
    assert_eq!(subagent["attributes"]["gen_ai.agent.id"], "agent-1");

    let failed = span(3);
    assert_eq!(failed["status_code"], "ERROR");
    assert_eq!(failed["attributes"]["error.type"], "overloaded_error");
    assert_eq!(failed["attributes"]["http.response.status_code"], 529);

    // The CLI's calls: its own session is its trace.
    let cli: Vec<&(String, Vec<Value>)> = flows[4..].iter().collect();
    let messages = cli
        .iter()
        .find(|(_, events)| {
            events[0]["path"]
                .as_str()
                .unwrap()
                .starts_with("/v1/messages?")
        })
        .expect("the CLI's Messages call");
    let cli_session = messages.1[0]["headers"]["x-claude-code-session-id"]
        .as_str()
        .unwrap();
    let span = &spans[&messages.0];
    assert_eq!(span["attributes"]["session.id"], cli_session);
    assert_eq!(span["context"]["trace_id"], cli_session.replace('-', ""));
    assert_eq!(
        span["attributes"]["gen_ai.request.model"],
        "claude-opus-5-5"
    );
    assert!(span["attributes"]["gen_ai.input.messages"]
        .as_str()
        .unwrap()
        .contains("hello"));
    assert_span_matches_log(span, &messages.1);

    let everything = serde_json::to_string(&spans).unwrap();
    assert!(
        !everything.contains(CLAUDE_KEY),
        "no key reaches the backend"
    );
    let metrics = crate::util::get(&format!("{}/metrics", tc.web_url()))
        .await
        .1;
    assert!(
        metrics.contains(&format!(
            "trace_claude_export_spans_sent_total {}",
            flows.len()
        )),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_session_exported_twice_is_stored_once_with_its_recorded_times() {
    let phoenix = tokio::task::spawn_blocking(phoenix).await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let mut tc = TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
    let session = new_session();
    assert_eq!(call(&tc, &session, "text", None).await, 200);
    assert_eq!(call(&tc, &session, "json", None).await, 200);
    assert_eq!(call(&tc, &session, "text", Some("agent-2")).await, 200);
    tc.wait_for(Duration::from_secs(10), |events| ended_events(events) == 3);
    tc.signal_and_wait("INT").unwrap();
    let log = tc.log_path.clone();
    let flows = flows(&testkit::binary::read_log(&log));
    assert_eq!(flows.len(), 3);

    let project = project("saved");
    for _ in 0..2 {
        let out = std::process::Command::new(bin())
            .args(["export", "--otlp-endpoint", &phoenix.url()])
            .arg(&log)
            .env(
                "OTEL_RESOURCE_ATTRIBUTES",
                format!("openinference.project.name={project}"),
            )
            .env("OTEL_SERVICE_NAME", "team-laptop")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "sent 3 spans from 1 session logs to {}/v1/traces",
                phoenix.url()
            )),
            "{}",
            stderr(&out)
        );
    }
    let spans = {
        let project = project.clone();
        tokio::task::spawn_blocking(move || {
            phoenix
                .wait_for_spans(&project, 3, Duration::from_secs(60))
                .unwrap();
            // Whatever the second export would have added has arrived by now.
            std::thread::sleep(Duration::from_secs(3));
            phoenix.spans(&project).unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(
        spans.len(),
        3,
        "the second export added nothing: {spans:#?}"
    );
    let spans = by_span_id(&spans);
    for (id, events) in &flows {
        assert_span_matches_log(&spans[id], events);
    }
    assert_eq!(spans[&flows[2].0]["parent_id"], flows[1].0);
    assert_eq!(
        spans[&flows[0].0]["attributes"].get("gen_ai.input.messages"),
        None,
        "no content unless asked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_that_dies_under_load_costs_forwarding_and_the_log_nothing() {
    // A Phoenix of its own, to kill.
    let mut phoenix = tokio::task::spawn_blocking(|| Phoenix::start().unwrap())
        .await
        .unwrap();
    let project = project("down");
    let session = new_session();
    let mock = MockUpstream::start().await.unwrap();
    let tc = listen_exporting_by_env(&mock, &phoenix.url(), &project);
    assert!(
        tc.banner.contains(&format!(
            "✓ OpenTelemetry spans to {}/v1/traces",
            phoenix.url()
        )),
        "{:?}",
        tc.banner
    );
    let proxy = tc.proxy_url();
    let load = |n: usize| {
        let (proxy, session) = (proxy.clone(), session.clone());
        async move {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (proxy, session) = (proxy.clone(), session.clone());
                    tokio::spawn(async move {
                        for _ in 0..n / 8 {
                            let answer = crate::util::read_ok(
                                claude_request(&proxy, "text")
                                    .header("x-claude-code-session-id", &session)
                                    .body(body("claude-opus-5-5")),
                            )
                            .await;
                            assert!(answer.contains("message_stop"), "{answer}");
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }
    };
    load(80).await;
    let phoenix = tokio::task::spawn_blocking(move || {
        phoenix
            .wait_for_spans(&project, 1, Duration::from_secs(60))
            .unwrap();
        phoenix.stop();
        phoenix
    })
    .await
    .unwrap();
    load(160).await;

    let events = tc.wait_for(Duration::from_secs(10), |events| {
        ended_events(events) == 240
    });
    assert!(
        events.iter().all(|e| e["type"] != "error"),
        "every call complete in the log"
    );
    // The banner's feed says the export fails; stderr says it once.
    let mut export = Value::Null;
    for _ in 0..120 {
        let session = get_json(&format!("{}/api/session", tc.web_url())).await;
        export = session["log_health"]["export"].clone();
        if export["error"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(export["error"].is_string(), "{export}");
    assert_eq!(export["endpoint"], format!("{}/v1/traces", phoenix.url()));
    let err = tc.stderr();
    assert_eq!(err.matches("cannot send spans to").count(), 1, "{err}");
    let metrics = crate::util::get(&format!("{}/metrics", tc.web_url()))
        .await
        .1;
    assert!(
        metrics.contains("trace_claude_export_spans_queued"),
        "{metrics}"
    );
    drop(phoenix);
}

#[test]
fn a_bad_endpoint_is_a_clear_error_before_anything_starts() {
    let out = run([
        "listen",
        "--port",
        "0",
        "--web-port",
        "0",
        "--otlp-endpoint",
        "collector:4318",
    ]);
    crate::util::assert_one_line_error(&out, "--otlp-endpoint: collector:4318/v1/traces is not");
    let out = run(["export", "--otlp-endpoint", "ftp://x", "/nonexistent.jsonl"]);
    crate::util::assert_one_line_error(&out, "not an http:// or https:// URL");
    let out = run([
        "export",
        "--otlp-endpoint",
        "http://127.0.0.1:9",
        "/nonexistent.jsonl",
    ]);
    crate::util::assert_one_line_error(&out, "cannot open /nonexistent.jsonl");
}
