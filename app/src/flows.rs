//! The page's flow list: the server's summaries, kept current by live events,
//! grouped by Claude Code session and agent, filtered and sorted for display.
//!
//! The server sends summaries as of line N of the log; live events after N
//! continue them here with the same [`FlowSummary::accept`] the server used,
//! so the list is identical whichever side computed it.

use std::collections::{BTreeSet, HashMap};

use shared::cache_miss;
use shared::turns;
use shared::{
    CacheMiss, CaptureMode, Category, Cost, Event, FlowState, FlowSummary, Prices, Unpriced,
};

#[derive(Debug, Default)]
pub struct FlowStore {
    /// The session the summaries belong to.
    session: Option<String>,
    flows: Vec<FlowSummary>,
    by_id: HashMap<String, usize>,
    /// The last log line reflected in `flows`.
    through: u64,
    loaded: bool,
    /// Live events that came before the snapshot, replayed once it arrives.
    early: Vec<(String, u64, Event)>,
    pub prices: Option<Prices>,
}

impl FlowStore {
    /// Takes the server's summaries of `session` as of line `through`.
    pub fn load(
        &mut self,
        session: String,
        flows: Vec<FlowSummary>,
        through: u64,
        prices: Option<Prices>,
    ) {
        self.session = Some(session.clone());
        self.by_id = flows
            .iter()
            .enumerate()
            .map(|(i, f)| (f.flow_id.as_str().to_owned(), i))
            .collect();
        self.flows = flows;
        self.through = through;
        self.prices = prices;
        self.loaded = true;
        for (from, seq, event) in std::mem::take(&mut self.early) {
            self.accept(&from, seq, &event);
        }
    }

    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Forgets everything: another session's summaries are on their way.
    pub fn reset(&mut self) {
        let prices = self.prices.take();
        *self = FlowStore {
            prices,
            ..FlowStore::default()
        };
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Continues the summaries with a live event; lines already reflected
    /// (the snapshot covered them, or a reconnect replayed them) are skipped.
    pub fn accept(&mut self, session: &str, seq: u64, event: &Event) {
        if !self.loaded {
            self.early.push((session.to_owned(), seq, event.clone()));
            return;
        }
        // Lines of another session are not this snapshot's to continue.
        if seq <= self.through || self.session.as_deref() != Some(session) {
            return;
        }
        self.through = seq;
        let id = event.flow_id().as_str();
        let index = match self.by_id.get(id) {
            Some(&i) => i,
            None => {
                self.flows
                    .push(FlowSummary::new(event.flow_id().clone(), seq));
                self.by_id.insert(id.to_owned(), self.flows.len() - 1);
                self.flows.len() - 1
            }
        };
        self.flows[index].accept(seq, event);
    }

    pub fn flows(&self) -> &[FlowSummary] {
        &self.flows
    }

    pub fn get(&self, id: &str) -> Option<&FlowSummary> {
        self.by_id.get(id).map(|&i| &self.flows[i])
    }

    /// A flow's cost on its own day, or why it has none; `None` when the
    /// flow has no usage (nothing billed) or the price table has not come.
    pub fn cost(&self, flow: &FlowSummary) -> Option<Result<Cost, Unpriced>> {
        self.prices.as_ref()?.flow_cost(flow)
    }

    /// The request before `id` in the same Claude Code session and agent:
    /// what its context and its cache use are compared against. Only
    /// Messages calls count (token counting and other calls carry no
    /// conversation), and not one that failed before the API counted
    /// anything: a refused call cached nothing, and its retry follows it.
    pub fn previous_turn(&self, id: &str) -> Option<&FlowSummary> {
        let &index = self.by_id.get(id)?;
        turns::previous_turn(&self.flows, index).map(|i| &self.flows[i])
    }

    /// [`FlowStore::previous_turn`] of every flow at once, by index: one
    /// pass, for the list's cache-miss marks.
    pub fn previous_turns(&self) -> Vec<Option<usize>> {
        turns::previous_turns(&self.flows)
    }

    /// Whether the flow at `index` missed the cache, from the summaries
    /// alone (no bodies): the list's mark, whose reasons stop short of the
    /// prompt prefix.
    pub fn cache_miss(&self, index: usize, previous: Option<usize>) -> Option<CacheMiss> {
        cache_miss::from_summaries(&self.flows, index, previous)
    }
}

/// What the user narrowed the list to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowFilter {
    pub model: Option<String>,
    /// The host a call went to (forward capture records many).
    pub host: Option<String>,
    /// What calls are for: inference, sign-in, telemetry…
    pub category: Option<Category>,
    pub status: StatusFilter,
    pub path: Option<String>,
    /// One Claude Code session (its `x-claude-code-session-id`).
    pub session: Option<String>,
    pub agent: Option<AgentChoice>,
    /// Flow ids matching the search, when a search is active.
    pub matches: Option<BTreeSet<String>>,
}

