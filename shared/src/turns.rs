//! Which earlier call a call is compared against: the same Claude Code
//! session's and agent's previous Messages call. The UI's context diff and
//! cache-miss marks and the MCP server's answers all follow this one rule.

use std::collections::HashMap;

use crate::{FlowState, FlowSummary};

/// A Messages call that reached the API (or may yet): one an agent's next
/// call follows on. A call refused before the API counted anything cached
/// nothing, and its retry follows it.
pub fn is_turn(flow: &FlowSummary) -> bool {
    flow.is_messages_call() && !(flow.state == FlowState::Failed && flow.usage.is_none())
}

pub fn same_agent(a: &FlowSummary, b: &FlowSummary) -> bool {
    a.session_id == b.session_id && a.agent_id == b.agent_id
}

/// The turn before `flows[index]` of the same session and agent, by index.
pub fn previous_turn(flows: &[FlowSummary], index: usize) -> Option<usize> {
    let flow = flows.get(index)?;
    flows[..index]
        .iter()
        .rposition(|f| is_turn(f) && same_agent(f, flow))
}

/// [`previous_turn`] of every flow at once, in one pass.
pub fn previous_turns(flows: &[FlowSummary]) -> Vec<Option<usize>> {
    let mut last: HashMap<(Option<&str>, Option<&str>), usize> = HashMap::new();
    flows
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let key = (f.session_id.as_deref(), f.agent_id.as_deref());
            let before = last.get(&key).copied();
            if is_turn(f) {
                last.insert(key, i);
            }
            before
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FlowId, Usage};

    fn call(n: u64, agent: Option<&str>, state: FlowState, usage: bool) -> FlowSummary {
        let mut f = FlowSummary::new(FlowId(format!("{n:016x}").into()), n);
        f.method = "POST".into();
        f.path = "/v1/messages".into();
        f.session_id = Some("s".into());
        f.agent_id = agent.map(str::to_owned);
        f.state = state;
        f.usage = usage.then(Usage::default);
        f
    }

    #[test]
    fn the_previous_turn_is_the_same_agents_last_call_that_reached_the_api() {
        let flows = vec![
            call(1, None, FlowState::Complete, true),
            call(2, Some("a"), FlowState::Complete, true),
            // Refused before the API counted anything: not a turn.
            call(3, None, FlowState::Failed, false),
            call(4, None, FlowState::Complete, true),
            call(5, Some("a"), FlowState::Complete, true),
        ];
        let each: Vec<Option<usize>> = (0..flows.len()).map(|i| previous_turn(&flows, i)).collect();
        assert_eq!(each, vec![None, None, Some(0), Some(0), Some(1)]);
        assert_eq!(previous_turns(&flows), each);
        assert_eq!(previous_turn(&flows, 9), None);
    }
}
