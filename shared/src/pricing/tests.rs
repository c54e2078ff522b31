use super::*;
use crate::anthropic::usage::{InferenceGeo, Speed};
use crate::test_support::usage;
use crate::{FlowSummary, Timestamp, Usage};

fn family(prices: &Prices, model: &str) -> Option<String> {
    prices.for_model(model).map(|p| p.family.clone())
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// A call made at noon UTC on `day` (`YYYY-MM-DD`).
fn at(day: &str) -> Option<Timestamp> {
    let t = chrono::DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z")).unwrap();
    Some(Timestamp(t.with_timezone(&chrono::Utc)))
}

/// The cost of a call made on the day the built-in table was read.
fn usd(p: &Prices, model: Option<&str>, u: &Usage) -> Option<f64> {
    p.cost(model, at("2026-12-01"), u).ok().map(|c| c.usd)
}

#[test]
fn the_builtin_file_parses_and_says_what_it_is() {
    let p = Prices::builtin();
    assert!(!p.version.is_empty());
    assert!(
        p.notes.iter().any(|n| n.contains("200k")),
        "the notes name what is not modelled"
    );
    assert!(
        p.notes.iter().any(|n| n.contains("Code execution")),
        "and what one response cannot price"
    );
    assert_eq!(p.models.len(), 24);
    assert!(
        p.models
            .iter()
            .all(|m| m.source.as_deref().is_some_and(|s| s.contains("read 20"))),
        "every row says where and when it was read"
    );
}

#[test]
fn the_longest_family_wins() {
    let p = Prices::builtin();
    let cases = [
        ("claude-opus-4-5-20251101", Some("claude-opus-4-5")),
        ("claude-opus-4-5", Some("claude-opus-4-5")),
        ("claude-opus-4-1-20250805", Some("claude-opus-4-1")),
        ("claude-opus-4-20250514", Some("claude-opus-4")),
        ("claude-opus-4-0", Some("claude-opus-4")),
        ("claude-sonnet-4-0", Some("claude-sonnet-4")),
        ("claude-3-opus-20240229", Some("claude-3-opus")),
        ("claude-sonnet-4-5-20250929", Some("claude-sonnet-4-5")),
        ("claude-sonnet-4-20250514", Some("claude-sonnet-4")),
        ("claude-3-7-sonnet-20250219", Some("claude-3-7-sonnet")),
        ("claude-3-7-sonnet-latest", Some("claude-3-7-sonnet")),
        ("claude-haiku-4-5", Some("claude-haiku-4-5")),
        ("claude-haiku-4-5-20251001", Some("claude-haiku-4-5")),
        ("claude-3-5-haiku-20241022", Some("claude-3-5-haiku")),
        ("claude-3-haiku-20240307", Some("claude-3-haiku")),
        ("claude-opus-4-1@20250805", Some("claude-opus-4-1")),
    ];
    for (model, want) in cases {
        assert_eq!(family(&p, model).as_deref(), want, "{model}");
    }
}

#[test]
fn a_model_outside_every_family_has_no_price() {
    let p = Prices::builtin();
    for model in [
        "claude-opus-4-9",     // a newer minor version, not Opus 4
        "claude-sonnet-4-7-x", // likewise
        "claude-opus-45",      // no boundary after the family
        "claude-3-5-sonnet-20241022",
        "gpt-4o",
        "",
    ] {
        assert_eq!(family(&p, model), None, "{model}");
        assert_eq!(usd(&p, Some(model), &usage(1, 1, 0, 0)), None, "{model}");
    }
    assert_eq!(usd(&p, None, &usage(1, 1, 0, 0)), None);
}

#[test]
fn cost_adds_each_kind_of_token_at_its_rate() {
    let p = Prices::builtin();
    // Sonnet 4.5: 3 / 15 / 3.75 / 0.30 per MTok.
    let u = usage(100_000, 100_000, 50_000, 20_000);
    let want = 0.3 + 1.5 + 0.05 * 0.30 + 0.02 * 3.75;
    assert!(close(usd(&p, Some("claude-sonnet-4-5-20250929"), &u), want));
    // Opus 4.5 is not priced as Opus 4.
    let u = usage(1_000_000, 1_000_000, 1_000_000, 1_000_000);
    assert!(close(
        usd(&p, Some("claude-opus-4-5-20251101"), &u),
        5.0 + 25.0 + 0.5 + 6.25
    ));
    assert!(close(
        usd(&p, Some("claude-opus-4-20250514"), &u),
        15.0 + 75.0 + 1.5 + 18.75
    ));
    assert!(close(
        usd(&p, Some("claude-3-haiku-20240307"), &u),
        0.25 + 1.25 + 0.03 + 0.30
    ));
    assert!(close(
        usd(&p, Some("claude-haiku-4-5"), &usage(0, 0, 0, 0)),
        0.0
    ));
}

#[test]
fn one_hour_cache_writes_and_web_searches_have_their_own_rates() {
    let p = Prices::builtin();
    let u = Usage {
        cache_creation_1h_input_tokens: 50_000,
        web_search_requests: 3,
        ..usage(0, 0, 0, 150_000)
    };
    // 100k 5-minute writes at 3.75, 50k 1-hour writes at 6, 3 searches at $10/1000.
    assert!(close(
        usd(&p, Some("claude-sonnet-4-5-20250929"), &u),
        0.375 + 0.3 + 0.03
    ));
}

#[test]
fn a_rate_the_file_lacks_makes_the_cost_unknown() {
    let p = Prices::from_json(
        r#"{"version":"1","source":"t","models":[
            {"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1,"max_input_tokens":100}]}"#,
    )
    .unwrap();
    assert!(close(usd(&p, Some("m"), &usage(50, 10, 25, 25)), 110e-6));
    assert_eq!(
        usd(&p, Some("m"), &usage(50, 0, 26, 25)),
        None,
        "over the limit"
    );
    let u = Usage {
        cache_creation_1h_input_tokens: 1,
        ..usage(0, 0, 0, 1)
    };
    assert_eq!(usd(&p, Some("m"), &u), None, "no 1-hour rate");
    let u = Usage {
        web_search_requests: 1,
        ..usage(1, 0, 0, 0)
    };
    assert_eq!(usd(&p, Some("m"), &u), None, "no search rate");
}

#[test]
fn sonnet_long_context_calls_are_not_priced_at_the_standard_rate() {
    let p = Prices::builtin();
    let model = Some("claude-sonnet-4-5-20250929");
    assert!(usd(&p, model, &usage(1000, 0, 199_000, 0)).is_some());
    assert_eq!(usd(&p, model, &usage(1001, 0, 199_000, 0)), None);
}

#[test]
fn an_override_file_replaces_the_list() {
    let p = Prices::from_json(
        r#"{"version":"2030-01-01","source":"mine","models":[
            {"family":"claude-sonnet-4-5","input":10,"output":0,"cache_write":0,"cache_read":0},
            {"family":"my-model","input":1,"output":2,"cache_write":0,"cache_read":0}]}"#,
    )
    .unwrap();
    assert!(close(
        usd(
            &p,
            Some("claude-sonnet-4-5-20250929"),
            &usage(1_000_000, 0, 0, 0)
        ),
        10.0
    ));
    assert!(close(
        usd(&p, Some("my-model"), &usage(0, 1_000_000, 0, 0)),
        2.0
    ));
    assert_eq!(p.for_model("claude-haiku-4-5"), None);
}

