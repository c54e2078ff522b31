//! A session as a Markdown transcript, for pasting into an issue or handing
//! to another agent: per Claude Code session and agent, each call in order
//! with what it added to the conversation (the user's words, tool results),
//! the answer (thinking, text, tool calls), and the call's model, tokens and
//! cost. Read from the same typed request and reassembled answer as the UI.

use std::fmt::Write as _;
use std::io::Write;

use shared::anthropic::blocks::ServerOutcome;
use shared::reassemble::{reassemble, Assembled};
use shared::{Block, Conversation, Event, FlowSummary, Message, Prices};

use super::Filters;
use crate::log::index::SessionIndex;

/// One Messages call, read for the transcript.
struct Call<'a> {
    flow: &'a FlowSummary,
    request: Conversation,
    answer: Option<Assembled>,
}

/// Writes the transcript of the log behind `index`.
pub fn write<W: Write + ?Sized>(
    name: &str,
    index: &SessionIndex,
    filters: Filters,
    prices: &Prices,
    out: &mut W,
) -> anyhow::Result<()> {
    let flows: Vec<&FlowSummary> = index.summaries().collect();
    let snapshot = index.snapshot();
    let mut calls = Vec::new();
    for (flow, events) in flows.iter().zip(snapshot.events()?) {
        let mut events: Vec<Event> = events?;
        if !flow.is_messages_call() || flow.method != "POST" {
            continue;
        }
        for event in &mut events {
            filters.apply(event);
        }
        calls.push(Call {
            flow,
            request: request_of(&events),
            answer: reassemble(&events),
        });
    }
    out.write_all(render(name, &calls, prices).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// One call as its transcript section: what it added to the conversation
/// after the `seen` messages its agent's previous call sent, its answer, and
/// its model, tokens and cost. `events` are the flow's, already filtered.
pub fn call_section(flow: &FlowSummary, events: &[Event], seen: usize, prices: &Prices) -> String {
    let call = Call {
        flow,
        request: request_of(events),
        answer: reassemble(events),
    };
    let mut md = String::new();
    render_call(&mut md, 1, &call, seen, prices);
    md
}

/// A message of a request, rendered as the transcript renders it.
pub fn message_section(message: &Message) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "**{}**\n", message.role);
    for block in &message.blocks {
        render_block(&mut md, block);
    }
    md
}

fn request_of(events: &[Event]) -> Conversation {
    shared::request_body(events)
        .map(Conversation::from_request_body)
        .unwrap_or_default()
}

