//! What each MCP tool answers, read from the session index: summaries
//! first, and a flow's own lines only when a tool is about that flow. Every
//! event read is redacted as `export` redacts it, so no credential reaches
//! the model even from a log written with `--no-redact`.

use std::sync::Arc;

use rmcp::schemars::{self, JsonSchema};
use serde_json::{json, Value};
use shared::cache_miss::{self, Call};
use shared::{turns, Conversation, Event, FlowState, FlowSummary, Prices, SessionTotals, Totals};

use crate::export::{markdown, Filters};
use crate::log::catalog::{Catalog, SessionInfo};
use crate::log::index::SessionIndex;

/// Why a question has no answer, in words for the model to pass on.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no session named {0:?}: call list_sessions for the names")]
    NoSession(String),
    #[error(
        "there are no session logs in {0}: `trace_claude listen --sessions-dir {0}` writes them"
    )]
    NoSessions(String),
    #[error("no flow {0:?} in session {1}: call list_flows for the ids")]
    NoFlow(String, String),
    #[error("{0:?} names {1} flows in session {2}: give more of the id")]
    AmbiguousFlow(String, usize, String),
    #[error("flow {0} is the first call of its agent: there is no previous call to compare with; pass `against`")]
    NoPrevious(String),
    #[error("cannot read the session log: {0:#}")]
    Read(#[from] anyhow::Error),
}

impl From<std::io::Error> for Refusal {
    fn from(e: std::io::Error) -> Self {
        Refusal::Read(e.into())
    }
}

/// The sessions directory and how costs are estimated.
pub struct Traces {
    catalog: Arc<Catalog>,
    prices: Arc<Prices>,
    /// Where the logs are, for the one error that has no session to name.
    dir: String,
}

/// Filters for [`Traces::flows`].
#[derive(Debug, Default, Clone)]
pub struct FlowQuery {
    pub session: Option<String>,
    /// A part of the model's name, any case (`opus`, `haiku-4-5`).
    pub model: Option<String>,
    /// `main`, or the start of a subagent's id.
    pub agent: Option<String>,
    pub outcome: Option<Outcome>,
    pub order: Order,
    /// Every call (token counting, sign-in, telemetry), not only Messages calls.
    pub all_calls: bool,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Completed without an error.
    Ok,
    /// Failed: an error status, an in-band error or a cut connection.
    Failed,
    /// Not ended yet (or the log stops before its end).
    Pending,
    /// Read less from the prompt cache than it could have.
    CacheMiss,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// In the order the calls started.
    #[default]
    Time,
    /// Longest duration first.
    Slowest,
    /// Highest estimated cost first.
    Cost,
    /// Most tokens (input of every kind and output) first.
    Tokens,
}

/// Shortest accepted prefix of a flow id.
const MIN_ID_PREFIX: usize = 4;
/// How many characters of an error message a flow row carries.
const ERROR_CHARS: usize = 300;

impl Traces {
    pub fn new(catalog: Arc<Catalog>, prices: Arc<Prices>, dir: String) -> Self {
        Traces {
            catalog,
            prices,
            dir,
        }
    }

    /// Runs `f` on a session's index: the named one, else the newest.
    fn with_session<T>(
        &self,
        session: Option<&str>,
        f: impl FnOnce(&SessionInfo, &SessionIndex) -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        let session = session.map(str::trim).filter(|s| !s.is_empty());
        let info = self.catalog.find(session).ok_or_else(|| match session {
            Some(name) => Refusal::NoSession(name.to_owned()),
            None => Refusal::NoSessions(self.dir.clone()),
        })?;
        let index = self.catalog.index(&info)?;
        let index = index.lock().unwrap_or_else(|p| p.into_inner());
        f(&info, &index)
    }