#[test]
fn a_malformed_file_is_a_clear_error() {
    let cases = [
        ("{", "not a prices file"),
        (r#"{"version":"1","source":"s"}"#, "missing field `models`"),
        (
            r#"{"version":"1","source":"s","models":[]}"#,
            "lists no model",
        ),
        (
            r#"{"version":"","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1}]}"#,
            "\"version\" is empty",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":"1","output":1,"cache_write":1,"cache_read":1}]}"#,
            "invalid type",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_reed":1}]}"#,
            "unknown field `cache_reed`",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":-1,"output":1,"cache_write":1,"cache_read":1}]}"#,
            "\"m\": input is -1",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":" ","input":1,"output":1,"cache_write":1,"cache_read":1}]}"#,
            "model 1 has an empty family",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1},{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1}]}"#,
            "listed twice",
        ),
        (
            r#"{"version":"1","source":"s","web_search_per_1000":-2,"models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1}]}"#,
            "web_search_per_1000 is -2",
        ),
    ];
    for (text, says) in cases {
        let err = Prices::from_json(text).unwrap_err().to_string();
        assert!(err.contains(says), "{text}: {err:?} should say {says:?}");
    }
}

#[test]
fn a_price_list_deserialized_from_anywhere_is_a_checked_one() {
    // The web API hands the browser a `Prices` by serde, not by from_json:
    // an invalid list must not slip in that way either.
    let bad = r#"{"version":"1","source":"s","models":[]}"#;
    let err = serde_json::from_str::<Prices>(bad).unwrap_err().to_string();
    assert!(err.contains("lists no model"), "{err}");
    let builtin = Prices::builtin();
    let round_trip: Prices =
        serde_json::from_value(serde_json::to_value(&builtin).unwrap()).unwrap();
    assert_eq!(round_trip, builtin);
}

