//! The opened flow's copy buttons: the request as a cURL command, to replay
//! it outside Claude Code, and the answer's text.

use std::sync::Arc;

use leptos::prelude::*;
use shared::{reassemble, Block, EventKind};

use super::FlowDetail;
use crate::SourceUi;

/// Copy the request as cURL (the key as the caller's own `$ANTHROPIC_API_KEY`,
/// or as logged when asked), and the answer's text.
#[component]
pub(super) fn FlowActions(source: SourceUi, detail: Arc<FlowDetail>) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let request = detail.events.iter().find_map(|e| match &e.kind {
        EventKind::Request(r) => Some(r.clone()),
        _ => None,
    });
    let upstream = move || {
        source.server.with_untracked(|s| {
            s.as_ref()
                .and_then(shared::api::ServerInfo::recording)
                .map(|r| r.upstream.clone())
                .unwrap_or_else(|| "https://api.anthropic.com".to_owned())
        })
    };
    let text = reassemble(detail.events.iter()).map(|m| {
        m.content
            .iter()
            .filter_map(|b| match &b.block {
                Block::Text { text, .. } => Some(text.as_str()),
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
