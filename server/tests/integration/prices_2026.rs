//! `trace_claude stats` on session logs of today's models, each call priced
//! on its own day. Every expected figure is worked out below by hand from
//! the rates of Anthropic's pricing page (USD per million tokens, read
//! 2026-12-01), not from the price table the binary uses.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{run, stderr, stdout};

/// One call's log lines, as the proxy writes them, at `day` (`YYYY-MM-DD`).
struct Call {
    day: &'static str,
    model: &'static str,
    /// `message_start`'s usage, or the whole body's usage when not streamed.
    usage: Value,
    /// The final `message_delta`'s usage; `None`: a non-streamed answer.
    delta: Option<Value>,
}

impl Call {
    fn streamed(day: &'static str, model: &'static str, start: Value, delta: Value) -> Call {
        Call {
            day,
            model,
            usage: start,
            delta: Some(delta),
        }
    }

    fn whole(day: &'static str, model: &'static str, usage: Value) -> Call {
        Call {
            day,
            model,
            usage,
            delta: None,
        }
    }

    fn lines(&self, flow: &str) -> Vec<String> {
        let at = |s: u32| format!("{}T10:00:{s:02}.000000Z", self.day);
        let line = |s: u32, mut fields: Value| {
            fields["ts"] = json!(at(s));
            fields["flow_id"] = json!(flow);
            fields.to_string()
        };
        let streaming = self.delta.is_some();
        let mut out = vec![
            line(
                0,
                json!({"type":"request","method":"POST","path":"/v1/messages?beta=true",
                       "headers":{"x-claude-code-session-id":"s1"},
                       "body":{"model":self.model,"stream":streaming,"messages":[{"role":"user","content":"hi"}]}}),
            ),
            line(
                1,
                json!({"type":"response_headers","status_code":200,"headers":{},"streaming":streaming}),
            ),
        ];
        match &self.delta {
            Some(delta) => out.extend([
                line(
                    2,
                    json!({"type":"sse","event":"message_start","data":{"type":"message_start",
                           "message":{"model":self.model,"usage":self.usage}}}),
                ),
                line(
                    3,
                    json!({"type":"sse","event":"content_block_delta","data":{"type":"content_block_delta",
                           "index":0,"delta":{"type":"text_delta","text":"Hi"}}}),
                ),
                line(
                    4,
                    json!({"type":"sse","event":"message_delta","data":{"type":"message_delta",
                           "delta":{"stop_reason":"end_turn"},"usage":delta}}),
                ),
                line(5, json!({"type":"stream_end"})),
            ]),
            None => out.push(line(
                3,
                json!({"type":"response","status_code":200,"headers":{},
                       "body":{"model":self.model,"stop_reason":"end_turn","usage":self.usage}}),
            )),
        }
        out
    }
}

