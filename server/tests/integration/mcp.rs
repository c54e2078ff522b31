//! `trace_claude mcp`: the MCP SDK's own client speaks the protocol to the
//! real binary over stdio, and calls every tool against sessions recorded by
//! the real proxy; then the real Claude Code CLI is given the server and
//! calls one of its tools, and the tool's answer reaches the next request.

use std::path::Path;
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};
use testkit::binary::ended_events;
use testkit::session_gen::{write_session, Shape};
use testkit::MockUpstream;

use crate::util::{bin, claude_request, read_ok, trace_claude_run, API_KEY};

const SESSION: &str = "5e55-mcp-tools";
const MODEL: &str = "claude-opus-4-5";

type Client = RunningService<RoleClient, ()>;

async fn connect(sessions: &Path) -> Client {
    let dir = sessions.to_owned();
    let transport = TokioChildProcess::new(tokio::process::Command::new(bin()).configure(|cmd| {
        cmd.arg("mcp").arg("--sessions-dir").arg(&dir);
    }))
    .expect("spawn trace_claude mcp");
    ().serve(transport).await.expect("MCP handshake")
}

/// Calls `tool` and returns its text and whether it is a tool error.
async fn call(client: &Client, tool: &str, args: Value) -> (String, bool) {
    let args = args.as_object().cloned().unwrap_or_default();
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let text: Vec<&str> = result
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.as_str())
        .collect();
    (text.join("\n"), result.is_error == Some(true))
}

async fn call_json(client: &Client, tool: &str, args: Value) -> Value {
    let (text, error) = call(client, tool, args).await;
    assert!(!error, "{tool}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{tool}: {e}: {text}"))
}

fn body(text: &str, messages_before: &[Value]) -> String {
    let mut messages = messages_before.to_vec();
    messages.push(json!({"role": "user", "content": text}));
    json!({"model": MODEL, "stream": true, "max_tokens": 1024, "messages": messages}).to_string()
}

