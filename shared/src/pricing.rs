//! What a call cost, from list prices per model family.
//!
//! The prices live in a versioned data file (`shared/prices.json`, built in;
//! a user's own file may replace it) because they change more often than the
//! code. A cost is only ever given when every part of the usage has a price:
//! `None` (unknown) is better than a wrong number presented as the truth.

use serde::{Deserialize, Serialize};

use crate::Usage;

const BUILTIN: &str = include_str!("../prices.json");
const PER_MILLION: f64 = 1_000_000.0;

// The JSON error is part of the message, not a `source`: error chains
// printed with `{:#}` would otherwise say it twice.
#[derive(Debug, thiserror::Error)]
pub enum PricesError {
    #[error("not a prices file: {0}")]
    Json(serde_json::Error),
    #[error("invalid prices file: {0}")]
    Invalid(String),
}

/// Prices of one model family, in USD per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Model id prefix: `claude-sonnet-4-5` prices `claude-sonnet-4-5-20250929`.
    pub family: String,
    pub input: f64,
    pub output: f64,
    /// A 5-minute cache write.
    pub cache_write: f64,
    pub cache_read: f64,
    /// A 1-hour cache write; without it, calls that wrote one have no price.
    #[serde(default)]
    pub cache_write_1h: Option<f64>,
    /// The prompt size (input + cache tokens) up to which these rates hold;
    /// larger calls are priced differently and so have no price here.
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
}

/// A price list: the built-in one or a user's file of the same shape.
/// Only a valid list deserializes (see [`Prices::from_json`] for the rules),
/// so a `Prices` read from a file or from the web API is always a checked one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PricesFile")]
pub struct Prices {
    /// The date the prices were taken, e.g. `2025-11-24`.
    pub version: String,
    /// Where they come from, and what they leave out.
    pub source: String,
    /// USD per 1000 server-side web searches; without it, calls that searched
    /// have no price.
    #[serde(default)]
    pub web_search_per_1000: Option<f64>,
    pub models: Vec<ModelPrice>,
}

/// A price list as written, before it is checked.
#[derive(Deserialize)]
struct PricesFile {
    version: String,
    source: String,
    #[serde(default)]
    web_search_per_1000: Option<f64>,
    models: Vec<ModelPrice>,
}

impl TryFrom<PricesFile> for Prices {
    type Error = PricesError;

    fn try_from(file: PricesFile) -> Result<Prices, PricesError> {
        let prices = Prices {
            version: file.version,
            source: file.source,
            web_search_per_1000: file.web_search_per_1000,
            models: file.models,
        };
        prices.validate()?;
        Ok(prices)
    }
}

impl Prices {
    /// The price list built into this binary.
    pub fn builtin() -> Prices {
        // The file is part of the source and a unit test parses it.
        Prices::from_json(BUILTIN).expect("the built-in prices.json is valid")
    }

    /// Reads and checks a price list: a version, at least one model, no
    /// family twice, every rate finite and not negative.
    /// Reads and checks a price list: a version, at least one model, no
    /// family twice, every rate finite and not negative.
    pub fn from_json(text: &str) -> Result<Prices, PricesError> {
        let file: PricesFile = serde_json::from_str(text).map_err(PricesError::Json)?;
        Prices::try_from(file)
    }

    /// The price of the longest family that `model` belongs to.
    pub fn for_model(&self, model: &str) -> Option<&ModelPrice> {
        self.models
            .iter()
            .filter(|p| family_matches(&p.family, model))
            .max_by_key(|p| p.family.len())
    }

    /// The cost in USD of `usage` on `model`; `None` when some part of it has
    /// no known price (no model, an unlisted model, a rate the list lacks).
    pub fn cost(&self, model: Option<&str>, usage: &Usage) -> Option<f64> {
        let price = self.for_model(model?)?;
        if price
            .max_input_tokens
            .is_some_and(|max| usage.total_input_tokens() > max)
        {
            return None;
        }
        let writes_1h = usage
            .cache_creation_1h_input_tokens
            .min(usage.cache_creation_input_tokens);
        let writes_5m = usage.cache_creation_input_tokens - writes_1h;
        let cost_1h = if writes_1h == 0 {
            0.0
        } else {
            writes_1h as f64 * price.cache_write_1h? / PER_MILLION
        };
        let searches = if usage.web_search_requests == 0 {
            0.0
        } else {
            usage.web_search_requests as f64 * self.web_search_per_1000? / 1000.0
        };
        let tokens = usage.input_tokens as f64 * price.input
            + usage.output_tokens as f64 * price.output
            + usage.cache_read_input_tokens as f64 * price.cache_read
            + writes_5m as f64 * price.cache_write;
        Some(tokens / PER_MILLION + cost_1h + searches)
    }

    fn validate(&self) -> Result<(), PricesError> {
        let invalid = |m: String| Err(PricesError::Invalid(m));
        if self.version.trim().is_empty() {
            return invalid("\"version\" is empty".into());
        }
        if self.models.is_empty() {
            return invalid("\"models\" lists no model".into());
        }
        if let Some(rate) = self.web_search_per_1000 {
            if !valid_rate(rate) {
                return invalid(format!("web_search_per_1000 is {rate}"));
            }
        }
        for (i, p) in self.models.iter().enumerate() {
            if p.family.trim().is_empty() {
                return invalid(format!("model {} has an empty family", i + 1));
            }
            if self.models[..i].iter().any(|q| q.family == p.family) {
                return invalid(format!("family {:?} is listed twice", p.family));
            }
            let rates = [
                ("input", Some(p.input)),
                ("output", Some(p.output)),
                ("cache_write", Some(p.cache_write)),
                ("cache_read", Some(p.cache_read)),
                ("cache_write_1h", p.cache_write_1h),
            ];
            for (name, rate) in rates {
                if let Some(rate) = rate.filter(|r| !valid_rate(*r)) {
                    return invalid(format!("{:?}: {name} is {rate}", p.family));
                }
            }
        }
        Ok(())
    }
}

fn valid_rate(rate: f64) -> bool {
    rate.is_finite() && rate >= 0.0
}

/// Whether `model` is `family` or one of its dated ids or aliases. A family
/// followed by another small number is a different, newer model
/// (`claude-opus-4` does not price `claude-opus-4-6`), which is left unknown
/// rather than guessed; `-0` is the family itself (`claude-opus-4-0`).
fn family_matches(family: &str, model: &str) -> bool {
    let Some(rest) = model.strip_prefix(family) else {
        return false;
    };
    if rest.is_empty() || rest.starts_with('@') {
        return true;
    }
    let Some(rest) = rest.strip_prefix('-') else {
        return false;
    };
    let segment = rest.split('-').next().unwrap_or_default();
    let minor_version = !segment.is_empty()
        && segment != "0"
        && segment.len() <= 2
        && segment.bytes().all(|b| b.is_ascii_digit());
    !minor_version
}

#[cfg(test)]
mod tests;
