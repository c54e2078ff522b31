//! The MCP tools: their names, parameters and descriptions (what the model
//! reads to choose one), each a thin call into [`Traces`] off the async
//! threads, since answering reads log files.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler};
use serde::Deserialize;

use super::answers::{FlowQuery, Order, Outcome, Refusal, Traces};
use super::cap;

#[derive(Clone)]
pub struct TraceTools {
    traces: Arc<Traces>,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListSessions {
    /// How many session logs, newest first (default 10).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Answer size in bytes (default 24576).
    #[serde(default)]
    pub max_bytes: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Scope {
    /// A session log's name from list_sessions; the newest when left out.
    #[serde(default)]
    pub session: Option<String>,
    /// Answer size in bytes (default 24576).
    #[serde(default)]
    pub max_bytes: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListFlows {
    /// Only calls to a model whose name contains this, any case ("opus", "haiku-4-5").
    #[serde(default)]
    pub model: Option<String>,
    /// "main" for the main agent, or the start of a subagent's id.
    #[serde(default)]
    pub agent: Option<String>,
    /// Only calls that ended so.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The order of the rows (default: time).
    #[serde(default)]
    pub order: Option<Order>,
    /// Also calls that are not Messages calls (token counting, sign-in, telemetry, tunnels).
    #[serde(default)]
    pub all_calls: Option<bool>,
    /// How many rows (default 20, at most 200).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Rows to skip, to page on.
    #[serde(default)]
    pub offset: Option<u32>,
    #[serde(flatten)]
    pub scope: Scope,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct OneFlow {
    /// The flow's id from list_flows (its first characters are enough when unique).
    pub flow_id: String,
    #[serde(flatten)]
    pub scope: Scope,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ContextDiff {
    /// The later call's flow id.
    pub flow_id: String,
    /// The earlier call's flow id; by default the same agent's previous call.
    #[serde(default)]
    pub against: Option<String>,
    #[serde(flatten)]
    pub scope: Scope,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Search {
    /// Text to find in any request or response (a file name, a phrase, a tool name), any case.
    pub query: String,
    /// How many rows (default 20, at most 200).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(flatten)]
    pub scope: Scope,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CacheMisses {
    /// How many calls to explain (default 20, at most 200).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(flatten)]
    pub scope: Scope,
}

const DEFAULT_ROWS: u32 = 20;
const MAX_ROWS: u32 = 200;

fn rows(asked: Option<u32>) -> usize {
    asked.unwrap_or(DEFAULT_ROWS).clamp(1, MAX_ROWS) as usize
}

#[tool_router]
impl TraceTools {
    pub fn new(traces: Traces) -> Self {
        TraceTools {
            traces: Arc::new(traces),
            tool_router: Self::tool_router(),
        }
    }

    /// Runs `answer` on a blocking thread and caps what it returns; a
    /// refusal is a tool error the model can read and act on.
    async fn answer<T: Into<Answer> + Send + 'static>(
        &self,
        max_bytes: Option<u32>,
        more: &'static str,
        answer: impl FnOnce(&Traces) -> Result<T, Refusal> + Send + 'static,
    ) -> Result<CallToolResult, ErrorData> {
        let traces = Arc::clone(&self.traces);
        let result = tokio::task::spawn_blocking(move || answer(&traces))
            .await
            .map_err(|e| ErrorData::internal_error(format!("the answer failed: {e}"), None))?;
        Ok(match result {
            Ok(value) => {
                let text = value.into().0;
                CallToolResult::success(vec![ContentBlock::text(cap::cap(
                    text,
                    cap::limit(max_bytes),
                    more,
                ))])
            }
            Err(refusal) => CallToolResult::error(vec![ContentBlock::text(refusal.to_string())]),
        })
    }

    #[tool(
        description = "List the session logs trace_claude recorded, newest first: each one's name (pass it as `session` to the other tools), size, time of its first and last call, number of calls, errors, models and estimated cost in USD.",
        annotations(read_only_hint = true)
    )]
    async fn list_sessions(
        &self,
        Parameters(p): Parameters<ListSessions>,
    ) -> Result<CallToolResult, ErrorData> {
        let limit = p.limit.unwrap_or(10).clamp(1, MAX_ROWS) as usize;
        self.answer(p.max_bytes, "Ask for fewer sessions.", move |t| {
            t.sessions(limit)
        })
        .await
    }

    #[tool(
        description = "A session's totals: per model, the calls, errors, input/output/cache-read/cache-write tokens, cache hit ratio, estimated cost and latency percentiles; and per Claude Code session, the same for the main agent and each subagent (as a tree). Answers 'why was this session so expensive?'.",
        annotations(read_only_hint = true)
    )]
    async fn session_totals(
        &self,
        Parameters(p): Parameters<Scope>,
    ) -> Result<CallToolResult, ErrorData> {
        self.answer(p.max_bytes, "Raise max_bytes to see the rest.", move |t| {
            t.totals(p.session.as_deref())
        })
        .await
    }

    #[tool(
        description = "List a session's calls to the model, one row each: id, start, Claude Code session, agent, model, status, duration, time to first token, tokens, estimated cost, stop reason, error and cache miss. Filter by model, agent and outcome; order by time, slowest, cost or tokens.",
        annotations(read_only_hint = true)
    )]
    async fn list_flows(
        &self,
        Parameters(p): Parameters<ListFlows>,
    ) -> Result<CallToolResult, ErrorData> {
        let query = FlowQuery {
            session: p.scope.session,
            model: p.model,
            agent: p.agent,
            outcome: p.outcome,
            order: p.order.unwrap_or_default(),
            all_calls: p.all_calls.unwrap_or(false),
            limit: rows(p.limit),
            offset: p.offset.unwrap_or(0) as usize,
        };
        self.answer(
            p.scope.max_bytes,
            "Ask for fewer rows, narrow the filters, or page on with offset.",
            move |t| t.flows(&query),
        )
        .await
    }

