//! `GET /metrics`: the session in Prometheus's text format, for a scraper
//! on this machine (the web port's Host check applies). Counts are of the
//! session being recorded (`view`: the first log), read from its index, so
//! they are exactly what the UI and `stats` show.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use shared::{FlowState, FlowSummary, Prices};

use super::flows::indexed;
use super::WebState;

/// Upper bounds, in seconds, of the latency histograms' buckets: from a fast
/// first byte to a long generation.
const BUCKETS: [f64; 14] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

pub async fn metrics(State(state): State<WebState>) -> Response {
    let prices = state.prices.clone();
    let health = state
        .hub
        .as_ref()
        .map(|hub| hub.log_health().borrow().clone());
    let export = state.export.clone();
    let result = indexed(&state, None, move |index, _| {
        let flows: Vec<&FlowSummary> = index.summaries().collect();
        let mut text = render(&flows, &prices);
        counter(
            &mut text,
            "trace_claude_log_lines_total",
            "Lines (events) in the session log.",
            &[(String::new(), index.line_count() as f64)],
        );
        if let Some(health) = health {
            gauge(
                &mut text,
                "trace_claude_log_writing",
                "1 while the session log is being written, 0 while writes fail.",
                if health.ok { 1.0 } else { 0.0 },
            );
            counter(
                &mut text,
                "trace_claude_log_events_lost_total",
                "Events given up while writes to the log failed.",
                &[(String::new(), health.events_lost as f64)],
            );
        }
        if let Some(export) = export {
            let read = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed) as f64;
            counter(
                &mut text,
                "trace_claude_export_spans_sent_total",
                "OpenTelemetry spans the collector took.",
                &[(String::new(), read(&export.sent))],
            );
            counter(
                &mut text,
                "trace_claude_export_spans_dropped_total",
                "OpenTelemetry spans given up: the queue was full, or every retry failed.",
                &[(String::new(), read(&export.dropped))],
            );
            gauge(
                &mut text,
                "trace_claude_export_spans_queued",
                "OpenTelemetry spans waiting to be sent.",
                read(&export.queued),
            );
        }
        Ok(text)
    })
    .await;
    match result {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(response) => response,
    }
}

/// The families computed from the flows: requests, tokens, cost, latencies.
pub fn render(flows: &[&FlowSummary], prices: &Prices) -> String {
    let mut requests: BTreeMap<String, f64> = BTreeMap::new();
    let mut tokens: BTreeMap<String, f64> = BTreeMap::new();
    let mut cost: BTreeMap<String, f64> = BTreeMap::new();
    let mut duration = Histograms::default();
    let mut ttft = Histograms::default();
    let mut ttfb = Histograms::default();
    for flow in flows {
        let model = flow.model.as_deref().unwrap_or("");
        let agent = flow.agent_id.as_deref().unwrap_or("main");
        let kind = flow.category.label();
        let outcome = match flow.state {
            FlowState::Pending => "pending",
            FlowState::Complete => "complete",
            FlowState::Failed => "failed",
        };
        *requests
            .entry(labels(&[
                ("model", model),
                ("agent", agent),
                ("kind", kind),
                ("outcome", outcome),
            ]))
            .or_default() += 1.0;
        if let Some(usage) = &flow.usage {
            for (name, n) in [
                ("input", usage.input_tokens),
                ("output", usage.output_tokens),
                ("cache_read", usage.cache_read_input_tokens),
                ("cache_write", usage.cache_creation_input_tokens),
            ] {
                *tokens
                    .entry(labels(&[
                        ("model", model),
                        ("agent", agent),
                        ("kind", name),
                    ]))
                    .or_default() += n as f64;
            }
        }
        // An unpriced model adds nothing here; `stats` names it.
        if let Some(Ok(c)) = prices.flow_cost(flow) {
            *cost
                .entry(labels(&[("model", model), ("agent", agent)]))
                .or_default() += c.usd;
        }
        let by_kind = labels(&[("kind", kind)]);
        if flow.state == FlowState::Complete {
            if let Some(ms) = flow.duration_ms {
                duration.observe(&by_kind, ms / 1000.0);
            }
        }
        if let Some(ms) = flow.ttft_ms {
            ttft.observe(&labels(&[("model", model)]), ms / 1000.0);
        }
        if let Some(ms) = flow.ttfb_ms {
            ttfb.observe(&by_kind, ms / 1000.0);
        }
    }
    let mut text = String::new();
    counter(
        &mut text,
        "trace_claude_requests_total",
        "Calls recorded, by model, agent, kind of call and outcome.",
        &requests.into_iter().collect::<Vec<_>>(),
    );
    counter(
        &mut text,
        "trace_claude_tokens_total",
        "Tokens the API reported, by model, agent and kind.",
        &tokens.into_iter().collect::<Vec<_>>(),
    );
    counter(
        &mut text,
        "trace_claude_cost_usd_total",
        "Estimated cost in US dollars at the price table's rates, by model and agent.",
        &cost.into_iter().collect::<Vec<_>>(),
    );
    duration.write(
        &mut text,
        "trace_claude_request_duration_seconds",
        "Time from request to the end of the answer, completed calls, by kind of call.",
    );
    ttft.write(
        &mut text,
        "trace_claude_time_to_first_token_seconds",
        "Time from request to the first token, by model.",
    );
    ttfb.write(
        &mut text,
        "trace_claude_time_to_first_byte_seconds",
        "Time from request to the response headers, by kind of call.",
    );
    text
}

