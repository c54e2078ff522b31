use serde_json::json;

use super::*;
use crate::{FlowId, Usage};

fn flow(path: &str, model: Option<&str>, usage: Option<Usage>, state: FlowState) -> FlowSummary {
    let mut f = FlowSummary::new(FlowId("f".into()), 1);
    f.method = "POST".into();
    f.path = path.into();
    f.model = model.map(str::to_owned);
    f.usage = usage;
    f.state = state;
    f
}

fn call(model: &str, input: u64, output: u64, read: u64, write: u64) -> FlowSummary {
    let usage = Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_input_tokens: read,
        cache_creation_input_tokens: write,
        ..Usage::default()
    };
    flow(
        "/v1/messages?beta=true",
        Some(model),
        Some(usage),
        FlowState::Complete,
    )
}

const OPUS: &str = "claude-opus-4-5-20251101";
const HAIKU: &str = "claude-haiku-4-5-20251001";

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn sums_tokens_and_cost_per_model_and_in_total() {
    let flows = [
        call(OPUS, 1_000_000, 0, 0, 0),
        call(OPUS, 0, 1_000_000, 2_000_000, 1_000_000),
        call(HAIKU, 1_000_000, 1_000_000, 0, 0),
    ];
    let t = Totals::from_flows(&flows, &Prices::builtin());
    let opus = &t.models[OPUS];
    assert_eq!(
        (
            opus.requests,
            opus.input_tokens,
            opus.output_tokens,
            opus.cache_read_input_tokens,
            opus.cache_creation_input_tokens
        ),
        (2, 1_000_000, 1_000_000, 2_000_000, 1_000_000)
    );
    assert!(close(opus.cost_usd, 5.0 + 25.0 + 1.0 + 6.25));
    assert!(close(t.models[HAIKU].cost_usd, 6.0));
    assert_eq!(t.total.requests, 3);
    assert_eq!(t.total.input_tokens, 2_000_000);
    assert!(close(t.total.cost_usd, 37.25 + 6.0));
    assert_eq!(t.total.unpriced_requests, 0);
    assert_eq!(t.models.len(), 2);
}

#[test]
fn one_unpriced_call_makes_the_cost_unknown_not_partial() {
    let flows = [
        call(OPUS, 1_000_000, 0, 0, 0),
        call("claude-opus-9", 5, 5, 0, 0),
        // No model at all, but usage: cannot be priced either.
        flow(
            "/v1/messages",
            None,
            Some(Usage::default()),
            FlowState::Complete,
        ),
    ];
    let t = Totals::from_flows(&flows, &Prices::builtin());
    assert!(close(t.models[OPUS].cost_usd, 5.0));
    assert_eq!(t.models["claude-opus-9"].cost_usd, None);
    assert_eq!(t.models[UNKNOWN_MODEL].cost_usd, None);
    assert_eq!(t.total.cost_usd, None);
    assert!((t.total.priced_cost_usd - 5.0).abs() < 1e-9);
    assert_eq!(t.total.unpriced_requests, 2);
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["total"]["cost_usd"], json!(null));
    // The unpriced models are named, with why.
    assert_eq!(
        t.unpriced_models,
        BTreeMap::from([
            (
                UNKNOWN_MODEL.to_owned(),
                "the call names no model".to_owned()
            ),
            (
                "claude-opus-9".to_owned(),
                "the price table has no row for claude-opus-9".to_owned()
            ),
        ])
    );
    assert_eq!(
        json["unpriced_models"]["claude-opus-9"],
        "the price table has no row for claude-opus-9"
    );
}

#[test]
fn each_call_is_priced_on_its_own_day_and_unpriced_reasons_name_the_rule() {
    let day = |d: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(&format!("{d}T09:00:00Z")).unwrap();
        Some(crate::Timestamp(t.with_timezone(&chrono::Utc)))
    };
    let mut september = call("claude-sonnet-5-5", 0, 0, 1_000_000, 0);
    september.started = day("2026-09-30");
    let mut october = call("claude-sonnet-5-5", 0, 0, 1_000_000, 0);
    october.started = day("2026-10-07");
    let t = Totals::from_flows(&[september, october.clone()], &Prices::builtin());
    // $0.20 before the cut, $0.10 from 2026-10-07.
    assert!(close(t.total.cost_usd, 0.30));
    assert!(t.unpriced_models.is_empty());
    let mut fast = october;
    fast.usage.as_mut().unwrap().speed = Some(crate::Speed::Fast);
    let t = Totals::from_flows(&[fast], &Prices::builtin());
    assert_eq!(
        t.unpriced_models["claude-sonnet-5-5"],
        "no fast mode price for claude-sonnet-5-5"
    );
}