/// The main agent's calls (no `x-claude-code-agent-id`), or one subagent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentChoice {
    Main,
    Sub(String),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Ok,
    Failed,
    Pending,
}

impl FlowFilter {
    pub fn admits(&self, flow: &FlowSummary) -> bool {
        if self.model.is_some() && flow.model != self.model {
            return false;
        }
        if self.host.is_some() && flow.host != self.host {
            return false;
        }
        if self.category.is_some_and(|c| c != flow.category) {
            return false;
        }
        if let Some(path) = &self.path {
            if flow.path.split('?').next() != Some(path.as_str()) {
                return false;
            }
        }
        if self.session.is_some() && flow.session_id != self.session {
            return false;
        }
        let agent_ok = match &self.agent {
            None => true,
            Some(AgentChoice::Main) => flow.agent_id.is_none(),
            Some(AgentChoice::Sub(id)) => flow.agent_id.as_deref() == Some(id.as_str()),
        };
        if !agent_ok {
            return false;
        }
        let state_ok = match self.status {
            StatusFilter::All => true,
            StatusFilter::Ok => flow.state == FlowState::Complete,
            StatusFilter::Failed => flow.state == FlowState::Failed,
            StatusFilter::Pending => flow.state == FlowState::Pending,
        };
        state_ok
            && self
                .matches
                .as_ref()
                .is_none_or(|m| m.contains(flow.flow_id.as_str()))
    }
}

/// The columns a user can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Start,
    Method,
    Host,
    Kind,
    Via,
    Path,
    Model,
    Status,
    Duration,
    Ttfb,
    Ttft,
    TokensPerSec,
    Input,
    Output,
    CacheRead,
    CacheWrite,
    Cost,
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: Column::Start,
            descending: false,
        }
    }
}

/// How a flow reached the proxy, in a word: `proxy` (forward capture,
/// `HTTPS_PROXY`) or `base URL` (`ANTHROPIC_BASE_URL`, and older logs).
pub fn via(flow: &FlowSummary) -> &'static str {
    match flow.mode {
        Some(CaptureMode::Forward) => "proxy",
        _ => "base URL",
    }
}

/// A key that sorts every column's values, absent ones last.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Text(String),
    Missing,
}

fn key(store: &FlowStore, flow: &FlowSummary, column: Column) -> Key {
    let num = |v: Option<f64>| v.map_or(Key::Missing, Key::Num);
    let text = |v: Option<&str>| v.map_or(Key::Missing, |s| Key::Text(s.to_owned()));
    let usage = flow.usage.as_ref();
    match column {
        Column::Start => Key::Num(flow.first_seq as f64),
        Column::Method => text(Some(&flow.method)),
        Column::Host => text(flow.host.as_deref()),
        Column::Kind => text(Some(flow.category.label())),
        Column::Via => text(Some(via(flow))),
        Column::Path => text(Some(&flow.path)),
        Column::Model => text(flow.model.as_deref()),
        Column::Status => num(flow.status.map(f64::from)),
        Column::Duration => num(flow.duration_ms),
        Column::Ttfb => num(flow.ttfb_ms),
        Column::Ttft => num(flow.ttft_ms),
        Column::TokensPerSec => num(flow.output_tokens_per_sec()),
        Column::Input => num(usage.map(|u| u.input_tokens as f64)),
        Column::Output => num(usage.map(|u| u.output_tokens as f64)),
        Column::CacheRead => num(usage.map(|u| u.cache_read_input_tokens as f64)),
        Column::CacheWrite => num(usage.map(|u| u.cache_creation_input_tokens as f64)),
        Column::Cost => num(store.cost(flow).and_then(Result::ok).map(|c| c.usd)),
        Column::Stop => text(flow.stop_reason.as_deref()),
    }
}

/// One group of the list: a Claude Code session's main agent or one of its
/// subagents, or the requests that named no session.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub session_id: Option<String>,
    pub agent_id: Option<String>,
    /// Indexes into the store's flows, in display order.
    pub flows: Vec<usize>,
}

impl Group {
    pub fn key(&self) -> String {
        format!(
            "{}/{}",
            self.session_id.as_deref().unwrap_or("-"),
            self.agent_id.as_deref().unwrap_or("-")
        )
    }
}

