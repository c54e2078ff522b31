//! Follows the event API's live stream in the browser.
//!
//! Messages are parsed as they come but applied to the timeline at most once
//! per animation frame, so a burst of a thousand events a second costs a few
//! dozen list updates, not a thousand.

use crate::Ui;

#[cfg(not(feature = "hydrate"))]
pub fn follow(_ui: Ui) {}

#[cfg(feature = "hydrate")]
pub fn follow(ui: Ui) {
    use leptos::prelude::*;

    // Effects run only in the browser, once the page is hydrated.
    Effect::new(move |_| connect(ui));
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

    use crate::timeline::parse_id;
    use crate::Connection;

    let source = match web_sys::EventSource::new("/api/events/stream") {
        Ok(source) => source,
        Err(e) => {
            leptos::logging::error!("trace_claude: cannot open the event stream: {e:?}");
            ui.connection.set(Connection::Reconnecting);
            return;
        }
    };

    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        ui.connection.set(Connection::Reconnecting);
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));

    // Each connection (and reconnection) opens with a `session` message.
    let on_session = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let info = message
            .data()
            .as_string()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
        ui.session.set(info);
        ui.connection.set(Connection::Live);
    });
    let _ = source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());

    type Pending = Rc<RefCell<Vec<(String, u64, Event)>>>;
    let pending: Pending = Rc::default();
    let apply = {
        let pending = Rc::clone(&pending);
        move || {
            let batch = std::mem::take(&mut *pending.borrow_mut());
            ui.timeline.update(|t| {
                for (session, seq, event) in batch {
                    t.accept(&session, seq, event);
                }
            });
            if ui.autoscroll.get_untracked() {
                ui.scroll_to_end();
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
