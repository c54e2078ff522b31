//! An HTTPS upstream, as Anthropic's API is: the proxy speaks TLS to it
//! (rustls on ring), verifies its certificate against the system's roots
//! (here a test CA, through `SSL_CERT_FILE`), and records the exchange as it
//! records a plain one; an upstream it cannot verify is a clear 502.

use std::time::Duration;

use serde_json::Value;
use testkit::binary::shape;
use testkit::{MockUpstream, TraceClaude};

use crate::util::{bin, claude_request, finished_flow, read_ok, API_KEY};

#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_call_to_an_https_upstream_is_forwarded_verified_and_recorded() {
    let mock = MockUpstream::start_tls().await.unwrap();
    assert!(mock.url().starts_with("https://"));
    let ca = mock.tls.as_ref().unwrap().file.clone();
    let tc = TraceClaude::start_with(bin(), &mock.url(), None, &[], |command| {
        command.env("SSL_CERT_FILE", &ca);
    })
    .unwrap();
    let body =
        read_ok(claude_request(&tc.proxy_url(), "text").body(r#"{"model":"m","stream":true}"#))
            .await;
    assert!(body.contains("event: message_stop"), "{body}");
    let seen = mock.state.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-api-key"), Some(API_KEY));

    let (_, flow) = finished_flow(&tc, 0, Duration::from_secs(10));
    let flow: Vec<&Value> = flow.iter().collect();
    assert_eq!(shape(&flow), crate::util::TEXT_FLOW_SHAPE);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_upstream_whose_certificate_is_not_trusted_gives_a_502_that_says_so() {
    let mock = MockUpstream::start_tls().await.unwrap();
    // Trusting some other CA only.
    let other = MockUpstream::start_tls().await.unwrap();
    let other_ca = other.tls.as_ref().unwrap().file.clone();
    let tc = TraceClaude::start_with(bin(), &mock.url(), None, &[], |command| {
        command.env("SSL_CERT_FILE", &other_ca);
    })
    .unwrap();
    let response = claude_request(&tc.proxy_url(), "text")
        .body(r#"{"model":"m","stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let answer: Value = response.json().await.unwrap();
    let message = answer["error"]["message"].as_str().unwrap().to_lowercase();
    assert!(message.contains("certificate"), "{message}");
    assert!(
        mock.state.requests().is_empty(),
        "nothing reached the untrusted upstream"
    );
    let (_, flow) = finished_flow(&tc, 0, Duration::from_secs(10));
    let flow: Vec<&Value> = flow.iter().collect();
    assert_eq!(shape(&flow), ["request", "error"]);
}
