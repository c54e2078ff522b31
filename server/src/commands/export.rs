//! `trace_claude export`: session logs as one file to share.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::cli::ExportArgs;
use crate::export::{html, markdown, output, write_har, write_jsonl, Filters, Format};
use crate::log::index::SessionIndex;
use crate::log::lines::warn_about_skipped;
use crate::otlp;
use crate::web::site;

/// `trace_claude export`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    if let Some(endpoint) = &args.otlp_endpoint {
        let target =
            otlp::Target::resolve(Some(endpoint))?.context("--otlp-endpoint needs a URL")?;
        let prices = crate::prices::load(args.prices.as_deref())?;
        return tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")?
            .block_on(send_spans(target, &args.files, args.otlp_content, prices));
    }
    let filters = Filters {
        redact_credentials: !args.no_redact,
        redact_bodies: args.redact_bodies,
    };
    if args.md {
        return write_transcripts(&args, filters);
    }
    let format = args.format();
    if let Some(out) = &args.output {
        refuse_to_overwrite_an_input(out, &args.files)?;
    }
    // Every input is opened (and, for HAR, indexed) before the output is
    // created, so a mistyped file name leaves no empty export behind.
    let logs = match format {
        Format::Har => args
            .files
            .iter()
            .map(|f| {
                let index = SessionIndex::build(f)?;
                Ok((index.snapshot(), index.report().clone()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        Format::Jsonl | Format::Html => {
            for f in &args.files {
                std::fs::File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
            }
            Vec::new()
        }
    };
    // A report is one session; its app comes from the built site.
    let report = match (format, args.files.as_slice()) {
        (Format::Html, [_]) => Some((
            html::App::from_site(&site::Site::locate()?)?,
            crate::prices::load(args.prices.as_deref())?,
        )),
        (Format::Html, _) => anyhow::bail!("--html makes a report of one session log at a time"),
        _ => None,
    };
    output::write_to(args.output.as_deref(), |out| match format {
        Format::Har => {
            for (snapshot, report) in &logs {
                warn_about_skipped(snapshot.path(), report);
            }
            let snapshots: Vec<_> = logs.into_iter().map(|(snapshot, _)| snapshot).collect();
            let (_, skipped) = write_har(&snapshots, out, filters)?;
            if skipped.flows_without_request > 0 {
                eprintln!(
                    "trace_claude: warning: left out {} flows whose request is not in the log",
                    skipped.flows_without_request
                );
            }
            Ok(())
        }
        Format::Jsonl => {
            for f in &args.files {
                let report = write_jsonl(f, out, filters)?;
                warn_about_skipped(f, &report);
            }
            Ok(())
        }
        Format::Html => match (&report, args.files.first()) {
            (Some((app, prices)), Some(log)) => html::write(log, app, prices, filters, out),
            _ => anyhow::bail!("nothing to report"),
        },
    })
}

/// `export --md`: each log as a Markdown transcript, one after the other.
fn write_transcripts(args: &ExportArgs, filters: Filters) -> anyhow::Result<()> {
    if let Some(out) = &args.output {
        refuse_to_overwrite_an_input(out, &args.files)?;
    }
    let prices = crate::prices::load(args.prices.as_deref())?;
    // Every log is indexed before the output is created.
    let logs = args
        .files
        .iter()
        .map(|f| SessionIndex::build(f).map(|index| (f, index)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    output::write_to(args.output.as_deref(), |out| {
        for (file, index) in &logs {
            warn_about_skipped(file, index.report());
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            markdown::write(&name, index, filters, &prices, out)?;
        }
        Ok(())
    })
}

/// How long `export --otlp-endpoint` waits for the collector to take the
/// last spans (each batch has its own retries within this).
const SEND_PATIENCE: Duration = Duration::from_secs(120);

/// `export --otlp-endpoint`: every flow of the logs as a span. The ids come
/// from the logs, so sending again adds nothing to the backend.
async fn send_spans(
    target: otlp::Target,
    files: &[PathBuf],
    content: bool,
    prices: shared::Prices,
) -> anyhow::Result<()> {
    // Every log must open before anything is sent.
    for f in files {
        std::fs::File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
    }
    let pipeline = target.pipeline(Box::new(|_| {}))?;
    let options = Arc::new(otlp::SpanOptions::new(content, prices));
    let mut offered = 0;
    for file in files {
        let (sender, options, file) = (pipeline.sender(), options.clone(), file.clone());
        offered += tokio::task::spawn_blocking(move || otlp::export_log(&file, options, &sender))
            .await
            .context("the export stopped")??;
    }
    let stats = pipeline.finish(SEND_PATIENCE).await;
    let sent = stats.sent.load(Ordering::Relaxed);
    let dropped = stats.dropped.load(Ordering::Relaxed);
    if dropped > 0 || sent != offered {
        anyhow::bail!(
            "sent {sent} of {offered} spans to {}; {dropped} did not get through",
            target.traces_url
        );
    }
    eprintln!(
        "trace_claude: sent {sent} spans from {} session logs to {}",
        files.len(),
        target.traces_url
    );
    Ok(())
}

/// `export --jsonl x.jsonl -o x.jsonl` would empty the log before reading it.
fn refuse_to_overwrite_an_input(out: &Path, files: &[PathBuf]) -> anyhow::Result<()> {
    let Ok(out) = out.canonicalize() else {
        return Ok(());
    };
    for f in files {
        if f.canonicalize().is_ok_and(|f| f == out) {
            anyhow::bail!("the output {} is one of the logs to export", f.display());
        }
    }
    Ok(())
}
