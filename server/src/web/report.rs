//! `GET /api/export/html?session=NAME`: the session as a self-contained
//! HTML report, downloaded (see `crate::report`).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::flows::SessionQuery;
use super::{read_error, WebState};
use crate::report;

pub async fn html(State(state): State<WebState>, Query(q): Query<SessionQuery>) -> Response {
    let catalog = state.catalog.clone();
    let (site, prices) = (state.site.clone(), state.prices.clone());
    let work = tokio::task::spawn_blocking(move || {
        let Some(info) = catalog.find(q.session.as_deref()) else {
            return Ok(None);
        };
        let app = report::App::from_site(&site)?;
        let mut out = Vec::new();
        report::write(&info.path, &app, &prices, &mut out)?;
        anyhow::Ok(Some((info.name, out)))
    });
    match work.await {
        Ok(Ok(Some((name, body)))) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.html\"", name.replace('"', "")),
                ),
            ],
            body,
        )
            .into_response(),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "trace_claude: no such session\n").into_response(),
        Ok(Err(e)) => read_error(format!("{e:#}")),
        Err(e) => read_error(e),
    }
}