/// The flows that pass the filter, grouped by session then agent (groups in
/// the order they first appeared; a session's main agent before its
/// subagents), sorted within each group.
pub fn grouped(store: &FlowStore, filter: &FlowFilter, sort: Sort) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut at: HashMap<(Option<&str>, Option<&str>), usize> = HashMap::new();
    for (i, flow) in store.flows().iter().enumerate() {
        let k = (flow.session_id.as_deref(), flow.agent_id.as_deref());
        let g = *at.entry(k).or_insert_with(|| {
            groups.push(Group {
                session_id: flow.session_id.clone(),
                agent_id: flow.agent_id.clone(),
                flows: Vec::new(),
            });
            groups.len() - 1
        });
        if filter.admits(flow) {
            groups[g].flows.push(i);
        }
    }
    groups.retain(|g| !g.flows.is_empty());
    // Stable: within a session, the main agent (no agent id) first, then
    // subagents in order of appearance; sessions in order of appearance.
    let first_of_session: HashMap<Option<String>, usize> = groups
        .iter()
        .enumerate()
        .rev()
        .map(|(i, g)| (g.session_id.clone(), i))
        .collect();
    groups.sort_by_key(|g| (first_of_session[&g.session_id], g.agent_id.is_some()));
    for group in &mut groups {
        group.flows.sort_by(|&a, &b| {
            let (fa, fb) = (&store.flows()[a], &store.flows()[b]);
            let (ka, kb) = (key(store, fa, sort.column), key(store, fb, sort.column));
            let order = match (&ka, &kb) {
                (Key::Missing, Key::Missing) => std::cmp::Ordering::Equal,
                (Key::Missing, _) => return std::cmp::Ordering::Greater,
                (_, Key::Missing) => return std::cmp::Ordering::Less,
                _ => ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal),
            };
            let order = if sort.descending {
                order.reverse()
            } else {
                order
            };
            order.then(fa.first_seq.cmp(&fb.first_seq))
        });
    }
    groups
}