#[test]
fn todays_models_are_priced_and_those_without_rates_on_a_page_are_not() {
    let p = Prices::builtin();
    // Opus 5.5, Claude Code's default: 4 / 20 / 5 / 8 / 0.20 per MTok.
    let u = Usage {
        cache_creation_1h_input_tokens: 100_000,
        ..usage(1_000_000, 100_000, 200_000, 1_000_000)
    };
    // 1M input, 100k output, 200k cache reads, 900k 5-minute and 100k 1-hour writes.
    let want = 4.0 + 2.0 + 0.04 + 4.5 + 0.8;
    let got = usd(&p, Some("claude-opus-5-5"), &u).unwrap();
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
    // Haiku 5.5 at its short-prompt rates.
    let short = usd(&p, Some("claude-haiku-5-5"), &usage(90_000, 1_000, 0, 0)).unwrap();
    assert!((short - (0.009 + 0.0005)).abs() < 1e-12, "{short}");
    for model in ["claude-fable-5-2", "claude-mythos-5-2"] {
        assert_eq!(family(&p, model), None, "{model}");
        assert_eq!(
            p.cost(Some(model), at("2026-12-01"), &usage(1, 1, 0, 0)),
            Err(Unpriced::UnknownModel(model.into()))
        );
    }
}

// The rules of 2026, each checked against figures worked out by hand from
// the pricing page's rates (USD per million tokens).

fn priced(p: &Prices, model: &str, day: &str, u: &Usage) -> Cost {
    p.cost(Some(model), at(day), u)
        .unwrap_or_else(|why| panic!("{model} on {day}: {why}"))
}

fn assert_usd(cost: &Cost, want: f64) {
    assert!((cost.usd - want).abs() < 1e-9, "{} != {want}", cost.usd);
}

