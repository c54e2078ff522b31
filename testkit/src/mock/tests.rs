//! The mock over a real socket: a scenario name it does not know is an
//! error, so that a typo in a test fails it instead of passing on a default.

use serde_json::Value;

use super::{MockUpstream, Scenario};

async fn post(mock: &MockUpstream, scenario: Option<&str>) -> reqwest::Response {
    let mut request = crate::client()
        .post(format!("{}/v1/messages", mock.url()))
        .body(r#"{"model":"m","stream":false}"#);
    if let Some(name) = scenario {
        request = request.header("x-mock-scenario", name);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_unknown_scenario_is_a_400_naming_it_and_the_known_ones() {
    let mock = MockUpstream::start().await.unwrap();
    let response = post(&mock, Some("thinking-tool")).await;
    assert_eq!(response.status(), 400);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "mock_unknown_scenario");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"thinking-tool\""), "{message}");
    for known in Scenario::names() {
        assert!(message.contains(known), "{known} missing from {message}");
    }
    assert_eq!(mock.state.requests().len(), 1, "the request is still seen");
}

#[tokio::test]
async fn every_known_scenario_is_answered_and_no_scenario_is_claude_like() {
    let mock = MockUpstream::start().await.unwrap();
    let names: Vec<&str> = Scenario::names().collect();
    assert_eq!(names.len(), 17);
    for name in names {
        assert_eq!(Scenario::parse(name).map(|_| ()), Some(()), "{name}");
        let status = post(&mock, Some(name)).await.status().as_u16();
        assert_ne!(status, 400, "{name}");
    }
    let plain: Value =
        serde_json::from_slice(&post(&mock, None).await.bytes().await.unwrap()).unwrap();
    assert_eq!(plain["content"][0]["text"], "Hello from the mock upstream.");
}
