//! Today's answer (every 2025–26 block kind) through the real proxy, streamed
//! in split chunks and whole: the log reads back as the same typed blocks,
//! the UI's search finds the words inside them, and `--redact-bodies`
//! removes those words.

use std::time::Duration;

use serde_json::{json, Value};
use shared::anthropic::blocks::{ServerOutcome, ServerTool};
use shared::{reassemble, Block, Event};
use testkit::script::todays::{
    ADVICE, ANSWER, COMPACTION_SUMMARY, CONTAINER_ID, FALLBACK_TO, FETCHED_TITLE, FETCHED_URL,
    MCP_RESULT, MCP_SERVER, REFUSAL_CATEGORY, REFUSAL_EXPLANATION, SEARCH_TITLE, STDERR, STDOUT,
    THINKING_TOKENS, TOOL_FOUND, UPLOADED_FILE,
};
use testkit::TraceClaude;

use crate::util::{claude_request, finished_flow, get_json, mock_and_proxy, read_ok, run, stderr};

const WAIT: Duration = Duration::from_secs(10);
const MODEL: &str = "claude-opus-5-5";

/// Sends today's answer, streamed then whole, with a refusal.
async fn record(tc: &TraceClaude) -> [Vec<Event>; 2] {
    for (n, (scenario, stream)) in [("todays_blocks", true), ("todays_blocks_json", false)]
        .into_iter()
        .enumerate()
    {
        let body = json!({"model": MODEL, "stream": stream, "max_tokens": 64,
            "thinking": {"type": "adaptive", "display": "omitted"},
            "messages": [{"role": "user", "content": "go"}]});
        read_ok(
            claude_request(&tc.proxy_url(), scenario)
                .header("x-mock-stop-reason", "refusal")
                .body(body.to_string()),
        )
        .await;
        finished_flow(tc, n, WAIT);
    }
    [0, 1].map(|n| {
        let (_, events) = finished_flow(tc, n, WAIT);
        events
            .into_iter()
            .map(|e| serde_json::from_value(e).unwrap())
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_block_kind_reads_back_typed_from_the_log_streamed_and_whole() {
    let (_mock, tc) = mock_and_proxy().await;
    let [streamed, whole] = record(&tc).await;
    let streamed = reassemble(&streamed).unwrap();
    let whole = reassemble(&whole).unwrap();
    assert!(streamed.complete && whole.complete);
    assert!(
        streamed.other_events.is_empty(),
        "{:?}",
        streamed.other_events
    );
    assert_eq!(
        streamed
            .content
            .iter()
            .map(|b| &b.block)
            .collect::<Vec<_>>(),
        whole.content.iter().map(|b| &b.block).collect::<Vec<_>>(),
        "split chunks and deltas rebuild the very blocks of the whole body"
    );
    let blocks: Vec<&Block> = streamed.content.iter().map(|b| &b.block).collect();
    assert!(blocks[0].thinking_omitted());
    assert!(matches!(
        blocks[0],
        Block::Thinking {
            estimated_tokens: Some(THINKING_TOKENS),
            ..
        }
    ));
    assert!(
        matches!(blocks[1], Block::Compaction { content: Some(s), .. } if s == COMPACTION_SUMMARY)
    );
    assert!(
        matches!(blocks[2], Block::McpToolUse { server_name, input, .. } if server_name == MCP_SERVER && *input == json!({"repo": "."}))
    );
    assert!(matches!(
        blocks[3],
        Block::McpToolResult {
            is_error: false,
            ..
        }
    ));
    assert!(matches!(blocks[4], Block::ToolUse { server: true, .. }));
    let outcome = |i: usize| match blocks[i] {
        Block::ServerToolResult { tool, outcome, .. } => (*tool, outcome.clone()),
        other => panic!("block {i} is not a server tool result: {other:?}"),
    };
    assert!(
        matches!(outcome(5), (ServerTool::WebSearch, ServerOutcome::WebSearch { results }) if results[0].title == SEARCH_TITLE)
    );
    assert!(
        matches!(outcome(6), (ServerTool::WebFetch, ServerOutcome::WebFetch { url, .. }) if url == FETCHED_URL)
    );
    assert!(
        matches!(outcome(7), (_, ServerOutcome::CodeExecution { stdout, return_code: 0, .. }) if stdout == STDOUT)
    );
    assert!(
        matches!(outcome(8), (_, ServerOutcome::Error { error_code }) if error_code == "max_uses_exceeded")
    );
    assert!(
        matches!(outcome(9), (ServerTool::ToolSearch, ServerOutcome::ToolSearch { tool_names }) if tool_names == [TOOL_FOUND])
    );
    assert!(
        matches!(outcome(10), (ServerTool::Advisor, ServerOutcome::Advisor { text, .. }) if text == ADVICE)
    );
    assert!(
        matches!(blocks[11], Block::ContainerUpload { file_id, .. } if file_id == UPLOADED_FILE)
    );
    assert!(matches!(blocks[12], Block::Fallback { to: Some(to), .. } if to == FALLBACK_TO));
    assert!(matches!(blocks[13], Block::Other { block_type, .. } if block_type == "hologram"));
    assert!(matches!(blocks[14], Block::Text { text, .. } if text == ANSWER));
    for message in [&streamed, &whole] {
        assert_eq!(message.stop_reason.as_deref(), Some("refusal"));
        let details = message.stop_details.as_ref().unwrap();
        assert_eq!(details.category.as_deref(), Some(REFUSAL_CATEGORY));
        assert_eq!(details.explanation.as_deref(), Some(REFUSAL_EXPLANATION));
        assert_eq!(message.applied_edits.len(), 2);
        assert_eq!(message.container.as_ref().unwrap().id, CONTAINER_ID);
    }
}

/// The words a person reads inside the new kinds, each long enough that
/// its first ten characters sit whole in the first delta that carries it.
const WORDS: [&str; 10] = [
    COMPACTION_SUMMARY,
    MCP_RESULT,
    SEARCH_TITLE,
    FETCHED_TITLE,
    STDOUT,
    STDERR,
    ADVICE,
    ANSWER,
    REFUSAL_EXPLANATION,
    "One JSON value per line.",
];

#[tokio::test(flavor = "multi_thread")]
async fn the_search_finds_words_inside_the_new_kinds_and_redaction_removes_them() {
    let (_mock, tc) = mock_and_proxy().await;
    let [streamed, whole] = record(&tc).await;
    let (streamed_id, whole_id) = (
        streamed[0].flow_id().0.to_string(),
        whole[0].flow_id().0.to_string(),
    );
    let url = tc.web_url();
    // Search matches a log line: a word sent whole in a body is found in
    // both flows; words streamed in pieces are found by a piece.
    for word in [
        SEARCH_TITLE,
        FETCHED_TITLE,
        MCP_RESULT,
        STDOUT,
        ADVICE,
        TOOL_FOUND,
        REFUSAL_EXPLANATION,
    ] {
        let found = get_json(&format!("{url}/api/search?q={}", word.replace(' ', "%20"))).await;
        assert_eq!(found["flows"], json!([streamed_id, whole_id]), "{word}");
    }
    for word in [COMPACTION_SUMMARY, ANSWER] {
        let found = get_json(&format!("{url}/api/search?q={}", word.replace(' ', "%20"))).await;
        assert_eq!(
            found["flows"],
            json!([whole_id]),
            "{word}: whole only in the body"
        );
        let piece = &word[..10];
        let found = get_json(&format!("{url}/api/search?q={}", piece.replace(' ', "%20"))).await;
        assert_eq!(found["flows"], json!([streamed_id, whole_id]), "{piece}");
    }

    let log = tc.log_path.to_str().unwrap();
    let out = run(["export", "--jsonl", "--redact-bodies", log]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for word in WORDS {
        assert!(
            !text.contains(&word[..10]),
            "redacted export still holds {word:?}"
        );
    }
    // What is structure stays: the kinds, the MCP server, the tool found,
    // the refusal's category, the models.
    for kept in [
        "\"compaction_delta\"",
        "\"mcp_tool_result\"",
        "\"server_name\":\"git\"",
        TOOL_FOUND,
        REFUSAL_CATEGORY,
        FALLBACK_TO,
        "\"estimated_tokens\":812",
    ] {
        assert!(text.contains(kept), "redacted export lost {kept:?}");
    }
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
}
