//! End to end: the real Claude Code CLI (from npm) runs through
//! `./bin/trace_claude_run` against the mock upstream, makes a Bash tool round
//! trip, and the session log answers every jq recipe of docs/INTERFACE.md.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use testkit::{MockUpstream, TraceClaude};

use crate::util::{trace_claude_run, CLAUDE_KEY as KEY};

/// Runs one of docs/INTERFACE.md's jq recipes, as written, in the directory holding `sessions/`.
fn jq(dir: &Path, recipe: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(recipe)
        .current_dir(dir)
        .output()
        .expect("jq must be installed (./scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{recipe}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_values(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_runs_a_tool_round_trip_through_the_proxy_and_the_log_answers_the_spec_recipes()
{
    let mock = MockUpstream::start().await.unwrap();
    let tc = TraceClaude::start(crate::util::bin(), &mock.url(), &[]).unwrap();

    let port = tc.proxy_port;
    let out = tokio::task::spawn_blocking(move || {
        trace_claude_run(
            &[
                "claude",
                "--allowedTools",
                "Bash",
                "-p",
                "TRACE_E2E: run the marker command and tell me what it printed",
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
    assert!(
        stdout.contains("The command printed: trace-claude-e2e-marker"),
        "{stdout}"
    );

    // Claude Code talked only to the proxy, which passed its key upstream.
    let upstream_saw = mock.state.requests();
    let messages: Vec<_> = upstream_saw
        .iter()
        .filter(|r| r.path.starts_with("/v1/messages?"))
        .collect();
    assert!(
        messages.len() >= 2,
        "{:?}",
        upstream_saw.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(messages.iter().all(|r| r.header("x-api-key") == Some(KEY)));
    assert!(messages[0].header("x-claude-code-session-id").is_some());

    let events = tc.wait_for(std::time::Duration::from_secs(10), |events| {
        let requests = events.iter().filter(|e| e["type"] == "request").count();
        let ends = events
            .iter()
            .filter(|e| matches!(e["type"].as_str(), Some("stream_end" | "response")))
            .count();
        requests == upstream_saw.len() && ends == requests
    });
    assert!(events.iter().all(|e| e["type"] != "error"), "{events:?}");
    let raw = std::fs::read_to_string(&tc.log_path).unwrap();
    assert!(
        !raw.contains(KEY) && raw.contains("sk-ant-…K3Y9"),
        "the key is redacted in the log"
    );

    let dir = tc.log_path.parent().unwrap().parent().unwrap();
    let requests = json_values(&jq(
        dir,
        r#"jq 'select(.type=="request") | {model: .body.model, msgs: (.body.messages | length)}' sessions/*.jsonl"#,
    ));
    let turns: Vec<&Value> = requests
        .iter()
        .filter(|r| r["msgs"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert!(
        turns.len() >= 2
            && turns
                .iter()
                .all(|r| r["model"].as_str().is_some_and(|m| m.starts_with("claude"))),
        "{requests:?}"
    );
    assert!(
        turns.last().unwrap()["msgs"].as_u64() > turns.first().unwrap()["msgs"].as_u64(),
        "the context grows: {turns:?}"
    );

    // The model the pinned CLI asks for by default is one the built-in price
    // table knows: a CLI upgrade that brings a new default model fails here
    // until prices.json has a row for it.
    let default_model = turns[0]["model"].as_str().unwrap();
    let stats = crate::util::run([
        std::ffi::OsStr::new("stats"),
        std::ffi::OsStr::new("--json"),
        tc.log_path.as_os_str(),
    ]);
    assert!(stats.status.success(), "{}", crate::util::stderr(&stats));
    let stats: Value = serde_json::from_str(&crate::util::stdout(&stats)).unwrap();
    let priced = &stats["models"][default_model];
    assert!(
        priced["requests"].as_u64() >= Some(2)
            && priced["cost_usd"].as_f64().is_some_and(|c| c > 0.0),
        "the CLI's default model {default_model} has no price in shared/prices.json: {stats:#}"
    );

    let text = jq(
        dir,
        r#"jq -r 'select(.type=="sse" and .event=="content_block_delta") | .data.delta.text // empty' sessions/*.jsonl"#,
    );
    assert!(
        text.contains("The command printed: trace-claude-e2e-marker"),
        "{text}"
    );

    let start_usage = json_values(&jq(
        dir,
        r#"jq 'select(.type=="sse" and .event=="message_start") | .data.message.usage' sessions/*.jsonl"#,
    ));
    assert!(start_usage.len() >= 2 && start_usage.iter().all(|u| u["input_tokens"] == 25));
    let delta_usage = json_values(&jq(
        dir,
        r#"jq 'select(.type=="sse" and .event=="message_delta") | .data.usage' sessions/*.jsonl"#,
    ));
    assert!(delta_usage.iter().any(|u| u["output_tokens"] == 40));

    let tools = jq(
        dir,
        r#"jq 'select(.type=="sse" and .event=="content_block_start" and .data.content_block.type=="tool_use") | .data.content_block.name' sessions/*.jsonl"#,
    );
    assert_eq!(tools.trim(), "\"Bash\"");

    let counts = jq(
        dir,
        r#"jq -r 'select(.type=="sse") | .event' sessions/*.jsonl | sort | uniq -c | sort -rn"#,
    );
    let first = counts.lines().next().unwrap_or_default();
    assert!(
        first.trim_end().ends_with("content_block_delta"),
        "{counts}"
    );
    for name in [
        "message_start",
        "content_block_start",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ] {
        assert!(counts.contains(name), "{name} missing from {counts}");
    }

    // The tool's real output went back upstream as a tool_result.
    let second = &events
        .iter()
        .filter(|e| e["type"] == "request" && e["path"] == "/v1/messages?beta=true")
        .nth(1)
        .unwrap()["body"];
    let last = second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(
        last.contains("tool_result") && last.contains("trace-claude-e2e-marker"),
        "{last}"
    );
}

/// The same round trip through `trace_claude_run --mitm`: Claude Code with
/// its real default behaviour (no `ANTHROPIC_BASE_URL`), through
/// `HTTPS_PROXY`, trusting the proxy's CA; the HTTPS mock stands in for
/// Anthropic's hosts on 127.0.0.8:443 (CI runs as root).
#[tokio::test(flavor = "multi_thread")]
async fn claude_code_through_https_proxy_is_seen_with_every_host_it_calls() {
    let ip = "127.0.0.8";
    let hosts = [
        "api.anthropic.com",
        "platform.claude.com",
        "claude.ai",
        "claude.com",
    ];
    let mock = MockUpstream::start_tls_on(format!("{ip}:443").parse().unwrap(), &hosts)
        .await
        .expect("the HTTPS mock binds port 443 of a loopback address, which needs root");
    let mock_ca = mock.tls.as_ref().unwrap().file.to_str().unwrap().to_owned();
    // An HTTP MCP server on a host that is not intercepted: its connection
    // is tunnelled, untouched, and shows as a tunnel.
    let mcp = tokio::net::TcpListener::bind("127.0.0.11:443")
        .await
        .expect("binding port 443 of a loopback address needs root");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = mcp.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 512];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut hello).await;
            });
        }
    });
    let mut args: Vec<String> = vec!["--upstream-ca".into(), mock_ca];
    for host in hosts {
        args.extend(["--resolve".into(), format!("{host}:443:{ip}")]);
    }
    args.extend([
        "--resolve".into(),
        "mcp.tunnelled.test:443:127.0.0.11".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let state = tempfile::tempdir().unwrap();
    let tc = TraceClaude::start_with(crate::util::bin(), &mock.url(), None, &args, |command| {
        command.env("TRACE_CLAUDE_STATE_DIR", state.path());
    })
    .unwrap();

    let (port, state_dir) = (tc.proxy_port, state.path().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        trace_claude_run(
            &[
                "--mitm",
                "claude",
                "--allowedTools",
                "Bash",
                "--mcp-config",
                r#"{"mcpServers":{"remote":{"type":"http","url":"https://mcp.tunnelled.test/mcp"}}}"#,
                "-p",
                "TRACE_E2E: run the marker command and tell me what it printed",
            ],
            port,
            Some(&state_dir),
        )
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "claude failed: {stdout}\n{}\nproxy: {}",
        String::from_utf8_lossy(&out.stderr),
        tc.stderr()
    );
    assert!(
        stdout.contains("The command printed: trace-claude-e2e-marker"),
        "{stdout}"
    );
    let events = tc.wait_for(std::time::Duration::from_secs(10), |events| {
        testkit::ended_events(events) >= 2
    });
    let requests: Vec<&Value> = events.iter().filter(|e| e["type"] == "request").collect();
    let calls: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {}{}",
                r["method"],
                r["host"].as_str().unwrap_or("?"),
                r["path"].as_str().unwrap_or("")
            )
        })
        .collect();
    eprintln!("Claude Code's calls through the proxy: {calls:#?}");
    let tunnels: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "tunnel")
        .map(|t| format!("{}:{}", t["host"], t["port"]))
        .collect();
    eprintln!("tunnelled: {tunnels:?}");
    assert!(
        tunnels.iter().any(|t| t == "\"mcp.tunnelled.test\":443"),
        "the MCP server's connection is a tunnel: {tunnels:?}"
    );
    // Every decrypted call says where it went and that it came through
    // HTTPS_PROXY; the model calls went to api.anthropic.com, key redacted.
    assert!(
        requests.iter().all(|r| r["mode"] == "forward"),
        "{calls:#?}"
    );
    assert!(requests.iter().all(|r| r["host"].is_string()), "{calls:#?}");
    let messages: Vec<&&Value> = requests
        .iter()
        .filter(|r| {
            r["host"] == "api.anthropic.com"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/v1/messages?"))
        })
        .collect();
    assert!(messages.len() >= 2, "{calls:#?}");
    assert!(messages.iter().all(|r| r["headers"]["x-api-key"] != KEY));
    // The flow list tells the kinds of call apart.
    let flows = crate::util::get_json(&format!("{}/api/flows", tc.web_url())).await;
    let categories: std::collections::BTreeSet<&str> = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["category"].as_str())
        .collect();
    for wanted in ["inference", "settings", "telemetry"] {
        assert!(
            categories.contains(wanted),
            "{wanted} not in {categories:?}"
        );
    }
    let upstream_saw = mock.state.requests();
    assert!(upstream_saw
        .iter()
        .all(|r| r.header("proxy-authorization").is_none()));
    assert!(
        upstream_saw
            .iter()
            .filter(|r| r.path.starts_with("/v1/messages?"))
            .all(|r| r.header("x-api-key") == Some(KEY)),
        "the key reached the host whole"
    );
}