/// The values a filter can choose from, in the order they first appear.
pub fn distinct<'a>(
    store: &'a FlowStore,
    value: impl Fn(&'a FlowSummary) -> Option<&'a str>,
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for flow in store.flows() {
        if let Some(v) = value(flow) {
            if seen.insert(v) {
                out.push(v.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: serde_json::Value) -> Event {
        serde_json::from_value(v).unwrap()
    }

    fn request(flow: &str, ts: &str, session: &str, agent: Option<&str>) -> Event {
        let mut headers = json!({ "x-claude-code-session-id": session });
        if let Some(a) = agent {
            headers["x-claude-code-agent-id"] = json!(a);
        }
        ev(json!({
            "ts": ts, "type": "request", "flow_id": flow, "method": "POST",
            "path": "/v1/messages?beta=true", "headers": headers,
            "body": { "model": "claude-sonnet-4-5", "messages": [], "stream": true }
        }))
    }

    fn end(flow: &str, ts: &str) -> Event {
        ev(json!({ "ts": ts, "type": "stream_end", "flow_id": flow }))
    }

    const T0: &str = "2026-03-29T11:27:07.000000Z";
    const T1: &str = "2026-03-29T11:27:08.000000Z";

    /// A store whose snapshot was empty, then these requests (flow, Claude
    /// Code session, agent) arrived live at T0, with sequence numbers 1, 2, ….
    fn live_store(requests: &[(&str, &str, Option<&str>)]) -> FlowStore {
        let mut store = FlowStore::default();
        store.load("s".to_owned(), Vec::new(), 0, None);
        for (seq, &(flow, session, agent)) in (1..).zip(requests) {
            store.accept("s", seq, &request(flow, T0, session, agent));
        }
        store
    }

    /// Session s1's main agent calls (f1), its subagent calls (f2), session
    /// s2 calls (f3), then s1's main agent calls again (f4).
    fn two_sessions() -> FlowStore {
        live_store(&[
            ("f1", "s1", None),
            ("f2", "s1", Some("agent-x")),
            ("f3", "s2", None),
            ("f4", "s1", None),
        ])
    }

    /// The flows `filter` keeps, by index, whatever group they are in.
    fn kept(store: &FlowStore, filter: &FlowFilter) -> Vec<usize> {
        let mut ids: Vec<usize> = grouped(store, filter, Sort::default())
            .iter()
            .flat_map(|g| g.flows.clone())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn live_events_continue_the_snapshot_without_doubling() {
        let mut store = FlowStore::default();
        // A live event arrives before the snapshot: held, then replayed.
        store.accept("s", 3, &end("a", T1));
        let mut a = FlowSummary::new(shared::FlowId("a".into()), 1);
        a.accept(1, &request("a", T0, "s", None));
        store.load("s".to_owned(), vec![a], 2, None);
        assert_eq!(store.flows().len(), 1);
        assert_eq!(store.flows()[0].state, shared::FlowState::Complete);
        // A replayed line changes nothing; a new flow is appended.
        store.accept("s", 3, &end("a", T1));
        store.accept("s", 4, &request("b", T1, "s", None));
        assert_eq!(store.flows().len(), 2);
        assert_eq!(store.flows()[0].events, 2);
    }

    #[test]
    fn groups_by_session_then_main_agent_before_subagents() {
        let store = two_sessions();
        let groups = grouped(&store, &FlowFilter::default(), Sort::default());
        let keys: Vec<String> = groups.iter().map(Group::key).collect();
        assert_eq!(keys, ["s1/-", "s1/agent-x", "s2/-"]);
        assert_eq!(groups[0].flows, [0, 3]);
        assert_eq!(
            store.previous_turn("f4").map(|f| f.flow_id.as_str()),
            Some("f1")
        );
        assert!(
            store.previous_turn("f2").is_none(),
            "a subagent's first turn has none"
        );
    }

    #[test]
    fn sorting_puts_missing_values_last_either_way() {
        let mut store = live_store(&[
            ("slow", "s", None),
            ("open", "s", None),
            ("fast", "s", None),
        ]);
        store.accept("s", 4, &end("slow", T1));
        store.accept("s", 5, &end("fast", "2026-03-29T11:27:07.500000Z"));
        let order = |descending| {
            let g = grouped(
                &store,
                &FlowFilter::default(),
                Sort {
                    column: Column::Duration,
                    descending,
                },
            );
            g[0].flows
                .iter()
                .map(|&i| store.flows()[i].flow_id.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(order(false), ["fast", "slow", "open"]);
        assert_eq!(order(true), ["slow", "fast", "open"]);
    }

    #[test]
    fn filters_by_search_matches_and_state() {
        let mut store = live_store(&[("a", "s", None), ("b", "s", None)]);
        store.accept("s", 3, &end("b", T1));
        let matches = FlowFilter {
            matches: Some(["a".to_owned()].into()),
            ..Default::default()
        };
        assert_eq!(kept(&store, &matches), [0]);
        let done = FlowFilter {
            status: StatusFilter::Ok,
            ..Default::default()
        };
        assert_eq!(kept(&store, &done), [1]);
    }

    /// A finished call of session `s`, main agent, with these cache counts.
    fn cached(store: &mut FlowStore, seq: u64, flow: &str, ts: &str, read: u64, write: u64) {
        store.accept("s", seq, &request(flow, ts, "s", None));
        store.accept(
            "s",
            seq + 1,
            &ev(
                json!({"ts": ts, "type": "sse", "flow_id": flow, "event": "message_start",
                "data": {"type":"message_start","message":{"usage":{
                    "input_tokens": 3, "cache_read_input_tokens": read,
                    "cache_creation_input_tokens": write}}}}),
            ),
        );
        store.accept("s", seq + 2, &end(flow, ts));
    }

    #[test]
    fn cache_misses_are_marked_from_usage_against_the_previous_turn() {
        let mut store = FlowStore::default();
        store.load("s".to_owned(), Vec::new(), 0, None);
        cached(&mut store, 1, "first", T0, 0, 5_000);
        cached(&mut store, 4, "hit", T1, 5_000, 200);
        // A 529 in between is not the turn the next call follows on.
        store.accept("s", 7, &request("refused", T1, "s", None));
        store.accept(
            "s",
            8,
            &ev(json!({"ts": T1, "type": "response", "flow_id": "refused", "status_code": 529,
                "body": {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}})),
        );
        cached(
            &mut store,
            9,
            "late",
            "2026-03-29T11:40:00.000000Z",
            0,
            5_300,
        );
        let previous = store.previous_turns();
        assert_eq!(previous, [None, Some(0), Some(1), Some(1)]);
        assert_eq!(
            store.previous_turn("late").map(|f| f.flow_id.as_str()),
            Some("hit")
        );
        let miss = |i: usize| store.cache_miss(i, previous[i]);
        assert_eq!(
            miss(0).map(|m| m.reasons),
            Some(vec![shared::MissReason::FirstCall])
        );
        assert_eq!(miss(1), None, "read all the first call cached");
        assert_eq!(miss(2), None, "not a call that used the cache");
        let late = miss(3).unwrap();
        assert_eq!(late.not_read, 5_200);
        assert!(
            matches!(late.reasons[..], [shared::MissReason::Expired { .. }]),
            "{late:?}"
        );
    }

    #[test]
    fn filters_by_session_and_agent() {
        let store = two_sessions();
        let session = |s: &str| FlowFilter {
            session: Some(s.to_owned()),
            ..Default::default()
        };
        assert_eq!(kept(&store, &session("s1")), [0, 1, 3]);
        let main = FlowFilter {
            agent: Some(AgentChoice::Main),
            ..Default::default()
        };
        assert_eq!(kept(&store, &main), [0, 2, 3]);
        let sub = FlowFilter {
            agent: Some(AgentChoice::Sub("agent-x".to_owned())),
            ..Default::default()
        };
        assert_eq!(kept(&store, &sub), [1]);
    }
}