#[test]
fn a_call_is_priced_at_the_row_in_force_on_its_own_day() {
    let p = Prices::builtin();
    // Sonnet 5.5: 1M cache reads at $0.20 until 2026-10-06, $0.10 from 2026-10-07.
    let u = usage(0, 0, 1_000_000, 0);
    let september = priced(&p, "claude-sonnet-5-5", "2026-09-30", &u);
    assert_usd(&september, 0.20);
    assert_eq!(september.basis.from, None);
    assert_usd(&priced(&p, "claude-sonnet-5-5", "2026-10-06", &u), 0.20);
    let cut = priced(&p, "claude-sonnet-5-5", "2026-10-07", &u);
    assert_usd(&cut, 0.10);
    assert_eq!(cut.basis.from, NaiveDate::from_ymd_opt(2026, 10, 7));
    // The day starts at midnight UTC.
    let midnight = chrono::DateTime::parse_from_rfc3339("2026-10-07T00:00:00Z").unwrap();
    let first = Some(Timestamp(midnight.with_timezone(&chrono::Utc)));
    assert_usd(&p.cost(Some("claude-sonnet-5-5"), first, &u).unwrap(), 0.10);
    let before = Some(Timestamp(
        (midnight - chrono::Duration::microseconds(1)).with_timezone(&chrono::Utc),
    ));
    assert_usd(
        &p.cost(Some("claude-sonnet-5-5"), before, &u).unwrap(),
        0.20,
    );
    // Other tokens did not change: 1M input $2, 1M output $10.
    assert_usd(
        &priced(
            &p,
            "claude-sonnet-5-5",
            "2026-11-01",
            &usage(1_000_000, 1_000_000, 0, 0),
        ),
        12.0,
    );
}

#[test]
fn without_the_call_day_only_a_family_that_never_changed_is_priced() {
    let p = Prices::builtin();
    let u = usage(1_000_000, 0, 0, 0);
    assert_eq!(
        p.cost(Some("claude-sonnet-5-5"), None, &u),
        Err(Unpriced::NoCallDay("claude-sonnet-5-5".into()))
    );
    assert!(close(
        p.cost(Some("claude-opus-5-5"), None, &u)
            .ok()
            .map(|c| c.usd),
        4.0
    ));
}

#[test]
fn a_call_before_a_familys_first_row_has_no_price() {
    let p = Prices::from_json(
        r#"{"version":"1","source":"t","models":[
            {"family":"m","from":"2026-03-01","input":1,"output":1,"cache_write":1,"cache_read":1},
            {"family":"m","from":"2026-06-01","input":2,"output":1,"cache_write":1,"cache_read":1}]}"#,
    )
    .unwrap();
    let u = usage(1_000_000, 0, 0, 0);
    assert_eq!(
        p.cost(Some("m"), at("2026-02-28"), &u).map(|c| c.usd),
        Err(Unpriced::NotYet {
            family: "m".into(),
            day: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        })
    );
    assert_usd(&priced(&p, "m", "2026-03-01", &u), 1.0);
    assert_usd(&priced(&p, "m", "2026-05-31", &u), 1.0);
    assert_usd(&priced(&p, "m", "2026-06-01", &u), 2.0);
    assert_eq!(
        p.for_model("m").and_then(|r| r.from),
        NaiveDate::from_ymd_opt(2026, 6, 1)
    );
}

#[test]
fn haiku_5_5_prices_a_whole_request_by_its_prompt_length() {
    let p = Prices::builtin();
    // Exactly 100,000 prompt tokens (40k input + 50k cache reads + 10k
    // writes) is "up to 100,000": the low band.
    // 40k × 0.10 + 50k × 0.01 + 10k × 0.125 + 2k output × 0.50
    // = 0.004 + 0.0005 + 0.00125 + 0.001 = 0.00675
    let low = priced(
        &p,
        "claude-haiku-5-5",
        "2026-11-15",
        &usage(40_000, 2_000, 50_000, 10_000),
    );
    assert_usd(&low, 0.00675);
    assert_eq!(low.basis.band, Band::Standard);
    // One token more and every token, output included, is at the high band:
    // 40,001 × 0.50 + 50k × 0.05 + 10k × 0.625 + 2k × 2.50
    // = 0.0200005 + 0.0025 + 0.00625 + 0.005 = 0.0337505
    let high = priced(
        &p,
        "claude-haiku-5-5",
        "2026-11-15",
        &usage(40_001, 2_000, 50_000, 10_000),
    );
    assert_usd(&high, 0.0337505);
    assert_eq!(high.basis.band, Band::LongPrompt { over: 100_000 });
    assert_eq!(
        high.basis.describe(),
        "claude-haiku-5-5 rates · prompt over 100000 tokens"
    );
}

