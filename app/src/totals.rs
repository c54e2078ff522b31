//! Totals of the session shown: requests, tokens by kind, cache hits, cost
//! and latency, per model and overall, and which models have no price.

use leptos::prelude::*;
use shared::{ModelTotals, Totals};

use crate::format::{cost, millis, percent, tokens};
use crate::FlowsUi;

#[component]
pub fn TotalsBar(flows: FlowsUi) -> impl IntoView {
    let totals = Memo::new(move |_| {
        flows.store.with(|store| {
            let prices = store.prices.clone().unwrap_or_else(shared::Prices::builtin);
            Totals::from_flows(store.flows(), &prices)
        })
    });
    let rows = move || {
        totals.with(|t| {
            let mut rows: Vec<(String, ModelTotals)> =
                t.models.iter().map(|(m, v)| (m.clone(), v.clone())).collect();
            if rows.len() != 1 {
                rows.push(("all models".to_owned(), t.total.clone()));
            }
            rows.into_iter()
                .map(|(model, m)| {
                    let why = t.unpriced_models.get(&model).cloned();
                    let price = match m.cost_usd {
                        Some(_) => cost(m.cost_usd),
                        None if m.requests > 0 => "unknown price".to_owned(),
                        None => String::new(),
                    };
                    view! {
                        <tr data-model=model.clone()>
                            <th scope="row">{model.clone()}</th>
                            <td data-col="requests">{m.requests}</td>
                            <td data-col="input">{tokens(Some(m.input_tokens))}</td>
                            <td data-col="output">{tokens(Some(m.output_tokens))}</td>
                            <td data-col="cache-read">{tokens(Some(m.cache_read_input_tokens))}</td>
                            <td data-col="cache-write">{tokens(Some(m.cache_creation_input_tokens))}</td>
                            <td data-col="cache-hit">{percent(m.cache_hit_ratio)}</td>
                            <td data-col="cost" title=why>{price}</td>
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
        totals.with(|t| {
            let c = match t.total.cost_usd {
                Some(_) => cost(t.total.cost_usd),
                None if t.total.requests > 0 => {
                    let models: Vec<&str> = t.unpriced_models.keys().map(String::as_str).collect();
                    format!("unknown price ({})", models.join(", "))
                }
                None => "$0".to_owned(),
            };
            format!(
                "{} requests · {} in · {} out · {} cache read · {} cache write · {}",
                t.total.requests,
                tokens(Some(t.total.input_tokens)),
                tokens(Some(t.total.output_tokens)),
                tokens(Some(t.total.cache_read_input_tokens)),
                tokens(Some(t.total.cache_creation_input_tokens)),
                c
            )
        })
    };
    // A stale table shows here: every model without a price, and why.
    let unpriced = move || {
        totals.with(|t| {
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
        </details>
    }
}
