//! `GET /api/log_health/stream`: whether the session log is being written,
//! now and on every change, for the UI's banner. A saved session (`view`)
//! has no writer, so its stream says nothing and stays open.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseMessage, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::WebState;

pub async fn stream(State(state): State<WebState>) -> Response {
    let Some(hub) = state.hub.clone() else {
        let idle = futures_util::stream::pending::<Result<SseMessage, Infallible>>();
        return Sse::new(idle)
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            .into_response();
    };
    let rx = hub.log_health();
    let updates = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first {
            rx.changed().await.ok()?;
        }
        let health = rx.borrow_and_update().clone();
        let message = SseMessage::default()
            .event("log_health")
            .json_data(health)
            .unwrap_or_else(|_| SseMessage::default().event("log_health"));
        Some((Ok::<_, Infallible>(message), (rx, false)))
    });
    Sse::new(updates.boxed())
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
