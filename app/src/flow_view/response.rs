//! The Response tab: the answer as the client assembled it from the stream
//! (or read it whole), so a streamed reply reads as one message, with the
//! stop reason, any error, and the usage the server reported.

use std::sync::Arc;

use leptos::prelude::*;
use shared::{reassemble, AssembledBlock, EventKind};

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
    let blocks = message
        .content
        .iter()
        .map(|block| match block {
            AssembledBlock::Text { text, citations } => view! {
                <div class="block text" data-block="text">
                    <pre class="text">{text.clone()}</pre>
                    {(!citations.is_empty()).then(|| view! {
                        <details><summary>{format!("{} citations", citations.len())}</summary>
                        <pre class="json">{serde_json::to_string_pretty(citations).unwrap_or_default()}</pre></details>
                    })}
                </div>
            }
            .into_any(),
            AssembledBlock::Thinking { thinking, .. } => view! {
                <details class="block thinking" data-block="thinking" open>
                    <summary>{format!("thinking · {} characters", thinking.chars().count())}</summary>
                    <pre class="text">{thinking.clone()}</pre>
                </details>
            }
            .into_any(),
            AssembledBlock::RedactedThinking { data_bytes } => view! {
                <div class="block placeholder" data-block="redacted_thinking">{format!("[redacted thinking, {data_bytes} bytes]")}</div>
            }
            .into_any(),
            AssembledBlock::ToolUse { id, name, server, input, input_json, input_error } => {
                let shown = match input_error {
                    Some(_) => input_json.clone(),
                    None => serde_json::to_string_pretty(input).unwrap_or_default(),
                };
                view! {
                    <div class="block tool-use" data-block="tool_use">
                        <div class="label">{format!("{} {name}", if *server { "server tool" } else { "tool call" })}<span class="id">{id.clone()}</span></div>
                        {input_error.clone().map(|e| view! { <p class="error">{format!("input is not valid JSON: {e}")}</p> })}
                        <pre class="json">{shown}</pre>
                    </div>
                }
                .into_any()
            }
            AssembledBlock::Other { block_type, value } => view! {
                <div class="block other" data-block=block_type.clone()>
                    <div class="label">{block_type.clone()}</div>
                    <pre class="json">{serde_json::to_string_pretty(value).unwrap_or_default()}</pre>
                </div>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <div class="assembled" data-role="response">
            <div class="facts">
                <span>{message.model.clone().unwrap_or_default()}</span>
                <span data-role="stop-reason">{message.stop_reason.clone().map(|s| format!("stop: {s}")).unwrap_or_default()}</span>
                <span>{if message.complete { "complete" } else { "incomplete" }}</span>
            </div>
            {message.error.clone().map(|e| view! { <p class="error" data-role="response-error">{e}</p> })}
            {blocks}
            {usage.map(|u| view! { <details class="usage"><summary>"usage"</summary><pre class="json">{u}</pre></details> })}
        </div>
    }
    .into_any()
}
