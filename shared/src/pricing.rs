//! What a call cost, from list prices per model family and day.
//!
//! The prices live in a versioned data file (`shared/prices.json`, built in;
//! a user's own file may replace it) because they change more often than the
//! code. A family may have several rows, each in force from its `from` day
//! (UTC) until the family's next row, so a call is priced at the rates of its
//! own day. The rules that turn a row and a usage into dollars are in
//! [`cost`]. A cost is only ever given when every part of the usage has a
//! price: an [`Unpriced`] reason is better than a wrong number presented as
//! the truth.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod cost;

pub use cost::{Band, Cost, CostBasis, Unpriced};

const BUILTIN: &str = include_str!("../prices.json");

// The JSON error is part of the message, not a `source`: error chains
// printed with `{:#}` would otherwise say it twice.
#[derive(Debug, thiserror::Error)]
pub enum PricesError {
    #[error("not a prices file: {0}")]
    Json(serde_json::Error),
    #[error("invalid prices file: {0}")]
    Invalid(String),
}

/// One set of token rates, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub input: f64,
    pub output: f64,
    /// A 5-minute cache write.
    pub cache_write: f64,
    pub cache_read: f64,
    /// A 1-hour cache write; without it, calls that wrote one have no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<f64>,
}

impl Rates {
    fn invalid_rate(&self) -> Option<(&'static str, f64)> {
        [
            ("input", Some(self.input)),
            ("output", Some(self.output)),
            ("cache_write", Some(self.cache_write)),
            ("cache_read", Some(self.cache_read)),
            ("cache_write_1h", self.cache_write_1h),
        ]
        .into_iter()
        .find_map(|(name, rate)| rate.filter(|r| !valid_rate(*r)).map(|r| (name, r)))
    }
}

/// Rates for requests whose prompt (input + cache reads + cache writes) is
/// over `over` tokens: every token of such a request, output included, is
/// billed at them (Haiku 5.5's prompt-length pricing).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongPrompt {
    pub over: u64,
    pub rates: Rates,
}

/// The prices of one model family from one day on, in USD per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Model id prefix: `claude-sonnet-4-5` prices `claude-sonnet-4-5-20250929`.
    pub family: String,
    /// The day (UTC) this row takes effect; without it, the row holds for
    /// every day before the family's next row.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "day")]
    pub from: Option<NaiveDate>,
    pub input: f64,
    pub output: f64,
    /// A 5-minute cache write.
    pub cache_write: f64,
    pub cache_read: f64,
    /// A 1-hour cache write; without it, calls that wrote one have no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<f64>,
    /// The prompt size (input + cache tokens) up to which these rates hold;
    /// larger calls are priced in a way the file does not model, so they
    /// have no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    /// Other rates for a request with a long prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_prompt: Option<LongPrompt>,
    /// Fast mode's rates (`usage.speed == "fast"`), cache rates included;
    /// without them, a fast call has no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast: Option<Rates>,
    /// What US-only inference (`usage.inference_geo == "us"`) multiplies
    /// every token rate by; without it, such a call has no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_only_multiplier: Option<f64>,
    /// Where these rates were read, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl ModelPrice {
    /// The standard rates of this row.
    pub fn rates(&self) -> Rates {
        Rates {
            input: self.input,
            output: self.output,
            cache_write: self.cache_write,
            cache_read: self.cache_read,
            cache_write_1h: self.cache_write_1h,
        }
    }
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
    /// What the rows cannot express, said rather than guessed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
    notes: Vec<String>,
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
            notes: file.notes,
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
    /// family twice from the same day, every rate finite and not negative.
    pub fn from_json(text: &str) -> Result<Prices, PricesError> {
        let file: PricesFile = serde_json::from_str(text).map_err(PricesError::Json)?;
        Prices::try_from(file)
    }

    /// The longest family that `model` belongs to.
    pub fn family_of(&self, model: &str) -> Option<&str> {
        let model = without_context_suffix(model);
        self.models
            .iter()
            .filter(|p| family_matches(&p.family, model))
            .map(|p| p.family.as_str())
            .max_by_key(|f| f.len())
    }

    /// The newest row of the family `model` belongs to.
    pub fn for_model(&self, model: &str) -> Option<&ModelPrice> {
        let family = self.family_of(model)?;
        self.rows(family).max_by_key(|p| p.from)
    }

    /// The row of `model`'s family in force on `day`; without a day, the
    /// family's only row (a family whose rates changed cannot be priced
    /// without knowing when the call was made).
    pub fn for_model_on(
        &self,
        model: &str,
        day: Option<NaiveDate>,
    ) -> Result<&ModelPrice, Unpriced> {
        let family = self
            .family_of(model)
            .ok_or_else(|| Unpriced::UnknownModel(model.to_owned()))?;
        let Some(day) = day else {
            let mut rows = self.rows(family);
            return match (rows.next(), rows.next()) {
                (Some(only), None) => Ok(only),
                _ => Err(Unpriced::NoCallDay(family.to_owned())),
            };
        };
        self.rows(family)
            .filter(|p| p.from.is_none_or(|from| from <= day))
            .max_by_key(|p| p.from)
            .ok_or_else(|| Unpriced::NotYet {
                family: family.to_owned(),
                day,
            })
    }

    fn rows<'a>(&'a self, family: &'a str) -> impl Iterator<Item = &'a ModelPrice> + 'a {
        self.models.iter().filter(move |p| p.family == family)
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
            if self.models[..i]
                .iter()
                .any(|q| q.family == p.family && q.from == p.from)
            {
                return invalid(match p.from {
                    Some(day) => format!("family {:?} is listed twice from {day}", p.family),
                    None => format!(
                        "family {:?} is listed twice without a \"from\" day",
                        p.family
                    ),
                });
            }
            let named = |part: &str, (name, rate): (&str, f64)| {
                invalid(format!("{:?}: {part}{name} is {rate}", p.family))
            };
            if let Some(bad) = p.rates().invalid_rate() {
                return named("", bad);
            }
            if let Some(bad) = p.fast.and_then(|r| r.invalid_rate()) {
                return named("fast ", bad);
            }
            if let Some(long) = &p.long_prompt {
                if long.over == 0 {
                    return invalid(format!("{:?}: long_prompt over 0 tokens", p.family));
                }
                if let Some(bad) = long.rates.invalid_rate() {
                    return named("long_prompt ", bad);
                }
            }
            if let Some(m) = p.us_only_multiplier.filter(|m| !valid_rate(*m)) {
                return named("", ("us_only_multiplier", m));
            }
        }
        Ok(())
    }
}

fn valid_rate(rate: f64) -> bool {
    rate.is_finite() && rate >= 0.0
}

/// `claude-opus-5-5[1m]` names the 1M-context variant of `claude-opus-5-5`,
/// billed at the same rates: the suffix is a client setting, not a model.
fn without_context_suffix(model: &str) -> &str {
    match model.find('[') {
        Some(at) if model.ends_with(']') => &model[..at],
        _ => model,
    }
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
    // A version is a short number, whatever follows it (`5[1m`, `6-x`).
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let minor_version = digits > 0 && digits <= 2 && &rest[..digits] != "0";
    !minor_version
}

/// A row's `from` day, written `YYYY-MM-DD`, with an error that says so.
mod day {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match day {
            Some(day) => s.collect_str(&day.format("%Y-%m-%d")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "\"from\" is {text:?}, not a day written YYYY-MM-DD"
                ))
            })
    }
}

#[cfg(test)]
mod tests;
