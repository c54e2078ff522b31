//! Tokens and cost per Claude Code session and agent, as a tree: each
//! session's main agent, the subagents it started, and theirs.
//!
//! The agent of a call is its `x-claude-code-agent-id` (none: the main
//! agent); a subagent hangs under the agent its `x-claude-code-parent-agent-id`
//! names, or under its session's main agent when it names none, names an
//! agent with no calls in the session, or would close a loop. The flows
//! counted, and what they cost, are exactly those of [`crate::Totals`]: the
//! same accumulator sums both.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::totals::{flow_cost, Acc};
use crate::{FlowSummary, ModelTotals, Prices};

/// One Claude Code session's calls, whole and per agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionTotals {
    /// `None`: the calls that named no Claude Code session.
    pub session_id: Option<String>,
    /// Every Messages call of the session.
    pub total: ModelTotals,
    /// The calls of all its subagents together: what ran out of sight.
    pub subagents_total: ModelTotals,
    /// How many subagents made calls.
    pub subagent_count: u64,
    /// The main agent, with the subagents under it.
    pub main: AgentTotals,
}

/// One agent's own calls, and the subagents it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentTotals {
    /// `None` for the main agent.
    pub agent_id: Option<String>,
    /// The parent its requests named, as sent: it may name an agent
    /// without calls, in which case this one hangs under the main agent.
    pub parent_agent_id: Option<String>,
    /// The models it called, in order of first use.
    pub models: Vec<String>,
    /// Its own calls, not its subagents'.
    pub totals: ModelTotals,
    /// In order of their first call.
    pub subagents: Vec<AgentTotals>,
}

impl SessionTotals {
    /// Sessions in order of their first call; Messages calls only, as in
    /// [`crate::Totals::from_flows`].
    pub fn from_flows<'a>(
        flows: impl IntoIterator<Item = &'a FlowSummary>,
        prices: &Prices,
    ) -> Vec<SessionTotals> {
        let mut sessions: Vec<Session> = Vec::new();
        let mut at: HashMap<Option<&str>, usize> = HashMap::new();
        for flow in flows {
            if !flow.is_messages_call() {
                continue;
            }
            let index = *at.entry(flow.session_id.as_deref()).or_insert_with(|| {
                sessions.push(Session::new(flow.session_id.clone()));
                sessions.len() - 1
            });
            sessions[index].add(flow, flow_cost(flow, prices).ok());
        }
        sessions.into_iter().map(Session::done).collect()
    }
}

/// A session being summed: its agents, the main one first.
struct Session {
    id: Option<String>,
    agents: Vec<Agent>,
    by_id: HashMap<Option<String>, usize>,
    total: Acc,
    subagents: Acc,
}

struct Agent {
    id: Option<String>,
    parent: Option<String>,
    models: Vec<String>,
    acc: Acc,
}

impl Agent {
    fn new(id: Option<String>) -> Agent {
        Agent {
            id,
            parent: None,
            models: Vec::new(),
            acc: Acc::default(),
        }
    }
}

impl Session {
    fn new(id: Option<String>) -> Session {
        Session {
            id,
            agents: vec![Agent::new(None)],
            by_id: HashMap::from([(None, 0)]),
            total: Acc::default(),
            subagents: Acc::default(),
        }
    }

    fn add(&mut self, flow: &FlowSummary, cost: Option<f64>) {
        let agents = &mut self.agents;
        let index = *self.by_id.entry(flow.agent_id.clone()).or_insert_with(|| {
            agents.push(Agent::new(flow.agent_id.clone()));
            agents.len() - 1
        });
        let agent = &mut agents[index];
        // The first parent named holds: a later request naming another is odd traffic.
        if agent.parent.is_none() && agent.id.is_some() {
            agent.parent = flow.parent_agent_id.clone();
        }
        if let Some(model) = &flow.model {
            if !agent.models.contains(model) {
                agent.models.push(model.clone());
            }
        }
        agent.acc.add(flow, cost);
        self.total.add(flow, cost);
        if flow.agent_id.is_some() {
            self.subagents.add(flow, cost);
        }
    }

    /// Where each agent hangs: its named parent when that is an agent of
    /// the session reachable from the main agent, else the main agent.
    fn parents(&self) -> Vec<usize> {
        let declared = |i: usize| -> usize {
            let named = self.agents[i].parent.clone();
            match self.by_id.get(&named) {
                Some(&p) if named.is_some() && p != i => p,
                _ => 0,
            }
        };
        let mut parent: Vec<usize> = (0..self.agents.len()).map(declared).collect();
        // Agents in a loop of parents never reach the main agent: walk down
        // from it, and hang whatever it does not reach under it.
        let mut reached = vec![false; self.agents.len()];
        reached[0] = true;
        loop {
            let mut grew = true;
            while grew {
                grew = false;
                for i in 1..parent.len() {
                    if !reached[i] && reached[parent[i]] {
                        reached[i] = true;
                        grew = true;
                    }
                }
            }
            match (1..parent.len()).find(|&i| !reached[i]) {
                Some(stray) => parent[stray] = 0,
                None => return parent,
            }
        }
    }

    fn done(self) -> SessionTotals {
        let parent = self.parents();
        let subagent_count = self.agents.len() as u64 - 1;
        let mut built: Vec<Option<AgentTotals>> = self
            .agents
            .into_iter()
            .map(|a| {
                Some(AgentTotals {
                    agent_id: a.id,
                    parent_agent_id: a.parent,
                    models: a.models,
                    totals: a.acc.done(),
                    subagents: Vec::new(),
                })
            })
            .collect();
        // Deepest first, so each agent is whole before it moves under its
        // parent; no recursion, however long a chain of subagents is.
        let depth = |mut i: usize| {
            let mut d = 0;
            while i != 0 {
                i = parent[i];
                d += 1;
            }
            d
        };
        let mut order: Vec<(usize, usize)> = (1..built.len()).map(|i| (depth(i), i)).collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        for (_, i) in order {
            if let Some(agent) = built[i].take() {
                if let Some(p) = built[parent[i]].as_mut() {
                    p.subagents.insert(0, agent);
                }
            }
        }
        let main = built[0].take().unwrap_or_else(|| AgentTotals {
            agent_id: None,
            parent_agent_id: None,
            models: Vec::new(),
            totals: ModelTotals::default(),
            subagents: Vec::new(),
        });
        SessionTotals {
            session_id: self.id,
            total: self.total.done(),
            subagents_total: self.subagents.done(),
            subagent_count,
            main,
        }
    }
}

#[cfg(test)]
mod tests;
