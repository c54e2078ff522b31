//! Events by line number, and the live stream of new ones.
//!
//! The live stream's messages carry the log line as data and `SESSION:LINE`
//! as id (the log's file stem and line number). Reconnecting with
//! `Last-Event-ID` resumes after that line; an id of another session (the
//! proxy was restarted) starts from this session's first line.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseMessage, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::broadcast;

use super::flows::indexed;
use super::{json_array, WebState};
use crate::log::hub::{Hub, LogLine};

#[derive(Deserialize)]
pub struct Range {
    #[serde(default)]
    after: u64,
    upto: Option<u64>,
    // Not a flattened `SessionQuery`: flattening makes query numbers strings.
    session: Option<String>,
}

pub async fn events(State(state): State<WebState>, Query(q): Query<Range>) -> Response {
    let result = indexed(&state, q.session.clone(), move |index, _| {
        index.read_range(q.after, q.upto.unwrap_or(u64::MAX))
    })
    .await;
    match result {
        Ok(lines) => json_array(&lines),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: u64,
}

pub async fn event_stream(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> Response {
    let hello = SseMessage::default()
        .event("session")
        .json_data(&*state.session)
        .unwrap_or_else(|_| SseMessage::default().event("session"));
    // A saved session has nothing live to follow: the stream only says so
    // (and stays open, so the browser does not reconnect in a loop).
    let Some(hub) = state.hub.clone() else {
        let idle = futures_util::stream::once(async move { Ok::<_, Infallible>(hello) })
            .chain(futures_util::stream::pending());
        return Sse::new(idle)
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            .into_response();
    };
    let session = hub.session_name().to_owned();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|id| match id.trim().rsplit_once(':') {
            Some((s, line)) if s == session => line.parse::<u64>().unwrap_or(0),
            _ => 0,
        });
    // Subscribe before reading the file: every line is then either in what
    // the file read returns or still to come on the channel.
    let follower = Follower {
        rx: hub.subscribe(),
        hub,
        state: state.clone(),
        last: resume.unwrap_or(q.after),
        backlog: VecDeque::new(),
        behind: true,
    };
    // Every connection opens with the session's description (no id, so it
    // does not move the client's Last-Event-ID): a reconnected page knows at
    // once that it is live again, and which session it is following.
    let events = futures_util::stream::unfold(follower, |mut f| async move {
        let line = f.next().await?;
        let message = SseMessage::default()
            .id(format!("{}:{}", f.hub.session_name(), line.seq))
            .data(&*line.json);
        Some((Ok::<_, Infallible>(message), f))
    });
    let stream = futures_util::stream::once(async move { Ok(hello) }).chain(events);
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Lines read from the file per catch-up: a late subscriber to a large
/// session is fed in bounded steps, not with the whole log at once.
const CATCH_UP_LINES: u64 = 2048;

/// Follows the log for one subscriber, in order, without gaps or repeats.
struct Follower {
    hub: Arc<Hub>,
    state: WebState,
    rx: broadcast::Receiver<LogLine>,
    last: u64,
    backlog: VecDeque<LogLine>,
    /// The file may hold lines after `last` that the channel will not bring
    /// (they were published before this subscriber, or it lagged).
    behind: bool,
}

impl Follower {
    async fn next(&mut self) -> Option<LogLine> {
        loop {
            if let Some(line) = self.backlog.pop_front() {
                if line.seq > self.last {
                    self.last = line.seq;
                    return Some(line);
                }
                continue;
            }
            if self.behind {
                self.catch_up().await?;
                continue;
            }
            match self.rx.recv().await {
                Ok(line) if line.seq <= self.last => continue,
                Ok(line) if line.seq == self.last + 1 => {
                    self.last = line.seq;
                    return Some(line);
                }
                // A gap (this subscriber lagged): the file has every line
                // published so far.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.behind = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The next lines after `last`, from the session's index (by byte
    /// offset: nothing before them is read again).
    async fn catch_up(&mut self) -> Option<()> {
        let last = self.last;
        let session = Some(self.hub.session_name().to_owned());
        let (lines, more) = indexed(&self.state, session, move |index, _| {
            let upto = last + CATCH_UP_LINES;
            Ok((index.read_range(last, upto)?, upto < index.line_count()))
        })
        .await
        .ok()?;
        self.behind = more;
        self.backlog = lines
            .into_iter()
            .map(|(seq, json)| LogLine {
                seq,
                json: Arc::from(json),
            })
            .collect();
        Some(())
    }
}