#[test]
fn one_hour_writes_are_priced_at_the_bands_one_hour_rate() {
    let p = Prices::builtin();
    // Haiku 5.5, 200k writes of which 150k 1-hour: high band.
    // 50k × 0.625 + 150k × 1.00 = 0.03125 + 0.15 = 0.18125
    let u = Usage {
        cache_creation_1h_input_tokens: 150_000,
        ..usage(0, 0, 0, 200_000)
    };
    assert_usd(&priced(&p, "claude-haiku-5-5", "2026-11-15", &u), 0.18125);
    // Opus 5.5: 1M 1-hour writes at $8, not the 5-minute $5.
    let u = Usage {
        cache_creation_1h_input_tokens: 1_000_000,
        ..usage(0, 0, 0, 1_000_000)
    };
    assert_usd(&priced(&p, "claude-opus-5-5", "2026-11-15", &u), 8.0);
}

#[test]
fn cache_reads_are_priced_at_each_models_own_multiplier() {
    let p = Prices::builtin();
    // 100k cache reads (exactly Haiku 5.5's low band).
    let u = usage(0, 0, 100_000, 0);
    for (model, want) in [
        ("claude-opus-5-5", 0.02),   // 0.05 × $4
        ("claude-fable-5-1", 0.025), // 0.025 × $10
        ("claude-fable-5", 0.1),     // 0.1 × $10
        ("claude-opus-5", 0.05),     // 0.1 × $5
        ("claude-haiku-5-5", 0.001), // 0.1 × $0.10
    ] {
        assert_usd(&priced(&p, model, "2026-12-01", &u), want);
    }
}

#[test]
fn fast_mode_is_priced_at_the_models_fast_rates_with_its_cache_multipliers() {
    let p = Prices::builtin();
    let u = Usage {
        speed: Some(Speed::Fast),
        ..usage(10_000, 2_000, 100_000, 1_000)
    };
    // Opus 5.5 fast, $8 / $40, cache read 0.05 × 8 = 0.40, 5m write 1.25 × 8 = 10:
    // 10k × 8 + 2k × 40 + 100k × 0.40 + 1k × 10 = 0.08 + 0.08 + 0.04 + 0.01
    let fast = priced(&p, "claude-opus-5-5", "2026-11-20", &u);
    assert_usd(&fast, 0.21);
    assert_eq!(fast.basis.band, Band::Fast);
    assert_eq!(fast.basis.describe(), "claude-opus-5-5 rates · fast mode");
    // Opus 5 fast, $10 / $50, cache read $1, 5m write $12.50:
    // 0.1 + 0.1 + 0.1 + 0.0125
    assert_usd(&priced(&p, "claude-opus-5", "2026-11-20", &u), 0.3125);
    // The same call at standard speed: 10k × 4 + 2k × 20 + 100k × 0.20 + 1k × 5.
    let standard = Usage {
        speed: Some(Speed::Standard),
        ..u.clone()
    };
    assert_usd(
        &priced(&p, "claude-opus-5-5", "2026-11-20", &standard),
        0.105,
    );
}

#[test]
fn a_fast_call_without_a_known_fast_rate_has_no_price() {
    let p = Prices::builtin();
    let fast = Usage {
        speed: Some(Speed::Fast),
        ..usage(1, 1, 0, 0)
    };
    for model in ["claude-opus-4-7", "claude-sonnet-5-5", "claude-haiku-5-5"] {
        let family = p.family_of(model).unwrap().to_owned();
        assert_eq!(
            p.cost(Some(model), at("2026-12-01"), &fast),
            Err(Unpriced::NoFastRate(family)),
            "{model}"
        );
    }
    let odd = Usage {
        speed: Some(Speed::Other("turbo".into())),
        ..usage(1, 1, 0, 0)
    };
    let why = p
        .cost(Some("claude-opus-5-5"), at("2026-12-01"), &odd)
        .unwrap_err();
    assert_eq!(
        why.to_string(),
        "unknown speed \"turbo\" on claude-opus-5-5"
    );
}