fn write_log(dir: &Path, name: &str, calls: &[&Call]) -> PathBuf {
    let path = dir.join(format!("{name}.jsonl"));
    let lines: Vec<String> = calls
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.lines(&format!("{name}-{i}")))
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn stats_json(files: &[PathBuf]) -> Value {
    let out = run(["stats", "--json"]
        .into_iter()
        .map(Into::into)
        .chain(files.iter().map(|f| f.clone().into_os_string()))
        .collect::<Vec<std::ffi::OsString>>());
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_usd(v: &Value, want: f64, what: &str) {
    let got = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no cost in {v}"));
    assert!((got - want).abs() < 1e-9, "{what}: {got} != {want}");
}

/// Claude Code's default model: 2,000 input × $4 = 0.008, 150,000 cache reads
/// × $0.20 = 0.03, 3,000 5-minute writes × $5 = 0.015, 5,000 1-hour writes
/// × $8 = 0.04, 1,500 output × $20 = 0.03: $0.123.
fn opus() -> Call {
    Call::streamed(
        "2026-11-20",
        "claude-opus-5-5",
        json!({"input_tokens":2000,"output_tokens":1,"cache_read_input_tokens":150000,
               "cache_creation_input_tokens":8000,
               "cache_creation":{"ephemeral_5m_input_tokens":3000,"ephemeral_1h_input_tokens":5000},
               "service_tier":"standard","inference_geo":"global","speed":"standard"}),
        json!({"output_tokens":1500,"output_tokens_details":{"thinking_tokens":900}}),
    )
}
const OPUS_USD: f64 = 0.123;

/// Sonnet 5.5 on `day`: 1,000 input × $2 = 0.002, 200,000 cache reads, 500
/// output × $10 = 0.005.
fn sonnet_on(day: &'static str) -> Call {
    Call::streamed(
        day,
        "claude-sonnet-5-5",
        json!({"input_tokens":1000,"output_tokens":1,"cache_read_input_tokens":200000,"cache_creation_input_tokens":0}),
        json!({"output_tokens":500}),
    )
}
/// The day before the cut, cache reads at $0.20: 0.002 + 0.04 + 0.005.
const SONNET_OCT_6_USD: f64 = 0.047;
/// The day of the cut, at $0.10: 0.002 + 0.02 + 0.005.
const SONNET_OCT_7_USD: f64 = 0.027;

/// Haiku 5.5, not streamed, with `input` input tokens + 60,000 cache reads
/// + 10,000 cache writes: a prompt of `input` + 70,000 tokens.
fn haiku(input: u64) -> Call {
    Call::whole(
        "2026-11-01",
        "claude-haiku-5-5",
        json!({"input_tokens":input,"output_tokens":4000,"cache_read_input_tokens":60000,
               "cache_creation_input_tokens":10000}),
    )
}
/// A prompt of exactly 100,000 tokens is the low band: 30,000 × $0.10 =
/// 0.003, 60,000 × $0.01 = 0.0006, 10,000 × $0.125 = 0.00125, 4,000 output
/// × $0.50 = 0.002.
const HAIKU_LOW_USD: f64 = 0.00685;
/// 100,001 tokens: every token at the high band, output included: 30,001
/// × $0.50 = 0.0150005, 60,000 × $0.05 = 0.003, 10,000 × $0.625 = 0.00625,
/// 4,000 × $2.50 = 0.01.
const HAIKU_HIGH_USD: f64 = 0.0342505;

/// Opus 5.5 in fast mode, $8 / $40 with cache reads at 0.05 × $8 = $0.40:
/// 5,000 × 8 = 0.04, 2,000 × 40 = 0.08, 50,000 × 0.40 = 0.02.
fn fast() -> Call {
    Call::streamed(
        "2026-11-21",
        "claude-opus-5-5[1m]",
        json!({"input_tokens":5000,"output_tokens":1,"cache_read_input_tokens":50000,"speed":"fast"}),
        json!({"output_tokens":2000}),
    )
}
const FAST_USD: f64 = 0.14;

/// Sonnet 5.5 with US-only inference: (10,000 × $2 = 0.02 + 1,000 × $10 =
/// 0.01 + 100,000 × $0.10 = 0.01) × 1.1.
fn us_only() -> Call {
    Call::whole(
        "2026-11-10",
        "claude-sonnet-5-5",
        json!({"input_tokens":10000,"output_tokens":1000,"cache_read_input_tokens":100000,
               "inference_geo":"us"}),
    )
}
const US_ONLY_USD: f64 = 0.044;

/// Opus 5.5 with 4 web searches at $10 per 1,000 and 2 free fetches:
/// 3,000 × $4 = 0.012, 800 × $20 = 0.016, 4 × $0.01 = 0.04.
fn web_search() -> Call {
    Call::streamed(
        "2026-11-22",
        "claude-opus-5-5",
        json!({"input_tokens":3000,"output_tokens":1,
               "server_tool_use":{"web_search_requests":4,"web_fetch_requests":2}}),
        json!({"output_tokens":800,"server_tool_use":{"web_search_requests":4,"web_fetch_requests":2}}),
    )
}
const WEB_SEARCH_USD: f64 = 0.068;

/// A model no page read for the table gives a price.
fn unpriced() -> Call {
    Call::streamed(
        "2026-11-25",
        "claude-fable-5-2",
        json!({"input_tokens":10,"output_tokens":1}),
        json!({"output_tokens":5}),
    )
}

#[test]
fn each_call_of_todays_models_costs_what_the_pricing_page_says_on_its_day() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("opus", opus(), OPUS_USD),
        ("sonnet-oct-6", sonnet_on("2026-10-06"), SONNET_OCT_6_USD),
        ("sonnet-oct-7", sonnet_on("2026-10-07"), SONNET_OCT_7_USD),
        ("haiku-low", haiku(30_000), HAIKU_LOW_USD),
        ("haiku-high", haiku(30_001), HAIKU_HIGH_USD),
        ("fast", fast(), FAST_USD),
        ("us-only", us_only(), US_ONLY_USD),
        ("web-search", web_search(), WEB_SEARCH_USD),
    ];
    for (name, call, want) in &cases {
        let log = write_log(dir.path(), name, &[call]);
        let v = stats_json(&[log]);
        assert_usd(&v["total"]["cost_usd"], *want, name);
        assert_eq!(v["unpriced_models"], json!({}), "{name}");
    }
}