    /// The session logs, newest first, each with its calls, models and cost.
    pub fn sessions(&self, limit: usize) -> Result<Value, Refusal> {
        let all = self.catalog.list();
        if all.is_empty() {
            return Err(Refusal::NoSessions(self.dir.clone()));
        }
        let mut rows = Vec::new();
        for info in all.iter().take(limit) {
            let index = self.catalog.index(info)?;
            let index = index.lock().unwrap_or_else(|p| p.into_inner());
            let flows: Vec<&FlowSummary> = index.summaries().collect();
            let totals = Totals::from_flows(flows.iter().copied(), &self.prices);
            let claude_sessions: std::collections::BTreeSet<&str> = flows
                .iter()
                .filter_map(|f| f.session_id.as_deref())
                .collect();
            rows.push(json!({
                "name": info.name,
                "modified": info.modified.and_then(|s| chrono::DateTime::from_timestamp(s as i64, 0)).map(|t| t.to_rfc3339()),
                "bytes": info.bytes,
                "first_call": flows.iter().find_map(|f| f.started).map(|t| t.to_string()),
                "last_call": flows.iter().rev().find_map(|f| f.started).map(|t| t.to_string()),
                "messages_calls": totals.total.requests,
                "other_calls": totals.other_requests,
                "errors": totals.total.errors,
                "models": totals.models.keys().collect::<Vec<_>>(),
                "claude_code_sessions": claude_sessions.len(),
                "cost_usd": cost_of(&totals.total),
            }));
        }
        Ok(json!({
            "sessions": rows,
            "more_sessions": all.len().saturating_sub(limit),
        }))
    }

    /// Tokens, cost and latency per model, and per Claude Code session and agent.
    pub fn totals(&self, session: Option<&str>) -> Result<Value, Refusal> {
        self.with_session(session, |info, index| {
            let flows: Vec<&FlowSummary> = index.summaries().collect();
            let totals = Totals::from_flows(flows.iter().copied(), &self.prices);
            let sessions = SessionTotals::from_flows(flows.iter().copied(), &self.prices);
            Ok(json!({
                "session": info.name,
                "prices_version": self.prices.version,
                "by_model": totals,
                "by_claude_code_session_and_agent": sessions,
            }))
        })
    }

    /// The flows that pass `q`, one row each.
    pub fn flows(&self, q: &FlowQuery) -> Result<Value, Refusal> {
        self.with_session(q.session.as_deref(), |info, index| {
            let flows: Vec<FlowSummary> = index.summaries().cloned().collect();
            let previous = turns::previous_turns(&flows);
            let misses: Vec<Option<String>> = (0..flows.len())
                .map(|i| summary_miss(&flows, i, previous[i]))
                .collect();
            let mut picked: Vec<usize> = (0..flows.len())
                .filter(|&i| admits(q, &flows[i], misses[i].is_some()))
                .collect();
            let cost = |i: usize| {
                self.prices
                    .flow_cost(&flows[i])
                    .and_then(Result::ok)
                    .map_or(0.0, |c| c.usd)
            };
            match q.order {
                Order::Time => {}
                Order::Slowest => picked.sort_by(|&a, &b| {
                    let d = |i: usize| flows[i].duration_ms.unwrap_or(0.0);
                    d(b).total_cmp(&d(a))
                }),
                Order::Cost => picked.sort_by(|&a, &b| cost(b).total_cmp(&cost(a))),
                Order::Tokens => picked.sort_by_key(|&i| std::cmp::Reverse(tokens(&flows[i]))),
            }
            let matched = picked.len();
            let rows: Vec<Value> = picked
                .into_iter()
                .skip(q.offset)
                .take(q.limit)
                .map(|i| row(&flows[i], &self.prices, misses[i].as_deref()))
                .collect();
            Ok(json!({
                "session": info.name,
                "matched": matched,
                "offset": q.offset,
                "flows": rows,
            }))
        })
    }

