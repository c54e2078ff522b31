//! A session as one self-contained HTML file: the UI's flow list, flow view,
//! totals and search, opening from disk with no server and no network.
//!
//! The file holds the app itself (its WebAssembly and stylesheet, from the
//! built site), the flow summaries, and each flow's events gzip-compressed
//! on their own: the page unpacks a flow only when it is opened or searched,
//! so a 100 MB session neither makes a 100 MB page nor a slow one. A
//! Content-Security-Policy in the file lets only its own scripts run and
//! forbids every network request.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use shared::api::FlowList;
use shared::Prices;

use crate::export::Filters;
use crate::log::index::SessionIndex;
use crate::web::site::Site;

/// The built app a report embeds: read once, used for every report.
pub struct App {
    glue_js: Vec<u8>,
    wasm: Vec<u8>,
    css: String,
}

impl App {
    /// The app as the site holds it (embedded in the binary, or on disk).
    pub fn from_site(site: &Site) -> anyhow::Result<App> {
        Ok(App {
            glue_js: site.read(&site.pkg_path("js"))?.into_owned(),
            wasm: site.read(&site.pkg_path("wasm"))?.into_owned(),
            css: String::from_utf8_lossy(&site.read(&site.pkg_path("css"))?).into_owned(),
        })
    }
}

/// Writes the report of the session log at `log` to `out`.
/// Events pass through `filters` (credentials, and message contents with
/// `--redact-bodies`), as every export's do.
pub fn write(
    log: &Path,
    app: &App,
    prices: &Prices,
    filters: Filters,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let index = SessionIndex::build(log)?;
    let name = log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session".to_owned());
    let bytes = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    // Summaries are read from the log as it is: a path's query may hold a
    // key the filters would redact in the events, so redact it here too.
    let flows: Vec<_> = index
        .summaries()
        .map(|flow| {
            let mut flow = flow.clone();
            if filters.redact_credentials {
                flow.path = shared::secrets::redact_path(&flow.path);
            }
            flow
        })
        .collect();
    let report = index.report();
    // The page reads this as it reads `/api/flows`.
    let payload = FlowList {
        session: name.clone(),
        live: false,
        bytes,
        lines: index.line_count(),
        partial_bytes: report.partial_bytes,
        bad_lines: report.invalid_lines,
        first_bad_line: report.first_invalid.as_ref().map(|l| l.seq),
        flows,
        prices: prices.clone(),
    };
    let payload = script_safe(&serde_json::to_string(&payload)?);

    let loader = LOADER;
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}' blob: 'wasm-unsafe-eval'; style-src 'sha256-{}'; img-src data:",
        sha256_b64(loader),
        sha256_b64(&app.css)
    );
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>trace_claude · {title}</title><style>{css}</style></head><body>\n",
        title = html_text(&name),
        css = app.css,
    )?;
    writeln!(
        out,
        "<script type=\"application/json\" id=\"tc-report\">{payload}</script>"
    )?;
    writeln!(
        out,
        "<script type=\"application/octet-stream\" id=\"tc-glue\">{}</script>",
        gzip_b64(&app.glue_js)?
    )?;
    writeln!(
        out,
        "<script type=\"application/octet-stream\" id=\"tc-wasm\">{}</script>",
        gzip_b64(&app.wasm)?
    )?;
    // Summaries and snapshot come from one index: the same flows, in the same order.
    let snapshot = index.snapshot();
    for (flow, events) in index.summaries().zip(snapshot.events()?) {
        let id = flow.flow_id.as_str();
        let mut json = String::from("[");
        for mut event in events? {
            filters.apply(&mut event);
            if json.len() > 1 {
                json.push(',');
            }
            json.push_str(&event.to_line());
        }
        json.push(']');
        writeln!(
            out,
            "<script type=\"application/octet-stream\" class=\"tc-flow\" data-flow-id=\"{}\">{}</script>",
            html_text(id),
            gzip_b64(json.as_bytes())?
        )?;
    }
    writeln!(
        out,
        "<script type=\"module\">{loader}</script>\n</body></html>"
    )?;
    out.flush()?;
    Ok(())
}

/// Unpacks the embedded app and flows on demand and starts the app. Kept
/// small and fixed: the page's policy allows this script by its hash.
const LOADER: &str = r#"
const el = (id) => document.getElementById(id);
const bytes = (b64) => Uint8Array.from(atob(b64.trim()), (c) => c.charCodeAt(0));
const gunzip = (b64) => new Response(new Blob([bytes(b64)]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
const text = async (b64) => new TextDecoder().decode(await gunzip(b64));
const flows = new Map([...document.querySelectorAll('script.tc-flow')].map((s) => [s.dataset.flowId, s]));
globalThis.traceClaudeReport = {
  flow: (id) => flows.has(id) ? text(flows.get(id).textContent) : Promise.reject(new Error('no such flow')),
  search: async (query) => {
    const needle = JSON.stringify(query).slice(1, -1).toLowerCase();
    const found = [];
    for (const [id, s] of flows) {
      if ((await text(s.textContent)).toLowerCase().includes(needle)) found.push(id);
    }
    return found;
  },
};
const glue = await import(URL.createObjectURL(new Blob([await text(el('tc-glue').textContent)], { type: 'text/javascript' })));
await glue.default({ module_or_path: await gunzip(el('tc-wasm').textContent) });
glue.report();
"#;

fn gzip_b64(data: &[u8]) -> std::io::Result<String> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(encoder.finish()?))
}

fn sha256_b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// JSON that cannot end its `<script>` element early: `<` only occurs inside
/// JSON strings, where `\u003c` means the same.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let json = serde_json::json!({"text": "</script><script>alert(1)</script>"}).to_string();
        let safe = script_safe(&json);
        assert!(!safe.to_ascii_lowercase().contains("</script"));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["text"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn a_key_in_a_query_string_stays_out_of_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.jsonl");
        let line = serde_json::json!({
            "ts": "2026-03-29T11:27:07.000001Z", "type": "request", "flow_id": "f",
            "method": "POST", "path": "/v1/messages?api_key=sk-ant-api03-SECRETSECRET-WXYZ",
            "headers": {"x-api-key": "sk-ant-api03-SECRETSECRET-WXYZ"}, "body": null
        });
        std::fs::write(&log, format!("{line}\n")).unwrap();
        let app = App {
            glue_js: Vec::new(),
            wasm: Vec::new(),
            css: String::new(),
        };
        let filters = Filters {
            redact_credentials: true,
            redact_bodies: false,
        };
        let mut out = Vec::new();
        write(&log, &app, &Prices::builtin(), filters, &mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(
            html.contains("api_key=sk-ant-…WXYZ"),
            "the summary keeps a redacted path"
        );
        assert!(!html.contains("SECRETSECRET"));
    }

    #[test]
    fn compressed_data_round_trips() {
        use std::io::Read;
        let data = b"[{\"type\":\"request\"}]".repeat(100);
        let packed = base64::engine::general_purpose::STANDARD
            .decode(gzip_b64(&data).unwrap())
            .unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, data);
    }
}
