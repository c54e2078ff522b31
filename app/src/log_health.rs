//! A banner while the session log cannot be written (a full disk): the proxy
//! goes on forwarding, but the user must know that events are not being
//! saved. It follows `/api/log_health/stream` on a connection of its own, so
//! it needs nothing from the rest of the page.

use leptos::prelude::*;

#[component]
pub fn LogHealthBanner() -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    follow(problem);
    view! {
        <Show when=move || problem.with(Option::is_some)>
            <div class="log-health" role="alert" data-log-health="failing">
                {move || problem.get().unwrap_or_default()}
            </div>
        </Show>
    }
}

#[cfg(not(feature = "hydrate"))]
fn follow(_problem: RwSignal<Option<String>>) {}

#[cfg(feature = "hydrate")]
fn follow(problem: RwSignal<Option<String>>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::MessageEvent;

    // Effects run only in the browser, once the page is hydrated.
    Effect::new(move |_| {
        // A report file has no log being written, and no server to ask.
        if crate::report::is_report() {
            return;
        }
        // The browser's EventSource reconnects by itself; each connection
        // opens with the current health.
        let Ok(source) = web_sys::EventSource::new("/api/log_health/stream") else {
            return;
        };
        let on_health = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let health = message
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<shared::api::LogHealth>(&text).ok());
            if let Some(health) = health {
                problem.set(health.problem());
            }
        });
        let _ = source
            .add_event_listener_with_callback("log_health", on_health.as_ref().unchecked_ref());
        // The handler lives as long as the page.
        on_health.forget();
    });
}
