//! The Context diff tab: what changed in the context since the same agent's
//! previous call (messages appended or rewritten, model, parameters, system
//! prompt, tools, cache breakpoints), which is what explains a jump in cost
//! or a cache miss.

use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;
use shared::{context_diff, ContextDiff, Conversation, SystemChange};

use super::cache::{CacheMissNote, CacheNote};
use super::message::{message_view, Listed};
use super::{request_body, FlowDetail};
use crate::format::short;

#[component]
pub(super) fn ChangesView(detail: Arc<FlowDetail>, note: CacheNote) -> impl IntoView {
    let Some(body) = request_body(&detail.events) else {
        return view! { <p class="empty">"This request has no JSON body to compare."</p> }
            .into_any();
    };
    let Some((prev_id, prev_events)) = &detail.previous else {
        return view! {
            <div data-role="diff">
                <p class="empty">"First call of this agent: nothing to compare with."</p>
                <CacheMissNote note=note/>
            </div>
        }
        .into_any();
    };
    let Some(prev_body) = request_body(prev_events) else {
        return view! { <p class="empty">"The previous call has no JSON body."</p> }.into_any();
    };
    let diff = context_diff(prev_body, body);
    // What was appended, shown as the conversation shows it.
    let now = Conversation::from_request_body(body);
    let added = diff
        .messages
        .added
        .iter()
        .filter_map(|&i| {
            now.messages
                .get(i)
                .map(|m| message_view(i, m, Listed::Appended))
        })
        .collect_view();
    view! {
        <div class="diff" data-role="diff">
            <p class="against">{format!("Compared with the previous call of this agent, {}", short(prev_id))}</p>
            <CacheMissNote note=note/>
            <DiffSummary diff=diff/>
            <div class="messages">{added}</div>
        </div>
    }
    .into_any()
}

#[component]
fn DiffSummary(diff: ContextDiff) -> impl IntoView {
    let mut lines: Vec<(&'static str, String)> = Vec::new();
    let m = &diff.messages;
    if m.before != m.after || m.common_prefix != m.before {
        if diff.only_appended() && m.compaction.is_none() {
            lines.push((
                "grow",
                format!(
                    "Messages: {} → {}; {} appended, nothing earlier changed",
                    m.before,
                    m.after,
                    m.added.len()
                ),
            ));
        } else if let Some(summary) = m.compaction {
            lines.push((
                "messages",
                format!(
                    "Messages: {} → {}; earlier turns replaced by a compaction summary (message #{summary}); first {} unchanged, {} added",
                    m.before, m.after, m.common_prefix, m.added.len()
                ),
            ));
        } else {
            lines.push((
                "messages",
                format!(
                    "Messages: {} → {}; first {} unchanged, {} added, {} removed or rewritten{}",
                    m.before,
                    m.after,
                    m.common_prefix,
                    m.added.len(),
                    m.removed.len(),
                    if m.rewritten {
                        " (earlier context rewritten: compaction?)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    if let Some((before, after)) = &diff.model {
        lines.push((
            "model",
            format!(
                "Model: {} → {}",
                before.as_deref().unwrap_or("none"),
                after.as_deref().unwrap_or("none")
            ),
        ));
    }
    for p in &diff.params {
        let show = |v: &Option<Value>| v.as_ref().map_or("unset".to_owned(), Value::to_string);
        lines.push((
            "param",
            format!(
                "Parameter {}: {} → {}",
                p.key,
                show(&p.before),
                show(&p.after)
            ),
        ));
    }
    if let SystemChange::Changed {
        before_len,
        after_len,
        blocks_added,
        blocks_removed,
        first_difference,
    } = &diff.system
    {
        lines.push((
            "system",
            format!(
                "System prompt changed: {before_len} → {after_len} characters, {blocks_added} blocks added, {blocks_removed} removed{}",
                first_difference.map(|at| format!(", first difference at character {at}")).unwrap_or_default()
            ),
        ));
    }
    for (kind, names) in [
        ("tools-added", &diff.tools_added),
        ("tools-removed", &diff.tools_removed),
        ("tools-changed", &diff.tools_changed),
    ] {
        if !names.is_empty() {
            lines.push((
                kind,
                format!("{}: {}", kind.replace('-', " "), names.join(", ")),
            ));
        }
    }
    if diff.cache_marks_moved {
        lines.push((
            "cache",
            "Cache breakpoints moved (cache_control marks).".to_owned(),
        ));
    }
    if diff.is_empty() {
        lines.push(("same", "No change in the context.".to_owned()));
    }
    view! {
        <ul class="diff-lines">
            {lines.into_iter().map(|(kind, text)| view! { <li data-change=kind>{text}</li> }).collect_view()}
        </ul>
    }
}
