//! The web port: the UI and the event API, for this machine only.
//!
//! - `GET /`: the UI (server-rendered, then hydrated by the WebAssembly app).
//! - `GET /api/events?after=N`: the events after line N of the log, as a JSON array.
//! - `GET /api/events/stream?after=N`: every event after line N, then new ones
//!   live, as server-sent events whose data is the log line and whose `id` is
//!   `SESSION:LINE` (the log's file stem and line number). Reconnecting with
//!   `Last-Event-ID` resumes after that line; an id of another session (the
//!   proxy was restarted) starts from this session's first line.
//! - `GET /api/session`: the log file, the upstream, the proxy's address and
//!   `log_health` (whether the log is being written).
//! - `GET /api/log_health/stream`: `log_health` as server-sent events, now
//!   and on every change, for the UI's banner.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseMessage, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::live::{Hub, LogLine};

#[derive(Clone)]
pub struct WebState {
    hub: Arc<Hub>,
    session: Arc<serde_json::Value>,
    /// `Host` values this server answers to; anything else is refused, which
    /// defeats DNS rebinding.
    allowed_hosts: Arc<[String]>,
}

impl WebState {
    pub fn new(hub: Arc<Hub>, web_addr: SocketAddr, session: serde_json::Value) -> Self {
        let port = web_addr.port();
        let mut allowed_hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        if !web_addr.ip().is_loopback() && !web_addr.ip().is_unspecified() {
            allowed_hosts.push(SocketAddr::new(web_addr.ip(), port).to_string());
        }
        WebState {
            hub,
            session: Arc::new(session),
            allowed_hosts: allowed_hosts.into(),
        }
    }
}

pub fn router(state: WebState, site: LeptosOptions) -> Router {
    let api = Router::new()
        .route("/api/events", get(events))
        .route("/api/events/stream", get(event_stream))
        .route("/api/session", get(session))
        .route("/api/log_health/stream", get(log_health_stream))
        .with_state(state.clone());
    let ui = Router::new()
        .leptos_routes(&site, generate_route_list(app::App), {
            let site = site.clone();
            move || app::shell(site.clone())
        })
        // The site's files (/pkg/…, the favicon); anything else gets the 404 page.
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(site);
    api.merge(ui)
        .layer(middleware::from_fn_with_state(state, guard))
}

/// Refuses foreign hosts and cross-origin callers, and marks every answer as
/// not to be sniffed, framed or run as script.
async fn guard(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host_ok = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            state
                .allowed_hosts
                .iter()
                .any(|a| a.eq_ignore_ascii_case(host))
        });
    if !host_ok {
        return (
            StatusCode::FORBIDDEN,
            "trace_claude: this server answers only to its own address\n",
        )
            .into_response();
    }
    // Browsers send Origin on cross-origin requests; same-origin pages have ours.
    let origin_ok = match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => state
            .allowed_hosts
            .iter()
            .any(|a| origin.eq_ignore_ascii_case(&format!("http://{a}"))),
    };
    if !origin_ok {
        return (
            StatusCode::FORBIDDEN,
            "trace_claude: cross-origin requests are refused\n",
        )
            .into_response();
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    response
}

async fn session(State(state): State<WebState>) -> Json<serde_json::Value> {
    let mut session = (*state.session).clone();
    let health = state.hub.log_health().borrow().clone();
    if let (Some(fields), Ok(health)) = (session.as_object_mut(), serde_json::to_value(health)) {
        fields.insert("log_health".to_owned(), health);
    }
    Json(session)
}

async fn log_health_stream(
    State(state): State<WebState>,
) -> Sse<impl Stream<Item = Result<SseMessage, Infallible>>> {
    let rx = state.hub.log_health();
    let updates = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first {
            rx.changed().await.ok()?;
        }
        let health = rx.borrow_and_update().clone();
        let message = SseMessage::default()
            .event("log_health")
            .json_data(health)
            .unwrap_or_else(|_| SseMessage::default().event("log_health"));
        Some((Ok(message), (rx, false)))
    });
    Sse::new(updates).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

async fn events(State(state): State<WebState>, Query(q): Query<After>) -> Response {
    match state.hub.lines_after(q.after).await {
        Ok(lines) => {
            let mut body =
                String::with_capacity(lines.iter().map(|l| l.json.len() + 1).sum::<usize>() + 2);
            body.push('[');
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&line.json);
            }
            body.push(']');
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("trace_claude: cannot read the session log: {e}\n"),
        )
            .into_response(),
    }
}

async fn event_stream(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> Sse<impl Stream<Item = Result<SseMessage, Infallible>>> {
    let session = state.hub.session_name().to_owned();
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
        rx: state.hub.subscribe(),
        hub: state.hub,
        last: resume.unwrap_or(q.after),
        backlog: VecDeque::new(),
        started: false,
    };
    // Every connection opens with the session's description (no id, so it
    // does not move the client's Last-Event-ID): a reconnected page knows at
    // once that it is live again, and which session it is following.
    let hello = SseMessage::default()
        .event("session")
        .data(state.session.to_string());
    let events = futures_util::stream::unfold(follower, |mut f| async move {
        let line = f.next().await?;
        let message = SseMessage::default()
            .id(format!("{}:{}", f.hub.session_name(), line.seq))
            .data(&*line.json);
        Some((Ok(message), f))
    });
    let stream = futures_util::stream::once(async move { Ok(hello) }).chain(events);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Follows the log for one subscriber, in order, without gaps or repeats.
struct Follower {
    hub: Arc<Hub>,
    rx: broadcast::Receiver<LogLine>,
    last: u64,
    backlog: VecDeque<LogLine>,
    started: bool,
}

impl Follower {
    async fn next(&mut self) -> Option<LogLine> {
        if !self.started {
            self.started = true;
            self.catch_up().await?;
        }
        loop {
            if let Some(line) = self.backlog.pop_front() {
                if line.seq > self.last {
                    self.last = line.seq;
                    return Some(line);
                }
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
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await?,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    async fn catch_up(&mut self) -> Option<()> {
        self.backlog = self.hub.lines_after(self.last).await.ok()?.into();
        Some(())
    }
}
