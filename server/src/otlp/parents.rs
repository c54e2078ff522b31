//! Which call started a subagent: its spans are children of that call's span,
//! so a backend shows the main agent's turn with the subagent's calls under it.
//!
//! Claude Code names the agent behind each request (`x-claude-code-agent-id`)
//! and the agent that started it (`x-claude-code-parent-agent-id`, none for
//! the main agent), but not the call. The call is found from the log alone,
//! so a live export and a later export of the file agree: the parent agent's
//! last call that ended asking for a tool before the subagent's first call
//! began (the Task tool's call), else its last call that began before.

use std::collections::HashMap;

use shared::{FlowId, FlowSummary};

#[derive(Default)]
pub struct SpawningCalls {
    /// (session, agent) → the call that started that agent, once found.
    known: HashMap<(String, String), Option<FlowId>>,
}

impl SpawningCalls {
    /// The call that started `flow`'s agent, among `flows` (the session's
    /// flows so far, in log order); `None` for the main agent's calls.
    pub fn of<'a>(
        &mut self,
        flow: &FlowSummary,
        flows: impl Iterator<Item = &'a FlowSummary> + Clone,
    ) -> Option<FlowId> {
        let agent = flow.agent_id.as_deref()?;
        let session = flow.session_id.as_deref().unwrap_or_default();
        let key = (session.to_owned(), agent.to_owned());
        if let Some(found) = self.known.get(&key) {
            return found.clone();
        }
        let found = find(session, agent, flow.parent_agent_id.as_deref(), flows);
        // Only a found call is final: before it is in the index (a live
        // export of a log still being written) a later look may find it.
        if found.is_some() {
            self.known.insert(key, found.clone());
        }
        found
    }
}

fn find<'a>(
    session: &str,
    agent: &str,
    parent_agent: Option<&str>,
    flows: impl Iterator<Item = &'a FlowSummary> + Clone,
) -> Option<FlowId> {
    let in_session = |f: &&FlowSummary| f.session_id.as_deref().unwrap_or_default() == session;
    let first = flows
        .clone()
        .filter(in_session)
        .filter(|f| f.agent_id.as_deref() == Some(agent))
        .filter_map(|f| f.started)
        .min()?;
    let candidates = flows
        .filter(in_session)
        .filter(|f| f.agent_id.as_deref() == parent_agent && f.is_messages_call())
        .filter(|f| f.started.is_some_and(|s| s < first));
    let mut last_tool_call: Option<&FlowSummary> = None;
    let mut last_started: Option<&FlowSummary> = None;
    for f in candidates {
        let ended_before = f.started.zip(f.duration_ms).is_some_and(|(s, ms)| {
            s.0 + chrono::Duration::microseconds((ms * 1000.0) as i64) <= first.0
        });
        if ended_before && f.stop_reason.as_deref() == Some("tool_use") {
            last_tool_call = later(last_tool_call, f);
        }
        last_started = later(last_started, f);
    }
    last_tool_call.or(last_started).map(|f| f.flow_id.clone())
}

fn later<'a>(best: Option<&'a FlowSummary>, f: &'a FlowSummary) -> Option<&'a FlowSummary> {
    match best {
        Some(b) if b.started >= f.started => Some(b),
        _ => Some(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Timestamp;

    fn call(
        id: &str,
        agent: Option<&str>,
        parent: Option<&str>,
        at_ms: i64,
        took_ms: f64,
        stop: &str,
    ) -> FlowSummary {
        let mut f = FlowSummary::new(FlowId(id.into()), 1);
        f.path = "/v1/messages".into();
        f.session_id = Some("s".into());
        f.agent_id = agent.map(str::to_owned);
        f.parent_agent_id = parent.map(str::to_owned);
        let epoch = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        f.started = Some(Timestamp(epoch + chrono::Duration::milliseconds(at_ms)));
        f.duration_ms = Some(took_ms);
        f.stop_reason = Some(stop.into());
        f
    }

    #[test]
    fn a_subagent_is_a_child_of_the_call_that_asked_for_its_tool() {
        let flows = [
            call("main1", None, None, 0, 100.0, "tool_use"),
            call("main2", None, None, 200, 100.0, "tool_use"),
            // A side call of the main agent while the Task runs (a title).
            call("title", None, None, 350, 500.0, "end_turn"),
            call("sub1", Some("a1"), None, 400, 50.0, "tool_use"),
            call("sub2", Some("a1"), None, 500, 50.0, "end_turn"),
            call("nested", Some("a2"), Some("a1"), 460, 10.0, "end_turn"),
            call("main3", None, None, 600, 100.0, "end_turn"),
        ];
        let mut calls = SpawningCalls::default();
        let parent = |calls: &mut SpawningCalls, i: usize| {
            calls.of(&flows[i], flows.iter()).map(|f| f.to_string())
        };
        assert_eq!(
            parent(&mut calls, 0),
            None,
            "the main agent's calls are roots"
        );
        assert_eq!(parent(&mut calls, 3).as_deref(), Some("main2"));
        assert_eq!(
            parent(&mut calls, 4).as_deref(),
            Some("main2"),
            "all of the agent's calls"
        );
        assert_eq!(
            parent(&mut calls, 5).as_deref(),
            Some("sub1"),
            "a subagent's subagent is under the subagent's call"
        );
    }

    #[test]
    fn without_a_tool_call_before_it_the_last_call_that_began_before_is_the_parent() {
        let flows = [
            call("main1", None, None, 0, 1000.0, "end_turn"),
            call("sub1", Some("a1"), None, 400, 50.0, "end_turn"),
        ];
        let mut calls = SpawningCalls::default();
        assert_eq!(
            calls
                .of(&flows[1], flows.iter())
                .map(|f| f.to_string())
                .as_deref(),
            Some("main1")
        );
        let alone = [call("sub", Some("a9"), None, 0, 1.0, "end_turn")];
        assert_eq!(
            calls.of(&alone[0], alone.iter()),
            None,
            "nothing before it: a root"
        );
    }
}