/// Records, through the real proxy with redaction off (so the log holds the
/// key), a main agent's two turns, a subagent's call and an overloaded call.
async fn record(mock: &MockUpstream) -> testkit::TraceClaude {
    let tc = testkit::TraceClaude::start(bin(), &mock.url(), &["--no-redact"]).unwrap();
    let proxy = tc.proxy_url();
    let send = |scenario: &str, text: &str, before: &[Value], agent: Option<&str>| {
        let mut r = claude_request(&proxy, scenario)
            .header("x-claude-code-session-id", SESSION)
            .body(body(text, before));
        if let Some(agent) = agent {
            r = r.header("x-claude-code-agent-id", agent);
        }
        r
    };
    read_ok(send("text", "first question", &[], None).header("x-mock-text", "first answer")).await;
    let history = [
        json!({"role": "user", "content": "first question"}),
        json!({"role": "assistant", "content": "first answer"}),
    ];
    read_ok(
        send("text", "second question about haystack.rs", &history, None)
            .header("x-mock-text", "second answer"),
    )
    .await;
    read_ok(send(
        "thinking_tool",
        "subagent: read the file",
        &[],
        Some("agent-reader"),
    ))
    .await;
    let overloaded = send("overloaded", "one more", &[], None)
        .send()
        .await
        .unwrap();
    assert_eq!(overloaded.status(), 529);
    let _ = overloaded.text().await;
    // Not a conversation: its answer is its events as logged, headers and all.
    let counted = testkit::client()
        .post(format!("{proxy}/v1/messages/count_tokens?beta=true"))
        .header("x-api-key", API_KEY)
        .header("x-claude-code-session-id", SESSION)
        .body(body("count me", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(counted.status(), 200);
    let _ = counted.text().await;
    tc.wait_for(Duration::from_secs(10), |events| ended_events(events) >= 5);
    tc
}

/// The session's name as the tools give it: its log's file stem.
fn session_name(tc: &testkit::TraceClaude) -> String {
    tc.log_path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_answers_from_the_recorded_sessions_over_stdio() {
    let mock = MockUpstream::start().await.unwrap();
    let tc = record(&mock).await;
    let sessions = tc.log_path.parent().unwrap().to_owned();
    let name = session_name(&tc);
    // An older, generated session beside it: its calls write the cache anew
    // each turn, so it has cache misses to explain.
    let generated = sessions.join("session_20260101_000000.jsonl");
    write_session(
        &generated,
        &Shape {
            flows: 4,
            body_bytes: 2000,
            deltas: 5,
        },
    )
    .unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    std::fs::File::options()
        .write(true)
        .open(&generated)
        .unwrap()
        .set_modified(old)
        .unwrap();

    let client = connect(&sessions).await;
    let info = client.peer_info().expect("the server's initialize result");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("trace_claude")
    );
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for tool in [
        "list_sessions",
        "session_totals",
        "list_flows",
        "get_flow",
        "context_diff",
        "search",
        "cache_misses",
    ] {
        assert!(tools.iter().any(|t| t == tool), "{tool} in {tools:?}");
    }

    // Sessions: the recorded one first (newest), with its four calls.
    let listed = call_json(&client, "list_sessions", json!({})).await;
    let rows = listed["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{listed}");
    assert_eq!(rows[0]["name"], name.as_str());
    assert_eq!(rows[0]["messages_calls"], 4);
    assert_eq!(rows[0]["errors"], 1);
    assert_eq!(rows[0]["other_calls"], 1);
    assert_eq!(rows[0]["models"], json!([MODEL]));
    assert_eq!(rows[1]["name"], "session_20260101_000000");

    // Totals: by model, and the subagent apart from the main agent.
    let totals = call_json(&client, "session_totals", json!({})).await;
    assert_eq!(totals["session"], name.as_str());
    assert_eq!(totals["by_model"]["models"][MODEL]["requests"], 4);
    let by_agent = &totals["by_claude_code_session_and_agent"][0];
    assert_eq!(by_agent["session_id"], SESSION);
    assert_eq!(by_agent["subagent_count"], 1);
    assert_eq!(by_agent["main"]["subagents"][0]["agent_id"], "agent-reader");

    // Flows: all four in order; filtered by outcome and by agent.
    let flows = call_json(&client, "list_flows", json!({})).await;
    assert_eq!(flows["matched"], 4);
    let ids: Vec<String> = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let failed = call_json(&client, "list_flows", json!({"outcome": "failed"})).await;
    assert_eq!(failed["matched"], 1);
    assert_eq!(failed["flows"][0]["status"], 529);
    assert_eq!(failed["flows"][0]["id"], ids[3].as_str());
    assert!(failed["flows"][0]["error"]
        .as_str()
        .unwrap()
        .contains("Overloaded"));
    let sub = call_json(&client, "list_flows", json!({"agent": "agent-r"})).await;
    assert_eq!(sub["matched"], 1);
    assert_eq!(sub["flows"][0]["id"], ids[2].as_str());
    let main = call_json(
        &client,
        "list_flows",
        json!({"agent": "main", "model": "OPUS"}),
    )
    .await;
    assert_eq!(main["matched"], 3);
    let paged = call_json(&client, "list_flows", json!({"limit": 1, "offset": 1})).await;
    assert_eq!(paged["flows"].as_array().unwrap().len(), 1);
    assert_eq!(paged["flows"][0]["id"], ids[1].as_str());

    // One flow, by a prefix of its id: what it added and what came back.
    let (flow, error) = call(&client, "get_flow", json!({"flow_id": &ids[1][..8]})).await;
    assert!(!error, "{flow}");
    assert!(flow.contains(&format!("# Flow {}", ids[1])), "{flow}");
    assert!(flow.contains("second question about haystack.rs"), "{flow}");
    assert!(flow.contains("second answer"), "{flow}");
    assert!(
        flow.contains(&format!("previous call: {}", ids[0])),
        "{flow}"
    );
    // The first question was sent before; it is not what this call added.
    assert!(!flow.contains("first question"), "{flow}");
    // The log holds the key (recorded with --no-redact); no answer does.
    assert!(std::fs::read_to_string(&tc.log_path)
        .unwrap()
        .contains(API_KEY));
    let tool_call = call(&client, "get_flow", json!({"flow_id": &ids[2]}))
        .await
        .0;
    assert!(tool_call.contains("Tool call"), "{tool_call}");

    // The context diff of the second turn: two messages appended.
    let diff = call_json(&client, "context_diff", json!({"flow_id": &ids[1]})).await;
    assert_eq!(diff["against"], ids[0].as_str());
    assert_eq!(diff["diff"]["messages"]["added"], json!([1, 2]));
    assert_eq!(diff["diff"]["messages"]["rewritten"], false);
    assert!(diff["added_messages"][1]["message"]
        .as_str()
        .unwrap()
        .contains("second question"));
    let (first, error) = call(&client, "context_diff", json!({"flow_id": &ids[0]})).await;
    assert!(error && first.contains("no previous call"), "{first}");

    // Search finds the one call that named the file.
    let found = call_json(&client, "search", json!({"query": "HAYSTACK.RS"})).await;
    assert_eq!(found["matched"], 1);
    assert_eq!(found["flows"][0]["id"], ids[1].as_str());

    // Cache misses of the generated session, with the reason from both requests.
    let misses = call_json(
        &client,
        "cache_misses",
        json!({"session": "session_20260101_000000"}),
    )
    .await;
    assert_eq!(misses["misses"], 4, "{misses}");
    assert!(misses["calls"][0]["why"]
        .as_str()
        .unwrap()
        .contains("first call"));
    assert!(misses["calls"][1]["why"]
        .as_str()
        .unwrap()
        .contains("was rewritten"));

    // Every answer: no key, and a cap when asked for less.
    let every = call_json(&client, "list_flows", json!({"all_calls": true})).await;
    assert_eq!(every["matched"], 5);
    let counting = every["flows"][4]["id"].as_str().unwrap().to_owned();
    let (raw, _) = call(&client, "get_flow", json!({"flow_id": &counting})).await;
    assert!(
        raw.contains("count_tokens") && raw.contains("x-api-key"),
        "{raw}"
    );
    for (tool, args) in [
        ("list_flows", json!({"all_calls": true})),
        ("get_flow", json!({"flow_id": &ids[0]})),
        ("get_flow", json!({"flow_id": &ids[3]})),
        ("get_flow", json!({"flow_id": &counting})),
        ("search", json!({"query": "sk-ant"})),
    ] {
        let (text, _) = call(&client, tool, args).await;
        assert!(!text.contains(API_KEY), "{tool} leaked the key: {text}");
    }
    let (cut, _) = call(&client, "list_flows", json!({"max_bytes": 1024})).await;
    assert!(cut.len() < 1300, "{}", cut.len());
    assert!(cut.contains("[trace_claude: cut here, after"), "{cut}");

    // Names not in the listing are errors, never paths.
    for session in ["../../etc/passwd", "/etc/passwd", "nope"] {
        let (text, error) = call(&client, "session_totals", json!({"session": session})).await;
        assert!(error, "{session}: {text}");
        assert!(text.contains("no session named"), "{text}");
    }
    let (text, error) = call(&client, "get_flow", json!({"flow_id": "zzzzzzzz"})).await;
    assert!(error && text.contains("no flow"), "{text}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_sessions_directory_is_a_tool_error_that_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let client = connect(dir.path()).await;
    let (text, error) = call(&client, "list_sessions", json!({})).await;
    assert!(error, "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_calls_the_mcp_server_and_its_answer_reaches_the_next_request() {
    // Sessions for the server to answer from, recorded by a first proxy.
    let mock = MockUpstream::start().await.unwrap();
    let recorded = record(&mock).await;
    let sessions = recorded.log_path.parent().unwrap().to_owned();
    let recorded_name = session_name(&recorded);

    // Claude Code, through a second proxy, with trace_claude mcp as its server.
    let tc = testkit::TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
    let config = json!({"mcpServers": {"trace_claude": {
        "type": "stdio",
        "command": bin(),
        "args": ["mcp", "--sessions-dir", sessions],
        "alwaysLoad": true,
    }}})
    .to_string();
    let port = tc.proxy_port;
    let out = tokio::task::spawn_blocking(move || {
        trace_claude_run(
            &[
                "env",
                "ENABLE_TOOL_SEARCH=false",
                "MCP_CONNECTION_NONBLOCKING=false",
                "claude",
                "-p",
                "TRACE_MCP: which sessions did trace_claude record?",
                "--mcp-config",
                &config,
                "--strict-mcp-config",
                "--allowedTools",
                testkit::mock::MCP_LIST_SESSIONS,
            ],
            port,
            None,
        )
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "claude failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The mock answers the tool's result with "The command printed: ...".
    assert!(stdout.contains("The command printed:"), "{stdout}");
    assert!(stdout.contains(&recorded_name), "{stdout}");

    // On the wire: the tool offered, called, and its answer sent back.
    tc.wait_for(Duration::from_secs(10), |events| ended_events(events) >= 2);
    let log = std::fs::read_to_string(&tc.log_path).unwrap();
    let requests: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            e["type"] == "request"
                && e["path"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("/v1/messages?")
        })
        .collect();
    let offered = requests.iter().any(|r| {
        r["body"]["tools"].as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t["name"] == testkit::mock::MCP_LIST_SESSIONS)
        })
    });
    assert!(offered, "no request offered the MCP tool");
    let result = requests
        .iter()
        .flat_map(|r| {
            r["body"]["messages"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .find(|b| b["type"] == "tool_result")
        .expect("a request carried the tool's result");
    let result_text = result.to_string();
    assert!(result_text.contains(&recorded_name), "{result_text}");
    assert!(result_text.contains("messages_calls"), "{result_text}");
    assert!(!result_text.contains(API_KEY));
}
