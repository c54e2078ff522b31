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
use shared::api::{ServerInfo, SessionEntry};

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

/// The timeline: the events held, which are shown, and how.
#[derive(Clone, Copy)]
pub struct TimelineUi {
    pub events: RwSignal<Timeline>,
    /// Which event types are shown, in [`EVENT_TYPES`] order.
    pub types: RwSignal<[bool; EVENT_TYPES.len()]>,
    pub expansion: RwSignal<Expansion>,
    pub autoscroll: RwSignal<bool>,
    pub scroller: NodeRef<leptos::html::Main>,
    /// The timeline's scroll position and height, in CSS pixels.
    pub viewport: RwSignal<(f64, f64)>,
    /// Heights of open cards as rendered, by entry key.
    pub measured: RwSignal<HashMap<usize, f64>>,
}

/// Which session the page shows, and where it comes from.
#[derive(Clone, Copy)]
pub struct SourceUi {
    pub connection: RwSignal<Connection>,
    /// What the server said about itself: the log it writes, its proxy.
    pub server: RwSignal<Option<ServerInfo>>,
    /// The session shown, as named in the page's `?session=` (None: the
    /// server's default, the live one when it records).
    pub viewing: RwSignal<Option<String>>,
    pub sessions: RwSignal<Vec<SessionEntry>>,
    /// The page is a report file: its data is embedded, nothing is served.
    pub report: RwSignal<bool>,
}

/// The flow list: the flows, and how they are filtered, sorted and searched.
#[derive(Clone, Copy)]
pub struct FlowsUi {
    pub store: RwSignal<FlowStore>,
    pub filter: RwSignal<FlowFilter>,
    pub sort: RwSignal<Sort>,
    pub search: RwSignal<String>,
    /// Flows whose events contain the search text, once the server answered.
    pub matches: RwSignal<Option<BTreeSet<String>>>,
    pub only_matches: RwSignal<bool>,
}

/// The flow opened in the lower half, and which half is shown there.
#[derive(Clone, Copy)]
pub struct OpenUi {
    pub selected: RwSignal<Option<String>>,
    pub detail: RwSignal<Option<Arc<flow_view::FlowDetail>>>,
    pub detail_error: RwSignal<Option<String>>,
    pub pane: RwSignal<Pane>,
}

/// The page's state, in groups: a component takes the groups it reads.
#[derive(Clone, Copy)]
pub struct Ui {
    pub timeline: TimelineUi,
    pub source: SourceUi,
    pub flows: FlowsUi,
    pub open: OpenUi,
}

impl Ui {
    fn new() -> Ui {
        Ui {
            timeline: TimelineUi {
                events: RwSignal::new(Timeline::new()),
                types: RwSignal::new([true; EVENT_TYPES.len()]),
                expansion: RwSignal::new(Expansion::default()),
                autoscroll: RwSignal::new(true),
                scroller: NodeRef::new(),
                viewport: RwSignal::new((0.0, 800.0)),
                measured: RwSignal::new(HashMap::new()),
            },
            source: SourceUi {
                connection: RwSignal::new(Connection::Connecting),
                server: RwSignal::new(None),
                viewing: RwSignal::new(None),
                sessions: RwSignal::new(Vec::new()),
                report: RwSignal::new(false),
            },
            flows: FlowsUi {
                store: RwSignal::new(FlowStore::default()),
                filter: RwSignal::new(FlowFilter::default()),
                sort: RwSignal::new(Sort::default()),
                search: RwSignal::new(String::new()),
                matches: RwSignal::new(None),
                only_matches: RwSignal::new(false),
            },
            open: OpenUi {
                selected: RwSignal::new(None),
                detail: RwSignal::new(None),
                detail_error: RwSignal::new(None),
                pane: RwSignal::new(Pane::Timeline),
            },
        }
    }
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

impl TimelineUi {
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
    let ui = Ui::new();
    live::start(ui);
    flow_view::load_selected(ui.open, ui.flows, ui.source);
    sessions::search(ui.flows, ui.source);
    #[cfg(feature = "hydrate")]
    {
        // The first layout, and again whenever the window is resized.
        Effect::new(move |_| ui.timeline.read_viewport());
        let resize =
            window_event_listener(leptos::ev::resize, move |_| ui.timeline.read_viewport());
        on_cleanup(move || resize.remove());
    }

