//! Filters by type, Expand All / Collapse All, Auto-scroll and Clear.

use leptos::prelude::*;

use crate::{TimelineUi, EVENT_TYPES};

#[component]
pub fn Toolbar(timeline: TimelineUi, shown: Signal<usize>, total: Signal<usize>) -> impl IntoView {
    let filters = EVENT_TYPES
        .iter()
        .enumerate()
        .map(|(i, (type_name, badge))| {
            let pressed = move || timeline.types.with(|f| f[i]);
            view! {
                <button
                    class=format!("filter t-{type_name}")
                    aria-pressed=move || pressed().to_string()
                    title=format!("Show {type_name} events")
                    on:click=move |_| timeline.types.update(|f| f[i] = !f[i])
                >
                    {*badge}
                </button>
            }
        })
        .collect_view();
    let on_autoscroll = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        timeline.autoscroll.set(on);
        if on {
            timeline.scroll_to_end();
        }
    };
    view! {
        <nav class="toolbar" aria-label="Timeline controls">
            <div class="group" role="group" aria-label="Filter by type">
                <span class="label">"Show"</span>
                {filters}
            </div>
            <span class="counts" data-role="counts">
                {move || {
                    let (shown, total) = (shown.get(), total.get());
                    if shown == total { format!("{total} events") } else { format!("{shown} of {total} events") }
                }}
            </span>
            <div class="spacer"></div>
            <div class="group">
                <button on:click=move |_| timeline.expansion.update(|x| x.set_all(true))>"Expand All"</button>
                <button on:click=move |_| timeline.expansion.update(|x| x.set_all(false))>"Collapse All"</button>
                <label class="toggle">
                    <input type="checkbox" prop:checked=move || timeline.autoscroll.get() on:change=on_autoscroll/>
                    "Auto-scroll"
                </label>
                <button
                    title="Empty the display (the log file keeps everything)"
                    on:click=move |_| {
                        timeline.events.update(|t| t.clear());
                        timeline.expansion.update(|x| x.set_all(false));
                    }
                >
                    "Clear"
                </button>
            </div>
        </nav>
    }
}
