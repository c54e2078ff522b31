//! `trace_claude export` and the web API's downloads: a session log as a
//! file to hand to someone else.
//!
//! Every format reads the log as it is on disk (the source of truth), then
//! applies the same two filters to each event before it is written:
//! credentials are redacted as the proxy redacts them (unless the user asks
//! not to), and with `--redact-bodies` message contents are removed.

mod credentials;
mod flows;
mod har;
mod output;
mod redact_bodies;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use shared::Event;

pub use flows::Grouped;

use crate::cli::ExportArgs;
use crate::session_file::{warn_about_skipped, ReadReport, SessionReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Har,
    Jsonl,
    Html,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Har => "har",
            Format::Jsonl => "jsonl",
            Format::Html => "html",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Har => "application/json",
            Format::Jsonl => "application/x-ndjson",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// What is removed from every exported event.
#[derive(Debug, Clone, Copy)]
pub struct Filters {
    pub redact_credentials: bool,
    pub redact_bodies: bool,
}

impl Filters {
    pub fn apply(self, event: &mut Event) {
        if self.redact_credentials {
            credentials::redact(event);
        }
        if self.redact_bodies {
            redact_bodies::redact(event);
        }
    }
}

/// What an export left out, for the user to be told.
#[derive(Debug, Default)]
pub struct Skipped {
    /// Flows whose request line is not in the log (HAR needs a request).
    pub flows_without_request: u64,
}

/// The log's events, filtered, one line each. A cut last line and lines that
/// are not events are left out, and reported.
pub fn write_jsonl<W: Write + ?Sized>(
    path: &Path,
    out: &mut W,
    filters: Filters,
) -> anyhow::Result<ReadReport> {
    let mut reader = SessionReader::open(path)?;
    for item in reader.by_ref() {
        let (_, _, mut event) = item.with_context(|| format!("cannot read {}", path.display()))?;
        filters.apply(&mut event);
        out.write_all(event.to_line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(reader.report().clone())
}

/// One HAR of the flows of all `logs`, in the order given.
pub fn write_har<W: Write>(
    logs: &[Grouped],
    out: W,
    filters: Filters,
) -> anyhow::Result<(W, Skipped)> {
    let mut har = har::HarWriter::begin(out)?;
    let mut skipped = Skipped::default();
    for log in logs {
        for flow in log.events()? {
            let mut events = flow?;
            events.iter_mut().for_each(|e| filters.apply(e));
            if !har.flow(&events)? {
                skipped.flows_without_request += 1;
            }
        }
    }
    Ok((har.finish()?, skipped))
}

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
    // Every input is opened (and, for HAR, scanned) before the output is
    // created, so a mistyped file name leaves no empty export behind.
    let logs = match format {
        Format::Har => args
            .files
            .iter()
            .map(|f| Grouped::scan(f))
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
            crate::report::App::from_site(&crate::site::options()?)?,
            crate::prices::load(args.prices.as_deref())?,
        )),
        (Format::Html, _) => anyhow::bail!("--html makes a report of one session log at a time"),
        _ => None,
    };
    output::write_to(args.output.as_deref(), |out| match format {
        Format::Har => {
            for log in &logs {
                warn_about_skipped(log.path(), &log.report);
            }
            let (_, skipped) = write_har(&logs, out, filters)?;
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
            (Some((app, prices)), Some(log)) => {
                crate::report::write(log, app, prices, filters, out)
            }
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
