//! The rules that turn one call's usage into dollars, given the price row
//! in force on the call's day: which rates (standard, fast mode, a long
//! prompt's), the US-only multiplier, 1-hour cache writes and web searches.
//! This is the only place a cost is computed; everything that shows one
//! (totals, the flow list, `stats`, the report) asks [`Prices::cost`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ModelPrice, Prices, Rates};
use crate::anthropic::usage::{InferenceGeo, Speed};
use crate::{FlowSummary, Timestamp, Usage};

const PER_MILLION: f64 = 1_000_000.0;

/// Why a call has no price: said to the user instead of a bare dash, so a
/// stale table or a rule the table lacks is noticed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unpriced {
    #[error("the call names no model")]
    NoModel,
    #[error("the price table has no row for {0}")]
    UnknownModel(String),
    #[error("no price for {family} on {day}")]
    NotYet { family: String, day: NaiveDate },
    #[error("the price of {0} changed and the call's day is unknown")]
    NoCallDay(String),
    #[error("no price for {family} prompts over {max} tokens")]
    LongContext { family: String, max: u64 },
    #[error("no fast mode price for {0}")]
    NoFastRate(String),
    #[error("unknown speed {speed:?} on {family}")]
    UnknownSpeed { family: String, speed: String },
    #[error("no US-only inference price for {0}")]
    NoUsOnlyRate(String),
    #[error("no 1-hour cache write price for {0}")]
    No1hRate(String),
    #[error("no web search price")]
    NoWebSearchRate,
}

/// Which of a row's rate sets priced the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Standard,
    /// The prompt was over the row's long-prompt threshold.
    LongPrompt {
        over: u64,
    },
    Fast,
}

/// How a cost was made: the row, the rate set and the multiplier used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostBasis {
    pub family: String,
    /// The day the row took effect (`None`: the family's first row).
    pub from: Option<NaiveDate>,
    pub band: Band,
    /// The token rates used, before `multiplier`.
    pub rates: Rates,
    /// US-only inference's multiplier, 1 otherwise.
    pub multiplier: f64,
    /// The part of the cost that is web searches.
    pub web_search_usd: f64,
}

impl CostBasis {
    /// One line for a person: `claude-sonnet-5-5 from 2026-10-07 · fast · US-only ×1.1`.
    pub fn describe(&self) -> String {
        let mut parts = vec![match self.from {
            Some(day) => format!("{} rates from {day}", self.family),
            None => format!("{} rates", self.family),
        }];
        match self.band {
            Band::Standard => {}
            Band::LongPrompt { over } => parts.push(format!("prompt over {over} tokens")),
            Band::Fast => parts.push("fast mode".to_owned()),
        }
        if self.multiplier != 1.0 {
            parts.push(format!("US-only ×{}", self.multiplier));
        }
        if self.web_search_usd > 0.0 {
            parts.push(format!("web search ${:.4}", self.web_search_usd));
        }
        parts.join(" · ")
    }
}

/// A call's cost in USD, and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub usd: f64,
    pub basis: CostBasis,
}

impl Prices {
    /// The cost of a call of `model` made at `at` that used `usage`.
    pub fn cost(
        &self,
        model: Option<&str>,
        at: Option<Timestamp>,
        usage: &Usage,
    ) -> Result<Cost, Unpriced> {
        let model = model.ok_or(Unpriced::NoModel)?;
        let row = self.for_model_on(model, at.map(|t| t.0.date_naive()))?;
        let (rates, band) = rates_for(row, usage)?;
        let multiplier = match usage.inference_geo {
            Some(InferenceGeo::Us) => row
                .us_only_multiplier
                .ok_or_else(|| Unpriced::NoUsOnlyRate(row.family.clone()))?,
            _ => 1.0,
        };
        let writes_1h = usage.cache_writes_1h();
        let rate_1h = match (writes_1h, rates.cache_write_1h) {
            (0, _) => 0.0,
            (_, Some(rate)) => rate,
            (_, None) => return Err(Unpriced::No1hRate(row.family.clone())),
        };
        let web_search_usd = match (usage.web_search_requests, self.web_search_per_1000) {
            (0, _) => 0.0,
            (n, Some(per_1000)) => n as f64 * per_1000 / 1000.0,
            (_, None) => return Err(Unpriced::NoWebSearchRate),
        };
        let tokens = usage.input_tokens as f64 * rates.input
            + usage.output_tokens as f64 * rates.output
            + usage.cache_read_input_tokens as f64 * rates.cache_read
            + usage.cache_writes_5m() as f64 * rates.cache_write
            + writes_1h as f64 * rate_1h;
        Ok(Cost {
            usd: tokens / PER_MILLION * multiplier + web_search_usd,
            basis: CostBasis {
                family: row.family.clone(),
                from: row.from,
                band,
                rates,
                multiplier,
                web_search_usd,
            },
        })
    }

    /// A flow's cost; `None` when it has no usage (nothing was billed).
    pub fn flow_cost(&self, flow: &FlowSummary) -> Option<Result<Cost, Unpriced>> {
        let usage = flow.usage.as_ref()?;
        Some(self.cost(flow.model.as_deref(), flow.started, usage))
    }
}

/// The rate set of `row` that applies to `usage`. Fast mode is priced across
/// the whole context window, so it takes precedence over a prompt band.
fn rates_for(row: &ModelPrice, usage: &Usage) -> Result<(Rates, Band), Unpriced> {
    let prompt = usage.total_input_tokens();
    if let Some(max) = row.max_input_tokens.filter(|max| prompt > *max) {
        return Err(Unpriced::LongContext {
            family: row.family.clone(),
            max,
        });
    }
    match &usage.speed {
        Some(Speed::Fast) => {
            let fast = row
                .fast
                .ok_or_else(|| Unpriced::NoFastRate(row.family.clone()))?;
            return Ok((fast, Band::Fast));
        }
        Some(Speed::Other(speed)) => {
            return Err(Unpriced::UnknownSpeed {
                family: row.family.clone(),
                speed: speed.clone(),
            })
        }
        Some(Speed::Standard) | None => {}
    }
    Ok(match &row.long_prompt {
        Some(long) if prompt > long.over => (long.rates, Band::LongPrompt { over: long.over }),
        _ => (row.rates(), Band::Standard),
    })
}
