//! Costs per agent: a main agent and two subagents (one naming its parent)
//! call through the real proxy; `stats --json` and the web API's flow list
//! must give each its calls, tokens and cost, and the tree they form.

use std::time::Duration;

use serde_json::{json, Value};
use testkit::binary::ended_events;

use crate::util::{claude_request, get_json, mock_and_proxy, read_ok, run, stderr};

const SESSION: &str = "5e55-agents";
/// $3 per million input tokens, $15 per million output (prompts up to 200k).
const MODEL: &str = "claude-sonnet-4-5";

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - want).abs() < 1e-12)
}

fn body() -> String {
    json!({"model": MODEL, "stream": true, "messages": [{"role":"user","content":"hi"}]})
        .to_string()
}

#[tokio::test]
async fn stats_and_the_flow_list_give_each_agent_its_calls_and_cost() {
    let (_mock, tc) = mock_and_proxy().await;
    let proxy = tc.proxy_url();
    let send = |scenario: &str, agent: Option<&str>, parent: Option<&str>| {
        let mut r = claude_request(&proxy, scenario)
            .header("x-claude-code-session-id", SESSION)
            .body(body());
        if let Some(agent) = agent {
            r = r.header("x-claude-code-agent-id", agent);
        }
        if let Some(parent) = parent {
            r = r.header("x-claude-code-parent-agent-id", parent);
        }
        r
    };
    // The mock's `text` answer uses 25 input tokens and one output token a
    // piece ("Hello", " world": 2); its `json` answer 12 in and 3 out.
    read_ok(send("text", None, None)).await;
    read_ok(send("json", Some("agent-a"), None)).await;
    read_ok(send("text", Some("agent-b"), Some("agent-a")).header("x-mock-text", "one")).await;
    read_ok(send("text", None, None)).await;
    tc.wait_for(Duration::from_secs(10), |events| ended_events(events) >= 4);

    let out = run(["stats", "--json", tc.log_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s["session_id"], SESSION);
    assert_eq!(s["subagent_count"], 2);

    // Main agent: 2 calls × (25 in, 2 out) = 50 in, 4 out:
    // 50 × $3/M + 4 × $15/M = $0.000150 + $0.000060 = $0.000210.
    let main = &s["main"];
    assert_eq!(main["agent_id"], Value::Null);
    assert_eq!(main["totals"]["requests"], 2);
    assert_eq!(main["totals"]["input_tokens"], 50);
    assert_eq!(main["totals"]["output_tokens"], 4);
    assert!(close(&main["totals"]["cost_usd"], 210e-6), "{main}");
    assert_eq!(main["models"], json!([MODEL]));

    // agent-a named no parent: under the main agent. 12 in, 3 out:
    // 12 × $3/M + 3 × $15/M = $0.000036 + $0.000045 = $0.000081.
    let subs = main["subagents"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "{main}");
    let a = &subs[0];
    assert_eq!(a["agent_id"], "agent-a");
    assert_eq!(a["parent_agent_id"], Value::Null);
    assert_eq!(
        (&a["totals"]["input_tokens"], &a["totals"]["output_tokens"]),
        (&json!(12), &json!(3))
    );
    assert!(close(&a["totals"]["cost_usd"], 81e-6), "{a}");

    // agent-b named agent-a: under it. 25 in, 1 out:
    // 25 × $3/M + 1 × $15/M = $0.000075 + $0.000015 = $0.000090.
    let b = &a["subagents"][0];
    assert_eq!(b["agent_id"], "agent-b");
    assert_eq!(b["parent_agent_id"], "agent-a");
    assert_eq!(
        (&b["totals"]["input_tokens"], &b["totals"]["output_tokens"]),
        (&json!(25), &json!(1))
    );
    assert!(close(&b["totals"]["cost_usd"], 90e-6), "{b}");

    // The subagents together: $0.000081 + $0.000090 = $0.000171, 37 in, 4 out;
    // the session: $0.000210 + $0.000171 = $0.000381, the grand total too.
    assert_eq!(s["subagents_total"]["requests"], 2);
    assert_eq!(s["subagents_total"]["input_tokens"], 37);
    assert!(close(&s["subagents_total"]["cost_usd"], 171e-6));
    assert!(close(&s["total"]["cost_usd"], 381e-6));
    assert!(close(&v["total"]["cost_usd"], 381e-6));

    // The text table shows the same tree, indented.
    let out = run(["stats", tc.log_path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{text}"))
            .to_owned()
    };
    assert!(
        line(&format!("session {SESSION}")).contains("$0.0004"),
        "{text}"
    );
    assert!(line("  main agent").contains("$0.0002"), "{text}");
    assert!(line("    subagent agent-a").contains("$0.0001"), "{text}");
    assert!(line("      subagent agent-b").contains("$0.0001"), "{text}");
    assert!(line("  2 subagents together").contains("$0.0002"), "{text}");

    // The web API's flow list names each call's agent and parent.
    let listing = get_json(&format!("{}/api/flows", tc.web_url())).await;
    let agents: Vec<(Value, Value)> = listing["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["agent_id"].clone(), f["parent_agent_id"].clone()))
        .collect();
    assert_eq!(
        agents,
        [
            (Value::Null, Value::Null),
            (json!("agent-a"), Value::Null),
            (json!("agent-b"), json!("agent-a")),
            (Value::Null, Value::Null),
        ]
    );
}
