//! The web port: the UI and its API, for this machine only.
//!
//! Every `/api` call takes an optional `session=NAME` (a name from
//! `/api/sessions`); without it, the live session (`listen`) or the first
//! file given (`view`).
//!
//! - `GET /`: the UI (server-rendered, then hydrated by the WebAssembly app).
//! - `GET /api/session`: what this server records or shows, and `log_health`
//!   (whether the log is being written).
//! - `GET /api/log_health/stream`: `log_health` now and on every change.
//! - `GET /api/sessions`: the session logs it can show.
//! - `GET /api/flows`: one summary per flow, the line count they cover, and the prices.
//! - `GET /api/flows/{id}`: one flow's events, as a JSON array.
//! - `GET /api/search?q=TEXT`: the flows whose events contain the text.
//! - `GET /api/export/html`: the session as a self-contained HTML report.
//! - `GET /api/events?after=N&upto=M`: the events of lines N+1..=M, as a JSON array.
//! - `GET /api/export/har`, `GET /api/export/jsonl` (`&redact_bodies=1`):
//!   the session as a file to download (see `export`).
//! - `GET /metrics`: the session's counts and latencies for Prometheus.
//! - `GET /api/events/stream?after=N`: every event of the live session after
//!   line N, then new ones as they happen, as server-sent events (see `events`).

mod events;
mod export;
mod flows;
mod log_health;
mod metrics;
pub mod site;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use shared::api::ServerInfo;

use crate::log::catalog::Catalog;
use crate::log::hub::Hub;

#[derive(Clone)]
pub struct WebState {
    /// The session being recorded, when there is one (`listen`, not `view`).
    hub: Option<Arc<Hub>>,
    catalog: Arc<Catalog>,
    /// The price table, sent to the browser to price flows with.
    prices: Arc<shared::Prices>,
    session: Arc<ServerInfo>,
    /// The built UI: pages load it, reports embed it.
    site: Arc<site::Site>,
    /// `Host` values this server answers to; anything else is refused, which
    /// defeats DNS rebinding.
    allowed_hosts: Arc<[String]>,
    /// The OpenTelemetry export's counts, when `listen` exports.
    export: Option<Arc<crate::otlp::ExportStats>>,
}

impl WebState {
    pub fn new(
        hub: Option<Arc<Hub>>,
        catalog: Arc<Catalog>,
        prices: shared::Prices,
        web_addr: SocketAddr,
        session: ServerInfo,
        site: site::Site,
    ) -> Self {
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
            catalog,
            prices: Arc::new(prices),
            session: Arc::new(session),
            site: Arc::new(site),
            allowed_hosts: allowed_hosts.into(),
            export: None,
        }
    }

    /// Serves the export's counts on `/metrics`.
    pub fn with_export(mut self, stats: Arc<crate::otlp::ExportStats>) -> Self {
        self.export = Some(stats);
        self
    }
}

pub fn router(state: WebState) -> Router {
    let api = Router::new()
        .route("/api/events", get(events::events))
        .route("/api/events/stream", get(events::event_stream))
        .route("/api/session", get(session))
        .route("/api/log_health/stream", get(log_health::stream))
        .route("/api/sessions", get(flows::sessions))
        .route("/api/flows", get(flows::flows))
        .route("/api/flows/{id}", get(flows::flow))
        .route("/api/search", get(flows::search))
        .route("/api/export/har", get(export::har))
        .route("/api/export/jsonl", get(export::jsonl))
        .route("/api/export/html", get(export::html))
        .route("/metrics", get(metrics::metrics))
        .with_state(state.clone());
    let options = state.site.options.clone();
    let site = state.site.clone();
    let ui = Router::new()
        .leptos_routes(&options, generate_route_list(app::App), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        // The site's files (/pkg/…, the favicon); anything else is a 404.
        .fallback(move |request| site.clone().serve(request))
        .with_state(options);
    api.merge(ui)
        .layer(middleware::from_fn_with_state(state, guard))
}

async fn session(State(state): State<WebState>) -> Json<ServerInfo> {
    let mut session = (*state.session).clone();
    if let (ServerInfo::Listen(recording), Some(hub)) = (&mut session, &state.hub) {
        recording.log_health = Some(hub.log_health().borrow().clone());
    }
    Json(session)
}

/// Log lines (each one JSON object) as one JSON array, without re-parsing them.
fn json_array(lines: &[(u64, String)]) -> Response {
    let mut body = String::with_capacity(lines.iter().map(|(_, l)| l.len() + 1).sum::<usize>() + 2);
    body.push('[');
    for (i, (_, line)) in lines.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(line);
    }
    body.push(']');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A failure to read a session log, as the API reports it.
fn read_error(e: impl std::fmt::Display) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("trace_claude: cannot read the session log: {e}\n"),
    )
        .into_response()
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
