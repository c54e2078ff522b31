//! Follows the event API's live stream in the browser.
//!
//! Messages are parsed as they come but applied to the timeline at most once
//! per animation frame, so a burst of a thousand events a second costs a few
//! dozen list updates, not a thousand.

use crate::Ui;
#[cfg(feature = "hydrate")]
use shared::api::FlowList;

#[cfg(not(feature = "hydrate"))]
pub fn start(_ui: Ui) {}

/// Loads what the page shows: the session list, the flow list, and then
/// either the live stream or, for a saved session, nothing live.
#[cfg(feature = "hydrate")]
pub fn start(ui: Ui) {
    use leptos::prelude::*;

    // Effects run only in the browser, once the page is hydrated.
    Effect::new(move |_| {
        if crate::report::is_report() {
            open_report(ui);
            return;
        }
        let viewing = query_session();
        ui.source.viewing.set(viewing.clone());
        leptos::task::spawn_local(load_sessions(ui));
        leptos::task::spawn_local(load_flows(ui));
        match viewing {
            None => connect(ui),
            Some(_) => show_saved(ui),
        }
    });
    // A saved session's timeline is read only when asked for: a large log's
    // flow list must not wait for, or share memory with, every event.
    Effect::new(move |loaded: Option<bool>| {
        if loaded == Some(true) {
            return true;
        }
        if ui.source.connection.get() != crate::Connection::Saved
            || ui.open.pane.get() != crate::Pane::Timeline
        {
            return false;
        }
        leptos::task::spawn_local(load_history(ui));
        true
    });
}

/// A report file: its summaries are in the page, and there is nothing live.
#[cfg(feature = "hydrate")]
fn open_report(ui: Ui) {
    use leptos::prelude::*;
    ui.source.report.set(true);
    show_saved(ui);
    match crate::report::payload::<FlowList>() {
        Ok(f) => {
            ui.source.sessions.set(vec![shared::api::SessionEntry {
                name: f.session.clone(),
                bytes: f.bytes,
                modified: None,
                live: false,
            }]);
            ui.source.viewing.set(Some(f.session.clone()));
            ui.flows
                .store
                .update(|store| store.load(f.session, f.flows, f.lines, Some(f.prices)));
        }
        Err(e) => leptos::logging::error!("trace_claude: {e}"),
    }
}

#[cfg(feature = "hydrate")]
fn show_saved(ui: Ui) {
    use leptos::prelude::*;
    ui.open.pane.set(crate::Pane::Flow);
    ui.source.connection.set(crate::Connection::Saved);
}

/// The `session` parameter of the page's address.
#[cfg(feature = "hydrate")]
fn query_session() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("session").filter(|s| !s.is_empty())
}

#[cfg(feature = "hydrate")]
async fn load_sessions(ui: Ui) {
    use leptos::prelude::*;
    match crate::fetch::get_json::<shared::api::SessionList>("/api/sessions").await {
        Ok(s) => ui.source.sessions.set(s.sessions),
        Err(e) => leptos::logging::warn!("trace_claude: cannot list sessions: {e}"),
    }
}

/// The server's flow summaries of the shown session.
#[cfg(feature = "hydrate")]
async fn load_flows(ui: Ui) {
    use leptos::prelude::*;
    let viewing = ui.source.viewing.get_untracked();
    let url = crate::fetch::session_url("/api/flows", viewing.as_deref());
    match crate::fetch::get_json::<FlowList>(&url).await {
        Ok(f) => {
            ui.flows
                .store
                .update(|store| store.load(f.session, f.flows, f.lines, Some(f.prices)));
        }
        Err(e) => {
            // Live events wait in the store until a snapshot arrives: keep
            // asking, or the list would say "Loading" for good.
            leptos::logging::error!("trace_claude: cannot load the flows ({e}); retrying");
            retry_flows(ui);
        }
    }
}

