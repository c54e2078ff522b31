//! The flow list: one row per exchange, grouped by Claude Code session and
//! agent, sortable by any column, narrowed by search and filters.

use leptos::prelude::*;
use shared::{CacheMiss, Category, FlowState, FlowSummary, MissReason};

use crate::flows::{
    distinct, grouped, via, AgentChoice, Column, FlowFilter, Group, Sort, StatusFilter,
};
use crate::format::{cost, millis, rate, short, tokens};
use crate::{FlowsUi, OpenUi, Pane};

const COLUMNS: [(Column, &str, &str); 18] = [
    (Column::Start, "start", "Start"),
    (Column::Method, "method", "Method"),
    (Column::Host, "host", "Host"),
    (Column::Kind, "kind", "Kind"),
    (Column::Via, "via", "Via"),
    (Column::Path, "path", "Path"),
    (Column::Model, "model", "Model"),
    (Column::Status, "status", "Status"),
    (Column::Duration, "duration", "Duration"),
    (Column::Ttfb, "ttfb", "TTFB"),
    (Column::Ttft, "ttft", "TTFT"),
    (Column::TokensPerSec, "tps", "Tok/s"),
    (Column::Input, "input", "In"),
    (Column::Output, "output", "Out"),
    (Column::CacheRead, "cache-read", "Cache R"),
    (Column::CacheWrite, "cache-write", "Cache W"),
    (Column::Cost, "cost", "Cost"),
    (Column::Stop, "stop", "Stop"),
];

