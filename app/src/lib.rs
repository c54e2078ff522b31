//! The trace_claude web UI.
//!
//! The server renders the page shell ([`shell`], feature `ssr`); the browser
//! hydrates [`App`] (feature `hydrate`), which follows the event API's live
//! stream and shows every event as a card on a timeline.

pub mod flows;
pub mod format;
pub mod summary;
pub mod timeline;

mod card;
mod curl;
mod fetch;
mod flow_list;
mod flow_view;
mod live;
mod log_health;
mod report;
mod sessions;
#[cfg(feature = "ssr")]
mod shell;
mod toolbar;
mod totals;
pub mod window;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;

use flows::{FlowFilter, FlowStore, Sort};

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
    /// A saved session is shown: nothing live to follow.
    Saved,
}

/// What the lower half of the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Timeline,
    Flow,
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
    /// The timeline's scroll position and height, in CSS pixels.
    pub viewport: RwSignal<(f64, f64)>,
    /// Heights of open cards as rendered, by entry key.
    pub measured: RwSignal<HashMap<usize, f64>>,
    /// The session shown, as named in the page's `?session=` (None: the
    /// server's default, the live one when it records).
    pub viewing: RwSignal<Option<String>>,
    pub sessions: RwSignal<Vec<sessions::SessionEntry>>,
    pub flows: RwSignal<FlowStore>,
    pub filter: RwSignal<FlowFilter>,
    pub sort: RwSignal<Sort>,
    pub search: RwSignal<String>,
    /// Flows whose events contain the search text, once the server answered.
    pub matches: RwSignal<Option<BTreeSet<String>>>,
    pub only_matches: RwSignal<bool>,
    pub selected: RwSignal<Option<String>>,
    pub detail: RwSignal<Option<Arc<flow_view::FlowDetail>>>,
    pub detail_error: RwSignal<Option<String>>,
    pub pane: RwSignal<Pane>,
    /// The page is a report file: its data is embedded, nothing is served.
    pub report: RwSignal<bool>,
}

