//! Sessions and flows: what the flow list, the flow view and search ask for.
//!
//! Answers come from the session's index, so listing flows sends no bodies
//! and opening one flow reads only its own lines from the file.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::api::{FlowList, SearchResult, SessionList};

use super::{json_array, read_error, WebState};
use crate::log::catalog::SessionInfo;
use crate::log::index::SessionIndex;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionQuery {
    pub session: Option<String>,
}

/// Runs `f` on the named session's index, refreshed, off the async threads
/// (indexing a large log reads the file). An unknown session is a 404.
pub async fn indexed<T: Send + 'static>(
    state: &WebState,
    session: Option<String>,
    f: impl FnOnce(&SessionIndex, Ctx) -> std::io::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let catalog = state.catalog.clone();
    let work = tokio::task::spawn_blocking(move || {
        let Some(info) = catalog.find(session.as_deref()) else {
            return Ok(None);
        };
        let index = catalog.index(&info)?;
        let index = index.lock().unwrap_or_else(|p| p.into_inner());
        f(&index, Ctx { info }).map(Some)
    });
    match work.await {
        Ok(Ok(Some(value))) => Ok(value),
        Ok(Ok(None)) => Err((
            StatusCode::NOT_FOUND,
            "trace_claude: no such session (see /api/sessions)\n",
        )
            .into_response()),
        Ok(Err(e)) => Err(read_error(e)),
        Err(e) => Err(read_error(e)),
    }
}

/// The session a request is about, as the index saw it.
pub struct Ctx {
    pub info: SessionInfo,
}

pub async fn sessions(State(state): State<WebState>) -> Json<SessionList> {
    let catalog = state.catalog.clone();
    let sessions = tokio::task::spawn_blocking(move || catalog.list())
        .await
        .unwrap_or_default();
    Json(SessionList {
        live: state.catalog.live().map(str::to_owned),
        sessions: sessions.iter().map(SessionInfo::entry).collect(),
    })
}

pub async fn flows(State(state): State<WebState>, Query(q): Query<SessionQuery>) -> Response {
    let prices = state.prices.clone();
    let result = indexed(&state, q.session, move |index, ctx| {
        let report = index.report();
        // Serialized here, under the index's lock, rather than cloned out.
        serde_json::to_string(&FlowList {
            session: ctx.info.name,
            live: ctx.info.live,
            bytes: ctx.info.bytes,
            lines: index.line_count(),
            partial_bytes: report.partial_bytes,
            bad_lines: report.invalid_lines,
            first_bad_line: report.first_invalid.as_ref().map(|l| l.seq),
            flows: index.summaries().collect::<Vec<_>>(),
            prices: (*prices).clone(),
        })
        .map_err(std::io::Error::other)
    })
    .await;
    match result {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(response) => response,
    }
}

pub async fn flow(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Query(q): Query<SessionQuery>,
) -> Response {
    let result = indexed(&state, q.session, move |index, _| {
        match index.flow_lines(&id) {
            Some(seqs) => index.read_lines(seqs).map(Some),
            None => Ok(None),
        }
    })
    .await;
    match result {
        Ok(Some(lines)) => json_array(&lines),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "trace_claude: no such flow in this session\n",
        )
            .into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    session: Option<String>,
}

pub async fn search(State(state): State<WebState>, Query(q): Query<SearchQuery>) -> Response {
    let text = q.q;
    let result = indexed(&state, q.session, move |index, _| index.search(&text)).await;
    match result {
        Ok(flows) => Json(SearchResult { flows }).into_response(),
        Err(response) => response,
    }
}
