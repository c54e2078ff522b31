//! Totals of the session shown: requests, tokens by kind, cache hits, cost
//! and latency, per model and overall, and which models have no price;
//! then per Claude Code session and agent, as a tree, where a click narrows
//! the flow list to that agent.

use leptos::prelude::*;
use shared::{AgentTotals, ModelTotals, SessionTotals, Totals};

use crate::flows::AgentChoice;
use crate::format::{cost, millis, percent, short, tokens};
use crate::FlowsUi;

/// A cost cell: the dollars, "unknown price" when some call has none.
fn price(m: &ModelTotals) -> String {
    match m.cost_usd {
        Some(_) => cost(m.cost_usd),
        None if m.requests > 0 => "unknown price".to_owned(),
        None => String::new(),
    }
}

/// Every token of the calls, whatever its kind: what "tokens I never saw" counts.
fn all_tokens(m: &ModelTotals) -> u64 {
    m.input_tokens + m.output_tokens + m.cache_read_input_tokens + m.cache_creation_input_tokens
}

#[component]
pub fn TotalsBar(flows: FlowsUi) -> impl IntoView {
    let totals = Memo::new(move |_| {
        flows.store.with(|store| {
            let prices = store.prices.clone().unwrap_or_else(shared::Prices::builtin);
            (
                Totals::from_flows(store.flows(), &prices),
                SessionTotals::from_flows(store.flows(), &prices),
            )
        })
    });
    let rows = move || {
        totals.with(|(t, _)| {
            let mut rows: Vec<(String, ModelTotals)> =
                t.models.iter().map(|(m, v)| (m.clone(), v.clone())).collect();
            if rows.len() != 1 {
                rows.push(("all models".to_owned(), t.total.clone()));
            }
            rows.into_iter()
                .map(|(model, m)| {
                    let why = t.unpriced_models.get(&model).cloned();
                    view! {
                        <tr data-model=model.clone()>
                            <th scope="row">{model.clone()}</th>
                            <td data-col="requests">{m.requests}</td>
                            <td data-col="input">{tokens(Some(m.input_tokens))}</td>
                            <td data-col="output">{tokens(Some(m.output_tokens))}</td>
                            <td data-col="cache-read">{tokens(Some(m.cache_read_input_tokens))}</td>
                            <td data-col="cache-write">{tokens(Some(m.cache_creation_input_tokens))}</td>
                            <td data-col="cache-hit">{percent(m.cache_hit_ratio)}</td>
                            <td data-col="cost" title=why>{price(&m)}</td>
                            <td data-col="p50">{millis(m.duration_ms_p50)}</td>
                            <td data-col="p90">{millis(m.duration_ms_p90)}</td>
                            <td data-col="ttft-p50">{millis(m.ttft_ms_p50)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let headline = move || {
        totals.with(|(t, sessions)| {
            let c = match t.total.cost_usd {
                Some(_) => cost(t.total.cost_usd),
                None if t.total.requests > 0 => {
                    let models: Vec<&str> = t.unpriced_models.keys().map(String::as_str).collect();
                    format!("unknown price ({})", models.join(", "))
                }
                None => "$0".to_owned(),
            };
            let mut line = format!(
                "{} requests · {} in · {} out · {} cache read · {} cache write · {}",
                t.total.requests,
                tokens(Some(t.total.input_tokens)),
                tokens(Some(t.total.output_tokens)),
                tokens(Some(t.total.cache_read_input_tokens)),
                tokens(Some(t.total.cache_creation_input_tokens)),
                c
            );
            line.push_str(&subagents_note(sessions));
            line
        })
    };
    let agents = move || {
        totals.with(|(_, sessions)| {
            let named = sessions
                .iter()
                .any(|s| s.session_id.is_some() || s.subagent_count > 0);
            named.then(|| {
                let rows = sessions
                    .iter()
                    .flat_map(|s| agent_rows(flows, s))
                    .collect_view();
                view! {
                    <table class="agents" data-role="agent-totals">
                        <thead><tr>
                            <th>"Session / agent"</th><th>"Requests"</th><th>"Tokens"</th><th>"In"</th><th>"Out"</th>
                            <th>"Cache R"</th><th>"Cache W"</th><th>"Cost"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
            })
        })
    };
    // A stale table shows here: every model without a price, and why.
    let unpriced = move || {
        totals.with(|(t, _)| {
            (!t.unpriced_models.is_empty()).then(|| {
                let items = t
                    .unpriced_models
                    .iter()
                    .map(|(model, why)| view! { <li data-model=model.clone()><code>{model.clone()}</code>{format!(": {why}")}</li> })
                    .collect_view();
                view! {
                    <div class="unpriced" data-role="unpriced-models">
                        <p>{format!("Unknown price for {} of {} requests:", t.total.unpriced_requests, t.total.requests)}</p>
                        <ul>{items}</ul>
                    </div>
                }
            })
        })
    };
    view! {
        <details class="totals" data-role="totals">
            <summary data-role="totals-headline">{headline}</summary>
            <table>
                <thead><tr>
                    <th>"Model"</th><th>"Requests"</th><th>"In"</th><th>"Out"</th><th>"Cache R"</th>
                    <th>"Cache W"</th><th>"Cache hit"</th><th>"Cost"</th><th>"p50"</th><th>"p90"</th><th>"TTFT p50"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {unpriced}
            {agents}
        </details>
    }
}

/// ` · 3 subagents: 1,700,000 tokens, $0.42`: the background work, summed
/// over every session, at a glance; empty without subagents.
fn subagents_note(sessions: &[SessionTotals]) -> String {
    let count: u64 = sessions.iter().map(|s| s.subagent_count).sum();
    if count == 0 {
        return String::new();
    }
    let used: u64 = sessions
        .iter()
        .map(|s| all_tokens(&s.subagents_total))
        .sum();
    let known = sessions
        .iter()
        .all(|s| s.subagents_total.cost_usd.is_some());
    let spent: f64 = sessions
        .iter()
        .map(|s| s.subagents_total.priced_cost_usd)
        .sum();
    format!(
        " · {count} subagent{}: {} tokens, {}",
        if count == 1 { "" } else { "s" },
        tokens(Some(used)),
        if known {
            cost(Some(spent))
        } else {
            "unknown price".to_owned()
        }
    )
}

/// Deeper agents than this are drawn at this indent (the tree stays readable).
const MAX_INDENT: usize = 6;

/// One session's rows: the session, then its agents depth first.
fn agent_rows(flows: FlowsUi, session: &SessionTotals) -> Vec<AnyView> {
    let name = session
        .session_id
        .as_deref()
        .map(|s| format!("Session {}", short(s)))
        .unwrap_or_else(|| "No Claude Code session".to_owned());
    let session_id = session.session_id.clone();
    let mut rows = vec![agent_row(
        flows,
        AgentRow {
            name,
            title: session.session_id.clone().unwrap_or_default(),
            kind: "session",
            depth: 0,
            session_id: session_id.clone(),
            choice: None,
            totals: &session.total,
        },
    )];
    // A stack, not recursion: a chain of subagents may be long.
    let mut stack: Vec<(usize, &AgentTotals)> = vec![(1, &session.main)];
    while let Some((depth, agent)) = stack.pop() {
        let (name, kind, choice) = match &agent.agent_id {
            None => ("main agent".to_owned(), "main", AgentChoice::Main),
            Some(id) => (
                format!("subagent {}", short(id)),
                "subagent",
                AgentChoice::Sub(id.clone()),
            ),
        };
        let title = match (&agent.agent_id, &agent.parent_agent_id) {
            (Some(id), Some(parent)) => format!("{id}, started by {parent}"),
            (Some(id), None) => id.clone(),
            (None, _) => String::new(),
        };
        rows.push(agent_row(
            flows,
            AgentRow {
                name,
                title,
                kind,
                depth,
                session_id: session_id.clone(),
                choice: Some(choice),
                totals: &agent.totals,
            },
        ));
        stack.extend(agent.subagents.iter().rev().map(|a| (depth + 1, a)));
    }
    rows
}

struct AgentRow<'a> {
    name: String,
    title: String,
    kind: &'static str,
    depth: usize,
    session_id: Option<String>,
    /// `None`: the session's row, which filters by session alone.
    choice: Option<AgentChoice>,
    totals: &'a ModelTotals,
}

fn agent_row(flows: FlowsUi, row: AgentRow) -> AnyView {
    let m = row.totals;
    let agent_id = match &row.choice {
        Some(AgentChoice::Sub(id)) => Some(id.clone()),
        _ => None,
    };
    let (session, choice) = (row.session_id.clone(), row.choice.clone());
    let selected = {
        let (session, choice) = (session.clone(), choice.clone());
        Memo::new(move |_| {
            flows
                .filter
                .with(|f| f.session == session && f.agent == choice)
        })
    };
    let on_click = move |_| {
        let (session, choice) = (session.clone(), choice.clone());
        flows.filter.update(|f| {
            if f.session == session && f.agent == choice {
                // A second click undoes the first.
                f.session = None;
                f.agent = None;
            } else {
                f.session = session;
                f.agent = choice;
            }
        });
    };
    view! {
        <tr data-role="agent-row" data-kind=row.kind data-depth=row.depth
            data-session-id=row.session_id.clone() data-agent-id=agent_id
            class:selected=selected>
            // Indented by class, not an inline style: the page's CSP allows
            // only its own stylesheet.
            <th scope="row" class=format!("depth-{}", row.depth.min(MAX_INDENT))>
                <button data-role="agent-filter" title=row.title
                    aria-pressed=move || selected.get().to_string() on:click=on_click>{row.name}</button>
            </th>
            <td data-col="requests">{m.requests}</td>
            <td data-col="tokens">{tokens(Some(all_tokens(m)))}</td>
            <td data-col="input">{tokens(Some(m.input_tokens))}</td>
            <td data-col="output">{tokens(Some(m.output_tokens))}</td>
            <td data-col="cache-read">{tokens(Some(m.cache_read_input_tokens))}</td>
            <td data-col="cache-write">{tokens(Some(m.cache_creation_input_tokens))}</td>
            <td data-col="cost">{price(m)}</td>
        </tr>
    }
    .into_any()
}
