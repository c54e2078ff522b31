//! Tokens, cost and latency added up per model over many flows (per agent:
//! [`crate::agent_totals`], summed by the same accumulator).
//!
//! Which flows count: Messages calls (`/v1/messages`, any query), whether
//! they succeeded or not, because those are what the API bills by usage and
//! what a user waits on. `count_tokens`, `HEAD /` and other endpoints carry no
//! billed tokens; they are only counted in `other_requests`. A Messages call
//! whose model is unknown (its request body was not JSON, or was cut from the
//! log) is listed under [`UNKNOWN_MODEL`].
//!
//! Cost: a flow without usage (failed before the API counted anything) costs
//! 0; one with usage costs what [`Prices::cost`] says on the flow's own day,
//! and a single flow without a known price makes its model's and the grand
//! total's `cost_usd` `null`: never a partial sum shown as the total.
//! `priced_cost_usd` and `unpriced_requests` say how much is known, and
//! `unpriced_models` names the models and why, so a stale table is noticed.
//!
//! Latency percentiles use completed flows only (a fast 529 is not a fast
//! answer); time to first token, every flow that produced a token.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{FlowState, FlowSummary, Prices, Unpriced};

/// The `models` key of Messages calls whose model is not known.
pub const UNKNOWN_MODEL: &str = "(unknown model)";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub models: BTreeMap<String, ModelTotals>,
    pub total: ModelTotals,
    /// Flows that are not Messages calls (count_tokens, HEAD /, ...).
    pub other_requests: u64,
    /// Each model with a call that has no price, and why (the first reason seen).
    #[serde(default)]
    pub unpriced_models: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    /// `None` when any of these requests has no known price.
    pub cost_usd: Option<f64>,
    /// The cost of the requests that have a known price.
    pub priced_cost_usd: f64,
    pub unpriced_requests: u64,
    /// cache_read / (input + cache_read + cache_creation); `None` without input.
    pub cache_hit_ratio: Option<f64>,
    /// Requests that failed (error event, error status or in-band error).
    pub errors: u64,
    pub duration_ms_p50: Option<f64>,
    pub duration_ms_p90: Option<f64>,
    pub duration_ms_p99: Option<f64>,
    pub ttft_ms_p50: Option<f64>,
    pub ttft_ms_p90: Option<f64>,
}

impl Totals {
    pub fn from_flows<'a>(
        flows: impl IntoIterator<Item = &'a FlowSummary>,
        prices: &Prices,
    ) -> Totals {
        let mut models: BTreeMap<String, Acc> = BTreeMap::new();
        let mut all = Acc::default();
        let mut other_requests = 0;
        let mut unpriced_models = BTreeMap::new();
        for flow in flows {
            if !flow.is_messages_call() {
                other_requests += 1;
                continue;
            }
            let model = flow.model.as_deref().unwrap_or(UNKNOWN_MODEL);
            let cost = match flow_cost(flow, prices) {
                Ok(usd) => Some(usd),
                Err(why) => {
                    unpriced_models
                        .entry(model.to_owned())
                        .or_insert_with(|| why.to_string());
                    None
                }
            };
            models.entry(model.to_owned()).or_default().add(flow, cost);
            all.add(flow, cost);
        }
        Totals {
            models: models.into_iter().map(|(k, acc)| (k, acc.done())).collect(),
            total: all.done(),
            other_requests,
            unpriced_models,
        }
    }
}

/// What one Messages call adds to a total: 0 without usage (it failed
/// before the API counted anything), else its price on its own day. Every
/// total, per model and per agent, prices its flows here and nowhere else.
pub fn flow_cost(flow: &FlowSummary, prices: &Prices) -> Result<f64, Unpriced> {
    prices
        .flow_cost(flow)
        .map_or(Ok(0.0), |cost| cost.map(|c| c.usd))
}

/// The sums of a set of Messages calls (a model's, an agent's) plus the
/// latencies its percentiles need.
#[derive(Default)]
pub(crate) struct Acc {
    totals: ModelTotals,
    durations: Vec<f64>,
    ttfts: Vec<f64>,
}

impl Acc {
    pub(crate) fn add(&mut self, flow: &FlowSummary, cost: Option<f64>) {
        let t = &mut self.totals;
        t.requests += 1;
        if let Some(u) = &flow.usage {
            t.input_tokens += u.input_tokens;
            t.output_tokens += u.output_tokens;
            t.cache_read_input_tokens += u.cache_read_input_tokens;
            t.cache_creation_input_tokens += u.cache_creation_input_tokens;
        }
        match cost {
            Some(c) => t.priced_cost_usd += c,
            None => t.unpriced_requests += 1,
        }
        if flow.state == FlowState::Failed {
            t.errors += 1;
        }
        if flow.state == FlowState::Complete {
            self.durations.extend(flow.duration_ms);
        }
        self.ttfts.extend(flow.ttft_ms);
    }

    pub(crate) fn done(mut self) -> ModelTotals {
        let mut t = self.totals;
        t.cost_usd = (t.unpriced_requests == 0).then_some(t.priced_cost_usd);
        let prompt = t.input_tokens + t.cache_read_input_tokens + t.cache_creation_input_tokens;
        t.cache_hit_ratio = (prompt > 0).then(|| t.cache_read_input_tokens as f64 / prompt as f64);
        self.durations.sort_by(f64::total_cmp);
        self.ttfts.sort_by(f64::total_cmp);
        t.duration_ms_p50 = percentile(&self.durations, 50.0);
        t.duration_ms_p90 = percentile(&self.durations, 90.0);
        t.duration_ms_p99 = percentile(&self.durations, 99.0);
        t.ttft_ms_p50 = percentile(&self.ttfts, 50.0);
        t.ttft_ms_p90 = percentile(&self.ttfts, 90.0);
        t
    }
}

/// Nearest-rank percentile of sorted values: always one of the values seen,
/// so a p99 over few requests is the slowest one, not an interpolation.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests;