/// One row as displayed. `version` changes whenever the flow does, so the
/// row is rebuilt only then.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: String,
    /// Events seen and state: together they change whenever the flow does.
    /// Its cache-miss mark counts too: it changes with the previous turn.
    version: (u32, &'static str, bool),
    cells: Vec<String>,
    /// The cost cell's title: how the cost was made, or why it is unknown.
    cost_title: Option<String>,
    /// The cache-miss mark: its label and what it says on hover.
    cache_miss: Option<(&'static str, String)>,
    state: FlowState,
    streaming: Option<bool>,
    error: Option<String>,
}

fn row(flows: FlowsUi, flow: &FlowSummary, cache_miss: Option<CacheMiss>) -> Row {
    let price = flows.store.with_untracked(|s| s.cost(flow));
    let usage = flow.usage.as_ref();
    // The cell's title says how the cost was made, or why there is none.
    let (price_text, cost_title) = match price {
        Some(Ok(c)) => (cost(Some(c.usd)), Some(c.basis.describe())),
        Some(Err(why)) => ("unknown price".to_owned(), Some(why.to_string())),
        None if usage.is_some() => (
            "unknown price".to_owned(),
            Some("no price table".to_owned()),
        ),
        None => (String::new(), None),
    };
    let status = match (flow.status, flow.state) {
        (Some(s), _) => s.to_string(),
        (None, FlowState::Pending) => "…".to_owned(),
        (None, _) => "—".to_owned(),
    };
    let cells = vec![
        flow.started
            .map(|t| crate::format::clock(&t))
            .unwrap_or_default(),
        flow.method.clone(),
        flow.host.clone().unwrap_or_default(),
        flow.category.label().to_owned(),
        via(flow).to_owned(),
        match flow.tunnel_bytes {
            // A tunnel's content is not seen: what went through is.
            Some(b) => format!(
                "{} · tunnelled, {} up, {} down",
                flow.path,
                crate::format::bytes(b.up),
                crate::format::bytes(b.down)
            ),
            None => flow.path.clone(),
        },
        flow.model.clone().unwrap_or_default(),
        status,
        millis(flow.duration_ms),
        millis(flow.ttfb_ms),
        millis(flow.ttft_ms),
        rate(flow.output_tokens_per_sec()),
        tokens(usage.map(|u| u.input_tokens)),
        tokens(usage.map(|u| u.output_tokens)),
        tokens(usage.map(|u| u.cache_read_input_tokens)),
        tokens(usage.map(|u| u.cache_creation_input_tokens)),
        price_text,
        flow.stop_reason.clone().unwrap_or_default(),
    ];
    let cache_miss = cache_miss.map(|m| {
        let first = m.reasons.contains(&MissReason::FirstCall);
        (if first { "first" } else { "miss" }, m.describe())
    });
    Row {
        id: flow.flow_id.as_str().to_owned(),
        version: (flow.events, state_name(flow.state), cache_miss.is_some()),
        cells,
        cost_title,
        cache_miss,
        state: flow.state,
        streaming: flow.streaming,
        error: flow.error.clone(),
    }
}

#[component]
pub fn FlowList(flows: FlowsUi, open: OpenUi) -> impl IntoView {
    let groups = Memo::new(move |_| {
        let filter = effective_filter(flows);
        let sort = flows.sort.get();
        flows.store.with(|store| grouped(store, &filter, sort))
    });
    let group_keys = move || groups.with(|gs| gs.iter().map(Group::key).collect::<Vec<_>>());
    let total = Memo::new(move |_| flows.store.with(|s| s.flows().len()));
    let previous = Memo::new(move |_| flows.store.with(|s| s.previous_turns()));
    let heads = COLUMNS
        .iter()
        .map(|&(column, name, label)| {
            let aria = move || {
                let s = flows.sort.get();
                match (s.column == column, s.descending) {
                    (false, _) => "none",
                    (true, false) => "ascending",
                    (true, true) => "descending",
                }
            };
            let on_click = move |_| {
                flows.sort.update(|s| {
                    if s.column == column {
                        s.descending = !s.descending;
                    } else {
                        *s = Sort {
                            column,
                            descending: false,
                        };
                    }
                })
            };
            view! {
                <th class=format!("c-{name}") aria-sort=aria>
                    <button data-sort=name on:click=on_click>{label}</button>
                </th>
            }
        })
        .collect_view();
    view! {
        <div class="flow-table-wrap">
            <table class="flows" data-role="flow-list">
                <thead><tr>{heads}</tr></thead>
                <For each=group_keys key=|k| k.clone() let:key>
                    <FlowGroup flows=flows open=open groups=groups previous=previous key=key/>
                </For>
            </table>
            <Show when=move || total.get() == 0>
                <p class="empty">{move || if flows.store.with(|s| s.is_loaded()) { "No flows yet." } else { "Loading flows…" }}</p>
            </Show>
        </div>
    }
}

#[component]
fn FlowGroup(
    flows: FlowsUi,
    open: OpenUi,
    groups: Memo<Vec<Group>>,
    previous: Memo<Vec<Option<usize>>>,
    key: String,
) -> impl IntoView {
    let group = {
        let key = key.clone();
        Memo::new(move |_| groups.with(|gs| gs.iter().find(|g| g.key() == key).cloned()))
    };
    let rows = move || {
        let Some(group) = group.get() else {
            return Vec::new();
        };
        previous.with(|previous| {
            flows.store.with(|store| {
                group
                    .flows
                    .iter()
                    .map(|&i| {
                        let miss = store.cache_miss(i, previous.get(i).copied().flatten());
                        row(flows, &store.flows()[i], miss)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    let title = move || {
        group.with(|g| {
            let Some(g) = g else { return String::new() };
            let session = g
                .session_id
                .as_deref()
                .map(|s| format!("Session {}", short(s)))
                .unwrap_or_else(|| "No Claude Code session".to_owned());
            let agent = match &g.agent_id {
                Some(a) => format!("subagent {}", short(a)),
                None if g.session_id.is_some() => "main agent".to_owned(),
                None => "other requests".to_owned(),
            };
            let n = g.flows.len();
            format!(
                "{session} · {agent} · {n} flow{}",
                if n == 1 { "" } else { "s" }
            )
        })
    };
    let session_id = move || group.with(|g| g.as_ref().and_then(|g| g.session_id.clone()));
    let agent_id = move || group.with(|g| g.as_ref().and_then(|g| g.agent_id.clone()));
    view! {
        <tbody data-role="flow-group" data-session-id=session_id data-agent-id=agent_id>
            <tr class="group-head"><th colspan=COLUMNS.len() scope="rowgroup">{title}</th></tr>
            <For each=rows key=|r| (r.id.clone(), r.version) let:r>
                <FlowRow flows=flows open=open r=r/>
            </For>
        </tbody>
    }
}

fn state_name(state: FlowState) -> &'static str {
    match state {
        FlowState::Pending => "pending",
        FlowState::Complete => "complete",
        FlowState::Failed => "failed",
    }
}

#[component]
fn FlowRow(flows: FlowsUi, open: OpenUi, r: Row) -> impl IntoView {
    let id = r.id.clone();
    let selected = {
        let id = id.clone();
        move || open.selected.with(|s| s.as_deref() == Some(id.as_str()))
    };
    let matched = {
        let id = id.clone();
        move || {
            flows
                .matches
                .with(|m| m.as_ref().is_some_and(|m| m.contains(&id)))
        }
    };
    let open = {
        let id = id.clone();
        move || {
            open.selected.set(Some(id.clone()));
            open.pane.set(Pane::Flow);
        }
    };
    let state = state_name(r.state);
    let streamed = match r.streaming {
        Some(true) => "streamed",
        Some(false) => "whole",
        None => "",
    };
    let cost_title = r.cost_title.clone();
    let mut cache_miss = r.cache_miss;
    let cells = r
        .cells
        .into_iter()
        .zip(COLUMNS)
        .map(|(text, (column, name, _))| {
            let title = (column == Column::Cost)
                .then(|| cost_title.clone())
                .flatten();
            // The mark sits by the cache reads it is about.
            let mark = (column == Column::CacheRead)
                .then(|| cache_miss.take())
                .flatten()
                .map(|(label, title)| {
                    view! { <span class="cache-miss" data-role="cache-miss" data-kind=label title=title>{label}</span> }
                });
            view! { <td class=format!("c-{name}") title=title>{mark}{text}</td> }
        })
        .collect_view();
    view! {
        <tr
            data-role="flow"
            data-flow-id=id
            data-state=state
            data-streaming=streamed
            class:selected=selected
            class:match=matched
            title=r.error.unwrap_or_default()
            tabindex="0"
            on:click={
                let open = open.clone();
                move |_| open()
            }
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Enter" { open() }
            }
        >
            {cells}
        </tr>
    }
}

/// Search over bodies, and filters by model, host, kind, path and outcome.
#[component]
pub fn FlowFilters(flows: FlowsUi) -> impl IntoView {
    let models = Memo::new(move |_| flows.store.with(|s| distinct(s, |f| f.model.as_deref())));
    let hosts = Memo::new(move |_| flows.store.with(|s| distinct(s, |f| f.host.as_deref())));
    let kinds = Memo::new(move |_| {
        flows.store.with(|s| {
            let seen: std::collections::BTreeSet<Category> =
                s.flows().iter().map(|f| f.category).collect();
            seen.into_iter().collect::<Vec<_>>()
        })
    });
    let on_kind = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let choice = Category::ALL.into_iter().find(|c| c.label() == v);
        flows.filter.update(|f| f.category = choice);
    };
    let kind_options = move || {
        kinds
            .get()
            .into_iter()
            .map(|c| view! { <option value=c.label()>{c.label()}</option> })
            .collect_view()
    };
    let paths = Memo::new(move |_| {
        flows
            .store
            .with(|s| distinct(s, |f| f.path.split('?').next()))
    });
    let sessions = Memo::new(move |_| {
        flows
            .store
            .with(|s| distinct(s, |f| f.session_id.as_deref()))
    });
    let agents = Memo::new(move |_| flows.store.with(|s| distinct(s, |f| f.agent_id.as_deref())));
    // "main" is the main agent; subagents are "agent:ID", so no id can be
    // mistaken for the main agent.
    let on_agent = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let choice = match v.as_str() {
            "" => None,
            "main" => Some(AgentChoice::Main),
            other => other
                .strip_prefix("agent:")
                .map(|id| AgentChoice::Sub(id.to_owned())),
        };
        flows.filter.update(|f| f.agent = choice);
    };
    // The filter may be set elsewhere too (a click in the agent totals).
    let agent_value = move || {
        flows.filter.with(|f| match &f.agent {
            None => String::new(),
            Some(AgentChoice::Main) => "main".to_owned(),
            Some(AgentChoice::Sub(id)) => format!("agent:{id}"),
        })
    };
    let agent_options = move || {
        agents
            .get()
            .into_iter()
            .map(|id| view! { <option value=format!("agent:{id}")>{format!("subagent {}", short(&id))}</option> })
            .collect_view()
    };
    let on_status = move |ev: leptos::ev::Event| {
        let status = match event_target_value(&ev).as_str() {
            "ok" => StatusFilter::Ok,
            "failed" => StatusFilter::Failed,
            "pending" => StatusFilter::Pending,
            _ => StatusFilter::All,
        };
        flows.filter.update(|f| f.status = status);
    };
    let on_search = move |ev: leptos::ev::Event| flows.search.set(event_target_value(&ev));
    let on_only = move |ev: leptos::ev::Event| flows.only_matches.set(event_target_checked(&ev));
    let summary = move || {
        let searching = !flows.search.with(|s| s.trim().is_empty());
        match flows.matches.get() {
            Some(m) if searching => format!(
                "{} matching flow{}",
                m.len(),
                if m.len() == 1 { "" } else { "s" }
            ),
            _ if searching => "searching…".to_owned(),
            _ => String::new(),
        }
    };
    view! {
        <div class="flow-filters">
            <input
                type="search"
                data-role="search"
                placeholder="Search requests and responses"
                aria-label="Search requests and responses"
                prop:value=move || flows.search.get()
                on:input=on_search
            />
            <label class="only">
                <input type="checkbox" data-role="only-matches" prop:checked=move || flows.only_matches.get() on:change=on_only/>
                "only matches"
            </label>
            <span class="match-count" data-role="match-count">{summary}</span>
            <ChoiceSelect flows=flows role="filter-model" label="Model" all="all models"
                values=models get=|f| f.model.clone() set=|f, v| f.model = v/>
            <ChoiceSelect flows=flows role="filter-host" label="Host" all="all hosts"
                values=hosts get=|f| f.host.clone() set=|f, v| f.host = v/>
            <select data-role="filter-kind" aria-label="Kind of call" on:change=on_kind
                prop:value=move || flows.filter.with(|f| f.category.map(|c| c.label().to_owned()).unwrap_or_default())>
                <option value="">"all kinds"</option>
                {kind_options}
            </select>
            <ChoiceSelect flows=flows role="filter-path" label="Path" all="all paths"
                values=paths get=|f| f.path.clone() set=|f, v| f.path = v/>
            <ChoiceSelect flows=flows role="filter-session" label="Claude Code session" all="all sessions"
                values=sessions get=|f| f.session.clone() set=|f, v| f.session = v/>
            <select data-role="filter-agent" aria-label="Agent" on:change=on_agent prop:value=agent_value>
                <option value="">"all agents"</option>
                <option value="main">"main agent"</option>
                {agent_options}
            </select>
            <select data-role="filter-status" aria-label="Outcome" on:change=on_status>
                <option value="">"any outcome"</option>
                <option value="ok">"complete"</option>
                <option value="failed">"failed"</option>
                <option value="pending">"in progress"</option>
            </select>
        </div>
    }
}

/// A filter's select over the values seen in the flows; its first option,
/// "all …", sets no filter.
#[component]
fn ChoiceSelect(
    flows: FlowsUi,
    role: &'static str,
    label: &'static str,
    all: &'static str,
    values: Memo<Vec<String>>,
    get: fn(&FlowFilter) -> Option<String>,
    set: fn(&mut FlowFilter, Option<String>),
) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        flows
            .filter
            .update(|f| set(f, (!v.is_empty()).then_some(v)));
    };
    let options = move || {
        values
            .get()
            .into_iter()
            .map(|v| view! { <option value=v.clone()>{v.clone()}</option> })
            .collect_view()
    };
    view! {
        <select data-role=role aria-label=label on:change=on_change
            prop:value=move || flows.filter.with(|f| get(f).unwrap_or_default())>
            <option value="">{all}</option>
            {options}
        </select>
    }
}

/// Narrows the list to the search's matches when the user asks for it.
pub fn effective_filter(flows: FlowsUi) -> FlowFilter {
    let mut filter = flows.filter.get();
    if flows.only_matches.get() && !flows.search.with(|s| s.trim().is_empty()) {
        filter.matches = Some(flows.matches.get().unwrap_or_default());
    }
    filter
}
