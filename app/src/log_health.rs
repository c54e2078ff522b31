//! A banner while the session log cannot be written (a full disk): the proxy
//! goes on forwarding, but the user must know that events are not being
//! saved. It follows `/api/log_health/stream` on a connection of its own, so
//! it needs nothing from the rest of the page.

use leptos::prelude::*;

/// The log's health as the server reports it: `None` while it is fine.
#[cfg(any(feature = "hydrate", test))]
fn problem_text(health: &serde_json::Value) -> Option<String> {
    if health["ok"].as_bool().unwrap_or(true) {
        return None;
    }
    let error = health["error"].as_str().unwrap_or("unknown error");
    let mut text = format!(
        "The session log cannot be written ({error}). Claude Code's traffic is still forwarded; events are kept in memory and written when there is room again."
    );
    if let Some(lost) = health["events_lost"].as_u64().filter(|n| *n > 0) {
        text.push_str(&format!(" {lost} events could not be kept."));
    }
    Some(text)
}

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
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
            if let Some(health) = health {
                problem.set(problem_text(&health));
            }
        });
        let _ = source
            .add_event_listener_with_callback("log_health", on_health.as_ref().unchecked_ref());
        // The handler lives as long as the page.
        on_health.forget();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_failed_only_while_it_fails() {
        assert_eq!(problem_text(&serde_json::json!({"ok": true})), None);
        let text = problem_text(&serde_json::json!({
            "ok": false, "error": "File too large (os error 27)", "events_lost": 3
        }))
        .unwrap();
        assert!(text.contains("File too large"), "{text}");
        assert!(text.contains("3 events could not be kept"), "{text}");
    }
}