/// A `listen` restarted on the same port while Claude Code (through
/// `--mitm`) waits on an answer: the cut call is retried against the new
/// proxy, which has the same CA and token, and the session completes.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_restarted_while_claude_code_runs_through_it_keeps_serving_it() {
    let ip = "127.0.0.10";
    let mock =
        MockUpstream::start_tls_on(format!("{ip}:443").parse().unwrap(), &["api.anthropic.com"])
            .await
            .expect("the HTTPS mock binds port 443 of a loopback address, which needs root");
    let mock_ca = mock.tls.as_ref().unwrap().file.to_str().unwrap().to_owned();
    let resolve = format!("api.anthropic.com:443:{ip}");
    let state = tempfile::tempdir().unwrap();
    let start = |port: u16| {
        let port = port.to_string();
        TraceClaude::start_with(
            crate::util::bin(),
            &mock.url(),
            None,
            &[
                "--port",
                &port,
                "--resolve",
                &resolve,
                "--upstream-ca",
                &mock_ca,
            ],
            |command| {
                command.env("TRACE_CLAUDE_STATE_DIR", state.path());
            },
        )
        .unwrap()
    };
    let first = start(0);
    let port = first.proxy_port;
    mock.state
        .stall_next_messages(std::time::Duration::from_secs(5));
    let state_dir = state.path().to_owned();
    let claude = tokio::task::spawn_blocking(move || {
        trace_claude_run(
            &["--mitm", "claude", "-p", "say hello"],
            port,
            Some(&state_dir),
        )
    });
    // Claude Code is waiting on its first model call: restart the proxy.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !mock
        .state
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/v1/messages?"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "Claude Code never called the model"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(first);
    let second = start(port);
    let out = claude.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "claude failed across the restart: {stdout}\n{}\nproxy: {}",
        String::from_utf8_lossy(&out.stderr),
        second.stderr()
    );
    assert!(stdout.contains("Hello from the mock upstream."), "{stdout}");
    let events = second.wait_for(std::time::Duration::from_secs(10), |events| {
        events.iter().any(|e| {
            e["type"] == "request"
                && e["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/v1/messages?"))
        })
    });
    assert!(
        events.iter().any(|e| e["type"] == "request"
            && e["host"] == "api.anthropic.com"
            && e["mode"] == "forward"),
        "the retried call is in the new proxy's log"
    );
}