/// Sizes the spacers that stand in for the cards not rendered. Set through
/// the CSSOM: the CSP forbids style attributes, not style properties.
fn spacers(
    window: Memo<window::Window>,
    before: NodeRef<leptos::html::Div>,
    after: NodeRef<leptos::html::Div>,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let w = window.get();
        for (node, height) in [(before, w.space_before), (after, w.space_after)] {
            if let Some(el) = node.get() {
                let html: &web_sys::HtmlElement = &el;
                let _ = html.style().set_property("height", &format!("{height}px"));
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (window, before, after);
}

impl Ui {
    /// Takes the timeline's scroll position and size from the page.
    pub fn read_viewport(self) {
        if let Some(el) = self.scroller.get_untracked() {
            let now = (f64::from(el.scroll_top()), f64::from(el.client_height()));
            if self.viewport.get_untracked() != now {
                self.viewport.set(now);
            }
        }
    }

    /// Scrolls the timeline to its end after the browser has laid out the
    /// newest cards.
    pub fn scroll_to_end(self) {
        #[cfg(feature = "hydrate")]
        request_animation_frame(move || {
            if let Some(el) = self.scroller.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
            self.read_viewport();
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
        viewport: RwSignal::new((0.0, 800.0)),
        measured: RwSignal::new(HashMap::new()),
        viewing: RwSignal::new(None),
        sessions: RwSignal::new(Vec::new()),
        flows: RwSignal::new(FlowStore::default()),
        filter: RwSignal::new(FlowFilter::default()),
        sort: RwSignal::new(Sort::default()),
        search: RwSignal::new(String::new()),
        matches: RwSignal::new(None),
        only_matches: RwSignal::new(false),
        selected: RwSignal::new(None),
        detail: RwSignal::new(None),
        detail_error: RwSignal::new(None),
        pane: RwSignal::new(Pane::Timeline),
        report: RwSignal::new(false),
    };
    live::start(ui);
    flow_view::load_selected(ui);
    sessions::search(ui);
    #[cfg(feature = "hydrate")]
    {
        // The first layout, and again whenever the window is resized.
        Effect::new(move |_| ui.read_viewport());
        let resize = window_event_listener(leptos::ev::resize, move |_| ui.read_viewport());
        on_cleanup(move || resize.remove());
    }

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
    let window = Memo::new(move |_| {
        let (top, height) = ui.viewport.get();
        shown.with(|rows| {
            ui.expansion.with(|x| {
                ui.measured
                    .with(|m| window::layout(rows, x, m, top, height))
            })
        })
    });
    let rendered = move || {
        let w = window.get();
        shown.with(|rows| rows[w.first..w.end].to_vec())
    };
    let before = NodeRef::<leptos::html::Div>::new();
    let after = NodeRef::<leptos::html::Div>::new();
    spacers(window, before, after);
    let on_scroll = move |_| ui.read_viewport();

    let pane_tab = move |pane: Pane, name: &'static str| {
        view! {
            <button
                role="tab"
                data-pane=name
                aria-selected=move || (ui.pane.get() == pane).to_string()
                on:click=move |_| {
                    ui.pane.set(pane);
                    if pane == Pane::Timeline {
                        ui.read_viewport();
                    }
                }
            >
                {move || match pane {
                    Pane::Timeline => format!("Timeline · {} events", total.get()),
                    Pane::Flow => match ui.selected.get() {
                        Some(id) => format!("Flow {}", format::short(&id)),
                        None => "Flow".to_owned(),
                    },
                }}
            </button>
        }
    };

    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">"trace"<span>"_"</span>"claude"</div>
                <sessions::SessionPicker ui=ui/>
                <div class="session">
                    {move || ui.session.with(|s| {
                        s.as_ref().and_then(|s| s["log_file"].as_str().map(str::to_owned)).unwrap_or_default()
                    })}
                </div>
                <div class="spacer"></div>
                <sessions::Downloads ui=ui/>
                <ConnectionStatus connection=ui.connection/>
            </header>
            <log_health::LogHealthBanner/>
            <section class="flows-pane" aria-label="Flows">
                <totals::TotalsBar ui=ui/>
                <flow_list::FlowFilters ui=ui/>
                <flow_list::FlowList ui=ui/>
            </section>
            <nav class="pane-tabs" role="tablist">
                // A report carries flows, not a timeline.
                <Show when=move || !ui.report.get()>{pane_tab(Pane::Timeline, "timeline")}</Show>
                {pane_tab(Pane::Flow, "flow")}
            </nav>
            <section class="lower" class:hidden=move || ui.pane.get() != Pane::Timeline aria-label="Timeline pane">
                <toolbar::Toolbar ui=ui shown=Signal::derive(move || shown.with(Vec::len)) total=total.into()/>
                <main class="timeline" node_ref=ui.scroller aria-label="Timeline" on:scroll=on_scroll>
                    <Show when=move || total.get() == 0>
                        <Waiting ui=ui/>
                    </Show>
                    <div class="space" node_ref=before></div>
                    <For each=rendered key=|entry| entry.key let:entry>
                        <card::Card entry=entry ui=ui/>
                    </For>
                    <div class="space" node_ref=after></div>
                </main>
            </section>
            <section class="lower" class:hidden=move || ui.pane.get() != Pane::Flow aria-label="Flow pane">
                <flow_view::FlowView ui=ui/>
            </section>
        </div>
    }
}

#[component]
fn ConnectionStatus(connection: RwSignal<Connection>) -> impl IntoView {
    let class = move || match connection.get() {
        Connection::Connecting => "status",
        Connection::Live => "status live",
        Connection::Reconnecting => "status reconnecting",
        Connection::Saved => "status saved",
    };
    let text = move || match connection.get() {
        Connection::Connecting => "connecting…",
        Connection::Live => "live",
        Connection::Reconnecting => "connection lost, reconnecting…",
        Connection::Saved => "saved session",
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
    let saved = move || ui.connection.get() == Connection::Saved;
    view! {
        <div class="empty">
            <Show
                when=saved
                fallback=move || view! {
                    <p>"No events yet. Run Claude Code through the proxy:"</p>
                    <p><code>{command}</code></p>
                }
            >
                <p>"Loading this session's events…"</p>
            </Show>
        </div>
    }
}
