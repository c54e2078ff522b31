//! `trace_claude export`: session logs as one file to share.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::ExportArgs;
use crate::export::{html, output, write_har, write_jsonl, Filters, Format};
use crate::log::index::SessionIndex;
use crate::log::lines::warn_about_skipped;
use crate::web::site;

/// `trace_claude export`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let format = args.format();
    let filters = Filters {
        redact_credentials: !args.no_redact,
        redact_bodies: args.redact_bodies,
    };
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