    /// One flow as a conversation: what it added to its agent's
    /// conversation, the answer, and its timing, usage and cost.
    pub fn flow(&self, session: Option<&str>, id: &str) -> Result<String, Refusal> {
        self.with_session(session, |info, index| {
            let flows: Vec<FlowSummary> = index.summaries().cloned().collect();
            let at = find_flow(&flows, id, &info.name)?;
            let flow = &flows[at];
            let events = read_flow(index, flow)?;
            let previous = turns::previous_turn(&flows, at);
            let mut text = facts(flow, previous.map(|p| &flows[p]), &info.name);
            // What the call added: the messages past those it shares with
            // the agent's previous request, and why the cache was missed,
            // both from the two requests compared.
            let mut seen = 0;
            if flow.is_messages_call() {
                let body = request_body(&events);
                let before = previous.map(|p| with_body(index, &flows[p])).transpose()?;
                if let Some((_, before_body)) = &before {
                    seen = shared::context_diff(before_body, &body)
                        .messages
                        .common_prefix;
                }
                let before = before.as_ref().map(|(b, body)| (*b, body));
                if let Some(miss) = miss_between(flow, &body, before) {
                    text.push_str(&format!("- cache: {}\n", miss.describe()));
                }
            }
            text.push('\n');
            if flow.is_messages_call() {
                text.push_str(&markdown::call_section(flow, &events, seen, &self.prices));
            } else {
                // Not a conversation: its request and response as logged.
                for event in &events {
                    if let Ok(line) = serde_json::to_string(event) {
                        text.push_str(&line);
                        text.push('\n');
                    }
                }
            }
            Ok(text)
        })
    }

    /// What changed in the context between a call and the one before it
    /// (its agent's previous call, or `against`).
    pub fn context_diff(
        &self,
        session: Option<&str>,
        id: &str,
        against: Option<&str>,
    ) -> Result<Value, Refusal> {
        self.with_session(session, |info, index| {
            let flows: Vec<FlowSummary> = index.summaries().cloned().collect();
            let at = find_flow(&flows, id, &info.name)?;
            let before = match against {
                Some(other) => find_flow(&flows, other, &info.name)?,
                None => turns::previous_turn(&flows, at)
                    .ok_or_else(|| Refusal::NoPrevious(flows[at].flow_id.to_string()))?,
            };
            let after_body = request_body(&read_flow(index, &flows[at])?);
            let before_body = request_body(&read_flow(index, &flows[before])?);
            let diff = shared::context_diff(&before_body, &after_body);
            let conversation = Conversation::from_request_body(&after_body);
            let added: Vec<Value> = diff
                .messages
                .added
                .iter()
                .filter_map(|&i| conversation.messages.get(i).map(|m| (i, m)))
                .map(|(i, m)| json!({ "index": i, "message": markdown::message_section(m) }))
                .collect();
            let explained = miss_between(
                &flows[at],
                &after_body,
                Some((&flows[before], &before_body)),
            );
            Ok(json!({
                "session": info.name,
                "flow": flows[at].flow_id,
                "against": flows[before].flow_id,
                "unchanged": diff.is_empty(),
                "diff": diff,
                "added_messages": added,
                "cache_miss": explained.map(|m| m.describe()),
            }))
        })
    }