    let shown = Memo::new(move |_| {
        let filters = ui.timeline.types.get();
        ui.timeline.events.with(|t| {
            t.shown()
                .iter()
                .filter(|e| filters[type_index(e.event.kind.type_name())])
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let total = Memo::new(move |_| ui.timeline.events.with(|t| t.shown().len()));
    let window = Memo::new(move |_| {
        let (top, height) = ui.timeline.viewport.get();
        shown.with(|rows| {
            ui.timeline.expansion.with(|x| {
                ui.timeline
                    .measured
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
    let on_scroll = move |_| ui.timeline.read_viewport();

    let pane_tab = move |pane: Pane, name: &'static str| {
        view! {
            <button
                role="tab"
                data-pane=name
                aria-selected=move || (ui.open.pane.get() == pane).to_string()
                on:click=move |_| {
                    ui.open.pane.set(pane);
                    if pane == Pane::Timeline {
                        ui.timeline.read_viewport();
                    }
                }
            >
                {move || match pane {
                    Pane::Timeline => format!("Timeline · {} events", total.get()),
                    Pane::Flow => match ui.open.selected.get() {
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
                <sessions::SessionPicker source=ui.source/>
                <div class="session">
                    {move || ui.source.server.with(|s| {
                        s.as_ref().and_then(ServerInfo::recording).map(|r| r.log_file.clone()).unwrap_or_default()
                    })}
                </div>
                <div class="spacer"></div>
                <sessions::Downloads source=ui.source/>
                <ConnectionStatus connection=ui.source.connection/>
            </header>
            <log_health::LogHealthBanner/>
            <section class="flows-pane" aria-label="Flows">
                <totals::TotalsBar flows=ui.flows/>
                <flow_list::FlowFilters flows=ui.flows/>
                <flow_list::FlowList flows=ui.flows open=ui.open/>
            </section>
            <nav class="pane-tabs" role="tablist">
                // A report carries flows, not a timeline.
                <Show when=move || !ui.source.report.get()>{pane_tab(Pane::Timeline, "timeline")}</Show>
                {pane_tab(Pane::Flow, "flow")}
            </nav>
            <section class="lower" class:hidden=move || ui.open.pane.get() != Pane::Timeline aria-label="Timeline pane">
                <toolbar::Toolbar timeline=ui.timeline shown=Signal::derive(move || shown.with(Vec::len)) total=total.into()/>
                <main class="timeline" node_ref=ui.timeline.scroller aria-label="Timeline" on:scroll=on_scroll>
                    <Show when=move || total.get() == 0>
                        <Waiting ui=ui/>
                    </Show>
                    <div class="space" node_ref=before></div>
                    <For each=rendered key=|entry| entry.key let:entry>
                        <card::Card entry=entry timeline=ui.timeline/>
                    </For>
                    <div class="space" node_ref=after></div>
                </main>
            </section>
            <section class="lower" class:hidden=move || ui.open.pane.get() != Pane::Flow aria-label="Flow pane">
                <flow_view::FlowView open=ui.open flows=ui.flows source=ui.source/>
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
        let port = ui
            .source
            .server
            .with(|s| s.as_ref().and_then(ServerInfo::proxy_port));
        match port {
            Some(8000) | None => "trace_claude_run claude -p \"hello\"".to_owned(),
            Some(port) => format!("TRACE_CLAUDE_PORT={port} trace_claude_run claude -p \"hello\""),
        }
    };
    let saved = move || ui.source.connection.get() == Connection::Saved;
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