#[test]
fn us_only_inference_multiplies_every_token_rate_by_1_1() {
    let p = Prices::builtin();
    let u = Usage {
        inference_geo: Some(InferenceGeo::Us),
        cache_creation_1h_input_tokens: 100_000,
        web_search_requests: 2,
        ..usage(1_000_000, 100_000, 1_000_000, 200_000)
    };
    // Sonnet 5.5 after the cut: 1M × 2 + 100k × 10 + 1M × 0.10 + 100k × 2.50
    // + 100k × 4 = 2 + 1 + 0.1 + 0.25 + 0.4 = 3.75; × 1.1 = 4.125; the two
    // searches ($0.02) are not tokens and are not multiplied.
    let us = priced(&p, "claude-sonnet-5-5", "2026-11-02", &u);
    assert_usd(&us, 4.145);
    assert_eq!(us.basis.multiplier, 1.1);
    assert_eq!(
        us.basis.describe(),
        "claude-sonnet-5-5 rates from 2026-10-07 · US-only ×1.1 · web search $0.0200"
    );
    // It stacks on fast mode: Opus 5.5 fast, 1M input × 8 × 1.1.
    let fast_us = Usage {
        speed: Some(Speed::Fast),
        inference_geo: Some(InferenceGeo::Us),
        ..usage(1_000_000, 0, 0, 0)
    };
    assert_usd(&priced(&p, "claude-opus-5-5", "2026-11-02", &fast_us), 8.8);
    // Global routing is the standard price.
    let global = Usage {
        inference_geo: Some(InferenceGeo::Global),
        ..usage(1_000_000, 0, 0, 0)
    };
    assert_usd(&priced(&p, "claude-opus-5-5", "2026-11-02", &global), 4.0);
    // Models before 4.6 have no US-only price (the API refuses the parameter).
    let old = Usage {
        inference_geo: Some(InferenceGeo::Us),
        ..usage(1, 0, 0, 0)
    };
    assert_eq!(
        p.cost(Some("claude-opus-4-5"), at("2026-11-02"), &old),
        Err(Unpriced::NoUsOnlyRate("claude-opus-4-5".into()))
    );
}

#[test]
fn web_searches_cost_10_dollars_per_1000_and_fetches_nothing() {
    let p = Prices::builtin();
    let u = Usage {
        web_search_requests: 3,
        web_fetch_requests: 7,
        ..usage(0, 0, 0, 0)
    };
    let c = priced(&p, "claude-opus-5-5", "2026-12-01", &u);
    assert_usd(&c, 0.03);
    assert!((c.basis.web_search_usd - 0.03).abs() < 1e-12);
}

#[test]
fn context_suffixes_and_dated_ids_match_their_family_and_newer_versions_do_not() {
    let p = Prices::builtin();
    for (model, want) in [
        ("claude-opus-5-5[1m]", Some("claude-opus-5-5")),
        ("claude-sonnet-5-5[1m]", Some("claude-sonnet-5-5")),
        ("claude-opus-5-5-20260922", Some("claude-opus-5-5")),
        ("claude-opus-5", Some("claude-opus-5")),
        ("claude-opus-5-6", None),
        ("claude-sonnet-5-6[1m]", None),
        ("claude-haiku-5-6", None),
        ("claude-opus-5-5[1m", None),
    ] {
        assert_eq!(family(&p, model).as_deref(), want, "{model}");
    }
    assert_usd(
        &priced(
            &p,
            "claude-opus-5-5[1m]",
            "2026-12-01",
            &usage(1_000_000, 0, 0, 0),
        ),
        4.0,
    );
}