    #[tool(
        description = "One call as a conversation: who sent it and when, its timing, tokens, cost and cache use, what it added to its agent's conversation (the user's words, tool results), and the answer the model streamed back (thinking, text, tool calls).",
        annotations(read_only_hint = true)
    )]
    async fn get_flow(
        &self,
        Parameters(p): Parameters<OneFlow>,
    ) -> Result<CallToolResult, ErrorData> {
        self.answer(
            p.scope.max_bytes,
            "Raise max_bytes to see the rest.",
            move |t| t.flow(p.scope.session.as_deref(), &p.flow_id),
        )
        .await
    }

    #[tool(
        description = "What changed in the context between a call and its agent's previous call (or `against`): model, parameters, system prompt, tools added, removed or changed, messages appended or rewritten (compaction), moved cache breakpoints, the appended messages themselves, and why the prompt cache was missed.",
        annotations(read_only_hint = true)
    )]
    async fn context_diff(
        &self,
        Parameters(p): Parameters<ContextDiff>,
    ) -> Result<CallToolResult, ErrorData> {
        self.answer(
            p.scope.max_bytes,
            "Raise max_bytes to see the rest.",
            move |t| t.context_diff(p.scope.session.as_deref(), &p.flow_id, p.against.as_deref()),
        )
        .await
    }

    #[tool(
        description = "Find the calls whose request or response contains some text (a file name, a phrase, a tool name), any case; one row each, in the order they started. Answers 'which subagent read that file?'.",
        annotations(read_only_hint = true)
    )]
    async fn search(&self, Parameters(p): Parameters<Search>) -> Result<CallToolResult, ErrorData> {
        let limit = rows(p.limit);
        self.answer(
            p.scope.max_bytes,
            "Ask for fewer rows or search for something narrower.",
            move |t| t.search(p.scope.session.as_deref(), &p.query, limit),
        )
        .await
    }

    #[tool(
        description = "The calls of a session that read less from the prompt cache than they could have, with why (first call, model changed, cache expired, tools or system prompt changed, a message rewritten, a breakpoint moved), from both requests compared, beside what the API said itself.",
        annotations(read_only_hint = true)
    )]
    async fn cache_misses(
        &self,
        Parameters(p): Parameters<CacheMisses>,
    ) -> Result<CallToolResult, ErrorData> {
        let limit = rows(p.limit);
        self.answer(p.scope.max_bytes, "Ask for fewer calls.", move |t| {
            t.cache_misses(p.scope.session.as_deref(), limit)
        })
        .await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TraceTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("trace_claude", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Read-only answers from the Claude Code sessions trace_claude recorded: every call \
                 to the Anthropic API with its request, streamed answer, tokens, cost and timing. \
                 Start with list_sessions or session_totals, then list_flows, and open one call \
                 with get_flow. Credentials are redacted.",
            )
    }
}

/// What a tool answers with, before the cap: JSON compactly, text as is.
pub struct Answer(String);

impl From<String> for Answer {
    fn from(text: String) -> Self {
        Answer(text)
    }
}

impl From<serde_json::Value> for Answer {
    fn from(value: serde_json::Value) -> Self {
        Answer(value.to_string())
    }
}
