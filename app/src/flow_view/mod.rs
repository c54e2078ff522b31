//! One flow, opened: the request as a conversation, the response as the
//! client assembled it, where the time went, and what changed in the context
//! since the same agent's previous call.
//!
//! The flow's events are fetched when it is opened (bodies never travel with
//! the list), and once more when a flow opened in progress finishes.
//!
//! This module holds the tab bar, the flow's header and that fetch; each tab
//! is a module of its own, and so are the copy buttons.

mod actions;
mod cache;
mod changes;
mod message;
mod request;
mod response;
mod server_blocks;
mod timing;
mod usage;

use leptos::prelude::*;
use shared::{request_body, Event, FlowSummary};

use crate::format::short;
use crate::{FlowsUi, OpenUi, SourceUi};
use actions::FlowActions;
use cache::{cache_note, CacheMissNote};
use changes::ChangesView;
use request::RequestView;
use response::ResponseView;
use timing::TimingView;
use usage::UsageView;

/// A flow's events, and those of the call it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowDetail {
    pub id: String,
    pub events: Vec<Event>,
    pub previous: Option<(String, Vec<Event>)>,
}

/// The opened flow's tabs.
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
pub fn load_selected(open: OpenUi, flows: FlowsUi, source: SourceUi) {
    #[cfg(feature = "hydrate")]
    {
        // A memo, so that other flows' events (which change the store) do
        // not wake the fetch: only this selection and its state do.
        let target = Memo::new(move |_| {
            let id = open.selected.get()?;
            let state = flows.store.with(|s| s.get(&id).map(|f| f.state));
            Some((id, state))
        });
        Effect::new(move |_| load(open, flows, source, target.get()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (open, flows, source);
}

#[cfg(feature = "hydrate")]
fn load(
    open: OpenUi,
    flows: FlowsUi,
    source: SourceUi,
    target: Option<(String, Option<shared::FlowState>)>,
) {
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
    open.detail_error.set(None);
    let Some((id, _)) = target else {
        open.detail.set(None);
        return;
    };
    let previous = flows
        .store
        .with_untracked(|s| s.previous_turn(&id).map(|f| f.flow_id.as_str().to_owned()));
    let session = source.viewing.get_untracked();
    leptos::task::spawn_local(async move {
        let events = match fetch_flow(source, &id, session.as_deref()).await {
            Ok(events) => events,
            Err(e) => {
                if is_latest() {
                    open.detail_error.set(Some(e));
                }
                return;
            }
        };
        let previous = match previous {
            Some(prev) => fetch_flow(source, &prev, session.as_deref())
                .await
                .ok()
                .map(|events| (prev, events)),
            None => None,
        };
        // The user may have moved on, or a newer fetch started, meanwhile.
        if is_latest() {
            open.detail.set(Some(std::sync::Arc::new(FlowDetail {
                id,
                events,
                previous,
            })));
        }
    });
}

#[cfg(feature = "hydrate")]
async fn fetch_flow(
    source: SourceUi,
    id: &str,
    session: Option<&str>,
) -> Result<Vec<Event>, String> {
    if source.report.get_untracked() {
        return crate::report::flow(id).await;
    }
    let url =
        crate::fetch::session_url(&format!("/api/flows/{}", crate::fetch::encode(id)), session);
    crate::fetch::get_json(&url).await
}

#[component]
pub fn FlowView(open: OpenUi, flows: FlowsUi, source: SourceUi) -> impl IntoView {
    let tab = RwSignal::new(Tab::Request);
    let summary = Memo::new(move |_| {
        let id = open.selected.get()?;
        flows.store.with(|s| s.get(&id).cloned())
    });
    let detail = move || {
        let d = open.detail.get()?;
        (open.selected.get().as_deref() == Some(d.id.as_str())).then_some(d)
    };
    // Whether, and why, the call missed the cache: once its events (and
    // the previous call's) are here.
    let note = Memo::new(move |_| {
        let d = detail()?;
        Some(flows.store.with(|s| cache_note(&d, s)))
    });
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
        <section class="flow-view" data-role="flow-view" data-flow-id=move || open.selected.get()>
            {move || match summary.get() {
                None => view! { <p class="empty">"Select a flow in the list to open it."</p> }.into_any(),
                Some(s) => view! { <FlowHead summary=s/> }.into_any(),
            }}
            {move || note.get().map(|n| view! { <CacheMissNote note=n/> })}
            <div class="subtabs" role="tablist">
                {tabs}
                <span class="spacer"></span>
                {move || detail().map(|d| view! { <FlowActions source=source detail=d/> })}
            </div>
            <div class="flow-body">
                {move || open.detail_error.get().map(|e| view! { <p class="error">{format!("Cannot load this flow: {e}")}</p> })}
                {move || match (detail(), summary.get()) {
                    (Some(d), Some(s)) => match tab.get() {
                        Tab::Request => view! { <RequestView detail=d/> }.into_any(),
                        Tab::Response => {
                            let price = flows.store.with_untracked(|st| st.cost(&s));
                            view! { <ResponseView detail=d/><UsageView summary=s price=price/> }.into_any()
                        }
                        Tab::Timing => view! { <TimingView detail=d summary=s/> }.into_any(),
                        Tab::Changes => view! { <ChangesView detail=d note=note.get().unwrap_or_default()/> }.into_any(),
                    },
                    (None, Some(_)) => view! { <p class="empty">"Loading…"</p> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </section>
    }
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
