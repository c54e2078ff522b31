//! How the request's messages and content blocks are drawn. The Request tab
//! and the context diff show the same messages, so they draw them the same way.

use leptos::prelude::*;
use shared::{Block, Message};

use super::server_blocks::{compaction_view, server_result_view};

/// Where a message is shown: in its request, or among those the context diff
/// found appended since the previous call (the browser tests tell them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listed {
    InRequest,
    Appended,
}

/// The message at `index` of its request, with its role and every block.
pub(super) fn message_view(index: usize, message: &Message, listed: Listed) -> AnyView {
    let (data_role, mark) = match listed {
        Listed::InRequest => ("message", ""),
        Listed::Appended => ("added-message", "+ "),
    };
    // A system message among the turns is an instruction sent mid-conversation
    // (Claude Code's tool changes and system updates), not the system prompt.
    let role = match message.role.as_str() {
        "system" => "system (mid-conversation)".to_owned(),
        role => role.to_owned(),
    };
    view! {
        <div class=format!("message role-{}", message.role) data-role=data_role data-index=index>
            <div class="role">{format!("{mark}#{index} {role}")}</div>
            {message.extra.iter().map(|(key, value)| view! {
                <div class="turn-setting" data-role="turn-setting">
                    <span class="label">{key.clone()}</span>
                    <code>{value.to_string()}</code>
                </div>
            }).collect_view()}
            {message.blocks.iter().map(block_view).collect_view()}
        </div>
    }
    .into_any()
}

/// One content block of a request: text, thinking, a tool call or result,
/// or a placeholder for what is too large to show (images, documents).
pub(super) fn block_view(block: &Block) -> AnyView {
    let cache = block
        .cached()
        .then(|| view! { <span class="cache-mark" title="cache_control: a cache breakpoint">"cache"</span> });
    match block {
        Block::Text { text, citations, .. } => view! {
            <div class="block text" data-block="text">
                {cache}
                <pre class="text">{text.clone()}</pre>
                {(!citations.is_empty()).then(|| view! {
                    <details><summary>{format!("{} citations", citations.len())}</summary>
                    <pre class="json">{serde_json::to_string_pretty(citations).unwrap_or_default()}</pre></details>
                })}
            </div>
        }
        .into_any(),
        Block::Thinking { estimated_tokens, .. } if block.thinking_omitted() => {
            let size = estimated_tokens.map(|n| format!(" (~{n} tokens)")).unwrap_or_default();
            view! {
                <div class="block placeholder thinking omitted" data-block="thinking" data-omitted="true"
                    title="The API sent only the signature (display: omitted); the thinking itself was not sent">
                    {format!("thinking omitted{size}")}
                </div>
            }
            .into_any()
        }
        Block::Thinking { thinking, .. } => view! {
            <details class="block thinking" data-block="thinking">
                <summary>{format!("thinking · {} characters", thinking.chars().count())}</summary>
                <pre class="text">{thinking.clone()}</pre>
            </details>
        }
        .into_any(),
        Block::RedactedThinking { bytes } => {
            view! { <div class="block placeholder" data-block="redacted_thinking">{format!("[redacted thinking, {bytes} bytes]")}</div> }.into_any()
        }
        Block::ToolUse { id, name, input, server, .. } => view! {
            <div class="block tool-use" data-block="tool_use">
                {cache}
                <div class="label">{format!("{} {name}", if *server { "server tool" } else { "tool call" })}<span class="id">{id.clone()}</span></div>
                <pre class="json">{serde_json::to_string_pretty(input).unwrap_or_default()}</pre>
            </div>
        }
        .into_any(),
        Block::McpToolUse { id, name, server_name, input, .. } => view! {
            <div class="block tool-use mcp" data-block="mcp_tool_use">
                {cache}
                <div class="label">{format!("MCP tool {name} on server {server_name}")}<span class="id">{id.clone()}</span></div>
                <pre class="json">{serde_json::to_string_pretty(input).unwrap_or_default()}</pre>
            </div>
        }
        .into_any(),
        Block::McpToolResult { tool_use_id, content, is_error, .. } => view! {
            <div class="block tool-result mcp" class:is-error=*is_error data-block="mcp_tool_result">
                {cache}
                <div class="label">{if *is_error { "MCP tool error for " } else { "MCP tool result for " }}<span class="id">{tool_use_id.clone()}</span></div>
                {content.iter().map(block_view).collect_view()}
            </div>
        }
        .into_any(),
        Block::ServerToolResult { tool_use_id, tool, outcome, .. } => {
            view! { <div class="block server-result" data-block=tool.block_type()>{cache}{server_result_view(*tool, tool_use_id, outcome)}</div> }.into_any()
        }
        Block::ToolReference { tool_name, .. } => {
            view! { <div class="block placeholder" data-block="tool_reference">{cache}{format!("tool loaded: {tool_name}")}</div> }.into_any()
        }
        Block::ContainerUpload { file_id, .. } => {
            view! { <div class="block placeholder" data-block="container_upload">{cache}{format!("file uploaded to the container: {file_id}")}</div> }.into_any()
        }
        Block::Fallback { from, to } => {
            let name = |m: &Option<String>| m.clone().unwrap_or_else(|| "an unnamed model".to_owned());
            view! {
                <div class="block placeholder fallback" data-block="fallback">
                    {format!("model hand-off: {} declined, {} continues", name(from), name(to))}
                </div>
            }
            .into_any()
        }
        Block::Compaction { content, encrypted_bytes, .. } => {
            view! { <div class="block compaction" data-block="compaction">{cache}{compaction_view(content.as_deref(), *encrypted_bytes)}</div> }.into_any()
        }
        Block::ToolResult { tool_use_id, content, is_error, .. } => view! {
            <div class="block tool-result" class:is-error=*is_error data-block="tool_result">
                {cache}
                <div class="label">{if *is_error { "tool error for " } else { "tool result for " }}<span class="id">{tool_use_id.clone()}</span></div>
                {content.iter().map(block_view).collect_view()}
            </div>
        }
        .into_any(),
        Block::Image { media_type, bytes, url, .. } => {
            let what = media_type.clone().unwrap_or_else(|| "image".to_owned());
            let size = bytes.map(|b| format!(", {}", kb(b))).unwrap_or_default();
            let from = url.clone().map(|u| format!(" from {u}")).unwrap_or_default();
            view! { <div class="block placeholder" data-block="image">{cache}{format!("[image {what}{size}{from}]")}</div> }.into_any()
        }
        Block::Document { media_type, bytes, title, .. } => {
            let what = title.clone().or_else(|| media_type.clone()).unwrap_or_else(|| "document".to_owned());
            let size = bytes.map(|b| format!(", {}", kb(b))).unwrap_or_default();
            view! { <div class="block placeholder" data-block="document">{cache}{format!("[document {what}{size}]")}</div> }.into_any()
        }
        Block::Other { block_type, value } => view! {
            <div class="block other" data-block=block_type.clone()>
                {cache}
                <div class="label" title="A block kind this version does not know, shown as sent">{format!("{block_type} (as sent)")}</div>
                <pre class="json">{serde_json::to_string_pretty(value).unwrap_or_default()}</pre>
            </div>
        }
        .into_any(),
    }
}

pub(super) fn kb(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    }
}
