//! How the blocks of the tools the API runs itself are drawn (web search and
//! fetch, code execution, tool search, the advisor), and a compaction: each
//! says what a person wants from it first (the query's results, the output,
//! the summary), the ids after.

use leptos::prelude::*;
use shared::anthropic::blocks::{ServerOutcome, ServerTool};

use super::message::{block_view, kb};

/// A server tool's result: what it found, or why it failed.
pub(super) fn server_result_view(
    tool: ServerTool,
    tool_use_id: &str,
    outcome: &ServerOutcome,
) -> AnyView {
    let failed = matches!(outcome, ServerOutcome::Error { .. });
    let label = view! {
        <div class="label">
            {format!("{} {} for ", tool.label(), if failed { "error" } else { "result" })}
            <span class="id">{tool_use_id.to_owned()}</span>
        </div>
    };
    let body = match outcome {
        ServerOutcome::Error { error_code } => {
            view! { <p class="error" data-role="server-error">{format!("failed: {error_code}")}</p> }.into_any()
        }
        ServerOutcome::WebSearch { results } => view! {
            <ol class="search-results" data-role="search-results">
                {results.iter().map(|r| {
                    let age = r.page_age.clone().map(|a| format!(" · {a}")).unwrap_or_default();
                    view! {
                        <li>
                            <a href=r.url.clone() rel="noreferrer noopener" target="_blank">{r.title.clone()}</a>
                            <span class="url">{format!(" {}{age}", r.url)}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {results.is_empty().then(|| view! { <p class="empty">"no results"</p> })}
        }
        .into_any(),
        ServerOutcome::WebFetch { url, retrieved_at, document } => {
            let when = retrieved_at.clone().map(|t| format!(" (retrieved {t})")).unwrap_or_default();
            view! {
                <p class="fetched">{format!("fetched {url}{when}")}</p>
                {block_view(document)}
            }
            .into_any()
        }
        ServerOutcome::CodeExecution { stdout, stderr, return_code, file_ids } => view! {
            <p class="return-code" class:is-error=*return_code != 0>{format!("exit code {return_code}")}</p>
            {(!stdout.is_empty()).then(|| view! { <div class="stream">"stdout"<pre class="text" data-role="stdout">{stdout.clone()}</pre></div> })}
            {(!stderr.is_empty()).then(|| view! { <div class="stream">"stderr"<pre class="text" data-role="stderr">{stderr.clone()}</pre></div> })}
            {(!file_ids.is_empty()).then(|| view! { <p class="files">{format!("files written: {}", file_ids.join(", "))}</p> })}
        }
        .into_any(),
        ServerOutcome::FileView { file_type, content } => view! {
            <p>{format!("viewed a {} file", file_type.clone().unwrap_or_else(|| "text".to_owned()))}</p>
            <pre class="text">{content.clone()}</pre>
        }
        .into_any(),
        ServerOutcome::FileEdit { lines } => view! {
            <p>"replaced text; the lines around the change:"</p>
            <pre class="text">{lines.join("\n")}</pre>
        }
        .into_any(),
        ServerOutcome::ToolSearch { tool_names } => view! {
            <p data-role="tools-found">{if tool_names.is_empty() { "no tools found".to_owned() } else { format!("tools found: {}", tool_names.join(", ")) }}</p>
        }
        .into_any(),
        ServerOutcome::Advisor { text, stop_reason } => view! {
            <pre class="text">{text.clone()}</pre>
            {stop_reason.clone().map(|r| view! { <p class="note">{format!("advisor stop: {r}")}</p> })}
        }
        .into_any(),
        ServerOutcome::AdvisorRedacted { encrypted_bytes, .. } => {
            view! { <p class="placeholder">{format!("[advisor answer sent encrypted, {}]", kb(*encrypted_bytes))}</p> }.into_any()
        }
        ServerOutcome::Unknown { value } => view! {
            <pre class="json" title="A result shape this version does not know, shown as sent">{serde_json::to_string_pretty(value).unwrap_or_default()}</pre>
        }
        .into_any(),
    };
    view! { {label}{body} }.into_any()
}

/// A compaction: the summary that stands in for the turns before it.
pub(super) fn compaction_view(summary: Option<&str>, encrypted_bytes: usize) -> AnyView {
    let opaque = (encrypted_bytes > 0)
        .then(|| view! { <p class="note">{format!("with {} of opaque compaction state", kb(encrypted_bytes))}</p> });
    match summary {
        Some(text) => view! {
            <div class="label">"compaction: earlier turns replaced by this summary"</div>
            <pre class="text" data-role="compaction-summary">{text.to_owned()}</pre>
            {opaque}
        }
        .into_any(),
        None => view! {
            <div class="label">"compaction failed: no summary was produced"</div>
            {opaque}
        }
        .into_any(),
    }
}