    /// The flows with `query` in any of their lines, one row each.
    pub fn search(
        &self,
        session: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Value, Refusal> {
        self.with_session(session, |info, index| {
            let hits = index.search(query)?;
            let hit: std::collections::HashSet<&str> = hits.iter().map(|id| id.as_str()).collect();
            let rows: Vec<Value> = index
                .summaries()
                .filter(|f| hit.contains(f.flow_id.as_str()))
                .take(limit)
                .map(|f| row(f, &self.prices, None))
                .collect();
            Ok(json!({
                "session": info.name,
                "query": query,
                "matched": hits.len(),
                "flows": rows,
            }))
        })
    }

    /// Every call that read less from the prompt cache than it could have,
    /// with why: both requests compared, beside what the API said.
    pub fn cache_misses(&self, session: Option<&str>, limit: usize) -> Result<Value, Refusal> {
        self.with_session(session, |info, index| {
            let flows: Vec<FlowSummary> = index.summaries().cloned().collect();
            let previous = turns::previous_turns(&flows);
            // The summaries find the misses; only those calls' bodies are read.
            let missed: Vec<usize> = (0..flows.len())
                .filter(|&i| cache_miss::from_summaries(&flows, i, previous[i]).is_some())
                .collect();
            let mut rows = Vec::new();
            let mut tokens_not_read = 0u64;
            for &i in &missed {
                let flow = &flows[i];
                let before = previous[i].map(|p| &flows[p]);
                let now_body = request_body(&read_flow(index, flow)?);
                let before_body = before.map(|b| with_body(index, b)).transpose()?;
                let before_body = before_body.as_ref().map(|(b, body)| (*b, body));
                let Some(miss) = miss_between(flow, &now_body, before_body) else {
                    continue;
                };
                tokens_not_read += miss.not_read;
                if rows.len() < limit {
                    rows.push(json!({
                        "flow": flow.flow_id,
                        "started": flow.started.map(|t| t.to_string()),
                        "agent": agent_name(flow),
                        "model": flow.model,
                        "tokens_not_read_from_cache": miss.not_read,
                        "tokens_written_to_cache": miss.written,
                        "why": miss.describe(),
                        "api_says": flow.api_cache_miss.as_ref().map(|a| a.describe()),
                        "previous_call": before.map(|b| b.flow_id.clone()),
                    }));
                }
            }
            Ok(json!({
                "session": info.name,
                "misses": missed.len(),
                "tokens_not_read_from_cache": tokens_not_read,
                "calls": rows,
            }))
        })
    }
}

fn cost_of(t: &shared::ModelTotals) -> Value {
    match t.cost_usd {
        Some(usd) => json!(round(usd, 6)),
        None if t.unpriced_requests > 0 => json!({
            "priced_usd": round(t.priced_cost_usd, 6),
            "unpriced_calls": t.unpriced_requests,
        }),
        None => Value::Null,
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn tokens(flow: &FlowSummary) -> u64 {
    flow.usage.as_ref().map_or(0, |u| {
        u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens + u.output_tokens
    })
}

fn agent_name(flow: &FlowSummary) -> &str {
    flow.agent_id.as_deref().unwrap_or("main")
}

fn admits(q: &FlowQuery, flow: &FlowSummary, missed: bool) -> bool {
    if !q.all_calls && !flow.is_messages_call() {
        return false;
    }
    if let Some(model) = &q.model {
        let want = model.to_ascii_lowercase();
        if !flow
            .model
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().contains(&want))
        {
            return false;
        }
    }
    if let Some(agent) = q.agent.as_deref() {
        let ok = match (agent, flow.agent_id.as_deref()) {
            ("main", None) => true,
            (want, Some(id)) => id.starts_with(want),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    match q.outcome {
        None => true,
        Some(Outcome::Ok) => flow.state == FlowState::Complete,
        Some(Outcome::Failed) => flow.state == FlowState::Failed,
        Some(Outcome::Pending) => flow.state == FlowState::Pending,
        Some(Outcome::CacheMiss) => missed,
    }
}

/// Whether the call at `index` missed the cache, from the summaries alone.
fn summary_miss(flows: &[FlowSummary], index: usize, previous: Option<usize>) -> Option<String> {
    cache_miss::from_summaries(flows, index, previous).map(|m| m.describe())
}

/// A flow as one row of a list.
fn row(flow: &FlowSummary, prices: &Prices, cache_miss: Option<&str>) -> Value {
    let mut row = json!({
        "id": flow.flow_id,
        "started": flow.started.map(|t| t.to_string()),
        "method": flow.method,
        "path": flow.path,
        "state": flow.state,
    });
    let fields = row.as_object_mut().expect("a row is an object");
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            fields.insert(key.to_owned(), value);
        }
    };
    if flow
        .host
        .as_deref()
        .is_some_and(|h| h != "api.anthropic.com")
    {
        put("host", json!(flow.host));
    }
    put("claude_code_session", json!(flow.session_id));
    put("agent", json!(agent_name(flow)));
    put("model", json!(flow.model));
    put("status", json!(flow.status));
    put("messages", json!(flow.message_count));
    put("duration_ms", json!(flow.duration_ms.map(|d| round(d, 1))));
    put("ttft_ms", json!(flow.ttft_ms.map(|d| round(d, 1))));
    if let Some(u) = &flow.usage {
        put(
            "tokens",
            json!({
                "input": u.input_tokens,
                "cache_read": u.cache_read_input_tokens,
                "cache_write": u.cache_creation_input_tokens,
                "output": u.output_tokens,
            }),
        );
    }
    match prices.flow_cost(flow) {
        Some(Ok(cost)) => put("cost_usd", json!(round(cost.usd, 6))),
        Some(Err(why)) => put("cost_unknown", json!(why.to_string())),
        None => {}
    }
    put("stop_reason", json!(flow.stop_reason));
    if flow.state == FlowState::Failed {
        put(
            "error",
            json!(flow
                .error
                .as_deref()
                .map(|e| e.chars().take(ERROR_CHARS).collect::<String>())),
        );
    }
    put("cache_miss", json!(cache_miss));
    row
}

/// The header of a flow's answer: who sent it, when, what it cost.
fn facts(flow: &FlowSummary, previous: Option<&FlowSummary>, session: &str) -> String {
    let mut out = format!(
        "# Flow {} of session {session}\n\n- {} {}",
        flow.flow_id, flow.method, flow.path
    );
    if let Some(host) = &flow.host {
        out.push_str(&format!(" on {host}"));
    }
    out.push('\n');
    if let Some(s) = &flow.session_id {
        out.push_str(&format!(
            "- Claude Code session {s}, agent {}\n",
            agent_name(flow)
        ));
    }
    let mut state = format!("- {:?}", flow.state).to_lowercase();
    if let Some(status) = flow.status {
        state.push_str(&format!(", status {status}"));
    }
    if let Some(stop) = &flow.stop_reason {
        state.push_str(&format!(", stop reason {stop}"));
    }
    out.push_str(&state);
    out.push('\n');
    let timing: Vec<String> = [
        ("headers", flow.ttfb_ms),
        ("first token", flow.ttft_ms),
        ("last token", flow.last_token_ms),
        ("end", flow.duration_ms),
    ]
    .into_iter()
    .filter_map(|(what, ms)| ms.map(|ms| format!("{what} {ms:.0} ms")))
    .collect();
    if let Some(started) = flow.started {
        out.push_str(&format!("- started {started}"));
        if !timing.is_empty() {
            out.push_str(&format!("; {}", timing.join(", ")));
        }
        out.push('\n');
    }
    if let Some(p) = previous {
        out.push_str(&format!(
            "- the agent's previous call: {} ({} messages)\n",
            p.flow_id,
            p.message_count.unwrap_or(0)
        ));
    }
    out
}

/// `id`, or the one flow whose id starts with it.
fn find_flow(flows: &[FlowSummary], id: &str, session: &str) -> Result<usize, Refusal> {
    let id = id.trim();
    if let Some(at) = flows.iter().position(|f| f.flow_id.as_str() == id) {
        return Ok(at);
    }
    let no_flow = || Refusal::NoFlow(id.to_owned(), session.to_owned());
    if id.len() < MIN_ID_PREFIX {
        return Err(no_flow());
    }
    let mut starting = flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.flow_id.as_str().starts_with(id));
    match (starting.next(), starting.count()) {
        (Some((at, _)), 0) => Ok(at),
        (Some(_), more) => Err(Refusal::AmbiguousFlow(
            id.to_owned(),
            more + 1,
            session.to_owned(),
        )),
        (None, _) => Err(no_flow()),
    }
}

/// A flow's events from the log, credentials redacted.
fn read_flow(index: &SessionIndex, flow: &FlowSummary) -> Result<Vec<Event>, Refusal> {
    let snapshot = index.snapshot_of_ids([flow.flow_id.as_str()]);
    let mut events = match snapshot.events()?.next() {
        Some(events) => events?,
        None => Vec::new(),
    };
    let filters = Filters {
        redact_credentials: true,
        redact_bodies: false,
    };
    for event in &mut events {
        filters.apply(event);
    }
    Ok(events)
}

/// A flow and its request's body, read from the log.
fn with_body<'a>(
    index: &SessionIndex,
    flow: &'a FlowSummary,
) -> Result<(&'a FlowSummary, Value), Refusal> {
    Ok((flow, request_body(&read_flow(index, flow)?)))
}

/// Why `now` missed the cache, from its request compared with the one before.
fn miss_between(
    now: &FlowSummary,
    body: &Value,
    before: Option<(&FlowSummary, &Value)>,
) -> Option<cache_miss::CacheMiss> {
    cache_miss::explain(
        &Call::of(now, Some(body)),
        before.map(|(b, body)| Call::of(b, Some(body))).as_ref(),
    )
}

fn request_body(events: &[Event]) -> Value {
    shared::request_body(events).cloned().unwrap_or(Value::Null)
}
