use super::*;
use crate::test_support::usage;

fn family(prices: &Prices, model: &str) -> Option<String> {
    prices.for_model(model).map(|p| p.family.clone())
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn the_builtin_file_parses_and_says_what_it_is() {
    let p = Prices::builtin();
    assert!(!p.version.is_empty());
    assert!(
        p.source.contains("200k"),
        "the note names what is not modelled"
    );
    assert_eq!(p.models.len(), 22);
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
        assert_eq!(p.cost(Some(model), &usage(1, 1, 0, 0)), None, "{model}");
    }
    assert_eq!(p.cost(None, &usage(1, 1, 0, 0)), None);
}

#[test]
fn cost_adds_each_kind_of_token_at_its_rate() {
    let p = Prices::builtin();
    // Sonnet 4.5: 3 / 15 / 3.75 / 0.30 per MTok.
    let u = usage(100_000, 100_000, 50_000, 20_000);
    let want = 0.3 + 1.5 + 0.05 * 0.30 + 0.02 * 3.75;
    assert!(close(p.cost(Some("claude-sonnet-4-5-20250929"), &u), want));
    // Opus 4.5 is not priced as Opus 4.
    let u = usage(1_000_000, 1_000_000, 1_000_000, 1_000_000);
    assert!(close(
        p.cost(Some("claude-opus-4-5-20251101"), &u),
        5.0 + 25.0 + 0.5 + 6.25
    ));
    assert!(close(
        p.cost(Some("claude-opus-4-20250514"), &u),
        15.0 + 75.0 + 1.5 + 18.75
    ));
    assert!(close(
        p.cost(Some("claude-3-haiku-20240307"), &u),
        0.25 + 1.25 + 0.03 + 0.30
    ));
    assert!(close(
        p.cost(Some("claude-haiku-4-5"), &usage(0, 0, 0, 0)),
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
        p.cost(Some("claude-sonnet-4-5-20250929"), &u),
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
    assert!(close(p.cost(Some("m"), &usage(50, 10, 25, 25)), 110e-6));
    assert_eq!(
        p.cost(Some("m"), &usage(50, 0, 26, 25)),
        None,
        "over the limit"
    );
    let u = Usage {
        cache_creation_1h_input_tokens: 1,
        ..usage(0, 0, 0, 1)
    };
    assert_eq!(p.cost(Some("m"), &u), None, "no 1-hour rate");
    let u = Usage {
        web_search_requests: 1,
        ..usage(1, 0, 0, 0)
    };
    assert_eq!(p.cost(Some("m"), &u), None, "no search rate");
}

#[test]
fn sonnet_long_context_calls_are_not_priced_at_the_standard_rate() {
    let p = Prices::builtin();
    let model = Some("claude-sonnet-4-5-20250929");
    assert!(p.cost(model, &usage(1000, 0, 199_000, 0)).is_some());
    assert_eq!(p.cost(model, &usage(1001, 0, 199_000, 0)), None);
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
        p.cost(
            Some("claude-sonnet-4-5-20250929"),
            &usage(1_000_000, 0, 0, 0)
        ),
        10.0
    ));
    assert!(close(
        p.cost(Some("my-model"), &usage(0, 1_000_000, 0, 0)),
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
fn todays_models_are_priced_and_those_without_a_dated_rate_are_not() {
    let p = Prices::builtin();
    // Opus 5.5, Claude Code's default: 4 / 20 / 5 / 8 / 0.20 per MTok.
    let u = Usage {
        cache_creation_1h_input_tokens: 100_000,
        ..usage(1_000_000, 100_000, 200_000, 1_000_000)
    };
    // 1M input, 100k output, 200k cache reads, 900k 5-minute and 100k 1-hour writes.
    let want = 4.0 + 2.0 + 0.04 + 4.5 + 0.8;
    let got = p.cost(Some("claude-opus-5-5"), &u).unwrap();
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
    // Haiku 5.5 at its short-prompt rates; past 100k a request is priced
    // differently, so it has no price here rather than a wrong one.
    let short = p
        .cost(Some("claude-haiku-5-5"), &usage(90_000, 1_000, 0, 0))
        .unwrap();
    assert!((short - (0.009 + 0.0005)).abs() < 1e-12, "{short}");
    assert_eq!(
        p.cost(Some("claude-haiku-5-5"), &usage(90_000, 1, 20_000, 0)),
        None
    );
    for model in ["claude-sonnet-5-5", "claude-fable-5-2", "claude-mythos-5-2"] {
        assert_eq!(family(&p, model), None, "{model}");
    }
}
