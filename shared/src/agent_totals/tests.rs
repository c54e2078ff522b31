use super::*;
use crate::{FlowId, FlowState, Usage};

const SONNET: &str = "claude-sonnet-4-5-20250929";
const HAIKU: &str = "claude-haiku-4-5-20251001";

/// A completed Messages call of `session`/`agent` (child of `parent`).
fn call(
    session: Option<&str>,
    agent: Option<&str>,
    parent: Option<&str>,
    model: &str,
    input: u64,
    output: u64,
) -> FlowSummary {
    let mut f = FlowSummary::new(FlowId("f".into()), 1);
    f.method = "POST".into();
    f.path = "/v1/messages?beta=true".into();
    f.session_id = session.map(str::to_owned);
    f.agent_id = agent.map(str::to_owned);
    f.parent_agent_id = parent.map(str::to_owned);
    f.model = Some(model.to_owned());
    f.usage = Some(Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    });
    f.state = FlowState::Complete;
    f
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

fn ids(agents: &[AgentTotals]) -> Vec<&str> {
    agents
        .iter()
        .map(|a| a.agent_id.as_deref().unwrap_or("main"))
        .collect()
}

#[test]
fn sums_each_agent_and_hangs_subagents_under_their_parents() {
    let s = Some("s1");
    let mut count_tokens = call(s, Some("x"), None, SONNET, 0, 0);
    count_tokens.path = "/v1/messages/count_tokens".into();
    let flows = [
        // Sonnet 4.5 input $3/M (prompts up to 200k tokens).
        call(s, None, None, SONNET, 100_000, 0),
        // x names no parent: the main agent's.
        call(s, Some("x"), None, SONNET, 0, 1_000_000),
        // y was started by x.
        call(s, Some("y"), Some("x"), HAIKU, 1_000_000, 0),
        call(s, Some("x"), None, HAIKU, 0, 1_000_000),
        // z names a parent with no calls: under the main agent, parent kept.
        call(s, Some("z"), Some("ghost"), HAIKU, 2_000_000, 0),
        count_tokens,
        call(Some("s2"), None, None, SONNET, 1, 1),
    ];
    let sessions = SessionTotals::from_flows(&flows, &Prices::builtin());
    assert_eq!(sessions.len(), 2);
    let s1 = &sessions[0];
    assert_eq!(s1.session_id.as_deref(), Some("s1"));
    assert_eq!(s1.subagent_count, 3);
    let main = &s1.main;
    assert_eq!((main.agent_id.as_deref(), main.totals.requests), (None, 1));
    assert!(close(main.totals.cost_usd, 0.3));
    assert_eq!(ids(&main.subagents), ["x", "z"]);
    let x = &main.subagents[0];
    assert_eq!(x.models, [SONNET, HAIKU]);
    // Sonnet 4.5 output $15/M, Haiku 4.5 output $5/M: count_tokens is not a call.
    assert_eq!((x.totals.requests, x.totals.output_tokens), (2, 2_000_000));
    assert!(close(x.totals.cost_usd, 15.0 + 5.0));
    assert_eq!(ids(&x.subagents), ["y"]);
    assert_eq!(x.subagents[0].parent_agent_id.as_deref(), Some("x"));
    assert!(close(x.subagents[0].totals.cost_usd, 1.0));
    let z = &main.subagents[1];
    assert_eq!(z.parent_agent_id.as_deref(), Some("ghost"));
    assert!(close(z.totals.cost_usd, 2.0));
    // The subagents together, and the whole session.
    assert_eq!(s1.subagents_total.requests, 4);
    assert_eq!(s1.subagents_total.input_tokens, 3_000_000);
    assert!(close(s1.subagents_total.cost_usd, 15.0 + 5.0 + 1.0 + 2.0));
    assert!(close(s1.total.cost_usd, 0.3 + 23.0));
    assert_eq!(s1.total.requests, 5);
    assert_eq!(sessions[1].subagent_count, 0);
}

#[test]
fn agents_and_models_add_up_to_the_same_totals() {
    let flows = [
        call(Some("s"), None, None, SONNET, 10, 20),
        call(Some("s"), Some("a"), None, HAIKU, 30, 40),
        call(None, None, None, SONNET, 50, 60),
        call(None, Some("b"), None, "no-such-model", 1, 1),
    ];
    let prices = Prices::builtin();
    let totals = crate::Totals::from_flows(&flows, &prices);
    let sessions = SessionTotals::from_flows(&flows, &prices);
    let requests: u64 = sessions.iter().map(|s| s.total.requests).sum();
    let priced: f64 = sessions.iter().map(|s| s.total.priced_cost_usd).sum();
    assert_eq!(requests, totals.total.requests);
    assert!((priced - totals.total.priced_cost_usd).abs() < 1e-12);
    // The call with no session is listed, and its unpriced subagent makes
    // that session's cost unknown, as it does the grand total.
    let none = &sessions[1];
    assert_eq!(none.session_id, None);
    assert_eq!(none.total.cost_usd, None);
    assert_eq!(none.main.subagents[0].totals.unpriced_requests, 1);
    assert_eq!(totals.total.cost_usd, None);
}

#[test]
fn a_loop_of_parents_hangs_under_the_main_agent_without_hanging_the_sum() {
    let s = Some("s");
    let flows = [
        call(s, Some("a"), Some("b"), SONNET, 1, 0),
        call(s, Some("b"), Some("a"), SONNET, 1, 0),
        call(s, Some("c"), Some("c"), SONNET, 1, 0),
    ];
    let sessions = SessionTotals::from_flows(&flows, &Prices::builtin());
    let main = &sessions[0].main;
    // No main-agent call, yet the main agent holds the tree.
    assert_eq!(main.totals.requests, 0);
    assert_eq!(ids(&main.subagents), ["a", "c"]);
    assert_eq!(ids(&main.subagents[0].subagents), ["b"]);
    let count = |a: &AgentTotals| 1 + a.subagents.len();
    assert_eq!(main.subagents.iter().map(count).sum::<usize>(), 3);
}
