//! One flow, opened: the request as a conversation, the response as the
//! client assembled it, where the time went, and what changed in the context
//! since the same agent's previous call.
//!
//! The flow's events are fetched when it is opened (bodies never travel with
//! the list), and once more when a flow opened in progress finishes.

use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;
use shared::{
    context_diff, reassemble, AssembledBlock, Block, ContextDiff, Conversation, Event, EventKind,
    FlowSummary, SystemChange,
};

use crate::format::{millis, short, tokens};
use crate::Ui;

/// A flow's events, and those of the call it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowDetail {
    pub id: String,
    pub events: Vec<Event>,
    pub previous: Option<(String, Vec<Event>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Request,
    Response,
    Timing,
    Changes,
}

/// Fetches the selected flow's events when the selection changes, and once
/// more when a flow opened while in progress finishes. Not on every live
/// event: a streaming flow would be fetched again for each of them.
pub fn load_selected(ui: Ui) {
    #[cfg(feature = "hydrate")]
    {
        // A memo, so that other flows' events (which change the store) do
        // not wake the fetch: only this selection and its state do.
        let target = Memo::new(move |_| {
            let id = ui.open.selected.get()?;
            let state = ui.flows.store.with(|s| s.get(&id).map(|f| f.state));
            Some((id, state))
        });
        Effect::new(move |_| load(ui, target.get()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ui;
}

#[cfg(feature = "hydrate")]
fn load(ui: Ui, target: Option<(String, Option<shared::FlowState>)>) {
    thread_local! {
        // Fetches in flight may finish out of order: only the latest one's
        // answer (or error) is shown.
        static LATEST: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    let mine = LATEST.with(|l| {
        l.set(l.get() + 1);
        l.get()
    });
    let is_latest = move || LATEST.with(|l| l.get() == mine);
    ui.open.detail_error.set(None);
    let Some((id, _)) = target else {
        ui.open.detail.set(None);
        return;
    };
    let previous = ui
        .flows
        .with_untracked(|s| s.previous_turn(&id).map(|f| f.flow_id.as_str().to_owned()));
    let session = ui.source.viewing.get_untracked();
    leptos::task::spawn_local(async move {
        let events = match fetch_flow(ui, &id, session.as_deref()).await {
            Ok(events) => events,
            Err(e) => {
                if is_latest() {
                    ui.open.detail_error.set(Some(e));
                }
                return;
            }
        };
        let previous = match previous {
            Some(prev) => fetch_flow(ui, &prev, session.as_deref())
                .await
                .ok()
                .map(|events| (prev, events)),
            None => None,
        };
        // The user may have moved on, or a newer fetch started, meanwhile.
        if is_latest() {
            ui.open.detail.set(Some(Arc::new(FlowDetail {
                id,
                events,
                previous,
            })));
        }
    });
}

#[cfg(feature = "hydrate")]
async fn fetch_flow(ui: Ui, id: &str, session: Option<&str>) -> Result<Vec<Event>, String> {
    if ui.source.report.get_untracked() {
        return crate::report::flow(id).await;
    }
    let url = format!(
        "/api/flows/{}{}",
        crate::fetch::encode(id),
        crate::fetch::session_param(session, true)
    );
    crate::fetch::get_json(&url).await
}

#[component]
pub fn FlowView(ui: Ui) -> impl IntoView {
    let tab = RwSignal::new(Tab::Request);
    let summary = Memo::new(move |_| {
        let id = ui.open.selected.get()?;
        ui.flows.store.with(|s| s.get(&id).cloned())
    });
    let detail = move || {
        let d = ui.open.detail.get()?;
        (ui.open.selected.get().as_deref() == Some(d.id.as_str())).then_some(d)
    };
    let tabs = [
        (Tab::Request, "request", "Request"),
        (Tab::Response, "response", "Response"),
        (Tab::Timing, "timing", "Timing"),
        (Tab::Changes, "changes", "Context diff"),
    ]
    .into_iter()
    .map(|(t, name, label)| {
        view! {
            <button
                role="tab"
                data-tab=name
                aria-selected=move || (tab.get() == t).to_string()
                on:click=move |_| tab.set(t)
            >{label}</button>
        }
    })
    .collect_view();
    view! {
        <section class="flow-view" data-role="flow-view" data-flow-id=move || ui.open.selected.get()>
            {move || match summary.get() {
                None => view! { <p class="empty">"Select a flow in the list to open it."</p> }.into_any(),
                Some(s) => view! { <FlowHead summary=s/> }.into_any(),
            }}
            <div class="subtabs" role="tablist">
                {tabs}
                <span class="spacer"></span>
                {move || detail().map(|d| view! { <FlowActions ui=ui detail=d/> })}
            </div>
            <div class="flow-body">
                {move || ui.open.detail_error.get().map(|e| view! { <p class="error">{format!("Cannot load this flow: {e}")}</p> })}
                {move || match (detail(), summary.get()) {
                    (Some(d), Some(s)) => match tab.get() {
                        Tab::Request => view! { <RequestView detail=d/> }.into_any(),
                        Tab::Response => view! { <ResponseView detail=d/> }.into_any(),
                        Tab::Timing => view! { <TimingView detail=d summary=s/> }.into_any(),
                        Tab::Changes => view! { <ChangesView detail=d/> }.into_any(),
                    },
                    (None, Some(_)) => view! { <p class="empty">"Loading…"</p> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </section>
    }
}

/// Copy the request as cURL (the key as the caller's own `$ANTHROPIC_API_KEY`,
/// or as logged when asked), and the answer's text.
#[component]
fn FlowActions(ui: Ui, detail: Arc<FlowDetail>) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let request = detail.events.iter().find_map(|e| match &e.kind {
        EventKind::Request(r) => Some(r.clone()),
        _ => None,
    });
    let upstream = move || {
        ui.source.server.with_untracked(|s| {
            s.as_ref()
                .and_then(shared::api::ServerInfo::recording)
                .map(|r| r.upstream.clone())
                .unwrap_or_else(|| "https://api.anthropic.com".to_owned())
        })
    };
    let text = reassemble(detail.events.iter()).map(|m| {
        m.content
            .iter()
            .filter_map(|b| match b {
                AssembledBlock::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    });
    let copy_curl = {
        let request = request.clone();
        move |keep_key: bool| {
            if let Some(r) = &request {
                clipboard(crate::curl::curl(r, &upstream(), keep_key));
                copied.set(Some(if keep_key {
                    "cURL with the logged key copied"
                } else {
                    "cURL copied"
                }));
            }
        }
    };
    let copy_curl_keyed = copy_curl.clone();
    let has_text = text.as_ref().is_some_and(|t| !t.is_empty());
    view! {
        <span class="actions">
            <button data-action="copy-curl" disabled=request.is_none()
                title="The key becomes $ANTHROPIC_API_KEY: the command runs with your own"
                on:click=move |_| copy_curl(false)>"Copy as cURL"</button>
            <button data-action="copy-curl-key" disabled=request.is_none()
                title="Keeps the key as the log has it (redacted unless recorded with --no-redact)"
                on:click=move |_| copy_curl_keyed(true)>"…with logged key"</button>
            <button data-action="copy-text" disabled=!has_text
                on:click=move |_| {
                    if let Some(t) = &text {
                        clipboard(t.clone());
                        copied.set(Some("response text copied"));
                    }
                }>"Copy response text"</button>
            <span class="copied" aria-live="polite" data-role="copied">{move || copied.get().unwrap_or_default()}</span>
        </span>
    }
}

/// Puts `text` on the clipboard (the page is a secure context: loopback or a file).
fn clipboard(text: String) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(&text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

#[component]
fn FlowHead(summary: FlowSummary) -> impl IntoView {
    let status = summary
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "…".to_owned());
    view! {
        <header class="flow-head">
            <span class="method">{summary.method.clone()}</span>
            <span class="path">{summary.path.clone()}</span>
            <span class="model">{summary.model.clone().unwrap_or_default()}</span>
            <span class="code" data-role="status-code">{status}</span>
            <span class="id" title=summary.flow_id.as_str().to_owned()>{short(summary.flow_id.as_str()).to_owned()}</span>
            {summary.error.clone().map(|e| view! { <span class="error">{e}</span> })}
        </header>
    }
}

fn request_body(events: &[Event]) -> Option<&Value> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Request(r) => r.body.as_json(),
        _ => None,
    })
}

#[component]
fn RequestView(detail: Arc<FlowDetail>) -> impl IntoView {
    let Some(body) = request_body(&detail.events) else {
        return view! { <p class="empty">"This request has no JSON body."</p> }.into_any();
    };
    let c = Conversation::from_request_body(body);
    let params = serde_json::to_string_pretty(&c.params).unwrap_or_default();
    let system_len: usize = c.system.iter().map(block_len).sum();
    let tools = c
        .tools
        .iter()
        .map(|t| {
            let schema = t
                .schema
                .as_ref()
                .map(|s| serde_json::to_string_pretty(s).unwrap_or_default())
                .unwrap_or_default();
            view! {
                <details class="tool" data-role="tool">
                    <summary>
                        <span class="name">{t.name.clone()}</span>
                        {t.kind.clone().map(|k| view! { <span class="kind">{k}</span> })}
                        {t.cached.then(|| view! { <span class="cache-mark">"cache"</span> })}
                    </summary>
                    {t.description.clone().map(|d| view! { <pre class="text">{d}</pre> })}
                    <pre class="json">{schema}</pre>
                </details>
            }
        })
        .collect_view();
    let messages = c
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            view! {
                <div class=format!("message role-{}", m.role) data-role="message" data-index=i>
                    <div class="role">{format!("#{i} {}", m.role)}</div>
                    {m.blocks.iter().map(block_view).collect_view()}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="conversation">
            <details class="system" data-role="system">
                <summary>{format!("System prompt · {} blocks · {} characters", c.system.len(), system_len)}</summary>
                {c.system.iter().map(block_view).collect_view()}
            </details>
            <details class="tools">
                <summary>{format!("Tools · {}", c.tools.len())}</summary>
                {tools}
            </details>
            <details class="params">
                <summary>"Parameters"</summary>
                <pre class="json">{params}</pre>
            </details>
            <div class="messages">{messages}</div>
        </div>
    }
    .into_any()
}

fn block_len(block: &Block) -> usize {
    match block {
        Block::Text { text, .. } => text.chars().count(),
        _ => 0,
    }
}

fn block_view(block: &Block) -> AnyView {
    let cache = block
        .cached()
        .then(|| view! { <span class="cache-mark" title="cache_control: a cache breakpoint">"cache"</span> });
    match block {
        Block::Text { text, .. } => {
            view! { <div class="block text" data-block="text">{cache}<pre class="text">{text.clone()}</pre></div> }.into_any()
        }
        Block::Thinking { thinking, .. } => view! {
            <details class="block thinking" data-block="thinking">
                <summary>{format!("thinking · {} characters", thinking.chars().count())}</summary>
                <pre class="text">{thinking.clone()}</pre>
            </details>
        }
        .into_any(),
        Block::RedactedThinking { bytes } => {
            view! { <div class="block placeholder" data-block="redacted_thinking">{format!("[redacted thinking, {bytes} bytes]")}</div> }.into_any()
        }
        Block::ToolUse { id, name, input, server, .. } => view! {
            <div class="block tool-use" data-block="tool_use">
                {cache}
                <div class="label">{format!("{} {name}", if *server { "server tool" } else { "tool call" })}<span class="id">{id.clone()}</span></div>
                <pre class="json">{serde_json::to_string_pretty(input).unwrap_or_default()}</pre>
            </div>
        }
        .into_any(),
        Block::ToolResult { tool_use_id, content, is_error, .. } => view! {
            <div class="block tool-result" class:is-error=*is_error data-block="tool_result">
                {cache}
                <div class="label">{if *is_error { "tool error for " } else { "tool result for " }}<span class="id">{tool_use_id.clone()}</span></div>
                {content.iter().map(block_view).collect_view()}
            </div>
        }
        .into_any(),
        Block::Image { media_type, bytes, url, .. } => {
            let what = media_type.clone().unwrap_or_else(|| "image".to_owned());
            let size = bytes.map(|b| format!(", {}", kb(b))).unwrap_or_default();
            let from = url.clone().map(|u| format!(" from {u}")).unwrap_or_default();
            view! { <div class="block placeholder" data-block="image">{cache}{format!("[image {what}{size}{from}]")}</div> }.into_any()
        }
        Block::Document { media_type, bytes, title, .. } => {
            let what = title.clone().or_else(|| media_type.clone()).unwrap_or_else(|| "document".to_owned());
            let size = bytes.map(|b| format!(", {}", kb(b))).unwrap_or_default();
            view! { <div class="block placeholder" data-block="document">{cache}{format!("[document {what}{size}]")}</div> }.into_any()
        }
        Block::Other { block_type, value } => view! {
            <div class="block other" data-block=block_type.clone()>
                {cache}
                <div class="label">{block_type.clone()}</div>
                <pre class="json">{serde_json::to_string_pretty(value).unwrap_or_default()}</pre>
            </div>
        }
        .into_any(),
    }
}

fn kb(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    }
}

#[component]
fn ResponseView(detail: Arc<FlowDetail>) -> impl IntoView {
    let Some(message) = reassemble(detail.events.iter()) else {
        let note = detail.events.iter().find_map(|e| match &e.kind {
            EventKind::Error(err) => Some(err.message.clone()),
            _ => None,
        });
        return view! {
            <p class="empty">{note.map(|n| format!("No response content: {n}")).unwrap_or_else(|| "No response content.".to_owned())}</p>
        }
        .into_any();
    };
    let usage = message
        .usage
        .as_ref()
        .map(|u| serde_json::to_string_pretty(u).unwrap_or_default());
    let blocks = message
        .content
        .iter()
        .map(|block| match block {
            AssembledBlock::Text { text, citations } => view! {
                <div class="block text" data-block="text">
                    <pre class="text">{text.clone()}</pre>
                    {(!citations.is_empty()).then(|| view! {
                        <details><summary>{format!("{} citations", citations.len())}</summary>
                        <pre class="json">{serde_json::to_string_pretty(citations).unwrap_or_default()}</pre></details>
                    })}
                </div>
            }
            .into_any(),
            AssembledBlock::Thinking { thinking, .. } => view! {
                <details class="block thinking" data-block="thinking" open>
                    <summary>{format!("thinking · {} characters", thinking.chars().count())}</summary>
                    <pre class="text">{thinking.clone()}</pre>
                </details>
            }
            .into_any(),
            AssembledBlock::RedactedThinking { data_bytes } => view! {
                <div class="block placeholder" data-block="redacted_thinking">{format!("[redacted thinking, {data_bytes} bytes]")}</div>
            }
            .into_any(),
            AssembledBlock::ToolUse { id, name, server, input, input_json, input_error } => {
                let shown = match input_error {
                    Some(_) => input_json.clone(),
                    None => serde_json::to_string_pretty(input).unwrap_or_default(),
                };
                view! {
                    <div class="block tool-use" data-block="tool_use">
                        <div class="label">{format!("{} {name}", if *server { "server tool" } else { "tool call" })}<span class="id">{id.clone()}</span></div>
                        {input_error.clone().map(|e| view! { <p class="error">{format!("input is not valid JSON: {e}")}</p> })}
                        <pre class="json">{shown}</pre>
                    </div>
                }
                .into_any()
            }
            AssembledBlock::Other { block_type, value } => view! {
                <div class="block other" data-block=block_type.clone()>
                    <div class="label">{block_type.clone()}</div>
                    <pre class="json">{serde_json::to_string_pretty(value).unwrap_or_default()}</pre>
                </div>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <div class="assembled" data-role="response">
            <div class="facts">
                <span>{message.model.clone().unwrap_or_default()}</span>
                <span data-role="stop-reason">{message.stop_reason.clone().map(|s| format!("stop: {s}")).unwrap_or_default()}</span>
                <span>{if message.complete { "complete" } else { "incomplete" }}</span>
            </div>
            {message.error.clone().map(|e| view! { <p class="error" data-role="response-error">{e}</p> })}
            {blocks}
            {usage.map(|u| view! { <details class="usage"><summary>"usage"</summary><pre class="json">{u}</pre></details> })}
        </div>
    }
    .into_any()
}

#[component]
fn TimingView(detail: Arc<FlowDetail>, summary: FlowSummary) -> impl IntoView {
    let start = detail.events.first().map(|e| e.ts.0);
    let total = summary.duration_ms.unwrap_or(0.0).max(1.0);
    let marks = [
        ("request sent", Some(0.0)),
        ("headers", summary.ttfb_ms),
        ("first token", summary.ttft_ms),
        ("last token", summary.last_token_ms),
        ("end", summary.duration_ms),
    ];
    let bars = marks
        .into_iter()
        .map(|(label, at)| {
            let pct = at.map(|ms| (ms / total * 100.0).clamp(0.0, 100.0));
            view! {
                <div class="mark" data-mark=label>
                    <span class="label">{label}</span>
                    <span class="bar"><meter min="0" max="100" value=pct.unwrap_or(0.0)></meter></span>
                    <span class="at">{at.map(|ms| millis(Some(ms))).unwrap_or_else(|| "—".to_owned())}</span>
                </div>
            }
        })
        .collect_view();
    let events = detail
        .events
        .iter()
        .map(|e| {
            let rel = start
                .map(|s| (e.ts.0 - s).num_microseconds().unwrap_or(0) as f64 / 1000.0)
                .unwrap_or(0.0);
            let name = match &e.kind {
                EventKind::Sse(s) => s.event.clone(),
                other => other.type_name().to_owned(),
            };
            let json = serde_json::to_string_pretty(e).unwrap_or_default();
            view! {
                <details class="raw-event">
                    <summary><span class="at">{format!("+{rel:.1} ms")}</span><span class="name">{name}</span></summary>
                    <pre class="json">{json}</pre>
                </details>
            }
        })
        .collect_view();
    let usage = summary.usage;
    view! {
        <div class="timing" data-role="timing">
            <div class="waterfall">{bars}</div>
            <p class="facts">
                {format!(
                    "{} events · output {} tokens{}",
                    detail.events.len(),
                    tokens(usage.map(|u| u.output_tokens)),
                    summary.output_tokens_per_sec().map(|r| format!(" at {r:.0} tokens/s")).unwrap_or_default()
                )}
            </p>
            <div class="raw-events">{events}</div>
        </div>
    }
}

#[component]
fn ChangesView(detail: Arc<FlowDetail>) -> impl IntoView {
    let Some(body) = request_body(&detail.events) else {
        return view! { <p class="empty">"This request has no JSON body to compare."</p> }
            .into_any();
    };
    let Some((prev_id, prev_events)) = &detail.previous else {
        return view! { <p class="empty" data-role="diff">"First call of this agent: nothing to compare with."</p> }.into_any();
    };
    let Some(prev_body) = request_body(prev_events) else {
        return view! { <p class="empty">"The previous call has no JSON body."</p> }.into_any();
    };
    let diff = context_diff(prev_body, body);
    // What was appended, shown as the conversation shows it.
    let now = Conversation::from_request_body(body);
    let added = diff
        .messages
        .added
        .iter()
        .filter_map(|&i| now.messages.get(i).map(|m| (i, m.clone())))
        .map(|(i, m)| {
            view! {
                <div class=format!("message role-{}", m.role) data-role="added-message" data-index=i>
                    <div class="role">{format!("+ #{i} {}", m.role)}</div>
                    {m.blocks.iter().map(block_view).collect_view()}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="diff" data-role="diff">
            <p class="against">{format!("Compared with the previous call of this agent, {}", short(prev_id))}</p>
            <DiffSummary diff=diff/>
            <div class="messages">{added}</div>
        </div>
    }
    .into_any()
}

#[component]
fn DiffSummary(diff: ContextDiff) -> impl IntoView {
    let mut lines: Vec<(&'static str, String)> = Vec::new();
    let m = &diff.messages;
    if m.before != m.after || m.common_prefix != m.before {
        if diff.only_appended() {
            lines.push((
                "grow",
                format!(
                    "Messages: {} → {}; {} appended, nothing earlier changed",
                    m.before,
                    m.after,
                    m.added.len()
                ),
            ));
        } else {
            lines.push((
                "messages",
                format!(
                    "Messages: {} → {}; first {} unchanged, {} added, {} removed or rewritten{}",
                    m.before,
                    m.after,
                    m.common_prefix,
                    m.added.len(),
                    m.removed.len(),
                    if m.rewritten {
                        " (earlier context rewritten: compaction?)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    if let Some((before, after)) = &diff.model {
        lines.push((
            "model",
            format!(
                "Model: {} → {}",
                before.as_deref().unwrap_or("none"),
                after.as_deref().unwrap_or("none")
            ),
        ));
    }
    for p in &diff.params {
        let show = |v: &Option<Value>| v.as_ref().map_or("unset".to_owned(), Value::to_string);
        lines.push((
            "param",
            format!(
                "Parameter {}: {} → {}",
                p.key,
                show(&p.before),
                show(&p.after)
            ),
        ));
    }
    if let SystemChange::Changed {
        before_len,
        after_len,
        blocks_added,
        blocks_removed,
        first_difference,
    } = &diff.system
    {
        lines.push((
            "system",
            format!(
                "System prompt changed: {before_len} → {after_len} characters, {blocks_added} blocks added, {blocks_removed} removed{}",
                first_difference.map(|at| format!(", first difference at character {at}")).unwrap_or_default()
            ),
        ));
    }
    for (kind, names) in [
        ("tools-added", &diff.tools_added),
        ("tools-removed", &diff.tools_removed),
        ("tools-changed", &diff.tools_changed),
    ] {
        if !names.is_empty() {
            lines.push((
                kind,
                format!("{}: {}", kind.replace('-', " "), names.join(", ")),
            ));
        }
    }
    if diff.cache_marks_moved {
        lines.push((
            "cache",
            "Cache breakpoints moved (cache_control marks).".to_owned(),
        ));
    }
    if diff.is_empty() {
        lines.push(("same", "No change in the context.".to_owned()));
    }
    view! {
        <ul class="diff-lines">
            {lines.into_iter().map(|(kind, text)| view! { <li data-change=kind>{text}</li> }).collect_view()}
        </ul>
    }
}
