//! Why the opened call missed the prompt cache: the analysis of it and the
//! same agent's previous call, from both requests, beside what the API said
//! itself (beta `diagnostics.cache_miss_reason`). Shown under the flow's
//! header and in the Context diff tab.

use leptos::prelude::*;
use shared::cache_miss::{explain, Call};
use shared::FlowSummary;

use super::{request_body, FlowDetail};
use crate::flows::FlowStore;

/// The note's lines: (`kind`, text), ours first, then the API's.
pub(super) type CacheNote = Vec<(&'static str, String)>;

/// The note on `detail`'s flow, read from the store's summaries and the
/// fetched events; empty when the call did not miss and the API said nothing.
pub(super) fn cache_note(detail: &FlowDetail, store: &FlowStore) -> CacheNote {
    let Some(flow) = store.get(&detail.id) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if flow.is_messages_call() {
        let before: Option<(&FlowSummary, Option<&serde_json::Value>)> = detail
            .previous
            .as_ref()
            .and_then(|(id, events)| store.get(id).map(|summary| (summary, request_body(events))));
        let now = Call::of(flow, request_body(&detail.events));
        let before = before.map(|(summary, body)| Call::of(summary, body));
        if let Some(miss) = explain(&now, before.as_ref()) {
            lines.push(("ours", miss.describe()));
        }
    }
    if let Some(api) = &flow.api_cache_miss {
        lines.push(("api", format!("The API says: {}.", api.describe())));
    }
    lines
}

#[component]
pub(super) fn CacheMissNote(note: CacheNote) -> impl IntoView {
    (!note.is_empty()).then(|| {
        let lines = note
            .into_iter()
            .map(|(kind, text)| view! { <p data-source=kind>{text}</p> })
            .collect_view();
        view! { <div class="cache-note" data-role="cache-miss-note">{lines}</div> }
    })
}
