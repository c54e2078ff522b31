//! The trace_claude web UI.
//!
//! The server renders the page shell ([`shell`], feature `ssr`); the browser
//! hydrates [`App`] (feature `hydrate`), which follows the event API's live
//! stream and shows every event as a card on a timeline.

pub mod summary;
pub mod timeline;

mod card;
mod live;
#[cfg(feature = "ssr")]
mod shell;
mod toolbar;

use std::collections::HashSet;

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use shell::shell;
use timeline::Timeline;

/// The state of the page's connection to the event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// The stream dropped (the proxy stopped or restarted); the browser retries.
    Reconnecting,
}

/// The event types in filter order: (`type` in the log, badge and filter name).
pub const EVENT_TYPES: [(&str, &str); 6] = [
    ("request", "REQ"),
    ("response_headers", "HDR"),
    ("sse", "SSE"),
    ("response", "RES"),
    ("stream_end", "END"),
    ("error", "ERR"),
];

fn type_index(type_name: &str) -> usize {
    EVENT_TYPES
        .iter()
        .position(|(t, _)| *t == type_name)
        .unwrap_or(EVENT_TYPES.len() - 1)
}

/// Which cards are open: all of them or none, except those flipped by a click.
/// Expand All and Collapse All are then one assignment, not one per card.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expansion {
    all: bool,
    flipped: HashSet<usize>,
}

impl Expansion {
    pub fn is_expanded(&self, key: usize) -> bool {
        self.all != self.flipped.contains(&key)
    }

    pub fn toggle(&mut self, key: usize) {
        if !self.flipped.remove(&key) {
            self.flipped.insert(key);
        }
    }

    pub fn set_all(&mut self, expanded: bool) {
        self.all = expanded;
        self.flipped.clear();
    }
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct Ui {
    pub timeline: RwSignal<Timeline>,
    pub filters: RwSignal<[bool; EVENT_TYPES.len()]>,
    pub expansion: RwSignal<Expansion>,
    pub autoscroll: RwSignal<bool>,
    pub connection: RwSignal<Connection>,
    /// What the server said about its session: log file, proxy address.
    pub session: RwSignal<Option<serde_json::Value>>,
    pub scroller: NodeRef<leptos::html::Main>,
}

impl Ui {
    /// Scrolls the timeline to its end after the browser has laid out the
    /// newest cards.
    pub fn scroll_to_end(self) {
        #[cfg(feature = "hydrate")]
        request_animation_frame(move || {
            if let Some(el) = self.scroller.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
}

#[component]
pub fn App() -> impl IntoView {
    let ui = Ui {
        timeline: RwSignal::new(Timeline::new()),
        filters: RwSignal::new([true; EVENT_TYPES.len()]),
        expansion: RwSignal::new(Expansion::default()),
        autoscroll: RwSignal::new(true),
        connection: RwSignal::new(Connection::Connecting),
        session: RwSignal::new(None),
        scroller: NodeRef::new(),
    };
    live::follow(ui);

    let shown = Memo::new(move |_| {
        let filters = ui.filters.get();
        ui.timeline.with(|t| {
            t.shown()
                .iter()
                .filter(|e| filters[type_index(e.event.kind.type_name())])
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let total = Memo::new(move |_| ui.timeline.with(|t| t.shown().len()));

    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">"trace"<span>"_"</span>"claude"</div>
                <div class="session">
                    {move || ui.session.with(|s| {
                        s.as_ref().and_then(|s| s["log_file"].as_str().map(str::to_owned)).unwrap_or_default()
                    })}
                </div>
                <div class="spacer"></div>
                <ConnectionStatus connection=ui.connection/>
            </header>
            <toolbar::Toolbar ui=ui shown=Signal::derive(move || shown.with(Vec::len)) total=total.into()/>
            <main class="timeline" node_ref=ui.scroller aria-label="Timeline">
                <Show when=move || total.get() == 0>
                    <Waiting ui=ui/>
                </Show>
                <For each=move || shown.get() key=|entry| entry.key let:entry>
                    <card::Card entry=entry expansion=ui.expansion/>
                </For>
            </main>
        </div>
    }
}

#[component]
fn ConnectionStatus(connection: RwSignal<Connection>) -> impl IntoView {
    let class = move || match connection.get() {
        Connection::Connecting => "status",
        Connection::Live => "status live",
        Connection::Reconnecting => "status reconnecting",
    };
    let text = move || match connection.get() {
        Connection::Connecting => "connecting…",
        Connection::Live => "live",
        Connection::Reconnecting => "connection lost, reconnecting…",
    };
    view! { <div class=class role="status" data-connection=move || format!("{:?}", connection.get()).to_lowercase()>{text}</div> }
}

#[component]
fn Waiting(ui: Ui) -> impl IntoView {
    let command = move || {
        let port = ui.session.with(|s| {
            s.as_ref()
                .and_then(|s| s["proxy_url"].as_str())
                .and_then(|url| url.rsplit(':').next())
                .map(str::to_owned)
        });
        match port.as_deref() {
            Some("8000") | None => "trace_claude_run claude -p \"hello\"".to_owned(),
            Some(port) => format!("TRACE_CLAUDE_PORT={port} trace_claude_run claude -p \"hello\""),
        }
    };
    view! {
        <div class="empty">
            <p>"No events yet. Run Claude Code through the proxy:"</p>
            <p><code>{command}</code></p>
        </div>
    }
}
