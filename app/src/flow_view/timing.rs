//! The Timing tab: where the time went (request sent, headers, first and
//! last token, end, on one scale), then every raw event of the flow with its
//! offset, for what the summary does not say.

use std::sync::Arc;

use leptos::prelude::*;
use shared::{EventKind, FlowSummary};

use super::FlowDetail;
use crate::format::{millis, tokens};

#[component]
pub(super) fn TimingView(detail: Arc<FlowDetail>, summary: FlowSummary) -> impl IntoView {
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
    let usage = summary.usage.as_ref();
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
