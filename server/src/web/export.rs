//! Downloads of a whole session: `GET /api/export/har` and
//! `GET /api/export/jsonl`, with `session=NAME` and `redact_bodies=1`.
//!
//! Credentials are always redacted here, even in a log recorded with
//! `--no-redact`: a download is made to be passed on, and the raw log is
//! still on disk for whoever needs it. The export is written on a blocking
//! thread into the response as it is produced, so a session of any size
//! downloads in constant memory.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::{read_error, WebState};
use crate::export::{self, Filters, Format};
use crate::log::index::FlowsSnapshot;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    session: Option<String>,
    redact_bodies: Option<String>,
}

pub async fn har(state: State<WebState>, q: Query<ExportQuery>) -> Response {
    download(state, q, Format::Har).await
}

pub async fn jsonl(state: State<WebState>, q: Query<ExportQuery>) -> Response {
    download(state, q, Format::Jsonl).await
}

pub async fn html(state: State<WebState>, q: Query<ExportQuery>) -> Response {
    download(state, q, Format::Html).await
}

async fn download(
    State(state): State<WebState>,
    Query(q): Query<ExportQuery>,
    format: Format,
) -> Response {
    let redact_bodies = match q.redact_bodies.as_deref() {
        None | Some("0" | "false") => false,
        Some("" | "1" | "true") => true,
        Some(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "trace_claude: redact_bodies is 1 or 0\n",
            )
                .into_response()
        }
    };
    let filters = Filters {
        redact_credentials: true,
        redact_bodies,
    };
    let catalog = state.catalog.clone();
    let site = state.site.clone();
    // Find the session, and for HAR take its flows from the session's index
    // (for HTML load the app the report embeds), before answering: a missing
    // or unreadable log is then an error status, not a cut download.
    let prepared = tokio::task::spawn_blocking(move || {
        let info = catalog.find(q.session.as_deref())?;
        let prepared = match format {
            // The index is the one the flow list uses, brought up to date: the
            // log is not parsed again, and lines appended from now on are
            // not exported.
            Format::Har => catalog
                .index(&info)
                .map(|index| {
                    Prepared::Har(index.lock().unwrap_or_else(|p| p.into_inner()).snapshot())
                })
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", info.path.display())),
            Format::Jsonl => Ok(Prepared::Jsonl),
            Format::Html => crate::export::html::App::from_site(&site).map(Prepared::Html),
        };
        Some((info, prepared))
    })
    .await;
    let (info, prepared) = match prepared {
        Ok(Some((info, prepared))) => match prepared {
            Ok(prepared) => (info, prepared),
            Err(e) => return read_error(format!("{e:#}")),
        },
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                "trace_claude: no such session (see /api/sessions)\n",
            )
                .into_response()
        }
        Err(e) => return read_error(e),
    };

    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let path = info.path.clone();
    let prices = state.prices.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result = match prepared {
            Prepared::Har(log) => {
                export::write_har(std::slice::from_ref(&log), &mut out, filters).map(drop)
            }
            Prepared::Jsonl => export::write_jsonl(&path, &mut out, filters).map(drop),
            Prepared::Html(app) => {
                crate::export::html::write(&path, &app, &prices, filters, &mut out)
            }
        };
        if let Err(e) = result {
            // Headers are gone already: failing the body makes the client
            // see a broken download rather than a valid-looking short file.
            let _ = tx.blocking_send(Err(io::Error::other(format!("{e:#}"))));
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let filename = format!("{}.{}", safe_file_name(&info.name), format.extension());
    (
        [
            (header::CONTENT_TYPE, format.mime().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            // A live session's export changes from one download to the next.
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// What a format needs ready before the download starts.
enum Prepared {
    Har(FlowsSnapshot),
    Jsonl,
    Html(crate::export::html::App),
}

const CHUNK: usize = 64 * 1024;

/// Sends what is written to the response in chunks; fails once the client
/// has gone, which stops the export.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download was cancelled"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// A session name as a file name a browser will keep: session names are
/// file stems, but a `view`ed file may be named anything.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-() ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_break_the_header() {
        assert_eq!(
            safe_file_name("session_20260329_112707 (2)"),
            "session_20260329_112707 (2)"
        );
        assert_eq!(safe_file_name("a\"b\r\nc/é"), "a_b__c__");
    }
}