#[cfg(feature = "hydrate")]
fn retry_flows(ui: Ui) {
    leptos::prelude::set_timeout(
        move || leptos::task::spawn_local(load_flows(ui)),
        std::time::Duration::from_secs(2),
    );
}

/// Every event of a saved session, for its timeline.
#[cfg(feature = "hydrate")]
async fn load_history(ui: Ui) {
    use leptos::prelude::*;
    let viewing = ui.source.viewing.get_untracked();
    let url = crate::fetch::session_url("/api/events", viewing.as_deref());
    let name = viewing.unwrap_or_else(|| "saved".to_owned());
    match crate::fetch::get_json::<Vec<shared::Event>>(&url).await {
        Ok(events) => ui.timeline.events.update(|t| {
            for (i, event) in events.into_iter().enumerate() {
                t.accept(&name, i as u64 + 1, event);
            }
        }),
        Err(e) => leptos::logging::error!("trace_claude: cannot load the events: {e}"),
    }
}

/// Opens the stream with the browser's own `EventSource`, which reconnects by
/// itself and resumes with `Last-Event-ID`. (gloo-net's wrapper hides the
/// error events of a reconnecting source, and the page must say when the
/// connection is lost.)
#[cfg(feature = "hydrate")]
fn connect(ui: Ui) {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use shared::Event;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::MessageEvent;

    use shared::api::ServerInfo;

    use crate::timeline::parse_id;
    use crate::Connection;

    let source = match web_sys::EventSource::new("/api/events/stream") {
        Ok(source) => source,
        Err(e) => {
            leptos::logging::error!("trace_claude: cannot open the event stream: {e:?}");
            ui.source.connection.set(Connection::Reconnecting);
            return;
        }
    };

    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        ui.source.connection.set(Connection::Reconnecting);
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));

    // Each connection (and reconnection) opens with a `session` message.
    let on_session = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let info = message
            .data()
            .as_string()
            .and_then(|text| serde_json::from_str::<ServerInfo>(&text).ok());
        let name = info
            .as_ref()
            .and_then(ServerInfo::recording)
            .map(|r| r.session.clone());
        let saved = matches!(info, Some(ServerInfo::View { .. }));
        ui.source.server.set(info);
        if saved {
            show_saved(ui);
            return;
        }
        ui.source.connection.set(Connection::Live);
        // A restarted proxy is a new session: its flows start afresh.
        let known = ui
            .flows
            .store
            .with_untracked(|f| f.session().map(str::to_owned));
        if let (Some(known), Some(name)) = (known, name) {
            if known != name {
                ui.flows.store.update(|f| f.reset());
                leptos::task::spawn_local(load_flows(ui));
            }
        }
    });
    let _ = source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());

    type Pending = Rc<RefCell<Vec<(String, u64, Event)>>>;
    let pending: Pending = Rc::default();
    let apply = {
        let pending = Rc::clone(&pending);
        move || {
            let batch = std::mem::take(&mut *pending.borrow_mut());
            ui.flows.store.update(|f| {
                for (session, seq, event) in &batch {
                    f.accept(session, *seq, event);
                }
            });
            ui.timeline.events.update(|t| {
                for (session, seq, event) in batch {
                    t.accept(&session, seq, event);
                }
            });
            if ui.timeline.autoscroll.get_untracked() {
                ui.timeline.scroll_to_end();
            }
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let id = message.last_event_id();
        let Some((session, seq)) = parse_id(&id) else {
            return;
        };
        let Some(data) = message.data().as_string() else {
            return;
        };
        let event = match serde_json::from_str::<Event>(&data) {
            Ok(event) => event,
            Err(e) => {
                leptos::logging::warn!("trace_claude: skipped an event this page cannot read: {e}");
                return;
            }
        };
        let first = pending.borrow().is_empty();
        pending.borrow_mut().push((session.to_owned(), seq, event));
        if first {
            request_animation_frame(apply.clone());
        }
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

    // The handlers live as long as the page.
    on_error.forget();
    on_session.forget();
    on_message.forget();
}
