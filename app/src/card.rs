//! One event on the timeline: a one-line head, and its JSON when opened.

use std::sync::Arc;

use leptos::prelude::*;

use crate::format::clock;
use crate::summary::short_flow_id;
use crate::timeline::Entry;
use crate::TimelineUi;

#[component]
pub fn Card(entry: Arc<Entry>, timeline: TimelineUi) -> impl IntoView {
    let key = entry.key;
    let expansion = timeline.expansion;
    let expanded = Memo::new(move |_| expansion.with(|x| x.is_expanded(key)));
    let node = NodeRef::<leptos::html::Article>::new();
    measure_when_open(key, expanded, node, timeline);
    let type_name = entry.event.kind.type_name();
    let flow_id = entry.event.flow_id().as_str().to_owned();
    let short = short_flow_id(&flow_id).to_owned();
    let flow_title = format!("flow {flow_id}");
    // Pretty JSON only when opened: most cards are never opened.
    let json = {
        let entry = Arc::clone(&entry);
        move || serde_json::to_string_pretty(&entry.event).unwrap_or_default()
    };
    view! {
        <article
            node_ref=node
            class=format!("card t-{type_name} flow-c{}", entry.colour)
            class:expanded=move || expanded.get()
            data-type=type_name
            data-flow-id=flow_id.clone()
            data-seq=entry.seq
        >
            <button
                class="card-head"
                aria-expanded=move || expanded.get().to_string()
                on:click=move |_| expansion.update(|x| x.toggle(key))
            >
                <span class="time">{clock(&entry.event.ts)}</span>
                <span class=format!("badge t-{type_name}")>{entry.badge}</span>
                <span class=format!("flow flow-c{}", entry.colour) title=flow_title>{short}</span>
                <span class="summary">{entry.summary.clone()}</span>
            </button>
            <Show when=move || expanded.get()>
                <pre class="json">{json.clone()}</pre>
            </Show>
        </article>
    }
}

/// Records an open card's rendered height, so that the timeline can place
/// the cards after it without rendering everything before.
fn measure_when_open(
    key: usize,
    expanded: Memo<bool>,
    node: NodeRef<leptos::html::Article>,
    timeline: TimelineUi,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if !expanded.get() {
            return;
        }
        request_animation_frame(move || {
            // By the next frame the card may be gone: scrolled out of the
            // window, or Expand All made the window shorter. Its node ref
            // is then disposed, and reading it would panic the whole app.
            let Some(el) = node.try_get_untracked().flatten() else {
                return;
            };
            let height = f64::from(el.offset_height());
            let known = timeline.measured.with_untracked(|m| m.get(&key).copied());
            if height > 0.0 && known.is_none_or(|h| (h - height).abs() > 0.5) {
                timeline.measured.update(|m| {
                    m.insert(key, height);
                });
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, expanded, node, timeline);
}