#[test]
fn a_flows_cost_is_taken_on_the_day_it_started() {
    let p = Prices::builtin();
    let mut flow = FlowSummary::new(crate::FlowId("f".into()), 1);
    flow.model = Some("claude-sonnet-5-5".into());
    assert_eq!(p.flow_cost(&flow), None, "no usage, nothing billed");
    flow.usage = Some(usage(0, 0, 1_000_000, 0));
    flow.started = at("2026-10-01");
    assert!(close(
        p.flow_cost(&flow).and_then(Result::ok).map(|c| c.usd),
        0.20
    ));
    flow.started = at("2026-10-08");
    assert!(close(
        p.flow_cost(&flow).and_then(Result::ok).map(|c| c.usd),
        0.10
    ));
    flow.model = None;
    assert_eq!(p.flow_cost(&flow), Some(Err(Unpriced::NoModel)));
}

#[test]
fn dated_rows_are_checked_when_the_file_is_read() {
    let row = |from: &str| {
        format!(r#"{{"family":"m",{from}"input":1,"output":1,"cache_write":1,"cache_read":1}}"#)
    };
    let file = |rows: &[String]| {
        format!(
            r#"{{"version":"1","source":"s","models":[{}]}}"#,
            rows.join(",")
        )
    };
    let two_days = file(&[row(""), row(r#""from":"2026-10-07","#)]);
    assert_eq!(Prices::from_json(&two_days).unwrap().models.len(), 2);
    let cases = [
        (
            file(&[row(r#""from":"2026-10-07","#), row(r#""from":"2026-10-07","#)]),
            "family \"m\" is listed twice from 2026-10-07",
        ),
        (
            file(&[row(""), row("")]),
            "family \"m\" is listed twice without a \"from\" day",
        ),
        (
            file(&[row(r#""from":"2026-13-01","#)]),
            "\"from\" is \"2026-13-01\", not a day written YYYY-MM-DD",
        ),
        (
            file(&[row(r#""from":"7 Oct 2026","#)]),
            "not a day written YYYY-MM-DD",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1,
                "fast":{"input":-8,"output":1,"cache_write":1,"cache_read":1}}]}"#.to_owned(),
            "\"m\": fast input is -8",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1,
                "long_prompt":{"over":0,"rates":{"input":1,"output":1,"cache_write":1,"cache_read":1}}}]}"#.to_owned(),
            "long_prompt over 0 tokens",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1,
                "us_only_multiplier":-1.1}]}"#.to_owned(),
            "us_only_multiplier is -1.1",
        ),
        (
            r#"{"version":"1","source":"s","models":[{"family":"m","input":1,"output":1,"cache_write":1,"cache_read":1,
                "fast":{"input":1,"output":1,"cache_write":1,"cache_reed":1}}]}"#.to_owned(),
            "unknown field `cache_reed`",
        ),
    ];
    for (text, says) in cases {
        let err = Prices::from_json(&text).unwrap_err().to_string();
        assert!(err.contains(says), "{text}: {err:?} should say {says:?}");
    }
}

#[test]
fn every_reason_for_no_price_reads_as_a_sentence() {
    let cases = [
        (Unpriced::NoModel, "the call names no model"),
        (
            Unpriced::UnknownModel("claude-x".into()),
            "the price table has no row for claude-x",
        ),
        (
            Unpriced::NoFastRate("claude-opus-4-7".into()),
            "no fast mode price for claude-opus-4-7",
        ),
        (
            Unpriced::LongContext {
                family: "claude-sonnet-4-5".into(),
                max: 200_000,
            },
            "no price for claude-sonnet-4-5 prompts over 200000 tokens",
        ),
    ];
    for (why, says) in cases {
        assert_eq!(why.to_string(), says);
    }
}