fn render(name: &str, calls: &[Call<'_>], prices: &Prices) -> String {
    let mut md = String::new();
    let total: f64 = calls
        .iter()
        .filter_map(|c| prices.flow_cost(c.flow).and_then(Result::ok))
        .map(|c| c.usd)
        .sum();
    let _ = writeln!(md, "# Transcript of {name}\n");
    let _ = writeln!(md, "{} calls · ${total:.4} estimated\n", calls.len());
    // Sessions in the order of their first call; in each, the main agent
    // first, then each subagent in the order it started.
    let mut sessions: Vec<&str> = Vec::new();
    for call in calls {
        let session = call.flow.session_id.as_deref().unwrap_or("");
        if !sessions.contains(&session) {
            sessions.push(session);
        }
    }
    for session in sessions {
        let in_session: Vec<&Call> = calls
            .iter()
            .filter(|c| c.flow.session_id.as_deref().unwrap_or("") == session)
            .collect();
        match session {
            "" => md.push_str("## Calls outside any Claude Code session\n\n"),
            id => {
                let _ = writeln!(md, "## Session `{id}`\n");
            }
        }
        let mut agents: Vec<Option<&str>> = vec![None];
        for call in &in_session {
            let agent = call.flow.agent_id.as_deref();
            if !agents.contains(&agent) {
                agents.push(agent);
            }
        }
        for agent in agents {
            let of_agent: Vec<&&Call> = in_session
                .iter()
                .filter(|c| c.flow.agent_id.as_deref() == agent)
                .collect();
            if of_agent.is_empty() {
                continue;
            }
            match agent {
                None => md.push_str("### Main agent\n\n"),
                Some(id) => {
                    let _ = write!(md, "### Subagent `{id}`");
                    if let Some(parent) = of_agent[0].flow.parent_agent_id.as_deref() {
                        let _ = write!(md, " (started by `{parent}`)");
                    }
                    md.push_str("\n\n");
                }
            }
            let mut seen_messages = 0usize;
            for (n, call) in of_agent.iter().enumerate() {
                render_call(&mut md, n + 1, call, seen_messages, prices);
                seen_messages = call.request.messages.len();
            }
        }
    }
    md
}

fn render_call(md: &mut String, n: usize, call: &Call<'_>, seen: usize, prices: &Prices) {
    let flow = call.flow;
    let _ = write!(md, "#### Call {n}");
    if let Some(model) = &flow.model {
        let _ = write!(md, " · `{model}`");
    }
    if let Some(started) = flow.started {
        let _ = write!(md, " · {}", started.0.format("%Y-%m-%d %H:%M:%S UTC"));
    }
    md.push_str("\n\n");
    let mut facts = Vec::new();
    if let Some(usage) = &flow.usage {
        facts.push(format!(
            "{} in ({} cache read, {} cache write) · {} out",
            usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
            usage.cache_read_input_tokens,
            usage.cache_creation_input_tokens,
            usage.output_tokens
        ));
    }
    match prices.flow_cost(flow) {
        Some(Ok(cost)) => facts.push(format!("${:.4}", cost.usd)),
        Some(Err(why)) => facts.push(format!("price unknown ({why})")),
        None => {}
    }
    if let Some(ms) = flow.duration_ms {
        facts.push(format!("{:.1} s", ms / 1000.0));
    }
    if !facts.is_empty() {
        let _ = writeln!(md, "_{}_\n", facts.join(" · "));
    }
    if n == 1 && !call.request.system.is_empty() {
        let chars: usize = call.request.system.iter().map(text_len).sum();
        let _ = writeln!(
            md,
            "_System prompt of {chars} characters, {} tools._\n",
            call.request.tools.len()
        );
    }
    // What this call added: the messages after those the last call sent,
    // less the assistant's own answer echoed back (shown with that call).
    let messages = &call.request.messages;
    let start = if seen <= messages.len() { seen } else { 0 };
    if start == 0 && seen > 0 {
        md.push_str("_The conversation was shortened before this call; all of it:_\n\n");
    }
    let new: Vec<&Message> = messages[start..]
        .iter()
        .skip_while(|m| seen > 0 && m.role == "assistant")
        .collect();
    for message in new {
        let role = match message.role.as_str() {
            "user" if message.blocks.iter().all(is_tool_result) => "Tool results",
            "user" => "User",
            "assistant" => "Assistant (as sent)",
            other => other,
        };
        let _ = writeln!(md, "**{role}**\n");
        for block in &message.blocks {
            render_block(md, block);
        }
    }
    match &call.answer {
        Some(answer) if !answer.content.is_empty() => {
            md.push_str("**Assistant**\n\n");
            for block in &answer.content {
                render_block(md, &block.block);
            }
            if let Some(reason) = answer.stop_reason.as_deref() {
                if !matches!(reason, "end_turn" | "tool_use") {
                    let _ = writeln!(md, "_Stopped: {reason}_\n");
                }
            }
        }
        _ => {}
    }
    if let Some(error) = &flow.error {
        if flow.state == shared::FlowState::Failed {
            let _ = writeln!(md, "**Error:** {}\n", error.replace('\n', " "));
        }
    }
}

fn is_tool_result(block: &Block) -> bool {
    matches!(
        block,
        Block::ToolResult { .. } | Block::McpToolResult { .. } | Block::ServerToolResult { .. }
    )
}

fn text_len(block: &Block) -> usize {
    match block {
        Block::Text { text, .. } => text.chars().count(),
        _ => 0,
    }
}

fn render_block(md: &mut String, block: &Block) {
    match block {
        Block::Text { text, .. } if text.trim().is_empty() => {}
        Block::Text { text, .. } => {
            let _ = writeln!(md, "{}\n", text.trim_end());
        }
        Block::Thinking { thinking, .. } if thinking.is_empty() => {
            md.push_str("> _Thinking (not shown by the API)_\n\n");
        }
        Block::Thinking { thinking, .. } => {
            md.push_str("> _Thinking:_\n>\n");
            for line in thinking.trim_end().lines() {
                let _ = writeln!(md, "> {line}");
            }
            md.push('\n');
        }
        Block::RedactedThinking { .. } => md.push_str("> _Thinking (redacted by the API)_\n\n"),
        Block::ToolUse {
            id, name, input, ..
        } => {
            let _ = writeln!(md, "**Tool call** `{name}` (`{id}`)\n");
            fenced(md, "json", &pretty(input));
        }
        Block::McpToolUse {
            id,
            name,
            server_name,
            input,
            ..
        } => {
            let _ = writeln!(
                md,
                "**MCP tool call** `{server_name}` / `{name}` (`{id}`)\n"
            );
            fenced(md, "json", &pretty(input));
        }
        Block::ToolResult {
            tool_use_id,
            content,
            is_error,
            ..
        }
        | Block::McpToolResult {
            tool_use_id,
            content,
            is_error,
            ..
        } => {
            let error = if *is_error { ", an error" } else { "" };
            let _ = writeln!(md, "**Tool result** (`{tool_use_id}`{error})\n");
            let texts: Vec<&str> = content
                .iter()
                .filter_map(|b| match b {
                    Block::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            if texts.len() == content.len() {
                fenced(md, "", &texts.join("\n"));
            } else {
                for block in content {
                    render_block(md, block);
                }
            }
        }
        Block::ServerToolResult {
            tool_use_id,
            outcome,
            ..
        } => {
            let _ = writeln!(md, "**Server tool result** (`{tool_use_id}`)\n");
            fenced(md, "json", &pretty(&outcome_json(outcome)));
        }
        Block::Image {
            media_type,
            bytes,
            url,
            ..
        } => {
            let what = url
                .clone()
                .or_else(|| media_type.clone())
                .unwrap_or_default();
            let size = bytes.map(|b| format!(", {b} bytes")).unwrap_or_default();
            let _ = writeln!(md, "_[image {what}{size}]_\n");
        }
        Block::Document {
            title, media_type, ..
        } => {
            let what = title
                .clone()
                .or_else(|| media_type.clone())
                .unwrap_or_default();
            let _ = writeln!(md, "_[document {what}]_\n");
        }
        Block::Compaction { content, .. } => {
            md.push_str("**Compaction summary**\n\n");
            let _ = writeln!(md, "{}\n", content.as_deref().unwrap_or("(none)"));
        }
        Block::ToolReference { tool_name, .. } => {
            let _ = writeln!(md, "_[tool `{tool_name}` loaded]_\n");
        }
        Block::ContainerUpload { file_id, .. } => {
            let _ = writeln!(md, "_[file `{file_id}` uploaded to the container]_\n");
        }
        Block::Fallback { from, to } => {
            let _ = writeln!(
                md,
                "_[fell back from `{}` to `{}`]_\n",
                from.as_deref().unwrap_or("?"),
                to.as_deref().unwrap_or("?")
            );
        }
        Block::Other { block_type, value } => {
            let _ = writeln!(md, "_[{block_type}]_\n");
            fenced(md, "json", &pretty(value));
        }
    }
}

fn outcome_json(outcome: &ServerOutcome) -> serde_json::Value {
    serde_json::to_value(outcome).unwrap_or_default()
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A fenced block that no run of backticks inside can close early.
fn fenced(md: &mut String, lang: &str, text: &str) {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(md, "{fence}{lang}\n{}\n{fence}\n", text.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_is_longer_than_any_backticks_inside() {
        let mut md = String::new();
        fenced(&mut md, "", "a ```` b");
        assert!(md.starts_with("`````\n"), "{md}");
        let mut md = String::new();
        fenced(&mut md, "json", "{}");
        assert_eq!(md, "```json\n{}\n```\n\n");
    }
}