#[test]
fn a_call_that_failed_before_any_usage_costs_nothing_and_counts_as_an_error() {
    let flows = [
        call(OPUS, 1_000_000, 0, 0, 0),
        flow("/v1/messages", Some(OPUS), None, FlowState::Failed),
        flow(
            "/v1/messages",
            Some("claude-opus-9"),
            None,
            FlowState::Failed,
        ),
    ];
    let t = Totals::from_flows(&flows, &Prices::builtin());
    assert_eq!(t.models[OPUS].requests, 2);
    assert_eq!(t.models[OPUS].errors, 1);
    assert!(close(t.total.cost_usd, 5.0));
    assert_eq!(t.total.errors, 2);
}

#[test]
fn only_messages_calls_count() {
    let flows = [
        call(OPUS, 10, 10, 0, 0),
        flow(
            "/v1/messages/count_tokens?beta=true",
            Some(OPUS),
            None,
            FlowState::Complete,
        ),
        flow("/", None, None, FlowState::Complete),
    ];
    let t = Totals::from_flows(&flows, &Prices::builtin());
    assert_eq!((t.total.requests, t.other_requests), (1, 2));
    assert_eq!(t.models.len(), 1);
}

#[test]
fn cache_hit_ratio_is_reads_over_all_prompt_tokens() {
    let t = Totals::from_flows(&[call(OPUS, 10, 0, 60, 30)], &Prices::builtin());
    assert!(close(t.total.cache_hit_ratio, 0.6));
    let t = Totals::from_flows(&[call(OPUS, 0, 5, 0, 0)], &Prices::builtin());
    assert_eq!(t.total.cache_hit_ratio, None);
}

#[test]
fn percentiles_are_nearest_rank() {
    let values: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&values, 50.0), Some(50.0));
    assert_eq!(percentile(&values, 90.0), Some(90.0));
    assert_eq!(percentile(&values, 99.0), Some(99.0));
    let few = [1.0, 2.0, 3.0];
    assert_eq!(percentile(&few, 50.0), Some(2.0));
    assert_eq!(percentile(&few, 99.0), Some(3.0));
    assert_eq!(percentile(&few, 0.0), Some(1.0));
    assert_eq!(percentile(&[], 50.0), None);
}

#[test]
fn latency_percentiles_use_completed_calls_and_ttft_every_call_with_tokens() {
    let mut flows = Vec::new();
    for ms in [400.0, 100.0, 300.0, 200.0] {
        let mut f = call(OPUS, 1, 1, 0, 0);
        f.duration_ms = Some(ms);
        f.ttft_ms = Some(ms / 10.0);
        flows.push(f);
    }
    let mut failed = flow("/v1/messages", Some(OPUS), None, FlowState::Failed);
    // A failure's duration is not an answer's latency; its first token was real.
    failed.duration_ms = Some(10_000.0);
    failed.ttft_ms = Some(1_000.0);
    flows.push(failed);
    let t = Totals::from_flows(&flows, &Prices::builtin());
    let s = &t.models[OPUS];
    assert_eq!(
        (s.duration_ms_p50, s.duration_ms_p90, s.duration_ms_p99),
        (Some(200.0), Some(400.0), Some(400.0))
    );
    assert_eq!((s.ttft_ms_p50, s.ttft_ms_p90), (Some(30.0), Some(1_000.0)));
}

#[test]
fn serializes_as_the_stats_json_shape() {
    let t = Totals::from_flows(&[call(HAIKU, 1, 2, 3, 4)], &Prices::builtin());
    let json = serde_json::to_value(&t).unwrap();
    let model = &json["models"][HAIKU];
    for (key, want) in [
        ("requests", 1),
        ("input_tokens", 1),
        ("output_tokens", 2),
        ("cache_read_input_tokens", 3),
        ("cache_creation_input_tokens", 4),
    ] {
        assert_eq!(model[key], json!(want), "{key}");
        assert_eq!(json["total"][key], json!(want), "{key}");
    }
    assert!(model["cost_usd"].is_f64());
    assert_eq!(serde_json::from_value::<Totals>(json).unwrap(), t);
}
