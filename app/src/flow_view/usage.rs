//! Under the Response tab: what the call used and what it cost, read from
//! the flow's usage: tokens by kind (5-minute and 1-hour cache writes apart,
//! thinking tokens), how it ran (speed, service tier, inference region),
//! server tools, and how the cost was made (which price row, band and
//! multiplier) or why it has none.

use leptos::prelude::*;
use shared::{Cost, FlowSummary, Unpriced, Usage};

use crate::format::{cost, tokens};

#[component]
pub(super) fn UsageView(
    summary: FlowSummary,
    price: Option<Result<Cost, Unpriced>>,
) -> impl IntoView {
    let usage = summary.usage.as_ref()?;
    let facts = usage_facts(usage)
        .into_iter()
        .map(|(name, value)| {
            view! { <span data-usage=name><span class="label">{name}</span>" "{value}</span> }
        })
        .collect_view();
    let (text, basis) = price_line(usage, price.as_ref());
    Some(view! {
        <div class="usage-facts" data-role="usage">
            <p class="facts">{facts}</p>
            <p class="cost" data-role="cost">
                {text}{basis.map(|b| view! { <span class="basis" data-role="cost-basis">{format!(" · {b}")}</span> })}
            </p>
        </div>
    })
}

/// The usage's counts and tags a person reads, those the API sent only.
fn usage_facts(u: &Usage) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("input", tokens(Some(u.input_tokens))),
        ("output", tokens(Some(u.output_tokens))),
        ("cache read", tokens(Some(u.cache_read_input_tokens))),
    ];
    if u.cache_creation_input_tokens > 0 {
        facts.push(("cache write 5m", tokens(Some(u.cache_writes_5m()))));
        facts.push(("cache write 1h", tokens(Some(u.cache_writes_1h()))));
    }
    if let Some(n) = u.thinking_tokens {
        facts.push(("thinking", tokens(Some(n))));
    }
    if u.web_search_requests > 0 {
        facts.push(("web searches", u.web_search_requests.to_string()));
    }
    if u.web_fetch_requests > 0 {
        facts.push(("web fetches", u.web_fetch_requests.to_string()));
    }
    if let Some(n) = u.iterations {
        facts.push(("iterations", n.to_string()));
    }
    let tags = [
        ("speed", u.speed.as_ref().map(ToString::to_string)),
        ("tier", u.service_tier.as_ref().map(ToString::to_string)),
        ("geo", u.inference_geo.as_ref().map(ToString::to_string)),
    ];
    facts.extend(tags.into_iter().filter_map(|(k, v)| Some((k, v?))));
    facts
}

/// The cost as shown, and how it was made (or why there is none).
fn price_line(usage: &Usage, price: Option<&Result<Cost, Unpriced>>) -> (String, Option<String>) {
    match price {
        Some(Ok(c)) => (
            format!("cost {}", cost(Some(c.usd))),
            Some(c.basis.describe()),
        ),
        Some(Err(why)) => ("unknown price".to_owned(), Some(why.to_string())),
        None if usage.total_input_tokens() + usage.output_tokens > 0 => (
            "unknown price".to_owned(),
            Some("no price table".to_owned()),
        ),
        None => ("cost $0".to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use shared::{InferenceGeo, Prices, Speed};

    use super::*;

    #[test]
    fn todays_fields_are_shown_and_absent_ones_are_not() {
        let old = Usage {
            input_tokens: 10,
            output_tokens: 2,
            ..Usage::default()
        };
        let names: Vec<&str> = usage_facts(&old).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["input", "output", "cache read"]);
        let today = Usage {
            cache_creation_input_tokens: 5000,
            cache_creation_1h_input_tokens: 3000,
            thinking_tokens: Some(1200),
            web_search_requests: 2,
            web_fetch_requests: 1,
            speed: Some(Speed::Fast),
            inference_geo: Some(InferenceGeo::Us),
            ..old
        };
        let facts = usage_facts(&today);
        let get = |name: &str| {
            facts
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("cache write 5m"), Some("2,000"));
        assert_eq!(get("cache write 1h"), Some("3,000"));
        assert_eq!(get("thinking"), Some("1,200"));
        assert_eq!(get("web searches"), Some("2"));
        assert_eq!(get("web fetches"), Some("1"));
        assert_eq!(get("speed"), Some("fast"));
        assert_eq!(get("geo"), Some("us"));
        assert_eq!(get("tier"), None);
    }

    #[test]
    fn the_price_line_says_how_the_cost_was_made_or_why_there_is_none() {
        let prices = Prices::builtin();
        let fast = Usage {
            input_tokens: 1_000_000,
            speed: Some(Speed::Fast),
            inference_geo: Some(InferenceGeo::Us),
            ..Usage::default()
        };
        let priced = prices.cost(Some("claude-opus-5-5"), None, &fast);
        // $8 fast input × 1.1.
        assert_eq!(
            price_line(&fast, Some(&priced)),
            (
                "cost $8.80".to_owned(),
                Some("claude-opus-5-5 rates · fast mode · US-only ×1.1".to_owned())
            )
        );
        let unpriced = prices.cost(Some("claude-sonnet-5-5"), None, &fast);
        assert_eq!(
            price_line(&fast, Some(&unpriced)).1.as_deref(),
            Some("the price of claude-sonnet-5-5 changed and the call's day is unknown")
        );
        assert_eq!(
            price_line(&Usage::default(), None),
            ("cost $0".to_owned(), None)
        );
    }
}
