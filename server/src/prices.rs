//! The price table costs are estimated with: the built-in one, or the
//! user's `--prices FILE`, checked once at start so a bad file is a clear
//! error and not a page of unknown prices.

use std::path::Path;

use anyhow::Context;
use shared::Prices;

pub fn load(path: Option<&Path>) -> anyhow::Result<Prices> {
    let Some(path) = path else {
        return Ok(Prices::builtin());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the prices file {}", path.display()))?;
    Prices::from_json(&text)
        .with_context(|| format!("{} is not a usable prices file", path.display()))
}