#[test]
fn a_session_of_todays_models_sums_per_model_and_names_the_unpriced_one() {
    let dir = tempfile::tempdir().unwrap();
    let (oct6, oct7) = (sonnet_on("2026-10-06"), sonnet_on("2026-10-07"));
    let (opus, web, us) = (opus(), web_search(), us_only());
    let (low, high, fast, fable) = (haiku(30_000), haiku(30_001), fast(), unpriced());
    let log = write_log(
        dir.path(),
        "today",
        &[&opus, &oct6, &oct7, &low, &high, &fast, &us, &web, &fable],
    );
    let v = stats_json(std::slice::from_ref(&log));
    let models = &v["models"];
    assert_usd(
        &models["claude-opus-5-5"]["cost_usd"],
        OPUS_USD + WEB_SEARCH_USD,
        "opus",
    );
    assert_usd(&models["claude-opus-5-5[1m]"]["cost_usd"], FAST_USD, "fast");
    assert_usd(
        &models["claude-sonnet-5-5"]["cost_usd"],
        SONNET_OCT_6_USD + SONNET_OCT_7_USD + US_ONLY_USD,
        "sonnet",
    );
    assert_usd(
        &models["claude-haiku-5-5"]["cost_usd"],
        HAIKU_LOW_USD + HAIKU_HIGH_USD,
        "haiku",
    );
    assert_eq!(models["claude-fable-5-2"]["cost_usd"], Value::Null);
    assert_eq!(
        models["claude-fable-5-2"]["input_tokens"], 10,
        "its tokens still count"
    );
    assert_eq!(v["total"]["cost_usd"], Value::Null, "never a partial sum");
    // 0.123 + 0.068 + 0.14 + 0.047 + 0.027 + 0.044 + 0.00685 + 0.0342505
    assert_usd(&v["total"]["priced_cost_usd"], 0.4901005, "priced part");
    assert_eq!(v["total"]["unpriced_requests"], 1);
    assert_eq!(
        v["unpriced_models"],
        json!({"claude-fable-5-2": "the price table has no row for claude-fable-5-2"})
    );
    // The token counts read from today's usage fields: 8,000 writes of
    // which 5,000 1-hour ones are in the API's own total.
    assert_eq!(
        models["claude-opus-5-5"]["cache_creation_input_tokens"],
        8000
    );
    assert_eq!(models["claude-opus-5-5"]["output_tokens"], 1500 + 800);

    let out = run([std::ffi::OsString::from("stats"), log.into_os_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let row = |model: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(model))
            .unwrap_or_else(|| panic!("no {model} row in {text}"))
            .to_owned()
    };
    assert!(row("claude-opus-5-5").contains("$0.1910"), "{text}");
    assert!(row("claude-opus-5-5[1m]").contains("$0.1400"), "{text}");
    assert!(row("claude-sonnet-5-5").contains("$0.1180"), "{text}");
    assert!(row("claude-haiku-5-5").contains("$0.0411"), "{text}");
    assert!(row("claude-fable-5-2").contains("unknown price"), "{text}");
    assert!(
        text.contains("1 of 9 requests have no known price (claude-fable-5-2)"),
        "{text}"
    );
    assert!(
        text.contains("  claude-fable-5-2: the price table has no row for claude-fable-5-2\n"),
        "{text}"
    );
    assert!(
        text.contains("can be given with --prices FILE"),
        "the note says what to do: {text}"
    );
}

#[test]
fn a_fast_call_on_a_model_without_fast_rates_is_unpriced_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let call = Call::whole(
        "2026-11-10",
        "claude-sonnet-5-5",
        json!({"input_tokens":10,"output_tokens":1,"speed":"fast"}),
    );
    let v = stats_json(&[write_log(dir.path(), "fast-sonnet", &[&call])]);
    assert_eq!(v["total"]["cost_usd"], Value::Null);
    assert_eq!(
        v["unpriced_models"],
        json!({"claude-sonnet-5-5": "no fast mode price for claude-sonnet-5-5"})
    );
}
