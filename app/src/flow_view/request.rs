//! The Request tab: the request body read as a conversation (system prompt,
//! tools, parameters, then the messages in order), because that is how the
//! model sees it, not as one JSON document to scroll through.

use std::sync::Arc;

use leptos::prelude::*;
use shared::{Block, Conversation};

use super::message::{block_view, message_view, Listed};
use super::{request_body, FlowDetail};

#[component]
pub(super) fn RequestView(detail: Arc<FlowDetail>) -> impl IntoView {
    let Some(body) = request_body(&detail.events) else {
        return view! { <p class="empty">"This request has no JSON body."</p> }.into_any();
    };
    let c = Conversation::from_request_body(body);
    let params = serde_json::to_string_pretty(&c.params).unwrap_or_default();
    let system_len: usize = c.system.iter().map(block_len).sum();
    let tools = c
        .tools
        .iter()
        .map(|t| {
            let schema = t
                .schema
                .as_ref()
                .map(|s| serde_json::to_string_pretty(s).unwrap_or_default())
                .unwrap_or_default();
            view! {
                <details class="tool" data-role="tool">
                    <summary>
                        <span class="name">{t.name.clone()}</span>
                        {t.kind.clone().map(|k| view! { <span class="kind">{k}</span> })}
                        {t.cached.then(|| view! { <span class="cache-mark">"cache"</span> })}
                        {t.deferred.then(|| view! { <span class="deferred" data-role="deferred" title="defer_loading: kept out of the model's context until loaded">"deferred"</span> })}
                    </summary>
                    {t.description.clone().map(|d| view! { <pre class="text">{d}</pre> })}
                    <pre class="json">{schema}</pre>
                </details>
            }
        })
        .collect_view();
    let settings = c.settings().describe();
    let deferred = c.tools.iter().filter(|t| t.deferred).count();
    let tools_title = match deferred {
        0 => format!("Tools · {}", c.tools.len()),
        n => format!("Tools · {} ({n} deferred)", c.tools.len()),
    };
    let messages = c
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| message_view(i, m, Listed::InRequest))
        .collect_view();
    view! {
        <div class="conversation">
            <details class="system" data-role="system">
                <summary>{format!("System prompt · {} blocks · {} characters", c.system.len(), system_len)}</summary>
                {c.system.iter().map(block_view).collect_view()}
            </details>
            <details class="tools">
                <summary>{tools_title}</summary>
                {tools}
            </details>
            {(!settings.is_empty()).then(|| view! {
                <ul class="settings" data-role="settings">
                    {settings.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
            })}
            <details class="params">
                <summary>"Parameters"</summary>
                <pre class="json">{params}</pre>
            </details>
            <div class="messages">{messages}</div>
        </div>
    }
    .into_any()
}

fn block_len(block: &Block) -> usize {
    match block {
        Block::Text { text, .. } => text.chars().count(),
        _ => 0,
    }
}
