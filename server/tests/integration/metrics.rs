//! `/metrics` on the web port: what a Prometheus scrape of a live session reads.

use std::time::Duration;

use testkit::client;

use crate::util::{claude_request, mock_and_proxy, read_ok};

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_reads_the_live_sessions_calls_tokens_cost_and_latencies() {
    let (_mock, tc) = mock_and_proxy().await;
    for _ in 0..2 {
        let body = r#"{"model":"claude-opus-5-5","stream":true}"#;
        read_ok(claude_request(&tc.proxy_url(), "text").body(body)).await;
    }
    tc.wait_for(Duration::from_secs(10), |e| testkit::ended_events(e) >= 2);
    let response = client()
        .get(format!("{}/metrics", tc.web_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let sample = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        sample("trace_claude_requests_total{model=\"claude-opus-5-5\",agent=\"main\",kind=\"inference\",outcome=\"complete\"}"),
        2.0
    );
    assert!(
        sample(
            "trace_claude_tokens_total{model=\"claude-opus-5-5\",agent=\"main\",kind=\"output\"}"
        ) > 0.0
    );
    assert!(sample("trace_claude_cost_usd_total{model=\"claude-opus-5-5\",agent=\"main\"}") > 0.0);
    assert_eq!(
        sample("trace_claude_time_to_first_byte_seconds_count{kind=\"inference\"}"),
        2.0
    );
    assert_eq!(
        sample("trace_claude_request_duration_seconds_bucket{kind=\"inference\",le=\"+Inf\"}"),
        2.0
    );
    assert!(sample("trace_claude_log_lines_total") >= 2.0 * 5.0);
    assert_eq!(sample("trace_claude_log_writing"), 1.0);
    assert_eq!(sample("trace_claude_log_events_lost_total"), 0.0);
    // Like every page of the web port, not for other origins' hosts.
    let foreign = client()
        .get(format!("{}/metrics", tc.web_url()))
        .header("host", "evil.example:8001")
        .send()
        .await
        .unwrap();
    assert_ne!(foreign.status(), 200);
}
