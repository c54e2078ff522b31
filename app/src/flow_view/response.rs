//! The Response tab: the answer as the client assembled it from the stream
//! (or read it whole), so a streamed reply reads as one message, with the
//! stop reason, any error, and the usage the server reported.

use std::sync::Arc;

use leptos::prelude::*;
use shared::anthropic::describe_stop;
use shared::{reassemble, AssembledBlock, EventKind};

use super::message::block_view;
use super::FlowDetail;

#[component]
pub(super) fn ResponseView(detail: Arc<FlowDetail>) -> impl IntoView {
    let Some(message) = reassemble(detail.events.iter()) else {
        let note = detail.events.iter().find_map(|e| match &e.kind {
            EventKind::Error(err) => Some(err.message.clone()),
            _ => None,
        });
        return view! {
            <p class="empty">{note.map(|n| format!("No response content: {n}")).unwrap_or_else(|| "No response content.".to_owned())}</p>
        }
        .into_any();
    };
    let usage = message
        .usage
        .as_ref()
        .map(|u| serde_json::to_string_pretty(u).unwrap_or_default());
    let blocks = message.content.iter().map(assembled_view).collect_view();
    let stop = message
        .stop_reason
        .as_deref()
        .map(|s| format!("stop: {}", describe_stop(s)))
        .unwrap_or_default();
    let refusal = message.stop_details.clone().map(|d| {
        let category = d.category.unwrap_or_else(|| "no named category".to_owned());
        view! {
            <div class="refusal" data-role="stop-details">
                <span>{format!("refusal · category: {category}")}</span>
                {d.explanation.map(|e| view! { <p class="text">{e}</p> })}
                {d.recommended_model.map(|m| view! { <p class="note">{format!("the API suggests retrying on {m}")}</p> })}
            </div>
        }
    });
    let edits = (!message.applied_edits.is_empty()).then(|| {
        view! {
            <div class="context-edits" data-role="applied-edits">
                <span>"context management cleared from the prompt:"</span>
                <ul>{message.applied_edits.iter().map(|e| view! { <li>{e.describe()}</li> }).collect_view()}</ul>
            </div>
        }
    });
    let container = message.container.clone().map(|c| {
        let expiry = c.expires_at.map(|t| format!(", expires {t}")).unwrap_or_default();
        view! { <p class="container" data-role="container">{format!("container {}{expiry}", c.id)}</p> }
    });
    view! {
        <div class="assembled" data-role="response">
            <div class="facts">
                <span>{message.model.clone().unwrap_or_default()}</span>
                <span data-role="stop-reason">{stop}</span>
                <span>{if message.complete { "complete" } else { "incomplete" }}</span>
            </div>
            {message.error.clone().map(|e| view! { <p class="error" data-role="response-error">{e}</p> })}
            {refusal}
            {edits}
            {container}
            {blocks}
            {usage.map(|u| view! { <details class="usage"><summary>"usage"</summary><pre class="json">{u}</pre></details> })}
        </div>
    }
    .into_any()
}

/// One block of the answer. A tool input that arrived as JSON that does not
/// parse is shown as received, with why, since the block's parsed input is
/// then only the start block's `{}`.
fn assembled_view(assembled: &AssembledBlock) -> AnyView {
    match &assembled.received {
        Some(received) if received.input_error.is_some() => view! {
            <div class="block tool-use" data-block="tool_use">
                {block_label(&assembled.block)}
                <p class="error">{format!("input is not valid JSON: {}", received.input_error.clone().unwrap_or_default())}</p>
                <pre class="json">{received.input_json.clone()}</pre>
            </div>
        }
        .into_any(),
        _ => block_view(&assembled.block),
    }
}

fn block_label(block: &shared::Block) -> String {
    match block {
        shared::Block::ToolUse { name, server, .. } => {
            format!(
                "{} {name}",
                if *server { "server tool" } else { "tool call" }
            )
        }
        shared::Block::McpToolUse {
            name, server_name, ..
        } => {
            format!("MCP tool {name} on server {server_name}")
        }
        _ => String::new(),
    }
}