/// One histogram per label set.
#[derive(Default)]
struct Histograms(BTreeMap<String, Histogram>);

#[derive(Default)]
struct Histogram {
    /// Observations at or under each bound (cumulative, as Prometheus wants).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histograms {
    fn observe(&mut self, labels: &str, seconds: f64) {
        let h = self.0.entry(labels.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    fn write(&self, text: &mut String, name: &str, help: &str) {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (labels, h) in &self.0 {
            let inner = labels.trim_start_matches('{').trim_end_matches('}');
            let sep = if inner.is_empty() { "" } else { "," };
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(text, "{name}_bucket{{{inner}{sep}le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(text, "{name}_bucket{{{inner}{sep}le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(text, "{name}_sum{labels} {}", h.sum);
            let _ = writeln!(text, "{name}_count{labels} {}", h.count);
        }
    }
}

fn counter(text: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} counter");
    for (labels, value) in samples {
        let _ = writeln!(text, "{name}{labels} {value}");
    }
}

fn gauge(text: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(
        text,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

/// `{a="x",b="y"}`, values escaped as the text format requires.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = write!(out, "{name}=\"{escaped}\"");
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{Category, FlowId, Usage};

    fn flow(model: &str, agent: Option<&str>, state: FlowState, ms: f64) -> FlowSummary {
        let mut f = FlowSummary::new(FlowId("f".into()), 1);
        f.method = "POST".into();
        f.path = "/v1/messages".into();
        f.category = Category::Inference;
        f.model = Some(model.into());
        f.agent_id = agent.map(str::to_owned);
        f.state = state;
        f.duration_ms = Some(ms);
        f.ttfb_ms = Some(ms / 4.0);
        f.ttft_ms = Some(ms / 2.0);
        f.usage = Some(Usage {
            input_tokens: 10,
            output_tokens: 20,
            cache_read_input_tokens: 1000,
            cache_creation_input_tokens: 5,
            ..Usage::default()
        });
        f
    }

    #[test]
    fn counts_tokens_cost_and_latency_buckets_per_label_set() {
        let prices = Prices::builtin();
        let flows = [
            flow("claude-opus-5-5", None, FlowState::Complete, 800.0),
            flow("claude-opus-5-5", None, FlowState::Complete, 3000.0),
            flow(
                "claude-opus-5-5",
                Some("agent \"x\""),
                FlowState::Failed,
                100.0,
            ),
        ];
        let refs: Vec<&FlowSummary> = flows.iter().collect();
        let text = render(&refs, &prices);
        assert!(text.contains(
            "trace_claude_requests_total{model=\"claude-opus-5-5\",agent=\"main\",kind=\"inference\",outcome=\"complete\"} 2"
        ), "{text}");
        assert!(
            text.contains("agent=\"agent \\\"x\\\"\""),
            "labels are escaped: {text}"
        );
        assert!(text.contains(
            "trace_claude_tokens_total{model=\"claude-opus-5-5\",agent=\"main\",kind=\"cache_read\"} 2000"
        ));
        // Completed calls only: 0.8 s and 3 s.
        assert!(text.contains(
            "trace_claude_request_duration_seconds_bucket{kind=\"inference\",le=\"1\"} 1"
        ));
        assert!(text.contains(
            "trace_claude_request_duration_seconds_bucket{kind=\"inference\",le=\"4\"} 2"
        ));
        assert!(text.contains("trace_claude_request_duration_seconds_count{kind=\"inference\"} 2"));
        assert!(text.contains(
            "trace_claude_time_to_first_token_seconds_count{model=\"claude-opus-5-5\"} 3"
        ));
        let cost_line = text
            .lines()
            .find(|l| {
                l.starts_with(
                    "trace_claude_cost_usd_total{model=\"claude-opus-5-5\",agent=\"main\"}",
                )
            })
            .unwrap();
        let usd: f64 = cost_line.rsplit(' ').next().unwrap().parse().unwrap();
        let one: f64 = prices.flow_cost(&flows[0]).unwrap().unwrap().usd;
        assert!((usd - 2.0 * one).abs() < 1e-12, "{cost_line} vs {one}");
        // Every sample line is `name{labels} number`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
